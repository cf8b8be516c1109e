/**
 * The outbound ESP SA (RFC 4303 §3.3): frames, pads, numbers, encrypts and authenticates IP
 * packets into caller-provided memory.
 *
 * @packageDocumentation
 */
import type { DataPlaneCrypto } from "../crypto/backend.js";
import { sharedRandom } from "../crypto/random-pool.js";
import { IP_MAX_LENGTH, IPV6_HEADER, IpProtocol, setU32 } from "../ip/header.js";
import type { SaCounters } from "../sad/counters.js";
import { newSaCounters } from "../sad/counters.js";
import type { EspDropReason } from "./drop-reason.js";
import { ESP_HEADER_LENGTH, ESP_SEQUENCE_OFFSET } from "./header.js";
import { ipPacketLength, parseEspInsertion, writeIpLength } from "./ip.js";
import type { EspParams, EspSaOptions } from "./options.js";
import { resolveEspOptions } from "./options.js";
import { padLength, TRAILER_LENGTH, writeTrailer } from "./padding.js";
import { EspTransform } from "./transform.js";
import { UDP_HEADER_LENGTH, writeUdpHeader } from "./udp-encap.js";
import type { EspWorkspace } from "./workspace.js";

/**
 * Fills `iv` with the explicit IV of the packet numbered `seqHi`‖`seqLo` (the 64-bit counter,
 * whose high half is kept even without ESN).
 * @public
 */
export type EspIvSource = (iv: Uint8Array, seqHi: number, seqLo: number) => void;

/**
 * Options of an {@link EspOutboundSa}.
 * @public
 */
export interface EspOutboundOptions extends EspSaOptions {
  /**
   * The explicit IV of each packet. Default: for GCM, CCM, ChaCha20-Poly1305, GMAC and CTR the
   * 64-bit sequence counter, which never repeats under one key (RFC 4106 §3.1, RFC 4309 §3.1,
   * RFC 4543 §3.1, RFC 7634 §2, RFC 3686 §3.1 all require uniqueness and allow a counter); for CBC
   * unpredictable bytes from `random` (RFC 3602 §3). Tests inject fixed IVs here.
   */
  readonly iv?: EspIvSource;
  /**
   * Cryptographically secure random bytes into `out` (CBC IVs). Default `crypto.getRandomValues`,
   * drawn through one pool shared by all SAs and refilled 64 KiB at a time.
   */
  readonly random?: (out: Uint8Array) => void;
  /**
   * TFC padding (RFC 4303 §2.7), tunnel mode only: inner packets shorter than this are followed
   * by zero bytes up to this length (the inner IP length field still tells the receiver where the
   * packet ends). Negotiated in IKEv2 by the absence of ESP_TFC_PADDING_NOT_SUPPORTED. Default 0.
   */
  readonly tfcPadTo?: number;
  /**
   * Whether the receiver runs anti-replay (default true). When false and ESN is off, the 32-bit
   * Sequence Number rolls over to 0 instead of exhausting (RFC 4303 §3.3.3, for manually keyed
   * SAs); the 64-bit counter behind counter-mode IVs keeps counting, so IVs still never repeat.
   */
  readonly peerAntiReplay?: boolean;
  /**
   * The last sequence number already sent (default 0: the first packet carries 1, RFC 4303
   * §3.3.3). For resuming an SA; at most 2^32 − 1, or 2^64 − 1 with ESN or when the counter may
   * roll over (see `peerAntiReplay`).
   */
  readonly lastSequence?: bigint;
}

const U32 = 0xffffffff;

/** Counter-mode IVs: the 64-bit sequence counter, big-endian. */
function counterIv(iv: Uint8Array, seqHi: number, seqLo: number): void {
  setU32(iv, 0, seqHi);
  setU32(iv, 4, seqLo);
}

/**
 * One outbound ESP SA.
 *
 * `protect` takes the IP packet at `buf[start..end)` and writes the protected packet to
 * `out[outStart..]`, returning its length:
 * - tunnel mode: the ESP packet from the SPI (RFC 4303 §3.1.2), or from the UDP header with
 *   UDP encapsulation (RFC 3948 §2.1; checksum 0); the caller adds the outer IP header;
 * - transport mode: the packet's IP header (with the IPv6 extension headers that stay in front,
 *   RFC 4303 §3.1.1), its Protocol/Next Header set to 50 (17 with UDP encapsulation), its length
 *   and IPv4 checksum fixed, then ESP.
 *
 * In place: pass `out = buf` and `outStart = start - headroom`; the packet then needs
 * {@link EspOutboundSa.headroom} free bytes in front and `tailroom(end - start)` behind. Otherwise
 * `out` must not overlap `buf`. Nothing is written when the SA refuses a packet.
 *
 * The synchronous path allocates at most the `subarray` views the backend gets, and none while
 * packets keep their place in the buffer; the asynchronous path allocates a small workspace per
 * call because calls may overlap.
 *
 * @typeParam A - true for an asynchronous backend, which allows only {@link EspOutboundSa.protectAsync}.
 * @public
 */
export class EspOutboundSa<A extends boolean = false> {
  /** This SA's SPI. */
  readonly spi: number;
  /** Transport or tunnel mode. */
  readonly mode: "transport" | "tunnel";
  /** Whether sequence numbers are 64-bit. */
  readonly esn: boolean;
  /** Traffic counters (IOS `#pkts encaps`, `#pkts encrypt`, `#pkts digest`, `#send errors`). */
  readonly counters: SaCounters = newSaCounters();
  /**
   * Bytes written in front of the inner packet's first payload byte: UDP header (8, if
   * encapsulated), SPI and sequence number (8) and the IV. The in-place headroom.
   */
  readonly headroom: number;

  readonly #p: EspParams;
  readonly #crypto: EspTransform<A>;
  readonly #ws: EspWorkspace;
  readonly #iv: EspIvSource;
  readonly #tfcPadTo: number;
  readonly #mayCycle: boolean;
  #seqHi: number;
  #seqLo: number;
  #destroyed = false;

  /**
   * @throws `RangeError` for a reserved SPI, a wrong key length, TFC padding in transport mode or
   *   an out-of-range `lastSequence`; `CryptoError` for an unknown, disallowed or (without
   *   `allowLegacy`) legacy algorithm.
   */
  constructor(backend: DataPlaneCrypto<A>, options: EspOutboundOptions) {
    const p = resolveEspOptions(options);
    const tfc = options.tfcPadTo ?? 0;
    if (!Number.isInteger(tfc) || tfc < 0 || tfc > IP_MAX_LENGTH || (tfc > 0 && !p.tunnel)) {
      throw new RangeError("tfcPadTo must be 0..65535, and is allowed in tunnel mode only (RFC 4303 §2.7)");
    }
    const mayCycle = !p.esn && options.peerAntiReplay === false;
    const last = options.lastSequence ?? 0n;
    if (last < 0n || last > (p.esn || mayCycle ? (1n << 64n) - 1n : BigInt(U32))) {
      throw new RangeError(`lastSequence ${last} out of range`);
    }
    this.#p = p;
    this.spi = p.spi;
    this.mode = options.mode;
    this.esn = p.esn;
    this.#tfcPadTo = tfc;
    this.#mayCycle = mayCycle;
    this.#seqHi = Number(last >> 32n);
    this.#seqLo = Number(last & BigInt(U32));
    this.headroom = (p.udp === undefined ? 0 : UDP_HEADER_LENGTH) + ESP_HEADER_LENGTH + p.ivLength;
    this.#crypto = new EspTransform(backend, p);
    this.#ws = this.#crypto.workspace();
    // CBC's IV is the one drawn at random (RFC 3602 §3); `random` ignores the sequence numbers.
    this.#iv = options.iv ?? (this.#ws.ivInPacket ? (options.random ?? sharedRandom) : counterIv);
  }

  /** The encryption transform's registry name. */
  get encryption(): string {
    return this.#p.encryption.name;
  }

  /** The integrity transform's registry name, if any. */
  get integrity(): string | undefined {
    return this.#p.integrity?.name;
  }

  /** True once the last sequence number was used: the SA sends nothing more and must be rekeyed. */
  get exhausted(): boolean {
    return this.#seqLo === U32 && (this.#seqHi === U32 || (!this.esn && !this.#mayCycle));
  }

  /**
   * The last sequence number sent, as the 64-bit counter (0 before the first packet); for
   * resuming the SA elsewhere through {@link EspOutboundOptions.lastSequence}.
   */
  get lastSequence(): bigint {
    return (BigInt(this.#seqHi) << 32n) | BigInt(this.#seqLo);
  }

  /**
   * The bytes `protect` needs behind the inner packet in place: TFC padding, ESP padding, the
   * trailer and the ICV for an inner packet of `innerLength` bytes.
   */
  tailroom(innerLength: number): number {
    return this.maxOutputLength(innerLength) - innerLength - this.headroom;
  }

  /**
   * The largest protected packet an inner packet of `innerLength` bytes can produce; exact in
   * tunnel mode, an upper bound in transport mode (whose padding depends on the IP header length).
   */
  maxOutputLength(innerLength: number): number {
    const p = this.#p;
    const plain = p.tunnel ? Math.max(innerLength, this.#tfcPadTo) : innerLength;
    const pad = p.tunnel ? padLength(plain, p.align) : p.align - 1;
    return this.headroom + plain + pad + TRAILER_LENGTH + p.icvLength;
  }

  /**
   * Protects the IP packet at `buf[start..end)` with the synchronous backend.
   * @returns The length of the protected packet written at `out[outStart..]`, or why it was refused.
   * @throws `RangeError` only for bounds outside `buf`.
   */
  protect(
    this: EspOutboundSa<false>,
    buf: Uint8Array,
    start: number,
    end: number,
    out: Uint8Array,
    outStart: number,
  ): number | EspDropReason {
    const ws = this.#ws;
    const r = this.#prepare(buf, start, end, out, outStart, ws, -1);
    if (r !== null) return r;
    this.#crypto.encrypt(ws, out);
    this.#crypto.sign(ws, out);
    return this.#finish(ws, outStart, end - start);
  }

  /**
   * As {@link EspOutboundSa.protect}, with either kind of backend. The caller leaves `buf` and
   * `out` alone until the promise settles. Rejects only if the backend fails (never for a packet).
   */
  async protectAsync(
    buf: Uint8Array,
    start: number,
    end: number,
    out: Uint8Array,
    outStart: number,
  ): Promise<number | EspDropReason> {
    const ws = this.#crypto.workspace();
    try {
      const r = this.#prepare(buf, start, end, out, outStart, ws, -1);
      if (r !== null) return r;
      await this.#crypto.encrypt(ws, out);
      if (this.#destroyed) return this.#fail("sa-destroyed");
      await this.#crypto.sign(ws, out);
      if (this.#destroyed) return this.#fail("sa-destroyed");
      return this.#finish(ws, outStart, end - start);
    } catch (e) {
      // A backend may fail an operation whose key was destroyed meanwhile.
      if (this.#destroyed) return this.#fail("sa-destroyed");
      throw e;
    } finally {
      ws.clear();
    }
  }

  /**
   * Writes a dummy packet (Next Header 59, RFC 4303 §2.6) carrying `payloadLength` zero bytes, for
   * traffic flow confidentiality; the receiver discards it silently. The output is the ESP packet
   * (from the UDP header when encapsulated) in either mode: in transport mode the caller puts it
   * behind an IP header with protocol 50 (17 when encapsulated).
   * @returns The packet's length at `out[outStart..]`, or why it was refused.
   */
  protectDummy(
    this: EspOutboundSa<false>,
    payloadLength: number,
    out: Uint8Array,
    outStart: number,
  ): number | EspDropReason {
    const ws = this.#ws;
    const r = this.#prepare(out, 0, 0, out, outStart, ws, payloadLength);
    if (r !== null) return r;
    this.#crypto.encrypt(ws, out);
    this.#crypto.sign(ws, out);
    return this.#finish(ws, outStart, 0);
  }

  /** Zeroizes the key material; the SA refuses every packet afterwards. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#crypto.destroy();
    this.#ws.clear();
  }

  /**
   * Everything before the cryptography: validates the packet, takes the next sequence number and
   * lays the packet out in `out` (headers, payload, TFC padding, trailer, IV).
   * `dummy` ≥ 0 makes a dummy packet of that payload length instead of using `buf[start..end)`.
   */
  #prepare(
    buf: Uint8Array,
    start: number,
    end: number,
    out: Uint8Array,
    o: number,
    ws: EspWorkspace,
    dummy: number,
  ): EspDropReason | null {
    if (this.#destroyed) return this.#fail("sa-destroyed");
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || end > buf.length) {
      throw new RangeError(`packet bounds [${start}, ${end}) outside a buffer of ${buf.length} bytes`);
    }
    const p = this.#p;
    const length = end - start;
    let ipHeader = 0;
    let payload: number;
    let nextHeader: number;
    if (dummy >= 0) {
      if (!Number.isInteger(dummy) || dummy > IP_MAX_LENGTH) return this.#fail("too-big");
      payload = dummy;
      nextHeader = IpProtocol.NO_NEXT_HEADER;
    } else if (p.tunnel) {
      // RFC 4303 §2.6: Next Header 4 for an IPv4 packet, 41 for IPv6.
      if (ipPacketLength(buf, start, length) !== length) return this.#fail("bad-inner-packet");
      nextHeader = buf[start]! >>> 4 === 4 ? IpProtocol.IPV4 : IpProtocol.IPV6;
      payload = Math.max(length, this.#tfcPadTo);
    } else {
      const r = parseEspInsertion(buf, start, length, ws.layout);
      if (r !== "ok") return this.#fail(r === "fragment" ? "fragment" : "bad-inner-packet");
      ipHeader = ws.layout.headerLength;
      nextHeader = buf[start + ws.layout.nextHeaderAt]!;
      payload = length - ipHeader;
    }

    const udp = p.udp === undefined ? 0 : UDP_HEADER_LENGTH;
    const pad = padLength(payload, p.align);
    const encrypted = payload + pad + TRAILER_LENGTH;
    const espLength = ESP_HEADER_LENGTH + p.ivLength + encrypted + p.icvLength;
    const total = ipHeader + udp + espLength;
    // The UDP length, IPv4 Total Length and IPv6 Payload Length fields are 16 bits.
    const ipLimit = ws.layout.version === 6 ? IP_MAX_LENGTH + IPV6_HEADER : IP_MAX_LENGTH;
    if (udp + espLength > IP_MAX_LENGTH || (ipHeader > 0 && total > ipLimit)) return this.#fail("too-big");
    if (!Number.isInteger(o) || o < 0 || o + total > out.length) return this.#fail("no-room");
    if (!this.#nextSequence()) return this.#fail("sequence-exhausted");

    const espAt = o + ipHeader + udp;
    const dataAt = espAt + ESP_HEADER_LENGTH + p.ivLength;
    const trailerAt = dataAt + payload;
    const innerEnd = dummy >= 0 ? dataAt : dataAt + length - ipHeader;
    if (dummy < 0) moveInner(buf, start, end, out, o, dataAt, ipHeader);
    if (trailerAt > innerEnd) out.fill(0, innerEnd, trailerAt); // dummy payload, or TFC padding (RFC 4303 §2.7)
    writeTrailer(out, trailerAt, pad, nextHeader);
    if (ipHeader > 0) {
      // RFC 4303 §3.1.1, RFC 3948 §3.2: the IP header now announces ESP (or UDP) and the new length.
      out[o + ws.layout.nextHeaderAt] = udp > 0 ? IpProtocol.UDP : IpProtocol.ESP;
      writeIpLength(out, o, ws.layout.version, total);
    }
    if (p.udp !== undefined)
      writeUdpHeader(out, espAt - udp, p.udp.sourcePort, p.udp.destinationPort, udp + espLength);
    setU32(out, espAt, p.spi);
    setU32(out, espAt + ESP_SEQUENCE_OFFSET, this.#seqLo);
    ws.espAt = espAt;
    ws.dataAt = dataAt;
    ws.icvAt = dataAt + encrypted;
    ws.seqHi = this.#seqHi;
    ws.seqLo = this.#seqLo;
    if (ws.ivInPacket) {
      this.#iv(ws.ivField(out), this.#seqHi, this.#seqLo);
    } else if (p.ivLength > 0) {
      this.#iv(ws.iv, this.#seqHi, this.#seqLo);
      ws.ivToPacket(out, espAt + ESP_HEADER_LENGTH);
    }
    return null;
  }

  /** Counts the packet (the ICV is already in place). */
  #finish(ws: EspWorkspace, outStart: number, innerLength: number): number {
    const c = this.counters;
    c.packetsEncapsulated++;
    if (this.#crypto.encrypts) c.packetsEncrypted++;
    if (this.#crypto.authenticates) c.packetsDigested++;
    c.bytes += innerLength;
    return ws.icvAt + this.#p.icvLength - outStart;
  }

  /**
   * Advances the 64-bit counter. RFC 4303 §3.3.3: the sender "MUST NOT send a packet on an SA if
   * doing so would cause the sequence number to cycle" — 2^32 − 1 is the last without ESN,
   * 2^64 − 1 with it — unless the receiver does no anti-replay (then the low 32 bits roll over).
   */
  #nextSequence(): boolean {
    if (this.#seqLo !== U32) {
      this.#seqLo++;
      return true;
    }
    if ((!this.esn && !this.#mayCycle) || this.#seqHi === U32) return false;
    this.#seqHi++;
    this.#seqLo = 0;
    return true;
  }

  #fail(reason: EspDropReason): EspDropReason {
    this.counters.sendErrors++;
    return reason;
  }
}

/**
 * Puts the inner packet `buf[start..end)` in place: its IP header (the first `ipHeader` bytes,
 * transport mode) at `out[o]`, the rest at `out[dataAt]`. When `out` is `buf` the regions may
 * overlap: the copy that moves towards lower addresses goes first.
 */
function moveInner(
  buf: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  o: number,
  dataAt: number,
  ipHeader: number,
): void {
  const from = start + ipHeader;
  if (out !== buf) {
    if (ipHeader > 0) out.set(buf.subarray(start, from), o);
    out.set(from === 0 && end === buf.length ? buf : buf.subarray(from, end), dataAt);
    return;
  }
  if (o <= start) {
    if (o !== start && ipHeader > 0) out.copyWithin(o, start, from);
    if (dataAt !== from) out.copyWithin(dataAt, from, end);
  } else {
    if (dataAt !== from) out.copyWithin(dataAt, from, end);
    if (ipHeader > 0) out.copyWithin(o, start, from);
  }
}
