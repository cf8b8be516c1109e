/**
 * `ike-ts/ah`: AH (RFC 4302) security associations with mutable-field handling for IPv4 and
 * IPv6, and AH+ESP bundles.
 *
 * @packageDocumentation
 */

export {
  AhEspInboundBundle,
  type AhEspInboundOptions,
  AhEspOutboundBundle,
  type AhEspOutboundOptions,
  AhEspResult,
} from "./bundle.js";
export type { AhDropReason } from "./drop-reason.js";
export { type AhInboundOptions, AhInboundSa } from "./inbound.js";
export type { AhResult, AhSaOptions } from "./options.js";
export { type AhOutboundOptions, AhOutboundSa } from "./outbound.js";
export type { AhTunnel } from "./tunnel.js";
