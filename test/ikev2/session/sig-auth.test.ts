/** Signature AUTH (RFC 7296 §2.15, §3.8; RFC 4754; RFC 7427; RFC 8420): method choice, encodings, verification. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { SignatureScheme } from "../../../src/crypto/backend.js";
import { pemToDer } from "../../../src/crypto/keys.js";
import { nobleBackend } from "../../../src/crypto/noble/index.js";
import { prfByIkev2 } from "../../../src/crypto/registry.js";
import { AuthMethod, HashAlgorithm } from "../../../src/ikev2/constants.js";
import {
  chooseSignature,
  SIGNATURE_HASHES,
  signAuth,
  signedOctets,
  verifyAuth,
} from "../../../src/ikev2/session/sig-auth.js";
import { encodeSignatureAlgorithm, parseSignatureAlgorithm } from "../../../src/pki/algorithms.js";
import type { Certificate } from "../../../src/pki/certificate.js";
import { parseCertificates } from "../../../src/pki/pem.js";
import { concat, fromHex, toHex, utf8 } from "../../../src/wire/bytes.js";

const EX = "/work/shared/interop/examples/certs/";
const FX = new URL("../../fixtures/pki/", import.meta.url).pathname;
const cert = (path: string): Certificate => parseCertificates(readFileSync(path, "utf8"))[0]!;
const key = (path: string): Uint8Array => pemToDer(readFileSync(path, "utf8"), "PRIVATE KEY");

const ecdsa = { cert: cert(`${EX}initiator-ecdsa.crt`), key: key(`${EX}initiator-ecdsa.pk8.pem`) };
const rsa = { cert: cert(`${EX}initiator-rsa.crt`), key: key(`${EX}initiator-rsa.pk8.pem`) };
const ed = { cert: cert(`${FX}initiator-ed25519.crt`), key: key(`${FX}initiator-ed25519.pk8.pem`) };
const p384 = { cert: cert(`${FX}ee-pss.crt`), key: key(`${FX}ee-pss.pk8.pem`) };
const OCTETS = utf8("RealMessage1 | NonceRData | prf(SK_pi, IDi')");

describe("AlgorithmIdentifiers for method 14 (RFC 7427 Appendix A)", () => {
  it.each([
    [{ kind: "rsa-pkcs1", hash: "sha256" }, "rsa", "300d06092a864886f70d01010b0500"],
    [{ kind: "rsa-pkcs1", hash: "sha384" }, "rsa", "300d06092a864886f70d01010c0500"],
    [{ kind: "rsa-pkcs1", hash: "sha512" }, "rsa", "300d06092a864886f70d01010d0500"],
    [{ kind: "ecdsa", hash: "sha256", encoding: "der" }, "ec", "300a06082a8648ce3d040302"],
    [{ kind: "ecdsa", hash: "sha384", encoding: "der" }, "ec", "300a06082a8648ce3d040303"],
    [{ kind: "ecdsa", hash: "sha512", encoding: "der" }, "ec", "300a06082a8648ce3d040304"],
    [{ kind: "eddsa" }, "ed25519", "300506032b6570"],
    [
      { kind: "rsa-pss", hash: "sha256", mgfHash: "sha256", saltLength: 32 },
      "rsa",
      "304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120",
    ],
  ] as const)("%j", (scheme, keyKind, hex) => {
    const der = encodeSignatureAlgorithm(scheme as SignatureScheme, keyKind);
    expect(toHex(der)).toBe(hex);
    expect(parseSignatureAlgorithm(der).scheme).toEqual(scheme);
  });
});

describe("chooseSignature", () => {
  const all = SIGNATURE_HASHES;
  it("uses method 14 when the peer announced a usable hash, the key's own curve hash first", () => {
    expect(chooseSignature(ecdsa.cert.publicKey, all, false).method).toBe(AuthMethod.DIGITAL_SIGNATURE);
    expect(chooseSignature(ecdsa.cert.publicKey, all, false).scheme).toEqual({
      kind: "ecdsa",
      hash: "sha256",
      encoding: "der",
    });
    expect(chooseSignature(p384.cert.publicKey, all, false).scheme).toMatchObject({ hash: "sha384" });
    expect(chooseSignature(p384.cert.publicKey, [HashAlgorithm.SHA2_512], false).scheme).toMatchObject({
      hash: "sha512",
    });
    expect(chooseSignature(rsa.cert.publicKey, all, true).scheme).toEqual({
      kind: "rsa-pss",
      hash: "sha256",
      mgfHash: "sha256",
      saltLength: 32,
    });
    expect(chooseSignature(ed.cert.publicKey, all, false).scheme).toEqual({ kind: "eddsa" });
  });

  it("falls back to the classic method without an announcement or a shared hash", () => {
    expect(chooseSignature(rsa.cert.publicKey, undefined, true)).toMatchObject({
      method: AuthMethod.RSA_SIGNATURE,
      scheme: { kind: "rsa-pkcs1", hash: "sha1" },
    });
    expect(chooseSignature(rsa.cert.publicKey, [HashAlgorithm.SHA1], false).method).toBe(
      AuthMethod.RSA_SIGNATURE,
    );
    expect(chooseSignature(ecdsa.cert.publicKey, undefined, false)).toMatchObject({
      method: AuthMethod.ECDSA_SHA256_P256,
      scheme: { encoding: "p1363" },
    });
    expect(chooseSignature(p384.cert.publicKey, [HashAlgorithm.IDENTITY], false).method).toBe(
      AuthMethod.ECDSA_SHA384_P384,
    );
    // EdDSA has no classic method (RFC 8420): method 14 regardless.
    expect(chooseSignature(ed.cert.publicKey, undefined, false).method).toBe(AuthMethod.DIGITAL_SIGNATURE);
  });
});

describe("signAuth / verifyAuth", () => {
  const roundTrip = (
    signer: { cert: Certificate; key: Uint8Array },
    hashes: readonly number[] | undefined,
    pss = false,
  ) => {
    const choice = chooseSignature(signer.cert.publicKey, hashes, pss);
    const data = signAuth(nobleBackend, signer.key, choice, OCTETS);
    return { choice, data };
  };
  const check = (signer: { cert: Certificate }, method: number, data: Uint8Array, octets = OCTETS) =>
    verifyAuth(nobleBackend, signer.cert.spki, signer.cert.publicKey, method, data, octets);

  it.each([
    ["ECDSA method 9", ecdsa, undefined, false],
    ["ECDSA P-384 method 10", p384, undefined, false],
    ["ECDSA method 14", ecdsa, SIGNATURE_HASHES, false],
    ["RSA method 1", rsa, undefined, false],
    ["RSA method 14 PKCS#1", rsa, SIGNATURE_HASHES, false],
    ["RSA method 14 PSS", rsa, SIGNATURE_HASHES, true],
    ["Ed25519 method 14", ed, SIGNATURE_HASHES, false],
  ] as const)("%s verifies, and not over other octets", (_, signer, hashes, pss) => {
    const { choice, data } = roundTrip(signer, hashes, pss);
    expect(check(signer, choice.method, data)).toBe(true);
    expect(check(signer, choice.method, data, utf8("other octets"))).toBe(false);
    if (choice.method === AuthMethod.ECDSA_SHA256_P256) expect(data).toHaveLength(64); // RFC 4754 §7: r | s
  });

  it("refuses a method that does not fit the key", () => {
    const { data } = roundTrip(ecdsa, undefined);
    expect(check(ecdsa, AuthMethod.ECDSA_SHA384_P384, data)).toBe(false);
    expect(check(rsa, AuthMethod.ECDSA_SHA256_P256, data)).toBe(false);
    expect(check(ecdsa, AuthMethod.RSA_SIGNATURE, data)).toBe(false);
    expect(check(ecdsa, AuthMethod.SHARED_KEY_MIC, data)).toBe(false);
    expect(check(ecdsa, AuthMethod.DSS_SIGNATURE, data)).toBe(false);
    const r = roundTrip(rsa, SIGNATURE_HASHES);
    expect(check(ecdsa, AuthMethod.DIGITAL_SIGNATURE, r.data)).toBe(false);
  });

  it("refuses SHA-1 in method 14 (never announced, RFC 7427 §4), and malformed method-14 data", () => {
    const sha1 = fromHex("300d06092a864886f70d0101050500");
    const signature = nobleBackend.sign({ kind: "rsa-pkcs1", hash: "sha1" }, rsa.key, OCTETS);
    expect(
      check(rsa, AuthMethod.DIGITAL_SIGNATURE, concat(Uint8Array.of(sha1.length), sha1, signature)),
    ).toBe(false);
    expect(check(rsa, AuthMethod.RSA_SIGNATURE, signature)).toBe(true);
    const { data } = roundTrip(ecdsa, SIGNATURE_HASHES);
    for (const bad of [
      new Uint8Array(0),
      Uint8Array.of(0),
      Uint8Array.of(0xff, ...data.subarray(1)),
      Uint8Array.of(data[0]! - 1, ...data.subarray(1)),
      concat(Uint8Array.of(3), fromHex("300106"), data.subarray(data[0]! + 1)),
    ]) {
      expect(check(ecdsa, AuthMethod.DIGITAL_SIGNATURE, bad)).toBe(false);
    }
  });

  it("signedOctets is RealMessage | Nonce | prf(SK_p, IDbody) (RFC 7296 §2.15)", () => {
    const prf = prfByIkev2(5)!; // PRF_HMAC_SHA2_256
    const message = utf8("message");
    const nonce = utf8("nonce");
    const skP = new Uint8Array(32).fill(7);
    const idBody = utf8("id");
    const out = signedOctets({ backend: nobleBackend, prf, message, peerNonce: nonce, skP, idBody });
    const mac = new Uint8Array(32);
    nobleBackend.mac("hmac-sha256", skP).compute([idBody], mac);
    expect(toHex(out)).toBe(toHex(concat(message, nonce, mac)));
  });
});
