import { describe, expect, it } from "vitest";
import { ipv4IcvHeader } from "../../src/ah/ipv4-mutable.js";
import {
  findIpv6AhInsertion,
  findIpv6Header,
  type Ipv6Chain,
  ipv6IcvHeader,
} from "../../src/ah/ipv6-mutable.js";
import { concat, fromHex } from "../../src/wire/bytes.js";

const base4 = "4f 00 0000 0000 0000 40 33 0000 0a000001 0a000002";

function icv4(optionsHex: string): Uint8Array | string {
  const h = fromHex(base4 + optionsHex);
  h[0] = 0x40 | (h.length / 4);
  const out = new Uint8Array(60).fill(0xee);
  const r = ipv4IcvHeader(h, h.length, out);
  return r ?? out.slice(0, h.length);
}

describe("IPv4 mutable options (RFC 4302 §3.3.3.1.1.2, Appendix A1)", () => {
  it("classifies each option as RFC 4302 Appendix A1 does", () => {
    const h = "94040000 820400aa 07070400000000 440605010102 01 00 0703040000";
    const got = icv4(h) as Uint8Array;
    expect([...got.subarray(20)]).toEqual([
      ...[0x94, 4, 0, 0], // router alert: immutable
      ...[0x82, 4, 0, 0xaa], // security: immutable
      ...[0, 0, 0, 0, 0, 0, 0], // record route: zeroed whole, type and length included
      ...[0, 0, 0, 0, 0, 0], // timestamp: zeroed whole
      ...[1, 0], // NOP, then EOL
      ...[7, 3, 4, 0, 0], // after EOL: header padding, covered as sent
    ]);
    // Base header: TOS, flags/offset, TTL, checksum zeroed.
    expect([got[1], got[6], got[7], got[8], got[10], got[11]]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("takes the final destination of a loose or strict source route while hops remain", () => {
    for (const type of ["83", "89"]) {
      const pending = icv4(`${type}0b04 c0000201 c0000299 00`) as Uint8Array;
      expect([...pending.subarray(16, 20)]).toEqual([192, 0, 2, 0x99]);
      expect([...pending.subarray(20, 31)]).toEqual(new Array<number>(11).fill(0));
      // Route complete (pointer past the option): the header already holds the final destination.
      const done = icv4(`${type}0b0c c0000201 c0000299 00`) as Uint8Array;
      expect([...done.subarray(16, 20)]).toEqual([10, 0, 0, 2]);
    }
  });

  it("drops malformed options with a typed reason", () => {
    expect(icv4("94")).toBe("bad-ip-options"); // an option type without its length byte
    expect(icv4("0701 0000")).toBe("bad-ip-options"); // length 1
    expect(icv4("0709 000000000000")).toBe("bad-ip-options"); // runs past the header
    expect(icv4("8303 0100")).toBe("bad-ip-options"); // source route without room for an address
    expect(icv4("8302 0000")).toBe("bad-ip-options"); // shorter than its pointer
  });
});

const src = fromHex("20010db8000000000000000000000001");
const dst = fromHex("20010db80000000000000000000000d0");
const a = (n: number): Uint8Array => fromHex(`20010db80000000000000000000000a${n}`);

function v6(nextHeader: number, ext: Uint8Array): Uint8Array {
  const p = concat(fromHex("6fff ffff 0000 00 ff"), src, dst, ext);
  p[5] = ext.length;
  p[6] = nextHeader;
  return p;
}

function icv6(p: Uint8Array, ahOffset: number): Uint8Array | string {
  const out = new Uint8Array(ahOffset);
  return ipv6IcvHeader(p, ahOffset, out) ?? out;
}

describe("IPv6 mutable fields (RFC 4302 §3.3.3.1.2)", () => {
  it("zeroes traffic class, flow label and hop limit, and the data of may-change options only", () => {
    // HBH: option 3e (may change) with 2 data bytes, option 1e (may not) with none.
    const got = icv6(v6(0, fromHex("3300 3e02aabb 1e00")), 48) as Uint8Array;
    expect([...got.subarray(0, 8)]).toEqual([0x60, 0, 0, 0, 0, 8, 0, 0]);
    expect([...got.subarray(40)]).toEqual([0x33, 0, 0x3e, 2, 0, 0, 0x1e, 0]);
    const kept = icv6(v6(0, fromHex("3300 1e02ccdd 3e00")), 48) as Uint8Array;
    expect([...kept.subarray(40)]).toEqual([0x33, 0, 0x1e, 2, 0xcc, 0xdd, 0x3e, 0]);
    expect(icv6(v6(0, fromHex("3300 1e05ccdd 3e00")), 48)).toBe("bad-extension-header");
  });

  it("puts a type 0 routing header in its form at the destination, for any segments left", () => {
    const routing = (left: number) => concat(fromHex(`3306 00 0${left} 00000000`), a(1), a(2), a(3));
    // Segments left 3 (fresh): destination a3, addresses [dst, a1, a2].
    const fresh = icv6(v6(43, routing(3)), 96) as Uint8Array;
    expect(fresh.subarray(24, 40)).toEqual(a(3));
    expect(fresh.subarray(48)).toEqual(concat(dst, a(1), a(2)));
    expect(fresh[43]).toBe(0);
    // Segments left 1 (two hops done; the packet now carries dst = a2, addresses [d, a1, a3]).
    const d = fromHex("20010db800000000000000000000dddd");
    const p = v6(43, concat(fromHex("3306 00 01 00000000"), d, a(1), a(3)));
    p.set(a(2), 24);
    const late = icv6(p, 96) as Uint8Array;
    expect(late.subarray(24, 40)).toEqual(a(3));
    expect(late.subarray(48)).toEqual(concat(d, a(1), a(2)));
    // The same packet, forwarded to the end, gives the same bytes.
    const end = v6(43, concat(fromHex("3306 00 00 00000000"), d, a(1), a(2)));
    end.set(a(3), 24);
    expect(icv6(end, 96)).toEqual(late);
  });

  it("checks routing headers: type 2 carries one address, segments left at most the addresses", () => {
    expect(icv6(v6(43, concat(fromHex("3304 02 01 00000000"), a(1), a(2))), 80)).toBe("bad-extension-header");
    expect(icv6(v6(43, concat(fromHex("3302 00 02 00000000"), a(1))), 64)).toBe("bad-extension-header");
    expect(icv6(v6(43, concat(fromHex("3303 00 01 00000000"), a(1), fromHex("0000000000000000"))), 72)).toBe(
      "bad-extension-header",
    );
    const mip = icv6(v6(43, concat(fromHex("3302 02 01 00000000"), a(7))), 64) as Uint8Array;
    expect(mip.subarray(24, 40)).toEqual(a(7));
    expect(mip.subarray(48)).toEqual(dst);
  });

  it("walks to AH and to AH's insertion point with bounds checks", () => {
    const chain: Ipv6Chain = { ahOffset: 0, nextHeaderAt: 0 };
    // HBH → Destination Options → Routing (type 0, no addresses) → Destination Options → UDP.
    const p = v6(
      0,
      fromHex("3c00 01040000 0000" + "2b00 01040000 0000" + "3c00 00 00 00000000" + "1100 01040000 0000"),
    );
    expect(findIpv6AhInsertion(p, chain)).toBeNull();
    expect([chain.ahOffset, chain.nextHeaderAt]).toEqual([64, 56]);
    expect(findIpv6Header(p, 51, chain)).toBe("not-ah");
    expect(findIpv6Header(v6(60, fromHex("0000 01040000 0000")), 51, chain)).toBe("bad-extension-header");
    expect(findIpv6Header(v6(0, fromHex("3301 01040000 0000")), 51, chain)).toBe("truncated");
    expect(findIpv6Header(v6(44, fromHex("3300 0000 00000000")), 51, chain)).toBe("fragment");
    expect(findIpv6Header(v6(0, fromHex("3300 01040000 0000")), 51, chain)).toBeNull();
    expect([chain.ahOffset, chain.nextHeaderAt]).toEqual([48, 40]);
  });
});
