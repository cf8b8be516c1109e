/**
 * The IKEv2 key schedule against its definition (RFC 7296 §2.13, §2.14, §2.17, §2.18), rebuilt
 * here from independent primitives: @noble/hashes HMAC, an AES-XCBC-MAC written from RFC 3566 §4
 * on node:crypto's AES block, and a prf+ loop written from §2.13. Both backends must match it.
 */
import { createCipheriv } from "node:crypto";
import { hmac } from "@noble/hashes/hmac.js";
import { sha1 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CryptoBackend, CryptoError } from "../../src/crypto/backend.js";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import {
  type EncryptionSpec,
  encryptionByName,
  type IntegritySpec,
  integrityByName,
  type PrfSpec,
  prfByName,
} from "../../src/crypto/registry.js";
import {
  deriveChildSaKeys,
  deriveIkeSaKeys,
  deriveRekeyedIkeSaKeys,
  type IkeSaKeys,
  type IkeSuite,
} from "../../src/ikev2/keys.js";
import { nodeBackend } from "../../src/node/backend.js";
import { concat, fromHex, toHex } from "../../src/wire/bytes.js";

const enc = (name: string): EncryptionSpec => encryptionByName(name)!;
const integ = (name: string): IntegritySpec => integrityByName(name)!;
const prfSpec = (name: string): PrfSpec => prfByName(name)!;

// ---- the reference, from the RFC definitions ----

type RefPrf = (key: Uint8Array, data: Uint8Array) => Uint8Array;

/** AES-128 of one block under `key` (node:crypto ECB, no padding). */
function aesBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  const c = createCipheriv("aes-128-ecb", key, null).setAutoPadding(false);
  return new Uint8Array(c.update(block));
}

const xor = (a: Uint8Array, b: Uint8Array): Uint8Array => a.map((x, i) => x ^ b[i]!);

/** AES-XCBC-MAC-128 (RFC 3566 §4) with a 16-octet key. */
function xcbcMac(key: Uint8Array, data: Uint8Array): Uint8Array {
  const k1 = aesBlock(key, new Uint8Array(16).fill(1));
  const k2 = aesBlock(key, new Uint8Array(16).fill(2));
  const k3 = aesBlock(key, new Uint8Array(16).fill(3));
  let e: Uint8Array = new Uint8Array(16);
  const blocks = Math.max(1, Math.ceil(data.length / 16));
  for (let i = 0; i < blocks - 1; i++) e = aesBlock(k1, xor(data.subarray(16 * i, 16 * i + 16), e));
  const last = data.subarray(16 * (blocks - 1));
  if (last.length === 16) return aesBlock(k1, xor(xor(last, e), k2));
  const padded = new Uint8Array(16);
  padded.set(last);
  padded[last.length] = 0x80;
  return aesBlock(k1, xor(xor(padded, e), k3));
}

/**
 * AES-XCBC-PRF-128 (RFC 4434 §2): a 16-octet key as is, a shorter one padded with zeros, a longer
 * one replaced by AES-XCBC-PRF-128 under the zero key of it (a rekey's SKEYSEED from another PRF).
 */
const xcbcRef: RefPrf = (key, data) => {
  let k = key;
  if (key.length < 16) k = concat(key, new Uint8Array(16 - key.length));
  if (key.length > 16) k = xcbcMac(new Uint8Array(16), key);
  return xcbcMac(k, data);
};

const REF_PRF: Record<string, RefPrf> = {
  "hmac-sha256": (k, d) => hmac(sha256, k, d),
  "hmac-sha1": (k, d) => hmac(sha1, k, d),
  "aes128-xcbc": xcbcRef,
};

/** prf+ (RFC 7296 §2.13): T1 = prf(K, S | 0x01), Tn = prf(K, T(n-1) | S | n). */
function prfPlusRef(prf: RefPrf, key: Uint8Array, seed: Uint8Array, length: number): Uint8Array {
  let t: Uint8Array = new Uint8Array(0);
  let all: Uint8Array = new Uint8Array(0);
  for (let n = 1; all.length < length; n++) {
    t = prf(key, concat(t, seed, Uint8Array.of(n)));
    all = concat(all, t);
  }
  return all.slice(0, length);
}

function cut(material: Uint8Array, lengths: number[]): string[] {
  let at = 0;
  return lengths.map((n) => {
    at += n;
    return toHex(material.subarray(at - n, at));
  });
}

interface Expected {
  skeyseed: string;
  parts: string[];
}

/** RFC 7296 §2.14 SKEYSEED and the seven secrets for `suite`. */
function ikeRef(
  suite: IkeSuite,
  ni: Uint8Array,
  nr: Uint8Array,
  gir: Uint8Array,
  spiI: Uint8Array,
  spiR: Uint8Array,
  rekey?: { oldPrf: PrfSpec; oldSkD: Uint8Array },
): Expected {
  const prf = REF_PRF[suite.prf.name]!;
  let skeyseed: Uint8Array;
  if (rekey === undefined) {
    // "only the first 64 bits of Ni and the first 64 bits of Nr are used" for AES-XCBC/CMAC.
    const key =
      suite.prf.name === "aes128-xcbc" ? concat(ni.subarray(0, 8), nr.subarray(0, 8)) : concat(ni, nr);
    skeyseed = prf(key, gir);
  } else {
    // §2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), with the old SA's PRF.
    skeyseed = REF_PRF[rekey.oldPrf.name]!(rekey.oldSkD, concat(gir, ni, nr));
  }
  const p = suite.prf.keyLength;
  const a = suite.integrity?.keyLength ?? 0;
  const e = (suite.keyBits ?? suite.encryption.keyBits[0]!) / 8 + suite.encryption.saltLength;
  const lengths = [p, a, a, e, e, p, p];
  const total = lengths.reduce((x, y) => x + y);
  const keymat = prfPlusRef(prf, skeyseed, concat(ni, nr, spiI, spiR), total);
  return { skeyseed: toHex(skeyseed), parts: cut(keymat, lengths) };
}

const partsOf = (k: IkeSaKeys): string[] =>
  [k.skD, k.skAi, k.skAr, k.skEi, k.skEr, k.skPi, k.skPr].map(toHex);

// ---- suites ----

const SUITES: { label: string; suite: IkeSuite }[] = [
  {
    label: "PRF HMAC-SHA256, AES-GCM-16-256 (AEAD)",
    suite: { prf: prfSpec("hmac-sha256"), encryption: enc("aes-gcm-16"), keyBits: 256 },
  },
  {
    label: "PRF HMAC-SHA256, AES-CBC-128, HMAC-SHA256-128",
    suite: {
      prf: prfSpec("hmac-sha256"),
      encryption: enc("aes-cbc"),
      keyBits: 128,
      integrity: integ("hmac-sha256-128"),
    },
  },
  {
    label: "PRF HMAC-SHA1, AES-CBC-256, HMAC-SHA1-96",
    suite: {
      prf: prfSpec("hmac-sha1"),
      encryption: enc("aes-cbc"),
      keyBits: 256,
      integrity: integ("hmac-sha1-96"),
    },
  },
  {
    label: "PRF HMAC-SHA1, ChaCha20-Poly1305 (AEAD)",
    suite: { prf: prfSpec("hmac-sha1"), encryption: enc("chacha20-poly1305") },
  },
  {
    label: "PRF AES-XCBC, AES-CBC-192, AES-XCBC-96",
    suite: {
      prf: prfSpec("aes128-xcbc"),
      encryption: enc("aes-cbc"),
      keyBits: 192,
      integrity: integ("aes-xcbc-96"),
    },
  },
  {
    label: "PRF AES-XCBC, AES-CCM-12-128 (AEAD)",
    suite: { prf: prfSpec("aes128-xcbc"), encryption: enc("aes-ccm-12"), keyBits: 128 },
  },
];

const BACKENDS: CryptoBackend[] = [nobleBackend, nodeBackend];

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const arbInputs = fc.record({
  ni: bytes(16, 64),
  nr: bytes(16, 64),
  gir: bytes(32, 256),
  spiI: bytes(8, 8),
  spiR: bytes(8, 8),
});
const RUNS = { numRuns: 8 };

describe("the reference AES-XCBC-MAC", () => {
  // RFC 3566 §4.6 Test Cases #1, #3, #4 and #5 (empty, one block, partial last block, two blocks).
  it.each([
    ["", "75f0251d528ac01c4573dfd584d79f29"],
    ["000102030405060708090a0b0c0d0e0f", "d2a246fa349b68a79998a4394ff7a263"],
    ["000102030405060708090a0b0c0d0e0f10111213", "47f51b4564966215b8985c63055ed308"],
    ["000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "f54f0ec8d2b9f3d36807734bd5283fd4"],
  ])("gives RFC 3566's MAC of %s", (message, mac) => {
    expect(toHex(xcbcMac(fromHex("000102030405060708090a0b0c0d0e0f"), fromHex(message)))).toBe(mac);
  });
});

describe.each(SUITES)("IKE SA keys (RFC 7296 §2.14), $label", ({ suite }) => {
  it("match the definition on both backends", () => {
    fc.assert(
      fc.property(arbInputs, ({ ni, nr, gir, spiI, spiR }) => {
        const expected = ikeRef(suite, ni, nr, gir, spiI, spiR);
        for (const backend of BACKENDS) {
          const keys = deriveIkeSaKeys({ ...suite, backend, ni, nr, sharedSecret: gir, spiI, spiR });
          expect(toHex(keys.skeyseed)).toBe(expected.skeyseed);
          expect(partsOf(keys)).toEqual(expected.parts);
          keys.destroy();
        }
      }),
      RUNS,
    );
  });

  it("of a rekeyed SA match §2.18, the old PRF differing from the new one", () => {
    const oldPrf = suite.prf.name === "hmac-sha1" ? prfSpec("hmac-sha256") : prfSpec("hmac-sha1");
    fc.assert(
      fc.property(arbInputs, bytes(oldPrf.keyLength, oldPrf.keyLength), (input, oldSkD) => {
        const { ni, nr, gir, spiI, spiR } = input;
        const expected = ikeRef(suite, ni, nr, gir, spiI, spiR, { oldPrf, oldSkD });
        for (const backend of BACKENDS) {
          const keys = deriveRekeyedIkeSaKeys({
            ...suite,
            backend,
            ni,
            nr,
            sharedSecret: gir,
            spiI,
            spiR,
            oldPrf,
            oldSkD,
          });
          expect(toHex(keys.skeyseed)).toBe(expected.skeyseed);
          expect(partsOf(keys)).toEqual(expected.parts);
        }
      }),
      RUNS,
    );
  });
});

describe("IKE SA key material", () => {
  const ni = new Uint8Array(32).fill(0x11);
  const nr = new Uint8Array(32).fill(0x22);
  const base = { ni, nr, sharedSecret: new Uint8Array(32).fill(0x33), spiI: new Uint8Array(8).fill(1) };
  const input = { ...base, spiR: new Uint8Array(8).fill(2), backend: nobleBackend };

  it("takes all of Ni and Nr into SKEYSEED except with the AES PRFs (§2.14)", () => {
    const long = { ...input, ni: concat(ni, Uint8Array.of(9)) };
    const sha = SUITES[1]!.suite;
    expect(toHex(deriveIkeSaKeys({ ...sha, ...long }).skeyseed)).not.toBe(
      toHex(deriveIkeSaKeys({ ...sha, ...input }).skeyseed),
    );
    const xcbc = SUITES[4]!.suite;
    const changedTail = { ...input, ni: concat(ni.subarray(0, 8), new Uint8Array(24).fill(0x99)) };
    const a = deriveIkeSaKeys({ ...xcbc, ...input });
    const b = deriveIkeSaKeys({ ...xcbc, ...changedTail });
    expect(toHex(b.skeyseed)).toBe(toHex(a.skeyseed)); // only the first 64 bits of each nonce
    expect(toHex(b.skD)).not.toBe(toHex(a.skD)); // but all of them go into prf+
  });

  it("has the RFC 5282 §7.1 / RFC 7634 §2 lengths: salt in SK_e, no SK_a with an AEAD", () => {
    const gcm = deriveIkeSaKeys({ ...SUITES[0]!.suite, ...input });
    expect(
      [gcm.skD, gcm.skAi, gcm.skAr, gcm.skEi, gcm.skEr, gcm.skPi, gcm.skPr].map((k) => k.length),
    ).toEqual([32, 0, 0, 36, 36, 32, 32]);
    const ccm = deriveIkeSaKeys({ ...SUITES[5]!.suite, ...input });
    expect([ccm.skD, ccm.skEi, ccm.skPi].map((k) => k.length)).toEqual([16, 19, 16]);
    const cbc = deriveIkeSaKeys({ ...SUITES[2]!.suite, ...input });
    expect([cbc.skD, cbc.skAi, cbc.skEi, cbc.skPr].map((k) => k.length)).toEqual([20, 20, 32, 20]);
  });

  it("are logged under strongSwan's labels", () => {
    const gcm = deriveIkeSaKeys({ ...SUITES[0]!.suite, ...input });
    const log = gcm.strongSwanLog();
    expect(Object.keys(log)).toEqual([
      "SKEYSEED",
      "Sk_d secret",
      "Sk_ei secret",
      "Sk_er secret",
      "Sk_pi secret",
      "Sk_pr secret",
    ]);
    expect(log["Sk_ei secret"]).toBe(toHex(gcm.skEi));
    const cbc = deriveIkeSaKeys({ ...SUITES[1]!.suite, ...input }).strongSwanLog();
    expect(cbc["Sk_ai secret"]).toHaveLength(64);
    expect(cbc["Sk_ar secret"]).toHaveLength(64);
  });

  it("are zeroized by destroy()", () => {
    const keys = deriveIkeSaKeys({ ...SUITES[1]!.suite, ...input });
    const all = [keys.skeyseed, keys.skD, keys.skAi, keys.skAr, keys.skEi, keys.skEr, keys.skPi, keys.skPr];
    expect(all.every((k) => k.some((b) => b !== 0))).toBe(true);
    keys.destroy();
    expect(all.every((k) => k.every((b) => b === 0))).toBe(true);
  });

  it("refuses suites that cannot protect an IKE SA", () => {
    const prf = prfSpec("hmac-sha256");
    const derive = (suite: IkeSuite) => () => deriveIkeSaKeys({ ...suite, ...input });
    const code = (suite: IkeSuite): string => {
      try {
        derive(suite)();
      } catch (e) {
        if (e instanceof CryptoError) return e.code;
        throw e;
      }
      return "accepted";
    };
    // RFC 5282 §8: no integrity transform with an AEAD; RFC 7296 §3.14: a cipher needs one.
    expect(
      code({ prf, encryption: enc("aes-gcm-16"), keyBits: 128, integrity: integ("hmac-sha256-128") }),
    ).toBe("unsupported");
    expect(code({ prf, encryption: enc("aes-cbc"), keyBits: 128 })).toBe("unsupported");
    expect(code({ prf, encryption: enc("aes-cbc"), keyBits: 128, integrity: integ("aes-gmac-128") })).toBe(
      "unsupported",
    );
    // ENCR_NULL and AES-GMAC are not IKE transforms.
    expect(code({ prf, encryption: enc("null"), integrity: integ("hmac-sha256-128") })).toBe("unsupported");
    expect(code({ prf, encryption: enc("aes-gmac"), keyBits: 128 })).toBe("unsupported");
    // Legacy transforms need the allowance.
    const des3 = { prf, encryption: enc("3des-cbc"), integrity: integ("hmac-sha1-96") };
    expect(code(des3)).toBe("legacy-not-allowed");
    expect(code({ ...des3, allowLegacy: true })).toBe("accepted");
    expect(code({ prf: prfSpec("hmac-md5"), encryption: enc("aes-gcm-16"), keyBits: 128 })).toBe(
      "legacy-not-allowed",
    );
    // AES needs its Key Length attribute (RFC 7296 §2.13); SPIs are 8 octets.
    expect(derive({ prf, encryption: enc("aes-gcm-16") })).toThrow(RangeError);
    expect(derive({ prf, encryption: enc("aes-gcm-16"), keyBits: 64 })).toThrow(RangeError);
    expect(() => deriveIkeSaKeys({ ...SUITES[0]!.suite, ...input, spiR: new Uint8Array(4) })).toThrow(
      RangeError,
    );
  });
});

// ---- Child SAs (RFC 7296 §2.17) ----

const CHILD_SUITES: {
  label: string;
  prf: PrfSpec;
  encryption?: EncryptionSpec;
  keyBits?: number;
  integrity?: IntegritySpec;
  lengths: [number, number];
}[] = [
  {
    label: "ESP AES-GCM-16-256, PRF HMAC-SHA256",
    prf: prfSpec("hmac-sha256"),
    encryption: enc("aes-gcm-16"),
    keyBits: 256,
    lengths: [36, 0],
  },
  {
    label: "ESP AES-CBC-128 + HMAC-SHA256-128, PRF HMAC-SHA256",
    prf: prfSpec("hmac-sha256"),
    encryption: enc("aes-cbc"),
    keyBits: 128,
    integrity: integ("hmac-sha256-128"),
    lengths: [16, 32],
  },
  {
    label: "ESP AES-CBC-256 + HMAC-SHA1-96, PRF HMAC-SHA1",
    prf: prfSpec("hmac-sha1"),
    encryption: enc("aes-cbc"),
    keyBits: 256,
    integrity: integ("hmac-sha1-96"),
    lengths: [32, 20],
  },
  {
    label: "ESP ChaCha20-Poly1305, PRF AES-XCBC",
    prf: prfSpec("aes128-xcbc"),
    encryption: enc("chacha20-poly1305"),
    lengths: [36, 0],
  },
  {
    label: "AH AES-XCBC-96, PRF AES-XCBC",
    prf: prfSpec("aes128-xcbc"),
    integrity: integ("aes-xcbc-96"),
    lengths: [0, 16],
  },
  {
    label: "ESP AES-CCM-8-192, PRF HMAC-SHA1",
    prf: prfSpec("hmac-sha1"),
    encryption: enc("aes-ccm-8"),
    keyBits: 192,
    lengths: [27, 0],
  },
];

describe.each(CHILD_SUITES)("Child SA KEYMAT (RFC 7296 §2.17), $label", (c) => {
  it.each([false, true])("matches the definition on both backends (PFS: %s)", (pfs) => {
    fc.assert(
      fc.property(bytes(16, 48), bytes(16, 48), bytes(32, 128), (ni, nr, gir) => {
        const skD = new Uint8Array(c.prf.keyLength).fill(0x5a);
        const [e, a] = c.lengths;
        // KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr): encr i→r, integ i→r, encr r→i, integ r→i.
        const seed = pfs ? concat(gir, ni, nr) : concat(ni, nr);
        const expected = cut(prfPlusRef(REF_PRF[c.prf.name]!, skD, seed, 2 * (e + a)), [e, a, e, a]);
        for (const backend of BACKENDS) {
          const keys = deriveChildSaKeys({
            backend,
            prf: c.prf,
            skD,
            ni,
            nr,
            ...(pfs ? { sharedSecret: gir } : {}),
            ...(c.encryption === undefined ? {} : { encryption: c.encryption }),
            ...(c.keyBits === undefined ? {} : { keyBits: c.keyBits }),
            ...(c.integrity === undefined ? {} : { integrity: c.integrity }),
          });
          expect([keys.encryptionI, keys.integrityI, keys.encryptionR, keys.integrityR].map(toHex)).toEqual(
            expected,
          );
          const log = keys.strongSwanLog();
          expect(Object.keys(log).sort()).toEqual(
            [
              ...(e > 0 ? ["encryption initiator key", "encryption responder key"] : []),
              ...(a > 0 ? ["integrity initiator key", "integrity responder key"] : []),
            ].sort(),
          );
          keys.destroy();
          expect(keys.encryptionI.every((b) => b === 0) && keys.integrityR.every((b) => b === 0)).toBe(true);
        }
      }),
      RUNS,
    );
  });
});

describe("Child SA KEYMAT from a derived IKE SA", () => {
  it("uses SK_d, and the first Child SA takes the IKE_SA_INIT nonces", () => {
    const ni = new Uint8Array(32).fill(0xa1);
    const nr = new Uint8Array(32).fill(0xb2);
    const suite = SUITES[0]!.suite;
    const ike = deriveIkeSaKeys({
      ...suite,
      backend: nodeBackend,
      ni,
      nr,
      sharedSecret: new Uint8Array(32).fill(7),
      spiI: new Uint8Array(8).fill(1),
      spiR: new Uint8Array(8).fill(2),
    });
    const child = deriveChildSaKeys({
      backend: nobleBackend,
      prf: suite.prf,
      skD: ike.skD,
      ni,
      nr,
      encryption: enc("aes-gcm-16"),
      keyBits: 128,
    });
    const keymat = prfPlusRef(REF_PRF["hmac-sha256"]!, ike.skD, concat(ni, nr), 40);
    expect(toHex(child.encryptionI)).toBe(toHex(keymat.subarray(0, 20)));
    expect(toHex(child.encryptionR)).toBe(toHex(keymat.subarray(20, 40)));
    expect(() =>
      deriveChildSaKeys({
        backend: nobleBackend,
        prf: suite.prf,
        skD: ike.skD,
        ni,
        nr,
        encryption: enc("aes-cbc"),
      }),
    ).toThrow(RangeError);
  });
});
