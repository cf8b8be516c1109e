/**
 * Where ESP goes in a transport-mode packet, where it is in a received one, and the length fields
 * to rewrite. Every function reads within the bounds it is given and never throws on packet
 * contents.
 *
 * @packageDocumentation
 */
import {
  IPV4_MIN_HEADER,
  IPV6_HEADER,
  IpProtocol,
  setU16,
  u16,
  V4,
  V4_MF_OR_OFFSET,
  V6,
  V6_OFFSET_OR_M,
  writeIpv4Checksum,
} from "../ip/header.js";

/**
 * Where the upper layer starts in an IP packet, as found by {@link parseEspInsertion} and
 * {@link parseUpperLayer}. One per SA workspace, overwritten by each parse.
 * @internal
 */
export class IpLayout {
  /** 4 or 6. */
  version = 0;
  /** Bytes from the start of the packet to the header after the chain (ESP's position). */
  headerLength = 0;
  /** Offset, from the start of the packet, of the Protocol / Next Header field naming that header. */
  nextHeaderAt = 0;
  /** The packet's length according to its own length field. */
  totalLength = 0;
}

/**
 * The length an IPv4 or IPv6 packet at `b[at..at+available)` declares, or -1 when its version or
 * header is not valid or the declared length exceeds `available` (an IPv6 jumbogram counts as
 * invalid).
 * @internal
 */
export function ipPacketLength(b: Uint8Array, at: number, available: number): number {
  if (available < 1) return -1;
  const version = b[at]! >>> 4;
  let length: number;
  if (version === 4) {
    if (available < IPV4_MIN_HEADER) return -1;
    const ihl = (b[at]! & 0x0f) << 2;
    length = u16(b, at + V4.TOTAL_LENGTH);
    if (ihl < IPV4_MIN_HEADER || length < ihl) return -1;
  } else if (version === 6) {
    if (available < IPV6_HEADER) return -1;
    const payload = u16(b, at + V6.PAYLOAD_LENGTH);
    // RFC 2675 §3: Payload Length 0 with a Hop-by-Hop header is a jumbogram (not supported).
    if (payload === 0 && b[at + V6.NEXT_HEADER] === IpProtocol.HOP_BY_HOP) return -1;
    length = IPV6_HEADER + payload;
  } else {
    return -1;
  }
  return length <= available ? length : -1;
}

/** Result of the header parsers: ok, or why the packet is unusable. @internal */
export type IpParseResult = "ok" | "bad-ip-header" | "fragment" | "truncated";

/**
 * The IPv6 extension headers walked past to reach the upper layer (RFC 8200 §4.1): Hop-by-Hop,
 * Routing, Fragment and Destination Options.
 */
function isWalkedExtension(type: number): boolean {
  return (
    type === IpProtocol.HOP_BY_HOP ||
    type === IpProtocol.ROUTING ||
    type === IpProtocol.FRAGMENT ||
    type === IpProtocol.DESTINATION_OPTIONS
  );
}

/**
 * Outbound transport mode: finds where ESP goes in the IP packet `b[at..at+length)`, which must
 * be exactly one whole datagram (RFC 4303 §3.3.4: transport-mode ESP is applied to whole IP
 * datagrams, not fragments).
 *
 * IPv4: right after the header and its options (RFC 4303 §3.1.1). IPv6: after Hop-by-Hop,
 * Routing and (atomic) Fragment headers; a Destination Options header stays in front of ESP
 * when a Routing header follows it and goes behind ESP otherwise (RFC 4303 §3.1.1: "it generally
 * will be desirable to place the destination options header(s) after the ESP header").
 * @internal
 */
export function parseEspInsertion(b: Uint8Array, at: number, length: number, out: IpLayout): IpParseResult {
  const total = ipPacketLength(b, at, length);
  if (total !== length) return "bad-ip-header";
  out.totalLength = total;
  if (b[at]! >>> 4 === 4) {
    if ((u16(b, at + V4.FLAGS_FRAGMENT) & V4_MF_OR_OFFSET) !== 0) return "fragment";
    out.version = 4;
    out.headerLength = (b[at]! & 0x0f) << 2;
    out.nextHeaderAt = V4.PROTOCOL;
    return "ok";
  }
  const end = at + length;
  let field = at + V6.NEXT_HEADER;
  let p = at + IPV6_HEADER;
  let insertField = field;
  let insertAt = p;
  for (;;) {
    const type = b[field]!;
    if (!isWalkedExtension(type)) break;
    const r = extensionLength(b, p, end, type);
    if (r < 0) return r === -2 ? "fragment" : "bad-ip-header";
    field = p;
    p += r;
    if (type !== IpProtocol.DESTINATION_OPTIONS) {
      insertField = field;
      insertAt = p;
    }
  }
  out.version = 6;
  out.headerLength = insertAt - at;
  out.nextHeaderAt = insertField - at;
  return "ok";
}

/**
 * Walks the IP packet `b[at..at+available)` past the IPv4 header, or past the IPv6 extension
 * headers (Hop-by-Hop, Routing, atomic Fragment, Destination Options), to the first other header:
 * ESP or UDP on a received transport-mode packet, TCP/UDP after decapsulation. The packet must be
 * a whole datagram (RFC 4303 §3.4.1: reassembly happens before ESP processing).
 * @returns "ok" with `out` filled (the header found is `b[at + out.nextHeaderAt]`), or why the
 *   packet is unusable.
 * @internal
 */
export function parseUpperLayer(b: Uint8Array, at: number, available: number, out: IpLayout): IpParseResult {
  if (available < 1) return "truncated";
  const total = ipPacketLength(b, at, available);
  if (total < 0) return "bad-ip-header";
  out.totalLength = total;
  if (b[at]! >>> 4 === 4) {
    if ((u16(b, at + V4.FLAGS_FRAGMENT) & V4_MF_OR_OFFSET) !== 0) return "fragment";
    out.version = 4;
    out.headerLength = (b[at]! & 0x0f) << 2;
    out.nextHeaderAt = V4.PROTOCOL;
    return "ok";
  }
  const end = at + total;
  let field = at + V6.NEXT_HEADER;
  let p = at + IPV6_HEADER;
  for (;;) {
    const type = b[field]!;
    if (!isWalkedExtension(type)) break;
    const r = extensionLength(b, p, end, type);
    if (r < 0) return r === -2 ? "fragment" : "truncated";
    field = p;
    p += r;
  }
  out.version = 6;
  out.headerLength = p - at;
  out.nextHeaderAt = field - at;
  return "ok";
}

/**
 * Length of the IPv6 extension header of `type` at `b[p..end)`: -1 when it does not fit, -2 for a
 * Fragment header of a real (non-atomic) fragment.
 */
function extensionLength(b: Uint8Array, p: number, end: number, type: number): number {
  if (p + 8 > end) return -1;
  if (type === IpProtocol.FRAGMENT) {
    // RFC 8200 §4.5: 8 bytes; only an atomic fragment (offset 0, M = 0) is a whole datagram.
    return (u16(b, p + 2) & V6_OFFSET_OR_M) === 0 ? 8 : -2;
  }
  // RFC 8200 §4.3, §4.4, §4.6: Hdr Ext Len in 8-octet units, not counting the first 8.
  const len = (b[p + 1]! + 1) << 3;
  return p + len <= end ? len : -1;
}

/**
 * Sets the IPv4 Total Length (and recomputes the header checksum) or the IPv6 Payload Length of
 * the header at `b[at..]` for a packet of `totalLength` bytes.
 * @internal
 */
export function writeIpLength(b: Uint8Array, at: number, version: number, totalLength: number): void {
  if (version === 4) {
    setU16(b, at + V4.TOTAL_LENGTH, totalLength);
    writeIpv4Checksum(b, at, (b[at]! & 0x0f) << 2);
  } else {
    setU16(b, at + V6.PAYLOAD_LENGTH, totalLength - IPV6_HEADER);
  }
}
