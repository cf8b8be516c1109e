/**
 * ESP SA behaviour: configuration checks, sequence numbers, TFC padding and dummy packets,
 * framing (transport IPv4/IPv6, UDP encapsulation), the asynchronous path and destroy().
 */
import { describe, expect, it } from "vitest";
import type { AeadKey, CipherKey, DataPlaneCrypto, MacKey } from "../../src/crypto/backend.js";
import { CryptoError } from "../../src/crypto/backend.js";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import { EspInboundResult, EspInboundSa } from "../../src/esp/inbound.js";
import { EspOutboundSa } from "../../src/esp/outbound.js";
import { checksumAdd, finishChecksum } from "../../src/ip/header.js";
import { toHex } from "../../src/wire/bytes.js";
import { BACKENDS, fixedIv, hex, ipv4Packet } from "./helpers.js";
import { buildInner } from "./packets.js";
import { suiteOptions } from "./suites.js";

const GCM = { spi: 0x1000, ...suiteOptions({ encryption: "aes-gcm-16", keyBytes: 16 }) };
const NULL_SHA256 = {
  spi: 0x1000,
  ...suiteOptions({ encryption: "null", keyBytes: 0, integrity: "hmac-sha256-128" }),
};

function protect(sa: EspOutboundSa, inner: Uint8Array): Uint8Array | string {
  const out = new Uint8Array(sa.maxOutputLength(inner.length));
  const n = sa.protect(inner, 0, inner.length, out, 0);
  return typeof n === "string" ? n : out.subarray(0, n);
}

describe("configuration", () => {
  it("refuses SPI 0 and the reserved SPIs 1–255 (RFC 4303 §2.1, CVE-2025-39965)", () => {
    for (const spi of [0, 1, 255, -1, 2 ** 32, 1.5]) {
      expect(() => new EspOutboundSa(nobleBackend, { ...GCM, spi, mode: "tunnel" })).toThrow(RangeError);
      expect(() => new EspInboundSa(nobleBackend, { ...GCM, spi, mode: "tunnel" })).toThrow(RangeError);
    }
    expect(new EspInboundSa(nobleBackend, { ...GCM, spi: 256, mode: "tunnel" }).spi).toBe(256);
    expect(new EspInboundSa(nobleBackend, { ...GCM, spi: 0xffffffff, mode: "tunnel" }).spi).toBe(0xffffffff);
  });

  it("refuses DES, 3DES and HMAC-MD5 unless allowLegacy (RFC 8221)", () => {
    const cases = [
      { encryption: "3des-cbc", keyBytes: 24, integrity: "hmac-sha1-96" },
      { encryption: "des-cbc", keyBytes: 8, integrity: "hmac-sha1-96" },
      { encryption: "aes-cbc", keyBytes: 16, integrity: "hmac-md5-96" },
    ];
    for (const c of cases) {
      const o = { spi: 0x1000, mode: "tunnel" as const, ...suiteOptions(c) };
      for (const make of [
        () => new EspOutboundSa(nobleBackend, o),
        () => new EspInboundSa(nobleBackend, o),
      ]) {
        try {
          make();
          expect.unreachable();
        } catch (e) {
          expect(e).toBeInstanceOf(CryptoError);
          expect((e as CryptoError).code).toBe("legacy-not-allowed");
        }
      }
      expect(new EspOutboundSa(nobleBackend, { ...o, allowLegacy: true }).encryption).toBe(c.encryption);
    }
  });

  it("requires integrity unless combined mode, and refuses NULL without it (RFC 4303 §3.2)", () => {
    const unsupported = (f: () => unknown) => {
      try {
        f();
        expect.unreachable();
      } catch (e) {
        expect((e as CryptoError).code).toBe("unsupported");
      }
    };
    const cbc = {
      spi: 0x1000,
      mode: "tunnel" as const,
      ...suiteOptions({ encryption: "aes-cbc", keyBytes: 16 }),
    };
    unsupported(() => new EspOutboundSa(nobleBackend, cbc));
    unsupported(() => new EspOutboundSa(nobleBackend, { spi: 0x1000, mode: "tunnel", encryption: "null" }));
    // AEAD plus a separate integrity transform, and AH's GMAC integrity in ESP.
    unsupported(
      () =>
        new EspOutboundSa(nobleBackend, {
          ...GCM,
          mode: "tunnel",
          integrity: "hmac-sha256-128",
          integrityKey: new Uint8Array(32),
        }),
    );
    unsupported(
      () =>
        new EspOutboundSa(nobleBackend, {
          ...NULL_SHA256,
          mode: "tunnel",
          integrity: "aes-gmac-128",
          integrityKey: new Uint8Array(20),
        }),
    );
    unsupported(() => new EspOutboundSa(nobleBackend, { ...GCM, mode: "tunnel", encryption: "rot13" }));
    expect(new EspOutboundSa(nobleBackend, { ...cbc, allowConfidentialityOnly: true }).integrity).toBe(
      undefined,
    );
    expect(new EspOutboundSa(nobleBackend, { ...NULL_SHA256, mode: "tunnel" }).integrity).toBe(
      "hmac-sha256-128",
    );
  });

  it("checks key lengths including the salt", () => {
    expect(
      () => new EspOutboundSa(nobleBackend, { ...GCM, mode: "tunnel", encryptionKey: new Uint8Array(16) }),
    ).toThrow(RangeError);
    expect(
      () =>
        new EspOutboundSa(nobleBackend, { ...NULL_SHA256, mode: "tunnel", integrityKey: new Uint8Array(20) }),
    ).toThrow(RangeError);
  });

  it("keeps anti-replay off without integrity and TFC padding to tunnel mode (RFC 4303 §3.4.3, §2.7)", () => {
    const cbc = {
      spi: 0x1000,
      mode: "tunnel" as const,
      ...suiteOptions({ encryption: "aes-cbc", keyBytes: 16, confidentialityOnly: true }),
    };
    expect(() => new EspInboundSa(nobleBackend, { ...cbc, replayWindow: 64 })).toThrow(RangeError);
    expect(new EspInboundSa(nobleBackend, cbc).replay.size).toBe(0);
    expect(new EspInboundSa(nobleBackend, { ...GCM, mode: "tunnel" }).replay.size).toBe(64);
    expect(() => new EspOutboundSa(nobleBackend, { ...GCM, mode: "transport", tfcPadTo: 100 })).toThrow(
      RangeError,
    );
  });
});

describe.each(BACKENDS)("sequence numbers ($name)", (backend) => {
  const inner = ipv4Packet(17, new Uint8Array(30));

  it("the first packet carries 1 (RFC 4303 §3.3.3)", () => {
    const p = protect(new EspOutboundSa(backend, { ...GCM, mode: "tunnel" }), inner) as Uint8Array;
    expect(toHex(p.subarray(0, 8))).toBe("0000100000000001");
  });

  it("refuses to cycle the 32-bit counter: sequence-exhausted, a send error, nothing written", () => {
    const sa = new EspOutboundSa(backend, { ...GCM, mode: "tunnel", lastSequence: 0xfffffffen });
    const p = protect(sa, inner) as Uint8Array;
    expect(toHex(p.subarray(4, 8))).toBe("ffffffff");
    expect(sa.exhausted).toBe(true);
    const out = new Uint8Array(200);
    expect(sa.protect(inner, 0, inner.length, out, 0)).toBe("sequence-exhausted");
    expect(out.every((b) => b === 0)).toBe(true);
    expect(sa.counters.sendErrors).toBe(1);
    expect(sa.counters.packetsEncapsulated).toBe(1);
  });

  it("with ESN crosses 2^32 and stops only at 2^64 − 1", () => {
    const sa = new EspOutboundSa(backend, { ...GCM, mode: "tunnel", esn: true, lastSequence: 0xffffffffn });
    const p = protect(sa, inner) as Uint8Array;
    expect(toHex(p.subarray(4, 16))).toBe("000000000000000100000000"); // low half 0; IV = counter
    expect(sa.lastSequence).toBe(1n << 32n);
    const end = new EspOutboundSa(backend, {
      ...GCM,
      mode: "tunnel",
      esn: true,
      lastSequence: (1n << 64n) - 1n,
    });
    expect(end.exhausted).toBe(true);
    expect(protect(end, inner)).toBe("sequence-exhausted");
  });

  it("rolls the low 32 bits over when the peer does no anti-replay, with IVs still unique", () => {
    const sa = new EspOutboundSa(backend, {
      ...GCM,
      mode: "tunnel",
      peerAntiReplay: false,
      lastSequence: 0xffffffffn,
    });
    expect(sa.exhausted).toBe(false);
    const p = protect(sa, inner) as Uint8Array;
    // Sequence Number 0 on the wire; the counter IV (RFC 4106 §3.1) continues at 2^32.
    expect(toHex(p.subarray(4, 16))).toBe("000000000000000100000000");
    const inb = new EspInboundSa(backend, { ...GCM, mode: "tunnel", replayWindow: 0 });
    expect(inb.unprotect(p.slice(), 0, p.length).status).toBe("packet");
  });

  it("validates lastSequence", () => {
    expect(() => new EspOutboundSa(backend, { ...GCM, mode: "tunnel", lastSequence: 1n << 32n })).toThrow(
      RangeError,
    );
    expect(() => new EspOutboundSa(backend, { ...GCM, mode: "tunnel", lastSequence: -1n })).toThrow(
      RangeError,
    );
  });

  it("uses a random IV for CBC and the counter for AEAD", () => {
    const cbc = {
      spi: 0x1000,
      mode: "tunnel" as const,
      ...suiteOptions({ encryption: "aes-cbc", keyBytes: 16, integrity: "hmac-sha1-96" }),
    };
    let calls = 0;
    const sa = new EspOutboundSa(backend, {
      ...cbc,
      random: (out) => {
        calls++;
        out.fill(0xab);
      },
    });
    const p = protect(sa, inner) as Uint8Array;
    expect(calls).toBe(1);
    expect(toHex(p.subarray(8, 24))).toBe("ab".repeat(16));
    const g = protect(
      new EspOutboundSa(backend, { ...GCM, mode: "tunnel", lastSequence: 0x1234n }),
      inner,
    ) as Uint8Array;
    expect(toHex(g.subarray(8, 16))).toBe("0000000000001235");
  });
});

describe.each(BACKENDS)("replay protection on the receive path ($name)", (backend) => {
  it("drops a replayed packet and one left of the window, counting replay failures", () => {
    const out = new EspOutboundSa(backend, { ...GCM, mode: "tunnel" });
    const inb = new EspInboundSa(backend, { ...GCM, mode: "tunnel", replayWindow: 32 });
    const inner = ipv4Packet(6, new Uint8Array(20));
    const packets = Array.from({ length: 40 }, () => protect(out, inner) as Uint8Array);
    expect(inb.unprotect(packets[0]!.slice(), 0, packets[0]!.length).status).toBe("packet");
    expect(inb.unprotect(packets[0]!.slice(), 0, packets[0]!.length).reason).toBe("replayed");
    const last = packets[39]!;
    expect(inb.unprotect(last.slice(), 0, last.length).status).toBe("packet");
    expect(inb.unprotect(packets[7]!.slice(), 0, packets[7]!.length).reason).toBe("too-old"); // 8 ≤ 40 − 32
    expect(inb.unprotect(packets[8]!.slice(), 0, packets[8]!.length).status).toBe("packet"); // 9 is inside
    expect(inb.counters.replayFailures).toBe(2);
    expect(inb.counters.receiveErrors).toBe(0);
  });
});

describe.each(BACKENDS)("TFC padding and dummy packets (RFC 4303 §2.6, §2.7) ($name)", (backend) => {
  it("pads tunnel payloads up to tfcPadTo; the receiver strips the padding by the inner length", () => {
    const out = new EspOutboundSa(backend, { ...GCM, mode: "tunnel", tfcPadTo: 300 });
    const inb = new EspInboundSa(backend, { ...GCM, mode: "tunnel" });
    const inner = ipv4Packet(17, new Uint8Array(40).fill(9));
    const p = protect(out, inner) as Uint8Array;
    // SPI, seq, IV (8), 300 bytes, 2 pad bytes to reach a multiple of 4, trailer, 16-byte ICV.
    expect(p.length).toBe(8 + 8 + 300 + 2 + 2 + 16);
    const buf = p.slice();
    const r = inb.unprotect(buf, 0, buf.length);
    expect(r.status).toBe("packet");
    expect(toHex(buf.subarray(r.offset, r.offset + r.length))).toBe(toHex(inner));
    // A packet already longer than tfcPadTo is not padded further.
    const big = ipv4Packet(17, new Uint8Array(400));
    expect((protect(out, big) as Uint8Array).length).toBe(8 + 8 + 420 + 2 + 2 + 16);
  });

  it("sends dummy packets (Next Header 59) that the receiver discards without error", () => {
    for (const mode of ["tunnel", "transport"] as const) {
      const out = new EspOutboundSa(backend, { ...NULL_SHA256, mode });
      const inb = new EspInboundSa(backend, { ...NULL_SHA256, mode });
      const buf = new Uint8Array(200);
      const n = out.protectDummy(48, buf, 0) as number;
      // NULL encryption shows the trailer: 48 zero bytes, padding 1 2, Pad Length 2, Next Header 59.
      expect(toHex(buf.subarray(8, 8 + 52))).toBe(`${"00".repeat(48)}0102023b`);
      const packet = mode === "tunnel" ? buf.subarray(0, n) : ipv4Packet(50, buf.subarray(0, n));
      const r = inb.unprotect(packet, 0, packet.length);
      expect(r.status).toBe("dummy");
      expect(r.reason).toBe(null);
      expect(inb.counters.packetsDecapsulated).toBe(0);
      expect(inb.counters.receiveErrors).toBe(0);
      expect(inb.counters.packetsVerified).toBe(1);
      // The dummy used a real sequence number: replaying it is caught.
      expect(inb.unprotect(packet, 0, packet.length).reason).toBe("replayed");
    }
  });
});

describe.each(BACKENDS)("framing ($name)", (backend) => {
  it("transport mode IPv6: ESP after Hop-by-Hop and Routing, Destination Options behind it (RFC 4303 §3.1.1)", () => {
    const out = new EspOutboundSa(backend, { ...NULL_SHA256, mode: "transport" });
    const inner = buildInner({
      family: 6,
      protocol: 17,
      extensions: [0, 60, 43, 60],
      payload: hex("aabbccdd"),
    });
    const p = protect(out, inner) as Uint8Array;
    // Headers kept in front: HBH (8 bytes), DstOpts before Routing (16), Routing (8).
    const front = 40 + 8 + 16 + 8;
    expect(toHex(p.subarray(0, 4))).toBe(toHex(inner.subarray(0, 4)));
    expect(p[40 + 8 + 16]).toBe(50); // the Routing header now names ESP
    expect((p[4]! << 8) | p[5]!).toBe(p.length - 40); // Payload Length rewritten
    expect(toHex(p.subarray(front, front + 4))).toBe("00001000");
    // NULL encryption: the trailing Destination Options header (16 bytes) and payload follow the ESP header.
    expect(toHex(p.subarray(front + 8, front + 8 + 20))).toBe(toHex(inner.subarray(front, front + 20)));
    const trailer = p.length - 16 - 2;
    expect(p[trailer + 1]).toBe(60); // Next Header: the Destination Options header
    const inb = new EspInboundSa(backend, { ...NULL_SHA256, mode: "transport" });
    const r = inb.unprotect(p.slice(), 0, p.length);
    expect(r.status).toBe("packet");
    expect(r.nextHeader).toBe(60);
  });

  it("transport mode IPv4 fixes protocol, total length and header checksum both ways", () => {
    const out = new EspOutboundSa(backend, { ...GCM, mode: "transport" });
    const inner = ipv4Packet(6, new Uint8Array(33).fill(1));
    const p = protect(out, inner) as Uint8Array;
    expect(p[9]).toBe(50);
    expect((p[2]! << 8) | p[3]!).toBe(p.length);
    expect(finishChecksum(checksumAdd(p, 0, 20, 0))).toBe(0); // a valid header sums to 0xffff
  });

  it("refuses fragments and malformed inner packets without writing", () => {
    const out = new EspOutboundSa(backend, { ...GCM, mode: "transport" });
    const frag = ipv4Packet(6, new Uint8Array(20));
    frag[6] = 0x20; // More Fragments
    expect(protect(out, frag)).toBe("fragment");
    const bad = ipv4Packet(6, new Uint8Array(20));
    bad[3] = bad[3]! + 1; // Total Length larger than the packet
    expect(protect(out, bad)).toBe("bad-inner-packet");
    const tunnel = new EspOutboundSa(backend, { ...GCM, mode: "tunnel" });
    expect(protect(tunnel, hex("5500"))).toBe("bad-inner-packet");
    expect(out.counters.sendErrors).toBe(2);
    const inner = ipv4Packet(6, new Uint8Array(20));
    expect(tunnel.protect(inner, 0, inner.length, new Uint8Array(10), 0)).toBe("no-room");
    expect(tunnel.lastSequence).toBe(0n); // refused before a sequence number was taken
  });

  it("UDP encapsulation: UDP header with the ports, length and checksum 0 (RFC 3948 §2.1)", () => {
    const udp = { udpEncapsulation: { sourcePort: 4500, destinationPort: 14500 } };
    const tunnel = new EspOutboundSa(backend, { ...GCM, ...udp, mode: "tunnel" });
    const inner = ipv4Packet(6, new Uint8Array(20));
    const p = protect(tunnel, inner) as Uint8Array;
    expect(toHex(p.subarray(0, 12))).toBe(`119438a4${p.length.toString(16).padStart(4, "0")}000000001000`);
    const transport = new EspOutboundSa(backend, { ...GCM, ...udp, mode: "transport" });
    const t = protect(transport, inner) as Uint8Array;
    expect(t[9]).toBe(17);
    expect(toHex(t.subarray(20, 24))).toBe("119438a4");
    expect((t[24]! << 8) | t[25]!).toBe(t.length - 20);
    const inb = new EspInboundSa(backend, { ...GCM, ...udp, mode: "transport", natChecksum: "none" });
    const r = inb.unprotect(t.slice(), 0, t.length);
    expect(r.status).toBe("packet");
    const wrong = t.slice();
    wrong[25] = wrong[25]! ^ 1; // UDP length
    expect(inb.unprotect(wrong, 0, wrong.length).reason).toBe("bad-udp-header");
  });

  it("unprotectInto leaves the input untouched", () => {
    const out = new EspOutboundSa(backend, { ...GCM, mode: "tunnel" });
    const inb = new EspInboundSa(backend, { ...GCM, mode: "tunnel" });
    const inner = ipv4Packet(6, new Uint8Array(20).fill(5));
    const p = protect(out, inner) as Uint8Array;
    const copy = p.slice();
    const target = new Uint8Array(p.length + 10);
    const r = inb.unprotectInto(p, 0, p.length, target, 10);
    expect(r.status).toBe("packet");
    expect(toHex(target.subarray(r.offset, r.offset + r.length))).toBe(toHex(inner));
    expect(toHex(p)).toBe(toHex(copy));
    expect(inb.unprotectInto(p, 0, p.length, new Uint8Array(4), 0).reason).toBe("no-room");
  });
});

/** Wraps a synchronous backend so that every operation resolves later, in a shuffled order. */
function asyncBackend(inner: DataPlaneCrypto<false>): DataPlaneCrypto<true> {
  const later = <T>(f: () => T): Promise<T> =>
    new Promise((resolve, reject) =>
      setTimeout(
        () => {
          try {
            resolve(f());
          } catch (e) {
            reject(e);
          }
        },
        Math.floor(Math.random() * 3),
      ),
    );
  return {
    name: "async",
    async: true,
    aead(algorithm, key, tagLength): AeadKey<true> {
      const k = inner.aead(algorithm, key, tagLength);
      return {
        algorithm,
        tagLength,
        seal: (n, a, d, t) => later(() => k.seal(n, a, d, t)),
        open: (n, a, d, t) => later(() => k.open(n, a, d, t)),
        destroy: () => k.destroy(),
      };
    },
    cipher(algorithm, key): CipherKey<true> {
      const k = inner.cipher(algorithm, key);
      return {
        algorithm,
        blockSize: k.blockSize,
        encrypt: (iv, d) => later(() => k.encrypt(iv, d)),
        decrypt: (iv, d) => later(() => k.decrypt(iv, d)),
        destroy: () => k.destroy(),
      };
    },
    mac(algorithm, key): MacKey<true> {
      const k = inner.mac(algorithm, key);
      return {
        algorithm,
        outputLength: k.outputLength,
        compute: (parts, out) => {
          const copy = [...parts]; // the SA may reuse its list once this call returns
          return later(() => k.compute(copy, out));
        },
        destroy: () => k.destroy(),
      };
    },
  };
}

describe("the asynchronous path", () => {
  const backend = asyncBackend(nobleBackend);
  const suites = [
    { encryption: "aes-gcm-16", keyBytes: 32 },
    { encryption: "aes-cbc", keyBytes: 16, integrity: "hmac-sha256-128" },
    { encryption: "aes-gmac", keyBytes: 16 },
  ];

  it("round-trips overlapping packets with an asynchronous backend", async () => {
    for (const suite of suites) {
      const o = { spi: 0x2000, mode: "tunnel" as const, esn: true, ...suiteOptions(suite) };
      const out = new EspOutboundSa(backend, o);
      const inb = new EspInboundSa(backend, o);
      const inners = Array.from({ length: 8 }, (_, i) => ipv4Packet(17, new Uint8Array(i * 13).fill(i)));
      const bufs = inners.map((p) => new Uint8Array(p.length + 64));
      const lengths = await Promise.all(inners.map((p, i) => out.protectAsync(p, 0, p.length, bufs[i]!, 0)));
      const results = await Promise.all(bufs.map((b, i) => inb.unprotectAsync(b, 0, lengths[i] as number)));
      results.forEach((r, i) => {
        expect(r.status).toBe("packet");
        expect(toHex(bufs[i]!.subarray(r.offset, r.offset + r.length))).toBe(toHex(inners[i]!));
      });
      expect(inb.counters.packetsDecapsulated).toBe(8);
    }
  });

  it("accepts a packet verified twice concurrently only once (the recheck)", async () => {
    const o = { spi: 0x2000, mode: "tunnel" as const, ...suiteOptions(suites[0]!) };
    const out = new EspOutboundSa(backend, o);
    const inb = new EspInboundSa(backend, o);
    const inner = ipv4Packet(17, new Uint8Array(10));
    const buf = new Uint8Array(100);
    const n = (await out.protectAsync(inner, 0, inner.length, buf, 0)) as number;
    const a = buf.slice(0, n);
    const b = buf.slice(0, n);
    const [ra, rb] = await Promise.all([inb.unprotectAsync(a, 0, n), inb.unprotectAsync(b, 0, n)]);
    expect([ra.status, rb.status].sort()).toEqual(["dropped", "packet"]);
    expect([ra.reason, rb.reason]).toContain("replayed");
    expect(inb.counters.replayFailures).toBe(1);
  });

  it("the synchronous path of a synchronous backend works through protectAsync too", async () => {
    const o = { spi: 0x2000, mode: "transport" as const, ...suiteOptions(suites[1]!) };
    const out = new EspOutboundSa(nobleBackend, o);
    const inb = new EspInboundSa(nobleBackend, o);
    const inner = ipv4Packet(17, new Uint8Array(10).fill(3));
    const buf = new Uint8Array(200);
    const n = (await out.protectAsync(inner, 0, inner.length, buf, 0)) as number;
    const r = await inb.unprotectAsync(buf, 0, n, new EspInboundResult());
    expect(toHex(buf.subarray(r.offset, r.offset + r.length))).toBe(toHex(inner));
  });

  it("destroy() while an operation is pending drops it; afterwards everything is refused", async () => {
    const o = { spi: 0x2000, mode: "tunnel" as const, ...suiteOptions(suites[0]!) };
    const out = new EspOutboundSa(backend, o);
    const inb = new EspInboundSa(backend, o);
    const inner = ipv4Packet(17, new Uint8Array(10));
    const buf = new Uint8Array(100);
    const n = (await out.protectAsync(inner, 0, inner.length, buf, 0)) as number;
    const pending = inb.unprotectAsync(buf, 0, n);
    inb.destroy();
    expect((await pending).reason).toBe("sa-destroyed");
    expect((await inb.unprotectAsync(buf, 0, n)).reason).toBe("sa-destroyed");
    const pendingOut = out.protectAsync(inner, 0, inner.length, buf, 0);
    out.destroy();
    expect(await pendingOut).toBe("sa-destroyed");
  });
});

describe("destroy()", () => {
  it("destroys the prepared keys and refuses packets", () => {
    const destroyed: string[] = [];
    const spy: DataPlaneCrypto<false> = {
      ...nobleBackend,
      aead(a, k, t) {
        const key = nobleBackend.aead(a, k, t);
        return { ...key, seal: key.seal, open: key.open, destroy: () => destroyed.push(a) };
      },
      cipher(a, k) {
        const key = nobleBackend.cipher(a, k);
        return { ...key, encrypt: key.encrypt, decrypt: key.decrypt, destroy: () => destroyed.push(a) };
      },
      mac(a, k) {
        const key = nobleBackend.mac(a, k);
        return { ...key, compute: key.compute, destroy: () => destroyed.push(a) };
      },
    };
    const cbc = {
      spi: 0x1000,
      mode: "tunnel" as const,
      ...suiteOptions({ encryption: "aes-cbc", keyBytes: 16, integrity: "hmac-sha1-96" }),
    };
    const out = new EspOutboundSa(spy, cbc);
    out.destroy();
    expect(destroyed.sort()).toEqual(["aes-cbc", "hmac-sha1"]);
    const inner = ipv4Packet(17, new Uint8Array(4));
    expect(out.protect(inner, 0, inner.length, new Uint8Array(200), 0)).toBe("sa-destroyed");
    const inb = new EspInboundSa(spy, { ...GCM, mode: "tunnel" });
    inb.destroy();
    expect(destroyed).toContain("aes-gcm");
    expect(inb.unprotect(new Uint8Array(64), 0, 64).reason).toBe("sa-destroyed");
  });

  it("does not keep a reference to the caller's key material", () => {
    const key = hex("000102030405060708090a0b0c0d0e0f10111213");
    const o = { spi: 0x1000, mode: "tunnel" as const, encryption: "aes-gcm-16", encryptionKey: key };
    const out = new EspOutboundSa(nobleBackend, { ...o, iv: fixedIv(new Uint8Array(8)) });
    const inner = ipv4Packet(17, new Uint8Array(4));
    const a = protect(out, inner) as Uint8Array;
    key.fill(0); // the caller wipes its copy
    const inb = new EspInboundSa(nobleBackend, {
      ...o,
      encryptionKey: hex("000102030405060708090a0b0c0d0e0f10111213"),
    });
    expect(inb.unprotect(a.slice(), 0, a.length).status).toBe("packet");
    const b = protect(out, inner) as Uint8Array; // still the original key
    expect(inb.unprotect(b.slice(), 0, b.length).status).toBe("packet");
  });
});

describe.each(BACKENDS)("ESN re-synchronization (RFC 4303 Appendix A3) ($name)", (backend) => {
  const suites = [
    { encryption: "aes-gcm-16", keyBytes: 16 },
    { encryption: "aes-cbc", keyBytes: 16, integrity: "hmac-sha256-128" },
    { encryption: "aes-gmac", keyBytes: 16 },
  ];
  for (const suite of suites) {
    it(`${suite.encryption}: after 2 consecutive ICV failures, tries the next high-order values`, async () => {
      const o = { spi: 0x5000, mode: "tunnel" as const, esn: true, ...suiteOptions(suite) };
      // The sender is three subspaces ahead: the receiver lost more than 2^32 packets.
      const out = new EspOutboundSa(backend, { ...o, lastSequence: 3n * 2n ** 32n + 10n });
      const inner = ipv4Packet(17, new Uint8Array(21).fill(4));
      const packets = Array.from({ length: 4 }, () => protect(out, inner) as Uint8Array);
      const plain = new EspInboundSa(backend, o);
      plain.replay.update(0, 5);
      const inb = new EspInboundSa(backend, { ...o, esnResync: { afterFailures: 2, maxTries: 4 } });
      inb.replay.update(0, 5);
      const first = inb.unprotect(packets[0]!.slice(), 0, packets[0]!.length);
      expect(first.reason).toBe("icv-mismatch"); // one failure: not yet triggered
      const second = inb.unprotect(packets[1]!.slice(), 0, packets[1]!.length);
      expect(second.status).toBe("packet");
      expect(second.seqHi).toBe(3);
      expect([inb.replay.highestHi, inb.replay.highestLo]).toEqual([3, 12]);
      // From now on the normal inference finds the right subspace, also asynchronously.
      const third = await inb.unprotectAsync(packets[2]!.slice(), 0, packets[2]!.length);
      expect(third.status).toBe("packet");
      expect(inb.counters.authFailures).toBe(1);
      // Without resync the SA keeps failing.
      for (const p of packets) expect(plain.unprotect(p.slice(), 0, p.length).reason).toBe("icv-mismatch");
    });
  }

  it("retries on the asynchronous path too, and refuses bad parameters", async () => {
    const o = { spi: 0x5000, mode: "tunnel" as const, esn: true, ...suiteOptions(suites[0]!) };
    const out = new EspOutboundSa(backend, { ...o, lastSequence: 2n ** 32n + 100n });
    const inner = ipv4Packet(17, new Uint8Array(8));
    const p = protect(out, inner) as Uint8Array;
    const inb = new EspInboundSa(backend, { ...o, esnResync: { afterFailures: 1, maxTries: 1 } });
    inb.replay.update(0, 90); // Case A, low 101 > 90: inferred 0, really 1
    expect(inb.replay.check(101)).toBe(0);
    const r = await inb.unprotectAsync(p.slice(), 0, p.length);
    expect(r.status).toBe("packet");
    expect(r.seqHi).toBe(1);
    for (const esnResync of [
      { afterFailures: 0, maxTries: 1 },
      { afterFailures: 1, maxTries: 17 },
    ]) {
      expect(() => new EspInboundSa(backend, { ...o, esnResync })).toThrow(RangeError);
    }
    expect(
      () => new EspInboundSa(backend, { ...o, esn: false, esnResync: { afterFailures: 1, maxTries: 1 } }),
    ).toThrow(RangeError);
  });
});
