/**
 * Crypto maps from the IOS guides' own examples (seed line numbers in each test name).
 */
import { describe, expect, it } from "vitest";
import { parseAddressRange } from "../../src/spd/address.js";
import { parseCryptoConfig } from "../../src/spd/cryptoconfig.js";
import { compileCryptoMap } from "../../src/spd/cryptomap.js";
import { isPolicyError, type PolicyErrorCode } from "../../src/spd/errors.js";
import { Direction, newPacketFields, setPacketFields } from "../../src/spd/packet.js";
import { PeerList } from "../../src/spd/peers.js";
import { type SelectorSet, selectorSet } from "../../src/spd/selector.js";
import type { TrafficSelector } from "../../src/spd/ts.js";

const p = newPacketFields();

function lookup(
  policy: ReturnType<typeof compileCryptoMap>,
  src: string,
  dst: string,
  dir: Direction = Direction.OUTBOUND,
  protocol = 6,
) {
  setPacketFields(p, { src, dst, protocol, srcPort: 40000, dstPort: 80 });
  return policy.spd.lookup(p, dir)?.name ?? null;
}

function failure(fn: () => unknown): {
  code: PolicyErrorCode | "no error";
  entry?: string | undefined;
  line?: number | undefined;
} {
  try {
    fn();
  } catch (e) {
    if (isPolicyError(e)) return { code: e.code, entry: e.entry, line: e.line };
    throw e;
  }
  return { code: "no error" };
}

function flow(local: string, remote: string): SelectorSet {
  return selectorSet({ local: parseAddressRange(local), remote: parseAddressRange(remote) });
}

function ts(range: string): TrafficSelector {
  const r = parseAddressRange(range);
  return { family: r.family, protocol: 0, startPort: 0, endPort: 65535, start: r.start, end: r.end };
}

describe("crypto maps from the guides", () => {
  it("AES static crypto map, transport mode (seeds/004:921-985)", () => {
    const config = parseCryptoConfig(`
crypto isakmp policy 10
 encryption aes 256
authentication pre-share
group 14
lifetime 180
crypto isakmp key cisco123 address 10.0.110.1
!
crypto ipsec transform-set aasset esp-aes 256 esp-sha-hmac
mode transport
!
crypto map aesmap 10 ipsec-isakmp
set peer 10.0.110.1
set transform-set aasset
match address 120
!
interface FastEthernet0/0
ip address 10.0.110.2 255.255.255.0
crypto map aesmap
!
access-list 110 deny ip 10.0.110.0 0.0.0.255 10.0.110.0 0.0.0.255
access-list 110 permit ip 10.0.110.0 0.0.0.255 any
access-list 120 permit ip 10.0.110.0 0.0.0.255 10.0.110.0 0.0.0.255
`);
    expect(config.ignored.map((l) => l.text)).toContain("crypto isakmp key cisco123 address 10.0.110.1");
    const policy = compileCryptoMap(config, "aesmap");
    const [entry] = policy.entries;
    expect(entry!.template.proposals[0]!.mode).toBe("transport");
    expect(entry!.template.peers).toEqual(["10.0.110.1"]);
    expect(entry!.template.origin).toBe("ike");
    // Defaults: 3600 s and 4 608 000 KB (seeds/002:10908), replay window 64 (seeds/002:9807).
    expect(entry!.template.lifetime.hard).toEqual({ seconds: 3600, bytes: 4_608_000 * 1024 });
    expect(entry!.template.replayWindow).toBe(64);
    expect(lookup(policy, "10.0.110.5", "10.0.110.9")).toBe("aesmap 10 acl 120 #1");
    // No permit matches: forwarded in the clear (seeds/001:959).
    expect(lookup(policy, "10.0.110.5", "8.8.8.8")).toBeNull();
    expect(policy.spd.defaultAction).toBe("bypass");
    // IKE between the peers is not caught by the host-to-host permit.
    setPacketFields(p, { src: "10.0.110.2", dst: "10.0.110.1", protocol: 17, srcPort: 500, dstPort: 500 });
    expect(policy.spd.lookup(p, Direction.OUTBOUND)?.action).toBe("bypass");
  });

  it("crypto map set with two static entries and a dynamic one (seeds/001:1018-1041)", () => {
    // The guide does not print ACLs 101-103; mirror-image site ACLs stand in for them.
    const config = parseCryptoConfig(`
crypto ipsec transform-set my_t_set1 esp-aes esp-sha-hmac
crypto ipsec transform-set my_t_set2 esp-aes 256 esp-sha256-hmac
crypto ipsec transform-set my_t_set3 esp-gcm 256
access-list 101 permit ip 10.1.0.0 0.0.255.255 10.2.0.0 0.0.255.255
access-list 102 permit ip 10.1.0.0 0.0.255.255 10.3.0.0 0.0.255.255
access-list 103 permit ip 10.1.0.0 0.0.255.255 10.100.0.0 0.0.255.255
crypto map mymap 10 ipsec-isakmp
 match address 101
 set transform-set my_t_set1
 set peer 10.0.0.1
 set peer 10.0.0.2
crypto map mymap 20 ipsec-isakmp
 match address 102
 set transform-set my_t_set1 my_t_set2
 set peer 10.0.0.3
crypto map mymap 30 ipsec-isakmp dynamic mydynamicmap
!
crypto dynamic-map mydynamicmap 10
 match address 103
 set transform-set my_t_set1 my_t_set2 my_t_set3
`);
    const policy = compileCryptoMap(config, "mymap");
    expect(policy.entries.map((e) => [e.name, e.kind])).toEqual([
      ["mymap 10", "ipsec-isakmp"],
      ["mymap 20", "ipsec-isakmp"],
      ["mymap 30 mydynamicmap 10", "dynamic"],
    ]);
    expect(policy.entries[0]!.template.peers).toEqual(["10.0.0.1", "10.0.0.2"]);
    expect(policy.entries[1]!.template.proposals.map((t) => t.name)).toEqual(["my_t_set1", "my_t_set2"]);
    expect(policy.entries[2]!.template.origin).toBe("responder");
    expect(lookup(policy, "10.1.5.5", "10.3.0.9")).toBe("mymap 20 acl 102 #1");
    // The dynamic entry's ACL also filters: outbound traffic without an SA is dropped, not acquired.
    expect(lookup(policy, "10.1.5.5", "10.100.0.9")).toBe("mymap 30 mydynamicmap 10 acl 103 #1");
    // Inbound cleartext matching a permit is dropped (seeds/001:1024): the entry is PROTECT.
    expect(policy.spd.get("mymap 10 acl 101 #1")!.action).toBe("protect");
    expect(lookup(policy, "10.2.0.9", "10.1.5.5", Direction.INBOUND)).toBe("mymap 10 acl 101 #1");

    // Responder: 10.0.0.3 proposes a subset of ACL 102 (mirrored): accepted by entry 20 …
    expect(policy.matchFlow("10.0.0.3", flow("10.1.4.0/24", "10.3.7.0/24"))?.entry.name).toBe("mymap 20");
    // … but not from a peer entry 20 does not name, nor a superset (seeds/002:5327-5331 case 4).
    expect(policy.matchFlow("10.0.0.1", flow("10.1.4.0/24", "10.3.7.0/24"))).toBeNull();
    expect(policy.matchFlow("10.0.0.3", flow("10.0.0.0/8", "10.3.7.0/24"))).toBeNull();
    // An unknown peer may use the dynamic template for flows inside ACL 103 …
    const m = policy.matchFlow("198.51.100.7", flow("10.1.0.0/16", "10.100.3.0/24"));
    expect(m?.entry.name).toBe("mymap 30 mydynamicmap 10");
    expect(m?.spdEntry).toBeNull();
    // … and the accepted peer gets a temporary entry ahead of the template (seeds/002:5573).
    const temp = policy.instantiate(m!, "198.51.100.7");
    expect(temp.template?.origin).toBe("ike");
    expect(temp.template?.peers).toEqual(["198.51.100.7"]);
    expect(lookup(policy, "10.1.2.3", "10.100.3.4")).toBe(temp.name);
    expect(lookup(policy, "10.1.2.3", "10.100.4.4")).toBe("mymap 30 mydynamicmap 10 acl 103 #1");
    expect(policy.release(() => true)).toEqual([]);
    expect(policy.release(() => false)).toEqual([temp]);
    expect(policy.temporaryEntries()).toEqual([]);
    expect(lookup(policy, "10.1.2.3", "10.100.3.4")).toBe("mymap 30 mydynamicmap 10 acl 103 #1");
    // The accept hook lets IKE skip entries whose transform sets do not fit.
    expect(
      policy.matchFlow("10.0.0.3", flow("10.1.4.0/24", "10.3.7.0/24"), (e) => e.name !== "mymap 20"),
    ).toBeNull();
  });

  it("IKEv2 traffic selectors against the map: subset by default, narrowing on request", () => {
    const config = parseCryptoConfig(`
crypto ipsec transform-set t esp-aes esp-sha-hmac
access-list 150 permit ip 10.1.0.0 0.0.255.255 10.2.0.0 0.0.255.255
crypto map v2 10 ipsec-isakmp
 match address 150
 set transform-set t
 set peer 192.0.2.2
`);
    const policy = compileCryptoMap(config, "v2");
    const inside = { tsi: [ts("10.2.1.0/24")], tsr: [ts("10.1.1.0/24")] };
    const wide = { tsi: [ts("10.2.0.0/15")], tsr: [ts("10.1.1.0/24")] };
    const ok = policy.matchTrafficSelectors("192.0.2.2", inside);
    expect(ok.ok && ok.spdEntry?.name).toBe("v2 10 acl 150 #1");
    expect(policy.matchTrafficSelectors("192.0.2.2", wide)).toEqual({ ok: false, reason: "no-overlap" });
    const narrowed = policy.matchTrafficSelectors("192.0.2.2", wide, { narrow: true });
    expect(narrowed.ok && narrowed.tsi).toEqual([ts("10.2.0.0/16")]);
    expect(narrowed.ok && narrowed.selectors).toEqual([flow("10.1.1.0/24", "10.2.0.0/16")]);
    expect(policy.matchTrafficSelectors("192.0.2.9", inside).ok).toBe(false);
  });

  it("overlapping entries: the more specific one first (seeds/002:5282-5298)", () => {
    const policy = compileCryptoMap(
      parseCryptoConfig(`
crypto ipsec transform-set test esp-aes esp-sha-hmac
crypto map mymap 10 ipsec-isakmp
  set peer 192.168.1.1
  set transform-set test
  match address 101
crypto map mymap 20 ipsec-isakmp
  set peer 192.168.1.2
  set transform-set test
  match address 102
access-list 101 permit ip 10.1.1.0 0.0.0.255 172.16.1.0 0.0.0.255
access-list 102 permit ip 10.0.0.0 0.255.255.255 172.16.0.0 0.15.255.255
`),
      "mymap",
    );
    expect(lookup(policy, "10.1.1.7", "172.16.1.9")).toBe("mymap 10 acl 101 #1");
    expect(lookup(policy, "10.9.1.7", "172.20.1.9")).toBe("mymap 20 acl 102 #1");
    expect(policy.warnings).toEqual([]);
    // In the other order the specific entry could never match: a warning names it.
    const reversed = compileCryptoMap(
      parseCryptoConfig(`
crypto ipsec transform-set test esp-aes esp-sha-hmac
crypto map mymap 10 ipsec-isakmp
  set peer 192.168.1.2
  set transform-set test
  match address 102
crypto map mymap 20 ipsec-isakmp
  set peer 192.168.1.1
  set transform-set test
  match address 101
access-list 101 permit ip 10.1.1.0 0.0.0.255 172.16.1.0 0.0.0.255
access-list 102 permit ip 10.0.0.0 0.255.255.255 172.16.0.0 0.15.255.255
`),
      "mymap",
    );
    expect(reversed.warnings.map((w) => [w.code, w.entry])).toEqual([["shadowed", "mymap 20 acl 101 #1"]]);
  });

  it("refuses a deny in one entry with a permit for the same traffic in another (seeds/002:5301-5317)", () => {
    const config = parseCryptoConfig(`
crypto ipsec transform-set test esp-aes esp-sha-hmac
crypto map mymap 10 ipsec-isakmp
  set peer 192.168.1.1
  set transform-set test
  match address 101
crypto map mymap 20 ipsec-isakmp
  set peer 192.168.1.2
  set transform-set test
  match address 102
access-list 101 deny ip 10.1.1.0 0.0.0.255 172.16.1.0 0.0.0.255
access-list 101 permit ip 10.0.0.0 0.255.255.255 172.16.0.0 0.15.255.255
access-list 102 permit ip 10.1.1.0 0.0.0.255 172.16.1.0 0.0.0.255
`);
    expect(failure(() => compileCryptoMap(config, "mymap"))).toMatchObject({
      code: "deny-overlaps-permit",
      entry: "mymap 10",
    });
  });

  it("a deny within one entry bypasses that traffic (seeds/002:5242-5249)", () => {
    const policy = compileCryptoMap(
      parseCryptoConfig(`
crypto ipsec transform-set t esp-aes esp-sha-hmac
ip access-list extended site
 deny tcp 10.1.0.0 0.0.255.255 any eq 22
 permit ip 10.1.0.0 0.0.255.255 10.2.0.0 0.0.255.255
crypto map m 10 ipsec-isakmp
 match address site
 set transform-set t
 set peer 192.0.2.2
`),
      "m",
    );
    setPacketFields(p, { src: "10.1.0.1", dst: "10.2.0.1", protocol: 6, srcPort: 1000, dstPort: 22 });
    expect(policy.spd.lookup(p, Direction.OUTBOUND)?.action).toBe("bypass");
    setPacketFields(p, { src: "10.1.0.1", dst: "10.2.0.1", protocol: 6, srcPort: 1000, dstPort: 23 });
    expect(policy.spd.lookup(p, Direction.OUTBOUND)?.action).toBe("protect");
    // A proposal overlapping the deny is refused by that entry.
    expect(policy.matchFlow("192.0.2.2", flow("10.1.0.0/24", "10.2.0.0/24"))).toBeNull();
  });

  it("manually keyed entry: fixed SPIs and keys, no anti-replay, no lifetime (seeds/001:1004-1016)", () => {
    // ACL 102 is not printed in the guide; one permit stands in for it (seeds/004:866).
    const config = parseCryptoConfig(
      `
crypto transform-set someset ah-md5-hmac esp-des
access-list 102 permit ip host 10.0.0.1 host 10.5.0.1
crypto map mymap 10 ipsec-manual
 match address 102
 set transform-set someset
 set peer 10.0.0.5
 set session-key inbound ah 256 98765432109876549876543210987654
 set session-key outbound ah 256 fedcbafedcbafedcfedcbafedcbafedc
 set session-key inbound esp 256 cipher 0123456789012345
 set session-key outbound esp 256 cipher abcdefabcdefabcd
`,
      { allowLegacy: true },
    );
    const policy = compileCryptoMap(config, "mymap");
    const [entry] = policy.entries;
    expect(entry!.template.origin).toBe("manual");
    expect(entry!.template.replayWindow).toBe(0);
    expect(entry!.template.lifetime).toEqual({ soft: {}, hard: {} });
    expect(
      policy.manualSas.map((s) => [
        s.direction,
        s.protocol,
        s.spi,
        s.integrityKey?.length,
        s.encryptionKey?.length,
        s.peer,
      ]),
    ).toEqual([
      ["inbound", 51, 256, 16, undefined, "10.0.0.5"],
      ["inbound", 50, 256, undefined, 8, "10.0.0.5"],
      ["outbound", 51, 256, 16, undefined, "10.0.0.5"],
      ["outbound", 50, 256, undefined, 8, "10.0.0.5"],
    ]);
    expect(policy.manualSas[0]!.spdEntry).toBe(entry!.spdEntries[0]);
    // Manual entries never negotiate.
    expect(policy.matchFlow("10.0.0.5", flow("10.0.0.1", "10.5.0.1"))).toBeNull();
  });

  it("refuses manual entries that break the rules (seeds/004:866-870)", () => {
    const base = (extra: string) => `
crypto ipsec transform-set s esp-aes esp-sha-hmac
access-list 102 permit ip host 10.0.0.1 host 10.5.0.1
access-list 103 permit ip host 10.0.0.1 host 10.5.0.1
access-list 103 permit ip host 10.0.0.2 host 10.5.0.1
crypto map mm 10 ipsec-manual
 set transform-set s
 set peer 10.0.0.5
${extra}`;
    const keys = `
 set session-key inbound esp 300 cipher 000102030405060708090a0b0c0d0e0f authenticator 000102030405060708090a0b0c0d0e0f10111213
 set session-key outbound esp 301 cipher 000102030405060708090a0b0c0d0e0f authenticator 000102030405060708090a0b0c0d0e0f10111213`;
    expect(
      compileCryptoMap(parseCryptoConfig(base(` match address 102${keys}`)), "mm").manualSas,
    ).toHaveLength(2);
    expect(
      failure(() => compileCryptoMap(parseCryptoConfig(base(` match address 103${keys}`)), "mm")),
    ).toMatchObject({
      code: "bad-crypto-map",
      entry: "mm 10",
    });
    expect(
      failure(() =>
        compileCryptoMap(parseCryptoConfig(base(` match address 102\n set peer 10.0.0.6${keys}`)), "mm"),
      ).code,
    ).toBe("bad-crypto-map");
    expect(failure(() => compileCryptoMap(parseCryptoConfig(base(` match address 102`)), "mm")).code).toBe(
      "bad-crypto-map",
    );
    const shortKey = keys.replace(
      "cipher 000102030405060708090a0b0c0d0e0f authenticator",
      "cipher 0001 authenticator",
    );
    expect(
      failure(() => compileCryptoMap(parseCryptoConfig(base(` match address 102${shortKey}`)), "mm")).code,
    ).toBe("bad-crypto-map");
    const lowSpi = keys.replace("esp 300", "esp 255");
    expect(
      failure(() => compileCryptoMap(parseCryptoConfig(base(` match address 102${lowSpi}`)), "mm")).code,
    ).toBe("bad-crypto-map");
  });

  it("dynamic map without an ACL accepts any flow its peers propose (seeds/000:971-977, seeds/004:810)", () => {
    const config = parseCryptoConfig(
      `
crypto ipsec transform-set esp-des-md5 esp-des esp-md5-hmac
crypto dynamic-map remotes 1
set peer 172.31.100.2
set security-association lifetime seconds 120
set transform-set esp-des-md5
!
crypto map test 10 ipsec-isakmp dynamic remotes
`,
      { allowLegacy: true },
    );
    const policy = compileCryptoMap(config, "test");
    const [entry] = policy.entries;
    expect(entry!.acl).toBeNull();
    expect(entry!.template.lifetime.hard.seconds).toBe(120);
    // Ignored for traffic filtering: only the IKE bypass is in the SPD.
    expect(policy.spd.entries().map((e) => e.name)).toEqual(["ike bypass"]);
    // The dynamic entry names one peer here, so only that peer may use it.
    expect(policy.matchFlow("172.31.100.2", flow("10.20.20.20", "10.10.10.10"))?.entry).toBe(entry);
    expect(policy.matchFlow("172.31.100.9", flow("10.20.20.20", "10.10.10.10"))).toBeNull();
    const v2 = policy.matchTrafficSelectors("172.31.100.2", {
      tsi: [ts("10.10.10.10")],
      tsr: [ts("10.20.20.20")],
    });
    expect(v2.ok && v2.tsi).toEqual([ts("10.10.10.10")]);
  });

  it("dynamic map whose ACL is missing or empty drops all traffic (seeds/004:770)", () => {
    const policy = compileCryptoMap(
      parseCryptoConfig(`
crypto ipsec transform-set t esp-aes esp-sha-hmac
crypto dynamic-map d 5
 match address nosuchlist
 set transform-set t
crypto map m 100 ipsec-isakmp dynamic d
`),
      "m",
    );
    expect(policy.entries[0]!.dropAll).toBe(true);
    setPacketFields(p, { src: "10.0.0.1", dst: "10.0.0.2", protocol: 6, srcPort: 1, dstPort: 2 });
    expect(policy.spd.lookup(p, Direction.OUTBOUND)?.action).toBe("discard");
    setPacketFields(p, { src: "2001:db8::1", dst: "2001:db8::2", protocol: 6, srcPort: 1, dstPort: 2 });
    expect(policy.spd.lookup(p, Direction.INBOUND)?.action).toBe("discard");
    expect(policy.matchFlow("192.0.2.1", flow("10.0.0.1", "10.0.0.2"))).toBeNull();
  });

  it("options per entry: per-host, PFS, lifetime, idle time, replay window (seeds/004:745-752, 002:9879, 002:12054)", () => {
    const policy = compileCryptoMap(
      parseCryptoConfig(`
crypto ipsec security-association lifetime kilobytes 1000000
crypto ipsec security-association replay window-size 256
crypto ipsec transform-set t esp-aes esp-sha-hmac
access-list 101 permit ip 10.1.0.0 0.0.255.255 10.2.0.0 0.0.255.255
crypto map m 10 ipsec-isakmp
 match address 101
 set peer 192.0.2.2 default
 set-peer 192.0.2.3
 set transform-set t
 set security-association level per-host
 set pfs group14
 set security-association lifetime seconds 2700
 set security-association idle-time 600
 set security-association dummy seconds 5
`),
      "m",
    );
    const t = policy.entries[0]!.template;
    expect(t.pfp.localAddress && t.pfp.remoteAddress).toBe(true);
    expect(t.pfsGroup).toBe(14);
    expect(t.lifetime.hard).toEqual({ seconds: 2700, bytes: 1_000_000 * 1024 });
    expect(t.idleSeconds).toBe(600);
    expect(t.replayWindow).toBe(256);
    expect(t.peers).toEqual(["192.0.2.2", "192.0.2.3"]);
    const disable = parseCryptoConfig(`
crypto ipsec transform-set t esp-aes esp-sha-hmac
access-list 101 permit ip any any
crypto map m 10 ipsec-isakmp
 match address 101
 set peer 192.0.2.2
 set transform-set t
 set pfs
 set security-association lifetime kilobytes disable
 set security-association replay disable
`);
    const compiled = compileCryptoMap(disable, "m");
    const d = compiled.entries[0]!.template;
    expect(d.pfsGroup).toBe(1); // `set pfs` alone means group 1 (seeds/004:816)
    expect(d.lifetime.hard).toEqual({ seconds: 3600 });
    expect(d.replayWindow).toBe(0);
    expect(compiled.warnings.map((w) => w.code)).toEqual(["permit-any-any"]);
  });

  it("refuses incomplete or out-of-range entries, naming entry and line", () => {
    const head =
      "crypto ipsec transform-set t esp-aes esp-sha-hmac\naccess-list 101 permit ip 10.1.0.0 0.0.255.255 any\n";
    const entry = (body: string) =>
      `${head}crypto map m 10 ipsec-isakmp\n match address 101\n set transform-set t\n${body}`;
    expect(failure(() => compileCryptoMap(parseCryptoConfig(entry("")), "m"))).toMatchObject({
      code: "bad-crypto-map",
      entry: "m 10",
    });
    expect(
      failure(() =>
        compileCryptoMap(
          parseCryptoConfig(entry(" set peer 1.1.1.1\n set transform-set t t t t t t t")),
          "m",
        ),
      ).code,
    ).toBe("bad-crypto-map");
    expect(
      failure(() =>
        compileCryptoMap(parseCryptoConfig(entry(" set peer 1.1.1.1\n set transform-set nope")), "m"),
      ).code,
    ).toBe("bad-crypto-map");
    expect(
      failure(() =>
        compileCryptoMap(
          parseCryptoConfig(entry(" set peer 1.1.1.1\n set security-association idle-time 30")),
          "m",
        ),
      ).code,
    ).toBe("bad-lifetime");
    expect(
      failure(() =>
        compileCryptoMap(
          parseCryptoConfig(entry(" set peer 1.1.1.1\n set security-association replay window-size 4096")),
          "m",
        ),
      ).code,
    ).toBe("bad-lifetime");
    expect(
      failure(() => compileCryptoMap(parseCryptoConfig(entry(" set peer 1.1.1.1\n set pfs group99")), "m"))
        .code,
    ).toBe("bad-crypto-map");
    expect(failure(() => compileCryptoMap(parseCryptoConfig(entry(" set peer 1.1.1.1")), "nomap")).code).toBe(
      "unknown-entry",
    );
    // Only the first peer may be the default one.
    const late = entry(" set peer 1.1.1.1\n set peer 2.2.2.2 default");
    expect(failure(() => compileCryptoMap(parseCryptoConfig(late), "m"))).toMatchObject({
      code: "bad-crypto-map",
      entry: "m 10",
    });
    // Two entries of one set may not share an ACL (seeds/002:5251).
    const shared = `${entry(" set peer 1.1.1.1")}\ncrypto map m 20 ipsec-isakmp\n match address 101\n set transform-set t\n set peer 2.2.2.2`;
    expect(failure(() => compileCryptoMap(parseCryptoConfig(shared), "m"))).toMatchObject({
      code: "bad-crypto-map",
      entry: "m 20",
    });
    // Syntax errors carry the line.
    expect(failure(() => parseCryptoConfig(`${head}crypto map m ten ipsec-isakmp`))).toMatchObject({
      line: 3,
    });
    expect(failure(() => parseCryptoConfig("crypto ipsec transform-set x esp-aes esp-3des"))).toMatchObject({
      code: "bad-transform",
      line: 1,
    });
  });

  it("the guide's `match address 102` without ACL 102 is an error (seeds/004:4891-4896)", () => {
    const config = parseCryptoConfig(
      `
Router(config)# crypto ipsec transform-set myset0 ah-sha-hmac esp-3des
Router(config)# access-list 110 permit gre host 192.168.0.16 host 172.16.0.12
Router(config)# crypto map mymap 10 ipsec-isakmp
Router(config-crypto-map)# set peer 10.0.0.1
Router(config-crypto-map)# set transform-set myset0
Router(config-crypto-map)# match address 102
Router(config-crypto-map)# exit
`,
      { allowLegacy: true },
    );
    expect(config.transformSets.get("myset0")?.ah?.name).toBe("hmac-sha1-96");
    expect(failure(() => compileCryptoMap(config, "mymap"))).toMatchObject({
      code: "bad-crypto-map",
      entry: "mymap 10",
    });
  });
});

describe("peer lists (seeds/002:5489, IPsec Preferred Peer)", () => {
  it("fails over in order, follows the last peer heard from, and returns to the default peer", () => {
    const peers = new PeerList([{ address: "a", default: true }, { address: "b" }, { address: "c" }]);
    expect(peers.current).toBe("a");
    expect(peers.failed()).toBe("b");
    expect(peers.failed()).toBe("c");
    expect(peers.failed()).toBe("a");
    peers.heardFrom("c");
    expect(peers.current).toBe("c");
    expect(peers.connectionClosed()).toBe("a");
    const plain = new PeerList([{ address: "a" }, { address: "b" }]);
    plain.failed();
    expect(plain.connectionClosed()).toBe("b");
    expect(new PeerList([]).failed()).toBeUndefined();
    expect(() => new PeerList([{ address: "a" }, { address: "b", default: true }], "m 10")).toThrow(
      /first peer/,
    );
  });
});
