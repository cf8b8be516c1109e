/**
 * Certificate authentication in IKE_AUTH between two in-process sessions: ECDSA, RSA (PKCS#1 v1.5
 * and PSS) and Ed25519 certificates, classic methods 1 and 9 and RFC 7427 method 14, the
 * two-level RSA 4096 chain, mixed PSK / certificate ends, and the failures that must leave no SA.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { CryptoBackend } from "../../../src/crypto/backend.js";
import { pemToDer } from "../../../src/crypto/keys.js";
import { nobleBackend } from "../../../src/crypto/noble/index.js";
import { NotifyType } from "../../../src/ikev2/constants.js";
import { decodeMessage } from "../../../src/ikev2/message.js";
import type {
  IkeLogger,
  IkeSessionConfig,
  IkeSessionDeps,
  KeyStore,
} from "../../../src/ikev2/session/types.js";
import { nodeBackend } from "../../../src/node/backend.js";
import { parseCertificate } from "../../../src/pki/certificate.js";
import { toHex, utf8 } from "../../../src/wire/bytes.js";
import { deps, events, Harness, I_ADDRESS, initiatorConfig, pskStore, responderConfig } from "./harness.js";

const EXAMPLES = "/work/shared/interop/examples/certs/";
const FIXTURES = new URL("../../fixtures/pki/", import.meta.url).pathname;
const NOW = Date.UTC(2027, 0, 1);

/** A file from the examples (`ex:`) or the PKI fixtures. */
function file(name: string): string {
  return readFileSync(name.startsWith("ex:") ? EXAMPLES + name.slice(3) : FIXTURES + name, "utf8");
}

/** One end's credentials: certificate files (ours first), its key, and the anchors it trusts. */
interface End {
  readonly certs: readonly string[];
  readonly key: string;
  readonly anchors: readonly string[];
}

const ECDSA = (who: "initiator" | "responder"): End => ({
  certs: [`ex:${who}-ecdsa.crt`],
  key: `ex:${who}-ecdsa.pk8.pem`,
  anchors: ["ex:ca-ecdsa.crt"],
});
const RSA = (who: "initiator" | "responder"): End => ({
  certs: [`ex:${who}-rsa.crt`],
  key: `ex:${who}-rsa.pk8.pem`,
  anchors: ["ex:ca-rsa.crt"],
});
const RSA4096 = (who: "initiator" | "responder"): End => ({
  certs: [`ex:${who}-rsa4096.crt`, "ex:im-rsa4096.crt"],
  key: `ex:${who}-rsa4096.pk8.pem`,
  anchors: ["ex:ca-rsa4096.crt"],
});
const ED25519 = (who: "initiator" | "responder"): End => ({
  certs: [`${who}-ed25519.crt`],
  key: `${who}-ed25519.pk8.pem`,
  anchors: ["ca-ed25519.crt"],
});

function keyStore(end: End, anchors: readonly string[] = end.anchors, key = end.key): KeyStore {
  const privateKey = pemToDer(file(key), "PRIVATE KEY");
  return {
    getPrivateKey: () => privateKey.slice(),
    getTrustAnchors: () => anchors.map((a) => pemToDer(file(a), "CERTIFICATE")),
  };
}

/** Collects log lines. */
function recorder(): IkeLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (m) => lines.push(m),
    info: (m) => lines.push(m),
    warn: (m) => lines.push(m),
  };
}

function certDeps(
  backend: CryptoBackend,
  keys: KeyStore,
  logger: IkeLogger,
  over: Partial<IkeSessionDeps> = {},
): IkeSessionDeps {
  return { ...deps(backend), keys, wallClock: () => NOW, logger, ...over };
}

function pubkey(end: End, extra: { rsaPss?: boolean; classic?: boolean } = {}): Partial<IkeSessionConfig> {
  return { auth: { method: "pubkey", certificates: end.certs.map(file), ...extra }, remoteAuth: "pubkey" };
}

interface Setup {
  readonly backend?: CryptoBackend;
  readonly i: End;
  readonly r: End;
  readonly iExtra?: { rsaPss?: boolean; classic?: boolean };
  readonly rExtra?: { rsaPss?: boolean; classic?: boolean };
  readonly iConfig?: Partial<IkeSessionConfig>;
  readonly rConfig?: Partial<IkeSessionConfig>;
  readonly iKeys?: KeyStore;
  readonly rKeys?: KeyStore;
  readonly iDeps?: Partial<IkeSessionDeps>;
  readonly rDeps?: Partial<IkeSessionDeps>;
}

function run(s: Setup) {
  const backend = s.backend ?? nobleBackend;
  const iLog = recorder();
  const rLog = recorder();
  const h = new Harness({
    backend,
    initiator: initiatorConfig({ ...pubkey(s.i, s.iExtra), ...s.iConfig }),
    responder: responderConfig({ ...pubkey(s.r, s.rExtra), ...s.rConfig }),
    initiatorDeps: certDeps(backend, s.iKeys ?? keyStore(s.i), iLog, s.iDeps),
    responderDeps: certDeps(backend, s.rKeys ?? keyStore(s.r), rLog, s.rDeps),
  }).start();
  h.run();
  /** The AUTH methods each side verified (from the log). */
  const methods = (log: { lines: string[] }) =>
    log.lines.flatMap((l) => {
      const m = /peer authenticated by .*, AUTH method (\d+)/.exec(l);
      return m === null ? [] : [Number(m[1])];
    });
  return { h, iLog, rLog, byResponder: methods(rLog), byInitiator: methods(iLog) };
}

function expectUp(h: Harness): void {
  expect(h.initiator.state).toBe("established");
  expect(h.responder?.state).toBe("established");
  expect(events(h.iEvents, "child-sa-up")).toHaveLength(1);
  expect(events(h.rEvents, "child-sa-up")).toHaveLength(1);
}

function expectNoSa(h: Harness): void {
  expect(h.initiator.state).toBe("closed");
  expect(h.responder?.state ?? "closed").toBe("closed");
  expect(events(h.iEvents, "ike-sa-up")).toHaveLength(0);
  expect(events(h.iEvents, "child-sa-up")).toHaveLength(0);
  // A responder that established before the initiator refused it is deleted by the initiator.
  const rUp = events(h.rEvents, "child-sa-up").length;
  const rDown = events(h.rEvents, "child-sa-down").length;
  expect(rUp).toBe(rDown);
}

describe.each([
  { name: "noble", backend: nobleBackend },
  { name: "node", backend: nodeBackend },
])("certificate authentication ($name)", ({ backend }) => {
  it("ECDSA P-256 both ways with RFC 7427 (method 14), the peers announcing their hashes", () => {
    const { h, byInitiator, byResponder } = run({ backend, i: ECDSA("initiator"), r: ECDSA("responder") });
    expectUp(h);
    expect(byResponder).toEqual([14]);
    expect(byInitiator).toEqual([14]);
    expect(h.responder!.snapshot().remoteId).toEqual({ type: "fqdn", value: "initiator.ikei.test" });
  });

  it("ECDSA with the classic method 9 (RFC 4754)", () => {
    const { h, byInitiator, byResponder } = run({
      backend,
      i: ECDSA("initiator"),
      r: ECDSA("responder"),
      iExtra: { classic: true },
      rExtra: { classic: true },
    });
    expectUp(h);
    expect(byResponder).toEqual([9]);
    expect(byInitiator).toEqual([9]);
  });

  it("RSA with the classic method 1 and with method 14 (PKCS#1 v1.5, and PSS)", () => {
    const classic = run({ backend, i: RSA("initiator"), r: RSA("responder"), iExtra: { classic: true } });
    expectUp(classic.h);
    expect(classic.byResponder).toEqual([1]);
    expect(classic.byInitiator).toEqual([14]);
    const pss = run({ backend, i: RSA("initiator"), r: RSA("responder"), iExtra: { rsaPss: true } });
    expectUp(pss.h);
    expect(pss.byResponder).toEqual([14]);
    expect(pss.iLog.lines).toContain("IKE_AUTH: signing with AUTH method 14");
  });

  it("Ed25519 certificates (RFC 8420, method 14 with Identity)", () => {
    const { h, byInitiator, byResponder } = run({
      backend,
      i: ED25519("initiator"),
      r: ED25519("responder"),
    });
    expectUp(h);
    expect(byResponder).toEqual([14]);
    expect(byInitiator).toEqual([14]);
  });
});

describe("certificate authentication: chains, CERT and CERTREQ, mixed ends", () => {
  it("the RSA 4096 two-level chain: the intermediate travels in a second CERT payload", () => {
    const { h, byInitiator, byResponder } = run({ i: RSA4096("initiator"), r: RSA4096("responder") });
    expectUp(h);
    expect(byResponder).toEqual([14]);
    expect(byInitiator).toEqual([14]);
  });

  it("an intermediate from the key store instead of the peer's CERT payloads", () => {
    const i = { ...RSA4096("initiator"), certs: ["ex:initiator-rsa4096.crt"] };
    const rKeys: KeyStore = {
      ...keyStore(RSA4096("responder")),
      getIntermediates: () => [pemToDer(file("ex:im-rsa4096.crt"), "CERTIFICATE")],
    };
    const { h } = run({ i, r: RSA4096("responder"), rKeys });
    expectUp(h);
  });

  it("the responder's IKE_SA_INIT answer carries SIGNATURE_HASH_ALGORITHMS and a CERTREQ for its anchor", () => {
    const { h } = run({ i: ECDSA("initiator"), r: ECDSA("responder") });
    const answer = decodeMessage(h.wire[1]!.datagram.data);
    const hashes = answer.payloads.find(
      (p) => p.type === "N" && p.notifyType === NotifyType.SIGNATURE_HASH_ALGORITHMS,
    );
    expect(hashes?.type === "N" && [...hashes.data]).toEqual([0, 2, 0, 3, 0, 4, 0, 5]);
    const certReq = answer.payloads.find((p) => p.type === "CERTREQ");
    // RFC 7296 §3.7: X.509 Signature encoding, the SHA-1 hash of the CA's SubjectPublicKeyInfo.
    const ca = parseCertificate(pemToDer(file("ex:ca-ecdsa.crt"), "CERTIFICATE"));
    expect(certReq?.type === "CERTREQ" && certReq.encoding).toBe(4);
    expect(certReq?.type === "CERTREQ" && toHex(certReq.authorities)).toBe(
      toHex(nobleBackend.hash("sha1", ca.spki)),
    );
  });

  it("a PSK initiator and a certificate responder (each end's own method)", () => {
    const { h, byInitiator } = run({
      i: ECDSA("initiator"),
      r: ECDSA("responder"),
      iConfig: { auth: { method: "psk" }, remoteAuth: "pubkey" },
      rConfig: { remoteAuth: "psk" },
    });
    expectUp(h);
    expect(byInitiator).toEqual([14]);
  });

  it("an ID_DER_ASN1_DN identity matches the certificate's subject byte for byte", () => {
    const subject = parseCertificate(pemToDer(file("ex:initiator-ecdsa.crt"), "CERTIFICATE")).subject.der;
    const { h } = run({
      i: ECDSA("initiator"),
      r: ECDSA("responder"),
      iConfig: { localId: { type: "dn", value: subject } },
    });
    expectUp(h);
    expect(h.responder!.snapshot().remoteId).toEqual({ type: "dn", value: subject });
  });

  it("the PSK store is also asked with the peer's address", () => {
    const seen: (string | undefined)[] = [];
    const byAddress: IkeSessionDeps["psk"] = {
      getPsk: (_local, _remote, address) => {
        seen.push(address);
        return address === I_ADDRESS ? utf8("interop-test-psk-0123456789") : undefined;
      },
    };
    const h = new Harness({ backend: nobleBackend, responderDeps: deps(nobleBackend, byAddress) }).start();
    h.run();
    expect(h.responder?.state).toBe("established");
    expect(seen).toEqual([I_ADDRESS]);
  });

  it("PSK sessions send no SIGNATURE_HASH_ALGORITHMS or CERTREQ", () => {
    const h = new Harness({ backend: nobleBackend }).start();
    h.run();
    const request = decodeMessage(h.wire[0]!.datagram.data);
    const answer = decodeMessage(h.wire[1]!.datagram.data);
    for (const m of [request, answer]) {
      expect(
        m.payloads.some((p) => p.type === "N" && p.notifyType === NotifyType.SIGNATURE_HASH_ALGORITHMS),
      ).toBe(false);
      expect(m.payloads.some((p) => p.type === "CERTREQ")).toBe(false);
    }
  });
});

describe("certificate authentication failures: AUTHENTICATION_FAILED, no SA survives", () => {
  it("the responder does not trust the initiator's CA", () => {
    const { h, rLog } = run({
      i: ECDSA("initiator"),
      r: ECDSA("responder"),
      rKeys: keyStore(ECDSA("responder"), ["ex:ca-rsa.crt"]),
    });
    expectNoSa(h);
    expect(events(h.iEvents, "error")).toMatchObject([{ notifyName: "AUTHENTICATION_FAILED" }]);
    expect(rLog.lines.some((l) => l.includes("untrusted"))).toBe(true);
  });

  it("the initiator does not trust the responder's CA: the responder's SA is deleted too", () => {
    const { h, iLog } = run({
      i: ECDSA("initiator"),
      r: ECDSA("responder"),
      iKeys: keyStore(ECDSA("initiator"), ["ex:ca-rsa.crt"]),
    });
    expectNoSa(h);
    expect(events(h.rEvents, "ike-sa-down")).toMatchObject([{ reason: "deleted-by-peer" }]);
    expect(iLog.lines.some((l) => l.includes("untrusted"))).toBe(true);
  });

  it("an expired certificate, by the injected wall clock", () => {
    const { h, rLog } = run({
      i: ECDSA("initiator"),
      r: ECDSA("responder"),
      rDeps: { wallClock: () => Date.UTC(2040, 0, 1) },
    });
    expectNoSa(h);
    expect(rLog.lines.some((l) => l.includes("expired"))).toBe(true);
  });

  it("an ID the certificate does not name", () => {
    const { h, rLog } = run({
      i: ECDSA("initiator"),
      r: ECDSA("responder"),
      iConfig: { localId: { type: "fqdn", value: "mallory.ikei.test" } },
    });
    expectNoSa(h);
    expect(rLog.lines.some((l) => l.includes("not in its certificate"))).toBe(true);
  });

  it("a signature by another key than the certificate's", () => {
    const { h, iLog } = run({
      i: ECDSA("initiator"),
      r: ECDSA("responder"),
      rKeys: keyStore(ECDSA("responder"), undefined, "ex:initiator-ecdsa.pk8.pem"),
    });
    expectNoSa(h);
    expect(iLog.lines.some((l) => l.includes("does not verify"))).toBe(true);
  });

  it("a PSK AUTH where a certificate is required", () => {
    const { h } = run({
      i: ECDSA("initiator"),
      r: ECDSA("responder"),
      iConfig: { auth: { method: "psk" } },
    });
    expectNoSa(h);
    expect(events(h.iEvents, "error")).toMatchObject([{ notifyName: "AUTHENTICATION_FAILED" }]);
  });

  it("a responder without a wall clock refuses certificates", () => {
    const backend = nobleBackend;
    const h = new Harness({
      backend,
      initiator: initiatorConfig(pubkey(ECDSA("initiator"))),
      responder: responderConfig(pubkey(ECDSA("responder"))),
      initiatorDeps: certDeps(backend, keyStore(ECDSA("initiator")), recorder()),
      responderDeps: { ...deps(backend), keys: keyStore(ECDSA("responder")) },
    }).start();
    h.run();
    expectNoSa(h);
  });

  it("no private key: the initiator sends no IKE_AUTH", () => {
    const keys: KeyStore = { ...keyStore(ECDSA("initiator")), getPrivateKey: () => undefined };
    const { h } = run({ i: ECDSA("initiator"), r: ECDSA("responder"), iKeys: keys });
    expect(h.initiator.state).toBe("closed");
    expect(events(h.iEvents, "ike-sa-down")).toMatchObject([{ reason: "authentication-failed" }]);
    expect(h.wire.filter((f) => f.toResponder)).toHaveLength(1);
  });

  it("a private key of the wrong type for the certificate", () => {
    const { h, iLog } = run({
      i: ECDSA("initiator"),
      r: ECDSA("responder"),
      iKeys: keyStore(ECDSA("initiator"), undefined, "ex:initiator-rsa.pk8.pem"),
    });
    expect(h.initiator.state).toBe("closed");
    expect(iLog.lines.some((l) => l.includes("cannot sign"))).toBe(true);
  });

  it("configuration: unparseable certificates are refused up front", () => {
    expect(() =>
      run({
        i: ECDSA("initiator"),
        r: ECDSA("responder"),
        iConfig: { auth: { method: "pubkey", certificates: ["junk"] } },
      }),
    ).toThrow(RangeError);
    expect(() =>
      run({
        i: ECDSA("initiator"),
        r: ECDSA("responder"),
        iConfig: { auth: { method: "pubkey", certificates: [] } },
      }),
    ).toThrow(RangeError);
  });

  it("a wrong PSK for a PSK-authenticated responder still fails with PSK rules", () => {
    const backend = nobleBackend;
    const h = new Harness({
      backend,
      responder: responderConfig({ remoteAuth: "psk" }),
      responderDeps: deps(backend, pskStore(utf8("other"))),
    }).start();
    h.run();
    expect(h.initiator.state).toBe("closed");
  });
});
