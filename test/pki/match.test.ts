import { describe, expect, it } from "vitest";
import { type CertificateIdentity, certificateMatchesIdentity } from "../../src/pki/match.js";
import { utf8 } from "../../src/wire/bytes.js";
import { cert } from "./helpers.js";

const fqdn = (s: string): CertificateIdentity => ({ type: "fqdn", data: utf8(s) });

describe("certificateMatchesIdentity (RFC 4945 §3.1)", () => {
  const ee = cert("ex:initiator-ecdsa.crt");
  const addresses = cert("addresses.crt");

  it("FQDN against dNSName, case-insensitively", () => {
    expect(certificateMatchesIdentity(ee, fqdn("initiator.ikei.test"))).toBe(true);
    expect(certificateMatchesIdentity(ee, fqdn("INITIATOR.ikei.TEST"))).toBe(true);
    expect(certificateMatchesIdentity(ee, fqdn("responder.ikei.test"))).toBe(false);
    expect(certificateMatchesIdentity(ee, fqdn("initiator.ikei.test."))).toBe(false);
    expect(
      certificateMatchesIdentity(ee, {
        type: "fqdn",
        data: Uint8Array.of(...utf8("initiator.ikei.test"), 0),
      }),
    ).toBe(false);
    // The subject CN is not consulted for an FQDN.
    expect(certificateMatchesIdentity(addresses, fqdn("addresses"))).toBe(false);
  });

  it("RFC822 against rfc822Name: host part case-insensitive, local part exact", () => {
    expect(certificateMatchesIdentity(addresses, { type: "rfc822", data: utf8("alice@IKEI.test") })).toBe(
      true,
    );
    expect(certificateMatchesIdentity(addresses, { type: "rfc822", data: utf8("Alice@ikei.test") })).toBe(
      false,
    );
    expect(certificateMatchesIdentity(ee, { type: "rfc822", data: utf8("initiator.ikei.test") })).toBe(false);
  });

  it("IPv4 and IPv6 against iPAddress of the same length", () => {
    expect(certificateMatchesIdentity(addresses, { type: "ipv4", data: Uint8Array.of(198, 18, 1, 1) })).toBe(
      true,
    );
    expect(certificateMatchesIdentity(addresses, { type: "ipv4", data: Uint8Array.of(198, 18, 1, 2) })).toBe(
      false,
    );
    const v6 = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
    expect(certificateMatchesIdentity(addresses, { type: "ipv6", data: v6 })).toBe(true);
    // Wrong lengths never match (an IPv4 ID of 16 octets, a truncated IPv6 one).
    expect(certificateMatchesIdentity(addresses, { type: "ipv4", data: v6 })).toBe(false);
    expect(certificateMatchesIdentity(addresses, { type: "ipv6", data: v6.subarray(0, 4) })).toBe(false);
  });

  it("DER_ASN1_DN against the subject, byte for byte, with bounds (CVE-2013-6075)", () => {
    const dn = ee.subject.der;
    expect(certificateMatchesIdentity(ee, { type: "dn", data: dn })).toBe(true);
    expect(
      certificateMatchesIdentity(ee, { type: "dn", data: cert("ex:initiator-rsa.crt").subject.der }),
    ).toBe(true);
    expect(certificateMatchesIdentity(ee, { type: "dn", data: ee.issuer.der })).toBe(false);
    // A prefix, a DN with trailing octets, and a DN whose inner length runs past its end.
    expect(certificateMatchesIdentity(ee, { type: "dn", data: dn.subarray(0, dn.length - 1) })).toBe(false);
    expect(certificateMatchesIdentity(ee, { type: "dn", data: Uint8Array.of(...dn, 0) })).toBe(false);
    const overlong = dn.slice();
    overlong[3] = 0x7f;
    expect(certificateMatchesIdentity(ee, { type: "dn", data: overlong })).toBe(false);
    expect(
      certificateMatchesIdentity(ee, { type: "dn", data: Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff) }),
    ).toBe(false);
    expect(certificateMatchesIdentity(ee, { type: "dn", data: new Uint8Array(0) })).toBe(false);
  });
});
