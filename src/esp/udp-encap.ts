/**
 * UDP encapsulation of ESP for NAT traversal (RFC 3948): the UDP header, demultiplexing of what
 * arrives on port 4500 (ESP, IKE behind the non-ESP marker, NAT-keepalives), and the transport-mode
 * TCP/UDP checksum fix after decapsulation (RFC 3948 §3.1.2).
 *
 * @packageDocumentation
 */
import { checksumAdd, finishChecksum, IpProtocol, setU16, u16, V4, V6 } from "../ip/header.js";
import { IpLayout, parseUpperLayer } from "./ip.js";

/** The UDP header (RFC 768). @public */
export const UDP_HEADER_LENGTH = 8;

/** The port IKE moves to when a NAT is detected, and that carries ESP-in-UDP (RFC 3948 §2, RFC 3947 §4). @public */
export const NAT_T_PORT = 4500;

/** RFC 3948 §2.2: four zero bytes where an ESP packet has its SPI. */
const NON_ESP_MARKER_LENGTH = 4;
/** RFC 3948 §2.3: the NAT-keepalive payload is one byte, 0xFF. */
const KEEPALIVE_BYTE = 0xff;
/** TCP (RFC 9293 §3.1) and UDP (RFC 768) checksum field offsets and minimum header sizes. */
const TCP_CHECKSUM = 16;
const TCP_MIN_HEADER = 20;
const UDP_CHECKSUM = 6;

/**
 * What a UDP payload received on the NAT-T port is (RFC 3948 §2):
 * - `esp`: an ESP packet (non-zero SPI, at least SPI and sequence number);
 * - `ike`: an IKE message behind the 4-byte non-ESP marker (strip the marker before parsing);
 * - `keepalive`: a NAT-keepalive (one 0xFF byte), to be ignored (RFC 3948 §2.3);
 * - `malformed`: none of these.
 * @public
 */
export type UdpEncapsulatedKind = "esp" | "ike" | "keepalive" | "malformed";

/**
 * Classifies the UDP payload `b[start..end)` received on port 4500.
 * @public
 */
export function classifyUdpEncapsulated(b: Uint8Array, start = 0, end = b.length): UdpEncapsulatedKind {
  const n = end - start;
  if (n === 1) return b[start] === KEEPALIVE_BYTE ? "keepalive" : "malformed";
  if (n <= NON_ESP_MARKER_LENGTH) return "malformed";
  const marker = b[start]! | b[start + 1]! | b[start + 2]! | b[start + 3]!;
  // RFC 3948 §2.1: "The SPI field in the ESP header MUST NOT be a zero value", which is what makes
  // the zero marker unambiguous.
  if (marker === 0) return "ike";
  return n >= 8 ? "esp" : "malformed";
}

/**
 * Validates the UDP header of the datagram `b[start..end)` (its Length field must equal the
 * datagram's size, RFC 768) and returns where its payload starts, or -1.
 * @public
 */
export function udpPayloadStart(b: Uint8Array, start: number, end: number): number {
  if (end - start < UDP_HEADER_LENGTH || u16(b, start + 4) !== end - start) return -1;
  return start + UDP_HEADER_LENGTH;
}

/**
 * Writes an ESP-in-UDP header at `b[at..at+8)` for a datagram of `length` bytes (header included):
 * the ports, the length and a zero checksum (RFC 3948 §2.1: the IPv4 UDP checksum "SHOULD be
 * transmitted as a zero value").
 * @public
 */
export function writeUdpHeader(
  b: Uint8Array,
  at: number,
  sourcePort: number,
  destinationPort: number,
  length: number,
): void {
  setU16(b, at, sourcePort);
  setU16(b, at + 2, destinationPort);
  setU16(b, at + 4, length);
  setU16(b, at + UDP_CHECKSUM, 0);
}

/**
 * A NAT-keepalive payload: one 0xFF byte, sent from and to the ESP-in-UDP ports (RFC 3948 §2.3, §4).
 * @public
 */
export function natKeepalive(): Uint8Array {
  return Uint8Array.of(KEEPALIVE_BYTE);
}

/**
 * The peer's real addresses from the NAT-OA payloads (RFC 3947 §5.2, RFC 7296 §2.23), for the
 * incremental checksum fix of RFC 3948 §3.1.2 item 1. An address left out is taken to be the
 * one in the received packet.
 * @public
 */
export interface NatOriginalAddresses {
  /** The sender's real source address (4 or 16 bytes). */
  readonly source?: Uint8Array;
  /** The real destination address (4 or 16 bytes). */
  readonly destination?: Uint8Array;
}

/**
 * How a transport-mode SA with UDP encapsulation fixes the TCP/UDP checksum of a decapsulated
 * packet, whose IP addresses a NAT changed (RFC 3948 §3.1.2, "one of the following MUST be done"):
 * - NAT-OA addresses: incremental update (item 1);
 * - `recompute`: recompute over the pseudo-header (item 2);
 * - `zero-udp`: set a UDP-over-IPv4 checksum to zero (item 3); TCP, and UDP over IPv6 (where zero
 *   is not allowed, RFC 8200 §8.1), are recomputed;
 * - `none`: leave the packet alone (the caller handles it).
 * @public
 */
export type NatChecksumPolicy = "recompute" | "zero-udp" | "none" | NatOriginalAddresses;

/**
 * Applies `policy` to the IP packet `b[start..end)` if its upper layer is TCP or UDP.
 * @returns false when the packet is not a well-formed TCP or UDP packet (it is left unchanged).
 * @public
 */
export function fixTransportChecksum(
  b: Uint8Array,
  start: number,
  end: number,
  policy: NatChecksumPolicy,
): boolean {
  return fixTransportChecksumWith(b, start, end, policy, new IpLayout());
}

/**
 * {@link fixTransportChecksum} with a caller-owned layout scratch (the SA's, so nothing is
 * allocated per packet).
 * @internal
 */
export function fixTransportChecksumWith(
  b: Uint8Array,
  start: number,
  end: number,
  policy: NatChecksumPolicy,
  layout: IpLayout,
): boolean {
  if (policy === "none") return true;
  const at = transportChecksumAt(b, start, end, layout);
  if (at < 0) return false;
  const udp = b[start + layout.nextHeaderAt] === IpProtocol.UDP;
  if (typeof policy === "object") {
    incrementalFix(b, start, at, udp, layout.version, policy);
  } else if (policy === "zero-udp" && udp && layout.version === 4) {
    setU16(b, at, 0);
  } else {
    setU16(b, at, pseudoHeaderChecksum(b, start, layout, udp));
  }
  return true;
}

/**
 * Recomputes the TCP or UDP checksum of the IP packet `b[start..end)` over the IPv4 (RFC 768,
 * RFC 9293 §3.1) or IPv6 (RFC 8200 §8.1) pseudo-header.
 * @returns false when the packet is not a well-formed TCP or UDP packet (it is left unchanged).
 * @public
 */
export function recomputeTransportChecksum(b: Uint8Array, start: number, end: number): boolean {
  return fixTransportChecksum(b, start, end, "recompute");
}

/** Offset of the TCP/UDP checksum field, or -1 when the packet is not TCP/UDP or too short. */
function transportChecksumAt(b: Uint8Array, start: number, end: number, layout: IpLayout): number {
  if (parseUpperLayer(b, start, end - start, layout) !== "ok") return -1;
  const l4 = start + layout.headerLength;
  const l4Length = layout.totalLength - layout.headerLength;
  const protocol = b[start + layout.nextHeaderAt];
  if (protocol === IpProtocol.TCP) return l4Length >= TCP_MIN_HEADER ? l4 + TCP_CHECKSUM : -1;
  if (protocol === IpProtocol.UDP) return l4Length >= UDP_HEADER_LENGTH ? l4 + UDP_CHECKSUM : -1;
  return -1;
}

/** The checksum over the pseudo-header and the TCP/UDP packet, with its checksum field taken as 0. */
function pseudoHeaderChecksum(b: Uint8Array, start: number, layout: IpLayout, udp: boolean): number {
  const l4 = start + layout.headerLength;
  const l4End = start + layout.totalLength;
  const at = l4 + (udp ? UDP_CHECKSUM : TCP_CHECKSUM);
  setU16(b, at, 0);
  const v4 = layout.version === 4;
  // Source and destination are adjacent in both headers (RFC 791 §3.1, RFC 8200 §3).
  const addresses = start + (v4 ? V4.SOURCE : V6.SOURCE);
  let sum = checksumAdd(b, addresses, addresses + (v4 ? 8 : 32), 0);
  sum += b[start + layout.nextHeaderAt]! + (l4End - l4); // protocol and upper-layer length
  const c = finishChecksum(checksumAdd(b, l4, l4End, sum));
  // RFC 768: a computed UDP checksum of 0 is sent as all ones (0 means "no checksum").
  return udp && c === 0 ? 0xffff : c;
}

/**
 * RFC 3948 §3.1.2 item 1 with RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'): the sender's checksum
 * covers the real (NAT-OA) addresses m; the packet now carries the received ones m'.
 */
function incrementalFix(
  b: Uint8Array,
  start: number,
  at: number,
  udp: boolean,
  version: number,
  oa: NatOriginalAddresses,
): void {
  const old = u16(b, at);
  if (udp && old === 0 && version === 4) return; // no checksum to fix (RFC 768)
  const n = version === 4 ? 4 : 16;
  let sum = ~old & 0xffff;
  sum = addressDelta(b, start + (version === 4 ? V4.SOURCE : V6.SOURCE), n, oa.source, sum);
  sum = addressDelta(b, start + (version === 4 ? V4.DESTINATION : V6.DESTINATION), n, oa.destination, sum);
  const c = finishChecksum(sum);
  setU16(b, at, udp && c === 0 ? 0xffff : c);
}

/** Adds ~original + received, word by word, when the original address is known and of the right size. */
function addressDelta(
  b: Uint8Array,
  at: number,
  n: number,
  original: Uint8Array | undefined,
  sum: number,
): number {
  if (original === undefined || original.length !== n) return sum;
  for (let i = 0; i < n; i += 2) sum += (~((original[i]! << 8) | original[i + 1]!) & 0xffff) + u16(b, at + i);
  return sum;
}
