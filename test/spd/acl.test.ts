import { describe, expect, it } from "vitest";
import { parseAccessListEntry, parseAccessLists } from "../../src/spd/acl.js";
import { anyAddress, parseAddressRange } from "../../src/spd/address.js";
import { isPolicyError } from "../../src/spd/errors.js";
import { PORT_ANY } from "../../src/spd/selector.js";

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isPolicyError(e)) return e.code;
    throw e;
  }
  return "no error";
}

describe("crypto access lists", () => {
  it("reads the guides' numbered crypto ACLs; source is local, destination remote", () => {
    // seeds/004:982-984
    const lists = parseAccessLists(
      [
        "access-list 110 deny ip 10.0.110.0 0.0.0.255 10.0.110.0 0.0.0.255",
        "access-list 110 permit ip 10.0.110.0 0.0.0.255 any",
        "access-list 120 permit ip 10.0.110.0 0.0.0.255 10.0.110.0 0.0.0.255",
      ].join("\n"),
    );
    const l110 = lists.get("110")!;
    expect(l110.entries.map((e) => e.action)).toEqual(["deny", "permit"]);
    expect(l110.entries[1]!.selectors[0]).toEqual({
      local: parseAddressRange("10.0.110.0/24"),
      remote: anyAddress(4),
      protocol: 0,
      localPort: PORT_ANY,
      remotePort: PORT_ANY,
    });
    expect(l110.entries[1]!.line).toBe(2);
    expect(lists.get("120")!.entries).toHaveLength(1);
  });

  it("reads host entries, protocols and named extended lists (seeds/001:1012-1014, 004:4892)", () => {
    const lists = parseAccessLists(
      [
        "ip access-list extended encrypt",
        " permit ip host 10.0.0.1 host 10.5.0.1",
        " remark mirrored on the peer",
        "access-list 101 permit ip host 10.20.20.20 host 10.10.10.10",
        "Router(config)# access-list 110 permit gre host 192.168.0.16 host 172.16.0.12",
      ].join("\n"),
    );
    const enc = lists.get("encrypt")!.entries[0]!.selectors[0]!;
    expect(enc.local).toEqual(parseAddressRange("10.0.0.1"));
    expect(enc.remote).toEqual(parseAddressRange("10.5.0.1"));
    expect(lists.get("encrypt")!.entries).toHaveLength(1);
    expect(lists.get("110")!.entries[0]!.selectors[0]!.protocol).toBe(47);
  });

  it("reads port operators and IOS port names", () => {
    const e = parseAccessListEntry("permit tcp host 1.2.3.4 eq 80 any");
    expect(e.selectors[0]!.localPort).toEqual({ start: 80, end: 80 });
    expect(e.selectors[0]!.remotePort).toEqual(PORT_ANY);
    expect(
      parseAccessListEntry("permit udp any any eq isakmp non500-isakmp").selectors.map(
        (s) => s.remotePort.start,
      ),
    ).toEqual([500, 4500]);
    expect(parseAccessListEntry("permit tcp any range 1000 2000 any gt 1023").selectors[0]).toMatchObject({
      localPort: { start: 1000, end: 2000 },
      remotePort: { start: 1024, end: 65535 },
    });
    expect(parseAccessListEntry("permit tcp any any lt www log").selectors[0]!.remotePort).toEqual({
      start: 0,
      end: 79,
    });
    // neq is two ranges: one ACE, two selector sets.
    expect(parseAccessListEntry("deny tcp any any neq telnet").selectors.map((s) => s.remotePort)).toEqual([
      { start: 0, end: 22 },
      { start: 24, end: 65535 },
    ]);
  });

  it("puts an ICMP type in both port selectors, so the mirrored reply matches too", () => {
    const echo = parseAccessListEntry("permit icmp 10.0.0.0 0.0.0.255 any echo").selectors[0]!;
    expect(echo.protocol).toBe(1);
    expect(echo.localPort).toEqual({ start: 0x0800, end: 0x08ff });
    expect(echo.remotePort).toEqual(echo.localPort);
    expect(parseAccessListEntry("permit icmp any any 3 13").selectors[0]!.localPort).toEqual({
      start: 0x030d,
      end: 0x030d,
    });
    expect(parseAccessListEntry("permit icmp any any port-unreachable").selectors[0]!.localPort).toEqual({
      start: 0x0303,
      end: 0x0303,
    });
  });

  it("reads IPv6 lists with prefixes, where icmp means ICMPv6", () => {
    const lists = parseAccessLists(
      [
        "ipv6 access-list v6",
        " sequence 10 permit ipv6 2001:db8:1::/48 2001:db8:2::/48",
        " permit icmp any any echo-request",
      ].join("\n"),
    );
    const [a, b] = lists.get("v6")!.entries;
    expect(a!.selectors[0]!.local).toEqual(parseAddressRange("2001:db8:1::/48"));
    expect(b!.selectors[0]!.protocol).toBe(58);
    expect(b!.selectors[0]!.localPort).toEqual({ start: 128 * 256, end: 128 * 256 + 255 });
  });

  it("refuses what a selector cannot express, and malformed entries, with the line", () => {
    expect(code(() => parseAccessListEntry("permit tcp any any established"))).toBe("unsupported");
    expect(code(() => parseAccessListEntry("permit ip any any fragments"))).toBe("unsupported");
    expect(code(() => parseAccessListEntry("permit ip 10.0.0.0 0.0.255.0 any"))).toBe("discontiguous-mask");
    expect(code(() => parseAccessListEntry("allow ip any any"))).toBe("bad-acl");
    expect(code(() => parseAccessListEntry("permit bogus any any"))).toBe("bad-protocol");
    expect(code(() => parseAccessListEntry("permit tcp any any eq nosuchport"))).toBe("bad-port");
    expect(code(() => parseAccessListEntry("permit tcp any any range 90 80"))).toBe("bad-range");
    expect(code(() => parseAccessListEntry("permit ip host 2001:db8::1 any"))).toBe("mixed-family");
    expect(code(() => parseAccessListEntry("permit tcp any"))).toBe("bad-acl");
    try {
      parseAccessLists("access-list 1 permit ip any any\naccess-list 1 permit ip 10.0.0.0 0.0.255.0 any");
      expect.unreachable();
    } catch (e) {
      expect(isPolicyError(e) && [e.code, e.entry, e.index, e.line]).toEqual([
        "discontiguous-mask",
        "access-list 1",
        1,
        2,
      ]);
    }
  });
});
