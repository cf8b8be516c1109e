import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isSadError } from "../../src/sad/errors.js";
import { ciscoLifetime, formatRemainingLifetime, type SaLifetime } from "../../src/sad/lifetime.js";
import { Sad, type SadEntry, type SadEntryInit } from "../../src/sad/sad.js";
import { isValidSpi, randomSpi } from "../../src/sad/spi.js";
import { parseAddressRange } from "../../src/spd/address.js";
import { Direction, newPacketFields, setPacketFields } from "../../src/spd/packet.js";
import { type SelectorSet, selectorSet } from "../../src/spd/selector.js";
import { Spd } from "../../src/spd/spd.js";
import { PFP_PER_HOST, type SaTemplate } from "../../src/spd/template.js";
import { FakeSa, scriptedRandom } from "./fake-sa.js";

const ESP = 50;
const AH = 51;

function sel(local: string, remote: string): SelectorSet {
  return selectorSet({ local: parseAddressRange(local), remote: parseAddressRange(remote) });
}

const SITE = sel("10.1.0.0/16", "10.2.0.0/16");
const TEMPLATE: SaTemplate = {
  origin: "ike",
  proposals: [],
  peers: ["192.0.2.2"],
  pfp: PFP_PER_HOST,
  pfsGroup: null,
  lifetime: ciscoLifetime(),
  idleSeconds: null,
  replayWindow: 64,
};
const spd = new Spd();
const policy = spd.add({ name: "site", action: "protect", selectors: [SITE], template: TEMPLATE });

function init(spi: number, extra: Partial<SadEntryInit<FakeSa>> = {}): SadEntryInit<FakeSa> {
  return {
    sa: new FakeSa(),
    spi,
    protocol: ESP,
    direction: "inbound",
    local: "192.0.2.1",
    peer: "192.0.2.2",
    selectors: [SITE],
    policy,
    ikeSa: 1,
    ...extra,
  };
}

function sad(): Sad<FakeSa> {
  return new Sad<FakeSa>({ randomBytes: scriptedRandom([]) });
}

function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isSadError(e)) return e.code;
    throw e;
  }
  return "no error";
}

/** An inbound/outbound pair as IKE installs it. */
function pair(db: Sad<FakeSa>, now: number, spiIn: number, extra: Partial<SadEntryInit<FakeSa>> = {}) {
  const inbound = db.add(init(spiIn, extra), now);
  const outbound = db.add(init(spiIn + 1, { ...extra, direction: "outbound", pair: inbound }), now);
  return { inbound, outbound };
}

describe("SPI allocation", () => {
  it("is random, never 0-255 and never a duplicate (RFC 4303 §2.1)", () => {
    const db = new Sad<FakeSa>({ randomBytes: scriptedRandom([0, 255, 0x1234, 0x1234, 0x1234, 0x4321]) });
    expect(db.allocateSpi()).toBe(0x1234);
    // The reserved 0x1234 is skipped until released.
    expect(db.allocateSpi()).toBe(0x4321);
    db.add(init(0x4321), 0);
    db.releaseSpi(0x1234);
    expect(errorCode(() => db.add(init(0x4321), 0))).toBe("duplicate-spi");
    const stuck = new Sad<FakeSa>({ randomBytes: () => new Uint8Array(4) });
    expect(errorCode(() => stuck.allocateSpi())).toBe("spi-exhausted");
  });

  it("draws valid, distinct SPIs from any random source", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 200 }), (values) => {
        const db = new Sad<FakeSa>({ randomBytes: scriptedRandom(values) });
        const seen = new Set<number>();
        for (let i = 0; i < 50; i++) {
          const spi = db.allocateSpi();
          expect(isValidSpi(spi)).toBe(true);
          expect(seen.has(spi)).toBe(false);
          seen.add(spi);
        }
      }),
      { numRuns: 50 },
    );
    expect(randomSpi(scriptedRandom([7, 300]), () => false)).toBe(300);
  });
});

describe("Sad", () => {
  it("refuses bad SPIs, duplicates, bad lifetimes and idle times, and unknown links", () => {
    const db = sad();
    for (const spi of [0, 1, 255, -1, 2 ** 32, 1.5])
      expect(errorCode(() => db.add(init(spi), 0))).toBe("bad-spi");
    db.add(init(256), 0);
    expect(errorCode(() => db.add(init(256), 0))).toBe("duplicate-spi");
    // The manual example installs AH and ESP with the same SPI 256 (seeds/001:1012-1015).
    expect(db.add(init(256, { protocol: AH }), 0).protocol).toBe(AH);
    // … and the same SPI to another local address is another SA.
    expect(db.add(init(256, { local: "192.0.2.9" }), 0).local).toBe("192.0.2.9");
    const bad: SaLifetime = { soft: { seconds: 100 }, hard: { seconds: 50 } };
    expect(errorCode(() => db.add(init(300, { lifetime: bad }), 0))).toBe("bad-lifetime");
    expect(errorCode(() => db.add(init(300, { idleSeconds: 59 }), 0))).toBe("bad-lifetime");
    expect(errorCode(() => db.add(init(300, { idleSeconds: 86_401 }), 0))).toBe("bad-lifetime");
    const gone = db.add(init(400), 0);
    db.remove(gone);
    expect(errorCode(() => db.add(init(300, { pair: gone }), 0))).toBe("unknown-sa");
    expect(errorCode(() => db.remove(gone))).toBe("unknown-sa");
  });

  it("finds inbound SAs by SPI, protocol and destination", () => {
    const db = sad();
    const esp = db.add(init(0x1000), 0);
    const ah = db.add(init(0x1000, { protocol: AH }), 0);
    const other = db.add(init(0x1000, { local: "198.51.100.1" }), 0);
    expect(db.lookupInbound(0x1000, ESP)).toBe(esp);
    expect(db.lookupInbound(0x1000, AH)).toBe(ah);
    expect(db.lookupInbound(0x1000, ESP, "198.51.100.1")).toBe(other);
    expect(db.lookupInbound(0x1001, ESP)).toBeUndefined();
    db.remove(esp);
    expect(db.lookupInbound(0x1000, ESP)).toBe(other);
  });

  it("picks the newest usable outbound SA covering the packet (per-host SAs)", () => {
    const db = sad();
    const p = newPacketFields();
    const hostA = db.add(init(500, { direction: "outbound", selectors: [sel("10.1.0.1", "10.2.0.1")] }), 0);
    const hostB = db.add(init(501, { direction: "outbound", selectors: [sel("10.1.0.2", "10.2.0.1")] }), 1);
    setPacketFields(p, { src: "10.1.0.1", dst: "10.2.0.1", protocol: 6, srcPort: 1, dstPort: 2 });
    expect(db.lookupOutbound(policy, p, 5)).toBe(hostA);
    setPacketFields(p, { src: "10.1.0.2", dst: "10.2.0.1", protocol: 6, srcPort: 1, dstPort: 2 });
    expect(db.lookupOutbound(policy, p, 5)).toBe(hostB);
    setPacketFields(p, { src: "10.1.0.3", dst: "10.2.0.1", protocol: 6, srcPort: 1, dstPort: 2 });
    expect(db.lookupOutbound(policy, p, 5)).toBeUndefined();
    // The decrypted-packet check of RFC 4301 §5.2 uses the same selectors.
    setPacketFields(p, { src: "10.2.0.1", dst: "10.1.0.2", protocol: 6, srcPort: 2, dstPort: 1 });
    expect(hostB.matches(p, Direction.INBOUND)).toBe(true);
    expect(hostA.matches(p, Direction.INBOUND)).toBe(false);
  });

  it("returns the head of an AH+ESP bundle with its members in order", () => {
    const db = sad();
    const esp = db.add(init(600, { direction: "outbound" }), 0);
    const ah = db.add(init(601, { direction: "outbound", protocol: AH, bundleWith: esp }), 0);
    const p = newPacketFields();
    setPacketFields(p, { src: "10.1.0.1", dst: "10.2.0.1", protocol: 17, srcPort: 1, dstPort: 2 });
    expect(db.lookupOutbound(policy, p, 0)).toBe(esp);
    expect(esp.bundle).toEqual([esp, ah]);
    expect(ah.bundle).toBe(esp.bundle);
  });

  it("raises one rekey per pair at the soft limit and removes SAs at the hard limit", () => {
    const db = sad();
    const lifetime = ciscoLifetime({ seconds: 100, kilobytes: 10 });
    const { inbound, outbound } = pair(db, 1000, 0x2000, { lifetime });
    expect(db.nextDeadline()).toBe(1090);
    expect(db.tick(1089)).toEqual([]);
    expect(db.tick(1090)).toEqual([{ type: "rekey", entry: inbound, reason: "seconds" }]);
    expect(inbound.softExpired && outbound.softExpired).toBe(true);
    expect(db.tick(1095)).toEqual([]);
    expect(db.nextDeadline()).toBe(1100);
    const events = db.tick(1100);
    expect(events.map((e) => e.type === "expired" && [e.entry.spi, e.reason])).toEqual([
      [0x2000, "seconds"],
      [0x2001, "seconds"],
    ]);
    expect(db.size).toBe(0);
    expect(inbound.removed).toBe(true);
    // Key material is gone with the SA.
    expect(inbound.sa.destroyed).toBe(1);
    expect(inbound.sa.key.every((b) => b === 0)).toBe(true);
  });

  it("applies volume lifetimes by bytes and by packets", () => {
    const db = sad();
    const bytes = db.add(
      init(700, { direction: "outbound", lifetime: ciscoLifetime({ seconds: 3600, kilobytes: 1 }) }),
      0,
    );
    const packets = db.add(init(701, { lifetime: { soft: { packets: 5 }, hard: { packets: 10 } } }), 0);
    // 1 KB hard, 921 bytes soft (90 %).
    bytes.sa.traffic("outbound", 10, 100);
    packets.sa.traffic("inbound", 5);
    expect(
      db
        .tick(1)
        .map((e) => [e.type, e.type !== "ike-idle" && e.entry.spi, e.type !== "ike-idle" && e.reason]),
    ).toEqual([
      ["rekey", 700, "bytes"],
      ["rekey", 701, "packets"],
    ]);
    bytes.sa.traffic("outbound", 1, 100);
    // The data plane can check the hard limit per packet, before the next tick.
    expect(bytes.usable(2)).toBe(false);
    expect(packets.usable(2)).toBe(true);
    packets.sa.traffic("inbound", 5);
    expect(db.tick(2).map((e) => e.type === "expired" && e.reason)).toEqual(["bytes", "packets"]);
  });

  it("prints the remaining lifetime like show crypto ipsec sa (seeds/002:7946, 002:7972)", () => {
    const db = sad();
    // "Security-association lifetime: 4608000 kilobytes/120 seconds" … "(4607999/90)".
    const e = db.add(init(800, { lifetime: ciscoLifetime({ seconds: 120, kilobytes: 4_608_000 }) }), 0);
    e.sa.traffic("inbound", 10, 100);
    expect(formatRemainingLifetime(e.remaining(30))).toBe("(4607999/90)");
    expect(formatRemainingLifetime(db.add(init(801), 0).remaining(30))).toBe("(-/-)");
  });

  it("deletes idle pairs and then asks for the IKE SA to go too (seeds/002:11971-11977)", () => {
    const db = sad();
    const a = pair(db, 0, 0x3000, { idleSeconds: 600 });
    const b = pair(db, 0, 0x3100, { idleSeconds: 600, ikeSa: 2, peer: "192.0.2.3" });
    expect(db.nextDeadline()).toBe(600);
    // Traffic in one direction keeps the whole pair alive.
    a.inbound.sa.traffic("inbound", 1);
    expect(db.tick(300)).toEqual([]);
    expect(db.nextDeadline()).toBe(600);
    const events = db.tick(600);
    expect(events).toEqual([
      { type: "expired", entry: b.inbound, reason: "idle" },
      { type: "expired", entry: b.outbound, reason: "idle" },
      { type: "ike-idle", ikeSa: 2, peer: "192.0.2.3" },
    ]);
    expect(db.tick(899)).toEqual([]);
    expect(db.tick(900).filter((e) => e.type === "ike-idle")).toEqual([
      { type: "ike-idle", ikeSa: 1, peer: "192.0.2.2" },
    ]);
    expect(db.size).toBe(0);
  });

  it("keeps old and new SAs during a rekey: inbound accepts both, outbound uses the new one", () => {
    const db = sad();
    const p = newPacketFields();
    setPacketFields(p, { src: "10.1.0.1", dst: "10.2.0.1", protocol: 6, srcPort: 1, dstPort: 2 });
    const lifetime = ciscoLifetime({ seconds: 100 });
    const old = pair(db, 0, 0x4000, { lifetime });
    expect(db.tick(90).map((e) => e.type)).toEqual(["rekey"]);
    const fresh = pair(db, 95, 0x4100, { lifetime });
    db.add(init(0x4200, { direction: "outbound", replaces: old.outbound }), 96).sa.destroy();
    expect(old.outbound.replacedBy).not.toBeNull();
    expect(db.lookupInbound(0x4000, ESP)).toBe(old.inbound);
    expect(db.lookupInbound(0x4100, ESP)).toBe(fresh.inbound);
    const newest = db.lookupOutbound(policy, p, 97);
    expect(newest?.spi).toBe(0x4200);
    // IKE deletes the old pair: the new SAs carry on.
    db.remove(old.inbound);
    db.remove(old.outbound);
    expect(db.lookupInbound(0x4000, ESP)).toBeUndefined();
    expect(db.lookupInbound(0x4100, ESP)).toBe(fresh.inbound);
    expect(db.countByPolicy(policy)).toBe(3);
  });

  it("clears by peer, IKE SA, SPD entry and all, destroying what it removes (seeds/004:604, 002:12547)", () => {
    const db = sad();
    const other = spd.add({
      name: "other",
      action: "protect",
      selectors: [sel("10.3.0.0/16", "10.4.0.0/16")],
      template: TEMPLATE,
    });
    const a = pair(db, 0, 0x5000);
    const b = pair(db, 0, 0x5100, { peer: "192.0.2.3", ikeSa: 2 });
    const c = pair(db, 0, 0x5200, { peer: "192.0.2.4", ikeSa: 3, policy: other });
    const d = pair(db, 0, 0x5300, { peer: "192.0.2.5", ikeSa: 4 });
    expect(db.removeByPeer("192.0.2.3")).toEqual([b.inbound, b.outbound]);
    expect(db.removeByIkeSa(1)).toEqual([a.inbound, a.outbound]);
    expect(db.removeByPolicy(other)).toEqual([c.inbound, c.outbound]);
    expect(db.entries()).toEqual([d.inbound, d.outbound]);
    expect(db.clear()).toEqual([d.inbound, d.outbound]);
    for (const e of [a, b, c, d].flatMap((x) => [x.inbound, x.outbound]) as SadEntry<FakeSa>[]) {
      expect(e.sa.destroyed).toBe(1);
      expect(e.sa.key.every((x) => x === 0)).toBe(true);
    }
    expect(db.size).toBe(0);
    expect(db.nextDeadline()).toBeNull();
    spd.remove(other);
  });
});
