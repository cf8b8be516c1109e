/**
 * ESP overhead and plaintext MTU, against the Cisco guide's figure and against what the SA
 * actually produces.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import { espOverhead, plaintextMtu } from "../../src/esp/mtu.js";
import { EspOutboundSa } from "../../src/esp/outbound.js";
import { buildInner } from "./packets.js";
import { SUITES, suiteOptions } from "./suites.js";

describe("plaintext MTU", () => {
  it("AES-CBC + HMAC-SHA1-96, tunnel, IPv4, path MTU 1500 → 1438, as IOS shows it", () => {
    // /work/shared/seeds/004_9b32873b9d26e436.txt line 2805:
    // "plaintext mtu 1438, path mtu 1500, ip mtu 1500, ip mtu idb Ethernet0/0"
    const framing = {
      encryption: "aes-cbc",
      integrity: "hmac-sha1-96",
      mode: "tunnel",
      family: "ipv4",
    } as const;
    expect(plaintextMtu(framing, 1500)).toBe(1438);
    // 20 (outer IPv4) + 8 (SPI, seq) + 16 (IV) + 0 padding + 2 (trailer) + 12 (ICV).
    expect(espOverhead(framing, 1438)).toBe(58);
  });

  it("is the largest inner packet whose protected form fits, for every suite and framing", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SUITES),
        fc.constantFrom("tunnel" as const, "transport" as const),
        fc.constantFrom(4 as const, 6 as const),
        fc.boolean(),
        fc.integer({ min: 200, max: 9000 }),
        (suite, mode, family, udp, pathMtu) => {
          const framing = {
            encryption: suite.encryption,
            ...(suite.integrity !== undefined && { integrity: suite.integrity }),
            mode,
            family: family === 4 ? ("ipv4" as const) : ("ipv6" as const),
            udpEncapsulation: udp,
          };
          const sa = new EspOutboundSa(nobleBackend, {
            spi: 0x4000,
            mode,
            ...suiteOptions(suite),
            ...(udp && { udpEncapsulation: { sourcePort: 4500, destinationPort: 4500 } }),
          });
          const outer = mode === "tunnel" ? (family === 4 ? 20 : 40) : 0;
          const wire = (innerLength: number): number => {
            const header = family === 4 ? 20 : 40;
            const inner = buildInner({
              family,
              protocol: 17,
              extensions: [],
              payload: new Uint8Array(innerLength - header),
            });
            const out = new Uint8Array(innerLength + 400);
            const n = sa.protect(inner, 0, inner.length, out, 0) as number;
            expect(espOverhead(framing, innerLength)).toBe(outer + n - innerLength);
            return outer + n;
          };
          const mtu = plaintextMtu(framing, pathMtu);
          expect(wire(mtu)).toBeLessThanOrEqual(pathMtu);
          expect(wire(mtu + 1)).toBeGreaterThan(pathMtu);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("is 0 when nothing fits", () => {
    expect(plaintextMtu({ encryption: "aes-gcm-16", mode: "tunnel", family: "ipv6" }, 60)).toBe(0);
  });
});
