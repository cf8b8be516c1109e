/**
 * IKEv2 message fragmentation (RFC 7383) against a real strongSwan charon (../shared/interop),
 * with PSK and identities long enough that IKE_AUTH does not fit one 576-octet datagram either
 * way: charon reassembles ike-ts's SKF fragments and ike-ts reassembles charon's, then ESP flows
 * and the IKE SA is deleted — with ike-ts as initiator, and as responder when charon initiates.
 * And example l-ikev2-frag: RSA 4096 certificates in a two-level chain make IKE_AUTH about 3 KB
 * each way; charon (`fragmentation = force`, 576-octet fragments) and ike-ts (default 1280) both
 * fragment.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { pemToDer } from "../../src/crypto/keys.js";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import type { IdentityConfig, KeyStore } from "../../src/ikev2/session/types.js";
import { nodeBackend } from "../../src/node/backend.js";
import { type Endpoint, startEndpoint } from "./ike-endpoint.js";
import {
  CHARON_CONFIGS,
  HARNESS_DIR,
  listSas,
  peerLog,
  startInitiatingPeer,
  startPeer,
  stopPeer,
  swanctl,
} from "./peer.js";

/** charon's identity in strongswan/psk-frag (its IKE_AUTH response needs several fragments). */
const LONG_RESPONDER: IdentityConfig = { type: "fqdn", value: `${"responder-".repeat(45)}ikei.test` };
const LONG_INITIATOR: IdentityConfig = { type: "fqdn", value: `${"initiator-".repeat(45)}ikei.test` };
/** charon's identity in strongswan/psk-frag-charon-initiates. */
const LONG_CHARON: IdentityConfig = { type: "fqdn", value: `${"charon-initiator-".repeat(27)}ikei.test` };

/** The examples' certificates (../shared/interop/examples/certs). */
const CERTS = join(HARNESS_DIR, "examples", "certs");
const pem = (file: string) => readFileSync(join(CERTS, file), "utf8");

let running: { name: string; initiator?: Endpoint } | undefined;
afterEach(async () => {
  if (running === undefined) return;
  await running.initiator?.dispose();
  await stopPeer(running.name);
  running = undefined;
});

describe.each([
  { backend: nodeBackend, name: "v2fn", index: 44 },
  { backend: nobleBackend, name: "v2fb", index: 45 },
])("ike-ts initiator -> charon with fragmentation, PSK ($backend.name backend)", (c) => {
  it("sends and reassembles IKE_AUTH in SKF fragments, pings through ESP, and deletes", async () => {
    running = { name: c.name };
    const env = await startPeer(c.name, join(CHARON_CONFIGS, "psk-frag"), { index: c.index });
    const initiator = await startEndpoint(
      env,
      c.backend,
      { ike: "aes128-sha256-modp2048", esp: "aes128-sha256" },
      "initiator",
      { localId: LONG_INITIATOR, remoteId: LONG_RESPONDER, fragmentation: { maxDatagram: 576 } },
    );
    running.initiator = initiator;
    await initiator.childUp.catch(async (e: Error) => {
      throw new Error(`${e.message}\n--- charon log ---\n${(await peerLog(c.name)).slice(-4000)}`);
    });

    const log = await peerLog(c.name);
    // RFC 7383 §2.3: charon saw our announcement; §2.6: it reassembled our IKE_AUTH request …
    // (charon's threads may take the fragments in any order).
    expect(log).toMatch(/parsed IKE_AUTH request 1 \[ EF\(1\/\d+\) \]/);
    expect(log).toMatch(/received fragment #\d+ of \d+, reassembled fragmented IKE message/);
    // … §2.5: and split its response, which we reassembled (the SA is up).
    expect(log).toMatch(/splitting IKE message \(\d+ bytes\) into \d+ fragments/);
    const sas = await listSas(c.name);
    expect(sas[0]!.state).toBe("ESTABLISHED");
    expect(sas[0]!.children[0]!.state).toBe("INSTALLED");

    for (let seq = 1; seq <= 2; seq++) {
      const reply = await initiator.ping(seq, 5000);
      expect(new TextDecoder().decode(reply)).toBe(`ike-ts ping ${seq}`);
    }
    await initiator.close(10_000);
    expect(initiator.events.at(-1)?.type).toBe("ike-sa-down");
    expect(await listSas(c.name)).toEqual([]);
  });
});

describe("charon initiator -> ike-ts responder with fragmentation, PSK", () => {
  it("reassembles charon's IKE_AUTH request and answers in SKF fragments", async () => {
    const name = "v2fr";
    const index = 46;
    running = { name };
    const env = await startInitiatingPeer(name, "psk-frag-charon-initiates", index, [
      join(CHARON_CONFIGS, "psk-frag-charon-initiates", "charon-extra.conf"),
    ]);
    const responder = await startEndpoint(
      env,
      nodeBackend,
      { ike: "aes128-sha256-modp2048", esp: "aes128-sha256" },
      "responder",
      { localId: LONG_RESPONDER, remoteId: LONG_CHARON, fragmentation: { maxDatagram: 576 } },
    );
    running.initiator = responder;

    await swanctl(name, "--initiate", "--ike", "ikev2-psk-frag", "--child", "net");
    await responder.childUp.catch(async (e: Error) => {
      throw new Error(`${e.message}\n--- charon log ---\n${(await peerLog(name)).slice(-4000)}`);
    });
    expect(responder.session!.role).toBe("responder");
    const log = await peerLog(name);
    // charon split its request (§2.5) and reassembled our response (§2.6).
    expect(log).toMatch(/splitting IKE message \(\d+ bytes\) into \d+ fragments/);
    expect(log).toMatch(/received fragment #\d+ of \d+, reassembled fragmented IKE message/);
    const sas = await listSas(name);
    expect(sas[0]!.state).toBe("ESTABLISHED");
    expect(sas[0]!.charonIsInitiator).toBe(true);

    const reply = await responder.ping(1, 5000);
    expect(new TextDecoder().decode(reply)).toBe("ike-ts ping 1");
  });
});

describe("ike-ts initiator -> charon, example l-ikev2-frag (RSA 4096 certificates)", () => {
  it("authenticates with certificate chains in fragmented IKE_AUTH messages both ways, and pings", async () => {
    const name = "v2l";
    running = { name };
    const env = await startPeer(name, `${HARNESS_DIR}/examples/l-ikev2-frag`, { index: 47 });
    const keys: KeyStore = {
      getPrivateKey: () => pemToDer(pem("initiator-rsa4096.pk8.pem"), "PRIVATE KEY"),
      getTrustAnchors: () => [pemToDer(pem("ca-rsa4096.crt"), "CERTIFICATE")],
      getIntermediates: () => [pemToDer(pem("im-rsa4096.crt"), "CERTIFICATE")],
    };
    const initiator = await startEndpoint(
      env,
      nodeBackend,
      { ike: "aes128-sha256-modp2048", esp: "aes128-sha256" },
      "initiator",
      {
        auth: { method: "pubkey", certificates: [pem("initiator-rsa4096.crt"), pem("im-rsa4096.crt")] },
        remoteAuth: "pubkey",
      },
      { keys, wallClock: Date.now },
    );
    running.initiator = initiator;
    await initiator.childUp.catch(async (e: Error) => {
      throw new Error(`${e.message}\n--- charon log ---\n${(await peerLog(name)).slice(-6000)}`);
    });

    const log = await peerLog(name);
    // charon reassembled our IKE_AUTH (certificate, intermediate, 512-octet AUTH) …
    expect(log).toMatch(/received fragment #\d+ of \d+, reassembled fragmented IKE message \(\d{4} bytes\)/);
    expect(log).toMatch(/parsed IKE_AUTH request 1 \[ IDi CERT CERT .*AUTH/);
    // … and sent its own in 576-octet fragments, which we reassembled and verified.
    expect(log).toMatch(/splitting IKE message \(\d{4} bytes\) into \d+ fragments/);
    expect(initiator.session!.snapshot().remoteId).toEqual({ type: "fqdn", value: "responder.ikei.test" });
    const sas = await listSas(name);
    expect(sas[0]!.state).toBe("ESTABLISHED");

    const reply = await initiator.ping(1, 5000);
    expect(new TextDecoder().decode(reply)).toBe("ike-ts ping 1");
    await initiator.close(10_000);
    expect(await listSas(name)).toEqual([]);
  });
});
