/**
 * The crypto backend interface: everything ike-ts needs from a cryptographic library.
 *
 * Two halves:
 * - {@link DataPlaneCrypto}: per-packet primitives (AEAD, block/stream ciphers, MACs) on prepared
 *   keys. Generic over `A`: a synchronous backend returns values, an asynchronous one (WebCrypto,
 *   a hardware engine) returns promises. The data plane (ESP/AH) has a synchronous path that never
 *   awaits and an asynchronous path that works with either.
 * - {@link ControlPlaneCrypto}: what IKE needs besides that (hashes, key exchange, signatures,
 *   randomness). Always synchronous.
 *
 * A {@link CryptoBackend} is both, synchronous. The pure backend (`nobleBackend`, runs anywhere) and
 * the `node:crypto` backend (`ike-ts/node`) implement it and must produce identical bytes.
 *
 * Conventions:
 * - Keys are prepared once per SA (`aead()`, `cipher()`, `mac()`) and reused for every packet;
 *   `destroy()` zeroizes what the key object holds.
 * - Operations work in place on caller-provided views: ike-ts allocates nothing per packet.
 * - Algorithms are the bare primitives; IPsec framing (RFC 4106 salt‖IV nonces, RFC 3686 counter
 *   blocks, ICV truncation) is done by the callers using {@link ./registry}.
 * - Bad peer input (an invalid public value, a malformed signature) gives a typed result
 *   ({@link CryptoError} code `invalid-public-key`, or `false` from verify), never another
 *   exception. Asking a backend for something it lacks throws {@link CryptoError} `unsupported`.
 *
 * @packageDocumentation
 */

/** AEAD primitives (RFC 5116 style: nonce, AAD, plaintext, tag). @public */
export type AeadAlgorithm = "aes-gcm" | "aes-ccm" | "chacha20-poly1305";

/** Unauthenticated ciphers. CBC without padding; CTR with a full 16-byte initial counter block. @public */
export type CipherAlgorithm = "aes-cbc" | "aes-ctr" | "3des-cbc" | "des-cbc";

/**
 * MACs, full output length (callers truncate to the ICV length). `aes-xcbc` is RFC 3566 and
 * `aes-cmac` is RFC 4493, both with a 16-byte key; the PRF variants with other key lengths
 * (RFC 4434, RFC 4615) are built on them in `prf.ts`.
 * @public
 */
export type MacAlgorithm =
  | "hmac-md5"
  | "hmac-sha1"
  | "hmac-sha256"
  | "hmac-sha384"
  | "hmac-sha512"
  | "aes-xcbc"
  | "aes-cmac";

/** Hash functions. @public */
export type HashAlgorithm = "md5" | "sha1" | "sha256" | "sha384" | "sha512";

/** A value, or a promise of it for an asynchronous backend. @public */
export type MaybeAsync<T, A extends boolean> = A extends true ? Promise<T> : T;

/**
 * A prepared AEAD key.
 * @public
 */
export interface AeadKey<A extends boolean = false> {
  readonly algorithm: AeadAlgorithm;
  /** Tag (ICV) length in bytes: 8, 12 or 16 (ChaCha20-Poly1305: 16). */
  readonly tagLength: number;
  /**
   * Encrypts `data` in place and writes the tag to `tag` (`tag.length === tagLength`).
   * `nonce` is 12 bytes (GCM, ChaCha20-Poly1305) or 7–13 bytes (CCM; 11 in IPsec, RFC 4309).
   */
  seal(nonce: Uint8Array, aad: Uint8Array, data: Uint8Array, tag: Uint8Array): MaybeAsync<void, A>;
  /**
   * Verifies `tag` over `aad` and `data` and decrypts `data` in place.
   * Returns false when the tag does not verify; `data` is then unspecified (it may hold
   * ciphertext or garbage) and must be discarded.
   */
  open(nonce: Uint8Array, aad: Uint8Array, data: Uint8Array, tag: Uint8Array): MaybeAsync<boolean, A>;
  /** Zeroizes the key material this object holds. */
  destroy(): void;
}

/**
 * A prepared cipher key (CBC or CTR).
 * @public
 */
export interface CipherKey<A extends boolean = false> {
  readonly algorithm: CipherAlgorithm;
  /** 16 for AES, 8 for DES/3DES. `data` lengths must be a multiple of it for CBC. */
  readonly blockSize: number;
  /**
   * Encrypts `data` in place. `iv` is the CBC IV (`blockSize` bytes) or, for CTR, the full
   * 16-byte initial counter block (RFC 3686 §4: nonce ‖ IV ‖ 0x00000001).
   */
  encrypt(iv: Uint8Array, data: Uint8Array): MaybeAsync<void, A>;
  /** Decrypts `data` in place; same `iv` convention as {@link CipherKey.encrypt}. */
  decrypt(iv: Uint8Array, data: Uint8Array): MaybeAsync<void, A>;
  /** Zeroizes the key material this object holds. */
  destroy(): void;
}

/**
 * A prepared MAC key.
 * @public
 */
export interface MacKey<A extends boolean = false> {
  readonly algorithm: MacAlgorithm;
  /** Full MAC length in bytes (20 for HMAC-SHA1, 16 for XCBC/CMAC …). */
  readonly outputLength: number;
  /**
   * MACs the concatenation of `parts` and writes the first `out.length` bytes (≤ outputLength)
   * of the result to `out`. Callers keep a reusable `parts` array so no per-packet array is made.
   */
  compute(parts: readonly Uint8Array[], out: Uint8Array): MaybeAsync<void, A>;
  /** Zeroizes the key material this object holds. */
  destroy(): void;
}

/**
 * Per-packet primitives.
 * @public
 */
export interface DataPlaneCrypto<A extends boolean = false> {
  /** Short identifier, e.g. `"noble"`, `"node"`, `"webcrypto"`. */
  readonly name: string;
  /** True for a backend whose operations return promises. */
  readonly async: A;
  /**
   * Prepares an AEAD key.
   * @throws {@link CryptoError} `invalid-key` for a wrong key length, `unsupported` for an
   *   algorithm or tag length the backend lacks.
   */
  aead(algorithm: AeadAlgorithm, key: Uint8Array, tagLength: number): AeadKey<A>;
  /** Prepares a cipher key. @throws {@link CryptoError} as for {@link DataPlaneCrypto.aead}. */
  cipher(algorithm: CipherAlgorithm, key: Uint8Array): CipherKey<A>;
  /** Prepares a MAC key. @throws {@link CryptoError} as for {@link DataPlaneCrypto.aead}. */
  mac(algorithm: MacAlgorithm, key: Uint8Array): MacKey<A>;
}

/**
 * A Diffie-Hellman / ECDH key pair for one exchange.
 * @public
 */
export interface KeyExchange {
  /** IANA Transform Type 4 (Key Exchange Method) number. */
  readonly group: number;
  /**
   * Our public value as carried in the KE payload: MODP big-endian padded to the prime's length
   * (RFC 7296 §3.4), ECP x ‖ y each padded to the field size (RFC 5903 §7), Curve25519/448 the
   * raw u-coordinate (RFC 8031 §2).
   */
  readonly publicKey: Uint8Array;
  /**
   * The shared secret g^ir (MODP: padded to the prime's length; ECP: the x coordinate, RFC 5903 §7;
   * X25519/X448: the raw output, RFC 8031).
   * @throws {@link CryptoError} `invalid-public-key` when the peer's value has the wrong length,
   *   is 0, 1 or p−1 (MODP, RFC 6989), is not on the curve, or yields an all-zero X25519/X448 output.
   */
  computeSharedSecret(peerPublicKey: Uint8Array): Uint8Array;
  /** Zeroizes the private key. */
  destroy(): void;
}

/**
 * How a signature is made. For RSA PKCS#1 v1.5, `hash: null` signs the given bytes with
 * type-1 padding and no DigestInfo (IKEv1 RSA signatures, RFC 2409 §5.1).
 * ECDSA signatures are `der` (RFC 7427) or `p1363` (r ‖ s, IKEv2 methods 9–11, RFC 4754).
 * @public
 */
export type SignatureScheme =
  | { readonly kind: "rsa-pkcs1"; readonly hash: HashAlgorithm | null }
  | {
      readonly kind: "rsa-pss";
      readonly hash: HashAlgorithm;
      /** MGF1 hash; defaults to `hash`. */
      readonly mgfHash?: HashAlgorithm;
      readonly saltLength: number;
    }
  | { readonly kind: "ecdsa"; readonly hash: HashAlgorithm; readonly encoding: "der" | "p1363" }
  | { readonly kind: "eddsa" };

/**
 * IKE's non-per-packet needs. Synchronous.
 * @public
 */
export interface ControlPlaneCrypto {
  /** Hashes `data`. */
  hash(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array;
  /**
   * Generates a key pair for `group` (IANA KE method number).
   * `privateKey` fixes the private value (test vectors only).
   * @throws {@link CryptoError} `unsupported` for a group the backend lacks.
   */
  keyExchange(group: number, privateKey?: Uint8Array): KeyExchange;
  /**
   * Signs `data`.
   * @param privateKey - PKCS#8 DER.
   * @throws {@link CryptoError} `invalid-key` for a key that does not fit the scheme.
   */
  sign(scheme: SignatureScheme, privateKey: Uint8Array, data: Uint8Array): Uint8Array;
  /**
   * Verifies strictly (exact PKCS#1 v1.5 encoding, PSS salt bounds, signature integers in range).
   * Never throws on a bad signature or key: returns false.
   * @param publicKey - SubjectPublicKeyInfo DER.
   */
  verify(scheme: SignatureScheme, publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean;
  /** Cryptographically secure random bytes. */
  randomBytes(length: number): Uint8Array;
}

/**
 * A complete synchronous backend.
 * @public
 */
export interface CryptoBackend extends DataPlaneCrypto<false>, ControlPlaneCrypto {}

/** An asynchronous data-plane backend (WebCrypto, hardware engines). @public */
export type AsyncDataPlaneCrypto = DataPlaneCrypto<true>;

/**
 * Why a crypto operation was refused.
 * - `unsupported`: the backend does not implement this algorithm, group or parameter.
 * - `invalid-key`: wrong key length or malformed key encoding (ours, not the peer's).
 * - `invalid-public-key`: the peer's KE value is malformed or weak (maps to INVALID_SYNTAX / KE).
 * - `legacy-not-allowed`: a legacy algorithm (DES, 3DES, MD5, DH 1/2/5) was asked for without
 *   an explicit allowance.
 * @public
 */
export type CryptoErrorCode = "unsupported" | "invalid-key" | "invalid-public-key" | "legacy-not-allowed";

/** Typed crypto error. @public */
export class CryptoError extends Error {
  readonly code: CryptoErrorCode;
  constructor(code: CryptoErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = "CryptoError";
    this.code = code;
  }
}
