/**
 * X.509 v1–v3 certificate parsing (RFC 5280 §4.1, §4.2) for authentication in IKE: names, validity,
 * the public key, and the extensions chain validation and identity matching need
 * (basicConstraints, keyUsage, subjectAltName). Hostile-input safe: inputs are size-bounded,
 * decoded as strict DER with depth and node limits, and any problem is a {@link PkiError}.
 *
 * @packageDocumentation
 */
import { CryptoError } from "../crypto/backend.js";
import { type ParsedPublicKey, parseSpki } from "../crypto/keys.js";
import { type SignatureAlgorithm, signatureAlgorithmOf } from "./algorithms.js";
import {
  bitString,
  boolean,
  CONTEXT,
  children,
  contents,
  decodeDer,
  encoding,
  expect,
  integerBytes,
  is,
  type Node,
  octetString,
  oid,
  sequence,
  smallInteger,
  TAG,
  UNIVERSAL,
} from "./asn1.js";
import { malformed, PkiError } from "./errors.js";
import { type DistinguishedName, distinguishedNameOf } from "./name.js";

/** Largest certificate accepted, in octets (a DoS bound; real ones are a few KiB). @public */
export const MAX_CERTIFICATE_LENGTH = 65_536;

const LIMITS = { maxDepth: 16, maxNodes: 4096 } as const;
const EXTENSION_LIMITS = { maxDepth: 8, maxNodes: 1024 } as const;

/** keyUsage bits (RFC 5280 §4.2.1.3), as bit masks of {@link Certificate.keyUsage}. @public */
export const KeyUsage = {
  digitalSignature: 1 << 0,
  nonRepudiation: 1 << 1,
  keyEncipherment: 1 << 2,
  dataEncipherment: 1 << 3,
  keyAgreement: 1 << 4,
  keyCertSign: 1 << 5,
  cRLSign: 1 << 6,
  encipherOnly: 1 << 7,
  decipherOnly: 1 << 8,
} as const;

/** A subjectAltName entry (RFC 5280 §4.2.1.6); types ike-ts does not match are `other`. @public */
export type GeneralName =
  | { readonly type: "dns"; readonly value: string }
  | { readonly type: "email"; readonly value: string }
  | { readonly type: "ip"; readonly value: Uint8Array }
  | { readonly type: "dn"; readonly value: DistinguishedName }
  | { readonly type: "other"; readonly tag: number };

/** basicConstraints (RFC 5280 §4.2.1.9). @public */
export interface BasicConstraints {
  readonly ca: boolean;
  /** pathLenConstraint, when present. */
  readonly pathLength: number | undefined;
}

/** A parsed certificate. Byte arrays are views into {@link Certificate.der}. @public */
export interface Certificate {
  /** The whole certificate, DER (a private copy of the input). */
  readonly der: Uint8Array;
  /** The signed part, tbsCertificate DER (RFC 5280 §4.1.1.1). */
  readonly tbs: Uint8Array;
  /** 1, 2 or 3. */
  readonly version: number;
  /** serialNumber contents (two's complement). */
  readonly serialNumber: Uint8Array;
  /** signatureAlgorithm (RFC 5280 §4.1.1.2). */
  readonly signatureAlgorithm: SignatureAlgorithm;
  /** signatureValue octets. */
  readonly signature: Uint8Array;
  readonly issuer: DistinguishedName;
  readonly subject: DistinguishedName;
  /** Validity start, milliseconds since the Unix epoch. */
  readonly notBefore: number;
  /** Validity end (inclusive), milliseconds since the Unix epoch. */
  readonly notAfter: number;
  /** SubjectPublicKeyInfo DER. */
  readonly spki: Uint8Array;
  /** The checked public key. */
  readonly publicKey: ParsedPublicKey;
  /** basicConstraints, when present. */
  readonly basicConstraints: BasicConstraints | undefined;
  /** keyUsage bits ({@link KeyUsage}), when present. */
  readonly keyUsage: number | undefined;
  /** subjectAltName entries (empty when absent). */
  readonly subjectAltNames: readonly GeneralName[];
}

const OID_BASIC_CONSTRAINTS = "2.5.29.19";
const OID_KEY_USAGE = "2.5.29.15";
const OID_SUBJECT_ALT_NAME = "2.5.29.17";
/** Extensions understood well enough to be accepted when critical. */
const OID_EXTENDED_KEY_USAGE = "2.5.29.37";

/** Digits of a time string at `at`, `count` of them. */
function digits(s: Uint8Array, at: number, count: number, what: string): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const c = s[i]!;
    if (c < 0x30 || c > 0x39) malformed(`${what}: bad time`);
    n = n * 10 + (c - 0x30);
  }
  return n;
}

/**
 * RFC 5280 §4.1.2.5.1 UTCTime `YYMMDDHHMMSSZ` (YY ≥ 50 is 19YY) and §4.1.2.5.2 GeneralizedTime
 * `YYYYMMDDHHMMSSZ`: seconds present, Zulu, no fractions.
 */
function time(node: Node | undefined, what: string): number {
  let year: number;
  let s: Uint8Array;
  if (is(node, UNIVERSAL, TAG.UTC_TIME)) {
    s = contents(node);
    if (s.length !== 13) malformed(`${what}: bad UTCTime`);
    const yy = digits(s, 0, 2, what);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    s = s.subarray(2);
  } else if (is(node, UNIVERSAL, TAG.GENERALIZED_TIME)) {
    s = contents(node);
    if (s.length !== 15) malformed(`${what}: bad GeneralizedTime`);
    year = digits(s, 0, 4, what);
    s = s.subarray(4);
  } else {
    return malformed(`${what}: not a time`);
  }
  if (s[10] !== 0x5a) malformed(`${what}: time not in Zulu`);
  const month = digits(s, 0, 2, what);
  const day = digits(s, 2, 2, what);
  const hour = digits(s, 4, 2, what);
  const minute = digits(s, 6, 2, what);
  const second = digits(s, 8, 2, what);
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(ms);
  // Reject out-of-range fields (month 13, February 30 …) rather than letting Date roll them over.
  if (
    month < 1 ||
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() !== month - 1 ||
    back.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    malformed(`${what}: invalid date`);
  }
  return ms;
}

/** IA5String contents of an implicitly tagged GeneralName (RFC 5280 §4.2.1.6: IA5 only). */
function ia5(bytes: Uint8Array, what: string): string {
  if (bytes.length === 0) malformed(`${what}: empty name`);
  let s = "";
  for (const b of bytes) {
    if (b === 0 || b >= 0x80) malformed(`${what}: not an IA5String`);
    s += String.fromCharCode(b);
  }
  return s;
}

/** GeneralNames (RFC 5280 §4.2.1.6); bounded by the decode limits. */
function generalNames(node: Node, what: string): GeneralName[] {
  const items = sequence(node, what, 1, 256);
  return items.map((item): GeneralName => {
    const { tagClass, tagNumber, isConstructed } = item.idBlock;
    if (tagClass !== CONTEXT) malformed(`${what}: not a GeneralName`);
    switch (tagNumber) {
      case 1: // rfc822Name [1] IMPLICIT IA5String
      case 2: // dNSName [2] IMPLICIT IA5String
        if (isConstructed) malformed(`${what}: constructed string`);
        return { type: tagNumber === 1 ? "email" : "dns", value: ia5(contents(item), what) };
      case 7: {
        // iPAddress [7] IMPLICIT OCTET STRING: four octets (IPv4) or sixteen (IPv6) in a SAN.
        if (isConstructed) malformed(`${what}: constructed iPAddress`);
        const ip = contents(item);
        if (ip.length !== 4 && ip.length !== 16) malformed(`${what}: iPAddress of ${ip.length} octets`);
        return { type: "ip", value: ip };
      }
      case 4: {
        // directoryName [4] EXPLICIT Name.
        const inner = children(item, what);
        if (inner.length !== 1) malformed(`${what}: directoryName`);
        return { type: "dn", value: distinguishedNameOf(inner[0]!, what) };
      }
      default:
        return { type: "other", tag: tagNumber };
    }
  });
}

/** Decodes an extension's extnValue as one DER element. */
function extensionValue(value: Uint8Array, what: string): Node {
  return decodeDer(value, what, EXTENSION_LIMITS);
}

/** RFC 5280 §4.2.1.9: BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLen INTEGER OPTIONAL }. */
function basicConstraintsOf(value: Uint8Array): BasicConstraints {
  const what = "basicConstraints";
  const items = sequence(extensionValue(value, what), what, 0, 2);
  let i = 0;
  let ca = false;
  if (is(items[0], UNIVERSAL, TAG.BOOLEAN)) {
    ca = boolean(items[0], what);
    i++;
  }
  const pathLength = items[i] === undefined ? undefined : smallInteger(items[i], `${what} pathLen`);
  if (pathLength !== undefined) i++;
  if (i !== items.length) malformed(`${what}: unexpected element`);
  return { ca, pathLength };
}

/** RFC 5280 §4.2.1.3: KeyUsage ::= BIT STRING, bit 0 first (most significant bit of octet 0). */
function keyUsageOf(value: Uint8Array): number {
  const what = "keyUsage";
  const { bits } = bitString(extensionValue(value, what), what);
  if (bits.length > 2) malformed(`${what}: too many bits`);
  let mask = 0;
  for (let bit = 0; bit < bits.length * 8; bit++) {
    if ((bits[bit >> 3]! & (0x80 >> (bit & 7))) !== 0) mask |= 1 << bit;
  }
  return mask;
}

interface Extensions {
  basicConstraints: BasicConstraints | undefined;
  keyUsage: number | undefined;
  subjectAltNames: GeneralName[];
}

/** RFC 5280 §4.1.2.9: Extensions, each at most once; unknown critical ones are refused. */
function extensionsOf(node: Node | undefined): Extensions {
  const out: Extensions = { basicConstraints: undefined, keyUsage: undefined, subjectAltNames: [] };
  if (node === undefined) return out;
  const wrapped = children(node, "extensions");
  if (wrapped.length !== 1) malformed("extensions: [3] must hold one element");
  const seen = new Set<string>();
  for (const ext of sequence(wrapped[0], "extensions", 1, 64)) {
    const items = sequence(ext, "extension", 2, 3);
    const id = oid(items[0], "extnID");
    // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular extension."
    if (seen.has(id)) malformed(`extension ${id} repeated`);
    seen.add(id);
    let critical = false;
    if (items.length === 3) {
      critical = boolean(items[1], "critical");
      // X.690 §11.5: DER omits a value equal to the DEFAULT (FALSE).
      if (!critical) malformed("extension: critical FALSE encoded");
    }
    const value = octetString(items[items.length - 1], "extnValue");
    switch (id) {
      case OID_BASIC_CONSTRAINTS:
        out.basicConstraints = basicConstraintsOf(value);
        break;
      case OID_KEY_USAGE:
        out.keyUsage = keyUsageOf(value);
        break;
      case OID_SUBJECT_ALT_NAME:
        out.subjectAltNames = generalNames(extensionValue(value, "subjectAltName"), "subjectAltName");
        break;
      case OID_EXTENDED_KEY_USAGE:
        // Not restricted in IKE (RFC 4945 §5.1.3.12: no extended key usage is required).
        break;
      default:
        // RFC 5280 §4.2: an unrecognized critical extension makes the certificate unusable.
        if (critical) throw new PkiError("unsupported", `unknown critical extension ${id}`);
    }
  }
  return out;
}

function publicKeyOf(spki: Uint8Array): ParsedPublicKey {
  try {
    return parseSpki(spki);
  } catch (e) {
    if (e instanceof CryptoError) throw new PkiError("invalid-key", e.message.replace(/^invalid-key: /, ""));
    throw e;
  }
}

function parse(der: Uint8Array): Certificate {
  // RFC 5280 §4.1: Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }.
  const [tbsNode, algNode, sigNode] = sequence(decodeDer(der, "certificate", LIMITS), "certificate", 3, 3);
  const tbsItems = sequence(tbsNode, "tbsCertificate", 6, 10);
  let i = 0;
  let version = 1;
  if (is(tbsItems[0], CONTEXT, 0)) {
    // RFC 5280 §4.1.2.1: version [0] EXPLICIT, DEFAULT v1 (so an explicit v1 is not DER).
    const inner = children(tbsItems[0], "version");
    if (inner.length !== 1) malformed("version: [0] must hold one element");
    const v = smallInteger(inner[0], "version");
    if (v !== 1 && v !== 2) throw new PkiError("unsupported", `certificate version ${v + 1}`);
    version = v + 1;
    i++;
  }
  const serial = integerBytes(tbsItems[i++], "serialNumber");
  // RFC 5280 §4.1.2.2: at most 20 octets of value (21 with the sign octet of a positive number).
  if (serial.length > 21) malformed("serialNumber longer than 20 octets");
  const innerAlg = expect(tbsItems[i++], UNIVERSAL, TAG.SEQUENCE, "signature");
  const issuer = distinguishedNameOf(tbsItems[i++]!, "issuer");
  const [nb, na] = sequence(tbsItems[i++], "validity", 2, 2);
  const notBefore = time(nb, "notBefore");
  const notAfter = time(na, "notAfter");
  const subject = distinguishedNameOf(tbsItems[i++]!, "subject");
  const spkiNode = expect(tbsItems[i++], UNIVERSAL, TAG.SEQUENCE, "subjectPublicKeyInfo");
  // RFC 5280 §4.1.2.8: issuerUniqueID [1] and subjectUniqueID [2], v2/v3 only; not used.
  for (const tag of [1, 2]) {
    if (is(tbsItems[i], CONTEXT, tag)) {
      if (version === 1) malformed("unique identifier in a v1 certificate");
      i++;
    }
  }
  let extNode: Node | undefined;
  if (is(tbsItems[i], CONTEXT, 3)) {
    // RFC 5280 §4.1.2.9: extensions only in v3.
    if (version !== 3) malformed("extensions in a pre-v3 certificate");
    extNode = tbsItems[i++];
  }
  if (i !== tbsItems.length) malformed("tbsCertificate: unexpected element");
  const signatureAlgorithm = signatureAlgorithmOf(algNode, "signatureAlgorithm");
  const inner = encoding(innerAlg);
  // RFC 5280 §4.1.1.2: the two signature algorithm fields MUST be identical.
  if (
    inner.length !== signatureAlgorithm.der.length ||
    inner.some((b, k) => b !== signatureAlgorithm.der[k])
  ) {
    malformed("signature and signatureAlgorithm differ");
  }
  const sig = bitString(sigNode, "signatureValue");
  if (sig.unused !== 0) malformed("signatureValue: unused bits");
  const spki = encoding(spkiNode);
  const ext = extensionsOf(extNode);
  return {
    der,
    tbs: encoding(tbsNode!),
    version,
    serialNumber: serial,
    signatureAlgorithm,
    signature: sig.bits,
    issuer,
    subject,
    notBefore,
    notAfter,
    spki,
    publicKey: publicKeyOf(spki),
    basicConstraints: ext.basicConstraints,
    keyUsage: ext.keyUsage,
    subjectAltNames: ext.subjectAltNames,
  };
}

/**
 * Parses a DER X.509 certificate (RFC 5280 §4.1).
 * @throws {@link PkiError} for anything malformed, unsupported or weak; never another exception.
 * @public
 */
export function parseCertificate(der: Uint8Array): Certificate {
  if (!(der instanceof Uint8Array)) throw new PkiError("malformed", "certificate: not bytes");
  if (der.length > MAX_CERTIFICATE_LENGTH) malformed(`certificate of ${der.length} octets`);
  // A private copy: the views returned point into it, never into the caller's buffer.
  return parse(der.slice());
}
