import { describe, expect, it } from "vitest";
import { AhInboundSa } from "../../src/ah/inbound.js";
import { AhOutboundSa } from "../../src/ah/outbound.js";
import { ALGORITHMS, asyncBackend, pair, protect, SPI, TUNNEL6, testKey } from "./helpers.js";
import { ipv4 } from "./packets.js";

const packet = ipv4({
  tos: 0x28,
  id: 0x4242,
  df: true,
  ttl: 30,
  protocol: 6,
  src: Uint8Array.of(172, 16, 0, 1),
  dst: Uint8Array.of(172, 16, 0, 2),
  options: Uint8Array.of(0x94, 4, 0, 0),
  payload: Uint8Array.from({ length: 40 }, (_, i) => i),
});

function asyncPair(algorithm: string, mode: "transport" | "tunnel" = "transport") {
  const backend = asyncBackend();
  const common = {
    spi: SPI,
    integrity: algorithm,
    key: testKey(algorithm),
    mode,
    allowLegacy: true,
    esn: true,
  };
  return {
    backend,
    out: new AhOutboundSa(backend, { ...common, ...(mode === "tunnel" && { tunnel: TUNNEL6 }) }),
    inb: new AhInboundSa(backend, common),
  };
}

async function send(out: AhOutboundSa<true>, p: Uint8Array): Promise<Uint8Array> {
  const buf = new Uint8Array(out.headroom + p.length);
  buf.set(p, out.headroom);
  const at = await out.protectAsync(buf, out.headroom, buf.length);
  if (typeof at === "string") throw new Error(at);
  return buf.slice(at);
}

async function receive(inb: AhInboundSa<true>, p: Uint8Array): Promise<Uint8Array | string> {
  const buf = p.slice();
  const at = await inb.unprotectAsync(buf, 0, buf.length);
  return typeof at === "string" ? at : buf.slice(at);
}

describe("AH with an asynchronous backend", () => {
  it("produces the same packets as the synchronous path, for every algorithm and both modes", async () => {
    for (const alg of ALGORITHMS) {
      for (const mode of ["transport", "tunnel"] as const) {
        const { out, inb } = asyncPair(alg, mode);
        const [sync] = pair(alg, { mode, esn: true, tunnel: TUNNEL6 });
        const wire = await send(out, packet);
        expect(wire).toEqual(protect(sync, packet));
        expect(await receive(inb, wire)).toEqual(packet);
      }
    }
  });

  it("overlapping operations on one SA each get their own working memory and sequence number", async () => {
    const { out, inb } = asyncPair("aes-gmac-256");
    const wires = await Promise.all([0, 1, 2, 3].map(() => send(out, packet)));
    expect(wires.map((w) => w[24 + 11])).toEqual([1, 2, 3, 4]); // low byte of the sequence number
    const got = await Promise.all(wires.reverse().map((w) => receive(inb, w)));
    expect(got).toEqual([packet, packet, packet, packet]);
  });

  it("rechecks the window after the ICV: a duplicate verified concurrently is accepted once", async () => {
    const { out, inb } = asyncPair("hmac-sha256-128");
    const wire = await send(out, packet);
    const got = await Promise.all([receive(inb, wire), receive(inb, wire)]);
    expect(got).toEqual([packet, "replayed"]);
    expect(inb.counters.packetsVerified).toBe(1);
    expect(inb.counters.replayFailures).toBe(1);
  });

  it("an SA destroyed while the backend works answers sa-destroyed, and its keys are destroyed", async () => {
    const { backend, out, inb } = asyncPair("hmac-sha512-256");
    const wire = await send(out, packet);
    const pendingIn = receive(inb, wire);
    const buf = new Uint8Array(out.headroom + packet.length);
    buf.set(packet, out.headroom);
    const pendingOut = out.protectAsync(buf, out.headroom, buf.length);
    inb.destroy();
    out.destroy();
    expect(await pendingIn).toBe("sa-destroyed");
    expect(await pendingOut).toBe("sa-destroyed");
    expect(backend.destroyed).toBe(2);
  });

  it("offers no synchronous path on an asynchronous SA", () => {
    const { out, inb } = asyncPair("hmac-sha1-96");
    const buf = new Uint8Array(100);
    // @ts-expect-error protect needs a synchronous backend
    expect(() => out.protect(buf, 50, 100)).toThrow(TypeError);
    // @ts-expect-error unprotect needs a synchronous backend
    expect(() => inb.unprotect(buf, 0, 100)).toThrow(TypeError);
  });
});
