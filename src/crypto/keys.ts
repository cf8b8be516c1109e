/**
 * Strict parsing of the keys ike-ts signs and verifies with: SubjectPublicKeyInfo (RFC 5280
 * §4.1.2.7) and PKCS#8 PrivateKeyInfo / OneAsymmetricKey (RFC 5208 §5, RFC 5958 §2) in DER, for
 * RSA (RFC 8017 Appendix A.1, RFC 3279 §2.3.1), elliptic curves P-256/384/521 (RFC 5480 §2,
 * RFC 5915 §3) and Ed25519/Ed448 (RFC 8410). Plus PEM (RFC 7468) to DER.
 *
 * Anything malformed or weak throws {@link CryptoError} `invalid-key`: BER-only encodings
 * (indefinite or non-minimal lengths, non-minimal integers), trailing data, RSA moduli under
 * 1024 bits or even, public exponents 0, 1 or even (CVE-2017-11185, CVE-2018-17540,
 * CVE-2026-14957), EC points off the curve, unknown algorithms or curves.
 *
 * @packageDocumentation
 */
import { ed448 } from "@noble/curves/ed448.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import * as asn1js from "asn1js";
import { CryptoError } from "./backend.js";

/** The NIST curves ike-ts signs with (IKEv2 ECDSA, RFC 4754; RFC 7427). @public */
export type EcCurve = "p256" | "p384" | "p521";

/** An RSA public key (RFC 8017 §3.1). @public */
export interface RsaPublicKey {
  readonly kind: "rsa";
  /** Modulus. */
  readonly n: bigint;
  /** Public exponent. */
  readonly e: bigint;
  /** Length of the modulus in bytes (k in RFC 8017). */
  readonly size: number;
  /** Length of the modulus in bits (modBits in RFC 8017). */
  readonly bits: number;
}

/** An RSA private key with its CRT values (RFC 8017 §3.2, two primes). @public */
export interface RsaPrivateKey extends RsaPublicKey {
  readonly d: bigint;
  readonly p: bigint;
  readonly q: bigint;
  /** d mod (p−1). */
  readonly dp: bigint;
  /** d mod (q−1). */
  readonly dq: bigint;
  /** q⁻¹ mod p. */
  readonly qi: bigint;
}

/** An EC public key: an uncompressed SEC 1 point 0x04 ‖ x ‖ y, checked to be on the curve. @public */
export interface EcPublicKey {
  readonly kind: "ec";
  readonly curve: EcCurve;
  readonly point: Uint8Array;
}

/** An EC private key: the scalar, big-endian, padded to the curve's size, in [1, n−1]. @public */
export interface EcPrivateKey {
  readonly kind: "ec";
  readonly curve: EcCurve;
  readonly scalar: Uint8Array;
}

/** An EdDSA public key: the raw 32- or 57-byte encoding (RFC 8032 §5.1.2, §5.2.2). @public */
export interface EdPublicKey {
  readonly kind: "ed25519" | "ed448";
  readonly key: Uint8Array;
}

/** An EdDSA private key: the raw 32- or 57-byte secret (RFC 8032 §5.1.5, §5.2.5). @public */
export interface EdPrivateKey {
  readonly kind: "ed25519" | "ed448";
  readonly seed: Uint8Array;
}

/** What {@link parseSpki} returns. @public */
export type ParsedPublicKey = RsaPublicKey | EcPublicKey | EdPublicKey;

/** What {@link parsePkcs8} returns. Byte arrays are copies the caller may zeroize. @public */
export type ParsedPrivateKey = RsaPrivateKey | EcPrivateKey | EdPrivateKey;

/** Smallest RSA modulus accepted (CVE-2018-17540: tiny moduli; RFC 8247 §3.2 wants ≥ 2048). */
const MIN_RSA_BITS = 1024;
/** Largest RSA modulus accepted, so that a hostile certificate cannot make us compute for long. */
const MAX_RSA_BITS = 16384;

const OID_RSA = "1.2.840.113549.1.1.1";
const OID_EC = "1.2.840.10045.2.1";
const OID_ED25519 = "1.3.101.112";
const OID_ED448 = "1.3.101.113";

/** RFC 5480 §2.1.1.1 named curves. */
const CURVE_OIDS: Readonly<Record<string, EcCurve>> = {
  "1.2.840.10045.3.1.7": "p256",
  "1.3.132.0.34": "p384",
  "1.3.132.0.35": "p521",
};

const CURVES = { p256, p384, p521 } as const;

/** Field element size in bytes (SEC 1 §2.3.5). */
const CURVE_SIZES: Readonly<Record<EcCurve, number>> = { p256: 32, p384: 48, p521: 66 };

const ED_SIZES = { ed25519: 32, ed448: 57 } as const;

/** ASN.1 universal tags used below (X.680 §8.4). */
const TAG = { INTEGER: 2, BIT_STRING: 3, OCTET_STRING: 4, NULL: 5, OID: 6, SEQUENCE: 16 } as const;

const CONTEXT_CLASS = 3;
const UNIVERSAL_CLASS = 1;

function invalid(message: string): never {
  throw new CryptoError("invalid-key", message);
}

/** Minimal DER length-octets count for a content length (X.690 §10.1). */
function derLengthOctets(length: number): number {
  if (length < 128) return 1;
  let n = 1;
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) n++;
  return n;
}

/** Checks an element's header is DER: one tag octet, definite minimal length (X.690 §10.1). */
function derHeader(block: asn1js.AsnType, what: string): void {
  const { idBlock, lenBlock } = block;
  if (idBlock.blockLength !== 1) invalid(`${what}: unexpected ASN.1 tag`);
  if (lenBlock.isIndefiniteForm || lenBlock.blockLength !== derLengthOctets(lenBlock.length)) {
    invalid(`${what}: not DER (length encoding)`);
  }
  // X.690 §8.1.1: the contents are exactly `length` octets. asn1js lets a constructed element's
  // last child run past its parent's declared length: such input is not DER.
  if (block.valueBlock.blockLength !== lenBlock.length) invalid(`${what}: contents overrun the length`);
}

/** Checks an element is DER and has the expected class and tag. */
function expectTag(block: asn1js.AsnType, tagClass: number, tag: number, what: string): void {
  derHeader(block, what);
  const { idBlock } = block;
  if (idBlock.tagClass !== tagClass || idBlock.tagNumber !== tag) invalid(`${what}: unexpected ASN.1 tag`);
  // X.690 §10.2: strings are primitive in DER; SEQUENCE and explicit tags are constructed.
  const constructed = tagClass === CONTEXT_CLASS || tag === TAG.SEQUENCE;
  if (idBlock.isConstructed !== constructed) invalid(`${what}: not DER (constructed form)`);
}

/** Decodes exactly one DER element filling `der` (no trailing data). */
function decode(der: Uint8Array, what: string): asn1js.AsnType {
  let parsed: asn1js.FromBerResult;
  try {
    parsed = asn1js.fromBER(der, { maxDepth: 8, maxNodes: 64, parseEmbedded: false });
  } catch {
    invalid(`${what}: malformed DER`);
  }
  if (parsed.offset !== der.length || parsed.result.error !== "")
    invalid(`${what}: malformed DER or trailing data`);
  return parsed.result;
}

function children(block: asn1js.AsnType, min: number, max: number, what: string): asn1js.AsnType[] {
  expectTag(block, UNIVERSAL_CLASS, TAG.SEQUENCE, what);
  const items = (block as asn1js.Sequence).valueBlock.value;
  if (items.length < min || items.length > max) invalid(`${what}: ${items.length} elements`);
  return items;
}

/** A non-negative INTEGER in minimal two's-complement form (X.690 §8.3.2). */
function integer(block: asn1js.AsnType | undefined, what: string): bigint {
  if (block === undefined) invalid(`${what}: missing`);
  expectTag(block, UNIVERSAL_CLASS, TAG.INTEGER, what);
  const v = (block as asn1js.Integer).valueBlock.valueHexView;
  if (v.length === 0) invalid(`${what}: empty INTEGER`);
  if (v.length > 1 && ((v[0] === 0 && v[1]! < 0x80) || (v[0] === 0xff && v[1]! >= 0x80))) {
    invalid(`${what}: not DER (INTEGER not minimal)`);
  }
  if (v[0]! >= 0x80) invalid(`${what}: negative INTEGER`);
  return (block as asn1js.Integer).toBigInt();
}

function oid(block: asn1js.AsnType | undefined, what: string): string {
  if (block === undefined) invalid(`${what}: missing`);
  expectTag(block, UNIVERSAL_CLASS, TAG.OID, what);
  return (block as asn1js.ObjectIdentifier).valueBlock.toString();
}

function octets(block: asn1js.AsnType | undefined, what: string): Uint8Array {
  if (block === undefined) invalid(`${what}: missing`);
  expectTag(block, UNIVERSAL_CLASS, TAG.OCTET_STRING, what);
  return (block as asn1js.OctetString).valueBlock.valueHexView;
}

/** A BIT STRING holding whole octets (keys never have unused bits). */
function bitOctets(block: asn1js.AsnType | undefined, what: string): Uint8Array {
  if (block === undefined) invalid(`${what}: missing`);
  expectTag(block, UNIVERSAL_CLASS, TAG.BIT_STRING, what);
  const value = (block as asn1js.BitString).valueBlock;
  if (value.unusedBits !== 0) invalid(`${what}: BIT STRING with unused bits`);
  return value.valueHexView;
}

/** An explicit context tag [n] wrapping exactly one element. */
function explicit(block: asn1js.AsnType, tag: number, what: string): asn1js.AsnType {
  expectTag(block, CONTEXT_CLASS, tag, what);
  const inner = (block as asn1js.Constructed).valueBlock.value;
  if (inner.length !== 1) invalid(`${what}: [${tag}] must hold one element`);
  return inner[0]!;
}

interface Algorithm {
  readonly oid: string;
  readonly params: asn1js.AsnType | undefined;
}

/** AlgorithmIdentifier (RFC 5280 §4.1.1.2). */
function algorithm(block: asn1js.AsnType | undefined, what: string): Algorithm {
  if (block === undefined) invalid(`${what}: missing`);
  const items = children(block, 1, 2, what);
  return { oid: oid(items[0], `${what} OID`), params: items[1] };
}

/** RFC 3279 §2.3.1: rsaEncryption parameters MUST be NULL. */
function expectNullParams(params: asn1js.AsnType | undefined, what: string): void {
  if (params === undefined) invalid(`${what}: RSA parameters must be NULL`);
  expectTag(params, UNIVERSAL_CLASS, TAG.NULL, what);
  if (params.lenBlock.length !== 0) invalid(`${what}: NULL with contents`);
}

/** RFC 8410 §3: the Ed25519/Ed448 parameters MUST be absent. */
function expectNoParams(params: asn1js.AsnType | undefined, what: string): void {
  if (params !== undefined) invalid(`${what}: parameters must be absent`);
}

/** RFC 5480 §2.1.1: the parameters are a namedCurve OID (implicitCurve and specifiedCurve refused). */
function namedCurve(params: asn1js.AsnType | undefined, what: string): EcCurve {
  const curve = CURVE_OIDS[oid(params, `${what} namedCurve`)];
  if (curve === undefined) invalid(`${what}: unsupported curve`);
  return curve;
}

function bitLength(n: bigint): number {
  return n.toString(2).length;
}

/** Checks an RSA public key's numbers (RFC 8017 §3.1) and builds the key. */
function rsaPublic(n: bigint, e: bigint, what: string): RsaPublicKey {
  const bits = bitLength(n);
  // CVE-2018-17540: tiny moduli; an even modulus cannot be a product of two odd primes.
  if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) invalid(`${what}: ${bits}-bit RSA modulus`);
  if ((n & 1n) === 0n) invalid(`${what}: even RSA modulus`);
  // RFC 8017 §3.1: 3 ≤ e ≤ n − 1, and e is odd (CVE-2017-11185, CVE-2026-14957: e = 0).
  if (e < 3n || e >= n || (e & 1n) === 0n) invalid(`${what}: bad RSA public exponent`);
  return { kind: "rsa", n, e, size: Math.ceil(bits / 8), bits };
}

function ecPoint(curve: EcCurve, bytes: Uint8Array, what: string): Uint8Array {
  try {
    // SEC 1 §2.3.4: decode and check the point lies on the curve (x, y < p; not the identity).
    return CURVES[curve].Point.fromBytes(bytes).toBytes(false);
  } catch {
    invalid(`${what}: point not on the curve`);
  }
}

function edPublic(kind: "ed25519" | "ed448", bytes: Uint8Array, what: string): EdPublicKey {
  if (bytes.length !== ED_SIZES[kind]) invalid(`${what}: ${bytes.length}-byte ${kind} key`);
  try {
    // RFC 8032 §5.1.3, §5.2.3: the encoding must decode to a curve point.
    (kind === "ed25519" ? ed25519 : ed448).Point.fromBytes(bytes, false);
  } catch {
    invalid(`${what}: ${kind} key does not decode`);
  }
  return { kind, key: bytes.slice() };
}

/**
 * Parses a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7).
 * @throws {@link CryptoError} `invalid-key` for malformed DER, trailing data, an unsupported
 *   algorithm or curve, or a weak or invalid key.
 * @public
 */
export function parseSpki(der: Uint8Array): ParsedPublicKey {
  const what = "SubjectPublicKeyInfo";
  const [algBlock, keyBlock] = children(decode(der, what), 2, 2, what);
  const alg = algorithm(algBlock, `${what} algorithm`);
  const key = bitOctets(keyBlock, `${what} subjectPublicKey`);
  switch (alg.oid) {
    case OID_RSA: {
      expectNullParams(alg.params, what);
      // RFC 8017 Appendix A.1.1: RSAPublicKey ::= SEQUENCE { modulus, publicExponent }.
      const [n, e] = children(decode(key, "RSAPublicKey"), 2, 2, "RSAPublicKey");
      return rsaPublic(integer(n, "RSA modulus"), integer(e, "RSA exponent"), what);
    }
    case OID_EC: {
      const curve = namedCurve(alg.params, what);
      return { kind: "ec", curve, point: ecPoint(curve, key, what) };
    }
    case OID_ED25519:
      expectNoParams(alg.params, what);
      return edPublic("ed25519", key, what);
    case OID_ED448:
      expectNoParams(alg.params, what);
      return edPublic("ed448", key, what);
    default:
      invalid(`${what}: unsupported algorithm ${alg.oid}`);
  }
}

/** RFC 8017 Appendix A.1.2, two-prime form (version 0). */
function rsaPrivate(bytes: Uint8Array): RsaPrivateKey {
  const what = "RSAPrivateKey";
  const items = children(decode(bytes, what), 9, 9, what);
  if (integer(items[0], `${what} version`) !== 0n) invalid(`${what}: multi-prime keys are not supported`);
  const [n, e, d, p, q, dp, dq, qi] = items
    .slice(1)
    .map((item, i) => integer(item, `${what} field ${i + 1}`)) as [
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
  ];
  const pub = rsaPublic(n, e, what);
  // RFC 8017 §3.2: n = p·q, e·dP ≡ 1 mod (p−1), e·dQ ≡ 1 mod (q−1), q·qInv ≡ 1 mod p, and
  // dP, dQ are d reduced. Checked here so that no backend signs with a key another would refuse.
  const inRange = (v: bigint, m: bigint) => v > 0n && v < m;
  const consistent =
    p > 1n &&
    q > 1n &&
    p * q === n &&
    inRange(d, n) &&
    inRange(qi, p) &&
    dp === d % (p - 1n) &&
    dq === d % (q - 1n) &&
    (e * dp) % (p - 1n) === 1n &&
    (e * dq) % (q - 1n) === 1n &&
    (q * qi) % p === 1n;
  if (!consistent) invalid(`${what}: inconsistent private key`);
  return { ...pub, d, p, q, dp, dq, qi };
}

/** RFC 5915 §3 ECPrivateKey, inside PKCS#8 whose AlgorithmIdentifier names `curve`. */
function ecPrivate(curve: EcCurve, bytes: Uint8Array): EcPrivateKey {
  const what = "ECPrivateKey";
  const items = children(decode(bytes, what), 2, 4, what);
  if (integer(items[0], `${what} version`) !== 1n) invalid(`${what}: version must be 1`);
  const raw = octets(items[1], `${what} privateKey`);
  const size = CURVE_SIZES[curve];
  if (raw.length > size) invalid(`${what}: scalar longer than the curve`);
  const scalar = new Uint8Array(size);
  scalar.set(raw, size - raw.length);
  if (!CURVES[curve].utils.isValidSecretKey(scalar)) invalid(`${what}: scalar out of range`);
  let next = 2;
  const params = items[next];
  if (params?.idBlock.tagClass === CONTEXT_CLASS && params.idBlock.tagNumber === 0) {
    // RFC 5915 §3: parameters, when present, must name the same curve.
    if (namedCurve(explicit(params, 0, what), what) !== curve) invalid(`${what}: curve mismatch`);
    next++;
  }
  const pub = items[next];
  if (pub !== undefined) {
    // RFC 5915 §3: the public key, when present, must be the scalar's.
    const point = ecPoint(curve, bitOctets(explicit(pub, 1, what), `${what} publicKey`), what);
    const expected = CURVES[curve].getPublicKey(scalar, false);
    if (point.length !== expected.length || point.some((b, i) => b !== expected[i])) {
      invalid(`${what}: public key does not match the private key`);
    }
    next++;
  }
  if (next !== items.length) invalid(`${what}: unexpected element`);
  return { kind: "ec", curve, scalar };
}

/** RFC 8410 §7: CurvePrivateKey ::= OCTET STRING, itself inside the PKCS#8 privateKey. */
function edPrivate(kind: "ed25519" | "ed448", bytes: Uint8Array): EdPrivateKey {
  const seed = octets(decode(bytes, "CurvePrivateKey"), "CurvePrivateKey");
  if (seed.length !== ED_SIZES[kind]) invalid(`CurvePrivateKey: ${seed.length}-byte ${kind} key`);
  return { kind, seed: seed.slice() };
}

/**
 * Parses a DER PKCS#8 PrivateKeyInfo (RFC 5208 §5) or OneAsymmetricKey (RFC 5958 §2).
 * @throws {@link CryptoError} `invalid-key` for malformed DER, trailing data, an unsupported
 *   algorithm or curve, or an invalid or inconsistent key.
 * @public
 */
export function parsePkcs8(der: Uint8Array): ParsedPrivateKey {
  const what = "PrivateKeyInfo";
  const items = children(decode(der, what), 3, 5, what);
  const version = integer(items[0], `${what} version`);
  if (version !== 0n && version !== 1n) invalid(`${what}: version ${version}`);
  const alg = algorithm(items[1], `${what} algorithm`);
  const key = octets(items[2], `${what} privateKey`);
  // RFC 5958 §2: optional [0] attributes, then [1] publicKey (version 1 only); not interpreted.
  let nextTag = 0;
  for (const extra of items.slice(3)) {
    derHeader(extra, what);
    const tag = extra.idBlock.tagNumber;
    if (
      extra.idBlock.tagClass !== CONTEXT_CLASS ||
      tag < nextTag ||
      tag > 1 ||
      (tag === 1 && version !== 1n)
    ) {
      invalid(`${what}: unexpected element`);
    }
    nextTag = tag + 1;
  }
  switch (alg.oid) {
    case OID_RSA:
      expectNullParams(alg.params, what);
      return rsaPrivate(key);
    case OID_EC:
      return ecPrivate(namedCurve(alg.params, what), key);
    case OID_ED25519:
      expectNoParams(alg.params, what);
      return edPrivate("ed25519", key);
    case OID_ED448:
      expectNoParams(alg.params, what);
      return edPrivate("ed448", key);
    default:
      invalid(`${what}: unsupported algorithm ${alg.oid}`);
  }
}

/** RFC 4648 §4 base64 with canonical padding, as RFC 7468 §3 (strict) requires. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Extracts the DER bytes of the first PEM block (RFC 7468 §2) whose label is `label` (any label
 * when omitted), e.g. `pemToDer(text, "PRIVATE KEY")` for PKCS#8 (RFC 7468 §10).
 * @throws {@link CryptoError} `invalid-key` when there is no such block or its base64 is malformed
 *   (encrypted PEM with headers included).
 * @public
 */
export function pemToDer(pem: string, label?: string): Uint8Array {
  const blocks = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
  for (const match of pem.matchAll(blocks)) {
    if (label !== undefined && match[1] !== label) continue;
    const body = match[2]!.replace(/\s+/g, "");
    if (!BASE64.test(body)) invalid(`PEM ${match[1]}: malformed base64`);
    const binary = atob(body);
    const der = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) der[i] = binary.charCodeAt(i);
    return der;
  }
  return invalid(`no PEM block${label === undefined ? "" : ` labelled ${label}`}`);
}
