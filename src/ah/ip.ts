/**
 * The few IPv4/IPv6 header facts the AH data plane needs: protocol numbers, header sizes, field
 * offsets and the IPv4 header checksum. Offsets are relative to the first byte of the IP header.
 *
 * @packageDocumentation
 */
import type { AhDropReason } from "./drop-reason.js";

/** IANA protocol numbers AH deals with (RFC 8200 §4 for the IPv6 extension headers). @internal */
export const IpProtocol = {
  HOP_BY_HOP: 0,
  IPV4: 4,
  IPV6: 41,
  ROUTING: 43,
  FRAGMENT: 44,
  ESP: 50,
  AH: 51,
  DESTINATION_OPTIONS: 60,
} as const;

/** RFC 791 §3.1: an IPv4 header without options. @internal */
export const IPV4_MIN_HEADER = 20;
/** RFC 8200 §3: the fixed IPv6 header. @internal */
export const IPV6_HEADER = 40;
/** Largest value of the IPv4 Total Length and IPv6 Payload Length fields. @internal */
export const IP_MAX_LENGTH = 0xffff;

/** IPv4 field offsets (RFC 791 §3.1). @internal */
export const V4 = {
  TOS: 1,
  TOTAL_LENGTH: 2,
  IDENTIFICATION: 4,
  FLAGS_FRAGMENT: 6,
  TTL: 8,
  PROTOCOL: 9,
  CHECKSUM: 10,
  SOURCE: 12,
  DESTINATION: 16,
} as const;

/** IPv6 field offsets (RFC 8200 §3). @internal */
export const V6 = {
  PAYLOAD_LENGTH: 4,
  NEXT_HEADER: 6,
  HOP_LIMIT: 7,
  SOURCE: 8,
  DESTINATION: 24,
} as const;

/** IPv4 More Fragments flag and Fragment Offset mask in the 16-bit flags/offset field. @internal */
export const V4_MF_OR_OFFSET = 0x3fff;
/** IPv4 Don't Fragment flag in the 16-bit flags/offset field. @internal */
export const V4_DF = 0x4000;

/** Big-endian 16-bit read. @internal */
export function u16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

/** Big-endian 16-bit write. @internal */
export function setU16(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 8;
  b[at + 1] = v & 0xff;
}

/** Big-endian 32-bit read (unsigned). @internal */
export function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** Big-endian 32-bit write. @internal */
export function setU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/**
 * Recomputes the IPv4 header checksum of the header at `b[at..at+headerLength)` in place
 * (RFC 791 §3.1: one's complement of the one's complement sum of the header's 16-bit words, the
 * checksum field taken as zero).
 * @internal
 */
export function writeIpv4Checksum(b: Uint8Array, at: number, headerLength: number): void {
  b[at + V4.CHECKSUM] = 0;
  b[at + V4.CHECKSUM + 1] = 0;
  let sum = 0;
  for (let i = at; i < at + headerLength; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  setU16(b, at + V4.CHECKSUM, ~sum & 0xffff);
}

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
