/**
 * The control-plane half of the `node:crypto` backend: OpenSSL hashes, Diffie-Hellman, ECDH,
 * X25519/X448 and signatures.
 *
 * Every peer value and key goes through the same checks as the pure backend before OpenSSL sees
 * it (RFC 6989 peer-value tests, strict SPKI/PKCS#8 parsing, signature lengths and ranges, PSS
 * salt bounds), so both backends accept and refuse exactly the same inputs. Where OpenSSL cannot
 * express a scheme (PKCS#1 v1.5 without DigestInfo on verify, PSS with a separate MGF1 hash) the
 * RFC 8017 encodings are shared with the pure backend over raw RSA.
 *
 * OpenSSL holds private keys in its own memory: `destroy()` drops our references but cannot
 * overwrite them.
 *
 * @packageDocumentation
 */
import * as nodeCrypto from "node:crypto";
import {
  createDiffieHellman,
  createECDH,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  constants as nodeConstants,
  privateEncrypt,
  publicDecrypt,
  randomFillSync,
  sign as signWithOpenSsl,
  verify as verifyWithOpenSsl,
} from "node:crypto";
import { bytesToNumberBE, numberToBytesBE } from "@noble/curves/utils.js";
import {
  type ControlPlaneCrypto,
  CryptoError,
  type HashAlgorithm,
  type KeyExchange,
  type SignatureScheme,
} from "../crypto/backend.js";
import { type ModpGroup, modpGroup } from "../crypto/groups.js";
import {
  type ParsedPrivateKey,
  type ParsedPublicKey,
  parsePkcs8,
  parseSpki,
  type RsaPrivateKey,
  type RsaPublicKey,
} from "../crypto/keys.js";
import { modpPeerValue, modpPrivateValue } from "../crypto/noble/modp.js";
import {
  emsaPkcs1Encode,
  emsaPssEncode,
  HASH_LENGTH,
  type PssParams,
  pssSaltFits,
  pssVerifyRecovered,
} from "../crypto/noble/rsa.js";
import { pooledRandom } from "../crypto/random-pool.js";
import { keGroupById } from "../crypto/registry.js";
import { equalConstantTime, zeroize } from "../wire/bytes.js";

/** A copy that owns its memory (Buffers may be views into a shared pool). */
function own(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer);
}

/** A Buffer view of `bytes`, without copying, for APIs that want a Buffer. */
function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Left-pads to `length` bytes (OpenSSL may return values shorter than the field). */
function leftPad(bytes: Uint8Array, length: number): Uint8Array {
  if (bytes.length === length) return own(bytes);
  const out = new Uint8Array(length);
  out.set(bytes, length - bytes.length);
  return out;
}

/** `crypto.hash` (Node 20.12 and later): a one-shot digest, without a Hash object to create and collect. */
const oneShotHash = (
  nodeCrypto as { hash?: (algorithm: string, data: Uint8Array, encoding: "buffer") => Buffer }
).hash;

function hash(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array {
  if (oneShotHash === undefined) return own(createHash(algorithm).update(data).digest());
  return own(oneShotHash(algorithm, data, "buffer"));
}

/**
 * Short values (SPIs, nonces, jitter) come from a pool filled by one `randomFillSync` call, as an
 * IKE setup asks for many of them; anything longer than 64 bytes is drawn directly.
 */
const pooled = pooledRandom((out) => void randomFillSync(out), { maxPooled: 64 });

function randomBytes(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`randomBytes: bad length ${length}`);
  const out = new Uint8Array(length);
  pooled(out);
  return out;
}

function modpKeyExchange(group: ModpGroup, privateKey?: Uint8Array): KeyExchange {
  const x = modpPrivateValue(group, randomBytes, privateKey);
  let dh: ReturnType<typeof createDiffieHellman> | undefined = createDiffieHellman(
    numberToBytesBE(group.p, group.length),
    numberToBytesBE(group.g, group.length),
  );
  const secret = numberToBytesBE(x, Math.ceil(x.toString(16).length / 2));
  dh.setPrivateKey(secret);
  zeroize(secret);
  // With the private key set, generateKeys only computes g^x mod p.
  dh.generateKeys();
  return {
    group: group.id,
    // RFC 7296 §3.4: left-padded to the prime's length.
    publicKey: leftPad(dh.getPublicKey(), group.length),
    computeSharedSecret(peerPublicKey: Uint8Array): Uint8Array {
      if (dh === undefined) throw new CryptoError("invalid-key", "key exchange already destroyed");
      // RFC 6989 §2.1–2.2, exactly as the pure backend checks them.
      modpPeerValue(group, peerPublicKey);
      return leftPad(dh.computeSecret(peerPublicKey), group.length);
    },
    destroy(): void {
      dh = undefined;
    },
  };
}

/** OpenSSL names and field sizes of the RFC 5903 groups. */
const ECP: Readonly<Record<number, { readonly curve: string; readonly size: number }>> = {
  19: { curve: "prime256v1", size: 32 },
  20: { curve: "secp384r1", size: 48 },
  21: { curve: "secp521r1", size: 66 },
};

function ecpKeyExchange(id: number, curve: string, size: number, privateKey?: Uint8Array): KeyExchange {
  let ecdh: ReturnType<typeof createECDH> | undefined = createECDH(curve);
  if (privateKey === undefined) {
    ecdh.generateKeys();
  } else {
    if (privateKey.length > size)
      throw new CryptoError("invalid-key", `ECP group ${id}: private scalar too long`);
    const padded = leftPad(privateKey, size);
    try {
      ecdh.setPrivateKey(padded);
    } catch {
      throw new CryptoError("invalid-key", `ECP group ${id}: private scalar out of range`);
    } finally {
      zeroize(padded);
    }
  }
  return {
    group: id,
    // RFC 5903 §7: x ‖ y without the SEC 1 0x04 prefix.
    publicKey: own(ecdh.getPublicKey().subarray(1)),
    computeSharedSecret(peerPublicKey: Uint8Array): Uint8Array {
      if (ecdh === undefined) throw new CryptoError("invalid-key", "key exchange already destroyed");
      // RFC 5903 §7: exactly twice the field size.
      if (peerPublicKey.length !== 2 * size) {
        throw new CryptoError(
          "invalid-public-key",
          `ECP ${id}: ${peerPublicKey.length} bytes, want ${2 * size}`,
        );
      }
      const encoded = new Uint8Array(1 + 2 * size);
      encoded[0] = 0x04;
      encoded.set(peerPublicKey, 1);
      try {
        // RFC 6989 §2.3: OpenSSL refuses points off the curve (and coordinates ≥ p).
        // RFC 5903 §7: the shared secret is the x coordinate, padded to the field size.
        return leftPad(ecdh.computeSecret(encoded), size);
      } catch {
        throw new CryptoError("invalid-public-key", `ECP ${id}: point not on the curve`);
      }
    },
    destroy(): void {
      ecdh = undefined;
    },
  };
}

/** An X25519 / X448 group: key size, JWK curve name, and the PKCS#8 prefix that wraps a raw key. */
interface MontgomerySpec {
  readonly size: number;
  /** The JWK `crv` (RFC 8037 §2). */
  readonly crv: "X25519" | "X448";
  readonly pkcs8: readonly number[];
}

/** RFC 8410 §7 PKCS#8 DER prefixes for id-X25519 (1.3.101.110) and id-X448 (1.3.101.111). */
const MONTGOMERY: Readonly<Record<number, MontgomerySpec>> = {
  31: {
    size: 32,
    crv: "X25519",
    pkcs8: [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20],
  },
  32: {
    size: 56,
    crv: "X448",
    pkcs8: [0x30, 0x46, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6f, 0x04, 0x3a, 0x04, 0x38],
  },
};

function withPrefix(prefix: readonly number[], key: Uint8Array): Buffer {
  const der = Buffer.alloc(prefix.length + key.length);
  der.set(prefix);
  der.set(key, prefix.length);
  return der;
}

/**
 * `generateKeyPairSync` with the public key exported as JWK by the key generation job itself
 * (Node's typings omit this form). Exporting a generated key later — `export()` of the pair's
 * public key, or of `createPublicKey(privateKey)` — can deadlock on Node 20: the export holds the
 * key's mutex while it allocates, a garbage collection may then finalize the (unreachable)
 * generation job, and the job's destructor takes the same mutex. During the job, the job is alive.
 */
const generateWithJwk = generateKeyPairSync as unknown as (
  type: "x25519" | "x448",
  options: typeof JWK_PUBLIC,
) => { readonly publicKey: JsonWebKey; readonly privateKey: KeyObject };
const JWK_PUBLIC = { publicKeyEncoding: { format: "jwk" } } as const;

function montgomeryKeyExchange(id: number, spec: MontgomerySpec, privateKey?: Uint8Array): KeyExchange {
  const { size } = spec;
  if (privateKey !== undefined && privateKey.length !== size) {
    throw new CryptoError("invalid-key", `group ${id}: private key must be ${size} bytes`);
  }
  // Keys go in and out of OpenSSL as JWK (RFC 8037): its DER decoders cost ten times more.
  let key: KeyObject | undefined;
  let x: string;
  if (privateKey === undefined) {
    const pair = generateWithJwk(spec.crv === "X25519" ? "x25519" : "x448", JWK_PUBLIC);
    key = pair.privateKey;
    x = pair.publicKey.x!;
  } else {
    const der = withPrefix(spec.pkcs8, privateKey);
    key = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    zeroize(der);
    x = createPublicKey(key).export({ format: "jwk" }).x!;
  }
  return {
    group: id,
    // RFC 8031 §2: pub = X(d, G), the raw u-coordinate.
    publicKey: own(Buffer.from(x, "base64url")),
    computeSharedSecret(peerPublicKey: Uint8Array): Uint8Array {
      if (key === undefined) throw new CryptoError("invalid-key", "key exchange already destroyed");
      // RFC 8031 §3.1: exactly 32 or 56 bytes.
      if (peerPublicKey.length !== size) {
        throw new CryptoError(
          "invalid-public-key",
          `group ${id}: ${peerPublicKey.length} bytes, want ${size}`,
        );
      }
      let shared: Uint8Array;
      try {
        const x = Buffer.from(peerPublicKey.buffer, peerPublicKey.byteOffset, size).toString("base64url");
        const publicKey = createPublicKey({ key: { kty: "OKP", crv: spec.crv, x }, format: "jwk" });
        // OpenSSL masks the top bit of an X25519 u (RFC 8031 §3.2) and fails on an all-zero output.
        shared = own(diffieHellman({ privateKey: key, publicKey }));
      } catch {
        throw new CryptoError("invalid-public-key", `group ${id}: low-order public value`);
      }
      // RFC 7748 §6.1, §6.2: an all-zero output means a low-order point; abort.
      let bits = 0;
      for (const b of shared) bits |= b;
      if (bits === 0) throw new CryptoError("invalid-public-key", `group ${id}: all-zero secret`);
      return shared;
    },
    destroy(): void {
      key = undefined;
    },
  };
}

function keyExchange(group: number, privateKey?: Uint8Array): KeyExchange {
  const kind = keGroupById(group)?.kind;
  const modp = kind === "modp" ? modpGroup(group) : undefined;
  if (modp !== undefined) return modpKeyExchange(modp, privateKey);
  const ecp = kind === "ecp" ? ECP[group] : undefined;
  if (ecp !== undefined) return ecpKeyExchange(group, ecp.curve, ecp.size, privateKey);
  const montgomery = kind === "montgomery" ? MONTGOMERY[group] : undefined;
  if (montgomery !== undefined) return montgomeryKeyExchange(group, montgomery, privateKey);
  throw new CryptoError("unsupported", `key exchange method ${group}`);
}

/** ECDSA r ‖ s length: twice the byte length of the group order (RFC 4754 §7). */
const P1363_LENGTH = { p256: 64, p384: 96, p521: 132 } as const;

function pssParams(scheme: Extract<SignatureScheme, { kind: "rsa-pss" }>): PssParams {
  return { hash: scheme.hash, mgfHash: scheme.mgfHash ?? scheme.hash, saltLength: scheme.saltLength };
}

function mismatch(scheme: SignatureScheme, key: ParsedPrivateKey): never {
  throw new CryptoError("invalid-key", `a ${key.kind} key cannot make ${scheme.kind} signatures`);
}

function rsaKey(scheme: SignatureScheme, key: ParsedPrivateKey): RsaPrivateKey {
  return key.kind === "rsa" ? key : mismatch(scheme, key);
}

/** Raw RSA (RSASP1) on a k-byte encoded message. */
function rsaPrivateRaw(key: KeyObject, em: Uint8Array): Uint8Array {
  return own(privateEncrypt({ key, padding: nodeConstants.RSA_NO_PADDING }, view(em)));
}

function signWith(
  scheme: SignatureScheme,
  parsed: ParsedPrivateKey,
  key: KeyObject,
  data: Uint8Array,
): Uint8Array {
  switch (scheme.kind) {
    case "rsa-pkcs1": {
      const rsa = rsaKey(scheme, parsed);
      // RFC 8017 §9.2 step 3: the same "too short" verdict as the pure backend.
      if (emsaPkcs1Encode(scheme.hash, data, rsa.size, hash) === undefined) {
        throw new CryptoError("invalid-key", "RSA modulus too short for the message");
      }
      const padding = nodeConstants.RSA_PKCS1_PADDING;
      // RFC 2409 §5.1: IKEv1 signs HASH_I/HASH_R raw, with type-1 padding and no DigestInfo.
      if (scheme.hash === null) return own(privateEncrypt({ key, padding }, view(data)));
      return own(signWithOpenSsl(scheme.hash, data, { key, padding }));
    }
    case "rsa-pss": {
      const rsa = rsaKey(scheme, parsed);
      const params = pssParams(scheme);
      if (!pssSaltFits(rsa.bits - 1, HASH_LENGTH[params.hash], params.saltLength)) {
        throw new CryptoError("invalid-key", `PSS salt length ${params.saltLength} does not fit`);
      }
      if (params.mgfHash === params.hash) {
        const padding = nodeConstants.RSA_PKCS1_PSS_PADDING;
        return own(signWithOpenSsl(params.hash, data, { key, padding, saltLength: params.saltLength }));
      }
      // OpenSSL's one-shot API ties MGF1 to the message hash: encode here (RFC 8017 §9.1.1).
      const salt = randomBytes(params.saltLength);
      const em = emsaPssEncode(params, data, rsa.bits - 1, salt, hash)!;
      return rsaPrivateRaw(key, leftPad(em, rsa.size));
    }
    case "ecdsa":
      if (parsed.kind !== "ec") return mismatch(scheme, parsed);
      return own(
        signWithOpenSsl(scheme.hash, data, {
          key,
          dsaEncoding: scheme.encoding === "der" ? "der" : "ieee-p1363",
        }),
      );
    case "eddsa":
      if (parsed.kind !== "ed25519" && parsed.kind !== "ed448") return mismatch(scheme, parsed);
      // RFC 8032 pure EdDSA: no prehash, so no digest name.
      return own(signWithOpenSsl(null, data, key));
  }
}

function sign(scheme: SignatureScheme, privateKey: Uint8Array, data: Uint8Array): Uint8Array {
  const parsed = parsePkcs8(privateKey);
  if (parsed.kind === "ec") zeroize(parsed.scalar);
  if (parsed.kind === "ed25519" || parsed.kind === "ed448") zeroize(parsed.seed);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: view(privateKey), format: "der", type: "pkcs8" });
  } catch {
    throw new CryptoError("invalid-key", "OpenSSL refused the private key");
  }
  return signWith(scheme, parsed, key, data);
}

/**
 * The checks both backends make before any arithmetic (RFC 8017 §8.1.2 / §8.2.2 step 1 and
 * §5.2.2 step 1, CVE-2017-9022): the signature is k bytes and, as an integer, below n.
 */
function rsaSignatureInRange(key: RsaPublicKey, signature: Uint8Array): boolean {
  return signature.length === key.size && bytesToNumberBE(signature) < key.n;
}

/** Raw RSA (RSAVP1) of a signature already checked with {@link rsaSignatureInRange}. */
function rsaPublicRaw(key: KeyObject, signature: Uint8Array): Uint8Array {
  return own(publicDecrypt({ key, padding: nodeConstants.RSA_NO_PADDING }, view(signature)));
}

function verifyWith(
  scheme: SignatureScheme,
  parsed: ParsedPublicKey,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  switch (scheme.kind) {
    case "rsa-pkcs1": {
      if (parsed.kind !== "rsa" || !rsaSignatureInRange(parsed, signature)) return false;
      if (scheme.hash !== null) {
        const padding = nodeConstants.RSA_PKCS1_PADDING;
        return verifyWithOpenSsl(scheme.hash, data, { key, padding }, signature);
      }
      // RFC 8017 §8.2.2 step 4 without DigestInfo: compare whole encoded messages in constant time.
      const expected = emsaPkcs1Encode(null, data, parsed.size, hash);
      return expected !== undefined && equalConstantTime(rsaPublicRaw(key, signature), expected);
    }
    case "rsa-pss": {
      if (parsed.kind !== "rsa" || !rsaSignatureInRange(parsed, signature)) return false;
      const params = pssParams(scheme);
      // CVE-2021-41990: a salt length that cannot fit is a failed verification, before OpenSSL.
      if (!pssSaltFits(parsed.bits - 1, HASH_LENGTH[params.hash], params.saltLength)) return false;
      if (params.mgfHash === params.hash) {
        const options = { key, padding: nodeConstants.RSA_PKCS1_PSS_PADDING, saltLength: params.saltLength };
        return verifyWithOpenSsl(params.hash, data, options, signature);
      }
      return pssVerifyRecovered(parsed, params, data, rsaPublicRaw(key, signature), hash);
    }
    case "ecdsa": {
      if (parsed.kind !== "ec") return false;
      if (scheme.encoding === "p1363" && signature.length !== P1363_LENGTH[parsed.curve]) return false;
      const dsaEncoding = scheme.encoding === "der" ? "der" : "ieee-p1363";
      // OpenSSL accepts high-S signatures and requires strict DER.
      return verifyWithOpenSsl(scheme.hash, data, { key, dsaEncoding }, signature);
    }
    case "eddsa":
      return (
        (parsed.kind === "ed25519" || parsed.kind === "ed448") &&
        verifyWithOpenSsl(null, data, key, signature)
      );
  }
}

function verify(
  scheme: SignatureScheme,
  publicKey: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    const parsed = parseSpki(publicKey);
    const key = createPublicKey({ key: view(publicKey), format: "der", type: "spki" });
    return verifyWith(scheme, parsed, key, data, signature);
  } catch {
    // Bad keys (CryptoError from parseSpki, or OpenSSL) and malformed signatures OpenSSL throws on.
    return false;
  }
}

/**
 * Hashes, key exchange (MODP, ECP, Curve25519/448), signatures and randomness on `node:crypto`
 * (OpenSSL), with the same verdicts as the pure backend.
 * @public
 */
export const nodeControlPlane: ControlPlaneCrypto = {
  hash,
  keyExchange,
  sign,
  verify,
  randomBytes,
};
