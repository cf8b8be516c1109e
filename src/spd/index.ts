/**
 * `ike-ts/spd`: the security policy database (RFC 4301 §4.4.1) with a fast first-match classifier,
 * Cisco crypto-map and ACL front ends, IKEv2 traffic-selector algebra (RFC 7296 §2.9) and the
 * RFC 4301 §5 packet-processing decisions.
 *
 * @packageDocumentation
 */
export { type AccessList, type AccessListEntry, parseAccessListEntry, parseAccessLists } from "./acl.js";
export {
  type AddressRange,
  addressWords,
  anyAddress,
  checkAddressRange,
  formatAddressRange,
  formatIp,
  hostRange,
  type IpAddress,
  type IpFamily,
  maxAddress,
  parseAddressRange,
  parseIp,
  prefixLength,
  prefixRange,
  rangeContains,
  rangesOverlap,
  wildcardRange,
  wordsToAddress,
} from "./address.js";
export {
  type CryptoConfig,
  type CryptoConfigOptions,
  type CryptoGlobals,
  type CryptoMapEntryConfig,
  type CryptoMapSettings,
  type CryptoPeer,
  type DynamicMapEntryConfig,
  parseCryptoConfig,
  type SessionKey,
} from "./cryptoconfig.js";
export {
  type CryptoMapEntry,
  type CryptoMapOptions,
  CryptoMapPolicy,
  type CryptoMapWarning,
  compileCryptoMap,
  DEFAULT_REPLAY_WINDOW,
  type FlowMatch,
  MAX_TRANSFORM_SETS,
  type ManualSa,
  REPLAY_WINDOW_RANGE,
  type TsMatch,
} from "./cryptomap.js";
export { isPolicyError, PolicyError, type PolicyErrorCode, type PolicyErrorLocation } from "./errors.js";
export {
  Direction,
  newPacketFields,
  type PacketFields,
  PacketStatus,
  parsePacket,
  setPacketFields,
} from "./packet.js";
export { checkPeers, PeerList } from "./peers.js";
export {
  type AcquireRequest,
  IpsecProcessor,
  type OutboundResult,
  type ProcessorOptions,
  Verdict,
} from "./processing.js";
export {
  checkSelectorSet,
  formatSelectorSet,
  hasPorts,
  hasTypeCode,
  icmpSelector,
  isPortAny,
  isPortOpaque,
  mirrorSelectorSet,
  PORT_ANY,
  PORT_OPAQUE,
  type PortRange,
  PROTOCOL_ANY,
  PROTOCOL_OPAQUE,
  portRange,
  type SelectorSet,
  selectorContains,
  selectorSet,
  selectorsOverlap,
} from "./selector.js";
export {
  type PolicyDirection,
  Spd,
  type SpdAction,
  type SpdEntry,
  type SpdEntryInit,
  type SpdOptions,
  type SpdPosition,
} from "./spd.js";
export { PFP_NONE, PFP_PER_HOST, type PfpFlags, type SaOrigin, type SaTemplate } from "./template.js";
export {
  type EspCipher,
  formatTransformSet,
  type IpsecMode,
  MAX_TRANSFORMS_PER_SET,
  parseTransformSet,
  type TransformSet,
  type TransformSetOptions,
} from "./transform.js";
export {
  checkTrafficSelector,
  intersectTs,
  MAX_TRAFFIC_SELECTORS,
  type NarrowResult,
  narrowTrafficSelectors,
  rekeySelectorsAcceptable,
  selectorSetToTs,
  type TrafficSelector,
  type TsProposal,
  TsType,
  tsContains,
  tsEquals,
  tsToSelectorSets,
  tsType,
} from "./ts.js";
