/**
 * The inbound AH SA (RFC 4302 §3.4): checks the header, the anti-replay window and the ICV, then
 * removes AH in place.
 *
 * @packageDocumentation
 */
import type { DataPlaneCrypto } from "../crypto/backend.js";
import {
  IpProtocol,
  setU16,
  setU32,
  u16,
  u32,
  V4,
  V4_MF_OR_OFFSET,
  V6,
  writeIpv4Checksum,
} from "../ip/header.js";
import type { SaCounters } from "../sad/counters.js";
import { newSaCounters } from "../sad/counters.js";
import { ReplayVerdict, ReplayWindow } from "../sad/replay.js";
import { equalConstantTime } from "../wire/bytes.js";
import type { AhDropReason } from "./drop-reason.js";
import { AH, AH_FIXED, ahHeaderLength, ahPayloadLength } from "./header.js";
import { AhIntegrity } from "./integrity.js";
import { ipHeaderLength } from "./ip.js";
import { ipv4IcvHeader } from "./ipv4-mutable.js";
import { findIpv6Header, ipv6IcvHeader } from "./ipv6-mutable.js";
import type { AhResult, AhSaOptions } from "./options.js";
import { checkBounds, checkSpi } from "./options.js";
import type { Workspace } from "./workspace.js";

/**
 * Options of an {@link AhInboundSa}.
 * @public
 */
export interface AhInboundOptions extends AhSaOptions {
  /**
   * Anti-replay window size in packets (RFC 4302 §3.4.3): 0 disables anti-replay, otherwise 32 to
   * 65536. Default 64.
   */
  readonly replayWindow?: number;
}

const EMPTY = new Uint8Array(0);

/**
 * One inbound AH SA.
 *
 * `unprotect` takes the AH-protected IP packet at `buf[start..end)` (reassembled, RFC 4302
 * §3.4.1) and, when it verifies, leaves the result in place ending at the same `end`:
 * - transport mode: AH removed, the IP header moved up to meet the payload, its Protocol / Next
 *   Header set to AH's Next Header, its length reduced and (IPv4) its checksum recomputed;
 * - tunnel mode: the inner IP packet, as it follows AH.
 *
 * Order (RFC 4302 §3.4.3, §3.4.4): SPI and header checks, the anti-replay check, the ICV (compared
 * in constant time), then the window update. Nothing in `buf` changes unless the packet verifies.
 *
 * @typeParam A - true for an asynchronous backend, which allows only {@link AhInboundSa.unprotectAsync}.
 * @public
 */
export class AhInboundSa<A extends boolean = false> {
  /** This SA's SPI. */
  readonly spi: number;
  /** Transport or tunnel mode. */
  readonly mode: "transport" | "tunnel";
  /** Whether sequence numbers are 64-bit. */
  readonly esn: boolean;
  /** Traffic counters (IOS `#pkts decaps`, `#pkts verify`, `#recv errors`, replay failures). */
  readonly counters: SaCounters = newSaCounters();
  /** The anti-replay window; also infers the ESN high-order bits. */
  readonly replay: ReplayWindow;

  readonly #integrity: AhIntegrity<A>;
  readonly #async: boolean;
  readonly #ws: Workspace;
  readonly #zeroIcv: Uint8Array;
  readonly #ahLength4: number;
  readonly #ahLength6: number;
  #destroyed = false;

  /**
   * @throws `RangeError` for a reserved SPI, a wrong key length or a bad window size;
   *   `CryptoError` for an unknown or (without `allowLegacy`) legacy algorithm.
   */
  constructor(backend: DataPlaneCrypto<A>, options: AhInboundOptions) {
    this.spi = checkSpi(options.spi);
    this.mode = options.mode;
    this.esn = options.esn ?? false;
    this.replay = new ReplayWindow({
      esn: this.esn,
      ...(options.replayWindow !== undefined && { size: options.replayWindow }),
    });
    this.#integrity = new AhIntegrity(backend, options.integrity, options.key, options.allowLegacy ?? false);
    this.#async = backend.async;
    const authData = this.#integrity.ivLength + this.#integrity.icvLength;
    this.#ahLength4 = ahHeaderLength(authData, false);
    this.#ahLength6 = ahHeaderLength(authData, true);
    this.#zeroIcv = new Uint8Array(this.#integrity.icvLength);
    this.#ws = this.#integrity.workspace();
  }

  /** The integrity algorithm's registry name. */
  get integrity(): string {
    return this.#integrity.spec.name;
  }

  /**
   * Verifies and removes AH from the packet at `buf[start..end)` with the synchronous backend.
   * @returns Where the resulting packet now starts (it ends at `end`), or why it was dropped.
   * @throws `RangeError` only for bounds outside `buf`; `TypeError` on an SA with an asynchronous
   *   backend.
   */
  unprotect(this: AhInboundSa<false>, buf: Uint8Array, start: number, end: number): AhResult {
    if (this.#async) throw new TypeError("unprotect needs a synchronous backend: use unprotectAsync");
    const ws = this.#ws;
    const r = this.#prepare(buf, start, end, ws);
    if (r !== null) return r;
    this.#integrity.compute(ws, this.#iv(buf, start, ws), ws.icv);
    return this.#finish(buf, start, end, ws);
  }

  /**
   * As {@link AhInboundSa.unprotect}, with either kind of backend. The anti-replay window is
   * rechecked after the backend answers, so packets verified concurrently are still accepted once.
   * The caller leaves `buf[start..end)` alone until the promise settles.
   */
  async unprotectAsync(buf: Uint8Array, start: number, end: number): Promise<AhResult> {
    const ws = this.#integrity.workspace();
    try {
      const r = this.#prepare(buf, start, end, ws);
      if (r !== null) return r;
      try {
        await this.#integrity.compute(ws, this.#iv(buf, start, ws), ws.icv);
      } catch (e) {
        // A key destroyed under a pending operation may make the backend reject.
        if (this.#destroyed) return "sa-destroyed";
        throw e;
      }
      if (this.#destroyed) return "sa-destroyed";
      return this.#finish(buf, start, end, ws);
    } finally {
      ws.clear();
    }
  }

  /** Zeroizes the key material; the SA drops every packet afterwards. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#integrity.destroy();
    this.#ws.clear();
  }

  #fail(reason: AhDropReason): AhDropReason {
    if (reason === "replayed" || reason === "too-old") this.counters.replayFailures++;
    else this.counters.receiveErrors++;
    return reason;
  }

  /**
   * Everything before the ICV: finds and checks AH, runs the anti-replay check and lines up the
   * ICV input in `ws.parts` (offsets in `ws` are relative to `start`).
   */
  #prepare(buf: Uint8Array, start: number, end: number, ws: Workspace): AhDropReason | null {
    checkBounds(buf, start, end);
    if (this.#destroyed) return "sa-destroyed";
    const p = buf.subarray(start, end);
    const hl = ipHeaderLength(p);
    if (typeof hl === "string") return this.#fail(hl);
    const v4 = p[0]! >>> 4 === 4;
    if (v4) {
      // RFC 4302 §3.4.1: "If a packet offered to AH for processing appears to be an IP fragment,
      // i.e., the OFFSET field is nonzero or the MORE FRAGMENTS flag is set, the receiver MUST
      // discard the packet".
      if ((u16(p, V4.FLAGS_FRAGMENT) & V4_MF_OR_OFFSET) !== 0) return this.#fail("fragment");
      if (p[V4.PROTOCOL] !== IpProtocol.AH) return this.#fail("not-ah");
      ws.ahOffset = hl;
      ws.nextHeaderAt = V4.PROTOCOL;
    } else {
      const r = findIpv6Header(p, IpProtocol.AH, ws);
      if (r !== null) return this.#fail(r);
    }
    const ah = ws.ahOffset;
    const ahLength = v4 ? this.#ahLength4 : this.#ahLength6;
    if (ah + AH_FIXED > p.length) return this.#fail("truncated");
    // RFC 4302 §2.2 and §2.6: the length must be exactly this SA's ICV plus minimal padding.
    if (p[ah + AH.PAYLOAD_LENGTH] !== ahPayloadLength(ahLength)) return this.#fail("bad-ah-length");
    if (ah + ahLength > p.length) return this.#fail("truncated");
    if (u32(p, ah + AH.SPI) !== this.spi) return this.#fail("wrong-spi");
    // RFC 4302 §3.4.3: the replay check "SHOULD be the first AH check applied to a packet after it
    // has been matched to an SA"; with ESN it also yields the high-order bits for the ICV.
    const seqLo = u32(p, ah + AH.SEQUENCE);
    const seqHi = this.replay.check(seqLo);
    if (seqHi < 0) return this.#fail(seqHi === ReplayVerdict.REPLAYED ? "replayed" : "too-old");
    const r = v4 ? ipv4IcvHeader(p, ah, ws.headerRoom(ah)) : ipv6IcvHeader(p, ah, ws.headerRoom(ah));
    if (r !== null) return this.#fail(r);
    ws.ahLength = ahLength;
    ws.seqHi = seqHi;
    ws.seqLo = seqLo;
    // RFC 4302 §3.4.4: the ICV "replaced (but not any ICV field padding) with zero"; RFC 4543 §4:
    // the GMAC IV in front of it is an input and stays.
    const icvAt = ah + AH_FIXED + this.#integrity.ivLength;
    const parts = ws.parts;
    parts.length = 0;
    parts.push(
      ws.header.subarray(0, ah),
      p.subarray(ah, icvAt),
      this.#zeroIcv,
      p.subarray(icvAt + this.#integrity.icvLength),
    );
    // RFC 4302 §3.3.3.2.2: with ESN the high-order 32 bits follow the packet in the ICV input.
    if (this.esn) {
      setU32(ws.seqHiBytes, 0, seqHi);
      parts.push(ws.seqHiBytes);
    }
    return null;
  }

  #iv(buf: Uint8Array, start: number, ws: Workspace): Uint8Array {
    const n = this.#integrity.ivLength;
    const at = start + ws.ahOffset + AH_FIXED;
    return n === 0 ? EMPTY : buf.subarray(at, at + n);
  }

  /** After the ICV: compare, update the window, remove AH. */
  #finish(buf: Uint8Array, start: number, end: number, ws: Workspace): AhResult {
    const c = this.counters;
    const ah = start + ws.ahOffset;
    const icvAt = ah + AH_FIXED + this.#integrity.ivLength;
    if (!equalConstantTime(ws.icv, buf.subarray(icvAt, icvAt + this.#integrity.icvLength))) {
      c.authFailures++;
      return this.#fail("icv-mismatch");
    }
    // RFC 4302 §3.4.3: "The receive window is updated only if the ICV verification succeeds";
    // update() rechecks, for packets verified concurrently on the asynchronous path.
    if (!this.replay.update(ws.seqHi, ws.seqLo)) return this.#fail("replayed");
    c.packetsVerified++;
    const ahLength = ws.ahLength;
    const nextHeader = buf[ah + AH.NEXT_HEADER]!;
    let at: number;
    if (this.mode === "tunnel") {
      at = ah + ahLength;
      const inner = ipHeaderLength(buf.subarray(at, end));
      const version = nextHeader === IpProtocol.IPV4 ? 4 : nextHeader === IpProtocol.IPV6 ? 6 : 0;
      if (typeof inner === "string" || buf[at]! >>> 4 !== version) {
        c.malformed++;
        return this.#fail("bad-inner-packet");
      }
    } else {
      buf[start + ws.nextHeaderAt] = nextHeader;
      const v4 = buf[start]! >>> 4 === 4;
      const lengthAt = start + (v4 ? V4.TOTAL_LENGTH : V6.PAYLOAD_LENGTH);
      setU16(buf, lengthAt, u16(buf, lengthAt) - ahLength);
      buf.copyWithin(start + ahLength, start, ah);
      at = start + ahLength;
      if (v4) writeIpv4Checksum(buf, at, ws.ahOffset);
    }
    c.packetsDecapsulated++;
    c.bytes += end - at;
    return at;
  }
}
