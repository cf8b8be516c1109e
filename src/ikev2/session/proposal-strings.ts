/**
 * Proposals as structured transform-ID lists, and the strongSwan-style strings that name them:
 * IKE `aes256gcm16-prfsha256-x25519`, `aes128-sha256-modp2048`; ESP `aes256gcm16`,
 * `aes128-sha256`. Tokens are separated by `-`, each names one transform, several of one type
 * are alternatives (most preferred first), as in strongSwan's `ike =` / `esp =` options.
 *
 * @packageDocumentation
 */
import { ENCRYPTION, encryptionByIkev2, KE_GROUPS } from "../../crypto/registry.js";

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
  if (out.encryption.length === 0) throw new RangeError(`${what} "${text}": no encryption algorithm`);
  const aead = out.encryption.map((e) => isCombined(e.id));
  if (aead.some((a) => a !== aead[0])) {
    throw new RangeError(`${what} "${text}": mixes combined-mode and other ciphers in one proposal`);
  }
  // RFC 5282 §8: a combined-mode proposal "MUST NOT propose any integrity transforms".
  if (aead[0] === true && out.integrity.length > 0) {
    throw new RangeError(`${what} "${text}": combined-mode cipher with an integrity algorithm`);
  }
  return out;
}

/**
 * Parses an IKE proposal string. Without a `prf…` token the PRFs follow the integrity
 * algorithms (`sha256` → `prfsha256`), as in strongSwan.
 * @throws `RangeError` for an unknown token, a missing encryption, PRF or key exchange, a
 *   non-AEAD cipher without integrity, or AEAD and non-AEAD ciphers mixed.
 * @public
 */
export function parseIkeProposal(text: string): IkeProposalConfig {
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

/**
 * Parses an ESP proposal string (`aes256gcm16`, `aes128-sha256`, `aes128-sha256-modp2048`,
 * `…-esn`).
 * @throws `RangeError` for an unknown token, a PRF, a non-AEAD cipher without integrity (NULL
 *   included), or AEAD and non-AEAD ciphers mixed.
 * @public
 */
export function parseEspProposal(text: string): EspProposalConfig {
  const t = tokenize(text, "ESP proposal");
  if (t.prf.length > 0) throw new RangeError(`ESP proposal "${text}": a PRF is for IKE`);
  // RFC 4303 §3.2: ESP without integrity (and NULL without it) is refused by the data plane too.
  if (!isCombined(t.encryption[0]!.id) && t.integrity.length === 0) {
    throw new RangeError(`ESP proposal "${text}": no integrity algorithm`);
  }
  return { encryption: t.encryption, integrity: t.integrity, ke: t.ke, esn: t.esn ?? false };
}
