/**
 * UdpIkeEndpoint on loopback: two endpoints establish an IKE SA, their Child SAs land in each
 * SAD, `send` picks the SA by selectors (RFC 4301 §5.1) and refuses what no SA covers, inbound
 * ESP reaches `onPacket` and counts as liveness, and `close` leaves no SA behind.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { IkeEndpointEvent } from "../../src/ikev2/session/endpoint.js";
import type { IkeSessionConfig } from "../../src/ikev2/session/types.js";
import { UdpIkeEndpoint } from "../../src/node/udp-ike-endpoint.js";
import { ipv4Packet } from "../esp/helpers.js";

const LOOPBACK = "127.0.0.1";
const psk = { getPsk: () => new TextEncoder().encode("udp endpoint test key") };
const common = {
  ikeProposals: ["aes128gcm16-prfsha256-ecp256"],
  espProposals: ["aes128gcm16"],
  localAddress: LOOPBACK,
};
const udp = { ipv4: LOOPBACK, ikePort: 0, natTPort: 0 } as const;

let open: UdpIkeEndpoint[] = [];
afterEach(async () => {
  await Promise.all(open.map((e) => e.close(100)));
  open = [];
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

/** A UDP packet between the inner addresses (src 198.19.0.x -> dst 198.19.0.y). */
function udpPacket(src: number, dst: number): Uint8Array {
  const p = ipv4Packet(17, new Uint8Array(16));
  p.set([198, 19, 0, src, 198, 19, 0, dst], 12);
  return p;
}

describe("UdpIkeEndpoint", () => {
  it("installs the Child SAs in the SAD, routes by selectors, delivers inbound ESP, and cleans up", async () => {
    const received: Uint8Array[] = [];
    const events: IkeEndpointEvent[] = [];
    const server = await UdpIkeEndpoint.open({
      psk,
      udp,
      responder: (): IkeSessionConfig => ({
        ...common,
        localId: { type: "fqdn", value: "server.test" },
        localTs: ["198.19.0.2/32"],
        remoteTs: ["198.19.0.0/24"],
      }),
      onPacket: (p) => received.push(p.slice()),
      onEvent: (e) => events.push(e),
    });
    open.push(server);
    const client = await UdpIkeEndpoint.open({ psk, udp });
    open.push(client);
    const session = client.initiate({
      ...common,
      localId: { type: "fqdn", value: "client.test" },
      remote: { address: LOOPBACK, port: server.ports.IPv4!.ike },
      remoteNattPort: server.ports.IPv4!.natT,
      forceEncapsulation: true,
      localTs: ["198.19.0.1/32"],
      remoteTs: ["198.19.0.2/32"],
    });
    await until(() => client.sad.size === 2 && server.sad.size === 2);
    expect(session.state).toBe("established");
    const serverSession = server.ike.sessions()[0]!;
    // Both SAD entries of the server name the IKE SA and the peer.
    for (const e of server.sad.entries()) {
      expect(e.ikeSa).toBe(serverSession.snapshot().spiI);
      expect(e.peer).toBe(LOOPBACK);
    }

    expect(client.send(new Uint8Array(10))).toBe("malformed");
    expect(client.send(udpPacket(1, 9))).toBe("no-sa");
    expect(client.send(udpPacket(1, 2))).toBe("sent");
    await until(() => received.length === 1);
    expect(received[0]![19]).toBe(2);
    const inbound = server.sad.entries().find((e) => e.direction === "inbound")!;
    expect(inbound.sa.counters.packetsDecapsulated).toBe(1);
    // The server's reply goes back through its outbound SA.
    expect(server.send(udpPacket(2, 1))).toBe("sent");

    await client.close(1000);
    await until(() => server.ike.sessions().length === 0);
    expect(client.sad.size).toBe(0);
    expect(server.sad.size).toBe(0);
    expect(events.map((e) => e.event.type)).toEqual([
      "ike-sa-up",
      "child-sa-up",
      "child-sa-down",
      "ike-sa-down",
    ]);
  });

  it("sends NAT-keepalives to the peer of a UDP-encapsulated IKE SA until it goes down (RFC 3948 §4)", async () => {
    const keepalive = { ...udp, keepaliveIntervalMs: 20 };
    const server = await UdpIkeEndpoint.open({
      psk,
      udp: keepalive,
      responder: (): IkeSessionConfig => ({
        ...common,
        localId: { type: "fqdn", value: "server.test" },
        localTs: ["198.19.0.2/32"],
        remoteTs: ["198.19.0.0/24"],
      }),
    });
    open.push(server);
    const client = await UdpIkeEndpoint.open({ psk, udp: keepalive });
    open.push(client);
    const session = client.initiate({
      ...common,
      localId: { type: "fqdn", value: "client.test" },
      remote: { address: LOOPBACK, port: server.ports.IPv4!.ike },
      remoteNattPort: server.ports.IPv4!.natT,
      forceEncapsulation: true,
      localTs: ["198.19.0.1/32"],
      remoteTs: ["198.19.0.2/32"],
    });
    await until(() => session.state === "established");
    await until(() => server.counters.keepalivesReceived >= 2);
    expect(client.counters.keepalivesSent).toBeGreaterThanOrEqual(2);
    client.run(session, (s, now) => s.close(now));
    await until(() => session.state === "closed");
    const sent = client.counters.keepalivesSent;
    await new Promise((r) => setTimeout(r, 100));
    expect(client.counters.keepalivesSent).toBe(sent);
  });

  it("ignores IKE_SA_INIT requests when it has no responder configuration", async () => {
    const lone = await UdpIkeEndpoint.open({ psk, udp });
    open.push(lone);
    const client = await UdpIkeEndpoint.open({ psk, udp });
    open.push(client);
    const session = client.initiate({
      ...common,
      localId: { type: "fqdn", value: "client.test" },
      remote: { address: LOOPBACK, port: lone.ports.IPv4!.ike },
      retransmit: { timeoutMs: 20, tries: 1 },
      localTs: ["198.19.0.1/32"],
      remoteTs: ["198.19.0.2/32"],
    });
    await until(() => session.state === "closed");
    expect(lone.ike.sessions()).toHaveLength(0);
  });
});
