/**
 * Differential signatures: deterministic schemes (RSA PKCS#1 v1.5, Ed25519, Ed448) give the same
 * bytes in both backends; randomised ones (ECDSA, RSA-PSS) made by one verify in the other; every
 * tampered signature fails in both, and both give the same verdict on mutated signatures.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ControlPlaneCrypto, HashAlgorithm, SignatureScheme } from "../../src/crypto/backend.js";
import { pemToDer } from "../../src/crypto/keys.js";
import { nobleControlPlane as noble } from "../../src/crypto/noble/control-plane.js";
import { nodeControlPlane as node } from "../../src/node/crypto-control-plane.js";
import { concat, toHex, utf8 } from "../../src/wire/bytes.js";

const BACKENDS: readonly (readonly [string, ControlPlaneCrypto])[] = [
  ["noble", noble],
  ["node", node],
];

interface KeyPair {
  readonly pkcs8: Uint8Array;
  readonly spki: Uint8Array;
}

function fromKeyObjects(privateKey: KeyObject, publicKey: KeyObject): KeyPair {
  return {
    pkcs8: new Uint8Array(privateKey.export({ format: "der", type: "pkcs8" })),
    spki: new Uint8Array(publicKey.export({ format: "der", type: "spki" })),
  };
}

function fromFixture(name: string): KeyPair {
  const pem = readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
  const privateKey = createPrivateKey({ key: Buffer.from(pemToDer(pem)), format: "der", type: "pkcs8" });
  return fromKeyObjects(privateKey, createPublicKey(privateKey));
}

const RSA = fromFixture("initiator-rsa.pk8.pem");
const generated = ({ privateKey, publicKey }: { privateKey: KeyObject; publicKey: KeyObject }) =>
  fromKeyObjects(privateKey, publicKey);
const EC = {
  p256: fromFixture("initiator-ecdsa.pk8.pem"),
  p384: generated(generateKeyPairSync("ec", { namedCurve: "P-384" })),
  p521: generated(generateKeyPairSync("ec", { namedCurve: "P-521" })),
};
const ED = {
  ed25519: generated(generateKeyPairSync("ed25519")),
  ed448: generated(generateKeyPairSync("ed448")),
};

const MESSAGE = utf8("IKE_SA_INIT ‖ Nr ‖ prf(SK_pi, IDi')");
const HASHES: HashAlgorithm[] = ["md5", "sha1", "sha256", "sha384", "sha512"];

function tampered(signature: Uint8Array, at: number): Uint8Array {
  const copy = signature.slice();
  copy[at % copy.length]! ^= 0x40;
  return copy;
}

/** Both backends verify `signature`; returns the common verdict. */
function verdict(scheme: SignatureScheme, key: KeyPair, data: Uint8Array, signature: Uint8Array): boolean {
  const result = noble.verify(scheme, key.spki, data, signature);
  expect(node.verify(scheme, key.spki, data, signature)).toBe(result);
  return result;
}

describe("RSA PKCS#1 v1.5: byte-identical signatures", () => {
  it.each([...HASHES, null])("hash %s", (hash) => {
    const scheme = { kind: "rsa-pkcs1", hash } as const;
    const signature = noble.sign(scheme, RSA.pkcs8, MESSAGE);
    expect(signature).toHaveLength(256);
    expect(toHex(node.sign(scheme, RSA.pkcs8, MESSAGE))).toBe(toHex(signature));
    expect(verdict(scheme, RSA, MESSAGE, signature)).toBe(true);
    expect(verdict(scheme, RSA, MESSAGE, tampered(signature, 17))).toBe(false);
    expect(verdict(scheme, RSA, concat(MESSAGE, new Uint8Array([0])), signature)).toBe(false);
    expect(
      verdict({ kind: "rsa-pkcs1", hash: hash === "sha256" ? "sha1" : "sha256" }, RSA, MESSAGE, signature),
    ).toBe(false);
  });

  it("one 4096-bit key (fixture)", () => {
    const rsa4096 = fromFixture("initiator-rsa4096.pk8.pem");
    const scheme = { kind: "rsa-pkcs1", hash: "sha512" } as const;
    const signature = noble.sign(scheme, rsa4096.pkcs8, MESSAGE);
    expect(toHex(node.sign(scheme, rsa4096.pkcs8, MESSAGE))).toBe(toHex(signature));
    expect(verdict(scheme, rsa4096, MESSAGE, signature)).toBe(true);
  });

  it("hash: null refuses data longer than k − 11 bytes in both backends (RFC 8017 §9.2 step 3)", () => {
    const scheme = { kind: "rsa-pkcs1", hash: null } as const;
    expect(noble.sign(scheme, RSA.pkcs8, new Uint8Array(245))).toHaveLength(256);
    for (const [, cp] of BACKENDS) {
      expect(() => cp.sign(scheme, RSA.pkcs8, new Uint8Array(246))).toThrow(
        expect.objectContaining({ code: "invalid-key" }),
      );
    }
  });
});

describe("RSA-PSS: each backend verifies the other's signatures", () => {
  const cases: readonly [HashAlgorithm, HashAlgorithm | undefined, number][] = [
    ["sha256", undefined, 32],
    ["sha384", undefined, 48],
    ["sha512", undefined, 0],
    ["sha1", undefined, 20],
    ["sha256", "sha1", 32],
    ["sha512", "sha256", 64],
  ];
  it.each(cases)("hash %s, MGF1 %s, salt %i", (hash, mgfHash, saltLength) => {
    const scheme: SignatureScheme =
      mgfHash === undefined
        ? { kind: "rsa-pss", hash, saltLength }
        : { kind: "rsa-pss", hash, mgfHash, saltLength };
    for (const [, signer] of BACKENDS) {
      const signature = signer.sign(scheme, RSA.pkcs8, MESSAGE);
      expect(verdict(scheme, RSA, MESSAGE, signature)).toBe(true);
      expect(verdict(scheme, RSA, MESSAGE, tampered(signature, 100))).toBe(false);
      expect(verdict({ ...scheme, saltLength: saltLength + 1 }, RSA, MESSAGE, signature)).toBe(false);
      const otherMgf = (mgfHash ?? hash) === "sha1" ? "sha256" : "sha1";
      expect(verdict({ ...scheme, mgfHash: otherMgf }, RSA, MESSAGE, signature)).toBe(false);
      expect(verdict({ kind: "rsa-pkcs1", hash }, RSA, MESSAGE, signature)).toBe(false);
    }
  });
});

const CURVES = { p256, p384, p521 } as const;

/** r ‖ s with s replaced by n − s: the other valid signature for the same (r, k). */
function highLowFlip(curve: keyof typeof CURVES, p1363: Uint8Array): Uint8Array {
  const n = CURVES[curve].Point.Fn.ORDER;
  const size = p1363.length / 2;
  const s = BigInt(`0x${toHex(p1363.subarray(size))}`);
  const flipped = (n - s).toString(16).padStart(2 * size, "0");
  return concat(
    p1363.subarray(0, size),
    Uint8Array.from(flipped.match(/../g)!, (h) => Number.parseInt(h, 16)),
  );
}

describe.each(Object.keys(EC) as (keyof typeof EC)[])("ECDSA %s", (curve) => {
  const key = EC[curve];

  it.each(["der", "p1363"] as const)("%s: each backend verifies the other's signatures", (encoding) => {
    for (const hash of ["sha256", "sha384", "sha512"] as const) {
      const scheme = { kind: "ecdsa", hash, encoding } as const;
      for (const [, signer] of BACKENDS) {
        const signature = signer.sign(scheme, key.pkcs8, MESSAGE);
        expect(verdict(scheme, key, MESSAGE, signature)).toBe(true);
        expect(verdict(scheme, key, MESSAGE, tampered(signature, signature.length - 3))).toBe(false);
        expect(
          verdict({ ...scheme, hash: hash === "sha256" ? "sha384" : "sha256" }, key, MESSAGE, signature),
        ).toBe(false);
      }
    }
  });

  it("accepts both s and n − s (high-S), as OpenSSL does", () => {
    const scheme = { kind: "ecdsa", hash: "sha256", encoding: "p1363" } as const;
    const signature = node.sign(scheme, key.pkcs8, MESSAGE);
    expect(verdict(scheme, key, MESSAGE, highLowFlip(curve, signature))).toBe(true);
    expect(verdict(scheme, key, MESSAGE, signature)).toBe(true);
  });

  it("mutated DER signatures get the same verdict from both backends", () => {
    const scheme = { kind: "ecdsa", hash: "sha256", encoding: "der" } as const;
    const signature = noble.sign(scheme, key.pkcs8, MESSAGE);
    const mutation = fc
      .tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat({ max: 3 }))
      .map(([at, value, kind]) => {
        const i = at % signature.length;
        if (kind === 0) return signature.subarray(0, i);
        if (kind === 1)
          return concat(signature.subarray(0, i), new Uint8Array([value]), signature.subarray(i));
        const copy = signature.slice();
        copy[i] = kind === 2 ? value : copy[i]! ^ (1 << (value & 7));
        return copy;
      });
    fc.assert(
      fc.property(fc.oneof(mutation, fc.uint8Array({ maxLength: 160 })), (candidate) => {
        verdict(scheme, key, MESSAGE, candidate);
      }),
      { numRuns: 100 },
    );
  });
});

describe.each(Object.keys(ED) as (keyof typeof ED)[])("%s", (kind) => {
  it("byte-identical signatures, verified by both, tampering refused", () => {
    const key = ED[kind];
    const scheme = { kind: "eddsa" } as const;
    const signature = noble.sign(scheme, key.pkcs8, MESSAGE);
    expect(signature).toHaveLength(kind === "ed25519" ? 64 : 114);
    expect(toHex(node.sign(scheme, key.pkcs8, MESSAGE))).toBe(toHex(signature));
    expect(verdict(scheme, key, MESSAGE, signature)).toBe(true);
    expect(verdict(scheme, key, MESSAGE, tampered(signature, 5))).toBe(false);
    expect(verdict(scheme, key, MESSAGE, tampered(signature, signature.length - 1))).toBe(false);
    expect(verdict(scheme, key, MESSAGE, signature.subarray(1))).toBe(false);
  });
});

describe.each(BACKENDS)("%s backend: keys that do not fit the scheme", (_, cp) => {
  it("sign throws invalid-key, verify returns false", () => {
    const pairs: readonly [SignatureScheme, KeyPair][] = [
      [{ kind: "ecdsa", hash: "sha256", encoding: "der" }, RSA],
      [{ kind: "rsa-pkcs1", hash: "sha256" }, EC.p256],
      [{ kind: "rsa-pss", hash: "sha256", saltLength: 32 }, ED.ed25519],
      [{ kind: "eddsa" }, EC.p384],
    ];
    for (const [scheme, key] of pairs) {
      expect(() => cp.sign(scheme, key.pkcs8, MESSAGE)).toThrow(
        expect.objectContaining({ code: "invalid-key" }),
      );
      expect(cp.verify(scheme, key.spki, MESSAGE, new Uint8Array(64))).toBe(false);
    }
    expect(() => cp.sign({ kind: "eddsa" }, new Uint8Array([0x30, 0x00]), MESSAGE)).toThrow(
      expect.objectContaining({ code: "invalid-key" }),
    );
    expect(cp.verify({ kind: "eddsa" }, new Uint8Array(0), MESSAGE, new Uint8Array(64))).toBe(false);
  });
});
