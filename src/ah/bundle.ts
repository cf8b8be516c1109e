/**
 * AH + ESP SA bundles, as a Cisco IOS transform set `ah-sha-hmac esp-aes` negotiates them
 * (IKEv1 Quick Mode proposals with both protocols, RFC 2409 §5.5; RFC 4301 §4.5).
 *
 * The wire format has one IP header, AH outermost (RFC 4301 §4.5, RFC 4302 §3.1):
 * ```
 * transport:  IP hdr | AH | ESP | payload | ESP trailer, ICV
 * tunnel:     outer IP hdr | AH | ESP | inner IP packet | ESP trailer, ICV
 * ```
 * Outbound applies ESP first, then AH over the result (so AH covers the ESP packet and the outer
 * header's immutable fields); inbound verifies AH first, then ESP. In both modes the AH SA works in
 * transport mode over the IP packet that ESP produced; in tunnel mode the bundle writes the outer
 * header between the two steps.
 *
 * @packageDocumentation
 */
import type { EspDropReason } from "../esp/drop-reason.js";
import { EspInboundResult, type EspInboundSa } from "../esp/inbound.js";
import type { EspOutboundSa } from "../esp/outbound.js";
import { IpProtocol, V4 } from "../ip/header.js";
import type { AhDropReason } from "./drop-reason.js";
import type { AhInboundSa } from "./inbound.js";
import type { Ipv6Chain } from "./ipv6-mutable.js";
import { findIpv6Header } from "./ipv6-mutable.js";
import type { AhOutboundSa } from "./outbound.js";
import type { AhTunnel } from "./tunnel.js";
import { innerDontFragment, innerTos, OuterHeader } from "./tunnel.js";

/**
 * The outcome of one packet through a bundle, written into a reusable object so that nothing is
 * allocated per packet (each bundle has its own `result`; pass another for concurrent use).
 * @public
 */
export class AhEspResult {
  /**
   * `packet`: the resulting packet is at `offset..offset+length` of the output buffer; `dummy`:
   * a valid ESP dummy packet (RFC 4303 §2.6) to discard silently; `dropped`: see `reason`.
   */
  status: "packet" | "dummy" | "dropped" = "dropped";
  /** Which SA refused the packet; null unless dropped. */
  droppedBy: "ah" | "esp" | null = null;
  /** Why it was refused; null unless dropped. */
  reason: AhDropReason | EspDropReason | null = null;
  /** Where the resulting packet starts. */
  offset = 0;
  /** Its length. */
  length = 0;
  /** Inbound: ESP's Next Header (4 or 41 in tunnel mode, the upper-layer protocol in transport mode). */
  nextHeader = 0;
}

/**
 * The two outbound SAs of a bundle.
 * @public
 */
export interface AhEspOutboundOptions<A extends boolean> {
  /** The AH SA, in transport mode: it goes between the (outer) IP header and ESP. */
  readonly ah: AhOutboundSa<A>;
  /** The ESP SA, in transport or tunnel mode (without UDP encapsulation: AH cannot cross NAT). */
  readonly esp: EspOutboundSa<A>;
  /** The outer header's endpoints; required when ESP is in tunnel mode, not allowed otherwise. */
  readonly tunnel?: AhTunnel;
}

/**
 * The two inbound SAs of a bundle.
 * @public
 */
export interface AhEspInboundOptions<A extends boolean> {
  /** The AH SA, in transport mode. */
  readonly ah: AhInboundSa<A>;
  /** The ESP SA, in transport or tunnel mode. */
  readonly esp: EspInboundSa<A>;
}

function drop(result: AhEspResult, by: "ah" | "esp", reason: AhDropReason | EspDropReason): AhEspResult {
  result.status = "dropped";
  result.droppedBy = by;
  result.reason = reason;
  result.offset = 0;
  result.length = 0;
  result.nextHeader = 0;
  return result;
}

function packet(result: AhEspResult, offset: number, length: number): AhEspResult {
  result.status = "packet";
  result.droppedBy = null;
  result.reason = null;
  result.offset = offset;
  result.length = length;
  result.nextHeader = 0;
  return result;
}

/**
 * Outbound AH + ESP: ESP first, then AH over the result (RFC 4301 §4.5: AH outermost).
 *
 * `protect` takes the IP packet at `buf[start..end)` and writes the protected packet to
 * `out`, at `result.offset` (`outStart`, or up to 4 bytes after it over IPv4, whose AH is padded
 * to 32 rather than 64 bits). `out` needs {@link AhEspOutboundBundle.headroom} bytes from
 * `outStart` to where the packet's payload lands, and `tailroom(end − start)` behind it. In place:
 * `out = buf` and `outStart = start − headroom`.
 *
 * @typeParam A - true for asynchronous SAs, which allow only {@link AhEspOutboundBundle.protectAsync}.
 * @public
 */
export class AhEspOutboundBundle<A extends boolean = false> {
  /** The AH SA. */
  readonly ah: AhOutboundSa<A>;
  /** The ESP SA. */
  readonly esp: EspOutboundSa<A>;
  /** Bytes in front of the packet's payload: AH (at its IPv6 length), the outer header, ESP's. */
  readonly headroom: number;
  /** The result of the last synchronous `protect` without an explicit result object. */
  readonly result = new AhEspResult();
  readonly #outer: OuterHeader | undefined;

  /**
   * @throws `RangeError` when the AH SA is not in transport mode, or tunnel endpoints are given
   *   without ESP tunnel mode (or missing with it).
   */
  constructor(options: AhEspOutboundOptions<A>) {
    const { ah, esp, tunnel } = options;
    if (ah.mode !== "transport")
      throw new RangeError("the AH SA of a bundle works in transport mode over ESP");
    if ((esp.mode === "tunnel") !== (tunnel !== undefined)) {
      throw new RangeError("a bundle needs tunnel endpoints exactly when ESP is in tunnel mode");
    }
    this.ah = ah;
    this.esp = esp;
    this.#outer = tunnel === undefined ? undefined : new OuterHeader(tunnel);
    this.headroom = ah.headroom + (this.#outer?.length ?? 0) + esp.headroom;
  }

  /** Bytes `protect` needs behind an inner packet of `innerLength` bytes (ESP's padding, trailer, ICV). */
  tailroom(innerLength: number): number {
    return this.esp.tailroom(innerLength);
  }

  /**
   * Protects the IP packet at `buf[start..end)` with synchronous SAs.
   * @returns `result`, filled in.
   * @throws `RangeError` only for bounds outside the buffers.
   */
  protect(
    this: AhEspOutboundBundle<false>,
    buf: Uint8Array,
    start: number,
    end: number,
    out: Uint8Array,
    outStart: number,
    result: AhEspResult = this.result,
  ): AhEspResult {
    const espAt = this.#espAt(out, outStart);
    const tos = innerTos(buf, start);
    const df = innerDontFragment(buf, start);
    const n = this.esp.protect(buf, start, end, out, espAt);
    if (typeof n === "string") return drop(result, "esp", n);
    const ipStart = this.#outerHeader(out, espAt, n, tos, df);
    const at = this.ah.protect(out, ipStart, espAt + n);
    return typeof at === "string" ? drop(result, "ah", at) : packet(result, at, espAt + n - at);
  }

  /**
   * As {@link AhEspOutboundBundle.protect}, with either kind of backend. The caller leaves `buf`
   * and `out` alone until the promise settles; by default each call gets a new result object.
   */
  async protectAsync(
    buf: Uint8Array,
    start: number,
    end: number,
    out: Uint8Array,
    outStart: number,
    result: AhEspResult = new AhEspResult(),
  ): Promise<AhEspResult> {
    const espAt = this.#espAt(out, outStart);
    const tos = innerTos(buf, start);
    const df = innerDontFragment(buf, start);
    const n = await this.esp.protectAsync(buf, start, end, out, espAt);
    if (typeof n === "string") return drop(result, "esp", n);
    const ipStart = this.#outerHeader(out, espAt, n, tos, df);
    const at = await this.ah.protectAsync(out, ipStart, espAt + n);
    return typeof at === "string" ? drop(result, "ah", at) : packet(result, at, espAt + n - at);
  }

  /** Where ESP writes: after room for AH and the outer header. */
  #espAt(out: Uint8Array, outStart: number): number {
    if (!Number.isInteger(outStart) || outStart < 0 || outStart > out.length) {
      throw new RangeError(`output offset ${outStart} outside a buffer of ${out.length} bytes`);
    }
    return outStart + this.ah.headroom + (this.#outer?.length ?? 0);
  }

  /**
   * Tunnel mode: writes the outer header (protocol ESP, RFC 4303 §2: 50) in front of the ESP packet
   * at `out[espAt..espAt+n)`; AH is then inserted behind it. Returns where the IP packet starts.
   */
  #outerHeader(out: Uint8Array, espAt: number, n: number, tos: number, df: boolean): number {
    const outer = this.#outer;
    if (outer === undefined) return espAt;
    outer.write(out, espAt - outer.length, n, IpProtocol.ESP, tos, df);
    return espAt - outer.length;
  }
}

/**
 * Inbound AH + ESP: AH verified and removed first, then ESP (RFC 4301 §5.2: the outermost header
 * first).
 *
 * `unprotect` takes the IP packet at `buf[start..end)` (outer IP header, AH, ESP) and leaves the
 * result in place: tunnel mode the inner IP packet, transport mode the IP header rebuilt in front
 * of the payload, at `result.offset`.
 *
 * @typeParam A - true for asynchronous SAs, which allow only {@link AhEspInboundBundle.unprotectAsync}.
 * @public
 */
export class AhEspInboundBundle<A extends boolean = false> {
  /** The AH SA. */
  readonly ah: AhInboundSa<A>;
  /** The ESP SA. */
  readonly esp: EspInboundSa<A>;
  /** The result of the last synchronous `unprotect` without an explicit result object. */
  readonly result = new AhEspResult();
  readonly #espResult = new EspInboundResult();
  readonly #chain: Ipv6Chain = { ahOffset: 0, nextHeaderAt: 0 };

  /** @throws `RangeError` when the AH SA is not in transport mode. */
  constructor(options: AhEspInboundOptions<A>) {
    if (options.ah.mode !== "transport") {
      throw new RangeError("the AH SA of a bundle works in transport mode over ESP");
    }
    this.ah = options.ah;
    this.esp = options.esp;
  }

  /**
   * Verifies and decapsulates the packet at `buf[start..end)` with synchronous SAs.
   * @returns `result`, filled in.
   * @throws `RangeError` only for bounds outside `buf`.
   */
  unprotect(
    this: AhEspInboundBundle<false>,
    buf: Uint8Array,
    start: number,
    end: number,
    result: AhEspResult = this.result,
  ): AhEspResult {
    const at = this.ah.unprotect(buf, start, end);
    if (typeof at === "string") return drop(result, "ah", at);
    const espAt = this.#espStart(buf, at, end, this.#chain);
    if (espAt < 0) return drop(result, "esp", "bad-ip-header");
    return fromEsp(result, this.esp.unprotect(buf, espAt, end, this.#espResult));
  }

  /**
   * As {@link AhEspInboundBundle.unprotect}, with either kind of backend. The caller leaves `buf`
   * alone until the promise settles; by default each call gets a new result object.
   */
  async unprotectAsync(
    buf: Uint8Array,
    start: number,
    end: number,
    result: AhEspResult = new AhEspResult(),
  ): Promise<AhEspResult> {
    const at = await this.ah.unprotectAsync(buf, start, end);
    if (typeof at === "string") return drop(result, "ah", at);
    const espAt = this.#espStart(buf, at, end, { ahOffset: 0, nextHeaderAt: 0 });
    if (espAt < 0) return drop(result, "esp", "bad-ip-header");
    return fromEsp(result, await this.esp.unprotectAsync(buf, espAt, end));
  }

  /**
   * What the ESP SA takes: the whole IP packet in transport mode; in tunnel mode the ESP packet
   * behind the outer header (and its IPv6 extension headers), or -1 when the chain does not lead
   * to ESP. AH has already checked the header's lengths.
   */
  #espStart(buf: Uint8Array, at: number, end: number, chain: Ipv6Chain): number {
    if (this.esp.mode === "transport") return at;
    if (buf[at]! >>> 4 === 4) {
      return buf[at + V4.PROTOCOL] === IpProtocol.ESP ? at + (buf[at]! & 0x0f) * 4 : -1;
    }
    return findIpv6Header(buf.subarray(at, end), IpProtocol.ESP, chain) === null ? at + chain.ahOffset : -1;
  }
}

function fromEsp(result: AhEspResult, r: EspInboundResult): AhEspResult {
  if (r.status === "dropped") return drop(result, "esp", r.reason!);
  result.status = r.status;
  result.droppedBy = null;
  result.reason = null;
  result.offset = r.offset;
  result.length = r.length;
  result.nextHeader = r.nextHeader;
  return result;
}
