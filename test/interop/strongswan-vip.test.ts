/**
 * The configuration payload against a real strongSwan charon (../shared/interop example f): ike-ts
 * initiates with CP(CFG_REQUEST) for an IPv4 address and TSi 0.0.0.0/0 (RFC 7296 §2.19), charon
 * assigns one from its pool 198.19.1.0/24 and narrows TSi to it; the keys equal the ones charon
 * logged, and an ICMP echo from the virtual IP to 198.19.0.2 through ike-ts's own ESP is answered.
 * Deleting the IKE SA gives the address back (charon's pool shows it offline). And the other way
 * round: charon asks ike-ts, as responder with an {@link AddressPool}, for an address.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseIpAddress } from "../../src/ikev2/session/address.js";
import { AddressPool } from "../../src/ikev2/session/address-pool.js";
import { nodeBackend } from "../../src/node/backend.js";
import { toHex } from "../../src/wire/bytes.js";
import { type Endpoint, expectCharonKeys, startEndpoint } from "./ike-endpoint.js";
import { HARNESS_DIR, listSas, peerLog, startInitiatingPeer, startPeer, stopPeer, swanctl } from "./peer.js";

const NAME = "v2vip";
const INDEX = 46;

let running: { name: string; initiator?: Endpoint } | undefined;
afterEach(async () => {
  if (running === undefined) return;
  await running.initiator?.dispose();
  await stopPeer(running.name);
  running = undefined;
});

describe("ike-ts initiator asks charon for a virtual IP, example f", () => {
  it("gets an address from 198.19.1.0/24, matches charon's keys, and pings from it through ESP", async () => {
    running = { name: NAME };
    const env = await startPeer(NAME, `${HARNESS_DIR}/examples/f-ikev2-psk-vip`, { index: INDEX });
    const initiator = await startEndpoint(
      env,
      nodeBackend,
      { ike: "aes256gcm16-prfsha256-x25519", esp: "aes256gcm16" },
      "initiator",
      { localTs: [], configRequest: { ipv4: true, dns: true } },
    );
    running.initiator = initiator;

    const child = await initiator.childUp.catch(async (e: Error) => {
      throw new Error(`${e.message}\n--- charon log ---\n${(await peerLog(NAME)).slice(-4000)}`);
    });
    const up = initiator.events.find((e) => e.type === "ike-sa-up");
    const snapshot = up?.type === "ike-sa-up" ? up.snapshot : undefined;
    expect(snapshot?.virtualIps).toHaveLength(1);
    const vip = snapshot!.virtualIps[0]!;
    expect(vip).toMatch(/^198\.19\.1\.\d{1,3}$/);
    const octets = parseIpAddress(vip);
    // RFC 7296 §2.19: TSi narrowed to the assigned address.
    expect(child.localTs).toHaveLength(1);
    expect(toHex(child.localTs[0]!.startAddress)).toBe(toHex(octets));
    expect(toHex(child.localTs[0]!.endAddress)).toBe(toHex(octets));
    expect(toHex(child.remoteTs[0]!.startAddress)).toBe("c6130002");

    // charon's view: the same address as the peer's virtual IP and its remote selector.
    const sas = await listSas(NAME);
    expect(sas).toHaveLength(1);
    expect(sas[0]!.state).toBe("ESTABLISHED");
    expect(sas[0]!.children[0]!.state).toBe("INSTALLED");
    expect(sas[0]!.children[0]!.remoteTs).toEqual([`${vip}/32`]);
    const log = await peerLog(NAME);
    expect(log).toMatch(/parsed IKE_AUTH request 1 \[.*CPRQ\(ADDR DNS\)/);
    expect(log).toContain(`assigning virtual IP ${vip} to peer`);
    // Example f configures no DNS servers: the reply has none.
    expect(snapshot?.dns).toEqual([]);

    // The keys: ike-ts's derivation equals what charon logged.
    await expectCharonKeys(NAME, initiator.session!, child);

    // Traffic from the virtual IP, protected by ike-ts's ESP and answered by charon.
    for (let seq = 1; seq <= 3; seq++) {
      const reply = await initiator.ping(seq, 5000, { source: [...octets] });
      expect(new TextDecoder().decode(reply)).toBe(`ike-ts ping ${seq}`);
    }
    const after = await listSas(NAME);
    expect(after[0]!.children[0]!.in?.packets).toBe(3);

    // Deleting the IKE SA releases the lease on charon's side.
    await initiator.close(10_000);
    expect(await listSas(NAME)).toEqual([]);
    expect(await swanctl(NAME, "--list-pools", "--leases")).toMatch(
      new RegExp(`${vip.replaceAll(".", "\\.")} +offline`),
    );
  });
});

describe("charon asks an ike-ts responder for a virtual IP", () => {
  it("assigns one from the pool, narrows charon's TSi to it, pings it through ESP, and releases it", async () => {
    const name = "v2vipr";
    const index = 47;
    running = { name };
    const env = await startInitiatingPeer(name, "vip-charon-initiates", index);
    const pool = new AddressPool(["198.19.3.0/24"]);
    const responder = await startEndpoint(
      env,
      nodeBackend,
      { ike: "aes256gcm16-prfsha256-x25519", esp: "aes256gcm16" },
      "responder",
      { remoteTs: ["198.19.3.0/24"], configReply: { dns: ["198.19.0.53"] } },
      { addressPool: pool },
    );
    running.initiator = responder;

    await swanctl(name, "--initiate", "--ike", "ikev2-psk-vip", "--child", "net");
    const child = await responder.childUp;
    expect(responder.session!.snapshot().virtualIps).toEqual(["198.19.3.1"]);
    // charon asks for DNS only with an attribute handler (the resolve plugin), not loaded here.
    expect(responder.session!.snapshot().dns).toEqual([]);
    expect(pool.inUse).toBe(1);
    expect(toHex(child.remoteTs[0]!.startAddress)).toBe("c6130301");
    expect(toHex(child.remoteTs[0]!.endAddress)).toBe("c6130301");

    const sas = await listSas(name);
    expect(sas[0]!.state).toBe("ESTABLISHED");
    expect(sas[0]!.children[0]!.localTs).toEqual(["198.19.3.1/32"]);
    const log = await peerLog(name);
    expect(log).toMatch(/generating IKE_AUTH request 1 \[.*CPRQ\(ADDR\)/);
    expect(log).toMatch(/parsed IKE_AUTH response 1 \[.*CPRP\(ADDR\)/);
    expect(log).toMatch(/installing new virtual IP 198\.19\.3\.1/);

    for (let seq = 1; seq <= 2; seq++) {
      const reply = await responder.ping(seq, 5000, { destination: [198, 19, 3, 1] });
      expect(new TextDecoder().decode(reply)).toBe(`ike-ts ping ${seq}`);
    }

    // charon deletes the IKE SA: the address goes back to the pool (RFC 7296 §3.15.1).
    await swanctl(name, "--terminate", "--ike", "ikev2-psk-vip");
    const until = Date.now() + 5000;
    while (!responder.events.some((e) => e.type === "ike-sa-down") && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(pool.inUse).toBe(0);
  });
});
