/**
 * IP header checks the AH data plane needs beyond the shared header facts in ../ip/header.ts.
 *
 * @packageDocumentation
 */

import { IPV4_MIN_HEADER, IPV6_HEADER, u16, V4, V6 } from "../ip/header.js";
import type { AhDropReason } from "./drop-reason.js";

/**
 * Checks that `p` is exactly one IPv4 or IPv6 packet: a known version, a header that fits and a
 * length field equal to `p.length` (RFC 791 §3.1 Total Length; RFC 8200 §3 Payload Length, so no
 * jumbograms). Returns the base header length (IHL·4, or 40), or why not.
 * @internal
 */
export function ipHeaderLength(p: Uint8Array): number | AhDropReason {
  if (p.length === 0) return "truncated";
  const version = p[0]! >>> 4;
  if (version === 4) {
    if (p.length < IPV4_MIN_HEADER) return "truncated";
    const ihl = (p[0]! & 0x0f) * 4;
    const total = u16(p, V4.TOTAL_LENGTH);
    if (ihl < IPV4_MIN_HEADER || total < ihl) return "bad-ip-header";
    if (total > p.length) return "truncated";
    return total === p.length ? ihl : "bad-ip-header";
  }
  if (version === 6) {
    if (p.length < IPV6_HEADER) return "truncated";
    const total = IPV6_HEADER + u16(p, V6.PAYLOAD_LENGTH);
    if (total > p.length) return "truncated";
    return total === p.length ? IPV6_HEADER : "bad-ip-header";
  }
  return "bad-ip-header";
}
