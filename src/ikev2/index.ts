/**
 * `ike-ts/ikev2`: IKEv2 message codecs and declarative message rules (RFC 7296 §3), the key
 * schedule (RFC 7296 §2.13–2.18), SK/SKF payload protection and fragment reassembly (RFC 7383).
 *
 * Decode a datagram with {@link decodeMessage}, check it with {@link checkRules}, and answer any
 * {@link WireError} or {@link RuleViolation} with the notify {@link errorNotify} names. Keys come
 * from {@link deriveIkeSaKeys} / {@link deriveChildSaKeys}; {@link SkProtection} encrypts and
 * verifies messages with them.
 *
 * @packageDocumentation
 */
// The bounded reader/writer and error type the codecs take and throw, so this entry point is
// usable on its own (the same classes as `ike-ts/wire`).
export { isWireError, WireError, type WireErrorCode } from "../wire/errors.js";
export { Reader } from "../wire/reader.js";
export { Writer } from "../wire/writer.js";
export {
  type ChainOptions,
  decodeInnerPayloads,
  encodeInnerPayloads,
  type InnerPayloads,
  MAX_PAYLOADS,
  type Payload,
  payloadTypeOf,
  type UnknownPayload,
} from "./chain.js";
export {
  AuthMethod,
  CertEncoding,
  CfgType,
  ConfigAttributeType,
  EapCode,
  ExchangeType,
  exchangeName,
  HashAlgorithm,
  IdType,
  isErrorNotify,
  NOTIFY_STATUS_MIN,
  NotifyType,
  notifyName,
  type PayloadName,
  PayloadType,
  payloadNameOf,
  payloadTypeName,
  TransformAttributeType,
  TsType,
} from "./constants.js";
export {
  type ErrorNotify,
  errorNotify,
  InvalidMajorVersionError,
  UnsupportedCriticalPayloadError,
} from "./errors.js";
export {
  type DecodedHeader,
  decodeHeader,
  encodeHeader,
  HEADER_LENGTH,
  HEADER_LENGTH_OFFSET,
  HeaderFlag,
  IKE_MAJOR_VERSION,
  IKE_SPI_LENGTH,
  type IkeHeader,
} from "./header.js";
export {
  type ChildSaKeyInput,
  type ChildSaKeys,
  type ChildSuite,
  deriveChildSaKeys,
  deriveIkeSaKeys,
  deriveRekeyedIkeSaKeys,
  type IkeSaKeyInput,
  type IkeSaKeys,
  type IkeSaRekeyInput,
  type IkeSuite,
} from "./keys.js";
export { decodeMessage, encodeMessage, type IkeMessage } from "./message.js";
export {
  type AuthPayload,
  decodeAuth,
  decodeSignatureAuthData,
  encodeAuth,
  encodeSignatureAuthData,
  type SignatureAuthData,
} from "./payloads/auth.js";
export { type CertPayload, decodeCert, encodeCert } from "./payloads/cert.js";
export {
  CA_HASH_LENGTH,
  type CertReqPayload,
  caHashes,
  decodeCertReq,
  encodeCertReq,
} from "./payloads/certreq.js";
export { type ConfigAttribute, type CpPayload, decodeCp, encodeCp } from "./payloads/cp.js";
export { type DeletePayload, decodeDelete, encodeDelete } from "./payloads/delete.js";
export { decodeEap, type EapPayload, encodeEap } from "./payloads/eap.js";
export { CRITICAL_BIT, GENERIC_HEADER_LENGTH, MAX_PAYLOAD_LENGTH } from "./payloads/generic.js";
export { decodeId, encodeId, type IdPayload } from "./payloads/id.js";
export { decodeKe, encodeKe, type KePayload } from "./payloads/ke.js";
export {
  decodeNonce,
  encodeNonce,
  NONCE_MAX_LENGTH,
  NONCE_MIN_LENGTH,
  type NoncePayload,
} from "./payloads/nonce.js";
export {
  decodeNotify,
  decodeSignatureHashAlgorithms,
  encodeNotify,
  encodeSignatureHashAlgorithms,
  type NotifyPayload,
} from "./payloads/notify.js";
export {
  decodeSa,
  encodeSa,
  keyLength,
  type Proposal,
  type SaPayload,
  type TlvAttribute,
  type Transform,
  type TransformAttribute,
  type TvAttribute,
} from "./payloads/sa.js";
export { decodeSk, encodeSk, type SkPayload } from "./payloads/sk.js";
export { decodeSkf, encodeSkf, type SkfPayload } from "./payloads/skf.js";
export { decodeTs, encodeTs, type TrafficSelector, type TsPayload } from "./payloads/ts.js";
export { decodeVendor, encodeVendor, type VendorPayload } from "./payloads/vendor.js";
export {
  checkRules,
  describeViolation,
  type ExchangeRules,
  MESSAGE_RULES,
  type MessageShape,
  type PayloadRule,
  type RuleCheck,
  type RuleViolation,
  rulesFor,
} from "./rules.js";
export { parseIpAddress } from "./session/address.js";
export { AddressPool } from "./session/address-pool.js";
export { IkeResponderGuard, type IkeResponderGuardOptions } from "./session/cookie.js";
export {
  IkeEndpoint,
  type IkeEndpointEvent,
  type IkeEndpointOptions,
  type IkeEndpointOutput,
} from "./session/endpoint.js";
export { IkeSession } from "./session/ike-session.js";
export {
  type EncryptionChoice,
  type EspProposalConfig,
  type IkeProposalConfig,
  IOS_DEFAULT_IKE_PROPOSAL,
  parseEspProposal,
  parseIkeProposal,
} from "./session/proposal-strings.js";
export type {
  AddressAllocator,
  ChildLifetime,
  ChildSaInfo,
  ConfigReplyOptions,
  ConfigRequestOptions,
  Endpoint,
  IdentityConfig,
  IkeDownReason,
  IkeEvent,
  IkeLogger,
  IkeOutput,
  IkeSaSnapshot,
  IkeSessionConfig,
  IkeSessionDeps,
  IkeSessionState,
  KeyStore,
  LocalAuthConfig,
  LocalEndpoint,
  OutboundDatagram,
  PskStore,
  RetransmitConfig,
  TrafficSelectorConfig,
} from "./session/types.js";
export { counterIvSource, randomIvSource, type SkIvSource } from "./sk-iv.js";
export {
  type FragmentLimits,
  type IkeRole,
  type SkFragment,
  type SkOpenFailure,
  type SkOpenResult,
  SkProtection,
  type SkProtectionOptions,
} from "./sk-protect.js";
export {
  DEFAULT_MAX_FRAGMENTS,
  DEFAULT_MAX_REASSEMBLY_BYTES,
  type DecryptedFragment,
  FragmentReassembler,
  type FragmentReceiveResult,
  type FragmentReject,
  type ReassemblyOptions,
  type ReassemblyResult,
} from "./sk-reassembly.js";
