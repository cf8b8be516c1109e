import { describe, expect, it } from "vitest";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import { caKeyHash } from "../../src/pki/authority.js";
import { KeyUsage, MAX_CERTIFICATE_LENGTH, parseCertificate } from "../../src/pki/certificate.js";
import { PkiError } from "../../src/pki/errors.js";
import { parseCertificates, pemCertificates } from "../../src/pki/pem.js";
import { toHex } from "../../src/wire/bytes.js";
import { cert, der, EXAMPLES, indexOf, pem, splice } from "./helpers.js";

function pkiCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof PkiError) return e.code;
    throw e;
  }
  return undefined;
}

describe("parseCertificate", () => {
  it("reads the ECDSA end-entity certificate", () => {
    const c = cert("ex:initiator-ecdsa.crt");
    expect(c.version).toBe(3);
    expect(c.subject.text).toBe("C=ZZ, O=ikei interop, CN=initiator.ikei.test");
    expect(c.issuer.text).toBe("C=ZZ, O=ikei interop, CN=ikei ecdsa CA");
    expect(c.signatureAlgorithm.name).toBe("ecdsa-with-SHA256");
    expect(c.publicKey.kind).toBe("ec");
    expect(c.publicKey.kind === "ec" && c.publicKey.curve).toBe("p256");
    expect(c.subjectAltNames).toEqual([{ type: "dns", value: "initiator.ikei.test" }]);
    expect(c.basicConstraints).toBeUndefined();
    expect(new Date(c.notBefore).toISOString()).toBe("2026-11-23T08:39:07.000Z");
    expect(new Date(c.notAfter).toISOString()).toBe("2036-11-20T08:39:07.000Z");
  });

  it("reads RSA 2048 and RSA 4096 certificates and the intermediate CA", () => {
    const rsa = cert("ex:initiator-rsa.crt");
    expect(rsa.publicKey.kind === "rsa" && rsa.publicKey.bits).toBe(2048);
    expect(rsa.signatureAlgorithm.name).toBe("sha256WithRSAEncryption");
    const big = cert("ex:initiator-rsa4096.crt");
    expect(big.publicKey.kind === "rsa" && big.publicKey.bits).toBe(4096);
    const im = cert("ex:im-rsa4096.crt");
    expect(im.basicConstraints).toEqual({ ca: true, pathLength: 0 });
    expect(im.keyUsage).toBe(KeyUsage.keyCertSign | KeyUsage.cRLSign);
    expect(im.issuer.text).toBe("C=ZZ, O=ikei interop, CN=ikei rsa4096 root CA");
  });

  it("reads the CA flag, key usage and every SAN type of the fixtures", () => {
    const ca = cert("ex:ca-ecdsa.crt");
    expect(ca.basicConstraints).toEqual({ ca: true, pathLength: undefined });
    expect(ca.subject.der).toEqual(ca.issuer.der);
    const a = cert("addresses.crt");
    expect(a.keyUsage).toBe(KeyUsage.digitalSignature);
    expect(a.subjectAltNames).toEqual([
      { type: "ip", value: Uint8Array.of(198, 18, 1, 1) },
      { type: "ip", value: Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1) },
      { type: "email", value: "alice@ikei.test" },
    ]);
    expect(cert("initiator-ed25519.crt").publicKey.kind).toBe("ed25519");
  });

  it("reads RSASSA-PSS signature parameters (RFC 4055 §3.1)", () => {
    const c = cert("ee-pss.crt");
    expect(c.signatureAlgorithm.scheme).toEqual({
      kind: "rsa-pss",
      hash: "sha256",
      mgfHash: "sha256",
      saltLength: 32,
    });
    expect(c.publicKey.kind === "ec" && c.publicKey.curve).toBe("p384");
  });

  it("keeps a private copy of the input", () => {
    const input = der("ex:initiator-ecdsa.crt").slice();
    const c = parseCertificate(input);
    input.fill(0);
    expect(c.subject.text).toContain("initiator.ikei.test");
  });

  it("reads PEM with several blocks, and DER", () => {
    const both = pem(`${EXAMPLES}im-rsa4096.crt`) + pem(`${EXAMPLES}ca-rsa4096.crt`);
    expect(parseCertificates(both).map((c) => c.subject.text)).toEqual([
      "C=ZZ, O=ikei interop, CN=ikei rsa4096 intermediate CA",
      "C=ZZ, O=ikei interop, CN=ikei rsa4096 root CA",
    ]);
    expect(parseCertificates(der("ex:ca-rsa.crt"))[0]!.subject.text).toContain("ikei rsa CA");
    expect(pkiCode(() => pemCertificates("no pem here"))).toBe("malformed");
    expect(
      pkiCode(() => pemCertificates("-----BEGIN CERTIFICATE-----\nA===\n-----END CERTIFICATE-----")),
    ).toBe("malformed");
  });

  it("hashes a CA's SubjectPublicKeyInfo for CERTREQ (RFC 7296 §3.7)", () => {
    const ca = cert("ex:ca-ecdsa.crt");
    expect(toHex(caKeyHash(nobleBackend, ca))).toBe(toHex(nobleBackend.hash("sha1", ca.spki)));
    expect(caKeyHash(nobleBackend, ca)).toHaveLength(20);
  });
});

describe("parseCertificate refuses", () => {
  const good = der("ex:initiator-ecdsa.crt");

  it("trailing data, truncation, BER lengths and oversized input", () => {
    expect(pkiCode(() => parseCertificate(Uint8Array.of(...good, 0)))).toBe("malformed");
    expect(pkiCode(() => parseCertificate(good.subarray(0, good.length - 1)))).toBe("malformed");
    expect(pkiCode(() => parseCertificate(new Uint8Array(0)))).toBe("malformed");
    // The outer SEQUENCE with a non-minimal 3-octet length form (0x83 00 xx xx).
    const ber = Uint8Array.of(0x30, 0x83, 0x00, good[2]!, good[3]!, ...good.subarray(4));
    expect(pkiCode(() => parseCertificate(ber))).toBe("malformed");
    expect(pkiCode(() => parseCertificate(new Uint8Array(MAX_CERTIFICATE_LENGTH + 1)))).toBe("malformed");
  });

  it("an RSA public exponent of 0 (CVE-2026-14957) as invalid-key", () => {
    const rsa = der("ex:initiator-rsa.crt");
    // RSAPublicKey ends with INTEGER 65537 (02 03 01 00 01): make it INTEGER 0 (02 01 00).
    const at = indexOf(rsa, [0x02, 0x03, 0x01, 0x00, 0x01]);
    expect(at).toBeGreaterThan(0);
    const zero = splice(rsa, at, 5, [0x02, 0x01, 0x00]);
    expect(pkiCode(() => parseCertificate(zero))).toBe("invalid-key");
    // The splice itself keeps the structure: exponent 3 parses.
    expect(pkiCode(() => parseCertificate(splice(rsa, at, 5, [0x02, 0x01, 0x03])))).toBeUndefined();
  });

  it("a SAN iPAddress of the wrong length and a SAN dNSName running past its SEQUENCE", () => {
    const a = der("addresses.crt").slice();
    // [7] 04 c6 12 01 01 → [7] 03 c6 12 01 + one octet left over inside the GeneralNames.
    const at = indexOf(a, [0x87, 0x04, 198, 18, 1, 1]);
    expect(at).toBeGreaterThan(0);
    const bad = a.slice();
    bad[at + 1] = 0x03;
    expect(pkiCode(() => parseCertificate(bad))).toBe("malformed");
    const e = der("ex:initiator-ecdsa.crt").slice();
    const dns = indexOf(e, [0x82, 19]);
    expect(dns).toBeGreaterThan(0);
    e[dns + 1] = 0x7f; // the dNSName claims more octets than its extension holds
    expect(pkiCode(() => parseCertificate(e))).toBe("malformed");
  });

  it("a distinguished name whose lengths are inconsistent", () => {
    const e = der("ex:initiator-ecdsa.crt").slice();
    // The issuer's first RDN SET (31 0b 30 09 06 03 55 04 06 13 02 "ZZ"): inflate the inner SEQUENCE.
    const at = indexOf(e, [0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06]);
    expect(at).toBeGreaterThan(0);
    e[at + 3] = 0x0a;
    expect(pkiCode(() => parseCertificate(e))).toBe("malformed");
  });

  it("an unknown critical extension", () => {
    const ca = der("ex:ca-ecdsa.crt").slice();
    // basicConstraints 06 03 55 1d 13 01 01 ff → an unknown OID 2.5.29.99 (critical).
    const at = indexOf(ca, [0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff]);
    expect(at).toBeGreaterThan(0);
    ca[at + 4] = 99;
    expect(pkiCode(() => parseCertificate(ca))).toBe("unsupported");
  });
});
