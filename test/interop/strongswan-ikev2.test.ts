/**
 * IKEv2 against a real strongSwan charon (../shared/interop, kernel-libipsec in a namespace):
 * ike-ts initiates with PSK, establishes the IKE SA and the first Child SA, derives the same keys
 * charon logged, sends an ICMP echo 198.19.0.1 -> 198.19.0.2 through its own ESP-in-UDP and
 * decrypts charon's reply, then deletes the IKE SA and both sides end with no SAs. And the other
 * way round: charon initiates towards ike-ts as responder, and deletes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import { nodeBackend } from "../../src/node/backend.js";
import { type Endpoint, expectCharonKeys, startEndpoint } from "./ike-endpoint.js";
import { HARNESS_DIR, listSas, peerLog, startInitiatingPeer, startPeer, stopPeer, swanctl } from "./peer.js";

const CASES = [
  {
    example: "a-ikev2-psk-gcm",
    name: "v2a",
    index: 41,
    backend: nodeBackend,
    ike: "aes256gcm16-prfsha256-x25519",
    esp: "aes256gcm16",
    charonIke: "AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519",
    charonEsp: "AES_GCM_16-256",
  },
  {
    example: "b-ikev2-psk-cbc",
    name: "v2b",
    index: 42,
    backend: nobleBackend,
    ike: "aes128-sha256-modp2048",
    esp: "aes128-sha256",
    charonIke: "AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
    charonEsp: "AES_CBC-128/HMAC_SHA2_256_128",
  },
] as const;

let running: { name: string; initiator?: Endpoint } | undefined;
afterEach(async () => {
  if (running === undefined) return;
  await running.initiator?.dispose();
  await stopPeer(running.name);
  running = undefined;
});

describe.each(CASES)("ike-ts initiator -> charon, example $example ($backend.name backend)", (c) => {
  it("establishes, matches charon's keys, pings through ESP, and deletes", async () => {
    running = { name: c.name };
    const env = await startPeer(c.name, `${HARNESS_DIR}/examples/${c.example}`, { index: c.index });
    const initiator = await startEndpoint(env, c.backend, { ike: c.ike, esp: c.esp }, "initiator");
    running.initiator = initiator;

    const child = await initiator.childUp.catch(async (e: Error) => {
      throw new Error(`${e.message}\n--- charon log ---\n${(await peerLog(c.name)).slice(-4000)}`);
    });
    expect(initiator.events.some((e) => e.type === "ike-sa-up")).toBe(true);

    // charon's view: established, the algorithms we proposed, UDP-encapsulated tunnel.
    const sas = await listSas(c.name);
    expect(sas).toHaveLength(1);
    expect(sas[0]!.state).toBe("ESTABLISHED");
    expect(sas[0]!.algorithms).toBe(c.charonIke);
    expect(sas[0]!.children[0]!.state).toBe("INSTALLED");

    // The keys: ike-ts's derivation equals what charon logged, byte for byte.
    await expectCharonKeys(c.name, initiator.session!, child);

    // Traffic: ike-ts's own ESP, answered by charon and decrypted by ike-ts.
    for (let seq = 1; seq <= 3; seq++) {
      const reply = await initiator.ping(seq, 5000);
      expect(new TextDecoder().decode(reply)).toBe(`ike-ts ping ${seq}`);
    }
    const after = await listSas(c.name);
    expect(after[0]!.children[0]!.in?.packets).toBe(3);
    expect(after[0]!.children[0]!.mode).toBe("TUNNEL-in-UDP");
    expect(after[0]!.children[0]!.algorithms).toBe(c.charonEsp);

    // Delete from our side: both ends end with no SAs.
    await initiator.close(10_000);
    expect(initiator.events.at(-1)?.type).toBe("ike-sa-down");
    expect(await listSas(c.name)).toEqual([]);
  });
});

describe("charon initiator -> ike-ts responder, example a", () => {
  it("answers charon's IKE_SA_INIT and IKE_AUTH, matches its keys, pings through ESP, and honours its delete", async () => {
    const name = "v2ar";
    const index = 43;
    running = { name };
    const env = await startInitiatingPeer(name, "a-charon-initiates", index);
    const responder = await startEndpoint(
      env,
      nodeBackend,
      { ike: "aes256gcm16-prfsha256-x25519", esp: "aes256gcm16" },
      "responder",
    );
    running.initiator = responder;

    await swanctl(name, "--initiate", "--ike", "ikev2-psk-gcm", "--child", "net");
    const child = await responder.childUp;
    expect(responder.session!.role).toBe("responder");

    const sas = await listSas(name);
    expect(sas[0]!.state).toBe("ESTABLISHED");
    expect(sas[0]!.charonIsInitiator).toBe(true);
    expect(sas[0]!.children[0]!.mode).toBe("TUNNEL-in-UDP");

    // As responder our outbound key is the responder's (RFC 7296 §2.17 KEYMAT order).
    await expectCharonKeys(name, responder.session!, child);

    for (let seq = 1; seq <= 2; seq++) {
      const reply = await responder.ping(seq, 5000);
      expect(new TextDecoder().decode(reply)).toBe(`ike-ts ping ${seq}`);
    }

    // charon deletes the IKE SA: ike-ts answers and reports ike-sa-down; nothing is left on charon.
    await swanctl(name, "--terminate", "--ike", "ikev2-psk-gcm");
    await waitFor(() => responder.events.some((e) => e.type === "ike-sa-down"), 5000);
    expect(await listSas(name)).toEqual([]);
  });
});

async function waitFor(done: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("charon rekeys and probes an ike-ts initiator, example j", () => {
  it("answers DPD, the Child SA rekey and the IKE SA rekey charon starts; traffic flows after each", async () => {
    const name = "v2j";
    running = { name };
    const env = await startPeer(name, `${HARNESS_DIR}/examples/j-ikev2-dpd-rekey`, { index: 44 });
    const endpoint = await startEndpoint(
      env,
      nodeBackend,
      { ike: "aes256gcm16-prfsha256-x25519", esp: "aes256gcm16" },
      "initiator",
    );
    running.initiator = endpoint;
    await endpoint.childUp;
    const firstSpi = (await listSas(name))[0]!.spiI;

    // charon: DPD after 5 s idle, CHILD_SA rekey at 15 s, IKE_SA rekey at 20 s (no jitter).
    await waitFor(() => endpoint.events.some((e) => e.type === "ike-sa-rekeyed"), 30_000);
    expect(endpoint.events.some((e) => e.type === "child-sa-rekeyed")).toBe(true);
    expect(endpoint.events.some((e) => e.type === "ike-sa-down")).toBe(false);
    const log = await peerLog(name);
    expect(log).toMatch(/sending DPD request/);

    const sas = await listSas(name);
    expect(sas).toHaveLength(1);
    expect(sas[0]!.state).toBe("ESTABLISHED");
    expect(sas[0]!.spiI).not.toBe(firstSpi);
    expect(sas[0]!.children).toHaveLength(1);
    const reply = await endpoint.ping(7, 5000);
    expect(new TextDecoder().decode(reply)).toBe("ike-ts ping 7");
  }, 60_000);
});
