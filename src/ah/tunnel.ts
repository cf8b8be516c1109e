/**
 * The outer IP header of a tunnel-mode AH packet (RFC 4302 §3.1.2; construction per RFC 4301
 * §5.1.2.1 for IPv4 and §5.1.2.2 for IPv6): a fresh header without options or extension headers,
 * from the SA's tunnel endpoints and the inner packet's DS/ECN byte.
 *
 * @packageDocumentation
 */
import { IPV4_MIN_HEADER, IPV6_HEADER, setU16, V4, V4_DF, V6, writeIpv4Checksum } from "../ip/header.js";

/**
 * The outer header of an outbound tunnel-mode AH SA.
 * @public
 */
export interface AhTunnel {
  /** Outer source address: 4 bytes (IPv4) or 16 (IPv6). */
  readonly source: Uint8Array;
  /** Outer destination address, the same length as `source`. */
  readonly destination: Uint8Array;
  /** Outer TTL / hop limit, 1–255. Default 64. */
  readonly ttl?: number;
  /**
   * The outer IPv4 DF bit (RFC 4301 §8.1, IOS `crypto ipsec df-bit`): `copy` from an IPv4 inner
   * packet (set for an IPv6 inner packet, which routers never fragment), `set` or `clear`.
   * Default `copy`. Ignored for an IPv6 outer header.
   */
  readonly df?: "copy" | "set" | "clear";
}

/**
 * The DS field and ECN of the inner IP packet at `b[at]` (IPv4 TOS byte, IPv6 traffic class).
 * RFC 4301 §5.1.2.1/§5.1.2.2 copy both to the outer header (RFC 6040 §4.1 normal mode for ECN).
 * @internal
 */
export function innerTos(b: Uint8Array, at: number): number {
  return b[at]! >>> 4 === 4 ? b[at + V4.TOS]! : ((b[at]! & 0x0f) << 4) | (b[at + 1]! >>> 4);
}

/**
 * Whether the inner packet at `b[at]` asks not to be fragmented: its DF bit for IPv4; always for
 * IPv6, which routers never fragment (RFC 8200 §5).
 * @internal
 */
export function innerDontFragment(b: Uint8Array, at: number): boolean {
  return b[at]! >>> 4 !== 4 || (b[at + V4.FLAGS_FRAGMENT]! & (V4_DF >>> 8)) !== 0;
}

/** RFC 4301 §5.1.2.1: IPv4 header version 4, IHL 5 (no options are copied to the outer header). */
const V4_VERSION_IHL = 0x45;
const DEFAULT_TTL = 64;

/**
 * Writes outer headers for one SA.
 * @internal
 */
export class OuterHeader {
  /** True for an IPv6 outer header. */
  readonly ipv6: boolean;
  /** Outer header length: 20 or 40. */
  readonly length: number;
  readonly #source: Uint8Array;
  readonly #destination: Uint8Array;
  readonly #ttl: number;
  readonly #df: "copy" | "set" | "clear";
  /** IPv4 Identification, a per-SA counter (RFC 6864 §4.1: unique per source, destination, protocol). */
  #id = 0;

  /** @throws `RangeError` for addresses that are not both 4 or both 16 bytes, or a bad TTL. */
  constructor(tunnel: AhTunnel) {
    const n = tunnel.source.length;
    if ((n !== 4 && n !== 16) || tunnel.destination.length !== n) {
      throw new RangeError("tunnel source and destination must both be IPv4 (4 bytes) or IPv6 (16 bytes)");
    }
    const ttl = tunnel.ttl ?? DEFAULT_TTL;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 255) throw new RangeError(`bad tunnel TTL ${ttl}`);
    this.ipv6 = n === 16;
    this.length = this.ipv6 ? IPV6_HEADER : IPV4_MIN_HEADER;
    this.#source = tunnel.source.slice();
    this.#destination = tunnel.destination.slice();
    this.#ttl = ttl;
    this.#df = tunnel.df ?? "copy";
  }

  /**
   * Writes the outer header at `buf[at..at+length)` for an outer payload of `payloadLength` bytes
   * whose first header is `protocol` (AH, RFC 4302 §2: 51; ESP under AH in a bundle: 50). `tos`
   * and `innerDf` describe the inner packet ({@link innerTos}, {@link innerDontFragment}). For
   * IPv4 the checksum is left to {@link OuterHeader.finish}.
   */
  write(
    buf: Uint8Array,
    at: number,
    payloadLength: number,
    protocol: number,
    tos: number,
    innerDf: boolean,
  ): void {
    if (this.ipv6) {
      buf[at] = 0x60 | (tos >>> 4);
      buf[at + 1] = (tos & 0x0f) << 4; // flow label 0 (RFC 6437 §3 allows it)
      buf[at + 2] = 0;
      buf[at + 3] = 0;
      setU16(buf, at + V6.PAYLOAD_LENGTH, payloadLength);
      buf[at + V6.NEXT_HEADER] = protocol;
      buf[at + V6.HOP_LIMIT] = this.#ttl;
      buf.set(this.#source, at + V6.SOURCE);
      buf.set(this.#destination, at + V6.DESTINATION);
      return;
    }
    const df = this.#df === "set" || (this.#df === "copy" && innerDf);
    buf[at] = V4_VERSION_IHL;
    buf[at + V4.TOS] = tos;
    setU16(buf, at + V4.TOTAL_LENGTH, IPV4_MIN_HEADER + payloadLength);
    setU16(buf, at + V4.IDENTIFICATION, this.#id);
    this.#id = (this.#id + 1) & 0xffff;
    setU16(buf, at + V4.FLAGS_FRAGMENT, df ? V4_DF : 0);
    buf[at + V4.TTL] = this.#ttl;
    buf[at + V4.PROTOCOL] = protocol;
    buf.set(this.#source, at + V4.SOURCE);
    buf.set(this.#destination, at + V4.DESTINATION);
  }

  /** Recomputes the IPv4 outer checksum (nothing for IPv6). */
  finish(buf: Uint8Array, at: number): void {
    if (!this.ipv6) writeIpv4Checksum(buf, at, IPV4_MIN_HEADER);
  }
}
