/**
 * Proposals as structured transform-ID lists, and the two text forms that name them.
 *
 * strongSwan-style strings: IKE `aes256gcm16-prfsha256-x25519`, `aes128-sha256-modp2048`; ESP
 * `aes256gcm16`, `aes128-sha256`. Tokens are separated by `-`, each names one transform, several
 * of one type are alternatives (most preferred first), as in strongSwan's `ike =` / `esp =`
 * options.
 *
 * Cisco IOS-style text: IKE the body of a `crypto ikev2 proposal` (seeds/004:632-650),
 * `encryption aes-cbc-256 aes-cbc-128 integrity sha256 sha1 group 19 14`; ESP the transforms of a
 * `crypto ipsec transform-set` (seeds/004:601, 004:498-511), `esp-aes 256 esp-sha256-hmac`.
 * IOS text always contains a space and strongSwan strings never do, which is how
 * {@link parseIkeProposal} and {@link parseEspProposal} tell them apart.
 *
 * @packageDocumentation
 */
import {
  ENCRYPTION,
  encryptionByIkev2,
  encryptionByName,
  integrityByName,
  KE_GROUPS,
  keGroupById,
  prfByName,
} from "../../crypto/registry.js";
import { PolicyError } from "../../spd/errors.js";
import { parseTransformSet, type TransformSet } from "../../spd/transform.js";

/** An ENCR transform and, for variable-length ciphers, its key size. @public */
export interface EncryptionChoice {
  /** IKEv2 ENCR transform ID (RFC 7296 §3.3.2). */
  readonly id: number;
  /** Key Length attribute in bits (RFC 7296 §3.3.5), for ciphers that take one. */
  readonly keyBits?: number;
}

/** One IKE SA proposal: alternatives per transform type, most preferred first. @public */
export interface IkeProposalConfig {
  /** ENCR transforms: all combined-mode (AEAD) or all not. */
  readonly encryption: readonly EncryptionChoice[];
  /** INTEG transform IDs; empty with AEAD encryption (RFC 5282 §8). */
  readonly integrity: readonly number[];
  /** PRF transform IDs. */
  readonly prf: readonly number[];
  /** Key exchange method (DH group) IDs. */
  readonly ke: readonly number[];
}

/** One ESP proposal. @public */
export interface EspProposalConfig {
  /** ENCR transforms: all combined-mode or all not. */
  readonly encryption: readonly EncryptionChoice[];
  /** INTEG transform IDs; empty with AEAD encryption. */
  readonly integrity: readonly number[];
  /**
   * PFS groups for Child SAs made by CREATE_CHILD_SA. The first Child SA, made in IKE_AUTH, has
   * no key exchange of its own (RFC 7296 §1.2), so these are not proposed there.
   */
  readonly ke: readonly number[];
  /** Extended sequence numbers (RFC 7296 §3.3.2 ESN transform). Default false. */
  readonly esn?: boolean;
}

const AES_BITS = [128, 192, 256] as const;
/** strongSwan spells the AEAD ICV in octets (`gcm16`) or bits (`gcm128`). */
const ICV_SUFFIX: Readonly<Record<string, number>> = {
  "8": 8,
  "12": 12,
  "16": 16,
  "64": 8,
  "96": 12,
  "128": 16,
};

function encryptionToken(token: string): EncryptionChoice | undefined {
  const fixed: Readonly<Record<string, number>> = {
    chacha20poly1305: 28,
    "3des": 3,
    des: 2,
    null: 11,
  };
  if (fixed[token] !== undefined) return { id: fixed[token] };
  const m = /^aes(128|192|256)(ctr|gcm|ccm|gmac)?(\d+)?$/.exec(token);
  if (m === null) return undefined;
  const keyBits = Number(m[1]);
  if (!AES_BITS.includes(keyBits as 128)) return undefined;
  const mode = m[2];
  if (mode === undefined || mode === "ctr" || mode === "gmac") {
    if (m[3] !== undefined) return undefined;
    const name = mode === undefined ? "aes-cbc" : `aes-${mode}`;
    const spec = ENCRYPTION.find((e) => e.name === name);
    return spec === undefined ? undefined : { id: spec.ikev2, keyBits };
  }
  const icv = m[3] === undefined ? undefined : ICV_SUFFIX[m[3]];
  if (icv === undefined) return undefined;
  const spec = ENCRYPTION.find((e) => e.name === `aes-${mode}-${icv}`);
  return spec === undefined ? undefined : { id: spec.ikev2, keyBits };
}

/** strongSwan integrity names → IKEv2 INTEG IDs (RFC 7296 §3.3.2, RFC 4868). */
const INTEGRITY_TOKENS: Readonly<Record<string, number>> = {
  md5: 1,
  sha1: 2,
  sha: 2,
  aesxcbc: 5,
  aescmac: 8,
  sha256: 12,
  sha2_256: 12,
  sha384: 13,
  sha2_384: 13,
  sha512: 14,
  sha2_512: 14,
};

/** strongSwan PRF names → IKEv2 PRF IDs. */
const PRF_TOKENS: Readonly<Record<string, number>> = {
  prfmd5: 1,
  prfsha1: 2,
  prfaesxcbc: 4,
  prfsha256: 5,
  prfsha384: 6,
  prfsha512: 7,
  prfaescmac: 8,
};

/** strongSwan: without a PRF token, an IKE proposal uses the PRF matching each integrity algorithm. */
const PRF_FOR_INTEGRITY: Readonly<Record<number, number>> = { 1: 1, 2: 2, 5: 4, 8: 8, 12: 5, 13: 6, 14: 7 };

const KE_ALIASES: Readonly<Record<string, string>> = { curve25519: "x25519", curve448: "x448" };

function keToken(token: string): number | undefined {
  const name = KE_ALIASES[token] ?? token;
  return KE_GROUPS.find((g) => g.name === name)?.id;
}

/** AEAD or AES-GMAC: a combined mode, which takes no integrity transform. */
function isCombined(id: number): boolean {
  const kind = encryptionByIkev2(id)?.kind;
  return kind === "aead" || kind === "gmac";
}

interface Tokens {
  encryption: EncryptionChoice[];
  integrity: number[];
  prf: number[];
  ke: number[];
  esn: boolean | undefined;
}

function tokenize(text: string, what: string): Tokens {
  const out: Tokens = { encryption: [], integrity: [], prf: [], ke: [], esn: undefined };
  for (const raw of text.split("-")) {
    const token = raw.trim().toLowerCase();
    const enc = encryptionToken(token);
    if (enc !== undefined) out.encryption.push(enc);
    else if (INTEGRITY_TOKENS[token] !== undefined) out.integrity.push(INTEGRITY_TOKENS[token]);
    else if (PRF_TOKENS[token] !== undefined) out.prf.push(PRF_TOKENS[token]);
    else if (keToken(token) !== undefined) out.ke.push(keToken(token)!);
    else if (token === "esn" || token === "noesn") out.esn = token === "esn";
    else throw new RangeError(`${what} "${text}": unknown algorithm "${raw}"`);
  }
  checkCiphers(`${what} "${text}"`, out.encryption, out.integrity);
  return out;
}

/** Checks the ciphers of one proposal against each other and against its integrity transforms. */
function checkCiphers(where: string, encryption: readonly EncryptionChoice[], integrity: readonly number[]) {
  if (encryption.length === 0) throw new RangeError(`${where}: no encryption algorithm`);
  const aead = encryption.map((e) => isCombined(e.id));
  if (aead.some((a) => a !== aead[0])) {
    throw new RangeError(`${where}: mixes combined-mode and other ciphers in one proposal`);
  }
  // RFC 5282 §8: a combined-mode proposal "MUST NOT propose any integrity transforms".
  if (aead[0] === true && integrity.length > 0) {
    throw new RangeError(`${where}: combined-mode cipher with an integrity algorithm`);
  }
}

/** strongSwan form of {@link parseIkeProposal}. */
function parseStrongswanIke(text: string): IkeProposalConfig {
  const t = tokenize(text, "IKE proposal");
  if (t.esn !== undefined) throw new RangeError(`IKE proposal "${text}": ESN is for ESP`);
  const aead = encryptionByIkev2(t.encryption[0]!.id)?.kind === "aead";
  if (!aead && t.integrity.length === 0)
    throw new RangeError(`IKE proposal "${text}": no integrity algorithm`);
  const prf = t.prf.length > 0 ? t.prf : [...new Set(t.integrity.map((i) => PRF_FOR_INTEGRITY[i]!))];
  if (prf.length === 0) throw new RangeError(`IKE proposal "${text}": no PRF`);
  // RFC 7296 §3.3.3: IKE proposals must carry a key exchange method.
  if (t.ke.length === 0) throw new RangeError(`IKE proposal "${text}": no key exchange method`);
  return { encryption: t.encryption, integrity: t.integrity, prf, ke: t.ke };
}

/** strongSwan form of {@link parseEspProposal}. */
function parseStrongswanEsp(text: string): EspProposalConfig {
  const t = tokenize(text, "ESP proposal");
  if (t.prf.length > 0) throw new RangeError(`ESP proposal "${text}": a PRF is for IKE`);
  // RFC 4303 §3.2: ESP without integrity (and NULL without it) is refused by the data plane too.
  if (!isCombined(t.encryption[0]!.id) && t.integrity.length === 0) {
    throw new RangeError(`ESP proposal "${text}": no integrity algorithm`);
  }
  return { encryption: t.encryption, integrity: t.integrity, ke: t.ke, esn: t.esn ?? false };
}

/** IOS text always has a space between keywords and values; strongSwan strings never do. */
function isIos(text: string): boolean {
  return /\s/.test(text.trim());
}

/**
 * A one-transform IOS set (`esp-gcm`, `esp-3des`) has no space, but every IOS transform keyword
 * starts with `esp-`, `ah-` or `comp-` (seeds/004:498-511), which no strongSwan token is.
 */
function isIosEsp(text: string): boolean {
  return isIos(text) || /^(esp|ah|comp)-/i.test(text.trim());
}

// ---------------------------------------------------------------------------------------------
// Cisco IOS forms

/**
 * The IOS IKEv2 default proposal, used when no proposal is attached to a policy
 * (seeds/004:467-473, 004:482). It offers legacy algorithms (3DES, MD5, groups 5 and 2), so a
 * session configured with it needs `allowLegacy`.
 * @public
 */
export const IOS_DEFAULT_IKE_PROPOSAL = "encryption aes-cbc-128 3des integrity sha1 md5 group 5 2";

/**
 * IOS `encryption` keywords of an IKEv2 proposal → registry names. seeds/004:645 (Step 4) lists
 * AES-CBC 128/192/256 and 3DES; `aes-gcm-128` / `aes-gcm-256` are the IOS names of ENCR_AES_GCM_16
 * (RFC 5282, 16-octet ICV). IDs come from the registry (RFC 7296 §3.3.2 Transform Type 1).
 */
const IOS_IKE_ENCRYPTION: Readonly<Record<string, { readonly name: string; readonly keyBits?: number }>> = {
  "aes-cbc-128": { name: "aes-cbc", keyBits: 128 },
  "aes-cbc-192": { name: "aes-cbc", keyBits: 192 },
  "aes-cbc-256": { name: "aes-cbc", keyBits: 256 },
  "aes-gcm-128": { name: "aes-gcm-16", keyBits: 128 },
  "aes-gcm-256": { name: "aes-gcm-16", keyBits: 256 },
  "3des": { name: "3des-cbc" },
};

/**
 * IOS `integrity` keywords → registry names: sha1, sha256, sha384, sha512, md5, all HMAC
 * (seeds/004:646-648, Step 5). RFC 7296 §3.3.2 Transform Type 3; RFC 4868 for SHA-2.
 */
const IOS_IKE_INTEGRITY: Readonly<Record<string, string>> = {
  md5: "hmac-md5-96",
  sha1: "hmac-sha1-96",
  sha256: "hmac-sha256-128",
  sha384: "hmac-sha384-192",
  sha512: "hmac-sha512-256",
};

/**
 * IOS `prf` keywords → registry names (RFC 7296 §3.3.2 Transform Type 2). The seeds guide names
 * HMAC-SHA256/384 (and optionally SHA-512) as PRFs (seeds/004:535) and shows PRF and hash paired
 * in `show crypto ikev2 session` (`PRF: SHA512, Hash: SHA512`, seeds/004:2867).
 */
const IOS_IKE_PRF: Readonly<Record<string, string>> = {
  md5: "hmac-md5",
  sha1: "hmac-sha1",
  sha256: "hmac-sha256",
  sha384: "hmac-sha384",
  sha512: "hmac-sha512",
};

const IOS_IKE_KEYWORDS = ["encryption", "integrity", "prf", "group"] as const;
type IosIkeKeyword = (typeof IOS_IKE_KEYWORDS)[number];

function isIosIkeKeyword(word: string): word is IosIkeKeyword {
  return (IOS_IKE_KEYWORDS as readonly string[]).includes(word);
}

function iosEncryption(where: string, raw: string): EncryptionChoice {
  const word = raw.toLowerCase();
  const known = Object.hasOwn(IOS_IKE_ENCRYPTION, word) ? IOS_IKE_ENCRYPTION[word] : undefined;
  if (known !== undefined) {
    const spec = encryptionByName(known.name)!;
    return known.keyBits === undefined ? { id: spec.ikev2 } : { id: spec.ikev2, keyBits: known.keyBits };
  }
  const m = /^(aes(?:-cbc|-gcm)?)(?:-(\d+))?$/.exec(word);
  if (m !== null) {
    const family = m[1] === "aes" ? "aes-cbc" : m[1]!;
    const sizes = Object.keys(IOS_IKE_ENCRYPTION).filter((k) => k.startsWith(`${family}-`));
    const problem = m[2] === undefined ? "needs a key size" : `has no ${m[2]}-bit key size`;
    throw new RangeError(`${where}: encryption "${raw}" ${problem}: ${sizes.join(", ")}`);
  }
  throw new RangeError(`${where}: unknown encryption "${raw}"`);
}

function iosLookup(where: string, kind: "integrity" | "prf", raw: string): number {
  const table = kind === "integrity" ? IOS_IKE_INTEGRITY : IOS_IKE_PRF;
  const word = raw.toLowerCase();
  const name = Object.hasOwn(table, word) ? table[word] : undefined;
  const id =
    name === undefined ? undefined : (kind === "integrity" ? integrityByName : prfByName)(name)?.ikev2;
  if (id === undefined) throw new RangeError(`${where}: unknown ${kind} "${raw}"`);
  return id;
}

/**
 * IOS `group` values are the IANA Diffie-Hellman group numbers, i.e. the IKEv2 Key Exchange
 * Method IDs (RFC 7296 §3.3.2 Transform Type 4): seeds/004:650 lists 1, 2, 5, 14, 15, 16, 19, 20,
 * 24, Suite-B adds 21 (seeds/004:536). Any group the registry implements is accepted.
 */
function iosGroup(where: string, raw: string): number {
  const id = /^\d+$/.test(raw) ? Number(raw) : undefined;
  if (id === undefined || keGroupById(id) === undefined)
    throw new RangeError(`${where}: unknown group "${raw}"`);
  return id;
}

/** IOS form of {@link parseIkeProposal}. */
function parseIosIke(text: string): IkeProposalConfig {
  const where = `IKE proposal "${text}"`;
  const lists = new Map<IosIkeKeyword, string[]>();
  let current: string[] | undefined;
  for (const raw of text.trim().split(/\s+/)) {
    const word = raw.toLowerCase();
    if (isIosIkeKeyword(word)) {
      if (lists.has(word)) throw new RangeError(`${where}: "${raw}" given twice`);
      current = [];
      lists.set(word, current);
    } else if (current === undefined) {
      throw new RangeError(`${where}: unknown keyword "${raw}" (expected ${IOS_IKE_KEYWORDS.join(", ")})`);
    } else {
      current.push(raw);
    }
  }
  for (const [keyword, values] of lists) {
    if (values.length === 0) throw new RangeError(`${where}: "${keyword}" without a value`);
  }
  const encryption = (lists.get("encryption") ?? []).map((v) => iosEncryption(where, v));
  const integrity = (lists.get("integrity") ?? []).map((v) => iosLookup(where, "integrity", v));
  const explicitPrf = (lists.get("prf") ?? []).map((v) => iosLookup(where, "prf", v));
  const ke = (lists.get("group") ?? []).map((v) => iosGroup(where, v));
  // seeds/004:467: a proposal is complete only with encryption, integrity and a DH group.
  checkCiphers(where, encryption, integrity);
  const aead = isCombined(encryption[0]!.id);
  if (!aead && integrity.length === 0) throw new RangeError(`${where}: no integrity algorithm`);
  // Without `prf` the PRFs follow the integrity algorithms (seeds/004:2867 `PRF: SHA512, Hash:
  // SHA512`); a combined-mode cipher has no integrity to follow, so it needs `prf`.
  const prf =
    explicitPrf.length > 0 ? explicitPrf : [...new Set(integrity.map((i) => PRF_FOR_INTEGRITY[i]!))];
  if (prf.length === 0) throw new RangeError(`${where}: an AEAD cipher needs "prf"`);
  if (ke.length === 0) throw new RangeError(`${where}: no group`);
  return { encryption, integrity, prf, ke };
}

/** The first transform of a set in the given row, in IOS spelling. */
function spelled(set: TransformSet, prefix: string): string | undefined {
  return set.transforms.find((t) => t.startsWith(prefix));
}

/**
 * IOS form of {@link parseEspProposal}, through the crypto-map transform-set parser. Legacy
 * transforms are let through here; `allowLegacy` is checked when the session config is resolved.
 */
function parseIosEsp(text: string): EspProposalConfig {
  const where = `ESP proposal "${text}"`;
  let set: TransformSet;
  try {
    set = parseTransformSet("ESP proposal", text, { allowLegacy: true });
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e;
    // Drop the `bad-transform (entry "ESP proposal"): ` prefix; the rest names the bad token.
    throw new RangeError(`${where}: ${e.message.slice(e.message.indexOf(": ") + 2)}`, { cause: e });
  }
  // RFC 7296 §3.3.1: an ESP proposal carries ENCR, INTEG, KE and ESN transforms only; AH would be
  // a proposal of its own, and IKEv2 negotiates IPComp with IPCOMP_SUPPORTED (§2.22).
  const ah = spelled(set, "ah-");
  if (ah !== undefined) throw new RangeError(`${where}: "${ah}" is AH, not part of an IKEv2 ESP proposal`);
  if (set.compression !== null) {
    throw new RangeError(`${where}: "comp-lzs" is IPComp, not part of an IKEv2 ESP proposal`);
  }
  const cipher = set.espCipher!; // parseTransformSet: no AH → an ESP cipher is present
  if (set.espIntegrity === null && !isCombined(cipher.spec.ikev2)) {
    // As for strongSwan strings: ESP without integrity is refused (RFC 4303 §3.2, RFC 8221 §5).
    throw new RangeError(`${where}: "${spelled(set, "esp-")}" without an ESP authentication transform`);
  }
  return {
    // RFC 7296 §3.3.5: the Key Length attribute only for variable-length ciphers.
    encryption: [
      cipher.spec.keyLengthAttribute
        ? { id: cipher.spec.ikev2, keyBits: cipher.keyBits }
        : { id: cipher.spec.ikev2 },
    ],
    integrity: set.espIntegrity === null ? [] : [set.espIntegrity.ikev2],
    // PFS is `set pfs groupN` on the crypto map or profile (seeds/004:752), not in a transform set.
    ke: [],
    esn: false,
  };
}

/**
 * Parses an IKE proposal, in either text form. IDs are IKEv2 transform IDs (RFC 7296 §3.3.2).
 *
 * - strongSwan style, `-`-separated: `aes256gcm16-prfsha256-x25519`, `aes128-sha256-modp2048`.
 *   Without a `prf…` token the PRFs follow the integrity algorithms (`sha256` → `prfsha256`).
 * - Cisco IOS style, the body of `crypto ikev2 proposal` (seeds/004:632-650), keywords each
 *   followed by one or more values, most preferred first:
 *   `encryption aes-cbc-256 aes-cbc-128 integrity sha256 sha1 group 19 14`,
 *   `encryption aes-gcm-256 prf sha384 group 20`. Keywords: `encryption` (`aes-cbc-128|192|256`,
 *   `aes-gcm-128|256`, `3des`), `integrity` and `prf` (`sha1`, `sha256`, `sha384`, `sha512`,
 *   `md5`), `group` (DH group numbers). Without `prf` the PRFs follow the integrity algorithms, as
 *   on IOS (seeds/004:2867); AES-GCM needs `prf` and takes no `integrity`. See
 *   {@link IOS_DEFAULT_IKE_PROPOSAL} for the IOS default proposal.
 *
 * Text containing whitespace is read as IOS, anything else as strongSwan.
 * @throws `RangeError` naming the bad token: an unknown token or keyword, a keyword without
 *   values or given twice, an AES name without a valid key size, a missing encryption, PRF or key
 *   exchange, a non-AEAD cipher without integrity, or AEAD and non-AEAD ciphers mixed.
 * @public
 */
export function parseIkeProposal(text: string): IkeProposalConfig {
  return isIos(text) ? parseIosIke(text) : parseStrongswanIke(text);
}

/**
 * Parses an ESP proposal, in either text form. IDs are IKEv2 transform IDs (RFC 7296 §3.3.2).
 *
 * - strongSwan style: `aes256gcm16`, `aes128-sha256`, `aes128-sha256-modp2048`, `…-esn`.
 * - Cisco IOS style, the transforms of `crypto ipsec transform-set` (seeds/004:601, combinations
 *   seeds/004:498-511): `esp-aes 256 esp-sha256-hmac`, `esp-gcm 256`, `esp-3des esp-md5-hmac`;
 *   `esp-aes` alone means 128 bits (seeds/004:503). One transform set is one proposal; PFS is
 *   configured apart from it (`set pfs`), so `ke` is empty, and ESN is off.
 *
 * Text containing whitespace or starting with `esp-`, `ah-` or `comp-` (a one-transform set such
 * as `esp-gcm`) is read as IOS, anything else as strongSwan. Legacy algorithms
 * (DES, 3DES, MD5) parse; the session config refuses them without `allowLegacy`.
 * @throws `RangeError` naming the bad token: an unknown token, a PRF, a non-AEAD cipher without
 *   integrity (NULL included), AEAD and non-AEAD ciphers mixed; for IOS text also an AH or
 *   `comp-lzs` transform, two transforms of one kind or a bad key size.
 * @public
 */
export function parseEspProposal(text: string): EspProposalConfig {
  return isIosEsp(text) ? parseIosEsp(text) : parseStrongswanEsp(text);
}
