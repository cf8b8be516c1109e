/**
 * `npm run demo:esp`: ike-ts's ESP data plane in a few packets.
 *
 * Builds an ESP SA pair (AES-256-GCM-16 for tunnel mode, AES-128-CBC + HMAC-SHA-256-128 for
 * transport mode, and an ESP-in-UDP tunnel SA), protects IPv4 and IPv6 packets, prints each
 * protected packet field by field, and decapsulates it again with the inbound SA.
 */
import { EspInboundSa, EspOutboundSa, type EspSaOptions, plaintextMtu } from "../src/esp/index.js";
import { nodeBackend } from "../src/node/index.js";
import { toHex } from "../src/wire/index.js";

const backend = nodeBackend;
const key = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (seed + i * 7) & 0xff);

/** A small ICMP echo request over IPv4 (198.19.0.1 -> 198.19.0.2). */
function icmp4(): Uint8Array {
  const data = new TextEncoder().encode("hello from ike-ts");
  const p = new Uint8Array(28 + data.length);
  p.set([0x45, 0, 0, p.length, 0x12, 0x34, 0x40, 0, 64, 1, 0, 0, 198, 19, 0, 1, 198, 19, 0, 2]);
  p.set([8, 0, 0, 0, 0x4e, 0x53, 0, 1], 20);
  p.set(data, 28);
  const sum = (from: number, to: number) => {
    let s = 0;
    for (let i = from; i < to; i += 2) s += (p[i]! << 8) | (p[i + 1] ?? 0);
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    return ~s & 0xffff;
  };
  const ip = sum(0, 20);
  p[10] = ip >>> 8;
  p[11] = ip & 0xff;
  const icmp = sum(20, p.length);
  p[22] = icmp >>> 8;
  p[23] = icmp & 0xff;
  return p;
}

/** A UDP datagram over IPv6 (2001:db8::1 -> 2001:db8::2). */
function udp6(): Uint8Array {
  const data = new TextEncoder().encode("ipv6 payload");
  const p = new Uint8Array(48 + data.length);
  p.set([0x60, 0, 0, 0, 0, 8 + data.length, 17, 64]);
  p.set([0x20, 0x01, 0x0d, 0xb8], 8);
  p[23] = 1;
  p.set([0x20, 0x01, 0x0d, 0xb8], 24);
  p[39] = 2;
  p.set([0x30, 0x39, 0x00, 0x35, 0, 8 + data.length, 0, 0], 40);
  p.set(data, 48);
  return p;
}

function field(name: string, bytes: Uint8Array, note = ""): void {
  const hex = toHex(bytes);
  const shown = hex.length > 64 ? `${hex.slice(0, 64)}…` : hex;
  console.log(`    ${name.padEnd(12)} ${shown}${note ? `  (${note})` : ""}`);
}

function show(title: string, options: EspSaOptions, inner: Uint8Array): void {
  const out = new EspOutboundSa(backend, options);
  const inb = new EspInboundSa(backend, { ...options, replayWindow: 64 });
  const wire = new Uint8Array(out.maxOutputLength(inner.length));
  const len = out.protect(inner, 0, inner.length, wire, 0);
  if (typeof len !== "number") throw new Error(`protect refused: ${len}`);
  const p = wire.subarray(0, len);

  const enc = out.encryption;
  console.log(`\n${title}`);
  console.log(
    `  ${options.mode} mode, ${enc}${out.integrity ? ` + ${out.integrity}` : ""}, SPI 0x${options.spi.toString(16)}`,
  );
  console.log(`  inner packet (${inner.length} bytes): ${toHex(inner)}`);
  console.log(`  protected packet (${len} bytes):`);
  let at = 0;
  if (options.mode === "transport") {
    const ihl = p[0]! >>> 4 === 4 ? (p[0]! & 15) * 4 : 40;
    field("ip header", p.subarray(0, ihl), "protocol now 50, lengths and checksum fixed");
    at = ihl;
  }
  if (options.udpEncapsulation) {
    field("udp header", p.subarray(at, at + 8), "RFC 3948 ESP-in-UDP, checksum 0");
    at += 8;
  }
  const cbc = enc === "aes-cbc";
  const ivLen = cbc ? 16 : 8;
  const icvLen = 16; // GCM-16 tag, or HMAC-SHA-256 truncated to 128 bits (RFC 4868)
  field("spi", p.subarray(at, at + 4));
  field("sequence", p.subarray(at + 4, at + 8));
  field(
    "iv",
    p.subarray(at + 8, at + 8 + ivLen),
    cbc ? "random (RFC 3602)" : "the 64-bit counter (RFC 4106 §3.1)",
  );
  field(
    "ciphertext",
    p.subarray(at + 8 + ivLen, len - icvLen),
    "payload + padding + pad length + next header",
  );
  field("icv", p.subarray(len - icvLen), `${icvLen}-byte integrity check value`);

  // The inbound SA takes the ESP packet (tunnel: the UDP payload when encapsulated) or, in
  // transport mode, the whole IP packet; it decrypts in place.
  const again = p.slice();
  const from = options.mode === "tunnel" && options.udpEncapsulation ? 8 : 0;
  const r = inb.unprotect(wire, from, len);
  const back = wire.subarray(r.offset, r.offset + r.length);
  const same = r.status === "packet" && toHex(back) === toHex(inner);
  console.log(
    `  inbound SA: ${r.status}, next header ${r.nextHeader}, seq ${r.seqLo} -> ${same ? "matches the original" : "MISMATCH"}`,
  );
  const replay = inb.unprotect(again, from, len);
  console.log(`  the same packet again: ${replay.status} (${replay.reason})`);
  out.destroy();
  inb.destroy();
  if (!same) process.exitCode = 1;
}

console.log("ike-ts ESP demo (node:crypto backend)");
show(
  "1. IPv4 ICMP echo through an AES-256-GCM tunnel",
  { spi: 0x1001, encryption: "aes-gcm-16", encryptionKey: key(36, 1), mode: "tunnel" },
  icmp4(),
);
show(
  "2. IPv6 UDP through the same kind of tunnel, ESP in UDP (NAT traversal)",
  {
    spi: 0x1002,
    encryption: "aes-gcm-16",
    encryptionKey: key(36, 2),
    mode: "tunnel",
    udpEncapsulation: { sourcePort: 4500, destinationPort: 4500 },
  },
  udp6(),
);
show(
  "3. IPv4 ICMP in transport mode, AES-128-CBC + HMAC-SHA-256-128",
  {
    spi: 0x1003,
    encryption: "aes-cbc",
    encryptionKey: key(16, 3),
    integrity: "hmac-sha256-128",
    integrityKey: key(32, 4),
    mode: "transport",
  },
  icmp4(),
);
show(
  "4. IPv6 UDP in transport mode, AES-128-CBC + HMAC-SHA-256-128",
  {
    spi: 0x1004,
    encryption: "aes-cbc",
    encryptionKey: key(16, 5),
    integrity: "hmac-sha256-128",
    integrityKey: key(32, 6),
    mode: "transport",
  },
  udp6(),
);

const mtu = plaintextMtu(
  { encryption: "aes-cbc", integrity: "hmac-sha1-96", mode: "tunnel", family: "ipv4" },
  1500,
);
console.log(`\nplaintext MTU for an AES-CBC + HMAC-SHA1-96 IPv4 tunnel at path MTU 1500: ${mtu}`);
