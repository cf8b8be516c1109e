/**
 * RFC 3948: classification on port 4500, NAT-keepalives, UDP header validation, and the
 * transport-mode checksum fix after decapsulation (§3.1.2).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import { EspInboundSa } from "../../src/esp/inbound.js";
import { EspOutboundSa } from "../../src/esp/outbound.js";
import {
  classifyUdpEncapsulated,
  fixTransportChecksum,
  NAT_T_PORT,
  natKeepalive,
  recomputeTransportChecksum,
  udpPayloadStart,
  writeUdpHeader,
} from "../../src/esp/udp-encap.js";
import { checksumAdd, finishChecksum, writeIpv4Checksum } from "../../src/ip/header.js";
import { toHex } from "../../src/wire/bytes.js";
import { hex, ipv4Packet, ipv6Packet } from "./helpers.js";
import { suiteOptions } from "./suites.js";

/**
 * An IPv4 UDP (DNS) packet with its original checksum 0x2343: the inner packet of the second
 * AES-GCM case of draft-mcgrew-gcm-test-01 (its plaintext without the 2-byte ESP trailer).
 */
const DNS = hex(`4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d00100
  00010000000000000373697009637962 65726369747902646b0000010001`);

/** RFC 1071 §4.1: a packet with a valid checksum sums (pseudo-header included) to 0xffff. */
function transportChecksumValid(p: Uint8Array, ipHeader: number, protocol: number): boolean {
  const v4 = p[0]! >>> 4 === 4;
  const l4Length = p.length - ipHeader;
  let sum = checksumAdd(p, v4 ? 12 : 8, v4 ? 20 : 40, 0) + protocol + l4Length;
  sum = checksumAdd(p, ipHeader, p.length, sum);
  return finishChecksum(sum) === 0;
}

describe("classification of what arrives on port 4500 (RFC 3948 §2)", () => {
  it("tells ESP, IKE, keepalives and garbage apart", () => {
    expect(NAT_T_PORT).toBe(4500);
    expect(classifyUdpEncapsulated(natKeepalive())).toBe("keepalive");
    expect(toHex(natKeepalive())).toBe("ff");
    expect(classifyUdpEncapsulated(hex("00000000 0011223344556677"))).toBe("ike");
    expect(classifyUdpEncapsulated(hex("00001000 00000001"))).toBe("esp");
    expect(classifyUdpEncapsulated(hex("01020304 00000001 aabbccdd"))).toBe("esp");
    for (const bad of ["", "00", "fe", "ffff", "00000000", "01020304", "01020304aa"]) {
      expect(classifyUdpEncapsulated(hex(bad))).toBe("malformed");
    }
    // Within a larger buffer.
    const b = hex("aa ff bb");
    expect(classifyUdpEncapsulated(b, 1, 2)).toBe("keepalive");
  });

  it("never throws on random input", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        expect(["esp", "ike", "keepalive", "malformed"]).toContain(classifyUdpEncapsulated(b));
      }),
    );
  });

  it("writes and validates the UDP header", () => {
    const b = new Uint8Array(20);
    writeUdpHeader(b, 2, 4500, 4500, 18);
    expect(toHex(b.subarray(2, 10))).toBe("1194119400120000");
    expect(udpPayloadStart(b, 2, 20)).toBe(10);
    expect(udpPayloadStart(b, 2, 19)).toBe(-1);
    expect(udpPayloadStart(b, 2, 9)).toBe(-1);
  });
});

describe("transport checksum fix (RFC 3948 §3.1.2)", () => {
  it("recomputes a real UDP checksum over the IPv4 pseudo-header", () => {
    const p = DNS.slice();
    p[26] = 0;
    p[27] = 0;
    expect(recomputeTransportChecksum(p, 0, p.length)).toBe(true);
    expect(toHex(p.subarray(26, 28))).toBe("2343");
  });

  it("recomputes TCP and UDP checksums over the IPv6 pseudo-header (RFC 8200 §8.1), past extension headers", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(6, 17),
        fc.uint8Array({ minLength: 20, maxLength: 100 }),
        fc.boolean(),
        (proto, l4, ext) => {
          const segment = l4.slice();
          let p: Uint8Array;
          if (ext) {
            const rest = new Uint8Array(8 + segment.length);
            rest[0] = proto; // Destination Options header, then TCP/UDP
            rest.set(segment, 8);
            p = ipv6Packet(60, rest);
          } else {
            p = ipv6Packet(proto, segment);
          }
          const l4At = ext ? 48 : 40;
          if (proto === 17) {
            p[l4At + 4] = (p.length - l4At) >>> 8;
            p[l4At + 5] = (p.length - l4At) & 0xff;
          }
          expect(recomputeTransportChecksum(p, 0, p.length)).toBe(true);
          const sum = checksumAdd(p, 8, 40, 0) + proto + (p.length - l4At);
          expect(finishChecksum(checksumAdd(p, l4At, p.length, sum))).toBe(0);
        },
      ),
    );
  });

  it("applies the NAT-OA addresses incrementally, matching a full recomputation (RFC 1624)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.constantFrom(6, 17),
        (addresses, proto) => {
          const original = DNS.slice();
          original[9] = proto; // as TCP, the 42 bytes after the IP header are a (strange) TCP segment
          writeIpv4Checksum(original, 0, 20);
          recomputeTransportChecksum(original, 0, original.length);
          // A NAT rewrote both addresses; the NAT-OA payloads carried the real ones.
          const received = original.slice();
          received.set(addresses, 12);
          writeIpv4Checksum(received, 0, 20);
          const oa = { source: original.slice(12, 16), destination: original.slice(16, 20) };
          expect(fixTransportChecksum(received, 0, received.length, oa)).toBe(true);
          expect(transportChecksumValid(received, 20, proto)).toBe(true);
        },
      ),
    );
  });

  it("zero-udp zeroes a UDP-over-IPv4 checksum and recomputes TCP", () => {
    const p = DNS.slice();
    expect(fixTransportChecksum(p, 0, p.length, "zero-udp")).toBe(true);
    expect(toHex(p.subarray(26, 28))).toBe("0000");
    expect(fixTransportChecksum(ipv4Packet(1, new Uint8Array(8)), 0, 28, "recompute")).toBe(false); // ICMP
    expect(fixTransportChecksum(ipv4Packet(6, new Uint8Array(8)), 0, 28, "recompute")).toBe(false); // short TCP
  });

  it("an inbound transport SA behind a NAT delivers packets with valid TCP checksums", () => {
    const udp = { udpEncapsulation: { sourcePort: 4500, destinationPort: 4500 } };
    const o = {
      spi: 0x3000,
      mode: "transport" as const,
      ...udp,
      ...suiteOptions({ encryption: "aes-gcm-16", keyBytes: 16 }),
    };
    const tcp = hex("04d2 0050 00000001 00000000 5010 ffff 0000 0000 68656c6c6f");
    const inner = ipv4Packet(6, tcp); // 192.0.2.1 → 198.51.100.2
    recomputeTransportChecksum(inner, 0, inner.length);
    const out = new EspOutboundSa(nobleBackend, o);
    const buf = new Uint8Array(200);
    const n = out.protect(inner, 0, inner.length, buf, 0) as number;
    // The NAT rewrites the source to 203.0.113.9.
    const packet = buf.slice(0, n);
    packet.set([203, 0, 113, 9], 12);
    writeIpv4Checksum(packet, 0, 20);
    for (const natChecksum of ["recompute", { source: inner.slice(12, 16) }] as const) {
      const inb = new EspInboundSa(nobleBackend, { ...o, natChecksum });
      const b = packet.slice();
      const r = inb.unprotect(b, 0, b.length);
      expect(r.status).toBe("packet");
      const delivered = b.subarray(r.offset, r.offset + r.length);
      expect(toHex(delivered.subarray(12, 16))).toBe("cb007109");
      expect(transportChecksumValid(delivered, 20, 6)).toBe(true);
      expect(toHex(delivered.subarray(40))).toBe(toHex(tcp.subarray(20)));
    }
  });
});
