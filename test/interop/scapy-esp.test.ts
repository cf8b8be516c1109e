/**
 * ESP interop with an independent implementation: scapy's `SecurityAssociation` (Debian
 * python3-scapy 2.5). For every suite both support, in tunnel and transport mode, IPv4 and IPv6,
 * with and without ESN and UDP encapsulation:
 * - scapy decrypts what ike-ts protected and gets the original packet back;
 * - ike-ts unprotects what scapy encrypted and gets the original packet back.
 * Both directions run for both shipped backends.
 *
 * What scapy 2.5 cannot check, and so is left to the vector and differential tests:
 * - truncated GCM ICVs (8 and 12 bytes): its AES-GCM goes through a 16-byte-tag-only API;
 * - ESN with a separate integrity transform: its ESP `sign`/`verify` never append the high-order
 *   sequence bits (it uses them only in AEAD AAD and in AH), so ESN runs only with AEAD suites;
 * - decryption of transport-mode ESP-in-UDP over IPv6: it leaves the UDP header in the result.
 */
import { describe, expect, it } from "vitest";
import type { CryptoBackend } from "../../src/crypto/backend.js";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import { encryptionByName, integrityByName } from "../../src/crypto/registry.js";
import { EspInboundSa } from "../../src/esp/inbound.js";
import { EspOutboundSa } from "../../src/esp/outbound.js";
import { nodeBackend } from "../../src/node/backend.js";
import { toHex } from "../../src/wire/bytes.js";
import { ipv4Packet, ipv6Packet } from "../esp/helpers.js";
import {
  fromHexString,
  type OracleCase,
  outerPacket,
  runOracle,
  V4_OUTER,
  V6_OUTER,
  withChecksums,
} from "./scapy-oracle.js";

interface Suite {
  readonly encryption: string;
  readonly keyBits: number;
  readonly integrity?: string;
  readonly scapyCrypt: string;
  readonly scapyAuth?: string;
  readonly icv?: number;
  readonly legacy?: boolean;
}

const SUITES: readonly Suite[] = [
  {
    encryption: "aes-cbc",
    keyBits: 128,
    integrity: "hmac-sha1-96",
    scapyCrypt: "AES-CBC",
    scapyAuth: "HMAC-SHA1-96",
  },
  {
    encryption: "aes-cbc",
    keyBits: 256,
    integrity: "hmac-sha256-128",
    scapyCrypt: "AES-CBC",
    scapyAuth: "SHA2-256-128",
  },
  {
    encryption: "aes-cbc",
    keyBits: 192,
    integrity: "hmac-sha384-192",
    scapyCrypt: "AES-CBC",
    scapyAuth: "SHA2-384-192",
  },
  {
    encryption: "aes-cbc",
    keyBits: 128,
    integrity: "hmac-sha512-256",
    scapyCrypt: "AES-CBC",
    scapyAuth: "SHA2-512-256",
  },
  {
    encryption: "aes-cbc",
    keyBits: 128,
    integrity: "aes-cmac-96",
    scapyCrypt: "AES-CBC",
    scapyAuth: "AES-CMAC-96",
  },
  {
    encryption: "aes-ctr",
    keyBits: 128,
    integrity: "hmac-sha256-128",
    scapyCrypt: "AES-CTR",
    scapyAuth: "SHA2-256-128",
  },
  {
    encryption: "aes-ctr",
    keyBits: 256,
    integrity: "hmac-sha1-96",
    scapyCrypt: "AES-CTR",
    scapyAuth: "HMAC-SHA1-96",
  },
  { encryption: "aes-gcm-16", keyBits: 128, scapyCrypt: "AES-GCM", icv: 16 },
  { encryption: "aes-gcm-16", keyBits: 256, scapyCrypt: "AES-GCM", icv: 16 },
  { encryption: "aes-ccm-16", keyBits: 128, scapyCrypt: "AES-CCM", icv: 16 },
  { encryption: "aes-ccm-8", keyBits: 256, scapyCrypt: "AES-CCM", icv: 8 },
  { encryption: "chacha20-poly1305", keyBits: 256, scapyCrypt: "CHACHA20-POLY1305", icv: 16 },
  {
    encryption: "null",
    keyBits: 0,
    integrity: "hmac-sha256-128",
    scapyCrypt: "NULL",
    scapyAuth: "SHA2-256-128",
  },
  {
    encryption: "3des-cbc",
    keyBits: 192,
    integrity: "hmac-md5-96",
    scapyCrypt: "3DES",
    scapyAuth: "HMAC-MD5-96",
    legacy: true,
  },
  {
    encryption: "des-cbc",
    keyBits: 64,
    integrity: "hmac-sha1-96",
    scapyCrypt: "DES",
    scapyAuth: "HMAC-SHA1-96",
    legacy: true,
  },
];

interface Shape {
  readonly mode: "tunnel" | "transport";
  readonly family: 4 | 6;
  readonly esn: boolean;
  readonly natT: boolean;
}

const SHAPES: Shape[] = [];
for (const mode of ["tunnel", "transport"] as const)
  for (const family of [4, 6] as const)
    for (const esn of [false, true])
      for (const natT of [false, true]) SHAPES.push({ mode, family, esn, natT });

/** The shapes scapy can check for a suite in a direction (see the file comment). */
function shapesFor(suite: Suite, scapyDecrypts: boolean): readonly Shape[] {
  return SHAPES.filter(
    (s) =>
      (!s.esn || suite.icv !== undefined) &&
      !(scapyDecrypts && s.mode === "transport" && s.natT && s.family === 6),
  );
}

const BACKENDS: readonly CryptoBackend[] = [nobleBackend, nodeBackend];

function keyBytes(n: number, seed: number): Uint8Array {
  const k = new Uint8Array(n);
  for (let i = 0; i < n; i++) k[i] = (seed * 37 + i * 11) & 0xff;
  return k;
}

/**
 * Inner packets: UDP over IPv4 and IPv6 with payload lengths varied so padding varies, and real
 * checksums (transport-mode NAT-T decapsulation recomputes the UDP checksum, RFC 3948 §3.1.2).
 */
const INNER = new Map<string, Uint8Array>();
{
  const raw: Uint8Array[] = [];
  const keys: string[] = [];
  for (const family of [4, 6] as const)
    for (let n = 0; n < 12; n++) {
      const udp = new Uint8Array(8 + 13 + n);
      udp.set([0x30, 0x39, 0x00, 0x35, (udp.length >>> 8) & 0xff, udp.length & 0xff, 0, 0]);
      for (let i = 8; i < udp.length; i++) udp[i] = (i * 7 + n) & 0xff;
      raw.push(family === 4 ? ipv4Packet(17, udp, 0x4000 + n) : ipv6Packet(17, udp));
      keys.push(`${family}/${n}`);
    }
  for (const [i, p] of withChecksums(raw).entries()) INNER.set(keys[i]!, p);
}

function innerPacket(family: 4 | 6, n: number): Uint8Array {
  return INNER.get(`${family}/${n}`)!;
}

interface Built {
  readonly suite: Suite;
  readonly shape: Shape;
  readonly spi: number;
  readonly encKey: Uint8Array;
  readonly integKey: Uint8Array | undefined;
}

function build(suite: Suite, shape: Shape, spi: number): Built {
  const enc = encryptionByName(suite.encryption)!;
  const integ = suite.integrity === undefined ? undefined : integrityByName(suite.integrity)!;
  return {
    suite,
    shape,
    spi,
    encKey: keyBytes(suite.keyBits / 8 + enc.saltLength, spi & 0xff),
    integKey: integ === undefined ? undefined : keyBytes(integ.keyLength, (spi >>> 8) & 0xff),
  };
}

function saOptions(b: Built) {
  return {
    spi: b.spi,
    encryption: b.suite.encryption,
    encryptionKey: b.encKey,
    mode: b.shape.mode,
    esn: b.shape.esn,
    allowLegacy: b.suite.legacy === true,
    ...(b.suite.integrity === undefined ? {} : { integrity: b.suite.integrity, integrityKey: b.integKey! }),
    ...(b.shape.natT ? { udpEncapsulation: { sourcePort: 4500, destinationPort: 4500 } } : {}),
  };
}

function oracleCase(
  b: Built,
  op: "encrypt" | "decrypt",
  seq: number,
  esnHigh: number,
  packet: Uint8Array,
): OracleCase {
  const outer = b.shape.family === 4 ? V4_OUTER : V6_OUTER;
  return {
    op,
    proto: "ESP",
    spi: b.spi,
    seq,
    esn_en: b.shape.esn,
    esn: esnHigh,
    crypt_algo: b.suite.scapyCrypt,
    crypt_key: toHex(b.encKey),
    ...(b.suite.icv === undefined ? {} : { crypt_icv_size: b.suite.icv }),
    auth_algo: b.suite.scapyAuth ?? "NULL",
    ...(b.integKey === undefined ? {} : { auth_key: toHex(b.integKey) }),
    tunnel: b.shape.mode === "tunnel" ? outer : null,
    nat_t: b.shape.natT,
    packet: toHex(packet),
  };
}

/** Where ike-ts's inbound SA wants its input in a packet scapy produced. */
function inboundSlice(b: Built, wire: Uint8Array): Uint8Array {
  if (b.shape.mode === "transport") return wire;
  const ipLen = b.shape.family === 4 ? (wire[0]! & 0x0f) * 4 : 40;
  return wire.subarray(ipLen + (b.shape.natT ? 8 : 0));
}

describe.each(
  BACKENDS.map((backend) => ({ backend, name: backend.name })),
)("scapy ESP interop, $name backend", ({ backend }) => {
  it("scapy decrypts what ike-ts protects, for every suite and shape", () => {
    const cases: OracleCase[] = [];
    const expected: string[] = [];
    let spi = 0x2000;
    for (const suite of SUITES)
      for (const shape of shapesFor(suite, true)) {
        const b = build(suite, shape, spi++);
        // With ESN, start the 64-bit counter above 2^32 so the high-order bits are not zero.
        const esnHigh = shape.esn ? 5 : 0;
        const out = new EspOutboundSa(backend, {
          ...saOptions(b),
          ...(shape.esn ? { lastSequence: (BigInt(esnHigh) << 32n) + 40n } : {}),
        });
        for (let n = 0; n < 3; n++) {
          const inner = innerPacket(shape.family, n * 5);
          const wire = new Uint8Array(out.maxOutputLength(inner.length));
          const len = out.protect(inner, 0, inner.length, wire, 0);
          expect(typeof len).toBe("number");
          const esp = wire.subarray(0, len as number);
          const packet =
            shape.mode === "tunnel" ? outerPacket(shape.family, shape.natT ? 17 : 50, esp) : esp.slice();
          cases.push(oracleCase(b, "decrypt", 41 + n, esnHigh, packet));
          expected.push(toHex(inner));
        }
        out.destroy();
      }
    const results = runOracle(cases);
    const failures = results.flatMap((r, i) =>
      r.ok && r.packet === expected[i]
        ? []
        : [`${JSON.stringify({ ...cases[i], packet: undefined })}: ${r.error ?? r.packet}`],
    );
    expect(failures).toEqual([]);
    expect(results.length).toBe(cases.length);
    expect(cases.length).toBeGreaterThan(SUITES.length * 8 * 3);
  });

  it("ike-ts unprotects what scapy encrypts, for every suite and shape", () => {
    const cases: OracleCase[] = [];
    const builds: Built[] = [];
    const inners: Uint8Array[] = [];
    let spi = 0x3000;
    for (const suite of SUITES)
      for (const shape of shapesFor(suite, false)) {
        const b = build(suite, shape, spi++);
        for (let n = 0; n < 3; n++) {
          const inner = innerPacket(shape.family, 1 + n * 3);
          cases.push(oracleCase(b, "encrypt", 7 + n, 0, inner));
          builds.push(b);
          inners.push(inner);
        }
      }
    const results = runOracle(cases);
    const failures: string[] = [];
    const sas = new Map<number, EspInboundSa>();
    results.forEach((r, i) => {
      const b = builds[i]!;
      const label = `${b.suite.encryption}/${b.suite.keyBits} ${JSON.stringify(b.shape)}`;
      if (!r.ok) {
        failures.push(`${label}: scapy: ${r.error}`);
        return;
      }
      let sa = sas.get(b.spi);
      if (sa === undefined) {
        sa = new EspInboundSa(backend, { ...saOptions(b), replayWindow: 64 });
        sas.set(b.spi, sa);
      }
      const wire = inboundSlice(b, fromHexString(r.packet!));
      const res = sa.unprotect(wire, 0, wire.length);
      const got =
        res.status === "packet" ? toHex(wire.subarray(res.offset, res.offset + res.length)) : res.reason;
      if (got !== toHex(inners[i]!)) failures.push(`${label}: ike-ts got ${got}`);
    });
    for (const sa of sas.values()) sa.destroy();
    expect(failures).toEqual([]);
  });
});
