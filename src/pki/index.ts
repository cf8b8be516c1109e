/**
 * `src/pki`: X.509 certificates for IKE authentication: strict, bounded parsing (RFC 5280 §4),
 * path validation to trust anchors (RFC 5280 §6), identity matching (RFC 4945 §3.1), signature
 * AlgorithmIdentifiers (RFC 7427 §3, RFC 4055, RFC 5758, RFC 8410) and the CERTREQ
 * authority hash (RFC 7296 §3.7).
 *
 * @packageDocumentation
 */
export {
  encodeSignatureAlgorithm,
  parseSignatureAlgorithm,
  type SignatureAlgorithm,
  type SignatureKeyKind,
} from "./algorithms.js";
export { caKeyHash } from "./authority.js";
export {
  type BasicConstraints,
  type Certificate,
  type GeneralName,
  KeyUsage,
  MAX_CERTIFICATE_LENGTH,
  parseCertificate,
} from "./certificate.js";
export { type ChainOptions, verifyChain } from "./chain.js";
export { PkiError, type PkiErrorCode } from "./errors.js";
export { type CertificateIdentity, certificateMatchesIdentity } from "./match.js";
export type { DistinguishedName } from "./name.js";
export { parseCertificates, pemCertificates } from "./pem.js";
