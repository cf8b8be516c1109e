/**
 * Argument checks shared by every `DataPlaneCrypto` backend, so that all of them refuse the
 * same keys and parameters in the same way.
 *
 * Two kinds of refusal:
 * - when a key is prepared: {@link CryptoError} `invalid-key` (wrong key length) or `unsupported`
 *   (algorithm or tag length not offered);
 * - on each operation: `RangeError` for a programmer error (wrong nonce, IV, tag or output length,
 *   CBC data that is not a whole number of blocks). These never depend on peer input: ESP and IKE
 *   size every buffer from the negotiated transform before calling the backend.
 *
 * @packageDocumentation
 */
import { type AeadAlgorithm, type CipherAlgorithm, CryptoError, type MacAlgorithm } from "./backend.js";

const isAesKeyLength = (n: number): boolean => n === 16 || n === 24 || n === 32;

/**
 * Checks an AEAD key and tag length.
 * AES-GCM and AES-CCM: 128/192/256-bit keys; ICV 8, 12 or 16 bytes (RFC 4106 §6, RFC 4309 §3.2).
 * ChaCha20-Poly1305: 256-bit key, 16-byte tag (RFC 8439 §2.8, RFC 7634 §2).
 * @throws {@link CryptoError} `invalid-key` or `unsupported`.
 * @internal
 */
export function checkAeadKey(algorithm: AeadAlgorithm, key: Uint8Array, tagLength: number): void {
  switch (algorithm) {
    case "aes-gcm":
    case "aes-ccm":
      if (!isAesKeyLength(key.length)) {
        throw new CryptoError(
          "invalid-key",
          `${algorithm}: key must be 16, 24 or 32 bytes, got ${key.length}`,
        );
      }
      if (tagLength !== 8 && tagLength !== 12 && tagLength !== 16) {
        throw new CryptoError("unsupported", `${algorithm}: tag length ${tagLength} (expected 8, 12 or 16)`);
      }
      return;
    case "chacha20-poly1305":
      if (key.length !== 32) {
        throw new CryptoError("invalid-key", `chacha20-poly1305: key must be 32 bytes, got ${key.length}`);
      }
      if (tagLength !== 16) {
        throw new CryptoError("unsupported", `chacha20-poly1305: tag length ${tagLength} (expected 16)`);
      }
      return;
    default:
      throw new CryptoError("unsupported", `AEAD algorithm ${String(algorithm)}`);
  }
}

/**
 * Checks the per-call AEAD arguments.
 * Nonces: 12 bytes for GCM (RFC 4106 §4: salt ‖ IV) and ChaCha20-Poly1305 (RFC 8439 §2.8);
 * 7 to 13 bytes for CCM (RFC 3610 §2: 15 − L with 2 ≤ L ≤ 8), whose L-byte length field also
 * bounds the message: l(m) < 2^(8L) (RFC 3610 §2.1).
 * @throws `RangeError`.
 * @internal
 */
export function checkAeadCall(
  algorithm: AeadAlgorithm,
  tagLength: number,
  nonce: Uint8Array,
  data: Uint8Array,
  tag: Uint8Array,
): void {
  if (tag.length !== tagLength) {
    throw new RangeError(`${algorithm}: tag must be ${tagLength} bytes, got ${tag.length}`);
  }
  if (algorithm === "aes-ccm") {
    if (nonce.length < 7 || nonce.length > 13) {
      throw new RangeError(`aes-ccm: nonce must be 7 to 13 bytes, got ${nonce.length}`);
    }
    if (data.length >= 2 ** (8 * (15 - nonce.length))) {
      throw new RangeError(`aes-ccm: ${data.length} bytes do not fit a ${nonce.length}-byte nonce`);
    }
  } else if (nonce.length !== 12) {
    throw new RangeError(`${algorithm}: nonce must be 12 bytes, got ${nonce.length}`);
  }
}

/**
 * Checks a cipher key and returns the cipher's block size.
 * AES: 128/192/256 bits (RFC 3602 §5, RFC 3686 §5.1); 3DES: 192 bits, K1 ‖ K2 ‖ K3 (RFC 2451 §2.3,
 * NIST SP 800-67); DES: 64 bits, parity bits ignored (RFC 2405 §5).
 * @throws {@link CryptoError} `invalid-key` or `unsupported`.
 * @internal
 */
export function checkCipherKey(algorithm: CipherAlgorithm, key: Uint8Array): number {
  let ok: boolean;
  let blockSize: number;
  switch (algorithm) {
    case "aes-cbc":
    case "aes-ctr":
      ok = isAesKeyLength(key.length);
      blockSize = 16;
      break;
    case "3des-cbc":
      ok = key.length === 24;
      blockSize = 8;
      break;
    case "des-cbc":
      ok = key.length === 8;
      blockSize = 8;
      break;
    default:
      throw new CryptoError("unsupported", `cipher algorithm ${String(algorithm)}`);
  }
  if (!ok) throw new CryptoError("invalid-key", `${algorithm}: wrong key length ${key.length}`);
  return blockSize;
}

/**
 * Checks the per-call cipher arguments: CBC takes a block-sized IV and whole blocks (no padding:
 * ESP pads itself, RFC 4303 §2.4); CTR takes the full 16-byte counter block (RFC 3686 §4) and any
 * data length.
 * @throws `RangeError`.
 * @internal
 */
export function checkCipherCall(
  algorithm: CipherAlgorithm,
  blockSize: number,
  iv: Uint8Array,
  data: Uint8Array,
): void {
  if (algorithm === "aes-ctr") {
    if (iv.length !== 16) throw new RangeError(`aes-ctr: counter block must be 16 bytes, got ${iv.length}`);
    return;
  }
  if (iv.length !== blockSize) {
    throw new RangeError(`${algorithm}: IV must be ${blockSize} bytes, got ${iv.length}`);
  }
  if (data.length % blockSize !== 0) {
    throw new RangeError(`${algorithm}: data length ${data.length} is not a multiple of ${blockSize}`);
  }
}

const MAC_OUTPUT: Readonly<Record<MacAlgorithm, number>> = {
  "hmac-md5": 16,
  "hmac-sha1": 20,
  "hmac-sha256": 32,
  "hmac-sha384": 48,
  "hmac-sha512": 64,
  "aes-xcbc": 16,
  "aes-cmac": 16,
};

/**
 * Checks a MAC key and returns the full MAC length. HMAC takes keys of any length (RFC 2104 §3);
 * AES-XCBC-MAC and AES-CMAC take exactly 128 bits (RFC 3566 §4.1, RFC 4494 §2; the PRF variants
 * for other lengths live in `prf.ts`).
 * @throws {@link CryptoError} `invalid-key` or `unsupported`.
 * @internal
 */
export function checkMacKey(algorithm: MacAlgorithm, key: Uint8Array): number {
  if (!Object.hasOwn(MAC_OUTPUT, algorithm)) {
    throw new CryptoError("unsupported", `MAC algorithm ${String(algorithm)}`);
  }
  if ((algorithm === "aes-xcbc" || algorithm === "aes-cmac") && key.length !== 16) {
    throw new CryptoError("invalid-key", `${algorithm}: key must be 16 bytes, got ${key.length}`);
  }
  return MAC_OUTPUT[algorithm];
}

/**
 * Checks a MAC output buffer: at most the full MAC length (shorter means truncation, e.g.
 * HMAC-SHA-256-128, RFC 4868 §2.6).
 * @throws `RangeError`.
 * @internal
 */
export function checkMacOut(algorithm: MacAlgorithm, outputLength: number, out: Uint8Array): void {
  if (out.length > outputLength) {
    throw new RangeError(
      `${algorithm}: output is ${out.length} bytes, longer than the ${outputLength}-byte MAC`,
    );
  }
}

/**
 * Throws when a key object is used after `destroy()`.
 * @internal
 */
export function checkAlive(destroyed: boolean, algorithm: string): void {
  if (destroyed) throw new TypeError(`${algorithm}: key used after destroy()`);
}
