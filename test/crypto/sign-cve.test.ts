/**
 * CVE regressions for RSA signature verification (ANCHORS.md §4), in both backends:
 * - CVE-2018-16151/16152, CVE-2026-50721/50722: lenient PKCS#1 v1.5 parsing (e = 3 forgeries
 *   with garbage after the hash or inside DigestInfo, short hashes);
 * - CVE-2017-9022: signature integers s ≥ n;
 * - CVE-2021-41990: huge PSS salt lengths;
 * - CVE-2026-14957, CVE-2017-11185: public exponent 0 (and 1);
 * - CVE-2018-17540: tiny moduli.
 */
import { generateKeyPairSync, sign as opensslSign } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { ControlPlaneCrypto } from "../../src/crypto/backend.js";
import { parseSpki } from "../../src/crypto/keys.js";
import { nobleControlPlane as noble } from "../../src/crypto/noble/control-plane.js";
import { nodeControlPlane as node } from "../../src/node/crypto-control-plane.js";
import { concat, fromHex, toHex, utf8 } from "../../src/wire/bytes.js";
import { bytesOf, cubeRoot, integerOf, rawSign, rsaFixture, rsaKey, rsaSpki } from "./rsa-forgery.js";

const BACKENDS: readonly (readonly [string, ControlPlaneCrypto])[] = [
  ["noble", noble],
  ["node", node],
];

const MESSAGE = utf8("AUTH payload octets");
const SHA256 = { kind: "rsa-pkcs1", hash: "sha256" } as const;
/** RFC 8017 §9.2 note 1: DER of DigestInfo for SHA-256, up to the 32-byte digest. */
const DIGEST_INFO_SHA256 = fromHex("3031300d060960864801650304020105000420");
const SHA256_OID = fromHex("0609608648016503040201");

const RSA = rsaFixture("initiator-rsa.pk8.pem");

/** 0x00 ‖ 0x01 ‖ 0xff… ‖ 0x00 ‖ t ‖ trailer, k bytes. */
function type1(k: number, t: Uint8Array, trailer: Uint8Array = new Uint8Array(0), filler = 0xff): Uint8Array {
  const em = new Uint8Array(k).fill(filler);
  em[0] = 0x00;
  em[1] = 0x01;
  em.set(concat(new Uint8Array([0]), t, trailer), k - t.length - trailer.length - 1);
  return em;
}

function withByte(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const copy = bytes.slice();
  copy[at] = value;
  return copy;
}

function sha256(data: Uint8Array): Uint8Array {
  return noble.hash("sha256", data);
}

/** Both backends verify; returns the common verdict. */
function verdict(
  scheme: Parameters<ControlPlaneCrypto["verify"]>[0],
  spki: Uint8Array,
  signature: Uint8Array,
) {
  const result = noble.verify(scheme, spki, MESSAGE, signature);
  expect(node.verify(scheme, spki, MESSAGE, signature)).toBe(result);
  return result;
}

describe("PKCS#1 v1.5: the expected encoded message is compared whole (no padding parser)", () => {
  const t = concat(DIGEST_INFO_SHA256, sha256(MESSAGE));

  it("the raw-RSA helper signs a well-formed encoding that both backends accept", () => {
    expect(verdict(SHA256, RSA.spki, rawSign(RSA, type1(RSA.k, t)))).toBe(true);
  });

  it.each([
    ["garbage after the hash (CVE-2018-16151)", type1(RSA.k, t, fromHex("deadbeef"))],
    [
      "garbage in the DigestInfo parameters (CVE-2018-16152)",
      type1(RSA.k, concat(fromHex("3033300f"), SHA256_OID, fromHex("0402dead0420"), sha256(MESSAGE))),
    ],
    [
      "short hash in DigestInfo (CVE-2026-50721)",
      type1(
        RSA.k,
        concat(fromHex("3021300d"), SHA256_OID, fromHex("05000410"), sha256(MESSAGE).subarray(0, 16)),
      ),
    ],
    [
      "DigestInfo without the NULL parameters",
      type1(RSA.k, concat(fromHex("302f300b"), SHA256_OID, fromHex("0420"), sha256(MESSAGE))),
    ],
    ["block type 2", withByte(type1(RSA.k, t), 1, 0x02)],
    ["zero bytes instead of 0xff padding", type1(RSA.k, t, undefined, 0x00)],
    ["leading octet 0x01", withByte(type1(RSA.k, t), 0, 0x01)],
    [
      "a SHA-1 DigestInfo for a SHA-256 scheme",
      type1(RSA.k, concat(fromHex("3021300906052b0e03021a05000414"), noble.hash("sha1", MESSAGE))),
    ],
  ])("%s → false", (_, em) => {
    expect(verdict(SHA256, RSA.spki, rawSign(RSA, em))).toBe(false);
  });

  it("e = 3: Bleichenbacher's cube-root forgery with garbage after the hash → false", () => {
    const weak = rsaKey(generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 3 }).privateKey);
    expect(parseSpki(weak.spki)).toMatchObject({ kind: "rsa", e: 3n });
    for (const padding of [8, 1]) {
      // The prefix a lenient verifier reads: 00 01 ff…ff 00 DigestInfo hash; the rest is garbage.
      const prefix = concat(fromHex("0001"), new Uint8Array(padding).fill(0xff), new Uint8Array([0]), t);
      const target = integerOf(concat(prefix, new Uint8Array(weak.k - prefix.length)));
      const s = cubeRoot(target) + 1n;
      const cube = bytesOf(s ** 3n, weak.k);
      expect(s ** 3n < weak.n).toBe(true);
      expect(toHex(cube.subarray(0, prefix.length))).toBe(toHex(prefix));
      expect(cube.subarray(prefix.length).some((b) => b !== 0)).toBe(true);
      expect(verdict(SHA256, weak.spki, bytesOf(s, weak.k))).toBe(false);
    }
    // The same key's real signatures still verify.
    expect(verdict(SHA256, weak.spki, noble.sign(SHA256, weak.pkcs8, MESSAGE))).toBe(true);
  });
});

describe("signature integers and lengths (CVE-2017-9022)", () => {
  it("s = n, s = n + 1, s = 2^(8k) − 1 → false", () => {
    for (const s of [RSA.n, RSA.n + 1n, (1n << BigInt(8 * RSA.k)) - 1n]) {
      expect(verdict(SHA256, RSA.spki, bytesOf(s, RSA.k))).toBe(false);
      expect(verdict({ kind: "rsa-pss", hash: "sha256", saltLength: 32 }, RSA.spki, bytesOf(s, RSA.k))).toBe(
        false,
      );
    }
  });

  it("s + n (congruent to a valid s, still k bytes) → false", () => {
    let found = false;
    for (let i = 0; i < 64 && !found; i++) {
      const message = utf8(`message ${i}`);
      const s = integerOf(noble.sign(SHA256, RSA.pkcs8, message));
      if (s + RSA.n >= 1n << BigInt(8 * RSA.k)) continue;
      found = true;
      expect(noble.verify(SHA256, RSA.spki, message, bytesOf(s, RSA.k))).toBe(true);
      for (const [, cp] of BACKENDS)
        expect(cp.verify(SHA256, RSA.spki, message, bytesOf(s + RSA.n, RSA.k))).toBe(false);
    }
    expect(found).toBe(true);
  });

  it("a valid signature with a leading zero octet added, or its last octet removed → false", () => {
    const signature = noble.sign(SHA256, RSA.pkcs8, MESSAGE);
    expect(verdict(SHA256, RSA.spki, signature)).toBe(true);
    expect(verdict(SHA256, RSA.spki, concat(new Uint8Array([0]), signature))).toBe(false);
    expect(verdict(SHA256, RSA.spki, signature.subarray(0, RSA.k - 1))).toBe(false);
    expect(verdict(SHA256, RSA.spki, new Uint8Array(0))).toBe(false);
  });
});

describe("RSA-PSS salt length bounds (CVE-2021-41990)", () => {
  // RFC 8017 §9.1.1 step 3: emLen = 256 for a 2048-bit key, so sLen ≤ 256 − 32 − 2 = 222.
  const MAX = 222;

  it("the largest salt works in both backends", () => {
    const scheme = { kind: "rsa-pss", hash: "sha256", saltLength: MAX } as const;
    for (const [, signer] of BACKENDS)
      expect(verdict(scheme, RSA.spki, signer.sign(scheme, RSA.pkcs8, MESSAGE))).toBe(true);
  });

  it("huge, too large, negative or fractional salt lengths verify false without throwing", () => {
    const signature = noble.sign({ kind: "rsa-pss", hash: "sha256", saltLength: 32 }, RSA.pkcs8, MESSAGE);
    for (const saltLength of [
      MAX + 1,
      10_000,
      2 ** 31 - 1,
      2 ** 32 + 32,
      Number.MAX_SAFE_INTEGER,
      -1,
      1.5,
      Number.NaN,
    ]) {
      expect(verdict({ kind: "rsa-pss", hash: "sha256", saltLength }, RSA.spki, signature)).toBe(false);
    }
  });

  it("signing with a salt that does not fit throws invalid-key", () => {
    for (const [, cp] of BACKENDS) {
      for (const saltLength of [MAX + 1, 2 ** 31, -1]) {
        expect(() => cp.sign({ kind: "rsa-pss", hash: "sha256", saltLength }, RSA.pkcs8, MESSAGE)).toThrow(
          expect.objectContaining({ code: "invalid-key" }),
        );
      }
    }
  });
});

describe("weak public keys", () => {
  it("public exponent 0 (CVE-2026-14957) or 1: parse refuses, verify is false even for s = EM", () => {
    const em = type1(RSA.k, concat(DIGEST_INFO_SHA256, sha256(MESSAGE)));
    for (const e of [0n, 1n]) {
      expect(() => parseSpki(rsaSpki(RSA.n, e))).toThrow(expect.objectContaining({ code: "invalid-key" }));
      // With e = 1, s = EM would "verify" in an implementation that accepted the key.
      expect(verdict(SHA256, rsaSpki(RSA.n, e), em)).toBe(false);
      expect(verdict(SHA256, rsaSpki(RSA.n, e), new Uint8Array(RSA.k))).toBe(false);
    }
  });

  it("512-bit modulus (CVE-2018-17540): parse refuses, OpenSSL's signature is refused, signing throws", () => {
    const tiny = generateKeyPairSync("rsa", { modulusLength: 512 });
    const spki = new Uint8Array(tiny.publicKey.export({ format: "der", type: "spki" }));
    const pkcs8 = new Uint8Array(tiny.privateKey.export({ format: "der", type: "pkcs8" }));
    expect(() => parseSpki(spki)).toThrow(expect.objectContaining({ code: "invalid-key" }));
    const signature = new Uint8Array(opensslSign("sha256", MESSAGE, tiny.privateKey));
    expect(verdict(SHA256, spki, signature)).toBe(false);
    for (const [, cp] of BACKENDS) {
      expect(() => cp.sign(SHA256, pkcs8, MESSAGE)).toThrow(expect.objectContaining({ code: "invalid-key" }));
    }
  });
});
