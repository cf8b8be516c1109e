/**
 * The IKEv2 key schedule: SKEYSEED and the seven IKE SA secrets (RFC 7296 §2.14), their
 * derivation when the IKE SA is rekeyed (§2.18), and Child SA KEYMAT (§2.17), all on prf+
 * (§2.13).
 *
 * Key material objects expose their bytes, named as strongSwan logs them at `ike 4` / `chd 4`
 * ({@link IkeSaKeys.strongSwanLog}, {@link ChildSaKeys.strongSwanLog}), so an interop test can
 * compare them with what the peer derived; `destroy()` zeroizes them.
 *
 * @packageDocumentation
 */
import { CryptoError, type DataPlaneCrypto } from "../crypto/backend.js";
import { createPrf, type Prf, prfPlus } from "../crypto/prf.js";
import type { EncryptionSpec, IntegritySpec, PrfSpec } from "../crypto/registry.js";
import { concat, toHex, zeroize } from "../wire/bytes.js";
import { IKE_SPI_LENGTH } from "./header.js";

/**
 * The transforms of an IKE SA that the key schedule and the SK payload need.
 * @public
 */
export interface IkeSuite {
  /** The PRF transform. */
  readonly prf: PrfSpec;
  /**
   * The encryption transform: a CBC or CTR cipher (with {@link IkeSuite.integrity}) or an AEAD
   * (RFC 5282, RFC 7634; no integrity). NULL and AES-GMAC are ESP/AH only and refused.
   */
  readonly encryption: EncryptionSpec;
  /**
   * The negotiated Key Length attribute in bits (RFC 7296 §3.3.5), one of `encryption.keyBits`.
   * May be omitted for fixed-length ciphers (3DES, ChaCha20-Poly1305).
   */
  readonly keyBits?: number;
  /** The integrity transform: required with a cipher, absent with an AEAD (RFC 5282 §8). */
  readonly integrity?: IntegritySpec;
  /**
   * Allow the registry's legacy transforms: DES and (HMAC-)MD5 (RFC 8247 §2.1–2.3: MUST NOT) and
   * 3DES (demoted to MAY). Default false.
   */
  readonly allowLegacy?: boolean;
}

/**
 * Key lengths in octets of a validated {@link IkeSuite}.
 * @internal
 */
export interface IkeKeyLengths {
  /** SK_d, SK_pi, SK_pr: the PRF's preferred key length (RFC 7296 §2.13). */
  readonly prf: number;
  /** SK_ai, SK_ar: 0 for an AEAD (RFC 5282 §7.1). */
  readonly integrity: number;
  /** SK_ei, SK_er: cipher key plus salt (RFC 5282 §7.1, RFC 7634 §2; RFC 5930 applies RFC 3686 §5.1 to IKE). */
  readonly encryption: number;
  /** The salt at the end of SK_ei/SK_er. */
  readonly salt: number;
}

/**
 * Checks that a suite can protect an IKE SA and returns its key lengths.
 * @throws {@link CryptoError} `unsupported` for a transform IKE cannot use or a missing or
 *   superfluous integrity transform, `legacy-not-allowed` for a legacy transform without
 *   `allowLegacy`; `RangeError` for a key size the cipher does not have.
 * @internal
 */
export function ikeKeyLengths(suite: IkeSuite): IkeKeyLengths {
  const { encryption: enc, integrity: integ, prf } = suite;
  // RFC 7296 §3.3.2: ENCR_NULL is not allowed for IKE; RFC 4543 defines AES-GMAC for ESP/AH only.
  if (enc.kind !== "aead" && enc.kind !== "cipher") {
    throw new CryptoError("unsupported", `${enc.name} cannot protect an IKE SA`);
  }
  if (enc.kind === "aead" && integ !== undefined) {
    // RFC 5282 §8: a proposal with a combined-mode algorithm "MUST NOT propose any integrity transforms".
    throw new CryptoError("unsupported", `${enc.name} is a combined mode: no integrity transform allowed`);
  }
  if (enc.kind === "cipher" && (integ === undefined || integ.mac === undefined)) {
    // RFC 7296 §3.14: the checksum is a MAC; the AES-GMAC integrity transforms are AH's (RFC 4543).
    throw new CryptoError("unsupported", `${enc.name} needs an HMAC, XCBC or CMAC integrity transform`);
  }
  const legacy = [enc, integ, prf].find((t) => t?.legacy === true);
  if (legacy !== undefined && suite.allowLegacy !== true) {
    throw new CryptoError(
      "legacy-not-allowed",
      `${legacy.name} is refused unless allowLegacy is set (RFC 8247)`,
    );
  }
  return {
    prf: prf.keyLength,
    integrity: integ?.keyLength ?? 0,
    encryption: encryptionKeyLength(enc, suite.keyBits),
    salt: enc.saltLength,
  };
}

/** Octets of keying material for `enc` at `keyBits`: the key, then its salt. */
function encryptionKeyLength(enc: EncryptionSpec, keyBits: number | undefined): number {
  const bits = keyBits ?? (enc.keyBits.length === 1 ? enc.keyBits[0] : undefined);
  if (bits === undefined || !enc.keyBits.includes(bits)) {
    // RFC 7296 §2.13: variable-length ciphers take the size from the Key Length attribute.
    throw new RangeError(
      `${enc.name}: key size must be one of ${enc.keyBits.join("/")} bits, got ${keyBits}`,
    );
  }
  return bits / 8 + enc.saltLength;
}

function checkSpis(spiI: Uint8Array, spiR: Uint8Array): void {
  if (spiI.length !== IKE_SPI_LENGTH || spiR.length !== IKE_SPI_LENGTH) {
    throw new RangeError("IKE SPIs must be 8 octets");
  }
}

/** Cuts `material` into consecutive copies of the given lengths, then zeroizes it. */
function split(material: Uint8Array, lengths: readonly number[]): Uint8Array[] {
  let at = 0;
  const parts = lengths.map((n) => {
    const part = material.slice(at, at + n);
    at += n;
    return part;
  });
  zeroize(material);
  return parts;
}

/**
 * The secrets of one IKE SA (RFC 7296 §2.14). SK_ei/SK_er include the AEAD or CTR salt at their
 * end; SK_ai/SK_ar are empty for an AEAD (RFC 5282 §7.1).
 * @public
 */
export interface IkeSaKeys {
  /** SKEYSEED, kept only for comparison with a peer's log; nothing derives from it later. */
  readonly skeyseed: Uint8Array;
  /** SK_d: the key Child SA KEYMAT and the next SKEYSEED are derived with. */
  readonly skD: Uint8Array;
  /** SK_ai: integrity key for messages from the original initiator. */
  readonly skAi: Uint8Array;
  /** SK_ar: integrity key for messages from the original responder. */
  readonly skAr: Uint8Array;
  /** SK_ei: encryption key (‖ salt) for messages from the original initiator. */
  readonly skEi: Uint8Array;
  /** SK_er: encryption key (‖ salt) for messages from the original responder. */
  readonly skEr: Uint8Array;
  /** SK_pi: the initiator's AUTH key (RFC 7296 §2.15). */
  readonly skPi: Uint8Array;
  /** SK_pr: the responder's AUTH key (RFC 7296 §2.15). */
  readonly skPr: Uint8Array;
  /**
   * The secrets in hex under the labels strongSwan's charon logs them with (`SKEYSEED`,
   * `Sk_d secret`, `Sk_ai secret`, `Sk_ar secret`, `Sk_ei secret`, `Sk_er secret`,
   * `Sk_pi secret`, `Sk_pr secret`; the `Sk_a` pair only without an AEAD, as charon does): the
   * keys of an IKE SA entry of the interop harness's `peer.sh keys`.
   */
  strongSwanLog(): Record<string, string>;
  /** Zeroizes every secret. */
  destroy(): void;
}

function ikeSaKeys(skeyseed: Uint8Array, keymat: Uint8Array, lengths: IkeKeyLengths): IkeSaKeys {
  const [skD, skAi, skAr, skEi, skEr, skPi, skPr] = split(keymat, [
    lengths.prf,
    lengths.integrity,
    lengths.integrity,
    lengths.encryption,
    lengths.encryption,
    lengths.prf,
    lengths.prf,
  ]) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  return {
    skeyseed,
    skD,
    skAi,
    skAr,
    skEi,
    skEr,
    skPi,
    skPr,
    strongSwanLog() {
      const log: Record<string, string> = { SKEYSEED: toHex(skeyseed), "Sk_d secret": toHex(skD) };
      if (lengths.integrity > 0) {
        log["Sk_ai secret"] = toHex(skAi);
        log["Sk_ar secret"] = toHex(skAr);
      }
      log["Sk_ei secret"] = toHex(skEi);
      log["Sk_er secret"] = toHex(skEr);
      log["Sk_pi secret"] = toHex(skPi);
      log["Sk_pr secret"] = toHex(skPr);
      return log;
    },
    destroy() {
      zeroize(skeyseed, skD, skAi, skAr, skEi, skEr, skPi, skPr);
    },
  };
}

/**
 * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
 * with the new IKE SA's PRF (RFC 7296 §2.14; §2.18 for a rekeyed SA).
 */
function expand(input: IkeSaKeyInput, lengths: IkeKeyLengths, skeyseed: Uint8Array): IkeSaKeys {
  const total = 3 * lengths.prf + 2 * lengths.integrity + 2 * lengths.encryption;
  const seed = concat(input.ni, input.nr, input.spiI, input.spiR);
  let prf: Prf | undefined;
  try {
    prf = createPrf(input.backend, input.prf, skeyseed);
    return ikeSaKeys(skeyseed, prfPlus(prf, seed, total), lengths);
  } catch (e) {
    zeroize(skeyseed);
    throw e;
  } finally {
    prf?.destroy();
  }
}

/** prf(key, data) with a fresh PRF instance, destroyed afterwards. */
function prfOnce(
  backend: DataPlaneCrypto<false>,
  spec: PrfSpec,
  key: Uint8Array,
  data: Uint8Array,
): Uint8Array {
  const prf = createPrf(backend, spec, key);
  try {
    return prf.compute(data);
  } finally {
    prf.destroy();
  }
}

/**
 * What the first key derivation of an IKE SA takes: the suite of the IKE_SA_INIT exchange, its
 * nonces, shared secret and SPIs.
 * @public
 */
export interface IkeSaKeyInput extends IkeSuite {
  /** The backend whose MACs compute the PRF. */
  readonly backend: DataPlaneCrypto<false>;
  /** Ni: the initiator's nonce, the Nonce payload's data only. */
  readonly ni: Uint8Array;
  /** Nr: the responder's nonce, the Nonce payload's data only. */
  readonly nr: Uint8Array;
  /**
   * g^ir, as the backend's `computeSharedSecret` returns it (MODP padded to the prime's length,
   * RFC 7296 §2.14).
   */
  readonly sharedSecret: Uint8Array;
  /** SPIi, 8 octets. */
  readonly spiI: Uint8Array;
  /** SPIr, 8 octets. */
  readonly spiR: Uint8Array;
}

/** RFC 7296 §2.14: the AES PRFs take only 64 bits of each nonce into SKEYSEED. */
const FIXED_KEY_NONCE_PREFIX = 8;

/**
 * Derives the keys of a new IKE SA (RFC 7296 §2.14): SKEYSEED = prf(Ni | Nr, g^ir), then
 * prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) cut into SK_d, SK_ai, SK_ar, SK_ei, SK_er, SK_pi, SK_pr.
 *
 * For AES-XCBC-PRF-128 and AES-CMAC-PRF-128 only the first 64 bits of Ni and of Nr key SKEYSEED
 * (all bits still go into prf+).
 *
 * @throws as {@link IkeSuite} validation does (`CryptoError`, `RangeError`), and `RangeError` for
 *   SPIs that are not 8 octets.
 * @public
 */
export function deriveIkeSaKeys(input: IkeSaKeyInput): IkeSaKeys {
  const lengths = ikeKeyLengths(input);
  checkSpis(input.spiI, input.spiR);
  const { backend, prf, ni, nr } = input;
  // RFC 7296 §2.14: "If the negotiated PRF is AES-XCBC-PRF-128 or AES-CMAC-PRF-128, only the
  // first 64 bits of Ni and the first 64 bits of Nr are used in calculating SKEYSEED".
  const fixedKey = prf.mac === "aes-xcbc" || prf.mac === "aes-cmac";
  const key = fixedKey
    ? concat(ni.subarray(0, FIXED_KEY_NONCE_PREFIX), nr.subarray(0, FIXED_KEY_NONCE_PREFIX))
    : concat(ni, nr);
  const skeyseed = prfOnce(backend, prf, key, input.sharedSecret);
  zeroize(key);
  return expand(input, lengths, skeyseed);
}

/**
 * What deriving the keys of a rekeyed IKE SA takes: the new SA's suite, the CREATE_CHILD_SA
 * nonces, new shared secret and new SPIs, and the old SA's PRF and SK_d.
 * @public
 */
export interface IkeSaRekeyInput extends IkeSaKeyInput {
  /** The PRF of the IKE SA being rekeyed. */
  readonly oldPrf: PrfSpec;
  /** SK_d of the IKE SA being rekeyed. */
  readonly oldSkD: Uint8Array;
}

/**
 * Derives the keys of the IKE SA that replaces another (RFC 7296 §2.18):
 * SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the old SA's PRF ("the rekeying exchange
 * belongs to the old IKE SA"), then the seven secrets as in §2.14 from the new SPIs and nonces
 * "using the new IKE SA's PRF".
 *
 * Interop note: strongSwan's charon also runs prf+ with the old SA's PRF, so its keys differ from
 * these when a rekey changes the PRF.
 *
 * @throws as {@link deriveIkeSaKeys}.
 * @public
 */
export function deriveRekeyedIkeSaKeys(input: IkeSaRekeyInput): IkeSaKeys {
  const lengths = ikeKeyLengths(input);
  checkSpis(input.spiI, input.spiR);
  if (input.oldPrf.legacy && input.allowLegacy !== true) {
    throw new CryptoError("legacy-not-allowed", `${input.oldPrf.name} is refused unless allowLegacy is set`);
  }
  const data = concat(input.sharedSecret, input.ni, input.nr);
  const skeyseed = prfOnce(input.backend, input.oldPrf, input.oldSkD, data);
  zeroize(data);
  return expand(input, lengths, skeyseed);
}

/**
 * The transforms of a Child SA whose keys are derived: ESP (encryption, with integrity unless
 * combined mode) or AH (integrity only).
 * @public
 */
export interface ChildSuite {
  /** ESP's encryption transform (NULL, a cipher, an AEAD or AES-GMAC); absent for AH. */
  readonly encryption?: EncryptionSpec;
  /** The Key Length attribute in bits; may be omitted for fixed-length ciphers. */
  readonly keyBits?: number;
  /** The integrity transform, if any (AH's AES-GMAC key length includes its salt). */
  readonly integrity?: IntegritySpec;
}

/**
 * What Child SA keying material is derived from (RFC 7296 §2.17).
 * @public
 */
export interface ChildSaKeyInput extends ChildSuite {
  /** The backend whose MACs compute the PRF. */
  readonly backend: DataPlaneCrypto<false>;
  /** The IKE SA's PRF. */
  readonly prf: PrfSpec;
  /** The IKE SA's SK_d. */
  readonly skD: Uint8Array;
  /** Ni: of IKE_SA_INIT for the first Child SA, else of this CREATE_CHILD_SA exchange. */
  readonly ni: Uint8Array;
  /** Nr: likewise. */
  readonly nr: Uint8Array;
  /** g^ir (new) of a CREATE_CHILD_SA exchange with a KE payload (PFS); absent otherwise. */
  readonly sharedSecret?: Uint8Array;
}

/**
 * The keys of one Child SA pair. Encryption keys include their salt (RFC 4106 §8.1, RFC 4309
 * §7.1, RFC 4543 §5.4, RFC 7634 §2, RFC 3686 §5.1), the form ESP SAs take. "I" keys protect
 * traffic from the IKE SA's original initiator to the responder, "R" keys the reverse.
 * @public
 */
export interface ChildSaKeys {
  /** Encryption key (‖ salt), initiator to responder; empty without encryption. */
  readonly encryptionI: Uint8Array;
  /** Integrity key, initiator to responder; empty without integrity. */
  readonly integrityI: Uint8Array;
  /** Encryption key (‖ salt), responder to initiator. */
  readonly encryptionR: Uint8Array;
  /** Integrity key, responder to initiator. */
  readonly integrityR: Uint8Array;
  /**
   * The keys in hex under strongSwan's `chd 4` labels (`encryption initiator key`,
   * `encryption responder key`, `integrity initiator key`, `integrity responder key`; absent
   * ones left out, as charon does): the keys of a Child SA entry of `peer.sh keys`.
   */
  strongSwanLog(): Record<string, string>;
  /** Zeroizes every key. */
  destroy(): void;
}

/**
 * Derives Child SA keys (RFC 7296 §2.17): KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr), taken in
 * the order encryption key i→r, integrity key i→r, encryption key r→i, integrity key r→i.
 *
 * @throws `RangeError` for a key size the cipher does not have; `CryptoError` from the PRF.
 * @public
 */
export function deriveChildSaKeys(input: ChildSaKeyInput): ChildSaKeys {
  const enc = input.encryption === undefined ? 0 : encryptionKeyLength(input.encryption, input.keyBits);
  const integ = input.integrity?.keyLength ?? 0;
  const seed =
    input.sharedSecret === undefined
      ? concat(input.ni, input.nr)
      : concat(input.sharedSecret, input.ni, input.nr);
  const prf = createPrf(input.backend, input.prf, input.skD);
  let keymat: Uint8Array;
  try {
    keymat = prfPlus(prf, seed, 2 * (enc + integ));
  } finally {
    prf.destroy();
    zeroize(seed);
  }
  // RFC 7296 §2.17: "All keys for SAs carrying data from the initiator to the responder are taken
  // before SAs going from the responder to the initiator"; within an SA, "the encryption key (if
  // any) MUST be taken from the first bits and the integrity key (if any) MUST be taken from the
  // remaining bits".
  const [encryptionI, integrityI, encryptionR, integrityR] = split(keymat, [enc, integ, enc, integ]) as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ];
  return {
    encryptionI,
    integrityI,
    encryptionR,
    integrityR,
    strongSwanLog() {
      const log: Record<string, string> = {};
      if (enc > 0) {
        log["encryption initiator key"] = toHex(encryptionI);
        log["encryption responder key"] = toHex(encryptionR);
      }
      if (integ > 0) {
        log["integrity initiator key"] = toHex(integrityI);
        log["integrity responder key"] = toHex(integrityR);
      }
      return log;
    },
    destroy() {
      zeroize(encryptionI, integrityI, encryptionR, integrityR);
    },
  };
}
