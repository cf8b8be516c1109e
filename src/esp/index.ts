/**
 * `ike-ts/esp`: ESP (RFC 4303) security associations — the zero-copy data plane — with UDP
 * encapsulation (RFC 3948) and the overhead / plaintext-MTU calculator.
 *
 * @packageDocumentation
 */

export { IpProtocol } from "../ip/header.js";
export type { EspDropReason } from "./drop-reason.js";
export { ESP_HEADER_LENGTH } from "./header.js";
export { type EspEsnResync, type EspInboundOptions, EspInboundResult, EspInboundSa } from "./inbound.js";
export { type EspFraming, espOverhead, plaintextMtu } from "./mtu.js";
export type { EspSaOptions, EspUdpEncapsulation } from "./options.js";
export { type EspIvSource, type EspOutboundOptions, EspOutboundSa } from "./outbound.js";
export {
  classifyUdpEncapsulated,
  fixTransportChecksum,
  NAT_T_PORT,
  type NatChecksumPolicy,
  type NatOriginalAddresses,
  natKeepalive,
  recomputeTransportChecksum,
  UDP_HEADER_LENGTH,
  type UdpEncapsulatedKind,
  udpPayloadStart,
  writeUdpHeader,
} from "./udp-encap.js";
