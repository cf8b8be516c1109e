/**
 * Cisco IOS transform sets (`crypto ipsec transform-set NAME esp-aes 256 esp-sha-hmac`) mapped
 * onto the algorithm registry, with the IOS combination rules: at most one transform per row of
 * "Allowed Transform Combinations" (seeds/004:498-511) and at most four transforms per set
 * (seeds/004:4754); mode tunnel by default, `mode transport` optional (seeds/004:617).
 *
 * @packageDocumentation
 */
import {
  type EncryptionSpec,
  encryptionByName,
  type IntegritySpec,
  integrityByName,
} from "../crypto/registry.js";
import { PolicyError } from "./errors.js";

/**
 * IPsec mode (RFC 4301 §4.1). IOS: tunnel by default; transport applies only to traffic between
 * the peers themselves (seeds/004:617).
 * @public
 */
export type IpsecMode = "tunnel" | "transport";

/**
 * ESP encryption with its key size.
 * @public
 */
export interface EspCipher {
  readonly spec: EncryptionSpec;
  /** Key size in bits (without salt). */
  readonly keyBits: number;
}

/**
 * A transform set: the protocols and algorithms one SA bundle uses (seeds/004:492).
 * @public
 */
export interface TransformSet {
  /** Transform-set name (`aasset`, `esp-des-md5` …). */
  readonly name: string;
  /** The transforms as configured, in IOS spelling (`["esp-aes 256", "esp-sha-hmac"]`). */
  readonly transforms: readonly string[];
  /** AH integrity, when the set contains an AH transform. */
  readonly ah: IntegritySpec | null;
  /** ESP encryption (including NULL and combined-mode ciphers), when the set has ESP. */
  readonly espCipher: EspCipher | null;
  /** ESP integrity, when the set has a separate ESP authentication transform. */
  readonly espIntegrity: IntegritySpec | null;
  /** IP payload compression (`comp-lzs`). */
  readonly compression: "lzs" | null;
  readonly mode: IpsecMode;
  /** True if any transform is legacy (DES, 3DES, MD5 …) per the registry. */
  readonly legacy: boolean;
}

type Row = "ah" | "esp-encryption" | "esp-auth" | "compression";

interface IosTransform {
  readonly row: Row;
  /** Registry name of the integrity or encryption transform. */
  readonly algorithm: string;
  /** Key sizes the IOS keyword accepts as a following argument (first = default). */
  readonly keyBits?: readonly number[];
}

/** IOS transform keywords (seeds/004:498-511, seeds/002 Table 46, Suite-B seeds/004:521-527). */
const IOS_TRANSFORMS: Readonly<Record<string, IosTransform>> = {
  "ah-md5-hmac": { row: "ah", algorithm: "hmac-md5-96" },
  "ah-sha-hmac": { row: "ah", algorithm: "hmac-sha1-96" },
  "ah-sha256-hmac": { row: "ah", algorithm: "hmac-sha256-128" },
  "ah-sha384-hmac": { row: "ah", algorithm: "hmac-sha384-192" },
  "ah-sha512-hmac": { row: "ah", algorithm: "hmac-sha512-256" },
  "esp-des": { row: "esp-encryption", algorithm: "des-cbc" },
  "esp-3des": { row: "esp-encryption", algorithm: "3des-cbc" },
  "esp-aes": { row: "esp-encryption", algorithm: "aes-cbc", keyBits: [128, 192, 256] },
  "esp-gcm": { row: "esp-encryption", algorithm: "aes-gcm-16", keyBits: [128, 192, 256] },
  "esp-gmac": { row: "esp-encryption", algorithm: "aes-gmac", keyBits: [128, 192, 256] },
  "esp-null": { row: "esp-encryption", algorithm: "null" },
  "esp-md5-hmac": { row: "esp-auth", algorithm: "hmac-md5-96" },
  "esp-sha-hmac": { row: "esp-auth", algorithm: "hmac-sha1-96" },
  "esp-sha256-hmac": { row: "esp-auth", algorithm: "hmac-sha256-128" },
  "esp-sha384-hmac": { row: "esp-auth", algorithm: "hmac-sha384-192" },
  "esp-sha512-hmac": { row: "esp-auth", algorithm: "hmac-sha512-256" },
  "comp-lzs": { row: "compression", algorithm: "lzs" },
};

/** At most four transforms in one set (seeds/004:4754). @public */
export const MAX_TRANSFORMS_PER_SET = 4;

/**
 * Options of {@link parseTransformSet}.
 * @public
 */
export interface TransformSetOptions {
  /** `mode tunnel` (default) or `mode transport`. */
  readonly mode?: IpsecMode;
  /** Accept legacy algorithms (DES, 3DES, MD5); refused by default (DESIGN principle 8). */
  readonly allowLegacy?: boolean;
}

/**
 * Parses an IOS transform list (`"esp-aes 256 esp-sha-hmac"`, `"ah-sha-hmac esp-3des"`).
 *
 * Refused with a typed error naming the set: unknown or unsupported keywords (`esp-seal` is
 * Cisco-only, seeds/004:592), two transforms of one row, more than four transforms, no AH and no
 * ESP, ESP authentication without an ESP cipher, a combined-mode cipher (GCM/GMAC) with a
 * separate ESP authentication, NULL encryption without any integrity (RFC 4303 §3.2), and legacy
 * algorithms unless allowed.
 * @throws {@link PolicyError} `bad-transform`, `unsupported`, `legacy-not-allowed`.
 * @public
 */
export function parseTransformSet(
  name: string,
  transforms: string | readonly string[],
  options: TransformSetOptions = {},
): TransformSet {
  const tokens = (typeof transforms === "string" ? [transforms] : transforms)
    .flatMap((t) => t.trim().split(/\s+/))
    .filter((t) => t !== "");
  const where = { entry: name };
  const spelled: string[] = [];
  const rows = new Map<Row, { t: IosTransform; keyBits: number }>();
  for (let i = 0; i < tokens.length; i++) {
    const word = tokens[i]!.toLowerCase();
    if (word === "esp-seal") {
      throw new PolicyError(
        "unsupported",
        "esp-seal is Cisco-only and cannot interoperate (seeds/004:592)",
        where,
      );
    }
    const t = IOS_TRANSFORMS[word];
    if (t === undefined) throw new PolicyError("bad-transform", `unknown transform "${tokens[i]}"`, where);
    let keyBits = t.keyBits?.[0] ?? 0;
    const next = tokens[i + 1];
    if (t.keyBits !== undefined && next !== undefined && /^\d+$/.test(next)) {
      keyBits = Number(next);
      if (!t.keyBits.includes(keyBits)) {
        throw new PolicyError("bad-transform", `${word} takes a key size of ${t.keyBits.join(", ")}`, where);
      }
      i++;
      spelled.push(`${word} ${keyBits}`);
    } else {
      spelled.push(word);
    }
    if (rows.has(t.row)) {
      // seeds/004:498-511: "Pick only one" per row.
      throw new PolicyError("bad-transform", `two transforms of type ${t.row}`, {
        ...where,
        index: spelled.length - 1,
      });
    }
    rows.set(t.row, { t, keyBits });
  }
  if (spelled.length > MAX_TRANSFORMS_PER_SET) {
    throw new PolicyError("bad-transform", `${spelled.length} transforms; at most 4 (seeds/004:4754)`, where);
  }
  const ahRow = rows.get("ah");
  const encRow = rows.get("esp-encryption");
  const authRow = rows.get("esp-auth");
  const ah = ahRow ? integrityByName(ahRow.t.algorithm)! : null;
  const enc = encRow ? encryptionByName(encRow.t.algorithm)! : null;
  const auth = authRow ? integrityByName(authRow.t.algorithm)! : null;
  if (ah === null && enc === null && auth === null) {
    throw new PolicyError("bad-transform", "a transform set needs AH or ESP", where);
  }
  if (auth !== null && enc === null) {
    throw new PolicyError(
      "bad-transform",
      "ESP authentication needs an ESP encryption transform (esp-null)",
      where,
    );
  }
  if (enc !== null && (enc.kind === "aead" || enc.kind === "gmac") && auth !== null) {
    throw new PolicyError(
      "bad-transform",
      `${enc.name} provides integrity; drop the ESP authentication`,
      where,
    );
  }
  if (enc !== null && enc.kind === "null" && auth === null && ah === null) {
    // RFC 4303 §3.2: ESP MUST NOT use NULL encryption without integrity.
    throw new PolicyError("bad-transform", "esp-null needs an authentication transform", where);
  }
  const legacy = [ah, enc, auth].some((s) => s?.legacy === true);
  if (legacy && options.allowLegacy !== true) {
    throw new PolicyError(
      "legacy-not-allowed",
      `transform set uses a legacy algorithm: ${spelled.join(" ")}`,
      where,
    );
  }
  return {
    name,
    transforms: spelled,
    ah,
    espCipher: enc === null ? null : { spec: enc, keyBits: encRow!.keyBits || enc.keyBits[0]! },
    espIntegrity: auth,
    compression: rows.has("compression") ? "lzs" : null,
    mode: options.mode ?? "tunnel",
    legacy,
  };
}

/** The transforms in IOS spelling, as `show crypto ipsec sa` prints them (`esp-des esp-md5-hmac`). @public */
export function formatTransformSet(t: TransformSet): string {
  return t.transforms.join(" ");
}
