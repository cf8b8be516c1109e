/**
 * IkeEndpoint: SPI dispatch between several IKE SAs (RFC 7296 §2.1, §3.1), responder sessions
 * opened per IKE_SA_INIT, retransmitted IKE_SA_INIT recognised by SPIi and address, the table kept
 * current through an IKE SA rekey, and closed sessions forgotten.
 */
import { describe, expect, it } from "vitest";
import { nobleBackend } from "../../../src/crypto/noble/index.js";
import { IkeEndpoint, type IkeEndpointOutput } from "../../../src/ikev2/session/endpoint.js";
import type { IkeSession } from "../../../src/ikev2/session/ike-session.js";
import type { Endpoint, IkeSessionConfig } from "../../../src/ikev2/session/types.js";
import { toHex } from "../../../src/wire/bytes.js";
import { deps, I_ADDRESS, initiatorConfig, R_ADDRESS, responderConfig } from "./harness.js";

interface Packet {
  readonly data: Uint8Array;
  readonly from: Endpoint;
  readonly to: Endpoint;
}

/** A lossless network of endpoints by address, delivering in order with a fake clock. */
class Network {
  now = 0;
  readonly nodes = new Map<string, IkeEndpoint>();
  readonly queue: Packet[] = [];
  readonly log: Packet[] = [];
  readonly events: { address: string; type: string; session: IkeSession }[] = [];
  ticks = new Map<string, number | undefined>();

  add(address: string, responder?: IkeSessionConfig): IkeEndpoint {
    const endpoint = new IkeEndpoint({
      deps: deps(nobleBackend),
      ...(responder === undefined ? {} : { responder: () => responder }),
    });
    this.nodes.set(address, endpoint);
    return endpoint;
  }

  absorb(address: string, out: IkeEndpointOutput): void {
    for (const d of out.datagrams) {
      this.queue.push({ data: d.data, from: { address, port: d.localPort }, to: d.remote });
    }
    for (const e of out.events) this.events.push({ address, type: e.event.type, session: e.session });
    this.ticks.set(address, out.nextTick);
  }

  deliver(p: Packet): void {
    const node = this.nodes.get(p.to.address);
    if (node === undefined) return;
    this.absorb(p.to.address, node.receive(p.data, p.from, { port: p.to.port }, this.now));
  }

  run(): void {
    for (let i = 0; i < 200 && this.queue.length > 0; i++) {
      const p = this.queue.shift()!;
      this.log.push(p);
      this.deliver(p);
    }
  }

  count(address: string, type: string): number {
    return this.events.filter((e) => e.address === address && e.type === type).length;
  }
}

const CLIENT_2 = "198.18.1.3";

describe("IkeEndpoint", () => {
  it("opens a responder session per IKE_SA_INIT and dispatches each IKE SA by SPI", () => {
    const net = new Network();
    const server = net.add(R_ADDRESS, responderConfig());
    const a = net.add(I_ADDRESS);
    const b = net.add(CLIENT_2);
    net.absorb(I_ADDRESS, a.initiate(initiatorConfig(), 0).output);
    const otherClient = {
      localAddress: CLIENT_2,
      localId: { type: "fqdn", value: "other.ikei.test" },
    } as const;
    net.absorb(CLIENT_2, b.initiate(initiatorConfig(otherClient), 0).output);
    net.run();
    expect(server.sessions()).toHaveLength(2);
    expect(server.sessions().every((s) => s.state === "established")).toBe(true);
    expect(net.count(R_ADDRESS, "ike-sa-up")).toBe(2);
    expect(net.count(I_ADDRESS, "child-sa-up")).toBe(1);
    expect(net.count(CLIENT_2, "child-sa-up")).toBe(1);
    // Each server session talks to its own client.
    const peers = server.sessions().map((s) => s.snapshot().remote.address);
    expect(peers.sort()).toEqual([I_ADDRESS, CLIENT_2].sort());
  });

  it("answers a retransmitted IKE_SA_INIT from the same session, byte for byte", () => {
    const net = new Network();
    const server = net.add(R_ADDRESS, responderConfig());
    const a = net.add(I_ADDRESS);
    net.absorb(I_ADDRESS, a.initiate(initiatorConfig(), 0).output);
    const request = net.queue.shift()!;
    net.deliver(request);
    const first = net.queue.shift()!;
    net.deliver(request);
    const second = net.queue.shift()!;
    expect(server.sessions()).toHaveLength(1);
    expect(toHex(second.data)).toBe(toHex(first.data));
  });

  it("drops short datagrams, unknown SPIs, and requests when it has no responder configuration", () => {
    const net = new Network();
    const lone = net.add(R_ADDRESS);
    const a = net.add(I_ADDRESS);
    net.absorb(I_ADDRESS, a.initiate(initiatorConfig(), 0).output);
    const request = net.queue.shift()!;
    expect(lone.receive(request.data, request.from, { port: 500 }, 0).datagrams).toHaveLength(0);
    expect(lone.sessions()).toHaveLength(0);
    expect(lone.receive(new Uint8Array(27), request.from, { port: 500 }, 0).datagrams).toHaveLength(0);
    const unknown = request.data.slice();
    unknown[8] = 1; // a non-zero SPIr nobody chose
    unknown[19] = 0x08;
    expect(a.receive(unknown, request.from, { port: 500 }, 0).datagrams).toHaveLength(0);
  });

  it("is not confused by a peer that picks one of our SPIs as its own", () => {
    const net = new Network();
    const server = net.add(R_ADDRESS, responderConfig());
    const a = net.add(I_ADDRESS);
    net.absorb(I_ADDRESS, a.initiate(initiatorConfig(), 0).output);
    net.run();
    const first = server.sessions()[0]!;
    // Another client opens an IKE SA with SPIi equal to the server's SPIr of the first one.
    const b = net.add(CLIENT_2);
    net.absorb(CLIENT_2, b.initiate(initiatorConfig({ localAddress: CLIENT_2 }), 0).output);
    const init = net.queue.shift()!;
    const forged = init.data.slice();
    forged.set(first.spiR, 0);
    net.deliver({ ...init, data: forged });
    net.queue.length = 0;
    expect(server.sessions()).toHaveLength(2);
    // The first IKE SA still works: the client's Delete reaches it and is answered.
    const client = a.sessions()[0]!;
    net.absorb(
      I_ADDRESS,
      a.run(client, (s) => s.close(net.now)),
    );
    net.run();
    expect(first.state).toBe("closed");
    expect(a.sessions()).toHaveLength(0);
    expect(server.sessions()).toHaveLength(1);
  });

  it("follows an IKE SA rekey to the new SPIs, then forgets both sessions once deleted", () => {
    const net = new Network();
    const server = net.add(R_ADDRESS, responderConfig());
    const a = net.add(I_ADDRESS);
    const { session: client, output } = a.initiate(initiatorConfig(), 0);
    net.absorb(I_ADDRESS, output);
    net.run();
    const oldSpi = toHex(client.spiI);
    net.absorb(
      I_ADDRESS,
      a.run(client, (s) => s.rekeyIke(net.now)),
    );
    net.run();
    expect(net.count(I_ADDRESS, "ike-sa-rekeyed")).toBe(1);
    expect(net.count(R_ADDRESS, "ike-sa-rekeyed")).toBe(1);
    expect(toHex(client.spiI)).not.toBe(oldSpi);
    // The Child SA moved with it.
    expect(client.snapshot().childSas).toBe(1);
    net.absorb(
      I_ADDRESS,
      a.run(client, (s) => s.close(net.now)),
    );
    net.run();
    expect(a.sessions()).toHaveLength(0);
    expect(server.sessions()).toHaveLength(0);
    expect(net.count(R_ADDRESS, "ike-sa-down")).toBe(1);
  });

  it("INITIAL_CONTACT from a peer that comes back ends the IKE SA it no longer has (RFC 7296 §2.4)", () => {
    const net = new Network();
    const server = net.add(R_ADDRESS, responderConfig());
    const before = net.add(I_ADDRESS);
    net.absorb(I_ADDRESS, before.initiate(initiatorConfig(), 0).output);
    net.run();
    const stale = server.sessions()[0]!;
    // The client restarts: a fresh endpoint, same identity, says INITIAL_CONTACT.
    const after = net.add(I_ADDRESS);
    net.absorb(I_ADDRESS, after.initiate(initiatorConfig(), 0).output);
    net.run();
    expect(stale.state).toBe("closed");
    expect(server.sessions()).toHaveLength(1);
    expect(server.sessions()[0]!.state).toBe("established");
    const down = net.events.filter((e) => e.address === R_ADDRESS && e.type === "ike-sa-down");
    expect(down.map((e) => e.session)).toEqual([stale]);
    expect(stale.snapshot().childSas).toBe(0);
  });

  it("a second IKE SA to the same peer from the same endpoint omits INITIAL_CONTACT: both stay", () => {
    const net = new Network();
    const server = net.add(R_ADDRESS, responderConfig());
    const a = net.add(I_ADDRESS);
    net.absorb(I_ADDRESS, a.initiate(initiatorConfig(), 0).output);
    net.run();
    net.absorb(I_ADDRESS, a.initiate(initiatorConfig(), 0).output);
    net.run();
    expect(server.sessions()).toHaveLength(2);
    expect(server.sessions().every((s) => s.state === "established")).toBe(true);
    expect(net.count(R_ADDRESS, "ike-sa-down")).toBe(0);
  });

  it("closeAll ends sessions that are not established at once", () => {
    const net = new Network();
    const a = net.add(I_ADDRESS);
    const { session } = a.initiate(initiatorConfig(), 0);
    const out = a.closeAll(0);
    expect(out.events.map((e) => e.event.type)).toEqual(["ike-sa-down"]);
    expect(session.state).toBe("closed");
    expect(a.sessions()).toHaveLength(0);
  });

  it("ticks sessions when due: retransmission reaches the peer, a dead responder times out", () => {
    const net = new Network();
    const a = net.add(I_ADDRESS);
    net.absorb(
      I_ADDRESS,
      a.initiate(initiatorConfig({ retransmit: { timeoutMs: 100, tries: 2 } }), 0).output,
    );
    net.queue.length = 0;
    const due = net.ticks.get(I_ADDRESS)!;
    expect(due).toBe(100);
    expect(a.tick(50).datagrams).toHaveLength(0);
    expect(a.tick(100).datagrams).toHaveLength(1);
    a.tick(300);
    const last = a.tick(700);
    expect(last.events.map((e) => e.event.type)).toEqual(["ike-sa-down"]);
    expect(a.sessions()).toHaveLength(0);
    expect(last.nextTick).toBeUndefined();
  });
});
