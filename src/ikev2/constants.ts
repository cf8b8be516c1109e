/**
 * IKEv2 numbers: exchange types, payload types, notify message types and the small enumerations
 * the payload codecs use (ID types, AUTH methods, TS types, CP types and attributes, EAP codes).
 *
 * Sources: RFC 7296 §3.1–§3.16 and the IANA "IKEv2 Parameters" registry as extended by RFC 4555
 * (MOBIKE), RFC 5685 (redirect), RFC 5723 (resumption), RFC 6023 (childless), RFC 6311 (message ID
 * sync), RFC 7383 (fragmentation), RFC 7427 (signature authentication), RFC 7619 (NULL auth),
 * RFC 8019 (puzzles), RFC 8784 (PPK), RFC 9242 (IKE_INTERMEDIATE) and RFC 9370 (multiple key
 * exchanges). Transform types and protocol IDs live in the shared crypto registry.
 *
 * @packageDocumentation
 */

/** IKEv2 exchange types (RFC 7296 §3.1; RFC 5723 §4.1; RFC 9242 §3; RFC 9370 §2.2.4). @public */
export const ExchangeType = {
  IKE_SA_INIT: 34,
  IKE_AUTH: 35,
  CREATE_CHILD_SA: 36,
  INFORMATIONAL: 37,
  IKE_SESSION_RESUME: 38,
  IKE_INTERMEDIATE: 43,
  IKE_FOLLOWUP_KE: 44,
} as const;

/**
 * IKEv2 payload type numbers (RFC 7296 §3.2; RFC 7383 §2.5 for SKF). Values 1–32 are IKEv1's and
 * are never assigned in IKEv2, so an IKEv2 decoder treats them as unknown payloads.
 * @public
 */
export const PayloadType = {
  NONE: 0,
  SA: 33,
  KE: 34,
  IDi: 35,
  IDr: 36,
  CERT: 37,
  CERTREQ: 38,
  AUTH: 39,
  Nonce: 40,
  N: 41,
  D: 42,
  V: 43,
  TSi: 44,
  TSr: 45,
  SK: 46,
  CP: 47,
  EAP: 48,
  SKF: 53,
} as const;

/** The RFC 7296 §3.2 notation of a payload type ike-ts decodes: `"SA"`, `"IDi"`, `"SKF"` … @public */
export type PayloadName = Exclude<keyof typeof PayloadType, "NONE">;

const PAYLOAD_NAMES = new Map<number, PayloadName>(
  (Object.entries(PayloadType) as [keyof typeof PayloadType, number][])
    .filter((e): e is [PayloadName, number] => e[0] !== "NONE")
    .map(([name, n]) => [n, name]),
);

/** The notation of a payload type number, or `undefined` when ike-ts does not decode it. @public */
export function payloadNameOf(payloadType: number): PayloadName | undefined {
  return PAYLOAD_NAMES.get(payloadType);
}

/**
 * IKEv2 notify message types (RFC 7296 §3.10.1 and the later RFCs named beside each group).
 * Types below {@link NOTIFY_STATUS_MIN} are errors, the rest status types.
 * @public
 */
export const NotifyType = {
  // RFC 7296 §3.10.1, error types.
  UNSUPPORTED_CRITICAL_PAYLOAD: 1,
  INVALID_IKE_SPI: 4,
  INVALID_MAJOR_VERSION: 5,
  INVALID_SYNTAX: 7,
  INVALID_MESSAGE_ID: 9,
  INVALID_SPI: 11,
  NO_PROPOSAL_CHOSEN: 14,
  INVALID_KE_PAYLOAD: 17,
  AUTHENTICATION_FAILED: 24,
  SINGLE_PAIR_REQUIRED: 34,
  NO_ADDITIONAL_SAS: 35,
  INTERNAL_ADDRESS_FAILURE: 36,
  FAILED_CP_REQUIRED: 37,
  TS_UNACCEPTABLE: 38,
  INVALID_SELECTORS: 39,
  // RFC 4555 §6 (MOBIKE), error types.
  UNACCEPTABLE_ADDRESSES: 40,
  UNEXPECTED_NAT_DETECTED: 41,
  // RFC 7296 §3.10.1 (continued).
  TEMPORARY_FAILURE: 43,
  CHILD_SA_NOT_FOUND: 44,
  // RFC 9370 §2.2.4.
  STATE_NOT_FOUND: 47,
  // RFC 7296 §3.10.1, status types.
  INITIAL_CONTACT: 16384,
  SET_WINDOW_SIZE: 16385,
  ADDITIONAL_TS_POSSIBLE: 16386,
  IPCOMP_SUPPORTED: 16387,
  NAT_DETECTION_SOURCE_IP: 16388,
  NAT_DETECTION_DESTINATION_IP: 16389,
  COOKIE: 16390,
  USE_TRANSPORT_MODE: 16391,
  HTTP_CERT_LOOKUP_SUPPORTED: 16392,
  REKEY_SA: 16393,
  ESP_TFC_PADDING_NOT_SUPPORTED: 16394,
  NON_FIRST_FRAGMENTS_ALSO: 16395,
  // RFC 4555 §6 (MOBIKE).
  MOBIKE_SUPPORTED: 16396,
  ADDITIONAL_IP4_ADDRESS: 16397,
  ADDITIONAL_IP6_ADDRESS: 16398,
  NO_ADDITIONAL_ADDRESSES: 16399,
  UPDATE_SA_ADDRESSES: 16400,
  COOKIE2: 16401,
  NO_NATS_ALLOWED: 16402,
  // RFC 4478, RFC 4739.
  AUTH_LIFETIME: 16403,
  MULTIPLE_AUTH_SUPPORTED: 16404,
  ANOTHER_AUTH_FOLLOWS: 16405,
  // RFC 5685 §10 (redirect).
  REDIRECT_SUPPORTED: 16406,
  REDIRECT: 16407,
  REDIRECTED_FROM: 16408,
  // RFC 5723 §11 (session resumption).
  TICKET_LT_OPAQUE: 16409,
  TICKET_REQUEST: 16410,
  TICKET_ACK: 16411,
  TICKET_NACK: 16412,
  TICKET_OPAQUE: 16413,
  // RFC 5739, RFC 5840, RFC 5857, RFC 5998.
  LINK_ID: 16414,
  USE_WESP_MODE: 16415,
  ROHC_SUPPORTED: 16416,
  EAP_ONLY_AUTHENTICATION: 16417,
  // RFC 6023 §4.
  CHILDLESS_IKEV2_SUPPORTED: 16418,
  // RFC 6290, RFC 6311 §11.
  QUICK_CRASH_DETECTION: 16419,
  IKEV2_MESSAGE_ID_SYNC_SUPPORTED: 16420,
  IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED: 16421,
  IKEV2_MESSAGE_ID_SYNC: 16422,
  IPSEC_REPLAY_COUNTER_SYNC: 16423,
  // RFC 6467, RFC 6631.
  SECURE_PASSWORD_METHODS: 16424,
  PSK_PERSIST: 16425,
  PSK_CONFIRM: 16426,
  // RFC 6867; 3GPP TS 24.303.
  ERX_SUPPORTED: 16427,
  IFOM_CAPABILITY: 16428,
  // RFC 7383 §4.
  IKEV2_FRAGMENTATION_SUPPORTED: 16430,
  // RFC 7427 §7.
  SIGNATURE_HASH_ALGORITHMS: 16431,
  // RFC 7791.
  CLONE_IKE_SA_SUPPORTED: 16432,
  CLONE_IKE_SA: 16433,
  // RFC 8019 §12.
  PUZZLE: 16434,
  // RFC 8784 §6.
  USE_PPK: 16435,
  PPK_IDENTITY: 16436,
  NO_PPK_AUTH: 16437,
  // RFC 9242 §6.
  INTERMEDIATE_EXCHANGE_SUPPORTED: 16438,
  // RFC 8983.
  IP4_ALLOWED: 16439,
  IP6_ALLOWED: 16440,
  // RFC 9370 §5.
  ADDITIONAL_KEY_EXCHANGE: 16441,
  // RFC 9347.
  USE_AGGFRAG: 16442,
} as const;

/** First status notify type; every smaller type is an error type (RFC 7296 §3.10.1). @public */
export const NOTIFY_STATUS_MIN = 16384;

/** True for error notify types (0–16383, RFC 7296 §3.10.1). @public */
export function isErrorNotify(notifyType: number): boolean {
  return notifyType < NOTIFY_STATUS_MIN;
}

const NOTIFY_NAMES = new Map<number, string>(
  Object.entries(NotifyType).map(([name, n]) => [n, name] as [number, string]),
);

/**
 * A notify type's name for logs: `"INVALID_SYNTAX"`, or `"ERROR_42"` / `"STATUS_16500"` for
 * types ike-ts does not know (RFC 7296 §3.10.1: unknown types are logged, not fatal).
 * @public
 */
export function notifyName(notifyType: number): string {
  return NOTIFY_NAMES.get(notifyType) ?? `${isErrorNotify(notifyType) ? "ERROR" : "STATUS"}_${notifyType}`;
}

const EXCHANGE_NAMES = new Map<number, string>(
  Object.entries(ExchangeType).map(([name, n]) => [n, name] as [number, string]),
);

/** An exchange type's name for logs, or `"EXCHANGE_<n>"`. @public */
export function exchangeName(exchangeType: number): string {
  return EXCHANGE_NAMES.get(exchangeType) ?? `EXCHANGE_${exchangeType}`;
}

/** A payload type's RFC 7296 §3.2 notation for logs, or `"PAYLOAD_<n>"`. @public */
export function payloadTypeName(payloadType: number): string {
  return payloadNameOf(payloadType) ?? `PAYLOAD_${payloadType}`;
}

/** Identification types (RFC 7296 §3.5; RFC 7619 §3 for ID_NULL). @public */
export const IdType = {
  ID_IPV4_ADDR: 1,
  ID_FQDN: 2,
  ID_RFC822_ADDR: 3,
  ID_IPV6_ADDR: 5,
  ID_DER_ASN1_DN: 9,
  ID_DER_ASN1_GN: 10,
  ID_KEY_ID: 11,
  ID_NULL: 13,
} as const;

/** Certificate encodings for CERT and CERTREQ (RFC 7296 §3.6; RFC 7670 for raw public keys). @public */
export const CertEncoding = {
  PKCS7_WRAPPED_X509: 1,
  PGP: 2,
  DNS_SIGNED_KEY: 3,
  X509_SIGNATURE: 4,
  KERBEROS_TOKEN: 6,
  CRL: 7,
  ARL: 8,
  SPKI: 9,
  X509_ATTRIBUTE: 10,
  RAW_RSA_KEY: 11,
  HASH_URL_X509_CERT: 12,
  HASH_URL_X509_BUNDLE: 13,
  OCSP_CONTENT: 14,
  RAW_PUBLIC_KEY: 15,
} as const;

/** Authentication methods (RFC 7296 §3.8; RFC 4754; RFC 6467; RFC 7619; RFC 7427 §7). @public */
export const AuthMethod = {
  RSA_SIGNATURE: 1,
  SHARED_KEY_MIC: 2,
  DSS_SIGNATURE: 3,
  ECDSA_SHA256_P256: 9,
  ECDSA_SHA384_P384: 10,
  ECDSA_SHA512_P521: 11,
  GENERIC_SECURE_PASSWORD: 12,
  NULL: 13,
  DIGITAL_SIGNATURE: 14,
} as const;

/** Traffic selector types ike-ts decodes (RFC 7296 §3.13.1). @public */
export const TsType = {
  TS_IPV4_ADDR_RANGE: 7,
  TS_IPV6_ADDR_RANGE: 8,
} as const;

/** Configuration payload types (RFC 7296 §3.15). @public */
export const CfgType = {
  CFG_REQUEST: 1,
  CFG_REPLY: 2,
  CFG_SET: 3,
  CFG_ACK: 4,
} as const;

/** Configuration attribute types (RFC 7296 §3.15.1). @public */
export const ConfigAttributeType = {
  INTERNAL_IP4_ADDRESS: 1,
  INTERNAL_IP4_NETMASK: 2,
  INTERNAL_IP4_DNS: 3,
  INTERNAL_IP4_NBNS: 4,
  INTERNAL_IP4_DHCP: 6,
  APPLICATION_VERSION: 7,
  INTERNAL_IP6_ADDRESS: 8,
  INTERNAL_IP6_DNS: 10,
  INTERNAL_IP6_DHCP: 12,
  INTERNAL_IP4_SUBNET: 13,
  SUPPORTED_ATTRIBUTES: 14,
  INTERNAL_IP6_SUBNET: 15,
} as const;

/** EAP codes (RFC 3748 §4; RFC 6696 §5 for Initiate and Finish). @public */
export const EapCode = {
  REQUEST: 1,
  RESPONSE: 2,
  SUCCESS: 3,
  FAILURE: 4,
  INITIATE: 5,
  FINISH: 6,
} as const;

/** Transform attribute types (RFC 7296 §3.3.5). @public */
export const TransformAttributeType = {
  KEY_LENGTH: 14,
} as const;

/** Hash algorithm identifiers for SIGNATURE_HASH_ALGORITHMS (RFC 7427 §7; RFC 8420). @public */
export const HashAlgorithm = {
  SHA1: 1,
  SHA2_256: 2,
  SHA2_384: 3,
  SHA2_512: 4,
  IDENTITY: 5,
} as const;
