import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { wordsToAddress } from "../../src/spd/address.js";
import { newPacketFields, PacketStatus, parsePacket } from "../../src/spd/packet.js";
import { PROTOCOL_OPAQUE } from "../../src/spd/selector.js";
import { fromHex } from "../../src/wire/bytes.js";

function ipv4(protocol: number, payload: string, opts: { fragment?: number; ihl?: number } = {}): Uint8Array {
  const ihl = opts.ihl ?? 5;
  const body = fromHex(payload);
  const b = new Uint8Array(ihl * 4 + body.length);
  b[0] = 0x40 | ihl;
  b[2] = b.length >> 8;
  b[3] = b.length & 0xff;
  b[6] = (opts.fragment ?? 0) >> 8;
  b[7] = (opts.fragment ?? 0) & 0xff;
  b[8] = 64;
  b[9] = protocol;
  b.set([10, 0, 110, 5], 12);
  b.set([10, 1, 1, 9], 16);
  b.set(body, ihl * 4);
  return b;
}

function ipv6(next: number, payload: string): Uint8Array {
  const body = fromHex(payload);
  const b = new Uint8Array(40 + body.length);
  b[0] = 0x60;
  b[4] = body.length >> 8;
  b[5] = body.length & 0xff;
  b[6] = next;
  b[7] = 64;
  b.set(fromHex("20010db8000000000000000000000001"), 8);
  b.set(fromHex("20010db8000000000000000000000002"), 24);
  b.set(body, 40);
  return b;
}

describe("parsePacket", () => {
  const p = newPacketFields();

  it("reads IPv4 addresses, protocol and TCP ports", () => {
    expect(parsePacket(ipv4(6, `04d20050${"00".repeat(16)}`), p)).toBe(PacketStatus.OK);
    expect(p.family).toBe(4);
    expect(wordsToAddress(4, p.src)).toBe(0x0a006e05n);
    expect(wordsToAddress(4, p.dst)).toBe(0x0a010109n);
    expect([p.protocol, p.srcPort, p.dstPort]).toEqual([6, 1234, 80]);
  });

  it("skips IPv4 options and puts ICMP type·256+code in both ports", () => {
    expect(parsePacket(ipv4(1, "0800f7ff00000000", { ihl: 6 }), p)).toBe(PacketStatus.OK);
    expect([p.protocol, p.srcPort, p.dstPort]).toEqual([1, 0x0800, 0x0800]);
  });

  it("leaves ports unavailable in non-initial fragments (RFC 4301 §4.4.1.1)", () => {
    expect(parsePacket(ipv4(17, "1f901f90", { fragment: 0x0010 }), p)).toBe(PacketStatus.OK);
    expect([p.protocol, p.srcPort, p.dstPort]).toEqual([17, -1, -1]);
    // An initial fragment (MF set, offset 0) still carries them.
    expect(parsePacket(ipv4(17, "1f901f9000080000", { fragment: 0x2000 }), p)).toBe(PacketStatus.OK);
    expect(p.srcPort).toBe(8080);
  });

  it("walks IPv6 extension headers to the next-layer protocol, counting AH and ESP as next layer", () => {
    // Hop-by-hop (8 bytes) → destination options (8 bytes) → UDP.
    const pkt = ipv6(0, "3c00000000000000" + "1100000000000000" + "01f41194000c0000" + "00000000");
    expect(parsePacket(pkt, p)).toBe(PacketStatus.OK);
    expect(p.family).toBe(6);
    expect(p.src[3]).toBe(1);
    expect([p.protocol, p.srcPort, p.dstPort]).toEqual([17, 500, 4500]);
    expect(parsePacket(ipv6(50, "0000010000000001"), p)).toBe(PacketStatus.OK);
    expect([p.protocol, p.srcPort]).toEqual([50, -1]);
  });

  it("reads ICMPv6 and Mobility Header types, and IPv6 fragments", () => {
    expect(parsePacket(ipv6(58, "80000000"), p)).toBe(PacketStatus.OK);
    expect([p.protocol, p.srcPort]).toEqual([58, 128 * 256]);
    expect(parsePacket(ipv6(135, "3b00050000000000"), p)).toBe(PacketStatus.OK);
    expect([p.protocol, p.srcPort]).toEqual([135, 5 * 256]);
    // Non-initial fragment of TCP: protocol known, ports not.
    expect(parsePacket(ipv6(44, "06000009000000010000"), p)).toBe(PacketStatus.OK);
    expect([p.protocol, p.srcPort]).toEqual([6, -1]);
    // Non-initial fragment whose next header is another extension header: protocol opaque.
    expect(parsePacket(ipv6(44, "3c000009000000010000"), p)).toBe(PacketStatus.OK);
    expect(p.protocol).toBe(PROTOCOL_OPAQUE);
  });

  it("returns a drop status for malformed packets", () => {
    expect(parsePacket(new Uint8Array(0), p)).toBe(PacketStatus.TRUNCATED);
    expect(parsePacket(fromHex("45"), p)).toBe(PacketStatus.TRUNCATED);
    expect(parsePacket(fromHex("50".padEnd(40, "0")), p)).toBe(PacketStatus.BAD_VERSION);
    const shortIhl = ipv4(6, "04d20050");
    shortIhl[0] = 0x44;
    expect(parsePacket(shortIhl, p)).toBe(PacketStatus.BAD_HEADER);
    const longTotal = ipv4(6, "04d20050");
    longTotal[3] = 0xff;
    expect(parsePacket(longTotal, p)).toBe(PacketStatus.TRUNCATED);
    expect(parsePacket(ipv4(6, "04d2"), p)).toBe(PacketStatus.TRUNCATED);
    expect(parsePacket(ipv6(0, "3c00"), p)).toBe(PacketStatus.TRUNCATED);
    expect(parsePacket(ipv6(0, "3cff000000000000"), p)).toBe(PacketStatus.TRUNCATED);
    const jumbo = ipv6(6, "");
    expect(parsePacket(jumbo, p)).toBe(PacketStatus.UNSUPPORTED);
    const chain = ipv6(60, `${"3c00000000000000".repeat(17)}0600000000000000`);
    expect(parsePacket(chain, p)).toBe(PacketStatus.UNSUPPORTED);
  });

  it("never throws and never reports fields for arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.constantFrom(0x45, 0x46, 0x60), (bytes, first) => {
        const b = new Uint8Array(bytes.length + 1);
        b[0] = first;
        b.set(bytes, 1);
        const status = parsePacket(b, p);
        expect(Object.values(PacketStatus)).toContain(status);
        if (status === PacketStatus.OK) expect(p.protocol).toBeGreaterThanOrEqual(PROTOCOL_OPAQUE);
      }),
    );
  });
});
