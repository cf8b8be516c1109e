import { describe, expect, it } from "vitest";
import { Sad } from "../../src/sad/sad.js";
import { parseAddressRange } from "../../src/spd/address.js";
import { parseCryptoConfig } from "../../src/spd/cryptoconfig.js";
import { compileCryptoMap } from "../../src/spd/cryptomap.js";
import { newPacketFields, setPacketFields } from "../../src/spd/packet.js";
import { IpsecProcessor, Verdict } from "../../src/spd/processing.js";
import { selectorSet } from "../../src/spd/selector.js";
import { Spd } from "../../src/spd/spd.js";
import { FakeSa, scriptedRandom } from "../sad/fake-sa.js";

const config = parseCryptoConfig(`
crypto ipsec transform-set t esp-aes esp-sha-hmac
ip access-list extended hosts
 deny udp 10.1.0.0 0.0.255.255 any eq ntp
 permit ip 10.1.0.0 0.0.255.255 10.2.0.0 0.0.255.255
ip access-list extended fixed
 permit ip host 10.5.9.9 host 10.3.0.1
crypto map m 10 ipsec-isakmp
 match address hosts
 set peer 192.0.2.2
 set transform-set t
 set security-association level per-host
crypto map m 20 ipsec-manual
 match address fixed
 set peer 192.0.2.3
 set transform-set t
 set session-key inbound esp 300 cipher 000102030405060708090a0b0c0d0e0f authenticator 000102030405060708090a0b0c0d0e0f10111213
 set session-key outbound esp 301 cipher 000102030405060708090a0b0c0d0e0f authenticator 000102030405060708090a0b0c0d0e0f10111213
`);

function setup() {
  const policy = compileCryptoMap(config, "m");
  const sad = new Sad<FakeSa>({ randomBytes: scriptedRandom([]) });
  return { policy, sad, proc: new IpsecProcessor(policy.spd, sad, { acquireTimeout: 10 }) };
}

const p = newPacketFields();

describe("IpsecProcessor (RFC 4301 §5)", () => {
  it("acquires once per flow, drops while pending, then protects with the installed SA", () => {
    const { policy, sad, proc } = setup();
    setPacketFields(p, { src: "10.1.0.5", dst: "10.2.0.7", protocol: 6, srcPort: 40000, dstPort: 443 });
    const first = proc.outbound(p, 100);
    expect(first.verdict).toBe(Verdict.ACQUIRE);
    const acquire = first.acquire!;
    expect(acquire.entry.name).toBe("m 10 acl hosts #2");
    // level per-host: the SA is for this host pair only (seeds/004:751, RFC 4301 §4.4.2.2 PFP).
    expect(acquire.selectors.local).toEqual(parseAddressRange("10.1.0.5"));
    expect(acquire.selectors.remote).toEqual(parseAddressRange("10.2.0.7"));
    expect(acquire.selectors.protocol).toBe(0);
    // The packet itself, for the first traffic selectors (RFC 7296 §2.9).
    expect(acquire.packet.remotePort).toEqual({ start: 443, end: 443 });
    expect(proc.outbound(p, 101).verdict).toBe(Verdict.PENDING);
    // Another host pair is another flow.
    setPacketFields(p, { src: "10.1.0.6", dst: "10.2.0.7", protocol: 6, srcPort: 40000, dstPort: 443 });
    expect(proc.outbound(p, 101).verdict).toBe(Verdict.ACQUIRE);
    setPacketFields(p, { src: "10.1.0.5", dst: "10.2.0.7", protocol: 6, srcPort: 40000, dstPort: 443 });
    // The acquire times out and may be raised again.
    expect(proc.outbound(p, 110).verdict).toBe(Verdict.ACQUIRE);
    const sa = sad.add(
      {
        sa: new FakeSa(),
        spi: 0x1000,
        protocol: 50,
        direction: "outbound",
        local: "192.0.2.1",
        peer: "192.0.2.2",
        selectors: [acquire.selectors],
        policy: acquire.entry,
      },
      111,
    );
    proc.acquireDone(acquire.entry);
    const r = proc.outbound(p, 112);
    expect(r.verdict).toBe(Verdict.PROTECT);
    expect(r.sa).toBe(sa);
    expect(r.entry).toBe(policy.spd.get("m 10 acl hosts #2"));
    // After acquireDone the other flow acquires again at once.
    setPacketFields(p, { src: "10.1.0.6", dst: "10.2.0.7", protocol: 6, srcPort: 40000, dstPort: 443 });
    expect(proc.outbound(p, 112).verdict).toBe(Verdict.ACQUIRE);
  });

  it("bypasses denied and unmatched traffic, and drops traffic of a manual entry without SAs", () => {
    const { proc } = setup();
    setPacketFields(p, { src: "10.1.0.5", dst: "10.2.0.7", protocol: 17, srcPort: 123, dstPort: 123 });
    expect(proc.outbound(p, 0).verdict).toBe(Verdict.BYPASS);
    setPacketFields(p, { src: "10.9.0.5", dst: "10.2.0.7", protocol: 6, srcPort: 1, dstPort: 2 });
    const miss = proc.outbound(p, 0);
    expect([miss.verdict, miss.entry]).toEqual([Verdict.BYPASS, null]);
    setPacketFields(p, { src: "10.5.9.9", dst: "10.3.0.1", protocol: 6, srcPort: 1, dstPort: 2 });
    expect(proc.outbound(p, 0).verdict).toBe(Verdict.NO_SA);
  });

  it("drops cleartext that should have been protected, and checks decrypted packets against the SA", () => {
    const { sad, proc } = setup();
    setPacketFields(p, { src: "10.2.0.7", dst: "10.1.0.5", protocol: 6, srcPort: 443, dstPort: 40000 });
    expect(proc.inboundCleartext(p)).toBe(Verdict.DISCARD);
    setPacketFields(p, { src: "10.2.0.7", dst: "10.1.0.5", protocol: 17, srcPort: 123, dstPort: 123 });
    expect(proc.inboundCleartext(p)).toBe(Verdict.BYPASS);
    setPacketFields(p, { src: "198.51.100.1", dst: "10.1.0.5", protocol: 6, srcPort: 1, dstPort: 2 });
    expect(proc.inboundCleartext(p)).toBe(Verdict.BYPASS);
    const sa = sad.add(
      {
        sa: new FakeSa(),
        spi: 0x2000,
        protocol: 50,
        direction: "inbound",
        local: "192.0.2.1",
        peer: "192.0.2.2",
        selectors: [
          selectorSet({ local: parseAddressRange("10.1.0.5"), remote: parseAddressRange("10.2.0.7") }),
        ],
      },
      0,
    );
    setPacketFields(p, { src: "10.2.0.7", dst: "10.1.0.5", protocol: 6, srcPort: 443, dstPort: 40000 });
    expect(proc.inboundProtected(sa, p)).toBe(true);
    // A packet from another host smuggled through the SA (RFC 4301 §5.2 step 5).
    setPacketFields(p, { src: "10.2.0.8", dst: "10.1.0.5", protocol: 6, srcPort: 443, dstPort: 40000 });
    expect(proc.inboundProtected(sa, p)).toBe(false);
  });

  it("discards when a populate-from-packet field is missing, and uses DISCARD as RFC default", () => {
    const spd = new Spd();
    const { policy } = setup();
    const template = {
      ...policy.entries[0]!.template,
      pfp: { ...policy.entries[0]!.template.pfp, remotePort: true },
    };
    spd.add({
      name: "web",
      action: "protect",
      selectors: [
        selectorSet({ local: parseAddressRange("any4"), remote: parseAddressRange("any4"), protocol: 6 }),
      ],
      template,
    });
    const proc = new IpsecProcessor(spd, new Sad<FakeSa>({ randomBytes: scriptedRandom([]) }));
    setPacketFields(p, { src: "10.0.0.1", dst: "10.0.0.2", protocol: 6 });
    expect(proc.outbound(p, 0).verdict).toBe(Verdict.DISCARD);
    setPacketFields(p, { src: "10.0.0.1", dst: "10.0.0.2", protocol: 17, srcPort: 1, dstPort: 2 });
    expect(proc.outbound(p, 0).verdict).toBe(Verdict.DISCARD);
    expect(proc.inboundCleartext(p)).toBe(Verdict.DISCARD);
  });
});
