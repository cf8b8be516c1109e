/**
 * The packet fields an SPD lookup needs (RFC 4301 §4.4.1.1) and a bounded extractor that reads
 * them from raw IPv4 or IPv6 packet bytes.
 *
 * {@link PacketFields} is a mutable object the caller allocates once and refills for every
 * packet; {@link parsePacket} never throws and never reads past the buffer or the IP length
 * fields: malformed input yields a `PacketStatus` the caller drops on.
 *
 * @packageDocumentation
 */

import { IpProtocol } from "../ip/header.js";
import { addressWords, type IpAddress, type IpFamily, parseIp } from "./address.js";
import { PolicyError } from "./errors.js";
import { hasPorts, PROTOCOL_OPAQUE } from "./selector.js";

/**
 * Direction of a packet relative to the IPsec boundary: OUTBOUND (protected to unprotected,
 * RFC 4301 §5.1) maps source→local, INBOUND (§5.2) maps destination→local.
 * @public
 */
export const Direction = { OUTBOUND: 0, INBOUND: 1 } as const;
/** {@link (Direction:variable)} value. @public */
export type Direction = (typeof Direction)[keyof typeof Direction];

/**
 * Header fields of one packet, reused across packets.
 *
 * - Addresses are 32-bit words, most significant first: IPv4 uses word 0, IPv6 words 0–3.
 * - `protocol` is the next-layer protocol after the IPv6 extension headers RFC 4301 §4.4.1.1
 *   says to skip, or {@link PROTOCOL_OPAQUE} when it cannot be determined.
 * - Ports are −1 when not available (non-initial fragments, protocols without ports). For ICMP,
 *   ICMPv6 and the Mobility Header, both ports hold type·256+code (MH: type·256).
 * @public
 */
export interface PacketFields {
  family: IpFamily;
  readonly src: Uint32Array;
  readonly dst: Uint32Array;
  protocol: number;
  srcPort: number;
  dstPort: number;
}

/** A zeroed {@link PacketFields} to reuse. @public */
export function newPacketFields(): PacketFields {
  return {
    family: 4,
    src: new Uint32Array(4),
    dst: new Uint32Array(4),
    protocol: 0,
    srcPort: -1,
    dstPort: -1,
  };
}

/**
 * Fills `out` from text addresses (configuration, tests and examples; not for the data path).
 * @throws {@link PolicyError} `bad-address`, `mixed-family`.
 * @public
 */
export function setPacketFields(
  out: PacketFields,
  init: {
    src: string | IpAddress;
    dst: string | IpAddress;
    protocol: number;
    srcPort?: number;
    dstPort?: number;
  },
): PacketFields {
  const src = typeof init.src === "string" ? parseIp(init.src) : init.src;
  const dst = typeof init.dst === "string" ? parseIp(init.dst) : init.dst;
  if (src.family !== dst.family)
    throw new PolicyError("mixed-family", "source and destination families differ");
  out.family = src.family;
  out.src.fill(0);
  out.dst.fill(0);
  addressWords(src.family, src.value, out.src);
  addressWords(dst.family, dst.value, out.dst);
  out.protocol = init.protocol;
  out.srcPort = init.srcPort ?? -1;
  out.dstPort = init.dstPort ?? -1;
  return out;
}

/**
 * Outcome of {@link parsePacket}. Anything but OK means: drop the packet.
 * @public
 */
export const PacketStatus = {
  OK: 0,
  /** The buffer ends before a header or the length the IP header announces. */
  TRUNCATED: 1,
  /** The version nibble is neither 4 nor 6. */
  BAD_VERSION: 2,
  /** A length field is impossible (IHL below 5, total length below the header …). */
  BAD_HEADER: 3,
  /** Well formed but not classifiable: IPv6 jumbogram, more extension headers than allowed. */
  UNSUPPORTED: 4,
} as const;
/** {@link (PacketStatus:variable)} value. @public */
export type PacketStatus = (typeof PacketStatus)[keyof typeof PacketStatus];

/** RFC 4301 §4.4.1.1: the IPv6 extension headers to skip by default. */
const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const DEST_OPTIONS = 60;
/** Longest extension-header chain followed; a longer one is refused, not guessed. */
const MAX_EXTENSION_HEADERS = 16;

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** Reads the ports (or type/code) of `protocol` at `at`; `end` bounds the read. */
function readPorts(
  b: Uint8Array,
  at: number,
  end: number,
  protocol: number,
  out: PacketFields,
): PacketStatus {
  if (hasPorts(protocol)) {
    if (at + 4 > end) return PacketStatus.TRUNCATED;
    out.srcPort = (b[at]! << 8) | b[at + 1]!;
    out.dstPort = (b[at + 2]! << 8) | b[at + 3]!;
  } else if (protocol === IpProtocol.ICMP || protocol === IpProtocol.ICMPV6) {
    if (at + 2 > end) return PacketStatus.TRUNCATED;
    out.srcPort = out.dstPort = (b[at]! << 8) | b[at + 1]!;
  } else if (protocol === IpProtocol.MOBILITY_HEADER) {
    // RFC 4301 §4.4.1.1: the MH type goes in the most significant 8 bits.
    if (at + 3 > end) return PacketStatus.TRUNCATED;
    out.srcPort = out.dstPort = b[at + 2]! << 8;
  }
  return PacketStatus.OK;
}

function parseV4(b: Uint8Array, out: PacketFields): PacketStatus {
  if (b.length < 20) return PacketStatus.TRUNCATED;
  const ihl = (b[0]! & 0x0f) * 4;
  const total = (b[2]! << 8) | b[3]!;
  if (ihl < 20 || total < ihl) return PacketStatus.BAD_HEADER;
  if (total > b.length) return PacketStatus.TRUNCATED;
  out.family = 4;
  out.src[0] = u32(b, 12);
  out.dst[0] = u32(b, 16);
  out.protocol = b[9]!;
  // RFC 4301 §4.4.1.1: a non-initial fragment has no ports; they stay "not available".
  const fragmentOffset = ((b[6]! & 0x1f) << 8) | b[7]!;
  if (fragmentOffset !== 0) return PacketStatus.OK;
  return readPorts(b, ihl, total, out.protocol, out);
}

function parseV6(b: Uint8Array, out: PacketFields): PacketStatus {
  if (b.length < 40) return PacketStatus.TRUNCATED;
  const payload = (b[4]! << 8) | b[5]!;
  if (payload === 0) return PacketStatus.UNSUPPORTED; // a jumbogram (RFC 2675) or empty
  const end = 40 + payload;
  if (end > b.length) return PacketStatus.TRUNCATED;
  out.family = 6;
  for (let i = 0; i < 4; i++) {
    out.src[i] = u32(b, 8 + 4 * i);
    out.dst[i] = u32(b, 24 + 4 * i);
  }
  let next = b[6]!;
  let at = 40;
  for (let n = 0; ; n++) {
    if (next !== HOP_BY_HOP && next !== ROUTING && next !== DEST_OPTIONS && next !== FRAGMENT) break;
    if (n === MAX_EXTENSION_HEADERS) return PacketStatus.UNSUPPORTED;
    if (at + 8 > end) return PacketStatus.TRUNCATED;
    if (next === FRAGMENT) {
      const offset = ((b[at + 2]! << 8) | b[at + 3]!) >> 3;
      next = b[at]!;
      at += 8;
      if (offset !== 0) {
        // Non-initial fragment: no ports, and the protocol only if no further header follows.
        const isExtension =
          next === HOP_BY_HOP || next === ROUTING || next === DEST_OPTIONS || next === FRAGMENT;
        out.protocol = isExtension ? PROTOCOL_OPAQUE : next;
        return PacketStatus.OK;
      }
    } else {
      const len = (b[at + 1]! + 1) * 8;
      next = b[at]!;
      at += len;
      if (at > end) return PacketStatus.TRUNCATED;
    }
  }
  out.protocol = next;
  return readPorts(b, at, end, next, out);
}

/**
 * Extracts the selector fields of a raw IP packet into `out` (RFC 4301 §4.4.1.1, §5).
 *
 * Every read is bounded by the buffer and by the IP header's own length fields. IPv6 extension
 * headers 0, 43, 44 and 60 are skipped; AH and ESP count as next-layer protocols (RFC 4301
 * §4.4.1.1). Non-initial fragments leave ports at −1.
 * @returns `PacketStatus.OK`, or why the packet must be dropped; `out` is then unspecified.
 * @public
 */
export function parsePacket(packet: Uint8Array, out: PacketFields): PacketStatus {
  out.srcPort = -1;
  out.dstPort = -1;
  if (packet.length < 1) return PacketStatus.TRUNCATED;
  const version = packet[0]! >> 4;
  if (version === 4) return parseV4(packet, out);
  if (version === 6) return parseV6(packet, out);
  return PacketStatus.BAD_VERSION;
}
