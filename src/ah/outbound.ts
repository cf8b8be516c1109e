/**
 * The outbound AH SA (RFC 4302 §3.3): inserts AH into a caller's packet in place and computes the
 * ICV over the packet with its mutable fields zeroed.
 *
 * @packageDocumentation
 */
import type { DataPlaneCrypto } from "../crypto/backend.js";
import {
  IP_MAX_LENGTH,
  IPV6_HEADER,
  IpProtocol,
  setU16,
  setU32,
  u16,
  V4,
  V4_MF_OR_OFFSET,
  V6,
  writeIpv4Checksum,
} from "../ip/header.js";
import type { SaCounters } from "../sad/counters.js";
import { newSaCounters } from "../sad/counters.js";
import type { AhDropReason } from "./drop-reason.js";
import { AH, AH_FIXED, ahHeaderLength, ahPayloadLength } from "./header.js";
import { AhIntegrity } from "./integrity.js";
import { ipHeaderLength } from "./ip.js";
import { ipv4IcvHeader } from "./ipv4-mutable.js";
import { findIpv6AhInsertion, ipv6IcvHeader } from "./ipv6-mutable.js";
import type { AhResult, AhSaOptions } from "./options.js";
import { checkBounds, checkSpi } from "./options.js";
import type { AhTunnel } from "./tunnel.js";
import { innerDontFragment, innerTos, OuterHeader } from "./tunnel.js";
import type { Workspace } from "./workspace.js";

/**
 * Options of an {@link AhOutboundSa}.
 * @public
 */
export interface AhOutboundOptions extends AhSaOptions {
  /** The outer header's endpoints; required in tunnel mode, not allowed in transport mode. */
  readonly tunnel?: AhTunnel;
  /**
   * The last sequence number already sent (default 0: the first packet carries 1, RFC 4302
   * §3.3.2). For resuming an SA; at most 2^32 − 1, or 2^64 − 1 with ESN.
   */
  readonly lastSequence?: bigint;
}

const U32 = 0xffffffff;
const EMPTY = new Uint8Array(0);

/**
 * One outbound AH SA.
 *
 * `protect` takes an IP packet at `buf[start..end)` and writes the AH-protected packet in place
 * so that it ends at the same `end` and starts `headroom` bytes (or fewer) earlier:
 * - transport mode: the IP header (with the IPv6 extension headers that stay in front of AH)
 *   moves forward by the AH length and AH goes between it and the rest (RFC 4302 §3.1.1);
 * - tunnel mode: a new outer header and AH are written in front of the packet (RFC 4302 §3.1.2).
 *
 * The caller's packet is not touched when the SA refuses it. The sequence number never cycles: at
 * the last number the SA refuses with `sequence-exhausted` and {@link AhOutboundSa.exhausted}
 * turns true, the signal to rekey (RFC 4302 §2.5, §3.3.2).
 *
 * @typeParam A - true for an asynchronous backend, which allows only {@link AhOutboundSa.protectAsync}.
 * @public
 */
export class AhOutboundSa<A extends boolean = false> {
  /** This SA's SPI. */
  readonly spi: number;
  /** Transport or tunnel mode. */
  readonly mode: "transport" | "tunnel";
  /** Whether sequence numbers are 64-bit. */
  readonly esn: boolean;
  /** Traffic counters (IOS `#pkts encaps`, `#pkts digest`, `#send errors`). */
  readonly counters: SaCounters = newSaCounters();
  /**
   * The free bytes `protect` needs in front of the packet: the AH length (rounded up for IPv6,
   * RFC 4302 §2.6), plus the outer header (20 or 40 bytes) in tunnel mode.
   */
  readonly headroom: number;

  readonly #integrity: AhIntegrity<A>;
  readonly #async: boolean;
  readonly #outer: OuterHeader | undefined;
  readonly #ws: Workspace;
  readonly #ahLength4: number;
  readonly #ahLength6: number;
  #seqHi: number;
  #seqLo: number;
  #destroyed = false;

  /**
   * @throws `RangeError` for a reserved SPI, a wrong key length, a tunnel option in transport mode
   *   (or none in tunnel mode), or an out-of-range `lastSequence`; `CryptoError` for an
   *   unknown or (without `allowLegacy`) legacy algorithm.
   */
  constructor(backend: DataPlaneCrypto<A>, options: AhOutboundOptions) {
    this.spi = checkSpi(options.spi);
    this.mode = options.mode;
    this.esn = options.esn ?? false;
    if ((options.mode === "tunnel") !== (options.tunnel !== undefined)) {
      throw new RangeError("an AH SA needs tunnel endpoints in tunnel mode and none in transport mode");
    }
    const last = options.lastSequence ?? 0n;
    if (last < 0n || last > (this.esn ? (1n << 64n) - 1n : 0xffffffffn)) {
      throw new RangeError(`lastSequence ${last} out of range`);
    }
    this.#seqHi = Number(last >> 32n);
    this.#seqLo = Number(last & 0xffffffffn);
    this.#outer = options.tunnel === undefined ? undefined : new OuterHeader(options.tunnel);
    this.#integrity = new AhIntegrity(backend, options.integrity, options.key, options.allowLegacy ?? false);
    this.#async = backend.async;
    const authData = this.#integrity.ivLength + this.#integrity.icvLength;
    this.#ahLength4 = ahHeaderLength(authData, false);
    this.#ahLength6 = ahHeaderLength(authData, true);
    this.#ws = this.#integrity.workspace();
    this.headroom =
      this.#outer === undefined
        ? this.#ahLength6
        : this.#outer.length + (this.#outer.ipv6 ? this.#ahLength6 : this.#ahLength4);
  }

  /** The integrity algorithm's registry name. */
  get integrity(): string {
    return this.#integrity.spec.name;
  }

  /** The last sequence number sent (0 before the first packet). */
  get lastSequence(): bigint {
    return (BigInt(this.#seqHi) << 32n) | BigInt(this.#seqLo);
  }

  /** True once the last sequence number was used: the SA sends nothing more and must be rekeyed. */
  get exhausted(): boolean {
    return this.#seqLo === U32 && (!this.esn || this.#seqHi === U32);
  }

  /**
   * Protects the IP packet at `buf[start..end)` with the synchronous backend.
   * @returns The protected packet's new start (it ends at `end`), or why it was refused.
   * @throws `RangeError` only for bounds outside `buf`; `TypeError` on an SA with an asynchronous
   *   backend.
   */
  protect(this: AhOutboundSa<false>, buf: Uint8Array, start: number, end: number): AhResult {
    if (this.#async) throw new TypeError("protect needs a synchronous backend: use protectAsync");
    const ws = this.#ws;
    const at = this.#prepare(buf, start, end, ws);
    if (typeof at === "string") return at;
    this.#integrity.compute(ws, this.#iv(buf, at, ws), this.#icvField(buf, at, ws));
    return this.#finish(buf, at, start, end);
  }

  /**
   * Protects the IP packet at `buf[start..end)` with either kind of backend. The caller leaves
   * `buf[start − headroom..end)` alone until the promise settles. If the SA is destroyed while the
   * backend works, the result is `sa-destroyed` and the buffer holds a packet without a valid ICV.
   * @returns As {@link AhOutboundSa.protect}.
   * @throws `RangeError` only for bounds outside `buf`.
   */
  async protectAsync(buf: Uint8Array, start: number, end: number): Promise<AhResult> {
    const ws = this.#integrity.workspace();
    const at = this.#prepare(buf, start, end, ws);
    if (typeof at === "string") return at;
    try {
      await this.#integrity.compute(ws, this.#iv(buf, at, ws), this.#icvField(buf, at, ws));
    } catch (e) {
      // A key destroyed under a pending operation may make the backend reject.
      if (this.#destroyed) return "sa-destroyed";
      throw e;
    } finally {
      ws.clear();
    }
    if (this.#destroyed) return "sa-destroyed";
    return this.#finish(buf, at, start, end);
  }

  /** Zeroizes the key material; the SA refuses every packet afterwards. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#integrity.destroy();
    this.#ws.clear();
  }

  #fail(reason: AhDropReason): AhDropReason {
    this.counters.sendErrors++;
    return reason;
  }

  /**
   * Everything but the ICV: checks the packet, takes a sequence number, writes the outer header or
   * moves the IP header, writes AH with a zero ICV, and lines up the ICV input in `ws.parts`.
   * Returns the new start; offsets in `ws` are relative to it.
   */
  #prepare(buf: Uint8Array, start: number, end: number, ws: Workspace): AhResult {
    checkBounds(buf, start, end);
    if (this.#destroyed) return "sa-destroyed";
    const p = buf.subarray(start, end);
    const hl = ipHeaderLength(p);
    if (typeof hl === "string") return this.#fail(hl);
    const outer = this.#outer;
    let insertAt: number;
    let ahLength: number;
    let headroom: number;
    if (outer !== undefined) {
      insertAt = outer.length;
      ahLength = outer.ipv6 ? this.#ahLength6 : this.#ahLength4;
      headroom = insertAt + ahLength;
      // RFC 791 Total Length counts the outer header; RFC 8200 Payload Length does not.
      if ((outer.ipv6 ? ahLength : headroom) + p.length > IP_MAX_LENGTH) return this.#fail("too-big");
    } else {
      const r = this.#transportHeader(p, hl, ws);
      if (r !== null) return this.#fail(r);
      insertAt = ws.ahOffset;
      ahLength = ws.ahLength;
      headroom = ahLength;
      // RFC 791 Total Length counts the IPv4 header; RFC 8200 Payload Length excludes the IPv6 one.
      if (p.length - (p[0]! >>> 4 === 6 ? IPV6_HEADER : 0) + ahLength > IP_MAX_LENGTH)
        return this.#fail("too-big");
    }
    if (start < headroom) return this.#fail("no-room");
    if (this.exhausted) return this.#fail("sequence-exhausted");
    // RFC 4302 §3.3.2: increment, then insert the low-order 32 bits.
    if (this.#seqLo === U32) {
      this.#seqHi++;
      this.#seqLo = 0;
    } else {
      this.#seqLo++;
    }
    const at = start - headroom;
    const ah = at + insertAt;
    let nextHeader: number;
    if (outer !== undefined) {
      outer.write(buf, at, ahLength + p.length, IpProtocol.AH, innerTos(p, 0), innerDontFragment(p, 0));
      const q = buf.subarray(at, ah);
      if (outer.ipv6) ipv6IcvHeader(q, insertAt, ws.headerRoom(insertAt));
      else ipv4IcvHeader(q, insertAt, ws.headerRoom(insertAt));
      nextHeader = p[0]! >>> 4 === 4 ? IpProtocol.IPV4 : IpProtocol.IPV6;
    } else {
      // The ICV header was taken from the packet before the move; patch the two immutable fields
      // that change (RFC 4302 §3.3.3.1.1.1 "Protocol (This should be the value for AH.)").
      const lengthAt = p[0]! >>> 4 === 4 ? V4.TOTAL_LENGTH : V6.PAYLOAD_LENGTH;
      buf.copyWithin(at, start, start + insertAt); // `p` is stale from here on
      nextHeader = buf[at + ws.nextHeaderAt]!;
      buf[at + ws.nextHeaderAt] = IpProtocol.AH;
      ws.header[ws.nextHeaderAt] = IpProtocol.AH;
      const length = u16(buf, at + lengthAt) + ahLength;
      setU16(buf, at + lengthAt, length);
      setU16(ws.header, lengthAt, length);
    }
    this.#writeAh(buf, ah, ahLength, nextHeader);
    ws.ahOffset = insertAt;
    ws.ahLength = ahLength;
    ws.seqHi = this.#seqHi;
    ws.seqLo = this.#seqLo;
    const parts = ws.parts;
    parts.length = 0;
    parts.push(ws.header.subarray(0, insertAt), buf.subarray(ah, end));
    // RFC 4302 §3.3.3.2.2: with ESN the high-order 32 bits follow the packet in the ICV input.
    if (this.esn) {
      setU32(ws.seqHiBytes, 0, ws.seqHi);
      parts.push(ws.seqHiBytes);
    }
    return at;
  }

  /**
   * Transport mode: finds where AH goes and copies the headers in front of it, mutable fields
   * zeroed, to `ws.header`.
   */
  #transportHeader(p: Uint8Array, hl: number, ws: Workspace): AhDropReason | null {
    if (p[0]! >>> 4 === 4) {
      // RFC 4302 §3.3.4: "transport mode AH is applied only to whole IP datagrams".
      if ((u16(p, V4.FLAGS_FRAGMENT) & V4_MF_OR_OFFSET) !== 0) return "fragment";
      ws.ahOffset = hl;
      ws.nextHeaderAt = V4.PROTOCOL;
      ws.ahLength = this.#ahLength4;
      return ipv4IcvHeader(p, hl, ws.headerRoom(hl));
    }
    const r = findIpv6AhInsertion(p, ws);
    if (r !== null) return r;
    ws.ahLength = this.#ahLength6;
    return ipv6IcvHeader(p, ws.ahOffset, ws.headerRoom(ws.ahOffset));
  }

  /** Writes the AH header with a zero ICV (RFC 4302 §2, §3.3.3: the ICV is zero while computed). */
  #writeAh(buf: Uint8Array, ah: number, ahLength: number, nextHeader: number): void {
    buf[ah + AH.NEXT_HEADER] = nextHeader;
    buf[ah + AH.PAYLOAD_LENGTH] = ahPayloadLength(ahLength);
    // RFC 4302 §2.3: RESERVED "MUST be set to zero by the sender".
    buf[ah + AH.RESERVED] = 0;
    buf[ah + AH.RESERVED + 1] = 0;
    setU32(buf, ah + AH.SPI, this.spi);
    setU32(buf, ah + AH.SEQUENCE, this.#seqLo);
    let icvAt = ah + AH_FIXED;
    if (this.#integrity.ivLength !== 0) {
      // RFC 4543 §3.1: the GMAC IV must not repeat under one key; the 64-bit sequence number never
      // does (it never cycles), so it is the IV.
      setU32(buf, icvAt, this.#seqHi);
      setU32(buf, icvAt + 4, this.#seqLo);
      icvAt += this.#integrity.ivLength;
    }
    // RFC 4302 §3.3.3.2.1: padding content is the sender's choice; zero.
    buf.fill(0, icvAt, ah + ahLength);
  }

  /** The GMAC IV in the AH header of the packet at `buf[at..]` (empty for the MACs). */
  #iv(buf: Uint8Array, at: number, ws: Workspace): Uint8Array {
    const n = this.#integrity.ivLength;
    const ivAt = at + ws.ahOffset + AH_FIXED;
    return n === 0 ? EMPTY : buf.subarray(ivAt, ivAt + n);
  }

  /** The ICV field of the packet at `buf[at..]`, where the MAC writes. */
  #icvField(buf: Uint8Array, at: number, ws: Workspace): Uint8Array {
    const icvAt = at + ws.ahOffset + AH_FIXED + this.#integrity.ivLength;
    return buf.subarray(icvAt, icvAt + this.#integrity.icvLength);
  }

  /** After the ICV: the IPv4 header checksum (zero in the ICV input, RFC 4302 §3.3.3.1.1.1) and counters. */
  #finish(buf: Uint8Array, at: number, start: number, end: number): number {
    if (this.#outer !== undefined) this.#outer.finish(buf, at);
    else if (buf[at]! >>> 4 === 4) writeIpv4Checksum(buf, at, (buf[at]! & 0x0f) * 4);
    const c = this.counters;
    c.packetsEncapsulated++;
    c.packetsDigested++;
    c.bytes += end - start;
    return at;
  }
}
