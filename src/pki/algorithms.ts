/**
 * Signature AlgorithmIdentifiers (RFC 5280 §4.1.1.2) as certificates and RFC 7427 §3 AUTH data
 * carry them: sha{256,384,512}WithRSAEncryption (RFC 4055 §5, parameters NULL), RSASSA-PSS
 * (RFC 4055 §3.1, explicit parameters), ecdsa-with-SHA{256,384,512} (RFC 5758 §3.2, parameters
 * absent), Ed25519 / Ed448 (RFC 8410 §3, parameters absent). SHA-1 based identifiers are known
 * but flagged `legacy`: callers refuse them unless a legacy rule requires SHA-1.
 *
 * @packageDocumentation
 */
import type { HashAlgorithm, SignatureScheme } from "../crypto/backend.js";
import { concat } from "../wire/bytes.js";
import {
  CONTEXT,
  children,
  decodeDer,
  encoding,
  is,
  type Node,
  nullValue,
  oid,
  sequence,
  smallInteger,
} from "./asn1.js";
import { malformed, PkiError } from "./errors.js";

/** The key type a signature algorithm needs. @public */
export type SignatureKeyKind = "rsa" | "ec" | "ed25519" | "ed448";

/** A decoded signature AlgorithmIdentifier. @public */
export interface SignatureAlgorithm {
  /** Readable name, e.g. `"sha256WithRSAEncryption"`, `"rsassa-pss(sha256)"`. */
  readonly name: string;
  /** How to verify (ECDSA values are DER, as in certificates and RFC 7427). */
  readonly scheme: SignatureScheme;
  /** The public key type that can verify it. */
  readonly keyKind: SignatureKeyKind;
  /** The hash (`null` for the pure EdDSA schemes, RFC 8420 "Identity"). */
  readonly hash: HashAlgorithm | null;
  /** SHA-1 based: refused unless a legacy rule requires it. */
  readonly legacy: boolean;
  /** The DER AlgorithmIdentifier it was decoded from. */
  readonly der: Uint8Array;
}

const OID_RSASSA_PSS = "1.2.840.113549.1.1.10";
const OID_MGF1 = "1.2.840.113549.1.1.8";
const OID_ED25519 = "1.3.101.112";
const OID_ED448 = "1.3.101.113";

/** RFC 4055 §5 and RFC 8017 Appendix C: PKCS#1 v1.5 with the hash named. */
const RSA_PKCS1: Readonly<Record<string, HashAlgorithm>> = {
  "1.2.840.113549.1.1.5": "sha1",
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
};

/** RFC 5758 §3.2 (SHA-2) and RFC 3279 §2.2.3 (SHA-1). */
const ECDSA: Readonly<Record<string, HashAlgorithm>> = {
  "1.2.840.10045.4.1": "sha1",
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.10045.4.3.4": "sha512",
};

/** RFC 4055 §2.1 / RFC 5754 §2: hash function OIDs. */
const HASHES: Readonly<Record<string, HashAlgorithm>> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};

const HASH_LENGTH: Readonly<Record<HashAlgorithm, number>> = {
  md5: 16,
  sha1: 20,
  sha256: 32,
  sha384: 48,
  sha512: 64,
};

/** A hash AlgorithmIdentifier: parameters absent or NULL (RFC 4055 §2.1 accepts both). */
function hashAlgorithm(node: Node | undefined, what: string): HashAlgorithm {
  const [id, params] = sequence(node, what, 1, 2);
  const hash = HASHES[oid(id, what)];
  if (hash === undefined) throw new PkiError("unsupported", `${what}: unknown hash`);
  if (params !== undefined) nullValue(params, what);
  return hash;
}

/** The explicit [n] tag around one element (RFC 4055 §3.1 fields), or undefined. */
function field(items: readonly Node[], index: number, tag: number): Node | undefined {
  const item = items[index];
  if (!is(item, CONTEXT, tag)) return undefined;
  const inner = children(item, "RSASSA-PSS-params");
  if (inner.length !== 1) malformed("RSASSA-PSS-params: explicit tag must hold one element");
  return inner[0];
}

/**
 * RFC 4055 §3.1 RSASSA-PSS-params. Absent fields take the defaults (SHA-1, MGF1-SHA-1, salt 20,
 * trailer 1); DER omits defaults, so an explicit default is not DER but is accepted as peers send it.
 */
function pssParams(params: Node | undefined, der: Uint8Array): SignatureAlgorithm {
  const what = "RSASSA-PSS-params";
  if (params === undefined) malformed(`${what}: missing`);
  const items = sequence(params, what, 0, 4);
  let i = 0;
  const take = (tag: number): Node | undefined => {
    const v = field(items, i, tag);
    if (v !== undefined) i++;
    return v;
  };
  const hashNode = take(0);
  const mgfNode = take(1);
  const saltNode = take(2);
  const trailerNode = take(3);
  if (i !== items.length) malformed(`${what}: unexpected element`);
  const hash = hashNode === undefined ? "sha1" : hashAlgorithm(hashNode, `${what} hash`);
  let mgfHash: HashAlgorithm = "sha1";
  if (mgfNode !== undefined) {
    const [mgfId, mgfParams] = sequence(mgfNode, `${what} MGF`, 2, 2);
    if (oid(mgfId, `${what} MGF`) !== OID_MGF1) throw new PkiError("unsupported", `${what}: MGF not MGF1`);
    mgfHash = hashAlgorithm(mgfParams, `${what} MGF1 hash`);
  }
  const saltLength = saltNode === undefined ? 20 : smallInteger(saltNode, `${what} salt`);
  // RFC 4055 §3.1: trailerField MUST be 1.
  if (trailerNode !== undefined && smallInteger(trailerNode, `${what} trailer`) !== 1) {
    malformed(`${what}: trailerField must be 1`);
  }
  if (saltLength > 1024) malformed(`${what}: salt too long`);
  return {
    name: `rsassa-pss(${hash})`,
    scheme: { kind: "rsa-pss", hash, mgfHash, saltLength },
    keyKind: "rsa",
    hash,
    legacy: hash === "sha1" || mgfHash === "sha1",
    der,
  };
}

/**
 * Decodes a parsed AlgorithmIdentifier node. @internal
 * @throws {@link PkiError} `malformed` or `unsupported`.
 */
export function signatureAlgorithmOf(node: Node | undefined, what: string): SignatureAlgorithm {
  const [idNode, params, ...rest] = sequence(node, what, 1, 2);
  if (rest.length > 0) malformed(`${what}: too many elements`);
  const id = oid(idNode, what);
  const der = encoding(node!);
  const pkcs1 = RSA_PKCS1[id];
  if (pkcs1 !== undefined) {
    // RFC 4055 §5: the parameters MUST be NULL (absent is tolerated by RFC 8017 readers; not here).
    nullValue(params, what);
    const name = `${pkcs1}WithRSAEncryption`;
    return {
      name,
      scheme: { kind: "rsa-pkcs1", hash: pkcs1 },
      keyKind: "rsa",
      hash: pkcs1,
      legacy: pkcs1 === "sha1",
      der,
    };
  }
  const ecdsa = ECDSA[id];
  if (ecdsa !== undefined) {
    // RFC 5758 §3.2: the parameters MUST be absent.
    if (params !== undefined) malformed(`${what}: ECDSA parameters must be absent`);
    const name = `ecdsa-with-${ecdsa.toUpperCase()}`;
    return {
      name,
      scheme: { kind: "ecdsa", hash: ecdsa, encoding: "der" },
      keyKind: "ec",
      hash: ecdsa,
      legacy: ecdsa === "sha1",
      der,
    };
  }
  if (id === OID_ED25519 || id === OID_ED448) {
    // RFC 8410 §3: the parameters MUST be absent.
    if (params !== undefined) malformed(`${what}: EdDSA parameters must be absent`);
    const kind = id === OID_ED25519 ? "ed25519" : "ed448";
    return {
      name: kind === "ed25519" ? "Ed25519" : "Ed448",
      scheme: { kind: "eddsa" },
      keyKind: kind,
      hash: null,
      legacy: false,
      der,
    };
  }
  if (id === OID_RSASSA_PSS) return pssParams(params, der);
  throw new PkiError("unsupported", `${what}: signature algorithm ${id}`);
}

/**
 * Decodes a DER signature AlgorithmIdentifier (the RFC 7427 §3 blob, or a certificate's).
 * @throws {@link PkiError} `malformed` or `unsupported`; nothing else.
 * @public
 */
export function parseSignatureAlgorithm(der: Uint8Array): SignatureAlgorithm {
  return signatureAlgorithmOf(
    decodeDer(der, "AlgorithmIdentifier", { maxDepth: 8, maxNodes: 32 }),
    "AlgorithmIdentifier",
  );
}

/** DER of a short SEQUENCE (contents < 128 octets). */
function seq(...parts: Uint8Array[]): Uint8Array {
  const body = concat(...parts);
  return concat(Uint8Array.of(0x30, body.length), body);
}

function explicitTag(n: number, inner: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(0xa0 | n, inner.length), inner);
}

const DER_NULL = Uint8Array.of(0x05, 0x00);

/** The DER of an OID (small arcs only, as in the constants here). */
function oidDer(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map(Number);
  const out: number[] = [arcs[0]! * 40 + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const bytes: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift(0x80 | (v & 0x7f));
    out.push(...bytes);
  }
  return Uint8Array.of(0x06, out.length, ...out);
}

function oidOf(table: Readonly<Record<string, HashAlgorithm>>, hash: HashAlgorithm): string {
  const entry = Object.entries(table).find(([, h]) => h === hash);
  if (entry === undefined) throw new PkiError("unsupported", `no identifier for ${hash}`);
  return entry[0];
}

/**
 * The DER AlgorithmIdentifier for a signature scheme, as RFC 7427 Appendix A lists them: PKCS#1
 * v1.5 with NULL parameters, RSASSA-PSS with explicit hash, MGF1 and salt length (trailer default),
 * ECDSA and EdDSA without parameters. `keyKind` tells Ed25519 from Ed448.
 * @throws {@link PkiError} `unsupported` for a scheme without an identifier (PKCS#1 without hash, MD5).
 * @public
 */
export function encodeSignatureAlgorithm(scheme: SignatureScheme, keyKind: SignatureKeyKind): Uint8Array {
  switch (scheme.kind) {
    case "rsa-pkcs1":
      if (scheme.hash === null) throw new PkiError("unsupported", "PKCS#1 v1.5 without a hash");
      return seq(oidDer(oidOf(RSA_PKCS1, scheme.hash)), DER_NULL);
    case "ecdsa":
      return seq(oidDer(oidOf(ECDSA, scheme.hash)));
    case "eddsa":
      return seq(oidDer(keyKind === "ed448" ? OID_ED448 : OID_ED25519));
    case "rsa-pss": {
      const hashId = (h: HashAlgorithm) => seq(oidDer(oidOf(HASHES, h)), DER_NULL);
      const mgf = seq(oidDer(OID_MGF1), hashId(scheme.mgfHash ?? scheme.hash));
      // One-octet DER INTEGER; hash-length salts (RFC 7427 Appendix A.4) are at most 64.
      if (scheme.saltLength > 0x7f) throw new PkiError("unsupported", "PSS salt length over 127");
      const salt = Uint8Array.of(0x02, 0x01, scheme.saltLength);
      return seq(
        oidDer(OID_RSASSA_PSS),
        seq(explicitTag(0, hashId(scheme.hash)), explicitTag(1, mgf), explicitTag(2, salt)),
      );
    }
  }
}

/** Output length of a hash in octets. @internal */
export function hashLength(hash: HashAlgorithm): number {
  return HASH_LENGTH[hash];
}
