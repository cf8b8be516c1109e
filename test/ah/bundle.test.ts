import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AhEspInboundBundle, AhEspOutboundBundle, AhEspResult } from "../../src/ah/bundle.js";
import { AhInboundSa } from "../../src/ah/inbound.js";
import { AhOutboundSa } from "../../src/ah/outbound.js";
import type { AhTunnel } from "../../src/ah/tunnel.js";
import type { DataPlaneCrypto } from "../../src/crypto/backend.js";
import { nobleDataPlane } from "../../src/crypto/noble/data-plane.js";
import { EspInboundSa } from "../../src/esp/inbound.js";
import { EspOutboundSa } from "../../src/esp/outbound.js";
import { asyncBackend, SPI, TUNNEL4, TUNNEL6, testKey } from "./helpers.js";
import { ipPacket, ipv4 } from "./packets.js";

const ESP_SPI = 0x2000_0002;
const espKey = Uint8Array.from({ length: 16 }, (_, i) => 0x40 + i);
const espAuthKey = testKey("hmac-sha1-96", 7);

/**
 * The Cisco transform set `ah-sha-hmac esp-aes` (AH HMAC-SHA1-96, ESP AES-CBC-128 with
 * HMAC-SHA1-96), or with ESP AES-GCM, in transport or tunnel mode.
 */
function bundles<A extends boolean>(
  backend: DataPlaneCrypto<A>,
  o: { tunnel?: AhTunnel | undefined; gcm?: boolean; esn?: boolean },
): [AhEspOutboundBundle<A>, AhEspInboundBundle<A>] {
  const mode = o.tunnel === undefined ? "transport" : "tunnel";
  const ah = {
    spi: SPI,
    integrity: "hmac-sha1-96",
    key: testKey("hmac-sha1-96"),
    mode: "transport" as const,
    esn: o.esn ?? false,
  };
  const esp = {
    spi: ESP_SPI,
    mode,
    esn: o.esn ?? false,
    ...(o.gcm === true
      ? { encryption: "aes-gcm-16", encryptionKey: new Uint8Array([...espKey, 1, 2, 3, 4]) }
      : {
          encryption: "aes-cbc",
          encryptionKey: espKey,
          integrity: "hmac-sha1-96",
          integrityKey: espAuthKey,
        }),
  } as const;
  return [
    new AhEspOutboundBundle({
      ah: new AhOutboundSa(backend, ah),
      esp: new EspOutboundSa(backend, esp),
      ...(o.tunnel !== undefined && { tunnel: o.tunnel }),
    }),
    new AhEspInboundBundle({ ah: new AhInboundSa(backend, ah), esp: new EspInboundSa(backend, esp) }),
  ];
}

function send(out: AhEspOutboundBundle, p: Uint8Array): Uint8Array {
  const buf = new Uint8Array(out.headroom + p.length + out.tailroom(p.length));
  buf.set(p, out.headroom);
  const r = out.protect(buf, out.headroom, out.headroom + p.length, buf, 0);
  if (r.status !== "packet") throw new Error(`${r.droppedBy}: ${r.reason}`);
  return buf.slice(r.offset, r.offset + r.length);
}

function receive(inb: AhEspInboundBundle, p: Uint8Array): Uint8Array | string {
  const buf = p.slice();
  const r = inb.unprotect(buf, 0, buf.length);
  return r.status === "packet" ? buf.slice(r.offset, r.offset + r.length) : `${r.droppedBy}: ${r.reason}`;
}

/** Offset of the header after the IP header chain that names `protocol`. */
function headerAfterIp(p: Uint8Array): [number, number] {
  if (p[0]! >>> 4 === 4) return [(p[0]! & 0x0f) * 4, p[9]!];
  let nh = p[6]!;
  let off = 40;
  while (nh === 0 || nh === 43 || nh === 60) {
    nh = p[off]!;
    off += (p[off + 1]! + 1) * 8;
  }
  return [off, nh];
}

const variant = fc.record({
  tunnel: fc.constantFrom<AhTunnel | undefined>(undefined, TUNNEL4, TUNNEL6),
  gcm: fc.boolean(),
  esn: fc.boolean(),
});

describe("AH + ESP bundles", () => {
  it("round trip: AH outermost, ESP inside, in both modes (RFC 4301 §4.5)", () => {
    fc.assert(
      fc.property(variant, ipPacket, (v, tp) => {
        const [out, inb] = bundles(nobleDataPlane, v);
        const wire = send(out, tp.bytes);
        const [ah, proto] = headerAfterIp(wire);
        expect(proto).toBe(51);
        expect(wire[ah]).toBe(50); // AH's Next Header: ESP
        expect(wire.subarray(ah + 4, ah + 8)).toEqual(Uint8Array.of(0x10, 0, 0, 1));
        const espAt = ah + (wire[ah + 1]! + 2) * 4;
        expect(wire.subarray(espAt, espAt + 4)).toEqual(Uint8Array.of(0x20, 0, 0, 2));
        expect(receive(inb, wire)).toEqual(tp.bytes);
        expect(out.ah.counters.packetsDigested).toBe(1);
        expect(out.esp.counters.packetsEncapsulated).toBe(1);
        expect(inb.ah.counters.packetsVerified).toBe(1);
        expect(inb.esp.counters.packetsDecapsulated).toBe(1);
      }),
      { numRuns: 40 },
    );
  });

  it("tamper: any changed byte AH covers is caught by AH, before ESP sees the packet", () => {
    fc.assert(
      fc.property(variant, ipPacket, fc.nat(), fc.integer({ min: 1, max: 255 }), (v, tp, pick, x) => {
        const [out, inb] = bundles(nobleDataPlane, v);
        const wire = send(out, tp.bytes);
        const [ah] = headerAfterIp(wire);
        // Everything from AH's ICV on: the ESP header, IV, ciphertext, ESP ICV.
        const at = ah + 12 + (pick % (wire.length - ah - 12));
        wire[at] = wire[at]! ^ x;
        expect(receive(inb, wire)).toBe("ah: icv-mismatch");
        expect(inb.esp.counters.packetsDecapsulated + inb.esp.counters.receiveErrors).toBe(0);
      }),
      { numRuns: 40 },
    );
  });

  it("a packet replayed through the bundle is stopped by AH's window", () => {
    const [out, inb] = bundles(nobleDataPlane, { tunnel: TUNNEL4 });
    const p = Uint8Array.from([0x45, 0, 0, 20, 0, 0, 0x40, 0, 64, 59, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    const wire = send(out, p);
    expect(receive(inb, wire)).toEqual(p);
    expect(receive(inb, wire)).toBe("ah: replayed");
  });

  it("ESP failures after AH verified are reported as ESP's", () => {
    // AH over an ESP SA whose keys differ from the receiver's: AH verifies, ESP does not.
    const [out] = bundles(nobleDataPlane, {});
    const ah = {
      spi: SPI,
      integrity: "hmac-sha1-96",
      key: testKey("hmac-sha1-96"),
      mode: "transport" as const,
    };
    const wrongEsp = new EspInboundSa(nobleDataPlane, {
      spi: ESP_SPI,
      mode: "transport",
      encryption: "aes-cbc",
      encryptionKey: espKey,
      integrity: "hmac-sha1-96",
      integrityKey: testKey("hmac-sha1-96", 8),
    });
    const inb = new AhEspInboundBundle({ ah: new AhInboundSa(nobleDataPlane, ah), esp: wrongEsp });
    const p = Uint8Array.from([
      0x45, 0, 0, 24, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 1, 2, 3, 4,
    ]);
    expect(receive(inb, send(out, p))).toBe("esp: icv-mismatch");
    expect(inb.ah.counters.packetsVerified).toBe(1);
  });

  it("tunnel mode: a chain that does not lead to ESP under AH is dropped", () => {
    // An AH transport packet over plain UDP, offered to a tunnel-mode bundle.
    const ahOut = new AhOutboundSa(nobleDataPlane, {
      spi: SPI,
      integrity: "hmac-sha1-96",
      key: testKey("hmac-sha1-96"),
      mode: "transport",
    });
    const [, inb] = bundles(nobleDataPlane, { tunnel: TUNNEL4 });
    const p = Uint8Array.from([
      0x45, 0, 0, 24, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 1, 2, 3, 4,
    ]);
    const buf = new Uint8Array(ahOut.headroom + p.length);
    buf.set(p, ahOut.headroom);
    const at = ahOut.protect(buf, ahOut.headroom, buf.length) as number;
    expect(receive(inb, buf.slice(at))).toBe("esp: bad-ip-header");
  });

  it("refuses configurations that do not make AH outermost over one IP header", () => {
    const [out] = bundles(nobleDataPlane, { tunnel: TUNNEL4 });
    const ahTunnel = new AhOutboundSa(nobleDataPlane, {
      spi: SPI,
      integrity: "hmac-sha1-96",
      key: testKey("hmac-sha1-96"),
      mode: "tunnel",
      tunnel: TUNNEL4,
    });
    expect(() => new AhEspOutboundBundle({ ah: ahTunnel, esp: out.esp, tunnel: TUNNEL4 })).toThrow(
      RangeError,
    );
    expect(() => new AhEspOutboundBundle({ ah: out.ah, esp: out.esp })).toThrow(RangeError);
  });

  it("asynchronous SAs: the same packets, with the result objects kept apart", async () => {
    const backend = asyncBackend();
    for (const tunnel of [undefined, TUNNEL6]) {
      const [out, inb] = bundles(backend, tunnel === undefined ? {} : { tunnel });
      const p = ipv4({
        tos: 0,
        id: 3,
        df: false,
        ttl: 64,
        protocol: 17,
        src: Uint8Array.of(10, 0, 0, 1),
        dst: Uint8Array.of(10, 0, 0, 2),
        options: new Uint8Array(0),
        payload: Uint8Array.of(5, 6, 7, 8),
      });
      const bufs = [0, 1, 2].map(() => {
        const b = new Uint8Array(out.headroom + p.length + out.tailroom(p.length));
        b.set(p, out.headroom);
        return b;
      });
      const sent = await Promise.all(
        bufs.map((b) => out.protectAsync(b, out.headroom, out.headroom + p.length, b, 0)),
      );
      const wires = sent.map((r, i) => bufs[i]!.slice(r.offset, r.offset + r.length));
      const got = await Promise.all(wires.map((w) => inb.unprotectAsync(w, 0, w.length, new AhEspResult())));
      got.forEach((r, i) => {
        expect(r.status).toBe("packet");
        expect(wires[i]!.slice(r.offset, r.offset + r.length)).toEqual(p);
      });
    }
  });
});
