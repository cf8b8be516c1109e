/**
 * The Node UDP transport over loopback (127.0.0.1 and ::1, ephemeral ports): RFC 3948
 * demultiplexing of the NAT-T port, the non-ESP marker on the wire, NAT-keepalives, malformed
 * datagrams, errors that must not escape, and port release on close().
 */
import { createSocket, type Socket } from "node:dgram";
import { afterEach, describe, expect, it, vi } from "vitest";
import { UdpTransport, type UdpTransportOptions } from "../../src/node/udp-transport.js";
import type { UdpFamily, UdpPeer, UdpSource } from "../../src/node/udp-types.js";

interface Received {
  readonly data: Uint8Array;
  readonly from: UdpSource;
  readonly localPort: number;
}

/** A transport on loopback with recording handlers. */
interface Endpoint {
  readonly t: UdpTransport;
  readonly ike: Received[];
  readonly esp: Received[];
  readonly errors: Error[];
}

const FAMILIES = [
  { family: "IPv4", loopback: "127.0.0.1", type: "udp4" },
  { family: "IPv6", loopback: "::1", type: "udp6" },
] as const;

const opened: UdpTransport[] = [];
const rawSockets: Socket[] = [];

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(opened.splice(0).map((t) => t.close()));
  await Promise.all(rawSockets.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

function bindOptions(family: UdpFamily, loopback: string): Partial<UdpTransportOptions> {
  return family === "IPv4" ? { ipv4: loopback } : { ipv4: false, ipv6: loopback };
}

async function endpoint(
  family: UdpFamily,
  loopback: string,
  extra: Partial<UdpTransportOptions> = {},
): Promise<Endpoint> {
  const ike: Received[] = [];
  const esp: Received[] = [];
  const errors: Error[] = [];
  const t = await UdpTransport.open({
    ...bindOptions(family, loopback),
    ikePort: 0,
    natTPort: 0,
    onIke: (data, from, localPort) => ike.push({ data: data.slice(), from, localPort }),
    onEsp: (data, from, localPort) => esp.push({ data: data.slice(), from, localPort }),
    onError: (e) => errors.push(e),
    ...extra,
  });
  opened.push(t);
  return { t, ike, esp, errors };
}

function ports(e: Endpoint, family: UdpFamily): { ike: number; natT: number } {
  const p = e.t.ports[family];
  if (p === undefined) throw new Error(`no ${family} ports`);
  return p;
}

/** A plain dgram socket on loopback, to see and send raw bytes. */
async function rawSocket(type: "udp4" | "udp6", loopback: string): Promise<{ s: Socket; got: Uint8Array[] }> {
  const s = createSocket(type);
  rawSockets.push(s);
  const got: Uint8Array[] = [];
  s.on("message", (m) => got.push(Uint8Array.from(m)));
  await new Promise<void>((r) => s.bind(0, loopback, () => r()));
  return { s, got };
}

function rawSend(s: Socket, data: Uint8Array, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => s.send(data, port, address, (e) => (e ? reject(e) : resolve())));
}

/** Waits (on I/O turns, not on a clock) until `done()` holds. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100_000 && !done(); i++) await new Promise((r) => setImmediate(r));
  expect(done()).toBe(true);
}

/** An IKE-like message: starts with a non-zero SPI, so it is never mistaken for the marker. */
const IKE_MESSAGE = Uint8Array.from({ length: 40 }, (_, i) => i + 1);
/** An ESP packet: SPI 0xc0ffee01, sequence number 1, some ciphertext. */
const ESP_PACKET = Uint8Array.of(0xc0, 0xff, 0xee, 0x01, 0, 0, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd);

describe.each(FAMILIES)("UdpTransport over $family loopback", ({ family, loopback, type }) => {
  it("binds ephemeral IKE and NAT-T ports and reports them", async () => {
    const a = await endpoint(family, loopback);
    const p = ports(a, family);
    expect(p.ike).toBeGreaterThan(0);
    expect(p.natT).toBeGreaterThan(0);
    expect(p.ike).not.toBe(p.natT);
    expect(Object.keys(a.t.ports)).toEqual([family]);
  });

  it("delivers IKE on the IKE port whole, with source and local port", async () => {
    const a = await endpoint(family, loopback);
    const b = await endpoint(family, loopback);
    a.t.sendIke(IKE_MESSAGE, { address: loopback, port: ports(b, family).ike });
    await until(() => b.ike.length === 1);
    expect(b.ike[0]).toEqual({
      data: IKE_MESSAGE,
      from: { address: loopback, port: ports(a, family).ike, family },
      localPort: ports(b, family).ike,
    });
    expect(b.esp).toEqual([]);
    expect(b.t.counters.ikeReceived).toBe(1);
  });

  it("treats everything on the IKE port as IKE, even what looks like ESP", async () => {
    const a = await endpoint(family, loopback);
    const b = await endpoint(family, loopback);
    const { s } = await rawSocket(type, loopback);
    await rawSend(s, ESP_PACKET, ports(b, family).ike, loopback);
    await until(() => b.ike.length === 1);
    expect(b.ike[0]!.data).toEqual(ESP_PACKET);
    expect(b.esp).toEqual([]);
    expect(a.ike).toEqual([]);
  });

  it("adds the non-ESP marker on the NAT-T port (seen on the wire) without touching the caller's bytes", async () => {
    const a = await endpoint(family, loopback);
    const { s, got } = await rawSocket(type, loopback);
    const data = IKE_MESSAGE.slice();
    let sentError: Error | null | undefined;
    a.t.sendIke(
      data,
      { address: loopback, port: s.address().port },
      {
        fromNatTPort: true,
        sent: (e) => {
          sentError = e;
        },
      },
    );
    await until(() => got.length === 1);
    expect(got[0]).toEqual(Uint8Array.of(0, 0, 0, 0, ...IKE_MESSAGE));
    expect(data).toEqual(IKE_MESSAGE);
    await until(() => sentError !== undefined);
    expect(sentError).toBeNull();
  });

  it("strips the non-ESP marker from IKE received on the NAT-T port", async () => {
    const a = await endpoint(family, loopback);
    const b = await endpoint(family, loopback);
    a.t.sendIke(IKE_MESSAGE, { address: loopback, port: ports(b, family).natT }, { fromNatTPort: true });
    await until(() => b.ike.length === 1);
    expect(b.ike[0]).toEqual({
      data: IKE_MESSAGE,
      from: { address: loopback, port: ports(a, family).natT, family },
      localPort: ports(b, family).natT,
    });
    expect(b.esp).toEqual([]);
  });

  it("routes ESP-in-UDP to the ESP handler, starting at the SPI, and sends it from the NAT-T port", async () => {
    const a = await endpoint(family, loopback);
    const b = await endpoint(family, loopback);
    a.t.sendEsp(ESP_PACKET, { address: loopback, port: ports(b, family).natT });
    await until(() => b.esp.length === 1);
    expect(b.esp[0]).toEqual({
      data: ESP_PACKET,
      from: { address: loopback, port: ports(a, family).natT, family },
      localPort: ports(b, family).natT,
    });
    expect(b.ike).toEqual([]);
    expect(b.t.counters).toMatchObject({ espReceived: 1, ikeReceived: 0 });
  });

  it("drops and counts ESP when no ESP handler is set", async () => {
    const a = await endpoint(family, loopback);
    const ike: Uint8Array[] = [];
    const b = await UdpTransport.open({
      ...bindOptions(family, loopback),
      ikePort: 0,
      natTPort: 0,
      onIke: (d) => ike.push(d),
    });
    opened.push(b);
    a.t.sendEsp(ESP_PACKET, { address: loopback, port: b.ports[family]!.natT });
    await until(() => b.counters.espDropped === 1);
    expect(b.counters.espReceived).toBe(0);
    expect(ike).toEqual([]);
  });

  it("counts NAT-keepalives and delivers them to no handler", async () => {
    const a = await endpoint(family, loopback);
    const b = await endpoint(family, loopback);
    const { s, got } = await rawSocket(type, loopback);
    a.t.sendKeepalive({ address: loopback, port: s.address().port });
    a.t.sendKeepalive({ address: loopback, port: ports(b, family).natT });
    await until(() => got.length === 1 && b.t.counters.keepalivesReceived === 1);
    expect(got[0]).toEqual(Uint8Array.of(0xff));
    expect(b.ike).toEqual([]);
    expect(b.esp).toEqual([]);
    expect(a.t.counters.keepalivesSent).toBe(2);
  });

  it("drops and counts datagrams too short to classify, and keeps working", async () => {
    const b = await endpoint(family, loopback);
    const { s } = await rawSocket(type, loopback);
    const natT = ports(b, family).natT;
    const malformed = [
      new Uint8Array(0), // empty
      Uint8Array.of(0xfe), // one octet that is not 0xFF
      Uint8Array.of(0, 0, 0), // shorter than the marker
      Uint8Array.of(0, 0, 0, 0), // a marker with no IKE header behind it
      Uint8Array.of(0xc0, 0xff, 0xee, 0x01, 0, 0, 0), // SPI but no full sequence number
    ];
    for (const m of malformed) await rawSend(s, m, natT, loopback);
    await rawSend(s, Uint8Array.of(0, 0, 0, 0, ...IKE_MESSAGE), natT, loopback);
    await until(() => b.ike.length === 1);
    expect(b.t.counters.malformedDropped).toBe(malformed.length);
    expect(b.ike[0]!.data).toEqual(IKE_MESSAGE);
    expect(b.esp).toEqual([]);
    expect(b.errors).toEqual([]);
  });

  it("releases its ports on close(), so they can be bound again", async () => {
    const a = await endpoint(family, loopback);
    const p = ports(a, family);
    await a.t.close();
    await a.t.close(); // idempotent
    const again = await endpoint(family, loopback, { ikePort: p.ike, natTPort: p.natT });
    expect(again.t.ports[family]).toEqual(p);
    expect(() => a.t.sendIke(IKE_MESSAGE, { address: loopback, port: p.ike })).toThrow(/not open/);
  });

  it("rejects open() on a port in use and releases the sockets it had bound", async () => {
    const { s } = await rawSocket(type, loopback);
    const busy = s.address().port;
    const free = await endpoint(family, loopback);
    const freePort = ports(free, family).ike;
    await free.t.close();
    await expect(
      UdpTransport.open({
        ...bindOptions(family, loopback),
        ikePort: freePort,
        natTPort: busy,
        onIke: () => {},
      }),
    ).rejects.toMatchObject({ code: "EADDRINUSE" });
    // The IKE socket bound before the failure was closed: its port is free again.
    const again = await endpoint(family, loopback, { ikePort: freePort });
    expect(ports(again, family).ike).toBe(freePort);
  });

  it("reports a send error through onError and the sent callback instead of throwing", async () => {
    const a = await endpoint(family, loopback);
    const b = await endpoint(family, loopback);
    let sentError: Error | null | undefined;
    // More than a UDP datagram can carry: the kernel refuses it with EMSGSIZE.
    a.t.sendEsp(new Uint8Array(70_000).fill(1), { address: loopback, port: ports(b, family).natT }, (e) => {
      sentError = e;
    });
    await until(() => sentError !== undefined);
    expect(sentError).toMatchObject({ code: "EMSGSIZE" });
    expect(a.errors).toEqual([sentError]);
    expect(a.t.counters.errors).toBe(1);
    // The transport still works.
    a.t.sendEsp(ESP_PACKET, { address: loopback, port: ports(b, family).natT });
    await until(() => b.esp.length === 1);
  });

  it("reports a throwing handler through onError and keeps delivering", async () => {
    const a = await endpoint(family, loopback);
    let calls = 0;
    const errors: Error[] = [];
    const b = await UdpTransport.open({
      ...bindOptions(family, loopback),
      ikePort: 0,
      natTPort: 0,
      onIke: () => {
        calls++;
        throw new Error(`handler failed ${calls}`);
      },
      onError: (e) => errors.push(e),
    });
    opened.push(b);
    const to: UdpPeer = { address: loopback, port: b.ports[family]!.ike };
    a.t.sendIke(IKE_MESSAGE, to);
    a.t.sendIke(IKE_MESSAGE, to);
    await until(() => calls === 2);
    expect(errors.map((e) => e.message)).toEqual(["handler failed 1", "handler failed 2"]);
    expect(b.counters.errors).toBe(2);
  });
});

describe("UdpTransport addressing", () => {
  it("opens both families on the same port numbers", async () => {
    const v4 = await endpoint("IPv4", "127.0.0.1");
    const p = ports(v4, "IPv4");
    await v4.t.close();
    const both = await endpoint("IPv4", "127.0.0.1", { ipv6: "::1", ikePort: p.ike, natTPort: p.natT });
    expect(both.t.ports).toEqual({ IPv4: p, IPv6: p });
    const peer = await endpoint("IPv6", "::1");
    peer.t.sendIke(IKE_MESSAGE, { address: "::1", port: p.ike });
    await until(() => both.ike.length === 1);
    expect(both.ike[0]!.from.family).toBe("IPv6");
    expect(both.ike[0]!.localPort).toBe(p.ike);
  });

  it("sends to an IPv4-mapped IPv6 address over IPv4", async () => {
    const a = await endpoint("IPv4", "127.0.0.1");
    const b = await endpoint("IPv4", "127.0.0.1");
    a.t.sendIke(IKE_MESSAGE, { address: "::ffff:127.0.0.1", port: ports(b, "IPv4").ike });
    await until(() => b.ike.length === 1);
    expect(b.ike[0]!.from).toEqual({ address: "127.0.0.1", port: ports(a, "IPv4").ike, family: "IPv4" });
  });

  it("throws synchronously for a destination it cannot send to", async () => {
    const a = await endpoint("IPv4", "127.0.0.1");
    expect(() => a.t.sendIke(IKE_MESSAGE, { address: "::1", port: 500 })).toThrow(/no IPv6 socket/);
    expect(() => a.t.sendEsp(ESP_PACKET, { address: "localhost", port: 4500 })).toThrow(TypeError);
  });

  it("refuses to open with no address family", async () => {
    await expect(UdpTransport.open({ ipv4: false, onIke: () => {} })).rejects.toThrow(RangeError);
  });
});

describe("UdpTransport NAT-keepalive schedule (RFC 3948 §4)", () => {
  async function pair(): Promise<{ a: Endpoint; b: Endpoint; to: UdpPeer }> {
    const a = await endpoint("IPv4", "127.0.0.1", { keepaliveIntervalMs: 20_000 });
    const b = await endpoint("IPv4", "127.0.0.1");
    return { a, b, to: { address: "127.0.0.1", port: ports(b, "IPv4").natT } };
  }

  it("sends a keepalive each interval while the peer is registered, and none after", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const { a, b, to } = await pair();
    a.t.startKeepalives(to);
    a.t.startKeepalives(to); // idempotent
    vi.advanceTimersByTime(20_000);
    expect(a.t.counters.keepalivesSent).toBe(1);
    await until(() => b.t.counters.keepalivesReceived === 1);
    vi.advanceTimersByTime(20_000);
    expect(a.t.counters.keepalivesSent).toBe(2);
    a.t.stopKeepalives(to);
    vi.advanceTimersByTime(100_000);
    expect(a.t.counters.keepalivesSent).toBe(2);
    expect(vi.getTimerCount()).toBe(0);
    await until(() => b.t.counters.keepalivesReceived === 2);
    expect(b.ike).toEqual([]);
  });

  it("skips the keepalive in an interval in which something else went to the peer from the NAT-T port", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const { a, to } = await pair();
    a.t.startKeepalives(to);
    a.t.sendEsp(ESP_PACKET, to);
    vi.advanceTimersByTime(20_000);
    expect(a.t.counters.keepalivesSent).toBe(0);
    // IKE from the IKE port does not refresh the NAT-T mapping.
    a.t.sendIke(IKE_MESSAGE, { address: to.address, port: to.port });
    vi.advanceTimersByTime(20_000);
    expect(a.t.counters.keepalivesSent).toBe(1);
    a.t.sendIke(IKE_MESSAGE, to, { fromNatTPort: true });
    vi.advanceTimersByTime(20_000);
    expect(a.t.counters.keepalivesSent).toBe(1);
  });

  it("stops the timer on close()", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const { a, to } = await pair();
    a.t.startKeepalives(to);
    expect(vi.getTimerCount()).toBe(1);
    await a.t.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(() => a.t.startKeepalives(to)).toThrow(/closed/);
  });

  it("does not keep the process alive (unref'd timer)", async () => {
    const { a, to } = await pair();
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    a.t.startKeepalives(to);
    expect(timers()).toBe(before);
  });

  it("refuses a non-positive interval", async () => {
    await expect(
      UdpTransport.open({
        ipv4: "127.0.0.1",
        ikePort: 0,
        natTPort: 0,
        onIke: () => {},
        keepaliveIntervalMs: 0,
      }),
    ).rejects.toThrow(RangeError);
  });
});
