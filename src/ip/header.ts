/**
 * IPv4/IPv6 header facts shared by the data plane (ESP, AH) and the SPD: protocol numbers, header
 * sizes, field offsets, big-endian field access and the Internet checksum. Offsets are relative
 * to the first byte of the IP header. Nothing here reads outside the bounds it is given.
 *
 * @packageDocumentation
 */

/** IANA protocol numbers the data plane deals with (RFC 8200 §4 for the IPv6 extension headers). @public */
export const IpProtocol = {
  HOP_BY_HOP: 0,
  ICMP: 1,
  IPV4: 4,
  TCP: 6,
  UDP: 17,
  DCCP: 33,
  IPV6: 41,
  ROUTING: 43,
  FRAGMENT: 44,
  GRE: 47,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  /** "No Next Header": an ESP dummy packet (RFC 4303 §2.6). */
  NO_NEXT_HEADER: 59,
  DESTINATION_OPTIONS: 60,
  SCTP: 132,
  /** RFC 6275: ports are OPAQUE for it in the SPD (RFC 4301 §4.4.1.1). */
  MOBILITY_HEADER: 135,
  UDPLITE: 136,
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

/** IPv4 More Fragments flag and Fragment Offset in the flags/offset field (RFC 791 §3.1). @internal */
export const V4_MF_OR_OFFSET = 0x3fff;
/** IPv4 Don't Fragment flag in the flags/offset field (RFC 791 §3.1). @internal */
export const V4_DF = 0x4000;
/** IPv6 Fragment header: Fragment Offset and M flag (RFC 8200 §4.5); zero in an atomic fragment. @internal */
export const V6_OFFSET_OR_M = 0xfff9;

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
 * Adds `b[start..end)` as big-endian 16-bit words to `sum` (RFC 1071 §4.1; an odd last byte is
 * padded with zero). The result is not folded: pass it on or to {@link finishChecksum}.
 * @internal
 */
export function checksumAdd(b: Uint8Array, start: number, end: number, sum: number): number {
  let i = start;
  for (; i + 1 < end; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (i < end) sum += b[i]! << 8;
  return sum;
}

/** Folds a {@link checksumAdd} sum to 16 bits and complements it (RFC 1071 §4.1). @internal */
export function finishChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** Recomputes the IPv4 header checksum of the header at `b[at..at+headerLength)` (RFC 791 §3.1). @internal */
export function writeIpv4Checksum(b: Uint8Array, at: number, headerLength: number): void {
  b[at + V4.CHECKSUM] = 0;
  b[at + V4.CHECKSUM + 1] = 0;
  setU16(b, at + V4.CHECKSUM, finishChecksum(checksumAdd(b, at, at + headerLength, 0)));
}
