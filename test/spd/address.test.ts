import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addressWords,
  anyAddress,
  formatAddressRange,
  formatIp,
  parseAddressRange,
  parseIp,
  prefixLength,
  prefixRange,
  rangeContains,
  rangesOverlap,
  wildcardRange,
  wordsToAddress,
} from "../../src/spd/address.js";
import { isPolicyError } from "../../src/spd/errors.js";

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isPolicyError(e)) return e.code;
    throw e;
  }
  return "no error";
}

describe("addresses", () => {
  it("parses and formats IPv4 and IPv6 (RFC 5952 canonical text)", () => {
    expect(parseIp("10.0.110.1")).toEqual({ family: 4, value: 0x0a006e01n });
    expect(formatIp(6, parseIp("2001:DB8:0:0:0:0:0:1").value)).toBe("2001:db8::1");
    expect(formatIp(6, parseIp("2001:db8:0:0:1:0:0:1").value)).toBe("2001:db8::1:0:0:1");
    expect(formatIp(6, parseIp("::").value)).toBe("::");
    expect(formatIp(6, parseIp("::ffff:192.0.2.1").value)).toBe("::ffff:c000:201");
    expect(formatIp(6, parseIp("3FFE:2002::32F7:DFF:FE54:7FD1").value)).toBe("3ffe:2002::32f7:dff:fe54:7fd1");
  });

  it("refuses malformed addresses with a typed error", () => {
    for (const bad of [
      "10.0.0",
      "10.0.0.256",
      "1.2.3.4.5",
      "2001:db8:::1",
      "1:2:3:4:5:6:7:8:9",
      "g::1",
      "::1::",
      "",
    ]) {
      expect(code(() => parseIp(bad))).toBe("bad-address");
    }
  });

  it("parses prefixes, ranges and single addresses", () => {
    expect(parseAddressRange("10.0.0.0/8")).toEqual({ family: 4, start: 0x0a000000n, end: 0x0affffffn });
    expect(parseAddressRange("192.0.2.1-192.0.2.10")).toEqual({
      family: 4,
      start: 0xc0000201n,
      end: 0xc000020an,
    });
    expect(parseAddressRange("2001:db8::/32").end).toBe((0x20010db8n << 96n) | ((1n << 96n) - 1n));
    expect(formatAddressRange(parseAddressRange("10.1.0.0/16"))).toBe("10.1.0.0/16");
    expect(formatAddressRange(parseAddressRange("192.0.2.1-192.0.2.10"))).toBe("192.0.2.1-192.0.2.10");
    expect(formatAddressRange(anyAddress(6))).toBe("::/0");
    expect(prefixLength(parseAddressRange("10.0.0.0-10.0.0.255"))).toBe(24);
    expect(prefixLength(parseAddressRange("10.0.0.1-10.0.0.2"))).toBeNull();
  });

  it("refuses start above end, host bits, mixed families and bad lengths", () => {
    expect(code(() => parseAddressRange("10.0.0.9-10.0.0.1"))).toBe("bad-range");
    expect(code(() => parseAddressRange("10.0.0.1/8"))).toBe("bad-prefix");
    expect(code(() => parseAddressRange("10.0.0.0/33"))).toBe("bad-prefix");
    expect(code(() => parseAddressRange("10.0.0.1-::1"))).toBe("mixed-family");
    expect(code(() => prefixRange(6, 1n, 129))).toBe("bad-prefix");
  });

  it("reads Cisco wildcard masks and refuses discontiguous ones (seeds/004:340)", () => {
    // access-list 100 permit ip 10.0.68.0 0.0.0.255 10.1.1.0 0.0.0.255 (seeds/004:572)
    expect(wildcardRange("10.0.68.0", "0.0.0.255")).toEqual(parseAddressRange("10.0.68.0/24"));
    expect(wildcardRange("10.0.0.0", "0.255.255.255")).toEqual(parseAddressRange("10.0.0.0/8"));
    // IOS ignores address bits under the wildcard.
    expect(wildcardRange("10.1.1.77", "0.0.0.255")).toEqual(parseAddressRange("10.1.1.0/24"));
    expect(wildcardRange("0.0.0.0", "255.255.255.255")).toEqual(anyAddress(4));
    expect(code(() => wildcardRange("10.0.0.0", "0.0.255.0"))).toBe("discontiguous-mask");
  });

  it("answers overlap and containment", () => {
    const a = parseAddressRange("10.0.0.0/8");
    const b = parseAddressRange("10.1.0.0/16");
    const c = parseAddressRange("11.0.0.0/8");
    expect(rangeContains(a, b)).toBe(true);
    expect(rangeContains(b, a)).toBe(false);
    expect(rangesOverlap(a, c)).toBe(false);
    expect(rangesOverlap(a, parseAddressRange("::/0"))).toBe(false);
  });

  it("round-trips text and 32-bit words for any address", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.bigInt({ min: 0n, max: 0xffffffffn }).map((v) => ({ family: 4 as const, v })),
          fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map((v) => ({ family: 6 as const, v })),
        ),
        ({ family, v }) => {
          expect(parseIp(formatIp(family, v))).toEqual({ family, value: v });
          const w = new Uint32Array(4);
          addressWords(family, v, w);
          expect(wordsToAddress(family, w)).toBe(v);
        },
      ),
    );
  });
});
