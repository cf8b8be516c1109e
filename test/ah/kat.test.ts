/**
 * Known-answer tests: the ICV of fixed packets, built here independently and by hand from the
 * RFC 4302 rules (copy the packet, zero or predict each mutable field, append the ESN high bits)
 * and MACed with @noble/hashes / @noble/ciphers directly, against what the SA writes.
 */
import { gcm } from "@noble/ciphers/aes.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha1 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { describe, expect, it } from "vitest";
import { AhInboundSa } from "../../src/ah/inbound.js";
import { AhOutboundSa } from "../../src/ah/outbound.js";
import { nobleDataPlane } from "../../src/crypto/noble/data-plane.js";
import { concat, fromHex } from "../../src/wire/bytes.js";
import { unprotect } from "./helpers.js";

function run(sa: AhOutboundSa, packet: Uint8Array): Uint8Array {
  const buf = new Uint8Array(sa.headroom + packet.length);
  buf.set(packet, sa.headroom);
  const at = sa.protect(buf, sa.headroom, buf.length);
  if (typeof at === "string") throw new Error(at);
  return buf.slice(at);
}

describe("AH ICV known answers", () => {
  it("IPv4 transport, HMAC-SHA-256-128, options: router alert, timestamp, loose source route", () => {
    // Header: 20 bytes + options 28 bytes = IHL 12.
    //   94 04 00 00                     router alert (immutable)
    //   44 0c 05 00 01020304 05060708   timestamp (mutable: zeroed)
    //   83 0b 04 c6336401 c6336402 00   LSRR via 198.51.100.1 to 198.51.100.2, then EOL
    const header = fromHex(
      "4c b8 0040 abcd 4000 3f 11 0000 c0000201 c0000263" +
        "94040000" +
        "440c0500 01020304 05060708" +
        "830b04 c6336401 c6336402 00",
    );
    const payload = fromHex("1234 5678 0014 0000 6869 6a6b 6c6d 6e6f 7071 7273");
    const packet = concat(header, payload);
    packet[3] = packet.length;
    const key = fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    const sa = new AhOutboundSa(nobleDataPlane, {
      spi: 0x12345678,
      integrity: "hmac-sha256-128",
      key,
      mode: "transport",
    });
    const got = run(sa, packet);

    // RFC 4302 §2: AH = next header 17, payload length (12 + 16) / 4 − 2 = 5, reserved, SPI, seq 1.
    const ah = fromHex("11 05 0000 12345678 00000001");
    const expectedLength = packet.length + 28;
    // ICV input: the header with Protocol 51 and the new Total Length (immutable), and
    // §3.3.3.1.1.1: TOS, flags/offset, TTL, checksum zeroed; destination = LSRR final (.2);
    // §3.3.3.1.1.2: timestamp and LSRR zeroed whole; router alert and EOL kept.
    const icvHeader = fromHex(
      `4c 00 ${expectedLength.toString(16).padStart(4, "0")} abcd 0000 00 33 0000 c0000201 c6336402` +
        "94040000" +
        "00000000 00000000 00000000" +
        "000000 00000000 00000000 00",
    );
    const icv = hmac(sha256, key, concat(icvHeader, ah, new Uint8Array(16), payload)).slice(0, 16);

    expect(got.length).toBe(expectedLength);
    expect(got.subarray(48, 60)).toEqual(ah);
    expect(got.subarray(60, 76)).toEqual(icv);
    expect(got.subarray(76)).toEqual(payload);
    // The header on the wire keeps its mutable fields, with protocol, length and checksum fixed.
    expect(got.subarray(20, 48)).toEqual(header.subarray(20));
    expect([got[1], got[6], got[8], got[9], got[16], got[19]]).toEqual([0xb8, 0x40, 0x3f, 51, 0xc0, 0x63]);
  });

  it("IPv6 transport, HMAC-SHA1-96, ESN: hop-by-hop options, type 0 routing header in transit", () => {
    const src = fromHex("20010db8000000000000000000000001");
    const dst = fromHex("20010db80000000000000000000000a1"); // first hop
    const via = fromHex("20010db80000000000000000000000a2");
    const final = fromHex("20010db80000000000000000000000ff");
    // HBH (next: routing): router alert 05 02 0000 (immutable), option 3e 02 aabb (may change
    // en route: 0x20 set), then PadN 01 04 00000000 to 16 bytes.
    const hbh = fromHex("2b01 05020000 3e02aabb 0104 00000000");
    // Routing type 0 (next: UDP), 2 addresses, segments left 2.
    const routing = concat(fromHex("1104 00 02 00000000"), via, final);
    const udp = fromHex("04d2 0035 000c 0000 61626364");
    const packet = concat(fromHex("6a b1 2345 0000 00 40"), src, dst, hbh, routing, udp);
    packet[5] = packet.length - 40;
    const key = fromHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
    // Last sent 2^32 + 6: this packet is 2^32 + 7, Seqh = 1, Seql = 7.
    const sa = new AhOutboundSa(nobleDataPlane, {
      spi: 0xc0ffee00,
      integrity: "hmac-sha1-96",
      key,
      mode: "transport",
      esn: true,
      lastSequence: (1n << 32n) + 6n,
    });
    const got = run(sa, packet);

    const ahAt = 40 + hbh.length + routing.length;
    // 12 + 12 = 24 bytes: already a multiple of 8 (§2.6), payload length 4.
    const ah = fromHex("11 04 0000 c0ffee00 00000007");
    const payloadLength = packet.length - 40 + 24;
    // §3.3.3.1.2.1: traffic class, flow label, hop limit zeroed; Next Header and Payload Length
    // as sent. §3.3.3.1.2.2: the data of option 3e zeroed, its type and length kept. Appendix A2:
    // the routing header as at the destination: destination = final, addresses [first hop, via],
    // segments left 0.
    const icvHeader = concat(
      fromHex(`60 00 0000 ${payloadLength.toString(16).padStart(4, "0")} 00 00`),
      src,
      final,
      fromHex("2b01 05020000 3e020000 0104 00000000"),
      fromHex("3304 00 00 00000000"),
      dst,
      via,
    );
    // §3.3.3.2.2: the ESN high-order 32 bits follow the packet.
    const icv = hmac(sha1, key, concat(icvHeader, ah, new Uint8Array(12), udp, fromHex("00000001"))).slice(
      0,
      12,
    );

    expect(got.subarray(ahAt, ahAt + 12)).toEqual(ah);
    expect(got.subarray(ahAt + 12, ahAt + 24)).toEqual(icv);
    expect(got.subarray(ahAt + 24)).toEqual(udp);
    // On the wire the routing header is untouched, its Next Header now AH.
    expect(got[40 + hbh.length]).toBe(51);
    expect(got.subarray(24, 40)).toEqual(dst);
  });

  it("IPv6 tunnel, AES-GMAC-128 (RFC 4543 §4): IV in the AH payload, nonce salt ‖ IV, padding to 64 bits", () => {
    const inner = fromHex("4500 001c 0001 0000 40 11 0000 0a000001 0a000002 1111 2222 0008 0000");
    const aesKey = fromHex("feffe9928665731c6d6a8f9467308308");
    const salt = fromHex("cafebabe");
    const outerSrc = fromHex("fe800000000000000000000000000001");
    const outerDst = fromHex("fe800000000000000000000000000002");
    const sa = new AhOutboundSa(nobleDataPlane, {
      spi: 0x00000100,
      integrity: "aes-gmac-128",
      key: concat(aesKey, salt),
      mode: "tunnel",
      tunnel: { source: outerSrc, destination: outerDst, ttl: 17 },
      lastSequence: 41n,
    });
    const got = run(sa, inner);

    // 12 + 8 (IV) + 16 (ICV) = 36, padded to 40 for IPv6 (§2.6): payload length 40 / 4 − 2 = 8.
    const iv = fromHex("000000000000002a"); // the 64-bit sequence number 42
    const ahFixed = fromHex("04 08 0000 00000100 0000002a");
    const outer = concat(fromHex("6000 0000 0044 33 11"), outerSrc, outerDst);
    // Outer header as covered: traffic class (copied 0), flow label and hop limit zero.
    const outerIcv = concat(fromHex("6000 0000 0044 33 00"), outerSrc, outerDst);
    const aad = concat(outerIcv, ahFixed, iv, new Uint8Array(16), new Uint8Array(4), inner);
    const tag = gcm(aesKey, concat(salt, iv), aad).encrypt(new Uint8Array(0));

    expect(got.subarray(0, 40)).toEqual(outer);
    expect(got.subarray(40, 60)).toEqual(concat(ahFixed, iv));
    expect(got.subarray(60, 76)).toEqual(tag);
    expect(got.subarray(76, 80)).toEqual(new Uint8Array(4));
    expect(got.subarray(80)).toEqual(inner);

    const inb = new AhInboundSa(nobleDataPlane, {
      spi: 0x100,
      integrity: "aes-gmac-128",
      key: concat(aesKey, salt),
      mode: "tunnel",
    });
    expect(unprotect(inb, got)).toEqual(inner);
  });
});
