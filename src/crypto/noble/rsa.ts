/**
 * RSA signatures on bigint (RFC 8017): RSASSA-PKCS1-v1_5 (§8.2) and RSASSA-PSS (§8.1) with MGF1.
 *
 * Verification never parses padding. PKCS#1 v1.5 builds the encoded message it expects and
 * compares it with the recovered one in constant time (RFC 8017 §8.2.2 step 4), which defeats
 * the small-exponent forgeries of CVE-2018-16151/16152 and CVE-2026-50721/50722. Signature
 * integers must be below n and signatures exactly the modulus length (CVE-2017-9022). PSS
 * checks the salt length against the modulus before any arithmetic (CVE-2021-41990).
 *
 * The encoding functions are pure and take the hash as a parameter, so the `node:crypto`
 * backend reuses them where OpenSSL cannot express a scheme; both backends then agree byte for
 * byte.
 *
 * @packageDocumentation
 */
import { invert, pow } from "@noble/curves/abstract/modular.js";
import { bytesToNumberBE, numberToBytesBE } from "@noble/curves/utils.js";
import { equalConstantTime } from "../../wire/bytes.js";
import { CryptoError, type HashAlgorithm } from "../backend.js";
import type { RsaPrivateKey, RsaPublicKey } from "../keys.js";

/** A hash function by name, as a backend provides it. @internal */
export type HashFunction = (algorithm: HashAlgorithm, data: Uint8Array) => Uint8Array;

/**
 * DER of DigestInfo up to the digest (RFC 8017 §9.2 note 1): SEQUENCE { AlgorithmIdentifier
 * { OID, NULL }, OCTET STRING (length) }, to which the digest is appended.
 */
const DIGEST_INFO_PREFIX: Readonly<Record<HashAlgorithm, readonly number[]>> = {
  md5: [
    0x30, 0x20, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05, 0x05, 0x00, 0x04,
    0x10,
  ],
  sha1: [0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14],
  sha256: [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
    0x04, 0x20,
  ],
  sha384: [
    0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00,
    0x04, 0x30,
  ],
  sha512: [
    0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00,
    0x04, 0x40,
  ],
};

/**
 * EMSA-PKCS1-v1_5-ENCODE (RFC 8017 §9.2): 0x00 ‖ 0x01 ‖ PS (0xff…) ‖ 0x00 ‖ T, `emLen` bytes,
 * where T is the DigestInfo of Hash(M) or, with `hash: null`, M itself (IKEv1 RSA signatures
 * sign the raw HASH_I/HASH_R, RFC 2409 §5.1).
 * @returns undefined when T does not fit (§9.2 step 3: emLen < tLen + 11).
 * @internal
 */
export function emsaPkcs1Encode(
  hash: HashAlgorithm | null,
  message: Uint8Array,
  emLen: number,
  hashFn: HashFunction,
): Uint8Array | undefined {
  let t = message;
  if (hash !== null) {
    const prefix = DIGEST_INFO_PREFIX[hash];
    const digest = hashFn(hash, message);
    t = new Uint8Array(prefix.length + digest.length);
    t.set(prefix);
    t.set(digest, prefix.length);
  }
  if (emLen < t.length + 11) return undefined;
  const em = new Uint8Array(emLen);
  em[1] = 0x01;
  em.fill(0xff, 2, emLen - t.length - 1);
  em.set(t, emLen - t.length);
  return em;
}

/** MGF1 (RFC 8017 Appendix B.2.1): Hash(seed ‖ C) for C = 0, 1, … truncated to `length`. */
function mgf1(hash: HashAlgorithm, seed: Uint8Array, length: number, hashFn: HashFunction): Uint8Array {
  const out = new Uint8Array(length);
  const input = new Uint8Array(seed.length + 4);
  input.set(seed);
  const view = new DataView(input.buffer);
  for (let counter = 0, at = 0; at < length; counter++) {
    view.setUint32(seed.length, counter);
    const block = hashFn(hash, input);
    out.set(block.subarray(0, Math.min(block.length, length - at)), at);
    at += block.length;
  }
  return out;
}

/** Digest lengths in bytes (hLen in RFC 8017). @internal */
export const HASH_LENGTH: Readonly<Record<HashAlgorithm, number>> = {
  md5: 16,
  sha1: 20,
  sha256: 32,
  sha384: 48,
  sha512: 64,
};

/** The PSS parameters of one signature. @internal */
export interface PssParams {
  readonly hash: HashAlgorithm;
  readonly mgfHash: HashAlgorithm;
  readonly saltLength: number;
}

/**
 * RFC 8017 §9.1.1 step 3 / §9.1.2 step 3: a salt of `saltLength` bytes fits an encoded message of
 * `emBits` bits with a hash of `hLen` bytes when emLen ≥ hLen + sLen + 2.
 * @internal
 */
export function pssSaltFits(emBits: number, hLen: number, saltLength: number): boolean {
  const emLen = Math.ceil(emBits / 8);
  return Number.isSafeInteger(saltLength) && saltLength >= 0 && emLen >= hLen + saltLength + 2;
}

/** H = Hash(0x00 × 8 ‖ mHash ‖ salt) (RFC 8017 §9.1.1 steps 5–6). */
function pssHash(hash: HashAlgorithm, mHash: Uint8Array, salt: Uint8Array, hashFn: HashFunction): Uint8Array {
  const mPrime = new Uint8Array(8 + mHash.length + salt.length);
  mPrime.set(mHash, 8);
  mPrime.set(salt, 8 + mHash.length);
  return hashFn(hash, mPrime);
}

/**
 * EMSA-PSS-ENCODE (RFC 8017 §9.1.1) of `message` into ⌈emBits/8⌉ bytes.
 * @returns undefined when the salt does not fit (§9.1.1 step 3, "encoding error").
 * @internal
 */
export function emsaPssEncode(
  params: PssParams,
  message: Uint8Array,
  emBits: number,
  salt: Uint8Array,
  hashFn: HashFunction,
): Uint8Array | undefined {
  const emLen = Math.ceil(emBits / 8);
  const mHash = hashFn(params.hash, message);
  const hLen = mHash.length;
  if (!pssSaltFits(emBits, hLen, salt.length)) return undefined;
  const h = pssHash(params.hash, mHash, salt, hashFn);
  // Steps 7–10: DB = PS ‖ 0x01 ‖ salt, masked with MGF(H, emLen − hLen − 1).
  const dbLen = emLen - hLen - 1;
  const db = mgf1(params.mgfHash, h, dbLen, hashFn);
  db[dbLen - salt.length - 1]! ^= 0x01;
  for (let i = 0; i < salt.length; i++) db[dbLen - salt.length + i]! ^= salt[i]!;
  // Step 11: clear the leftmost 8·emLen − emBits bits.
  db[0]! &= 0xff >>> (8 * emLen - emBits);
  // Step 12: EM = maskedDB ‖ H ‖ 0xbc.
  const em = new Uint8Array(emLen);
  em.set(db);
  em.set(h, dbLen);
  em[emLen - 1] = 0xbc;
  return em;
}

/**
 * EMSA-PSS-VERIFY (RFC 8017 §9.1.2) of `em` (⌈emBits/8⌉ bytes) against `message`, with the salt
 * length fixed by `params`. Never throws: a salt that cannot fit gives false (CVE-2021-41990).
 * @internal
 */
export function emsaPssVerify(
  params: PssParams,
  message: Uint8Array,
  em: Uint8Array,
  emBits: number,
  hashFn: HashFunction,
): boolean {
  const emLen = Math.ceil(emBits / 8);
  const mHash = hashFn(params.hash, message);
  const hLen = mHash.length;
  const sLen = params.saltLength;
  // Step 3: the salt must fit; step 4: the last octet is 0xbc.
  if (em.length !== emLen || !pssSaltFits(emBits, hLen, sLen) || em[emLen - 1] !== 0xbc) return false;
  const dbLen = emLen - hLen - 1;
  const h = em.subarray(dbLen, dbLen + hLen);
  // Step 6: the leftmost 8·emLen − emBits bits of maskedDB must be zero.
  const topMask = 0xff >>> (8 * emLen - emBits);
  if ((em[0]! & ~topMask) !== 0) return false;
  // Steps 7–9: DB = maskedDB ⊕ MGF(H, dbLen), leftmost bits cleared.
  const db = mgf1(params.mgfHash, h, dbLen, hashFn);
  for (let i = 0; i < dbLen; i++) db[i]! ^= em[i]!;
  db[0]! &= topMask;
  // Step 10: DB = 0x00 … 0x00 ‖ 0x01 ‖ salt, the zeros and 0x01 exactly where sLen puts them.
  const separator = dbLen - sLen - 1;
  let bad = db[separator]! ^ 0x01;
  for (let i = 0; i < separator; i++) bad |= db[i]!;
  // Steps 11–14: H' = Hash(0x00 × 8 ‖ mHash ‖ salt) must equal H.
  const expected = pssHash(params.hash, mHash, db.subarray(dbLen - sLen), hashFn);
  return equalConstantTime(h, expected) && bad === 0;
}

/**
 * RSAVP1 (RFC 8017 §5.2.2) on a signature octet string: s^e mod n, as `size` bytes, or undefined
 * when the signature is not exactly k bytes (§8.1.2 / §8.2.2 step 1) or s ≥ n (§5.2.2 step 1,
 * CVE-2017-9022).
 * @internal
 */
export function rsaRecover(key: RsaPublicKey, signature: Uint8Array): Uint8Array | undefined {
  if (signature.length !== key.size) return undefined;
  const s = bytesToNumberBE(signature);
  if (s >= key.n) return undefined;
  return numberToBytesBE(pow(s, key.e, key.n), key.size);
}

/**
 * RSASP1 (RFC 8017 §5.2.1) with the CRT (step 2b), blinded by a random r (s = (m·r^e)^d · r⁻¹),
 * and checked by re-verifying s^e = m before release, so a faulty computation cannot leak a
 * factor of n.
 */
function rsaSignPrimitive(
  key: RsaPrivateKey,
  em: Uint8Array,
  randomBytes: (n: number) => Uint8Array,
): Uint8Array {
  const { n, e, p, q, dp, dq, qi } = key;
  const m = bytesToNumberBE(em);
  let r = 0n;
  while (r < 2n) r = bytesToNumberBE(randomBytes(key.size)) % n;
  const blinded = (m * pow(r, e, n)) % n;
  const m1 = pow(blinded % p, dp, p);
  const m2 = pow(blinded % q, dq, q);
  const h = (qi * (((m1 - m2) % p) + p)) % p;
  const s = ((m2 + q * h) * invert(r, n)) % n;
  if (pow(s, e, n) !== m) throw new CryptoError("invalid-key", "RSA private key is inconsistent");
  return numberToBytesBE(s, key.size);
}

/**
 * RSASSA-PKCS1-V1_5-SIGN (RFC 8017 §8.2.1); `hash: null` signs `message` without a DigestInfo.
 * @throws {@link CryptoError} `invalid-key` when the encoded message does not fit the modulus.
 * @internal
 */
export function rsaPkcs1Sign(
  key: RsaPrivateKey,
  hash: HashAlgorithm | null,
  message: Uint8Array,
  hashFn: HashFunction,
  randomBytes: (n: number) => Uint8Array,
): Uint8Array {
  const em = emsaPkcs1Encode(hash, message, key.size, hashFn);
  if (em === undefined) throw new CryptoError("invalid-key", "RSA modulus too short for the message");
  return rsaSignPrimitive(key, em, randomBytes);
}

/**
 * RSASSA-PKCS1-V1_5-VERIFY (RFC 8017 §8.2.2): the recovered encoded message must equal, in
 * constant time, the one built from `message` (no padding is parsed).
 * @internal
 */
export function rsaPkcs1Verify(
  key: RsaPublicKey,
  hash: HashAlgorithm | null,
  message: Uint8Array,
  signature: Uint8Array,
  hashFn: HashFunction,
): boolean {
  const em = rsaRecover(key, signature);
  const expected = emsaPkcs1Encode(hash, message, key.size, hashFn);
  return em !== undefined && expected !== undefined && equalConstantTime(em, expected);
}

/**
 * RSASSA-PSS-SIGN (RFC 8017 §8.1.1) with a fresh random salt.
 * @throws {@link CryptoError} `invalid-key` when the salt length does not fit the modulus.
 * @internal
 */
export function rsaPssSign(
  key: RsaPrivateKey,
  params: PssParams,
  message: Uint8Array,
  hashFn: HashFunction,
  randomBytes: (n: number) => Uint8Array,
): Uint8Array {
  const emBits = key.bits - 1;
  // §9.1.1 step 3, before drawing the salt: a huge saltLength must not allocate.
  if (!pssSaltFits(emBits, HASH_LENGTH[params.hash], params.saltLength)) {
    throw new CryptoError("invalid-key", `PSS salt length ${params.saltLength} does not fit`);
  }
  const em = emsaPssEncode(params, message, emBits, randomBytes(params.saltLength), hashFn)!;
  return rsaSignPrimitive(key, em, randomBytes);
}

/**
 * RSASSA-PSS-VERIFY (RFC 8017 §8.1.2) steps 2c–3, from the k-byte RSAVP1 output `recovered`.
 * @internal
 */
export function pssVerifyRecovered(
  key: RsaPublicKey,
  params: PssParams,
  message: Uint8Array,
  recovered: Uint8Array,
  hashFn: HashFunction,
): boolean {
  // Step 2c: EM = I2OSP(m, emLen); emLen is k − 1 when modBits − 1 is a multiple of 8, and then
  // the top octet of the recovered k bytes must be zero.
  const emBits = key.bits - 1;
  const extra = key.size - Math.ceil(emBits / 8);
  if (extra === 1 && recovered[0] !== 0) return false;
  return emsaPssVerify(params, message, recovered.subarray(extra), emBits, hashFn);
}

/**
 * RSASSA-PSS-VERIFY (RFC 8017 §8.1.2).
 * @internal
 */
export function rsaPssVerify(
  key: RsaPublicKey,
  params: PssParams,
  message: Uint8Array,
  signature: Uint8Array,
  hashFn: HashFunction,
): boolean {
  const recovered = rsaRecover(key, signature);
  return recovered !== undefined && pssVerifyRecovered(key, params, message, recovered, hashFn);
}
