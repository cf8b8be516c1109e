/**
 * IKEv2 against a real strongSwan charon (../shared/interop, kernel-libipsec in a namespace):
 * ike-ts initiates with PSK, establishes the IKE SA and the first Child SA, derives the same keys
 * charon logged, sends an ICMP echo 198.19.0.1 -> 198.19.0.2 through its own ESP-in-UDP and
 * decrypts charon's reply, then deletes the IKE SA and both sides end with no SAs.
 */
import { afterEach, describe, expect, it } from "vitest";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import { nodeBackend } from "../../src/node/backend.js";
import { toHex } from "../../src/wire/bytes.js";
import { type Initiator, startInitiator } from "./ike-initiator.js";
import { HARNESS_DIR, listSas, peerKeys, peerLog, startPeer, stopPeer } from "./peer.js";

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

let running: { name: string; initiator?: Initiator } | undefined;
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
    const initiator = await startInitiator(env, c.backend, { ike: c.ike, esp: c.esp });
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
    const keys = await peerKeys(c.name);
    const ike = Object.values(keys.ike_sas)[0]!;
    const ours = initiator.session.ikeKeys()!.keys.strongSwanLog();
    for (const label of [
      "SKEYSEED",
      "Sk_d secret",
      "Sk_ei secret",
      "Sk_er secret",
      "Sk_pi secret",
      "Sk_pr secret",
    ]) {
      expect(ike.keys[label], `charon logged ${label}`).toMatch(/^[0-9a-f]{32,}$/);
      expect(ours[label], label).toBe(ike.keys[label]);
    }
    const charonChild = keys.child_sas[0]!;
    expect(toHex(child.outbound.encryptionKey!)).toBe(charonChild.keys["encryption initiator key"]);
    expect(toHex(child.inbound.encryptionKey!)).toBe(charonChild.keys["encryption responder key"]);

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
