import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AhInboundSa } from "../../src/ah/inbound.js";
import { AhOutboundSa } from "../../src/ah/outbound.js";
import { CryptoError } from "../../src/crypto/backend.js";
import { nobleDataPlane } from "../../src/crypto/noble/data-plane.js";
import { nodeDataPlane } from "../../src/node/crypto-data-plane.js";
import { algorithm, pair, protect, RUNS, SPI, TUNNEL4, TUNNEL6, testKey, unprotect } from "./helpers.js";
import { IPV4_MUTABLE, IPV6_MUTABLE, ipPacket, ipv4, ipv6, ipv6Packet, type TestPacket } from "./packets.js";

const mode = fc.constantFrom<"transport" | "tunnel">("transport", "tunnel");
const tunnel = fc.constantFrom(TUNNEL4, TUNNEL6);

/** Offset of AH in a protected packet (walks an IPv6 chain to protocol 51). */
function ahOffset(p: Uint8Array): number {
  if (p[0]! >>> 4 === 4) return (p[0]! & 0x0f) * 4;
  let nh = p[6]!;
  let off = 40;
  while (nh !== 51) {
    nh = p[off]!;
    off += (p[off + 1]! + 1) * 8;
  }
  return off;
}

function flip(p: Uint8Array, bits: [number, number][]): Uint8Array {
  const q = p.slice();
  for (const [at, mask] of bits) q[at] = q[at]! ^ mask;
  return q;
}

const simple4 = ipv4({
  tos: 0,
  id: 7,
  df: true,
  ttl: 64,
  protocol: 17,
  src: Uint8Array.of(10, 0, 0, 1),
  dst: Uint8Array.of(10, 0, 0, 2),
  options: new Uint8Array(0),
  payload: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
});

describe("AH round trip", () => {
  it("every algorithm, both modes, IPv4 and IPv6 with options and extension headers, ESN on and off", () => {
    fc.assert(
      fc.property(algorithm, mode, tunnel, fc.boolean(), ipPacket, (alg, m, t, esn, tp) => {
        const [out, inb] = pair(alg, { mode: m, tunnel: t, esn });
        const prot = protect(out, tp.bytes);
        if (typeof prot === "string") throw new Error(prot);
        expect(prot.length).toBeGreaterThan(tp.bytes.length);
        expect(unprotect(inb, prot)).toEqual(tp.bytes);
        expect(out.counters.packetsEncapsulated).toBe(1);
        expect(inb.counters.packetsVerified).toBe(1);
        expect(inb.counters.bytes).toBe(tp.bytes.length);
      }),
      RUNS,
    );
  });

  it("ESN: sequence numbers cross 2^32 and the high-order bits enter the ICV", () => {
    fc.assert(
      fc.property(algorithm, ipPacket, (alg, tp) => {
        const [out, inb] = pair(alg, { esn: true, lastSequence: 0xfffffffdn });
        inb.replay.update(0, 0xfffffffd);
        for (let i = 0; i < 4; i++) {
          const prot = protect(out, tp.bytes);
          if (typeof prot === "string") throw new Error(prot);
          expect(unprotect(inb, prot)).toEqual(tp.bytes);
        }
        expect([inb.replay.highestHi, inb.replay.highestLo]).toEqual([1, 1]);
      }),
      { numRuns: 20 },
    );
  });

  it("ESN: a receiver that infers the wrong high-order bits rejects the ICV", () => {
    const [out, inb] = pair("hmac-sha256-128", { esn: true, lastSequence: 0x1_0000_0000n });
    const prot = protect(out, simple4) as Uint8Array;
    // The receiver has seen nothing: it takes Seqh = 0 for Seql = 1.
    expect(unprotect(inb, prot)).toBe("icv-mismatch");
  });

  it("the noble and node:crypto backends produce identical packets", () => {
    fc.assert(
      fc.property(algorithm, mode, fc.boolean(), ipPacket, (alg, m, esn, tp) => {
        const [a] = pair(alg, { mode: m, esn }, nobleDataPlane);
        const [b] = pair(alg, { mode: m, esn }, nodeDataPlane);
        expect(protect(a, tp.bytes)).toEqual(protect(b, tp.bytes));
      }),
      { numRuns: 30 },
    );
  });
});

describe("mutable fields (RFC 4302 §3.3.3.1)", () => {
  it("changes to TOS/DSCP/ECN, DF, TTL, checksum, traffic class, flow label, hop limit and mutable option data still verify", () => {
    fc.assert(
      fc.property(
        algorithm,
        fc.boolean(),
        ipPacket,
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 100, maxLength: 100 }),
        (alg, esn, tp, rnd) => {
          const [out, inb] = pair(alg, { esn });
          const prot = protect(out, tp.bytes) as Uint8Array;
          const changed = flip(
            prot,
            tp.mutable.map(([at, mask], i) => [at, rnd[i % rnd.length]! & mask]),
          );
          expect(typeof unprotect(inb, changed)).toBe("object");
        },
      ),
      RUNS,
    );
  });

  it("tunnel mode: changes to the outer header's mutable fields still verify", () => {
    fc.assert(
      fc.property(algorithm, tunnel, ipPacket, fc.integer({ min: 1, max: 255 }), (alg, t, tp, x) => {
        const [out, inb] = pair(alg, { mode: "tunnel", tunnel: t });
        const prot = protect(out, tp.bytes) as Uint8Array;
        const bits = (t === TUNNEL4 ? IPV4_MUTABLE : IPV6_MUTABLE).map(([at, m]): [number, number] => [
          at,
          x & m,
        ]);
        expect(unprotect(inb, flip(prot, bits))).toEqual(tp.bytes);
      }),
      RUNS,
    );
  });

  it("a packet forwarded along its IPv4 source route or IPv6 type 0 routing header still verifies", () => {
    const routed = ipPacket.filter((tp) => tp.route !== null);
    fc.assert(
      fc.property(algorithm, routed, fc.integer({ min: 1, max: 3 }), (alg, tp, hops) => {
        const [out, inb] = pair(alg);
        const prot = protect(out, tp.bytes) as Uint8Array;
        for (let i = 0; i < hops; i++) tp.route!(prot);
        expect(typeof unprotect(inb, prot)).toBe("object");
      }),
      RUNS,
    );
  });

  it("an IPv4 fragment offset or MF flag set in transit makes a fragment, which AH drops (§3.4.1)", () => {
    const [out, inb] = pair("hmac-sha1-96");
    const prot = protect(out, simple4) as Uint8Array;
    expect(unprotect(inb, flip(prot, [[6, 0x20]]))).toBe("fragment");
    expect(unprotect(inb, flip(prot, [[7, 0x01]]))).toBe("fragment");
    expect(inb.counters.receiveErrors).toBe(2);
  });
});

/**
 * Positions of a transport-mode protected packet that no router may change: everything except the
 * mutable and uncovered bytes (and, for a routed packet, the header in front of AH, which changes
 * as predicted).
 * Bytes with a partly mutable mask (IPv4 flags, the IPv6 version/traffic class byte) are left out.
 */
function immutablePositions(tp: TestPacket, prot: Uint8Array, ah: number): number[] {
  const mutable = new Set([...tp.mutable.map(([at]) => at), ...tp.uncovered]);
  const out: number[] = [];
  for (let i = 0; i < prot.length; i++) if (i >= ah || (!mutable.has(i) && tp.route === null)) out.push(i);
  return out;
}

describe("immutable fields", () => {
  it("changing any immutable byte drops the packet, with icv-mismatch for everything AH does not parse", () => {
    fc.assert(
      fc.property(
        algorithm,
        fc.boolean(),
        ipPacket,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (alg, esn, tp, pick, x) => {
          const [out, inb] = pair(alg, { esn });
          const prot = protect(out, tp.bytes) as Uint8Array;
          const ah = ahOffset(prot);
          const candidates = immutablePositions(tp, prot, ah);
          const at = candidates[pick % candidates.length]!;
          const got = unprotect(inb, flip(prot, [[at, x]]));
          expect(typeof got).toBe("string");
          // Length, version, protocol/next header, option and AH length/SPI/sequence fields are
          // parsed before the ICV and may give their own reasons; these bytes are only covered by it:
          const v4 = prot[0]! >>> 4 === 4;
          const onlyCovered =
            at === ah ||
            at === ah + 2 ||
            at === ah + 3 ||
            at >= ah + 12 ||
            (v4 ? (at >= 12 && at < 20) || at === 4 || at === 5 : at >= 8 && at < 40);
          if (onlyCovered) expect(got).toBe("icv-mismatch");
        },
      ),
      { numRuns: 150 },
    );
  });

  it("tunnel mode: changing any byte of AH's covered data or of the inner packet gives icv-mismatch", () => {
    fc.assert(
      fc.property(
        algorithm,
        tunnel,
        ipPacket,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (alg, t, tp, pick, x) => {
          const [out, inb] = pair(alg, { mode: "tunnel", tunnel: t });
          const prot = protect(out, tp.bytes) as Uint8Array;
          const outer = t === TUNNEL4 ? 20 : 40;
          const covered = [
            outer,
            ...Array.from({ length: prot.length - outer - 12 }, (_, i) => outer + 12 + i),
          ];
          const at = covered[pick % covered.length]!;
          expect(unprotect(inb, flip(prot, [[at, x]]))).toBe("icv-mismatch");
          expect(inb.counters.authFailures).toBe(1);
        },
      ),
      RUNS,
    );
  });
});

describe("hostile input never throws", () => {
  it("random bytes", () => {
    const [out, inb] = pair("hmac-sha256-128");
    const [tout, tinb] = pair("aes-gmac-128", { mode: "tunnel", esn: true });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        for (const sa of [inb, tinb]) {
          const buf = bytes.slice();
          const r = sa.unprotect(buf, 0, buf.length);
          expect(typeof r === "string" || typeof r === "number").toBe(true);
        }
        for (const sa of [out, tout]) {
          const buf = new Uint8Array(sa.headroom + bytes.length);
          buf.set(bytes, sa.headroom);
          const r = sa.protect(buf, sa.headroom, buf.length);
          expect(typeof r === "string" || typeof r === "number").toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("valid packets with random bytes changed, inserted or cut", () => {
    fc.assert(
      fc.property(
        algorithm,
        ipPacket,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (alg, tp, edits, cut) => {
          const [out, inb] = pair(alg);
          const prot = protect(out, tp.bytes) as Uint8Array;
          for (const [at, v] of edits) prot[at % prot.length] = v;
          const short = prot.subarray(0, prot.length - (cut % prot.length));
          // Any result is fine (an edit may rewrite a byte to its own value); throwing is not.
          unprotect(inb, short);
          unprotect(inb, prot);
          protect(out, short);
        },
      ),
      RUNS,
    );
  });
});

describe("inbound checks", () => {
  it("anti-replay: a duplicate is replayed, a packet left of the window too old, and neither moves it", () => {
    const [out, inb] = pair("hmac-sha256-128", { replayWindow: 32 });
    const first = protect(out, simple4) as Uint8Array;
    const later: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) later.push(protect(out, simple4) as Uint8Array);
    expect(unprotect(inb, later[39]!)).toEqual(simple4);
    expect(unprotect(inb, later[39]!)).toBe("replayed");
    expect(unprotect(inb, first)).toBe("too-old");
    expect(unprotect(inb, later[20]!)).toEqual(simple4);
    expect(inb.counters.replayFailures).toBe(2);
    expect(inb.counters.receiveErrors).toBe(0);
  });

  it("a packet failing its ICV does not advance the window", () => {
    const [out, inb] = pair("hmac-sha1-96");
    const good = protect(out, simple4) as Uint8Array;
    const bad = flip(good, [[good.length - 1, 1]]);
    expect(unprotect(inb, bad)).toBe("icv-mismatch");
    expect(unprotect(inb, good)).toEqual(simple4);
  });

  it("anti-replay disabled accepts duplicates", () => {
    const [out, inb] = pair("hmac-sha1-96", { replayWindow: 0 });
    const p = protect(out, simple4) as Uint8Array;
    expect(unprotect(inb, p)).toEqual(simple4);
    expect(unprotect(inb, p)).toEqual(simple4);
  });

  it("wrong SPI, bad AH length, not AH, truncated AH", () => {
    const [out] = pair("hmac-sha256-128");
    const inb = new AhInboundSa(nobleDataPlane, {
      spi: SPI + 1,
      integrity: "hmac-sha256-128",
      key: testKey("hmac-sha256-128"),
      mode: "transport",
    });
    const p = protect(out, simple4) as Uint8Array;
    expect(unprotect(inb, p)).toBe("wrong-spi");
    const [, inb2] = pair("hmac-sha256-128");
    expect(unprotect(inb2, flip(p, [[21, 1]]))).toBe("bad-ah-length");
    expect(unprotect(inb2, simple4)).toBe("not-ah");
    // AH cut after its sequence number, the IP length made to match.
    const cut = p.slice(0, 20 + 12);
    cut[2] = 0;
    cut[3] = cut.length;
    expect(unprotect(inb2, cut)).toBe("truncated");
    expect(unprotect(inb2, p.subarray(0, 10))).toBe("truncated");
    expect(unprotect(inb2, p.subarray(0, p.length - 1))).toBe("truncated");
    expect(unprotect(inb2, Uint8Array.of(0x50, 0, 0, 0))).toBe("bad-ip-header");
    expect(inb2.counters.receiveErrors).toBe(6);
  });

  it("tunnel mode: what follows AH must be an IP packet of the announced version", () => {
    const [out] = pair("hmac-sha256-128");
    const inb = new AhInboundSa(nobleDataPlane, {
      spi: SPI,
      integrity: "hmac-sha256-128",
      key: testKey("hmac-sha256-128"),
      mode: "tunnel",
    });
    expect(unprotect(inb, protect(out, simple4) as Uint8Array)).toBe("bad-inner-packet");
    expect(inb.counters.malformed).toBe(1);
    expect(inb.counters.packetsVerified).toBe(1);
  });

  it("malformed IPv4 options and IPv6 extension headers are typed drops on both sides", () => {
    const [out, inb] = pair("hmac-sha256-128");
    const badOption = ipv4({ ...v4spec(), options: Uint8Array.of(0x44, 1, 0, 0) });
    expect(protect(out, badOption)).toBe("bad-ip-options");
    const overrun = ipv4({ ...v4spec(), options: Uint8Array.of(0x94, 8, 0, 0) });
    expect(protect(out, overrun)).toBe("bad-ip-options");
    const shortRoute = ipv4({ ...v4spec(), options: Uint8Array.of(0x83, 3, 1, 0) });
    expect(protect(out, shortRoute)).toBe("bad-ip-options");
    // HBH whose option runs past the header.
    const hbh = ipv6({ ...v6spec(), nextHeader: 0, ext: Uint8Array.of(17, 0, 0x05, 9, 0, 0, 0, 0) });
    expect(protect(out, hbh)).toBe("bad-extension-header");
    // A routing header type 4 (SRH) with segments left.
    const srh = ipv6({
      ...v6spec(),
      nextHeader: 43,
      ext: Uint8Array.from([17, 2, 4, 1, 0, 0, 0, 0, ...new Uint8Array(16)]),
    });
    expect(protect(out, srh)).toBe("unsupported-routing-header");
    const frag = ipv6({ ...v6spec(), nextHeader: 44, ext: Uint8Array.of(17, 0, 0, 0, 0, 0, 0, 1) });
    expect(protect(out, frag)).toBe("fragment");
    expect(out.counters.sendErrors).toBe(6);
    // The same on receipt: protect a good packet, then break an option inside the header.
    const good = ipv4({ ...v4spec(), options: Uint8Array.of(0x94, 4, 0, 0) });
    const p = protect(out, good) as Uint8Array;
    expect(unprotect(inb, flip(p, [[20, 0x94 ^ 0x44]]))).toBe("icv-mismatch");
    expect(unprotect(inb, flip(p, [[21, 4 ^ 9]]))).toBe("bad-ip-options");
  });
});

function v4spec() {
  return {
    tos: 0,
    id: 1,
    df: false,
    ttl: 9,
    protocol: 17,
    src: Uint8Array.of(10, 0, 0, 1),
    dst: Uint8Array.of(10, 0, 0, 2),
    options: new Uint8Array(0),
    payload: Uint8Array.of(9, 9, 9, 9),
  };
}

function v6spec() {
  return {
    trafficClass: 0,
    flowLabel: 0,
    hopLimit: 64,
    nextHeader: 17,
    src: new Uint8Array(16).fill(1),
    dst: new Uint8Array(16).fill(2),
    ext: new Uint8Array(0),
    payload: Uint8Array.of(9, 9, 9, 9),
  };
}

describe("outbound", () => {
  it("header layout: payload length, reserved, SPI, sequence, padding to 64 bits over IPv6 (§2)", () => {
    fc.assert(
      fc.property(algorithm, ipPacket, (alg, tp) => {
        const [out] = pair(alg);
        const p = protect(out, tp.bytes) as Uint8Array;
        const ah = ahOffset(p);
        const ahLength = (p[ah + 1]! + 2) * 4;
        expect(ahLength % (p[0]! >>> 4 === 6 ? 8 : 4)).toBe(0);
        expect(ahLength - 12 - (alg.startsWith("aes-gmac") ? 24 : testIcv(alg))).toBeLessThan(
          p[0]! >>> 4 === 6 ? 8 : 4,
        );
        expect([...p.subarray(ah + 2, ah + 12)]).toEqual([0, 0, 0x10, 0, 0, 1, 0, 0, 0, 1]);
        expect(p.length).toBe(tp.bytes.length + ahLength);
      }),
      RUNS,
    );
  });

  it("transport mode: protocol 51, lengths and the IPv4 checksum are fixed", () => {
    const [out] = pair("hmac-sha1-96");
    const p = protect(out, simple4) as Uint8Array;
    expect(p[9]).toBe(51);
    expect(p[20]).toBe(17);
    expect((p[2]! << 8) | p[3]!).toBe(p.length);
    const c = (p[10]! << 8) | p[11]!;
    p[10] = 0;
    p[11] = 0;
    expect(c).toBe(checksum(p.subarray(0, 20)));
  });

  it("IPv6 transport mode: AH goes after HBH, routing and the destination options before routing", () => {
    fc.assert(
      fc.property(ipv6Packet, (tp) => {
        const [out] = pair("hmac-sha256-128");
        const p = protect(out, tp.bytes) as Uint8Array;
        const ah = ahOffset(p);
        // Everything in front of AH is unchanged except the next header that names AH.
        let nh = tp.bytes[6]!;
        let off = 40;
        while (nh === 0 || nh === 43 || (nh === 60 && tp.bytes[off] === 43)) {
          nh = tp.bytes[off]!;
          off += (tp.bytes[off + 1]! + 1) * 8;
        }
        expect(ah).toBe(off);
        expect(p[ah]).toBe(nh);
      }),
      RUNS,
    );
  });

  it("tunnel mode: the outer header copies DS/ECN and DF, sets TTL, and mixes IP versions", () => {
    const inner6 = ipv6({ ...v6spec(), trafficClass: 0xb9 });
    for (const [t, inner] of [
      [TUNNEL4, simple4],
      [TUNNEL4, inner6],
      [TUNNEL6, simple4],
      [TUNNEL6, inner6],
    ] as const) {
      const [out, inb] = pair("hmac-sha256-128", { mode: "tunnel", tunnel: t });
      const p = protect(out, inner) as Uint8Array;
      const tos = inner === simple4 ? 0 : 0xb9;
      if (t === TUNNEL4) {
        expect([p[0], p[1], p[8], p[9]]).toEqual([0x45, tos, 64, 51]);
        expect(p[6]! & 0x40).toBe(0x40); // DF copied from simple4, set for IPv6 inner
        expect([...p.subarray(12, 20)]).toEqual([192, 0, 2, 1, 192, 0, 2, 2]);
        expect(p[20]).toBe(inner === simple4 ? 4 : 41);
      } else {
        expect([p[0]! & 0xf0, ((p[0]! & 0x0f) << 4) | (p[1]! >>> 4), p[6], p[7]]).toEqual([
          0x60,
          tos,
          51,
          64,
        ]);
        expect(p[40]).toBe(inner === simple4 ? 4 : 41);
      }
      expect(unprotect(inb, p)).toEqual(inner);
    }
    const clear = new AhOutboundSa(nobleDataPlane, {
      spi: SPI,
      integrity: "hmac-sha1-96",
      key: testKey("hmac-sha1-96"),
      mode: "tunnel",
      tunnel: { ...TUNNEL4, df: "clear", ttl: 5 },
    });
    const p = protect(clear, simple4) as Uint8Array;
    expect([p[6]! & 0x40, p[8]]).toEqual([0, 5]);
  });

  it("refuses without enough headroom, leaving the buffer unchanged", () => {
    const [out] = pair("hmac-sha256-128");
    const p = ipv6(v6spec());
    const buf = new Uint8Array(out.headroom - 1 + p.length);
    buf.set(p, out.headroom - 1);
    const before = buf.slice();
    expect(out.protect(buf, out.headroom - 1, buf.length)).toBe("no-room");
    expect(buf).toEqual(before);
    expect(() => out.protect(buf, 5, buf.length + 1)).toThrow(RangeError);
  });

  it("refuses a packet that would exceed the IP length field", () => {
    const [out] = pair("hmac-sha256-128");
    const big = ipv4({ ...v4spec(), payload: new Uint8Array(0xffff - 20 - 10) });
    expect(protect(out, big)).toBe("too-big");
    const [tout] = pair("hmac-sha256-128", { mode: "tunnel", tunnel: TUNNEL6 });
    const big6 = ipv6({ ...v6spec(), payload: new Uint8Array(0xffff - 10) });
    expect(protect(tout, big6)).toBe("too-big");
  });

  it("refuses a fragment in transport mode, accepts one in tunnel mode (§3.3.4)", () => {
    const frag = ipv4({ ...v4spec() });
    frag[6] = 0x20;
    const [out] = pair("hmac-sha1-96");
    expect(protect(out, frag)).toBe("fragment");
    const [tout, tinb] = pair("hmac-sha1-96", { mode: "tunnel" });
    expect(unprotect(tinb, protect(tout, frag) as Uint8Array)).toEqual(frag);
  });

  it("sequence numbers never cycle: exhaustion is a rekey signal (§2.5, §3.3.2)", () => {
    for (const [esn, last] of [
      [false, 0xfffffffen],
      [true, (1n << 64n) - 2n],
    ] as const) {
      const [out] = pair("hmac-sha1-96", { esn, lastSequence: last });
      expect(out.exhausted).toBe(false);
      const p = protect(out, simple4) as Uint8Array;
      expect([...p.subarray(28, 32)]).toEqual([255, 255, 255, 255]);
      expect(out.exhausted).toBe(true);
      expect(out.lastSequence).toBe(last + 1n);
      expect(protect(out, simple4)).toBe("sequence-exhausted");
      expect(out.counters.sendErrors).toBe(1);
    }
    expect(() => pair("hmac-sha1-96", { lastSequence: 1n << 32n })).toThrow(RangeError);
  });
});

describe("configuration", () => {
  const base = { integrity: "hmac-sha256-128", key: testKey("hmac-sha256-128"), mode: "transport" as const };

  it("rejects SPI 0 and the reserved 1–255 (§2.4)", () => {
    for (const spi of [0, 1, 255, -1, 2 ** 32, 1.5]) {
      expect(() => new AhInboundSa(nobleDataPlane, { ...base, spi })).toThrow(RangeError);
      expect(() => new AhOutboundSa(nobleDataPlane, { ...base, spi })).toThrow(RangeError);
    }
    expect(new AhInboundSa(nobleDataPlane, { ...base, spi: 256 }).spi).toBe(256);
  });

  it("refuses HMAC-MD5-96 unless allowLegacy, unknown names and wrong key lengths", () => {
    const md5 = { ...base, spi: SPI, integrity: "hmac-md5-96", key: testKey("hmac-md5-96") };
    expect(() => new AhOutboundSa(nobleDataPlane, md5)).toThrow(
      expect.objectContaining({ code: "legacy-not-allowed" }) as unknown as Error,
    );
    expect(new AhOutboundSa(nobleDataPlane, { ...md5, allowLegacy: true }).integrity).toBe("hmac-md5-96");
    expect(() => new AhOutboundSa(nobleDataPlane, { ...base, spi: SPI, integrity: "hmac-sha3" })).toThrow(
      CryptoError,
    );
    expect(() => new AhOutboundSa(nobleDataPlane, { ...base, spi: SPI, key: new Uint8Array(31) })).toThrow(
      RangeError,
    );
  });

  it("needs tunnel endpoints exactly in tunnel mode", () => {
    expect(() => new AhOutboundSa(nobleDataPlane, { ...base, spi: SPI, mode: "tunnel" })).toThrow(RangeError);
    expect(() => new AhOutboundSa(nobleDataPlane, { ...base, spi: SPI, tunnel: TUNNEL4 })).toThrow(
      RangeError,
    );
    expect(
      () =>
        new AhOutboundSa(nobleDataPlane, {
          ...base,
          spi: SPI,
          mode: "tunnel",
          tunnel: { source: TUNNEL4.source, destination: TUNNEL6.destination },
        }),
    ).toThrow(RangeError);
  });

  it("destroy() destroys the keys and the SA refuses packets afterwards", () => {
    let destroyed = 0;
    const spy = {
      ...nobleDataPlane,
      mac: (a: Parameters<typeof nobleDataPlane.mac>[0], k: Uint8Array) => {
        const m = nobleDataPlane.mac(a, k);
        const destroy = (): void => {
          destroyed++;
          m.destroy();
        };
        return { ...m, compute: m.compute.bind(m), destroy };
      },
    };
    const [out, inb] = pair("hmac-sha256-128", {}, spy);
    const p = protect(out, simple4) as Uint8Array;
    out.destroy();
    inb.destroy();
    expect(destroyed).toBe(2);
    expect(protect(out, simple4)).toBe("sa-destroyed");
    expect(unprotect(inb, p)).toBe("sa-destroyed");
  });
});

function testIcv(alg: string): number {
  return (
    { "hmac-md5-96": 12, "hmac-sha1-96": 12, "aes-xcbc-96": 12, "aes-cmac-96": 12 }[alg] ??
    Number(alg.split("-").at(-1)) / 8
  );
}

function checksum(h: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) sum += (h[i]! << 8) | h[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
