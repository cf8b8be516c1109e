/**
 * The IPv6 header chain in front of AH, as the AH ICV sees it (RFC 4302 §3.3.3.1.2): a copy with
 * traffic class, flow label and hop limit zeroed, the data of options marked "may change en route"
 * zeroed, and a type 0/2 Routing header (with the destination address) put in the form it will
 * have at the final destination. Also the walks that find AH (inbound) and the place to insert it
 * (outbound), with every length bounds-checked.
 *
 * @packageDocumentation
 */

import { IPV6_HEADER, IpProtocol, V6 } from "../ip/header.js";
import type { AhDropReason } from "./drop-reason.js";

/**
 * Where AH is (or goes) in an IPv6 packet: filled in by {@link findIpv6Header} and
 * {@link findIpv6AhInsertion}. One object per SA, reused for every packet.
 * @internal
 */
export interface Ipv6Chain {
  /** Offset of the AH header (inbound) or of the byte AH is inserted before (outbound); ESP's in a bundle. */
  ahOffset: number;
  /** Offset of the Next Header field that names AH (or, outbound, the header AH goes in front of). */
  nextHeaderAt: number;
}

/** RFC 8200 §4.2: Pad1 is the one option without length and data. */
const OPT_PAD1 = 0;
/** RFC 8200 §4.2: third-highest bit of the option type, "Option Data may change en route". */
const OPT_MAY_CHANGE = 0x20;
/** RFC 8200 §4.4: Routing header fixed part (next header, length, type, segments left, 4 bytes). */
const ROUTING_FIXED = 8;
const ADDRESS = 16;

/**
 * Length in bytes of the Hop-by-Hop, Destination Options or Routing header at `off`
 * (RFC 8200 §4.3–4.6: Hdr Ext Len in 8-octet units, not including the first 8 octets), or -1 when
 * it runs past the packet.
 */
function extensionLength(packet: Uint8Array, off: number): number {
  if (off + 2 > packet.length) return -1;
  const length = (packet[off + 1]! + 1) * 8;
  return off + length > packet.length ? -1 : length;
}

/**
 * The headers that may sit between the IPv6 header and AH: Hop-by-Hop (only first, RFC 8200
 * §4.1), Destination Options and Routing (RFC 4302 §3.1.1).
 */
function isSkippable(nextHeader: number, off: number): boolean {
  return (
    (nextHeader === IpProtocol.HOP_BY_HOP && off === IPV6_HEADER) ||
    nextHeader === IpProtocol.DESTINATION_OPTIONS ||
    nextHeader === IpProtocol.ROUTING
  );
}

/**
 * Walks the extension headers of the IPv6 packet `packet` (at least 40 bytes) that may precede AH
 * (or, in a bundle, the ESP under it) to the first header of type `target` and records where it
 * is in `chain`. Inbound AH uses `target` 51.
 *
 * A Fragment header gives `fragment` (RFC 4302 §3.4.1: reassembly comes before AH; this
 * implementation does not skip a left-over atomic Fragment header, see Appendix A2), any other
 * header before the target gives `not-ah`.
 * @internal
 */
export function findIpv6Header(packet: Uint8Array, target: number, chain: Ipv6Chain): AhDropReason | null {
  let nextHeaderAt: number = V6.NEXT_HEADER;
  let off = IPV6_HEADER;
  for (;;) {
    const nh = packet[nextHeaderAt]!;
    if (nh === target) {
      chain.ahOffset = off;
      chain.nextHeaderAt = nextHeaderAt;
      return null;
    }
    if (nh === IpProtocol.FRAGMENT) return "fragment";
    if (!isSkippable(nh, off)) return nh === IpProtocol.HOP_BY_HOP ? "bad-extension-header" : "not-ah";
    const length = extensionLength(packet, off);
    if (length < 0) return "truncated";
    nextHeaderAt = off;
    off += length;
  }
}

/**
 * Outbound transport mode: finds where AH goes in the IPv6 packet `packet` (at least 40 bytes).
 * RFC 4302 §3.1.1: after the Hop-by-Hop and Routing headers and the Destination Options header
 * that precedes a Routing header (RFC 8200 §4.1 order); before any other Destination Options, an
 * ESP header already applied, or the upper-layer header. A Fragment header gives `fragment`
 * (RFC 4302 §3.3.4: AH applies to whole datagrams).
 * @internal
 */
export function findIpv6AhInsertion(packet: Uint8Array, chain: Ipv6Chain): AhDropReason | null {
  let nextHeaderAt: number = V6.NEXT_HEADER;
  let off = IPV6_HEADER;
  for (;;) {
    const nh = packet[nextHeaderAt]!;
    if (nh === IpProtocol.FRAGMENT) return "fragment";
    if (nh === IpProtocol.HOP_BY_HOP && off !== IPV6_HEADER) return "bad-extension-header";
    if (!isSkippable(nh, off)) break;
    const length = extensionLength(packet, off);
    if (length < 0) return "truncated";
    // A Destination Options header belongs in front of AH only when a Routing header follows it.
    if (nh === IpProtocol.DESTINATION_OPTIONS && packet[off] !== IpProtocol.ROUTING) break;
    nextHeaderAt = off;
    off += length;
  }
  chain.ahOffset = off;
  chain.nextHeaderAt = nextHeaderAt;
  return null;
}

/**
 * Writes `packet[0..ahOffset)`, the IPv6 header and the extension headers in front of AH, to
 * `out[0..ahOffset)` as the AH ICV covers it. `ahOffset` comes from {@link findIpv6Header}
 * (outbound: from {@link findIpv6AhInsertion}, on the packet before AH goes in), so the header
 * lengths are known to fit; options and Routing headers are checked here. `out.length ≥ ahOffset`.
 * @internal
 */
export function ipv6IcvHeader(packet: Uint8Array, ahOffset: number, out: Uint8Array): AhDropReason | null {
  for (let i = 0; i < ahOffset; i++) out[i] = packet[i]!;
  // RFC 4302 §3.3.3.1.2.1 "Mutable (zeroed prior to ICV calculation)": DSCP and ECN (the traffic
  // class), the flow label and the hop limit. Version, Payload Length, Next Header and the
  // addresses stay.
  out[0] = out[0]! & 0xf0;
  out[1] = 0;
  out[2] = 0;
  out[3] = 0;
  out[V6.HOP_LIMIT] = 0;
  let nh = packet[V6.NEXT_HEADER]!;
  let off = IPV6_HEADER;
  while (off < ahOffset) {
    const length = (packet[off + 1]! + 1) * 8;
    const r =
      nh === IpProtocol.ROUTING
        ? routingAtDestination(packet, off, length, out)
        : zeroMutableOptions(packet, off, off + length, out);
    if (r !== null) return r;
    nh = packet[off]!;
    off += length;
  }
  return null;
}

/**
 * RFC 4302 §3.3.3.1.2.2: in Hop-by-Hop and Destination Options headers, "for any option for which
 * contents may change en-route, the entire 'Option Data' field must be treated as zero-valued
 * octets"; the Option Type and Opt Data Len stay covered. The options must fill the header exactly
 * (RFC 8200 §4.2 TLV encoding).
 */
function zeroMutableOptions(
  packet: Uint8Array,
  off: number,
  end: number,
  out: Uint8Array,
): AhDropReason | null {
  let i = off + 2;
  while (i < end) {
    const type = packet[i]!;
    if (type === OPT_PAD1) {
      i++;
      continue;
    }
    if (i + 2 > end) return "bad-extension-header";
    const data = i + 2;
    const dataEnd = data + packet[i + 1]!;
    if (dataEnd > end) return "bad-extension-header";
    if ((type & OPT_MAY_CHANGE) !== 0) out.fill(0, data, dataEnd);
    i = dataEnd;
  }
  return null;
}

/**
 * RFC 4302 §3.3.3.1.2.1 "Mutable but predictable: Destination Address (with Routing Extension
 * Header)" and Appendix A2: the Routing header "is included in the Integrity Check Value
 * calculation as mutable but predictable. The sender must order the field so that it appears as
 * it will at the receiver".
 *
 * For type 0 (RFC 2460 §4.4; deprecated by RFC 5095 but still defined) and type 2 (RFC 6275 §6.4,
 * one address) each hop swaps the destination address with the next listed address and
 * decrements Segments Left. With n addresses and s segments left, the first unvisited address is
 * number i = n − s + 1; at the destination, the destination address is address n, address i holds
 * the current destination, addresses i+1…n hold the former addresses i…n−1, and Segments Left is
 * 0. A header with Segments Left 0 is already in that form. Other routing types with segments left
 * (e.g. the RFC 8754 SRH) have no rule in RFC 4302: `unsupported-routing-header`.
 */
function routingAtDestination(
  packet: Uint8Array,
  off: number,
  length: number,
  out: Uint8Array,
): AhDropReason | null {
  const type = packet[off + 2]!;
  const segmentsLeft = packet[off + 3]!;
  if (segmentsLeft === 0) return null;
  if (type !== 0 && type !== 2) return "unsupported-routing-header";
  const n = (length - ROUTING_FIXED) / ADDRESS;
  // RFC 2460 §4.4: Hdr Ext Len is twice the number of addresses; RFC 6275 §6.4: type 2 has one.
  if (!Number.isInteger(n) || (type === 2 && n !== 1) || segmentsLeft > n) return "bad-extension-header";
  // Address k (1-based) starts at base + (k − 1) · 16.
  const base = off + ROUTING_FIXED - ADDRESS;
  const first = n - segmentsLeft + 1;
  copy(packet, base + n * ADDRESS, out, V6.DESTINATION, ADDRESS);
  copy(packet, V6.DESTINATION, out, base + first * ADDRESS, ADDRESS);
  copy(packet, base + first * ADDRESS, out, base + (first + 1) * ADDRESS, (n - first) * ADDRESS);
  out[off + 3] = 0;
  return null;
}

function copy(from: Uint8Array, at: number, to: Uint8Array, into: number, n: number): void {
  for (let k = 0; k < n; k++) to[into + k] = from[at + k]!;
}
