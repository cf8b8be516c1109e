/**
 * The inbound ESP SA (RFC 4303 §3.4): checks, verifies, decrypts and decapsulates ESP packets in
 * place.
 *
 * @packageDocumentation
 */
import type { DataPlaneCrypto } from "../crypto/backend.js";
import { IpProtocol, u16, u32 } from "../ip/header.js";
import type { SaCounters } from "../sad/counters.js";
import { newSaCounters } from "../sad/counters.js";
import { ReplayVerdict, ReplayWindow } from "../sad/replay.js";
import type { EspDropReason } from "./drop-reason.js";
import { ESP_HEADER_LENGTH, ESP_SEQUENCE_OFFSET } from "./header.js";
import { ipPacketLength, parseUpperLayer, writeIpLength } from "./ip.js";
import type { EspParams, EspSaOptions } from "./options.js";
import { resolveEspOptions } from "./options.js";
import { paddingValid, TRAILER_LENGTH } from "./padding.js";
import { EspTransform } from "./transform.js";
import type { NatChecksumPolicy } from "./udp-encap.js";
import { fixTransportChecksumWith, UDP_HEADER_LENGTH } from "./udp-encap.js";
import type { EspWorkspace } from "./workspace.js";

/**
 * Options of an {@link EspInboundSa}.
 * @public
 */
export interface EspInboundOptions extends EspSaOptions {
  /**
   * Anti-replay window size in packets (RFC 4303 §3.4.3): 0 disables anti-replay (manually keyed
   * SAs), otherwise 32 to 65536. Default 64, or 0 for a confidentiality-only SA, where anti-replay
   * "MUST NOT be enabled".
   */
  readonly replayWindow?: number;
  /**
   * Transport mode with UDP encapsulation: how the TCP/UDP checksum of decapsulated packets is
   * fixed (RFC 3948 §3.1.2). Default `"recompute"`.
   */
  readonly natChecksum?: NatChecksumPolicy;
  /**
   * ESN re-synchronization (RFC 4303 Appendix A3), for a receiver that lost 2^32 or more packets in
   * a row: after `afterFailures` consecutive ICV failures, each further failing packet is retried
   * with the next `maxTries` values of the high-order bits; one that verifies moves the window
   * there. Every retry is a full ICV computation, so keep `maxTries` small. Default off.
   */
  readonly esnResync?: EspEsnResync;
}

/**
 * ESN re-synchronization parameters (RFC 4303 Appendix A3.1, A3.2: both "a local parameter").
 * @public
 */
export interface EspEsnResync {
  /** Consecutive ICV failures that trigger re-synchronization (A3.1), at least 1. */
  readonly afterFailures: number;
  /** High-order values tried per packet once triggered (A3.2), 1 to 16. */
  readonly maxTries: number;
}

const U32 = 0xffffffff;
const MAX_RESYNC_TRIES = 16;

/**
 * The outcome of one inbound packet, written into a reusable object (so that nothing is allocated
 * per packet): the SA's own {@link EspInboundSa.result} unless the caller passes another.
 * @public
 */
export class EspInboundResult {
  /**
   * `packet`: a decapsulated packet at `buf[offset..offset+length)`; `dummy`: a valid dummy packet
   * (Next Header 59, RFC 4303 §2.6) to discard silently; `dropped`: see {@link EspInboundResult.reason}.
   */
  status: "packet" | "dummy" | "dropped" = "dropped";
  /** Why the packet was dropped; null otherwise. */
  reason: EspDropReason | null = null;
  /**
   * Where the result starts in the buffer: tunnel mode the inner IP packet, transport mode the IP
   * header rebuilt in front of the payload.
   */
  offset = 0;
  /** Its length (tunnel mode: the inner packet's own length, TFC padding removed). */
  length = 0;
  /** The ESP Next Header: 4 or 41 in tunnel mode, the upper-layer protocol in transport mode. */
  nextHeader = 0;
  /** High-order 32 bits of the packet's sequence number (inferred with ESN; 0 otherwise). */
  seqHi = 0;
  /** The packet's Sequence Number field (0 until it has been read). */
  seqLo = 0;
}

/**
 * One inbound ESP SA.
 *
 * `unprotect` takes, at `buf[start..end)`:
 * - tunnel mode: the ESP packet from the SPI (for ESP-in-UDP the UDP payload, see
 *   `classifyUdpEncapsulated` and `udpPayloadStart`);
 * - transport mode: the whole IP packet (IP header, UDP header when encapsulated, ESP).
 *
 * Processing order (RFC 4303 §3.4): length checks, SPI, the anti-replay check (which also
 * infers the ESN high-order bits, App. A2.2), the ICV (compared in constant time; AEADs verify
 * while opening), the window update, decryption, the padding check and the Next Header. The
 * result is left in place in `buf`; transport mode rebuilds the IP header (protocol, length,
 * checksum, RFC 4303 §3.4.4) just in front of the payload.
 *
 * A packet that fails never throws and changes nothing but the counters; `buf` may then hold
 * partly decrypted bytes. Next Header 59 marks a dummy packet in either mode (RFC 4303 §2.6), so a
 * transport-mode packet whose upper layer is "No Next Header" is reported as `dummy` too.
 *
 * @typeParam A - true for an asynchronous backend, which allows only {@link EspInboundSa.unprotectAsync}.
 * @public
 */
export class EspInboundSa<A extends boolean = false> {
  /** This SA's SPI. */
  readonly spi: number;
  /** Transport or tunnel mode. */
  readonly mode: "transport" | "tunnel";
  /** Whether sequence numbers are 64-bit. */
  readonly esn: boolean;
  /**
   * Traffic counters (IOS `#pkts decaps`, `#pkts decrypt`, `#pkts verify`, `#recv errors`,
   * replay failures, verify failures).
   */
  readonly counters: SaCounters = newSaCounters();
  /** The anti-replay window; also infers the ESN high-order bits. */
  readonly replay: ReplayWindow;
  /**
   * The result of the last synchronous {@link EspInboundSa.unprotect} without an explicit result
   * object: overwritten by the next call.
   */
  readonly result = new EspInboundResult();

  readonly #p: EspParams;
  readonly #crypto: EspTransform<A>;
  readonly #ws: EspWorkspace;
  readonly #natChecksum: NatChecksumPolicy;
  readonly #minLength: number;
  readonly #resync: EspEsnResync | undefined;
  /** Consecutive packets whose ICV failed (RFC 4303 App. A3.1). */
  #failures = 0;
  /** The synchronous path's copy of an AEAD payload kept for resync retries (grows). */
  #saved: Uint8Array = new Uint8Array(0);
  #destroyed = false;

  /**
   * @throws `RangeError` for a reserved SPI, a wrong key length, a bad window size or anti-replay
   *   on a confidentiality-only SA; `CryptoError` for an unknown, disallowed or (without
   *   `allowLegacy`) legacy algorithm.
   */
  constructor(backend: DataPlaneCrypto<A>, options: EspInboundOptions) {
    const p = resolveEspOptions(options);
    const window = options.replayWindow ?? (p.icvLength > 0 ? ReplayWindow.DEFAULT_SIZE : 0);
    if (window !== 0 && p.icvLength === 0) {
      throw new RangeError("anti-replay needs integrity (RFC 4303 §3.4.3): use replayWindow 0");
    }
    const nat = options.natChecksum ?? "recompute";
    if (typeof nat === "object") {
      for (const a of [nat.source, nat.destination]) {
        if (a !== undefined && a.length !== 4 && a.length !== 16)
          throw new RangeError("NAT-OA address must be 4 or 16 bytes");
      }
    }
    const resync = options.esnResync;
    if (
      resync !== undefined &&
      (!p.esn ||
        !Number.isInteger(resync.afterFailures) ||
        resync.afterFailures < 1 ||
        !Number.isInteger(resync.maxTries) ||
        resync.maxTries < 1 ||
        resync.maxTries > MAX_RESYNC_TRIES)
    ) {
      throw new RangeError(`esnResync needs ESN, afterFailures ≥ 1 and maxTries 1..${MAX_RESYNC_TRIES}`);
    }
    this.#resync = resync;
    this.replay = new ReplayWindow({ size: window, esn: p.esn });
    this.#p = p;
    this.spi = p.spi;
    this.mode = options.mode;
    this.esn = p.esn;
    this.#natChecksum = nat;
    this.#minLength = ESP_HEADER_LENGTH + p.ivLength + TRAILER_LENGTH + p.icvLength;
    this.#crypto = new EspTransform(backend, p);
    this.#ws = this.#crypto.workspace();
  }

  /** The encryption transform's registry name. */
  get encryption(): string {
    return this.#p.encryption.name;
  }

  /** The integrity transform's registry name, if any. */
  get integrity(): string | undefined {
    return this.#p.integrity?.name;
  }

  /**
   * Verifies and decapsulates the packet at `buf[start..end)` in place with the synchronous backend.
   * @returns `result` (by default the SA's own {@link EspInboundSa.result}), filled in.
   * @throws `RangeError` only for bounds outside `buf`.
   */
  unprotect(
    this: EspInboundSa<false>,
    buf: Uint8Array,
    start: number,
    end: number,
    result: EspInboundResult = this.result,
  ): EspInboundResult {
    const ws = this.#ws;
    if (!this.#prepare(buf, start, end, ws, result)) return result;
    const c = this.#crypto;
    const armed = this.#armed();
    if (armed && c.verifyWrites) this.#saved = save(buf, ws, this.#saved);
    let ok = c.verified(ws, buf, c.verify(ws, buf));
    if (!ok && armed) {
      // RFC 4303 App. A3.2: retry with successively larger high-order bits.
      const hi = ws.seqHi;
      for (let k = 1; !ok && k <= this.#resync!.maxTries && hi + k <= U32; k++) {
        if (c.verifyWrites) restore(buf, ws, this.#saved);
        ws.seqHi = hi + k;
        ok = c.verified(ws, buf, c.verify(ws, buf));
      }
      if (!ok) ws.seqHi = hi;
    }
    if (!this.#verified(ok, ws, result)) return result;
    if (!this.replay.update(ws.seqHi, ws.seqLo)) return this.#drop(result, "replayed");
    c.decrypt(ws, buf);
    return this.#finish(buf, start, ws, result);
  }

  /**
   * As {@link EspInboundSa.unprotect}, with either kind of backend. The anti-replay window is
   * rechecked after the ICV verifies, so packets verified concurrently are still accepted once.
   * The caller leaves `buf[start..end)` alone until the promise settles; by default each call
   * gets a new result object. Rejects only if the backend fails (never for a packet).
   */
  async unprotectAsync(
    buf: Uint8Array,
    start: number,
    end: number,
    result: EspInboundResult = new EspInboundResult(),
  ): Promise<EspInboundResult> {
    const ws = this.#crypto.workspace();
    try {
      if (!this.#prepare(buf, start, end, ws, result)) return result;
      const c = this.#crypto;
      const armed = this.#armed();
      const saved = armed && c.verifyWrites ? save(buf, ws, new Uint8Array(0)) : undefined;
      let ok = c.verified(ws, buf, await c.verify(ws, buf));
      if (!ok && armed) {
        // RFC 4303 App. A3.2: retry with successively larger high-order bits.
        const hi = ws.seqHi;
        for (let k = 1; !ok && !this.#destroyed && k <= this.#resync!.maxTries && hi + k <= U32; k++) {
          if (saved !== undefined) restore(buf, ws, saved);
          ws.seqHi = hi + k;
          ok = c.verified(ws, buf, await c.verify(ws, buf));
        }
        if (!ok) ws.seqHi = hi;
      }
      if (this.#destroyed) return this.#drop(result, "sa-destroyed");
      if (!this.#verified(ok, ws, result)) return result;
      // The recheck (RFC 4303 §3.4.3): the window may have moved while the backend worked.
      if (!this.replay.update(ws.seqHi, ws.seqLo)) return this.#drop(result, "replayed");
      await c.decrypt(ws, buf);
      if (this.#destroyed) return this.#drop(result, "sa-destroyed");
      return this.#finish(buf, start, ws, result);
    } catch (e) {
      // A backend may fail an operation whose key was destroyed meanwhile.
      if (this.#destroyed) return this.#drop(result, "sa-destroyed");
      throw e;
    } finally {
      ws.clear();
    }
  }

  /**
   * As {@link EspInboundSa.unprotect}, but leaves `buf` untouched: the packet is first copied to
   * `out[outStart..]`, where it is then processed (the result's offset refers to `out`).
   */
  unprotectInto(
    this: EspInboundSa<false>,
    buf: Uint8Array,
    start: number,
    end: number,
    out: Uint8Array,
    outStart: number,
    result: EspInboundResult = this.result,
  ): EspInboundResult {
    checkBounds(buf, start, end);
    const n = end - start;
    if (!Number.isInteger(outStart) || outStart < 0 || outStart + n > out.length) {
      return this.#drop(result, "no-room");
    }
    out.set(buf.subarray(start, end), outStart);
    return this.unprotect(out, outStart, outStart + n, result);
  }

  /** Zeroizes the key material; the SA drops every packet afterwards. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#crypto.destroy();
    this.#ws.clear();
    this.#saved.fill(0);
  }

  /**
   * Everything before the ICV: finds ESP, checks lengths, SPI and the anti-replay window, and
   * records the positions and the IV in `ws`.
   */
  #prepare(buf: Uint8Array, start: number, end: number, ws: EspWorkspace, result: EspInboundResult): boolean {
    checkBounds(buf, start, end);
    result.seqHi = 0;
    result.seqLo = 0;
    if (this.#destroyed) return this.#reject(result, "sa-destroyed");
    const p = this.#p;
    let espAt = start;
    let espEnd = end;
    if (!p.tunnel) {
      const layout = ws.layout;
      const r = parseUpperLayer(buf, start, end - start, layout);
      if (r !== "ok") return this.#reject(result, r);
      espEnd = start + layout.totalLength;
      espAt = start + layout.headerLength;
      if (buf[start + layout.nextHeaderAt] !== (p.udp === undefined ? IpProtocol.ESP : IpProtocol.UDP)) {
        return this.#reject(result, "bad-ip-header");
      }
      if (p.udp !== undefined) {
        // RFC 3948 §3.3 step 1: the UDP header is removed; its length must be the datagram's.
        if (espEnd - espAt < UDP_HEADER_LENGTH || u16(buf, espAt + 4) !== espEnd - espAt) {
          return this.#reject(result, "bad-udp-header");
        }
        espAt += UDP_HEADER_LENGTH;
      }
    }
    if (espEnd - espAt < this.#minLength) return this.#reject(result, "truncated");
    // RFC 4303 §3.4.2: the SA is the one the SPI names.
    if (u32(buf, espAt) !== p.spi) return this.#reject(result, "wrong-spi");
    const dataAt = espAt + ESP_HEADER_LENGTH + p.ivLength;
    const icvAt = espEnd - p.icvLength;
    // RFC 4303 §2.4: the ciphertext is whole cipher blocks, ending on a 4-byte boundary.
    if (((icvAt - dataAt) & (p.align - 1)) !== 0) return this.#reject(result, "bad-length");
    const seqLo = u32(buf, espAt + ESP_SEQUENCE_OFFSET);
    result.seqLo = seqLo;
    // RFC 4303 §3.4.3: the preliminary check, before any cryptography; it changes nothing.
    const seqHi = this.replay.check(seqLo);
    if (seqHi < 0) return this.#reject(result, seqHi === ReplayVerdict.REPLAYED ? "replayed" : "too-old");
    result.seqHi = seqHi;
    ws.espAt = espAt;
    ws.dataAt = dataAt;
    ws.icvAt = icvAt;
    ws.seqHi = seqHi;
    ws.seqLo = seqLo;
    if (!ws.ivInPacket) ws.ivFromPacket(buf, espAt + ESP_HEADER_LENGTH);
    return true;
  }

  /** After decryption: the trailer, the Next Header, and the decapsulated packet's place. */
  #finish(buf: Uint8Array, start: number, ws: EspWorkspace, result: EspInboundResult): EspInboundResult {
    const c = this.counters;
    if (this.#crypto.authenticates) c.packetsVerified++;
    if (this.#crypto.encrypts) c.packetsDecrypted++;
    const dataAt = ws.dataAt;
    const pad = buf[ws.icvAt - 2]!;
    const nextHeader = buf[ws.icvAt - 1]!;
    const payload = ws.icvAt - dataAt - TRAILER_LENGTH - pad;
    // RFC 4303 §2.4: the padding fits in the payload and holds 1, 2, 3, …
    if (payload < 0 || !paddingValid(buf, ws.icvAt - TRAILER_LENGTH, pad))
      return this.#drop(result, "bad-padding");
    result.nextHeader = nextHeader;
    result.offset = dataAt;
    result.length = payload;
    if (nextHeader === IpProtocol.NO_NEXT_HEADER) {
      // RFC 4303 §2.6: a dummy packet is discarded "without indicating an error".
      result.status = "dummy";
      result.reason = null;
      return result;
    }
    if (this.#p.tunnel) {
      const length = ipPacketLength(buf, dataAt, payload);
      const version = buf[dataAt]! >>> 4;
      if (
        (nextHeader !== IpProtocol.IPV4 && nextHeader !== IpProtocol.IPV6) ||
        (payload > 0 && version !== (nextHeader === IpProtocol.IPV4 ? 4 : 6))
      ) {
        return this.#drop(result, "bad-next-header");
      }
      // RFC 4303 §2.7: what follows the inner packet's own length is TFC padding.
      if (length < 0) return this.#drop(result, "bad-inner-packet");
      result.length = length;
    } else {
      // RFC 4303 §3.4.4, RFC 3948 §3.3: the IP header moves up to the payload and is fixed.
      const layout = ws.layout;
      const header = layout.headerLength;
      const at = dataAt - header;
      buf.copyWithin(at, start, start + header);
      buf[at + layout.nextHeaderAt] = nextHeader;
      writeIpLength(buf, at, layout.version, header + payload);
      if (this.#p.udp !== undefined)
        fixTransportChecksumWith(buf, at, dataAt + payload, this.#natChecksum, layout);
      result.offset = at;
      result.length = header + payload;
    }
    c.packetsDecapsulated++;
    c.bytes += result.length;
    result.status = "packet";
    result.reason = null;
    return result;
  }

  /** Whether this packet, if its ICV fails, is to be retried with other high-order bits (A3.1). */
  #armed(): boolean {
    return this.#resync !== undefined && this.#failures + 1 >= this.#resync.afterFailures;
  }

  /** Records the ICV outcome: counts consecutive failures (RFC 4303 App. A3.1), drops on failure. */
  #verified(ok: boolean, ws: EspWorkspace, result: EspInboundResult): boolean {
    if (!ok) {
      this.#failures++;
      this.#drop(result, "icv-mismatch");
      return false;
    }
    this.#failures = 0;
    result.seqHi = ws.seqHi;
    return true;
  }

  /** A drop before verification (counted as a receive error, or a replay failure). */
  #reject(result: EspInboundResult, reason: EspDropReason): false {
    this.#drop(result, reason);
    return false;
  }

  #drop(result: EspInboundResult, reason: EspDropReason): EspInboundResult {
    const c = this.counters;
    if (reason === "replayed" || reason === "too-old") {
      c.replayFailures++;
    } else {
      c.receiveErrors++;
      if (reason === "icv-mismatch") c.authFailures++;
      else if (reason === "bad-padding" || reason === "bad-next-header" || reason === "bad-inner-packet")
        c.malformed++;
    }
    result.status = "dropped";
    result.reason = reason;
    return result;
  }
}

/** Copies the payload an AEAD open may overwrite into `into` (grown as needed), for resync retries. */
function save(buf: Uint8Array, ws: EspWorkspace, into: Uint8Array): Uint8Array {
  const n = ws.icvAt - ws.dataAt;
  const copy = into.length >= n ? into : new Uint8Array(n);
  copy.set(buf.subarray(ws.dataAt, ws.icvAt));
  return copy;
}

/** Puts a {@link save}d payload back. */
function restore(buf: Uint8Array, ws: EspWorkspace, saved: Uint8Array): void {
  buf.set(saved.subarray(0, ws.icvAt - ws.dataAt), ws.dataAt);
}

/** @throws `RangeError` when `0 ≤ start ≤ end ≤ buf.length` does not hold (a programmer error). */
function checkBounds(buf: Uint8Array, start: number, end: number): void {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || end > buf.length) {
    throw new RangeError(`packet bounds [${start}, ${end}) outside a buffer of ${buf.length} bytes`);
  }
}
