/**
 * The IPv4 header as the AH ICV sees it (RFC 4302 §3.3.3.1.1): a copy with the mutable fields
 * zeroed, mutable options zeroed whole, and the destination address replaced by the final
 * destination when a source route is present.
 *
 * The copy goes to a per-SA scratch buffer, so the caller's packet is never modified for the
 * computation and nothing is allocated per packet.
 *
 * @packageDocumentation
 */

import { IPV4_MIN_HEADER, V4 } from "../ip/header.js";
import type { AhDropReason } from "./drop-reason.js";

/** RFC 791 §3.1 option types with their copy and class bits, as RFC 4302 Appendix A1 lists them. */
const OPT_EOL = 0x00;
const OPT_NOP = 0x01;
const OPT_LSRR = 0x83;
const OPT_SSRR = 0x89;

/**
 * RFC 4302 Appendix A1, "IMMUTABLE -- included in ICV calculation" (besides EOL and NOP):
 * Security (130), Extended Security (133), Commercial Security (134), Router Alert (148) and
 * Sender Directed Multi-Destination Delivery (149). Every other option, including unknown ones
 * (RFC 4302 §3.3.3.1: "it should zero the whole option, using the second byte of the option as
 * the length"), is zeroed.
 */
function isImmutableOption(type: number): boolean {
  return type === 0x82 || type === 0x85 || type === 0x86 || type === 0x94 || type === 0x95;
}

/** RFC 791 §3.1: a source route option is type, length, pointer, then 4-byte addresses. */
const ROUTE_DATA = 3;
const ADDRESS = 4;

/**
 * Writes `packet[0..headerLength)`, an IPv4 header with options, to `out[0..headerLength)` as the
 * AH ICV covers it.
 *
 * The caller has checked `IPV4_MIN_HEADER ≤ headerLength ≤ packet.length` and
 * `out.length ≥ headerLength`. Malformed options give `bad-ip-options`; nothing throws.
 *
 * @internal
 */
export function ipv4IcvHeader(
  packet: Uint8Array,
  headerLength: number,
  out: Uint8Array,
): AhDropReason | null {
  for (let i = 0; i < headerLength; i++) out[i] = packet[i]!;
  // RFC 4302 §3.3.3.1.1.1 "Mutable (zeroed prior to ICV calculation)": DSCP and ECN (the former
  // TOS byte), Flags, Fragment Offset, TTL and Header Checksum. Version, IHL, Total Length,
  // Identification, Protocol and the addresses stay.
  out[V4.TOS] = 0;
  out[V4.FLAGS_FRAGMENT] = 0;
  out[V4.FLAGS_FRAGMENT + 1] = 0;
  out[V4.TTL] = 0;
  out[V4.CHECKSUM] = 0;
  out[V4.CHECKSUM + 1] = 0;
  // RFC 4302 §3.3.3.1.1.2: options are classified per Appendix A1, each as a unit.
  let i = IPV4_MIN_HEADER;
  while (i < headerLength) {
    const type = packet[i]!;
    // RFC 791: End of Option List ends the list; the bytes after it are header padding, covered
    // as sent (RFC 4302 Appendix A1 NOTE: no unspecified bytes for a covert channel).
    if (type === OPT_EOL) break;
    if (type === OPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= headerLength) return "bad-ip-options";
    const length = packet[i + 1]!;
    if (length < 2 || i + length > headerLength) return "bad-ip-options";
    if (!isImmutableOption(type)) {
      if (type === OPT_LSRR || type === OPT_SSRR) {
        const r = finalDestination(packet, i, length, out);
        if (r !== null) return r;
      }
      // RFC 4302 §3.3.3.1.1.2: "if an option is classified as mutable, the entire option is
      // zeroed for ICV computation purposes".
      out.fill(0, i, i + length);
    }
    i += length;
  }
  return null;
}

/**
 * RFC 4302 §3.3.3.1.1.1 "Mutable but predictable: Destination Address (with loose or strict
 * source routing)": the ICV covers the address the packet will carry at its final destination.
 *
 * RFC 791 §3.1 (loose/strict source route): the pointer (1-based, within the option) names the
 * next address to visit; while it is not past the option, the route still has hops to go and the
 * final destination is the route's last address. Once the pointer is past the option, the route is
 * complete and the header's destination already is the final one. The same rule therefore holds
 * for the sender (route untouched) and for the receiver (route recorded over).
 */
function finalDestination(
  packet: Uint8Array,
  at: number,
  length: number,
  out: Uint8Array,
): AhDropReason | null {
  if (length < ROUTE_DATA) return "bad-ip-options";
  const pointer = packet[at + 2]!;
  if (pointer > length) return null;
  if (length < ROUTE_DATA + ADDRESS) return "bad-ip-options";
  const last = at + length - ADDRESS;
  for (let k = 0; k < ADDRESS; k++) out[V4.DESTINATION + k] = packet[last + k]!;
  return null;
}
