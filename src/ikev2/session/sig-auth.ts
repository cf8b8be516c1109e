/**
 * Signature authentication in IKE_AUTH (RFC 7296 §2.15, §3.8; RFC 4754; RFC 7427; RFC 8420).
 *
 * ```text
 * InitiatorSignedOctets = RealMessage1 | NonceRData | prf(SK_pi, RestOfInitIDPayload)
 * ResponderSignedOctets = RealMessage2 | NonceIData | prf(SK_pr, RestOfRespIDPayload)
 * AUTH = signature over the signed octets, per the method:
 *   1  RSA Digital Signature: RSASSA-PKCS1-v1_5 with SHA-1 (RFC 7296 §3.8, the legacy rule)
 *   9  ECDSA with SHA-256 on P-256, 10 SHA-384 on P-384, 11 SHA-512 on P-521; r | s (RFC 4754 §3, §7)
 *   14 Digital Signature: length | AlgorithmIdentifier | signature (RFC 7427 §3)
 * ```
 *
 * Method 14 is used when the peer announced SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4) with a hash
 * our key can sign with; otherwise the classic method of the key type. When verifying method 14,
 * only the hashes we announced are accepted (RFC 7427 §4: the signer MUST use one of them), so
 * SHA-1 is never accepted there.
 *
 * @packageDocumentation
 */
import type {
  ControlPlaneCrypto,
  DataPlaneCrypto,
  HashAlgorithm,
  SignatureScheme,
} from "../../crypto/backend.js";
import type { ParsedPublicKey } from "../../crypto/keys.js";
import { createPrf } from "../../crypto/prf.js";
import type { PrfSpec } from "../../crypto/registry.js";
import { encodeSignatureAlgorithm, hashLength, parseSignatureAlgorithm } from "../../pki/algorithms.js";
import { PkiError } from "../../pki/errors.js";
import { concat, zeroize } from "../../wire/bytes.js";
import { isWireError } from "../../wire/errors.js";
import { Reader } from "../../wire/reader.js";
import { Writer } from "../../wire/writer.js";
import { AuthMethod, HashAlgorithm as HashId } from "../constants.js";
import { decodeSignatureAuthData, encodeSignatureAuthData } from "../payloads/auth.js";

/**
 * The hashes we announce in SIGNATURE_HASH_ALGORITHMS and accept in method 14 (RFC 7427 §4;
 * RFC 8420 §2: "Identity" for the pure EdDSA schemes). SHA-1 is deliberately absent.
 * @internal
 */
export const SIGNATURE_HASHES: readonly number[] = [
  HashId.SHA2_256,
  HashId.SHA2_384,
  HashId.SHA2_512,
  HashId.IDENTITY,
];

const HASH_IDS: Readonly<Partial<Record<HashAlgorithm, number>>> = {
  sha256: HashId.SHA2_256,
  sha384: HashId.SHA2_384,
  sha512: HashId.SHA2_512,
};

/** RFC 4754 §3: the classic ECDSA method and hash of each curve. */
const ECDSA_METHODS = {
  p256: { method: AuthMethod.ECDSA_SHA256_P256, hash: "sha256" },
  p384: { method: AuthMethod.ECDSA_SHA384_P384, hash: "sha384" },
  p521: { method: AuthMethod.ECDSA_SHA512_P521, hash: "sha512" },
} as const;

/** What one side's signature covers (RFC 7296 §2.15). @internal */
export interface SignedOctetsInput {
  readonly backend: DataPlaneCrypto<false>;
  readonly prf: PrfSpec;
  /** The signer's IKE_SA_INIT message, as sent. */
  readonly message: Uint8Array;
  /** The other side's nonce data. */
  readonly peerNonce: Uint8Array;
  /** SK_pi for the initiator, SK_pr for the responder. */
  readonly skP: Uint8Array;
  /** The signer's ID payload body (ID Type, RESERVED, data). */
  readonly idBody: Uint8Array;
}

/** RFC 7296 §2.15: RealMessage | Nonce | prf(SK_p, RestOfIDPayload). @internal */
export function signedOctets(input: SignedOctetsInput): Uint8Array {
  const prf = createPrf(input.backend, input.prf, input.skP);
  try {
    const macedId = prf.compute(input.idBody);
    const out = concat(input.message, input.peerNonce, macedId);
    zeroize(macedId);
    return out;
  } finally {
    prf.destroy();
  }
}

/** How we sign: the AUTH method, the scheme, and for method 14 the AlgorithmIdentifier. @internal */
export interface SignatureChoice {
  readonly method: number;
  readonly scheme: SignatureScheme;
  readonly algorithmIdentifier: Uint8Array | undefined;
}

/** Our preference among the SHA-2 hashes, for a key (RFC 4754 §3 pairs curves and hashes). */
function hashPreference(key: ParsedPublicKey): HashAlgorithm[] {
  const all: HashAlgorithm[] = ["sha256", "sha384", "sha512"];
  if (key.kind !== "ec") return all;
  const own = ECDSA_METHODS[key.curve].hash;
  return [own, ...all.filter((h) => h !== own)];
}

/** The classic (pre-RFC 7427) method of a key, or undefined for EdDSA (none exists). */
function classicChoice(key: ParsedPublicKey): SignatureChoice | undefined {
  switch (key.kind) {
    case "rsa":
      // RFC 7296 §3.8 method 1: RSASSA-PKCS1-v1_5; SHA-1 is the hash this legacy method implies.
      return {
        method: AuthMethod.RSA_SIGNATURE,
        scheme: { kind: "rsa-pkcs1", hash: "sha1" },
        algorithmIdentifier: undefined,
      };
    case "ec": {
      const { method, hash } = ECDSA_METHODS[key.curve];
      // RFC 4754 §7: the signature is r | s, each the size of the curve's order.
      return { method, scheme: { kind: "ecdsa", hash, encoding: "p1363" }, algorithmIdentifier: undefined };
    }
    default:
      return undefined;
  }
}

function digitalSignature(scheme: SignatureScheme, key: ParsedPublicKey): SignatureChoice {
  return {
    method: AuthMethod.DIGITAL_SIGNATURE,
    scheme,
    algorithmIdentifier: encodeSignatureAlgorithm(scheme, key.kind),
  };
}

/**
 * Picks the AUTH method for our key given the hashes the peer announced (undefined: it sent no
 * SIGNATURE_HASH_ALGORITHMS). Prefers method 14 when the peer announced a usable hash; EdDSA
 * has only method 14 (RFC 8420 §2) and needs "Identity". `rsaPss` signs RSA method 14 with
 * RSASSA-PSS (salt length = hash length, MGF1 with the same hash, RFC 7427 Appendix A.4).
 * @throws `RangeError` when no method fits (an EdDSA key and a peer without "Identity").
 * @internal
 */
export function chooseSignature(
  key: ParsedPublicKey,
  peerHashes: readonly number[] | undefined,
  rsaPss: boolean,
): SignatureChoice {
  if (peerHashes !== undefined) {
    if (key.kind === "ed25519" || key.kind === "ed448") {
      if (peerHashes.includes(HashId.IDENTITY)) return digitalSignature({ kind: "eddsa" }, key);
    } else {
      const hash = hashPreference(key).find((h) => peerHashes.includes(HASH_IDS[h]!));
      if (hash !== undefined) {
        let scheme: SignatureScheme;
        if (key.kind === "ec") scheme = { kind: "ecdsa", hash, encoding: "der" };
        else if (rsaPss) scheme = { kind: "rsa-pss", hash, mgfHash: hash, saltLength: hashLength(hash) };
        else scheme = { kind: "rsa-pkcs1", hash };
        return digitalSignature(scheme, key);
      }
    }
  }
  const classic = classicChoice(key);
  if (classic !== undefined) return classic;
  // RFC 8420 §2: EdDSA is only usable with method 14; try it even without the announcement.
  return digitalSignature({ kind: "eddsa" }, key);
}

/**
 * The AUTH data for `choice` over `octets`, signed with our PKCS#8 key.
 * @throws `CryptoError` `invalid-key` when the key does not fit the scheme.
 * @internal
 */
export function signAuth(
  backend: Pick<ControlPlaneCrypto, "sign">,
  privateKey: Uint8Array,
  choice: SignatureChoice,
  octets: Uint8Array,
): Uint8Array {
  const signature = backend.sign(choice.scheme, privateKey, octets);
  if (choice.algorithmIdentifier === undefined) return signature;
  const w = new Writer();
  encodeSignatureAuthData(w, { algorithmIdentifier: choice.algorithmIdentifier, signature });
  return w.finish();
}

/** The scheme a received method-14 AUTH names, if acceptable for `key`. */
function digitalSignatureScheme(
  key: ParsedPublicKey,
  data: Uint8Array,
): { scheme: SignatureScheme; signature: Uint8Array } | undefined {
  let algorithmIdentifier: Uint8Array;
  let signature: Uint8Array;
  try {
    ({ algorithmIdentifier, signature } = decodeSignatureAuthData(new Reader(data)));
  } catch (e) {
    if (isWireError(e)) return undefined;
    throw e;
  }
  let alg: ReturnType<typeof parseSignatureAlgorithm>;
  try {
    alg = parseSignatureAlgorithm(algorithmIdentifier);
  } catch (e) {
    if (e instanceof PkiError) return undefined;
    throw e;
  }
  // RFC 7427 §4: the hash must be one we announced (never SHA-1); pure EdDSA is "Identity".
  const announced = alg.hash === null ? HashId.IDENTITY : HASH_IDS[alg.hash];
  if (announced === undefined || !SIGNATURE_HASHES.includes(announced)) return undefined;
  if (alg.scheme.kind === "rsa-pss" && alg.scheme.mgfHash !== alg.scheme.hash) return undefined;
  if (alg.keyKind !== key.kind) return undefined;
  return { scheme: alg.scheme, signature };
}

/**
 * Verifies the peer's AUTH (`method`, `data`) over `octets` with the public key of its
 * certificate (`spki` DER, `key` parsed from it). False for any mismatch of method and key,
 * any malformed data, or a bad signature; never throws for peer input.
 * @internal
 */
export function verifyAuth(
  backend: Pick<ControlPlaneCrypto, "verify">,
  spki: Uint8Array,
  key: ParsedPublicKey,
  method: number,
  data: Uint8Array,
  octets: Uint8Array,
): boolean {
  switch (method) {
    case AuthMethod.RSA_SIGNATURE:
      // RFC 7296 §3.8: PKCS#1 v1.5; SHA-1 only for this legacy method.
      return key.kind === "rsa" && backend.verify({ kind: "rsa-pkcs1", hash: "sha1" }, spki, octets, data);
    case AuthMethod.ECDSA_SHA256_P256:
    case AuthMethod.ECDSA_SHA384_P384:
    case AuthMethod.ECDSA_SHA512_P521: {
      // RFC 4754 §3: the method fixes curve and hash; the key must be on that curve.
      if (key.kind !== "ec" || ECDSA_METHODS[key.curve].method !== method) return false;
      return backend.verify(
        { kind: "ecdsa", hash: ECDSA_METHODS[key.curve].hash, encoding: "p1363" },
        spki,
        octets,
        data,
      );
    }
    case AuthMethod.DIGITAL_SIGNATURE: {
      const parsed = digitalSignatureScheme(key, data);
      return parsed !== undefined && backend.verify(parsed.scheme, spki, octets, parsed.signature);
    }
    default:
      return false;
  }
}
