import { describe, expect, it } from "vitest";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import { nodeBackend } from "../../src/node/backend.js";
import type { Certificate } from "../../src/pki/certificate.js";
import { parseCertificate } from "../../src/pki/certificate.js";
import { type ChainOptions, verifyChain } from "../../src/pki/chain.js";
import { PkiError } from "../../src/pki/errors.js";
import { cert, indexOf, NOW, splice } from "./helpers.js";

function verify(
  ee: Certificate,
  options: Partial<ChainOptions> & Pick<ChainOptions, "trustAnchors">,
): string[] {
  return verifyChain(ee, { backend: nobleBackend, now: NOW, ...options }).map((c) => c.subject.text);
}

function failure(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof PkiError) return e.code;
    throw e;
  }
  return "ok";
}

describe.each([
  { name: "noble", backend: nobleBackend },
  { name: "node", backend: nodeBackend },
])("verifyChain ($name)", ({ backend }) => {
  it("accepts ECDSA, RSA and Ed25519 end entities under their CA", () => {
    for (const [ee, ca] of [
      ["ex:initiator-ecdsa.crt", "ex:ca-ecdsa.crt"],
      ["ex:responder-rsa.crt", "ex:ca-rsa.crt"],
      ["initiator-ed25519.crt", "ca-ed25519.crt"],
      ["ee-pss.crt", "ca-rsa-pss.crt"],
    ] as const) {
      const path = verifyChain(cert(ee), { backend, now: NOW, trustAnchors: [cert(ca)] });
      expect(path).toHaveLength(2);
    }
  });

  it("builds the two-level RSA 4096 chain through the intermediate", () => {
    const path = verifyChain(cert("ex:initiator-rsa4096.crt"), {
      backend,
      now: NOW,
      trustAnchors: [cert("ex:ca-ecdsa.crt"), cert("ex:ca-rsa4096.crt")],
      intermediates: [cert("ex:ca-rsa.crt"), cert("ex:im-rsa4096.crt")],
    });
    expect(path.map((c) => c.subject.text)).toEqual([
      "C=ZZ, O=ikei interop, CN=initiator.ikei.test",
      "C=ZZ, O=ikei interop, CN=ikei rsa4096 intermediate CA",
      "C=ZZ, O=ikei interop, CN=ikei rsa4096 root CA",
    ]);
  });

  it("refuses a tampered signature", () => {
    const good = cert("ex:initiator-ecdsa.crt").der.slice();
    good[good.length - 5]! ^= 0x01;
    const tampered = parseCertificate(good);
    expect(
      failure(() => verifyChain(tampered, { backend, now: NOW, trustAnchors: [cert("ex:ca-ecdsa.crt")] })),
    ).toBe("bad-signature");
  });
});

describe("verifyChain failures", () => {
  it("expired and not yet valid, by the injected time", () => {
    const ee = cert("ex:initiator-ecdsa.crt");
    const anchors = [cert("ex:ca-ecdsa.crt")];
    expect(failure(() => verify(ee, { trustAnchors: anchors, now: Date.UTC(2037, 0, 1) }))).toBe("expired");
    expect(failure(() => verify(ee, { trustAnchors: anchors, now: Date.UTC(2026, 0, 1) }))).toBe(
      "not-yet-valid",
    );
    // The intermediate expires (2040) before its end entity (2036 + …): checked per link.
    expect(
      failure(() =>
        verify(cert("ex:initiator-rsa4096.crt"), {
          trustAnchors: [cert("ex:ca-rsa4096.crt")],
          intermediates: [cert("ex:im-rsa4096.crt")],
          now: Date.UTC(2036, 6, 1),
        }),
      ),
    ).toBe("ok");
    expect(
      failure(() =>
        verify(cert("ex:initiator-rsa4096.crt"), {
          trustAnchors: [cert("ex:ca-rsa4096.crt")],
          intermediates: [cert("ex:im-rsa4096.crt")],
          now: Date.UTC(2037, 0, 1),
        }),
      ),
    ).toBe("expired");
  });

  it("the wrong anchor, or a missing intermediate", () => {
    expect(
      failure(() => verify(cert("ex:initiator-ecdsa.crt"), { trustAnchors: [cert("ex:ca-rsa.crt")] })),
    ).toBe("untrusted");
    expect(
      failure(() => verify(cert("ex:initiator-rsa4096.crt"), { trustAnchors: [cert("ex:ca-rsa4096.crt")] })),
    ).toBe("untrusted");
    expect(failure(() => verify(cert("ex:initiator-ecdsa.crt"), { trustAnchors: [] }))).toBe("untrusted");
  });

  it("an anchor with the right name but another key", () => {
    // ca-rsa renamed to ca-ecdsa's subject (issuer and subject): the name matches, the key does not.
    let fake = cert("ex:ca-rsa.crt").der;
    const name = cert("ex:ca-rsa.crt").subject.der;
    const wanted = [...cert("ex:ca-ecdsa.crt").subject.der];
    for (let i = 0; i < 2; i++) fake = splice(fake, indexOf(fake, [...name]), name.length, wanted);
    const anchor = parseCertificate(fake);
    expect(anchor.subject.text).toBe("C=ZZ, O=ikei interop, CN=ikei ecdsa CA");
    expect(failure(() => verify(cert("ex:initiator-ecdsa.crt"), { trustAnchors: [anchor] }))).toBe(
      "bad-signature",
    );
  });

  it("an intermediate may be the anchor; an unrelated intermediate makes no path", () => {
    const path = verify(cert("ex:initiator-rsa4096.crt"), { trustAnchors: [cert("ex:im-rsa4096.crt")] });
    expect(path).toHaveLength(2);
    expect(
      failure(() =>
        verify(cert("ex:initiator-rsa4096.crt"), {
          trustAnchors: [cert("ex:ca-rsa4096.crt")],
          intermediates: [cert("ex:ca-rsa.crt")],
        }),
      ),
    ).toBe("untrusted");
  });

  it("an issuer without the CA flag", () => {
    expect(
      failure(() =>
        verify(cert("under-notca.crt"), {
          trustAnchors: [cert("ca-ed25519.crt")],
          intermediates: [cert("notca.crt")],
        }),
      ),
    ).toBe("not-ca");
    // Trusting the non-CA certificate directly does not help either.
    expect(failure(() => verify(cert("under-notca.crt"), { trustAnchors: [cert("notca.crt")] }))).toBe(
      "not-ca",
    );
  });

  it("a path longer than the root's pathLenConstraint, and than maxLength", () => {
    expect(
      failure(() =>
        verify(cert("ee-pathlen.crt"), {
          trustAnchors: [cert("ca-pathlen0.crt")],
          intermediates: [cert("im-pathlen.crt")],
        }),
      ),
    ).toBe("path-length");
    expect(
      failure(() =>
        verify(cert("ex:initiator-rsa4096.crt"), {
          trustAnchors: [cert("ex:ca-rsa4096.crt")],
          intermediates: [cert("ex:im-rsa4096.crt")],
          maxLength: 2,
        }),
      ),
    ).toBe("path-length");
  });

  it("a self-signed end entity that is not an anchor", () => {
    expect(failure(() => verify(cert("ex:ca-ecdsa.crt"), { trustAnchors: [cert("ex:ca-rsa.crt")] }))).toBe(
      "untrusted",
    );
  });
});

describe("verifyChain work bound", () => {
  it("checks at most 32 links however many same-named intermediates the peer sends", () => {
    const im = cert("ex:im-rsa4096.crt").der;
    // 40 distinct copies of the intermediate (serial changed, so their signatures are bad).
    const serialAt = 15; // inside tbsCertificate's serialNumber INTEGER
    const copies = Array.from({ length: 40 }, (_, i) => {
      const d = im.slice();
      d[serialAt] = i;
      return parseCertificate(d);
    });
    let verifies = 0;
    const counting = {
      verify: (...args: Parameters<typeof nobleBackend.verify>) => {
        verifies++;
        return nobleBackend.verify(...args);
      },
    };
    const code = failure(() =>
      verifyChain(cert("ex:initiator-rsa4096.crt"), {
        backend: counting,
        now: NOW,
        trustAnchors: [cert("ex:ca-rsa4096.crt")],
        intermediates: copies,
      }),
    );
    expect(code).not.toBe("ok");
    expect(verifies).toBeLessThanOrEqual(32);
  });
});
