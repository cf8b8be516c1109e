/**
 * Certificate authentication against a real strongSwan charon (../shared/interop, examples e1 and
 * e2): ike-ts initiates with its ECDSA / RSA certificate, verifies charon's certificate chain and
 * signature, derives the keys charon logged, and pings through its own ESP. RFC 7427 Digital
 * Signatures (method 14) since both ends announce SIGNATURE_HASH_ALGORITHMS, and the classic
 * methods 9 (ECDSA, RFC 4754) and 1 (RSA) when ike-ts is configured for them. And charon
 * initiating towards ike-ts as responder with ECDSA certificates.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { CryptoBackend } from "../../src/crypto/backend.js";
import { pemToDer } from "../../src/crypto/keys.js";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import type { IkeLogger, IkeSessionConfig, IkeSessionDeps } from "../../src/ikev2/session/types.js";
import { nodeBackend } from "../../src/node/backend.js";
import { toHex } from "../../src/wire/bytes.js";
import { type Endpoint, expectCharonKeys, startEndpoint } from "./ike-endpoint.js";
import {
  HARNESS_DIR,
  listSas,
  peerKeys,
  peerLog,
  RESPONDER_ID,
  startInitiatingPeer,
  startPeer,
  stopPeer,
  swanctl,
} from "./peer.js";

const CERTS = `${HARNESS_DIR}/examples/certs`;

/** Collects our log lines (to see which AUTH method each side used). */
function recorder(): IkeLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, debug: (m) => lines.push(m), info: (m) => lines.push(m), warn: (m) => lines.push(m) };
}

/** Our certificate configuration and key store for one of the examples' credential sets. */
function credentials(
  who: "initiator" | "responder",
  set: "ecdsa" | "rsa",
  classic: boolean,
  logger: IkeLogger,
): { over: Partial<IkeSessionConfig>; deps: Partial<IkeSessionDeps> } {
  const key = pemToDer(readFileSync(`${CERTS}/${who}-${set}.pk8.pem`, "utf8"), "PRIVATE KEY");
  const anchor = pemToDer(readFileSync(`${CERTS}/ca-${set}.crt`, "utf8"), "CERTIFICATE");
  return {
    over: {
      auth: { method: "pubkey", certificates: [readFileSync(`${CERTS}/${who}-${set}.crt`, "utf8")], classic },
      remoteAuth: "pubkey",
    },
    deps: {
      keys: { getPrivateKey: () => key.slice(), getTrustAnchors: () => [anchor] },
      wallClock: () => Date.now(),
      logger,
    },
  };
}

/** The AUTH methods of the peers we authenticated (from our log). */
function verifiedMethods(lines: readonly string[]): number[] {
  return lines.flatMap((l) => {
    const m = /peer authenticated by .*, AUTH method (\d+)/.exec(l);
    return m === null ? [] : [Number(m[1])];
  });
}

const CASES: readonly {
  example: string;
  name: string;
  index: number;
  set: "ecdsa" | "rsa";
  classic: boolean;
  backend: CryptoBackend;
  ike: string;
  esp: string;
  charonIke: string;
  /** The method we sign with, and charon's log line for it. */
  ourMethod: number;
  charonSays: RegExp;
}[] = [
  {
    example: "e1-ikev2-cert-ecdsa",
    name: "v2e1",
    index: 71,
    set: "ecdsa",
    classic: false,
    backend: nodeBackend,
    ike: "aes256gcm16-prfsha256-ecp256",
    esp: "aes256gcm16",
    charonIke: "AES_GCM_16-256/PRF_HMAC_SHA2_256/ECP_256",
    ourMethod: 14,
    charonSays: /authentication of 'initiator\.ikei\.test' with ECDSA_WITH_SHA256_DER successful/,
  },
  {
    example: "e1-ikev2-cert-ecdsa",
    name: "v2e1c",
    index: 72,
    set: "ecdsa",
    classic: true,
    backend: nobleBackend,
    ike: "aes256gcm16-prfsha256-ecp256",
    esp: "aes256gcm16",
    charonIke: "AES_GCM_16-256/PRF_HMAC_SHA2_256/ECP_256",
    ourMethod: 9,
    charonSays: /authentication of 'initiator\.ikei\.test' with ECDSA-256 signature successful/,
  },
  {
    example: "e2-ikev2-cert-rsa",
    name: "v2e2",
    index: 73,
    set: "rsa",
    classic: false,
    backend: nobleBackend,
    ike: "aes128-sha256-modp2048",
    esp: "aes128-sha256",
    charonIke: "AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
    ourMethod: 14,
    charonSays: /authentication of 'initiator\.ikei\.test' with RSA_EMSA_PKCS1_SHA2_256 successful/,
  },
  {
    example: "e2-ikev2-cert-rsa",
    name: "v2e2c",
    index: 74,
    set: "rsa",
    classic: true,
    backend: nodeBackend,
    ike: "aes128-sha256-modp2048",
    esp: "aes128-sha256",
    charonIke: "AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
    ourMethod: 1,
    charonSays: /authentication of 'initiator\.ikei\.test' with RSA signature successful/,
  },
];

let running: { name: string; endpoint?: Endpoint } | undefined;
afterEach(async () => {
  if (running === undefined) return;
  await running.endpoint?.dispose();
  await stopPeer(running.name);
  running = undefined;
});

describe.each(CASES)("ike-ts initiator -> charon, $example (classic: $classic, $backend.name)", (c) => {
  it("authenticates both ways with certificates, matches charon's keys, pings through ESP", async () => {
    running = { name: c.name };
    const env = await startPeer(c.name, `${HARNESS_DIR}/examples/${c.example}`, { index: c.index });
    const log = recorder();
    const creds = credentials("initiator", c.set, c.classic, log);
    const initiator = await startEndpoint(
      env,
      c.backend,
      { ike: c.ike, esp: c.esp },
      "initiator",
      creds.over,
      creds.deps,
    );
    running.endpoint = initiator;

    const child = await initiator.childUp.catch(async (e: Error) => {
      throw new Error(
        `${e.message}\n--- ike-ts ---\n${log.lines.join("\n")}\n--- charon log ---\n${(await peerLog(c.name)).slice(-4000)}`,
      );
    });
    // charon signs with RFC 7427 (we announced SIGNATURE_HASH_ALGORITHMS); it verified our method.
    expect(verifiedMethods(log.lines)).toEqual([14]);
    expect(log.lines).toContain(`IKE_AUTH: signing with AUTH method ${c.ourMethod}`);
    expect(await peerLog(c.name)).toMatch(c.charonSays);
    expect(initiator.session!.snapshot().remoteId).toEqual({ type: "fqdn", value: RESPONDER_ID });

    const sas = await listSas(c.name);
    expect(sas).toHaveLength(1);
    expect(sas[0]!.state).toBe("ESTABLISHED");
    expect(sas[0]!.algorithms).toBe(c.charonIke);

    await expectCharonKeys(c.name, initiator.session!, child);

    for (let seq = 1; seq <= 2; seq++) {
      const reply = await initiator.ping(seq, 5000);
      expect(new TextDecoder().decode(reply)).toBe(`ike-ts ping ${seq}`);
    }
    await initiator.close(10_000);
    expect(await listSas(c.name)).toEqual([]);
  });
});

describe("ike-ts initiator -> charon, e1, refused", () => {
  it("ike-ts does not trust charon's CA: no SA on either side", async () => {
    const name = "v2e1x";
    running = { name };
    const env = await startPeer(name, `${HARNESS_DIR}/examples/e1-ikev2-cert-ecdsa`, { index: 75 });
    const log = recorder();
    const creds = credentials("initiator", "ecdsa", false, log);
    const wrongAnchor = pemToDer(readFileSync(`${CERTS}/ca-rsa.crt`, "utf8"), "CERTIFICATE");
    const initiator = await startEndpoint(
      env,
      nodeBackend,
      { ike: "aes256gcm16-prfsha256-ecp256", esp: "aes256gcm16" },
      "initiator",
      creds.over,
      { ...creds.deps, keys: { ...creds.deps.keys!, getTrustAnchors: () => [wrongAnchor] } },
    );
    running.endpoint = initiator;
    await expect(initiator.childUp).rejects.toThrow(/authentication-failed/);
    expect(log.lines.some((l) => l.includes("untrusted"))).toBe(true);
    // Our INFORMATIONAL {N(AUTHENTICATION_FAILED), D} makes charon drop the IKE SA it had established.
    await waitFor(async () => (await listSas(name)).length === 0, 5000);
  });
});

describe("charon initiator -> ike-ts responder, e1 (ECDSA certificates)", () => {
  it("answers with its certificate, verifies charon's, pings through ESP, and honours charon's delete", async () => {
    const name = "v2e1r";
    const index = 76;
    running = { name };
    const env = await startInitiatingPeer(
      name,
      "e1-charon-initiates",
      index,
      ["x509", "x509ca", "private"].map((sub) => `${HARNESS_DIR}/examples/e1-ikev2-cert-ecdsa/${sub}`),
    );
    const log = recorder();
    const creds = credentials("initiator", "ecdsa", false, log);
    const responder = await startEndpoint(
      env,
      nodeBackend,
      { ike: "aes256gcm16-prfsha256-ecp256", esp: "aes256gcm16" },
      "responder",
      {
        ...creds.over,
        localId: { type: "fqdn", value: "initiator.ikei.test" },
        remoteId: { type: "fqdn", value: RESPONDER_ID },
      },
      creds.deps,
    );
    running.endpoint = responder;

    await swanctl(name, "--initiate", "--ike", "ikev2-cert-ecdsa", "--child", "net");
    const child = await responder.childUp.catch(async (e: Error) => {
      throw new Error(
        `${e.message}\n--- ike-ts ---\n${log.lines.join("\n")}\n--- charon ---\n${(await peerLog(name)).slice(-4000)}`,
      );
    });
    expect(responder.session!.role).toBe("responder");
    expect(verifiedMethods(log.lines)).toEqual([14]);
    expect(await peerLog(name)).toMatch(
      /authentication of 'initiator\.ikei\.test' with ECDSA_WITH_SHA256_DER successful/,
    );

    const sas = await listSas(name);
    expect(sas[0]!.state).toBe("ESTABLISHED");
    expect(sas[0]!.charonIsInitiator).toBe(true);
    const keys = await peerKeys(name);
    expect(toHex(child.outbound.encryptionKey!)).toBe(keys.child_sas[0]!.keys["encryption responder key"]);

    const reply = await responder.ping(1, 5000);
    expect(new TextDecoder().decode(reply)).toBe("ike-ts ping 1");

    await swanctl(name, "--terminate", "--ike", "ikev2-cert-ecdsa");
    await waitFor(async () => responder.events.some((e) => e.type === "ike-sa-down"), 5000);
    expect(await listSas(name)).toEqual([]);
  });
});

async function waitFor(done: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > until) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}
