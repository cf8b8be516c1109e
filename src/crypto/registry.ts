/**
 * One registry of IANA numbers and algorithm properties, shared by IKEv1, IKEv2, ESP and AH.
 *
 * Sources: IANA "Internet Key Exchange Version 2 (IKEv2) Parameters" (RFC 7296 §3.3.2 and later
 * RFCs), RFC 2407 §4.4 (IKEv1 IPsec DOI transform IDs) and §4.5 (SA attributes), RFC 2409
 * Appendix A (IKEv1 Phase 1 attributes), RFC 4106, RFC 4309, RFC 4543, RFC 7634, RFC 4868,
 * RFC 3566, RFC 4494, RFC 3602, RFC 3686.
 *
 * @packageDocumentation
 */
import type { AeadAlgorithm, CipherAlgorithm, HashAlgorithm, MacAlgorithm } from "./backend.js";

/** IKEv2 transform types (RFC 7296 §3.3.2). @public */
export const TransformType = {
  ENCR: 1,
  PRF: 2,
  INTEG: 3,
  KE: 4,
  ESN: 5,
} as const;

/**
 * An encryption transform, as ESP and the IKE SK payload use it.
 * @public
 */
export interface EncryptionSpec {
  /** Stable name used in ike-ts configuration, e.g. `"aes-gcm-16"`. */
  readonly name: string;
  /** IKEv2 ENCR transform ID. */
  readonly ikev2: number;
  /** IKEv1 IPsec DOI ESP transform ID (RFC 2407 §4.4.4), if defined. */
  readonly ikev1Esp?: number;
  /** IKEv1 Phase 1 Encryption Algorithm attribute value (RFC 2409 App. A), if defined. */
  readonly ikev1Phase1?: number;
  /**
   * `aead` (GCM/CCM/ChaCha20-Poly1305), `cipher` (CBC/CTR), `gmac` (integrity-only AEAD,
   * RFC 4543) or `null` (RFC 2410).
   */
  readonly kind: "aead" | "cipher" | "gmac" | "null";
  /** The backend primitive. */
  readonly primitive?: AeadAlgorithm | CipherAlgorithm;
  /** Allowed key sizes in bits (without salt). */
  readonly keyBits: readonly number[];
  /** True when the Key Length attribute must be sent (variable-length ciphers such as AES). */
  readonly keyLengthAttribute: boolean;
  /** Salt taken from the end of the keying material (RFC 4106 §8.1: 4, RFC 4309 §7.1: 3 …). */
  readonly saltLength: number;
  /** Explicit IV carried in each packet. */
  readonly ivLength: number;
  /** Payload alignment for ESP padding: the cipher block size, or 4 for stream and AEAD modes. */
  readonly blockSize: number;
  /** AEAD/GMAC ICV length in bytes; 0 when a separate integrity transform is needed. */
  readonly icvLength: number;
  /** Legacy algorithms are refused unless explicitly allowed (RFC 8221 MUST NOT / SHOULD NOT). */
  readonly legacy: boolean;
}

const aesBits = [128, 192, 256] as const;

/** Encryption transforms ike-ts implements. @public */
export const ENCRYPTION: readonly EncryptionSpec[] = [
  // RFC 2405 / RFC 2451: DES and 3DES CBC, 8-byte IV and block. Legacy.
  {
    name: "des-cbc",
    ikev2: 2,
    ikev1Esp: 2,
    ikev1Phase1: 1,
    kind: "cipher",
    primitive: "des-cbc",
    keyBits: [64],
    keyLengthAttribute: false,
    saltLength: 0,
    ivLength: 8,
    blockSize: 8,
    icvLength: 0,
    legacy: true,
  },
  {
    name: "3des-cbc",
    ikev2: 3,
    ikev1Esp: 3,
    ikev1Phase1: 5,
    kind: "cipher",
    primitive: "3des-cbc",
    keyBits: [192],
    keyLengthAttribute: false,
    saltLength: 0,
    ivLength: 8,
    blockSize: 8,
    icvLength: 0,
    legacy: true,
  },
  // RFC 2410: NULL encryption.
  {
    name: "null",
    ikev2: 11,
    ikev1Esp: 11,
    kind: "null",
    keyBits: [0],
    keyLengthAttribute: false,
    saltLength: 0,
    ivLength: 0,
    blockSize: 4,
    icvLength: 0,
    legacy: false,
  },
  // RFC 3602: AES-CBC, 16-byte IV.
  {
    name: "aes-cbc",
    ikev2: 12,
    ikev1Esp: 12,
    ikev1Phase1: 7,
    kind: "cipher",
    primitive: "aes-cbc",
    keyBits: aesBits,
    keyLengthAttribute: true,
    saltLength: 0,
    ivLength: 16,
    blockSize: 16,
    icvLength: 0,
    legacy: false,
  },
  // RFC 3686 §5.1: 4-byte nonce from the end of KEYMAT, 8-byte IV.
  {
    name: "aes-ctr",
    ikev2: 13,
    ikev1Esp: 13,
    kind: "cipher",
    primitive: "aes-ctr",
    keyBits: aesBits,
    keyLengthAttribute: true,
    saltLength: 4,
    ivLength: 8,
    blockSize: 4,
    icvLength: 0,
    legacy: false,
  },
  // RFC 4309 §7.1: 3-byte salt, 8-byte IV; ICV 8, 12 or 16.
  ...([8, 12, 16] as const).map(
    (icv, i): EncryptionSpec => ({
      name: `aes-ccm-${icv}`,
      ikev2: 14 + i,
      ikev1Esp: 14 + i,
      kind: "aead",
      primitive: "aes-ccm",
      keyBits: aesBits,
      keyLengthAttribute: true,
      saltLength: 3,
      ivLength: 8,
      blockSize: 4,
      icvLength: icv,
      legacy: false,
    }),
  ),
  // RFC 4106 §8.1: 4-byte salt, 8-byte IV; ICV 8, 12 or 16.
  ...([8, 12, 16] as const).map(
    (icv, i): EncryptionSpec => ({
      name: `aes-gcm-${icv}`,
      ikev2: 18 + i,
      ikev1Esp: 18 + i,
      kind: "aead",
      primitive: "aes-gcm",
      keyBits: aesBits,
      keyLengthAttribute: true,
      saltLength: 4,
      ivLength: 8,
      blockSize: 4,
      icvLength: icv,
      legacy: false,
    }),
  ),
  // RFC 4543 §8: ENCR_NULL_AUTH_AES_GMAC (IKEv2 21, IKEv1 ESP 23), 4-byte salt, 8-byte IV, ICV 16.
  {
    name: "aes-gmac",
    ikev2: 21,
    ikev1Esp: 23,
    kind: "gmac",
    primitive: "aes-gcm",
    keyBits: aesBits,
    keyLengthAttribute: true,
    saltLength: 4,
    ivLength: 8,
    blockSize: 4,
    icvLength: 16,
    legacy: false,
  },
  // RFC 7634 §2, §4: 4-byte salt, 8-byte IV, 256-bit key, ICV 16.
  {
    name: "chacha20-poly1305",
    ikev2: 28,
    kind: "aead",
    primitive: "chacha20-poly1305",
    keyBits: [256],
    keyLengthAttribute: false,
    saltLength: 4,
    ivLength: 8,
    blockSize: 4,
    icvLength: 16,
    legacy: false,
  },
];

/**
 * An integrity transform (ESP/AH ICV, IKE SK payload checksum).
 * @public
 */
export interface IntegritySpec {
  /** Stable name, e.g. `"hmac-sha256-128"`. */
  readonly name: string;
  /** IKEv2 INTEG transform ID. */
  readonly ikev2: number;
  /** IKEv1 IPsec SA Authentication Algorithm attribute value (RFC 2407 §4.5), if defined. */
  readonly ikev1Auth?: number;
  /** IKEv1 AH transform ID (RFC 2407 §4.4.3), if defined. */
  readonly ikev1Ah?: number;
  /** MAC primitive; absent for GMAC, which uses the AEAD primitive with empty plaintext. */
  readonly mac?: MacAlgorithm;
  /** For AES-GMAC integrity (RFC 4543 AH): key bits. */
  readonly gmacKeyBits?: number;
  /** Key length in bytes (GMAC: plus 4 bytes of salt). */
  readonly keyLength: number;
  /** ICV length in bytes (the truncated MAC). */
  readonly icvLength: number;
  readonly legacy: boolean;
}

/** Integrity transforms ike-ts implements. @public */
export const INTEGRITY: readonly IntegritySpec[] = [
  // RFC 2403
  {
    name: "hmac-md5-96",
    ikev2: 1,
    ikev1Auth: 1,
    ikev1Ah: 2,
    mac: "hmac-md5",
    keyLength: 16,
    icvLength: 12,
    legacy: true,
  },
  // RFC 2404
  {
    name: "hmac-sha1-96",
    ikev2: 2,
    ikev1Auth: 2,
    ikev1Ah: 3,
    mac: "hmac-sha1",
    keyLength: 20,
    icvLength: 12,
    legacy: false,
  },
  // RFC 3566
  {
    name: "aes-xcbc-96",
    ikev2: 5,
    ikev1Auth: 9,
    ikev1Ah: 9,
    mac: "aes-xcbc",
    keyLength: 16,
    icvLength: 12,
    legacy: false,
  },
  // RFC 4494
  { name: "aes-cmac-96", ikev2: 8, mac: "aes-cmac", keyLength: 16, icvLength: 12, legacy: false },
  // RFC 4543 (AH): key plus 4-byte salt
  ...([128, 192, 256] as const).map(
    (bits, i): IntegritySpec => ({
      name: `aes-gmac-${bits}`,
      ikev2: 9 + i,
      ikev1Auth: 11 + i,
      ikev1Ah: 11 + i,
      gmacKeyBits: bits,
      keyLength: bits / 8 + 4,
      icvLength: 16,
      legacy: false,
    }),
  ),
  // RFC 4868 §2.3
  {
    name: "hmac-sha256-128",
    ikev2: 12,
    ikev1Auth: 5,
    ikev1Ah: 5,
    mac: "hmac-sha256",
    keyLength: 32,
    icvLength: 16,
    legacy: false,
  },
  {
    name: "hmac-sha384-192",
    ikev2: 13,
    ikev1Auth: 6,
    ikev1Ah: 6,
    mac: "hmac-sha384",
    keyLength: 48,
    icvLength: 24,
    legacy: false,
  },
  {
    name: "hmac-sha512-256",
    ikev2: 14,
    ikev1Auth: 7,
    ikev1Ah: 7,
    mac: "hmac-sha512",
    keyLength: 64,
    icvLength: 32,
    legacy: false,
  },
];

/**
 * A pseudo-random function (IKEv2 PRF transform, IKEv1 Phase 1 hash).
 * @public
 */
export interface PrfSpec {
  readonly name: string;
  /** IKEv2 PRF transform ID. */
  readonly ikev2: number;
  /** IKEv1 Phase 1 Hash Algorithm attribute value (RFC 2409 App. A), if defined. */
  readonly ikev1Hash?: number;
  readonly mac: MacAlgorithm;
  /** The hash behind an HMAC PRF (IKEv1 uses it directly for HASH and NAT-D). */
  readonly hash?: HashAlgorithm;
  /** Preferred key length in bytes (RFC 7296 §2.13: SK_d, SK_pi, SK_pr have this length). */
  readonly keyLength: number;
  /** Output length in bytes. */
  readonly outputLength: number;
  readonly legacy: boolean;
}

/** PRFs ike-ts implements. @public */
export const PRF: readonly PrfSpec[] = [
  {
    name: "hmac-md5",
    ikev2: 1,
    ikev1Hash: 1,
    mac: "hmac-md5",
    hash: "md5",
    keyLength: 16,
    outputLength: 16,
    legacy: true,
  },
  {
    name: "hmac-sha1",
    ikev2: 2,
    ikev1Hash: 2,
    mac: "hmac-sha1",
    hash: "sha1",
    keyLength: 20,
    outputLength: 20,
    legacy: false,
  },
  // RFC 4434
  { name: "aes128-xcbc", ikev2: 4, mac: "aes-xcbc", keyLength: 16, outputLength: 16, legacy: false },
  // RFC 4868 §2.1
  {
    name: "hmac-sha256",
    ikev2: 5,
    ikev1Hash: 4,
    mac: "hmac-sha256",
    hash: "sha256",
    keyLength: 32,
    outputLength: 32,
    legacy: false,
  },
  {
    name: "hmac-sha384",
    ikev2: 6,
    ikev1Hash: 5,
    mac: "hmac-sha384",
    hash: "sha384",
    keyLength: 48,
    outputLength: 48,
    legacy: false,
  },
  {
    name: "hmac-sha512",
    ikev2: 7,
    ikev1Hash: 6,
    mac: "hmac-sha512",
    hash: "sha512",
    keyLength: 64,
    outputLength: 64,
    legacy: false,
  },
  // RFC 4615
  { name: "aes128-cmac", ikev2: 8, mac: "aes-cmac", keyLength: 16, outputLength: 16, legacy: false },
];

/**
 * A key exchange method (IKEv2 Transform Type 4; IKEv1 Group Description attribute).
 * @public
 */
export interface KeGroupSpec {
  /** IANA number, the same in IKEv1 and IKEv2. */
  readonly id: number;
  /** strongSwan-style name, e.g. `"modp2048"`, `"ecp256"`, `"x25519"`. */
  readonly name: string;
  readonly kind: "modp" | "ecp" | "montgomery";
  /** Length of the KE payload's key exchange data in bytes. */
  readonly publicKeyLength: number;
  /** Groups 1, 2 and 5 (and the RFC 5114 groups 22–24, RFC 8247 SHOULD NOT) are legacy. */
  readonly legacy: boolean;
}

/** Key exchange methods ike-ts implements. @public */
export const KE_GROUPS: readonly KeGroupSpec[] = [
  { id: 1, name: "modp768", kind: "modp", publicKeyLength: 96, legacy: true },
  { id: 2, name: "modp1024", kind: "modp", publicKeyLength: 128, legacy: true },
  { id: 5, name: "modp1536", kind: "modp", publicKeyLength: 192, legacy: true },
  { id: 14, name: "modp2048", kind: "modp", publicKeyLength: 256, legacy: false },
  { id: 15, name: "modp3072", kind: "modp", publicKeyLength: 384, legacy: false },
  { id: 16, name: "modp4096", kind: "modp", publicKeyLength: 512, legacy: false },
  { id: 17, name: "modp6144", kind: "modp", publicKeyLength: 768, legacy: false },
  { id: 18, name: "modp8192", kind: "modp", publicKeyLength: 1024, legacy: false },
  { id: 19, name: "ecp256", kind: "ecp", publicKeyLength: 64, legacy: false },
  { id: 20, name: "ecp384", kind: "ecp", publicKeyLength: 96, legacy: false },
  { id: 21, name: "ecp521", kind: "ecp", publicKeyLength: 132, legacy: false },
  { id: 22, name: "modp1024s160", kind: "modp", publicKeyLength: 128, legacy: true },
  { id: 23, name: "modp2048s224", kind: "modp", publicKeyLength: 256, legacy: true },
  { id: 24, name: "modp2048s256", kind: "modp", publicKeyLength: 256, legacy: true },
  { id: 31, name: "x25519", kind: "montgomery", publicKeyLength: 32, legacy: false },
  { id: 32, name: "x448", kind: "montgomery", publicKeyLength: 56, legacy: false },
];

/** IKEv2 ESN transform values (RFC 7296 §3.3.2). @public */
export const Esn = { NONE: 0, EXTENDED: 1 } as const;

/** Protocol IDs in SA proposals: IKEv2 (RFC 7296 §3.3.1), IKEv1 (RFC 2407 §4.4.1). @public */
export const ProtocolId = { IKE: 1, AH: 2, ESP: 3, IPCOMP: 4 } as const;

/** Looks an encryption transform up by IKEv2 ENCR ID. @public */
export function encryptionByIkev2(id: number): EncryptionSpec | undefined {
  return ENCRYPTION.find((e) => e.ikev2 === id);
}

/** Looks an encryption transform up by name. @public */
export function encryptionByName(name: string): EncryptionSpec | undefined {
  return ENCRYPTION.find((e) => e.name === name);
}

/** Looks an integrity transform up by IKEv2 INTEG ID. @public */
export function integrityByIkev2(id: number): IntegritySpec | undefined {
  return INTEGRITY.find((e) => e.ikev2 === id);
}

/** Looks an integrity transform up by name. @public */
export function integrityByName(name: string): IntegritySpec | undefined {
  return INTEGRITY.find((e) => e.name === name);
}

/** Looks a PRF up by IKEv2 PRF ID. @public */
export function prfByIkev2(id: number): PrfSpec | undefined {
  return PRF.find((e) => e.ikev2 === id);
}

/** Looks a PRF up by name. @public */
export function prfByName(name: string): PrfSpec | undefined {
  return PRF.find((e) => e.name === name);
}

/** Looks a key exchange group up by IANA number. @public */
export function keGroupById(id: number): KeGroupSpec | undefined {
  return KE_GROUPS.find((g) => g.id === id);
}

/** Looks a key exchange group up by name. @public */
export function keGroupByName(name: string): KeGroupSpec | undefined {
  return KE_GROUPS.find((g) => g.name === name);
}
