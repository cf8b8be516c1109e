/**
 * SubjectPublicKeyInfo / PKCS#8 parsing and PEM decoding: real keys from OpenSSL parse to the
 * numbers OpenSSL reports (via JWK), and malformed or weak keys give CryptoError "invalid-key".
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CryptoError } from "../../src/crypto/backend.js";
import { parsePkcs8, parseSpki, pemToDer } from "../../src/crypto/keys.js";
import { concat, fromHex, toHex } from "../../src/wire/bytes.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");

function b64url(text: string | undefined): string {
  return toHex(Uint8Array.from(atob(text!.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)));
}

function bigFromB64url(text: string | undefined): bigint {
  return BigInt(`0x${b64url(text)}`);
}

function spkiOf(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ format: "der", type: "spki" }));
}

function pkcs8Of(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ format: "der", type: "pkcs8" }));
}

// A minimal DER writer (X.690 §10), to build well-formed and deliberately malformed keys.
function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = concat(...parts);
  const n = body.length;
  const length = n < 128 ? [n] : n < 256 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return concat(new Uint8Array([tag, ...length]), body);
}
const seq = (...parts: Uint8Array[]) => tlv(0x30, ...parts);
const octetString = (bytes: Uint8Array) => tlv(0x04, bytes);
const bitString = (bytes: Uint8Array, unused = 0) => tlv(0x03, new Uint8Array([unused]), bytes);
const NULL = fromHex("0500");
function integer(value: bigint): Uint8Array {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (Number.parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  return tlv(0x02, fromHex(hex));
}
const OID_RSA = fromHex("06092a864886f70d010101");
const OID_EC = fromHex("06072a8648ce3d0201");
const OID_P256 = fromHex("06082a8648ce3d030107");
const OID_ED25519 = fromHex("06032b6570");

function rsaSpki(n: bigint, e: bigint): Uint8Array {
  return seq(seq(OID_RSA, NULL), bitString(seq(integer(n), integer(e))));
}

function expectInvalid(parse: () => unknown): void {
  expect(parse).toThrow(expect.objectContaining({ name: "CryptoError", code: "invalid-key" }));
}

const rsa = {
  privateKey: parsePkcs8(pemToDer(fixture("initiator-rsa.pk8.pem"), "PRIVATE KEY")),
  der: pemToDer(fixture("initiator-rsa.pk8.pem")),
};

describe("parseSpki / parsePkcs8 on keys made by OpenSSL", () => {
  it("RSA 2048 (fixture): n, e, d, p, q and CRT values match OpenSSL's JWK", () => {
    const keyObject = createPrivateKey({ key: Buffer.from(rsa.der), format: "der", type: "pkcs8" });
    const jwk = keyObject.export({ format: "jwk" });
    const key = rsa.privateKey;
    expect(key.kind).toBe("rsa");
    if (key.kind !== "rsa") return;
    expect([key.n, key.e, key.d, key.p, key.q, key.dp, key.dq, key.qi]).toEqual(
      [jwk.n, jwk.e, jwk.d, jwk.p, jwk.q, jwk.dp, jwk.dq, jwk.qi].map(bigFromB64url),
    );
    expect(key.bits).toBe(2048);
    expect(key.size).toBe(256);
    const pub = parseSpki(spkiOf(createPublicKey(keyObject)));
    expect(pub).toEqual({ kind: "rsa", n: key.n, e: key.e, size: 256, bits: 2048 });
  });

  it.each([
    "P-256",
    "P-384",
    "P-521",
  ] as const)("EC %s: point and scalar match OpenSSL's JWK", (namedCurve) => {
    const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve });
    const jwk = privateKey.export({ format: "jwk" });
    const size = { "P-256": 32, "P-384": 48, "P-521": 66 }[namedCurve];
    const curve = { "P-256": "p256", "P-384": "p384", "P-521": "p521" }[namedCurve];
    expect(parseSpki(spkiOf(publicKey))).toEqual({
      kind: "ec",
      curve,
      point: fromHex(`04${b64url(jwk.x).padStart(2 * size, "0")}${b64url(jwk.y).padStart(2 * size, "0")}`),
    });
    expect(parsePkcs8(pkcs8Of(privateKey))).toEqual({
      kind: "ec",
      curve,
      scalar: fromHex(b64url(jwk.d).padStart(2 * size, "0")),
    });
  });

  it("EC P-256 fixture, with and without the optional public key in ECPrivateKey", () => {
    const der = pemToDer(fixture("initiator-ecdsa.pk8.pem"), "PRIVATE KEY");
    const key = parsePkcs8(der);
    expect(key.kind === "ec" && key.curve).toBe("p256");
    if (key.kind !== "ec") return;
    // RFC 5915 §3 without [0] and [1]: SEQUENCE { 1, OCTET STRING scalar }.
    const bare = seq(
      integer(0n),
      seq(OID_EC, OID_P256),
      octetString(seq(integer(1n), octetString(key.scalar))),
    );
    expect(parsePkcs8(bare)).toEqual(key);
  });

  it.each(["ed25519", "ed448"] as const)("%s: raw keys match OpenSSL's JWK", (type) => {
    const { publicKey, privateKey } = generateKeyPairSync(type as "ed25519");
    const jwk = privateKey.export({ format: "jwk" });
    expect(parseSpki(spkiOf(publicKey))).toEqual({ kind: type, key: fromHex(b64url(jwk.x)) });
    expect(parsePkcs8(pkcs8Of(privateKey))).toEqual({ kind: type, seed: fromHex(b64url(jwk.d)) });
  });

  it("accepts a compressed EC point and returns it uncompressed", () => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const full = parseSpki(spkiOf(publicKey));
    if (full.kind !== "ec") throw new Error("not EC");
    const compressed = new Uint8Array([2 + (full.point[64]! & 1), ...full.point.subarray(1, 33)]);
    expect(parseSpki(seq(seq(OID_EC, OID_P256), bitString(compressed)))).toEqual(full);
  });

  it("accepts a PKCS#8 v2 OneAsymmetricKey with [1] publicKey (RFC 5958 §2)", () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    const v1 = parsePkcs8(pkcs8Of(privateKey));
    if (v1.kind !== "ed25519") throw new Error("not Ed25519");
    const pub = new Uint8Array([0x81, 0x21, 0x00, ...new Uint8Array(32).fill(7)]);
    const v2 = seq(integer(1n), seq(OID_ED25519), octetString(octetString(v1.seed)), pub);
    expect(parsePkcs8(v2)).toEqual(v1);
    // The same [1] field in a version 0 structure is refused.
    expectInvalid(() =>
      parsePkcs8(seq(integer(0n), seq(OID_ED25519), octetString(octetString(v1.seed)), pub)),
    );
  });
});

describe("weak or malformed keys give CryptoError invalid-key", () => {
  const key = rsa.privateKey;
  if (key.kind !== "rsa") throw new Error("fixture is not RSA");

  it("accepts the reference RSA SPKI built here", () => {
    expect(parseSpki(rsaSpki(key.n, key.e)).kind).toBe("rsa");
  });

  it.each([0n, 1n, 2n, 65536n])("RSA public exponent %s (CVE-2026-14957, CVE-2017-11185)", (e) => {
    expectInvalid(() => parseSpki(rsaSpki(key.n, e)));
  });

  it("RSA public exponent ≥ n", () => {
    expectInvalid(() => parseSpki(rsaSpki(key.n, key.n + 2n)));
  });

  it("RSA modulus of 512 bits (CVE-2018-17540), of 1023 bits, even, or over 16384 bits", () => {
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 512 });
    expectInvalid(() => parseSpki(spkiOf(publicKey)));
    expectInvalid(() => parseSpki(rsaSpki((1n << 1022n) + 1n, 65537n)));
    expect(parseSpki(rsaSpki((1n << 1023n) + 1n, 65537n)).kind).toBe("rsa");
    expectInvalid(() => parseSpki(rsaSpki(key.n + 1n, 65537n)));
    expectInvalid(() => parseSpki(rsaSpki((1n << 16384n) + 1n, 65537n)));
  });

  it("negative RSA integers and non-minimal INTEGER encodings", () => {
    const negative = tlv(0x02, fromHex(key.n.toString(16)));
    expect(key.n.toString(16)).toMatch(/^[89a-f]/);
    expectInvalid(() => parseSpki(seq(seq(OID_RSA, NULL), bitString(seq(negative, integer(65537n))))));
    const padded = tlv(0x02, fromHex("0000010001"));
    expectInvalid(() => parseSpki(seq(seq(OID_RSA, NULL), bitString(seq(integer(key.n), padded)))));
  });

  it("trailing data after the SPKI, inside the BIT STRING, or after the PKCS#8", () => {
    const good = rsaSpki(key.n, key.e);
    expectInvalid(() => parseSpki(concat(good, new Uint8Array([0]))));
    const inner = concat(seq(integer(key.n), integer(key.e)), new Uint8Array([0x05, 0x00]));
    expectInvalid(() => parseSpki(seq(seq(OID_RSA, NULL), bitString(inner))));
    expectInvalid(() => parsePkcs8(concat(rsa.der, new Uint8Array([0]))));
  });

  it("BER-only encodings: long-form short length, indefinite length, unused bits", () => {
    const algorithm = seq(OID_RSA, NULL);
    const body = bitString(seq(integer(key.n), integer(key.e)));
    // The AlgorithmIdentifier's length 0x0d written in long form, 0x81 0x0d.
    expect(algorithm[1]).toBe(0x0d);
    expectInvalid(() => parseSpki(seq(concat(fromHex("30810d"), algorithm.subarray(2)), body)));
    expectInvalid(() => parseSpki(concat(fromHex("3080"), algorithm, body, fromHex("0000"))));
    expectInvalid(() => parseSpki(seq(algorithm, bitString(seq(integer(key.n), integer(key.e)), 1))));
  });

  it("RSA AlgorithmIdentifier without NULL parameters, or with other ones", () => {
    const body = bitString(seq(integer(key.n), integer(key.e)));
    expectInvalid(() => parseSpki(seq(seq(OID_RSA), body)));
    expectInvalid(() => parseSpki(seq(seq(OID_RSA, integer(0n)), body)));
  });

  it("EC points off the curve or of the wrong length, unsupported curves", () => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const parsed = parseSpki(spkiOf(publicKey));
    if (parsed.kind !== "ec") throw new Error("not EC");
    const off = parsed.point.slice();
    off[64]! ^= 1;
    expectInvalid(() => parseSpki(seq(seq(OID_EC, OID_P256), bitString(off))));
    expectInvalid(() => parseSpki(seq(seq(OID_EC, OID_P256), bitString(parsed.point.subarray(0, 64)))));
    expectInvalid(() => parseSpki(seq(seq(OID_EC, OID_P256), bitString(new Uint8Array([0]))))); // identity
    const k1 = generateKeyPairSync("ec", { namedCurve: "secp256k1" });
    expectInvalid(() => parseSpki(spkiOf(k1.publicKey)));
    expectInvalid(() => parsePkcs8(pkcs8Of(k1.privateKey)));
  });

  it("EC private scalars 0 or ≥ n, longer than the curve, or not matching the public key", () => {
    const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
    const ecKey = (scalar: Uint8Array, ...extra: Uint8Array[]) =>
      seq(integer(0n), seq(OID_EC, OID_P256), octetString(seq(integer(1n), octetString(scalar), ...extra)));
    expectInvalid(() => parsePkcs8(ecKey(new Uint8Array(32))));
    expectInvalid(() => parsePkcs8(ecKey(fromHex(n.toString(16)))));
    expectInvalid(() => parsePkcs8(ecKey(new Uint8Array(33).fill(1))));
    const other = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const otherPoint = parseSpki(spkiOf(other.publicKey));
    if (otherPoint.kind !== "ec") throw new Error("not EC");
    const wrongPublic = tlv(0xa1, bitString(otherPoint.point));
    expectInvalid(() => parsePkcs8(ecKey(new Uint8Array(32).fill(1), wrongPublic)));
  });

  it("inconsistent or multi-prime RSA private keys", () => {
    const rsaPrivate = (version: bigint, fields: bigint[]) =>
      seq(integer(0n), seq(OID_RSA, NULL), octetString(seq(integer(version), ...fields.map(integer))));
    const fields = [key.n, key.e, key.d, key.p, key.q, key.dp, key.dq, key.qi];
    expect(parsePkcs8(rsaPrivate(0n, fields))).toEqual(key);
    expectInvalid(() => parsePkcs8(rsaPrivate(1n, fields)));
    for (let i = 2; i < fields.length; i++) {
      const broken = fields.slice();
      broken[i] = broken[i]! + 2n;
      expectInvalid(() => parsePkcs8(rsaPrivate(0n, broken)));
    }
  });

  it("EdDSA keys of the wrong length or with parameters; unknown algorithms", () => {
    expectInvalid(() => parseSpki(seq(seq(OID_ED25519), bitString(new Uint8Array(31)))));
    expectInvalid(() => parseSpki(seq(seq(OID_ED25519, NULL), bitString(new Uint8Array(32)))));
    expectInvalid(() =>
      parsePkcs8(seq(integer(0n), seq(OID_ED25519), octetString(octetString(new Uint8Array(31))))),
    );
    const x25519 = generateKeyPairSync("x25519");
    expectInvalid(() => parseSpki(spkiOf(x25519.publicKey)));
    expectInvalid(() => parsePkcs8(pkcs8Of(x25519.privateKey)));
  });

  it("random bytes and random mutations of real keys: a key or CryptoError invalid-key, nothing else", () => {
    const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const samples = [spkiOf(publicKey), pkcs8Of(privateKey), rsaSpki(key.n, key.e), rsa.der];
    const mutated = fc
      .tuple(fc.constantFrom(...samples), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat({ max: 3 }))
      .map(([der, at, value, kind]) => {
        const i = at % der.length;
        if (kind === 0) return der.subarray(0, i);
        if (kind === 1) return concat(der.subarray(0, i), new Uint8Array([value]), der.subarray(i));
        const copy = der.slice();
        copy[i] = kind === 2 ? value : copy[i]! ^ (1 << (value & 7));
        return copy;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated), (der) => {
        for (const parse of [parseSpki, parsePkcs8]) {
          try {
            parse(der);
          } catch (e) {
            if (!(e instanceof CryptoError) || e.code !== "invalid-key") throw e;
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("pemToDer (RFC 7468)", () => {
  const pem = fixture("initiator-rsa.pk8.pem");

  it("decodes the first block with the requested label", () => {
    const der = pemToDer(pem, "PRIVATE KEY");
    expect(der[0]).toBe(0x30);
    const two = `-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n${pem}`;
    expect(pemToDer(two, "PRIVATE KEY")).toEqual(der);
    expect(pemToDer(two)).toEqual(fromHex("3000"));
    expect(pemToDer(pem.replace(/\n/g, "\r\n"), "PRIVATE KEY")).toEqual(der);
  });

  it("refuses a missing label, mismatched END, malformed base64 or PEM headers", () => {
    expectInvalid(() => pemToDer(pem, "CERTIFICATE"));
    expectInvalid(() => pemToDer("no pem here"));
    expectInvalid(() => pemToDer("-----BEGIN X-----\nMAA=\n-----END Y-----\n"));
    expectInvalid(() => pemToDer("-----BEGIN X-----\nMA=A\n-----END X-----\n"));
    expectInvalid(() => pemToDer("-----BEGIN X-----\nMA*A\n-----END X-----\n"));
    expectInvalid(() => pemToDer("-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\n\nMAA=\n-----END X-----\n"));
  });
});
