/**
 * `ike-ts/crypto`: the algorithm registry, the backend interface, the pure-TypeScript backend,
 * the PRF layer and an asynchronous WebCrypto data plane.
 *
 * @packageDocumentation
 */
export type {
  AeadAlgorithm,
  AeadKey,
  AsyncDataPlaneCrypto,
  CipherAlgorithm,
  CipherKey,
  ControlPlaneCrypto,
  CryptoBackend,
  CryptoErrorCode,
  DataPlaneCrypto,
  HashAlgorithm,
  KeyExchange,
  MacAlgorithm,
  MacKey,
  MaybeAsync,
  SignatureScheme,
} from "./backend.js";
export { CryptoError } from "./backend.js";
export { MODP_GROUP_IDS, type ModpGroup, modpGroup } from "./groups.js";
export {
  type EcCurve,
  type EcPrivateKey,
  type EcPublicKey,
  type EdPrivateKey,
  type EdPublicKey,
  type ParsedPrivateKey,
  type ParsedPublicKey,
  parsePkcs8,
  parseSpki,
  pemToDer,
  type RsaPrivateKey,
  type RsaPublicKey,
} from "./keys.js";
export { nobleControlPlane } from "./noble/control-plane.js";
export { nobleDataPlane } from "./noble/data-plane.js";
export { nobleBackend } from "./noble/index.js";
export { createPrf, type Prf, prfPlus } from "./prf.js";
export {
  ENCRYPTION,
  type EncryptionSpec,
  Esn,
  encryptionByIkev2,
  encryptionByName,
  INTEGRITY,
  type IntegritySpec,
  integrityByIkev2,
  integrityByName,
  KE_GROUPS,
  type KeGroupSpec,
  keGroupById,
  keGroupByName,
  PRF,
  type PrfSpec,
  ProtocolId,
  prfByIkev2,
  prfByName,
  TransformType,
} from "./registry.js";
export {
  createWebCryptoDataPlane,
  type WebCryptoBytes,
  type WebCryptoCipherParams,
  type WebCryptoKey,
  type WebCryptoSubtle,
} from "./webcrypto.js";
