/**
 * The product API against a real strongSwan charon: a UdpIkeEndpoint (IkeEndpoint + UDP
 * transport + SAD-installed ESP) initiates to example a, pings through the Child SA it installed,
 * rekeys the Child SA and then the IKE SA itself (RFC 7296 §1.3.3, §1.3.2) with traffic after
 * each, probes charon with liveness checks (§2.4), and finally charon deletes the IKE SA: both
 * ends end with no SAs.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { IkeEndpointEvent } from "../../src/ikev2/session/endpoint.js";
import { UdpIkeEndpoint } from "../../src/node/udp-ike-endpoint.js";
import { utf8 } from "../../src/wire/bytes.js";
import { icmpEcho } from "./ike-endpoint.js";
import {
  HARNESS_DIR,
  INTEROP_PSK,
  listSas,
  peerLog,
  RESPONDER_ID,
  startPeer,
  stopPeer,
  swanctl,
} from "./peer.js";

const NAME = "v2u";
const INDEX = 45;

let endpoint: UdpIkeEndpoint | undefined;
afterEach(async () => {
  await endpoint?.close(2000);
  endpoint = undefined;
  await stopPeer(NAME);
});

async function waitFor(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("UdpIkeEndpoint initiator -> charon, example a", () => {
  it("rekeys the Child SA and the IKE SA itself, checks liveness, and follows charon's delete", async () => {
    const env = await startPeer(NAME, `${HARNESS_DIR}/examples/a-ikev2-psk-gcm`, { index: INDEX });
    const events: IkeEndpointEvent[] = [];
    const replies: number[] = [];
    endpoint = await UdpIkeEndpoint.open({
      psk: { getPsk: () => utf8(INTEROP_PSK) },
      udp: { ipv4: env.HOST4, ikePort: 0, natTPort: 0 },
      onEvent: (e) => events.push(e),
      onPacket: (p) => {
        // An ICMP echo reply (type 0) to us: remember its sequence number.
        if (p[9] === 1 && p[20] === 0) replies.push(p[27]!);
      },
    });
    const count = (type: string) => events.filter((e) => e.event.type === type).length;
    const session = endpoint.initiate({
      localId: { type: "fqdn", value: "initiator.ikei.test" },
      remoteId: { type: "fqdn", value: RESPONDER_ID },
      localAddress: env.HOST4,
      remote: { address: env.PEER4, port: Number(env.IKE_PORT) },
      remoteNattPort: Number(env.NATT_PORT),
      ikeProposals: ["aes256gcm16-prfsha256-x25519"],
      espProposals: ["aes256gcm16"],
      localTs: ["198.19.0.1/32"],
      remoteTs: ["198.19.0.2/32"],
      dpdSeconds: 1,
    });
    await waitFor("child-sa-up", () => count("child-sa-up") === 1, 10_000);
    const ping = async (seq: number) => {
      expect(endpoint!.send(icmpEcho(seq, utf8(`ike-ts ping ${seq}`)))).toBe("sent");
      await waitFor(`echo reply ${seq}`, () => replies.includes(seq), 5000);
    };
    await ping(1);
    const first = (await listSas(NAME))[0]!;

    // ike-ts rekeys the Child SA: charon shows new SPIs, the old pair is deleted, traffic flows.
    const inbound = endpoint.sad.entries().find((e) => e.direction === "inbound")!.spi;
    endpoint.run(session, (s, now) => s.rekeyChild(inbound, now));
    await waitFor("the old Child SA to go", () => count("child-sa-down") === 1, 10_000);
    // charon keeps a rekeyed inbound SA a few seconds (delete_rekeyed_delay); only one is INSTALLED.
    const installed = (await listSas(NAME))[0]!.children.filter((c) => c.state === "INSTALLED");
    expect(installed).toHaveLength(1);
    expect(installed[0]!.in!.spi).not.toBe(first.children[0]!.in!.spi);
    expect(Number.parseInt(installed[0]!.out!.spi, 16)).toBe(
      endpoint.sad.entries().find((e) => e.direction === "inbound")!.spi,
    );
    await ping(2);

    // ike-ts rekeys the IKE SA: charon's IKE SA has new SPIs; the Child SA moved with it.
    endpoint.run(session, (s, now) => s.rekeyIke(now));
    await waitFor("ike-sa-rekeyed", () => count("ike-sa-rekeyed") === 1, 10_000);
    const afterIkeRekey = await listSas(NAME);
    expect(afterIkeRekey).toHaveLength(1);
    expect(afterIkeRekey[0]!.spiI).not.toBe(first.spiI);
    expect(afterIkeRekey[0]!.spiI).toBe(session.snapshot().spiI);
    expect(afterIkeRekey[0]!.children.filter((c) => c.state === "INSTALLED")).toHaveLength(1);
    await ping(3);

    // Liveness: after a second without traffic ike-ts sends an empty INFORMATIONAL; charon answers.
    await new Promise((r) => setTimeout(r, 2500));
    expect(await peerLog(NAME)).toMatch(/parsed INFORMATIONAL request \d+ \[ \]/);
    expect(session.state).toBe("established");

    // charon deletes the IKE SA: ike-ts answers, reports it, and its SAD is empty.
    await swanctl(NAME, "--terminate", "--ike", "ikev2-psk-gcm");
    await waitFor("ike-sa-down", () => count("ike-sa-down") === 1, 5000);
    expect(events.find((e) => e.event.type === "ike-sa-down")!.event).toEqual({
      type: "ike-sa-down",
      reason: "deleted-by-peer",
    });
    expect(endpoint.sad.size).toBe(0);
    expect(endpoint.ike.sessions()).toHaveLength(0);
    expect(await listSas(NAME)).toEqual([]);
  }, 60_000);
});
