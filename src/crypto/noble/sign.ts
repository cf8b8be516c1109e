/**
 * Signature dispatch of the pure backend: RSA (PKCS#1 v1.5, PSS), ECDSA on P-256/384/521 with
 * DER (RFC 7427) or r ‖ s (RFC 4754 §7) encodings, and Ed25519/Ed448 (RFC 8032, RFC 8420).
 *
 * @packageDocumentation
 */
import { ed448 } from "@noble/curves/ed448.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { zeroize } from "../../wire/bytes.js";
import { CryptoError, type SignatureScheme } from "../backend.js";
import {
  type ParsedPrivateKey,
  type ParsedPublicKey,
  parsePkcs8,
  parseSpki,
  type RsaPrivateKey,
} from "../keys.js";
import { nobleHash } from "./hash.js";
import { nobleRandomBytes } from "./random.js";
import { type PssParams, rsaPkcs1Sign, rsaPkcs1Verify, rsaPssSign, rsaPssVerify } from "./rsa.js";

const CURVES = { p256, p384, p521 } as const;

function pssParams(scheme: Extract<SignatureScheme, { kind: "rsa-pss" }>): PssParams {
  return { hash: scheme.hash, mgfHash: scheme.mgfHash ?? scheme.hash, saltLength: scheme.saltLength };
}

function mismatch(scheme: SignatureScheme, key: ParsedPrivateKey): never {
  throw new CryptoError("invalid-key", `a ${key.kind} key cannot make ${scheme.kind} signatures`);
}

function rsaKey(scheme: SignatureScheme, key: ParsedPrivateKey): RsaPrivateKey {
  return key.kind === "rsa" ? key : mismatch(scheme, key);
}

function signWith(scheme: SignatureScheme, key: ParsedPrivateKey, data: Uint8Array): Uint8Array {
  switch (scheme.kind) {
    case "rsa-pkcs1":
      return rsaPkcs1Sign(rsaKey(scheme, key), scheme.hash, data, nobleHash, nobleRandomBytes);
    case "rsa-pss":
      return rsaPssSign(rsaKey(scheme, key), pssParams(scheme), data, nobleHash, nobleRandomBytes);
    case "ecdsa":
      if (key.kind !== "ec") return mismatch(scheme, key);
      // FIPS 186-5 §6.4.1: sign Hash(M), truncated to the order's length by the curve code.
      return CURVES[key.curve].sign(nobleHash(scheme.hash, data), key.scalar, {
        prehash: false,
        format: scheme.encoding === "der" ? "der" : "compact",
        extraEntropy: true,
      });
    case "eddsa":
      // RFC 8032 §5.1.6 / §5.2.6 (pure EdDSA, empty context; RFC 8420 §2).
      if (key.kind === "ed25519") return ed25519.sign(data, key.seed);
      if (key.kind === "ed448") return ed448.sign(data, key.seed);
      return mismatch(scheme, key);
  }
}

/**
 * Signs `data` with a PKCS#8 DER private key.
 * @throws {@link CryptoError} `invalid-key` for a malformed key, a key of another kind than the
 *   scheme, or an RSA modulus too short for the encoding.
 * @internal
 */
export function nobleSign(scheme: SignatureScheme, privateKey: Uint8Array, data: Uint8Array): Uint8Array {
  const key = parsePkcs8(privateKey);
  try {
    return signWith(scheme, key, data);
  } finally {
    // The parsed copies of EC scalars and EdDSA secrets are ours to wipe (RSA bigints cannot be).
    if (key.kind === "ec") zeroize(key.scalar);
    if (key.kind === "ed25519" || key.kind === "ed448") zeroize(key.seed);
  }
}

function verifyWith(
  scheme: SignatureScheme,
  key: ParsedPublicKey,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  switch (scheme.kind) {
    case "rsa-pkcs1":
      return key.kind === "rsa" && rsaPkcs1Verify(key, scheme.hash, data, signature, nobleHash);
    case "rsa-pss":
      return key.kind === "rsa" && rsaPssVerify(key, pssParams(scheme), data, signature, nobleHash);
    case "ecdsa":
      // High-S signatures are accepted, as OpenSSL does, so that both backends agree.
      return (
        key.kind === "ec" &&
        CURVES[key.curve].verify(signature, nobleHash(scheme.hash, data), key.point, {
          prehash: false,
          lowS: false,
          format: scheme.encoding === "der" ? "der" : "compact",
        })
      );
    case "eddsa":
      // RFC 8032 §5.1.7 / §5.2.7 with strict (non-ZIP-215) decoding of R and A.
      if (key.kind === "ed25519") return ed25519.verify(signature, data, key.key, { zip215: false });
      if (key.kind === "ed448") return ed448.verify(signature, data, key.key, { zip215: false });
      return false;
  }
}

/**
 * Verifies `signature` over `data` with a SubjectPublicKeyInfo DER public key. Returns false,
 * never throws, for a malformed or weak key, a key of another kind than the scheme, or a bad
 * signature of any shape.
 * @internal
 */
export function nobleVerify(
  scheme: SignatureScheme,
  publicKey: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    return verifyWith(scheme, parseSpki(publicKey), data, signature);
  } catch {
    // parseSpki throws CryptoError for bad keys; noble throws on malformed signature encodings.
    return false;
  }
}
