/**
 * AH interop with scapy's `SecurityAssociation(AH, …)` (Debian python3-scapy 2.5): for every
 * integrity algorithm both support, tunnel and transport mode, IPv4 and IPv6, with and without
 * ESN, scapy verifies and strips what ike-ts protected, and ike-ts verifies and strips what scapy
 * protected; both backends.
 *
 * scapy 2.5 has no AES-XCBC-96 or AES-GMAC for AH, mishandles packets with mutable IPv4 options,
 * and does not apply RFC 4302's LSRR/SSRR and routing-header rules the way the RFC reads; those
 * are covered by the hand-built ICV known answers in test/ah instead.
 */
import { describe, expect, it } from "vitest";
import { AhInboundSa } from "../../src/ah/inbound.js";
import { AhOutboundSa } from "../../src/ah/outbound.js";
import type { CryptoBackend } from "../../src/crypto/backend.js";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import { integrityByName } from "../../src/crypto/registry.js";
import { nodeBackend } from "../../src/node/backend.js";
import { toHex } from "../../src/wire/bytes.js";
import { ipv4Packet, ipv6Packet } from "../esp/helpers.js";
import {
  fromHexString,
  type OracleCase,
  runOracle,
  V4_OUTER,
  V6_OUTER,
  withChecksums,
} from "./scapy-oracle.js";

const ALGORITHMS = [
  { name: "hmac-sha1-96", scapy: "HMAC-SHA1-96" },
  { name: "hmac-sha256-128", scapy: "SHA2-256-128" },
  { name: "hmac-sha384-192", scapy: "SHA2-384-192" },
  { name: "hmac-sha512-256", scapy: "SHA2-512-256" },
  { name: "aes-cmac-96", scapy: "AES-CMAC-96" },
  { name: "hmac-md5-96", scapy: "HMAC-MD5-96", legacy: true },
] as const;

interface Shape {
  readonly mode: "tunnel" | "transport";
  readonly family: 4 | 6;
  readonly esn: boolean;
}
const SHAPES: Shape[] = [];
for (const mode of ["tunnel", "transport"] as const)
  for (const family of [4, 6] as const) for (const esn of [false, true]) SHAPES.push({ mode, family, esn });

const OUTER_BYTES = {
  4: { source: Uint8Array.of(192, 0, 2, 10), destination: Uint8Array.of(192, 0, 2, 20) },
  6: {
    source: Uint8Array.of(0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10),
    destination: Uint8Array.of(0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20),
  },
} as const;

const INNER = (() => {
  const raw: Uint8Array[] = [];
  for (const family of [4, 6] as const)
    for (let n = 0; n < 3; n++) {
      const udp = new Uint8Array(8 + 10 + n * 7);
      udp.set([0x04, 0xd2, 0x16, 0x2e, (udp.length >>> 8) & 0xff, udp.length & 0xff, 0, 0]);
      for (let i = 8; i < udp.length; i++) udp[i] = (i * 13 + n) & 0xff;
      raw.push(family === 4 ? ipv4Packet(17, udp, 0x2000 + n) : ipv6Packet(17, udp));
    }
  const fixed = withChecksums(raw);
  return { 4: fixed.slice(0, 3), 6: fixed.slice(3) } as const;
})();

function key(n: number, seed: number): Uint8Array {
  const k = new Uint8Array(n);
  for (let i = 0; i < n; i++) k[i] = (seed * 29 + i * 17) & 0xff;
  return k;
}

function oracleCase(
  alg: (typeof ALGORITHMS)[number],
  shape: Shape,
  spi: number,
  k: Uint8Array,
  op: "encrypt" | "decrypt",
  seq: number,
  esnHigh: number,
  packet: Uint8Array,
): OracleCase {
  return {
    op,
    proto: "AH",
    spi,
    seq,
    esn_en: shape.esn,
    esn: esnHigh,
    auth_algo: alg.scapy,
    auth_key: toHex(k),
    tunnel: shape.mode === "tunnel" ? (shape.family === 4 ? V4_OUTER : V6_OUTER) : null,
    packet: toHex(packet),
  };
}

describe.each(
  [nobleBackend, nodeBackend].map((backend: CryptoBackend) => ({ backend, name: backend.name })),
)("scapy AH interop, $name backend", ({ backend }) => {
  it("scapy verifies and strips what ike-ts protects", () => {
    const cases: OracleCase[] = [];
    const expected: string[] = [];
    let spi = 0x5000;
    for (const alg of ALGORITHMS)
      for (const shape of SHAPES) {
        const id = spi++;
        const k = key(integrityByName(alg.name)!.keyLength, id & 0xff);
        const esnHigh = shape.esn ? 3 : 0;
        const sa = new AhOutboundSa(backend, {
          spi: id,
          integrity: alg.name,
          key: k,
          mode: shape.mode,
          esn: shape.esn,
          allowLegacy: "legacy" in alg,
          ...(shape.mode === "tunnel" ? { tunnel: OUTER_BYTES[shape.family] } : {}),
          ...(shape.esn ? { lastSequence: (BigInt(esnHigh) << 32n) + 99n } : {}),
        });
        INNER[shape.family].forEach((inner, n) => {
          const buf = new Uint8Array(sa.headroom + inner.length);
          buf.set(inner, sa.headroom);
          const at = sa.protect(buf, sa.headroom, buf.length);
          expect(typeof at).toBe("number");
          cases.push(oracleCase(alg, shape, id, k, "decrypt", 100 + n, esnHigh, buf.subarray(at as number)));
          expected.push(toHex(inner));
        });
        sa.destroy();
      }
    const results = runOracle(cases);
    const failures = results.flatMap((r, i) =>
      r.ok && r.packet === expected[i]
        ? []
        : [
            `${cases[i]!.auth_algo} ${JSON.stringify(cases[i]!.tunnel)} esn=${cases[i]!.esn_en}: ${r.error ?? r.packet}`,
          ],
    );
    expect(failures).toEqual([]);
    expect(cases.length).toBe(ALGORITHMS.length * SHAPES.length * 3);
  });

  it("ike-ts verifies and strips what scapy protects", () => {
    const cases: OracleCase[] = [];
    const meta: { sa: AhInboundSa; inner: Uint8Array; label: string }[] = [];
    const sas: AhInboundSa[] = [];
    let spi = 0x6000;
    for (const alg of ALGORITHMS)
      for (const shape of SHAPES) {
        const id = spi++;
        const k = key(integrityByName(alg.name)!.keyLength, id & 0xff);
        const sa = new AhInboundSa(backend, {
          spi: id,
          integrity: alg.name,
          key: k,
          mode: shape.mode,
          esn: shape.esn,
          allowLegacy: "legacy" in alg,
          replayWindow: 64,
        });
        sas.push(sa);
        INNER[shape.family].forEach((inner, n) => {
          cases.push(oracleCase(alg, shape, id, k, "encrypt", 5 + n, 0, inner));
          meta.push({ sa, inner, label: `${alg.name} ${JSON.stringify(shape)}` });
        });
      }
    const results = runOracle(cases);
    const failures: string[] = [];
    results.forEach((r, i) => {
      const m = meta[i]!;
      if (!r.ok) {
        failures.push(`${m.label}: scapy: ${r.error}`);
        return;
      }
      const wire = fromHexString(r.packet!);
      const at = m.sa.unprotect(wire, 0, wire.length);
      const got = typeof at === "number" ? toHex(wire.subarray(at)) : at;
      if (got !== toHex(m.inner)) failures.push(`${m.label}: ike-ts got ${got}`);
    });
    for (const sa of sas) sa.destroy();
    expect(failures).toEqual([]);
  });
});
