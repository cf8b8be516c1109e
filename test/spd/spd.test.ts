import { describe, expect, it } from "vitest";
import { ciscoLifetime } from "../../src/sad/lifetime.js";
import { parseAddressRange } from "../../src/spd/address.js";
import { isPolicyError } from "../../src/spd/errors.js";
import { Direction, newPacketFields, setPacketFields } from "../../src/spd/packet.js";
import {
  checkSelectorSet,
  formatSelectorSet,
  icmpSelector,
  mirrorSelectorSet,
  PORT_ANY,
  PORT_OPAQUE,
  PROTOCOL_OPAQUE,
  portRange,
  type SelectorSet,
  selectorContains,
  selectorSet,
  selectorsOverlap,
} from "../../src/spd/selector.js";
import { Spd, type SpdEntryInit } from "../../src/spd/spd.js";
import { PFP_NONE, PFP_PER_HOST, type SaTemplate } from "../../src/spd/template.js";

const TEMPLATE: SaTemplate = {
  origin: "ike",
  proposals: [],
  peers: ["192.0.2.1"],
  pfp: PFP_NONE,
  pfsGroup: null,
  lifetime: ciscoLifetime(),
  idleSeconds: null,
  replayWindow: 64,
};

function sel(local: string, remote: string, extra: Partial<SelectorSet> = {}): SelectorSet {
  return selectorSet({ local: parseAddressRange(local), remote: parseAddressRange(remote), ...extra });
}

function failure(fn: () => unknown): {
  code: string;
  entry?: string | undefined;
  index?: number | undefined;
} {
  try {
    fn();
  } catch (e) {
    if (isPolicyError(e)) return { code: e.code, entry: e.entry, index: e.index };
    throw e;
  }
  return { code: "no error" };
}

describe("selector sets", () => {
  it("refuse selectors that are malformed or cannot match, naming the problem", () => {
    const v4 = parseAddressRange("10.0.0.0/8");
    const v6 = parseAddressRange("2001:db8::/32");
    expect(failure(() => checkSelectorSet({ ...sel("10.0.0.0/8", "any4"), remote: v6 })).code).toBe(
      "mixed-family",
    );
    expect(failure(() => sel("10.0.0.0/8", "any4", { protocol: PROTOCOL_OPAQUE })).code).toBe("bad-protocol");
    expect(failure(() => sel("10.0.0.0/8", "any4", { protocol: 300 })).code).toBe("bad-protocol");
    expect(failure(() => sel("10.0.0.0/8", "any4", { protocol: 47, localPort: portRange(80) })).code).toBe(
      "unmatchable",
    );
    expect(failure(() => sel("10.0.0.0/8", "any4", { protocol: 0, remotePort: portRange(80) })).code).toBe(
      "unmatchable",
    );
    expect(failure(() => portRange(90, 80)).code).toBe("bad-range");
    expect(failure(() => portRange(70000)).code).toBe("bad-port");
    expect(
      failure(() =>
        checkSelectorSet({ ...sel("10.0.0.0/8", "any4"), local: { ...v4, start: v4.end, end: v4.start } }),
      ).code,
    ).toBe("bad-range");
    // OPAQUE ports and protocol are fine where RFC 4301 allows them.
    expect(sel("2001:db8::/32", "any6", { protocol: PROTOCOL_OPAQUE }).protocol).toBe(PROTOCOL_OPAQUE);
    expect(sel("10.0.0.0/8", "any4", { protocol: 51, localPort: PORT_OPAQUE }).localPort).toBe(PORT_OPAQUE);
  });

  it("compare as packet sets", () => {
    const wide = sel("10.0.0.0/8", "172.16.0.0/12");
    const web = sel("10.1.1.0/24", "172.16.1.0/24", { protocol: 6, remotePort: portRange(80) });
    expect(selectorContains(wide, web)).toBe(true);
    expect(selectorContains(web, wide)).toBe(false);
    expect(selectorsOverlap(web, sel("10.1.1.7/32", "any4", { protocol: 6 }))).toBe(true);
    expect(selectorsOverlap(web, sel("10.1.1.7/32", "any4", { protocol: 17 }))).toBe(false);
    // OPAQUE is part of ANY but not of a specific range.
    const opaque = sel("10.0.0.0/8", "any4", { protocol: 6, remotePort: PORT_OPAQUE });
    expect(selectorContains(sel("10.0.0.0/8", "any4", { protocol: 6 }), opaque)).toBe(true);
    expect(selectorsOverlap(opaque, web)).toBe(false);
  });

  it("mirror for the peer's view and print as text", () => {
    const web = sel("10.1.1.0/24", "172.16.1.5", { protocol: 6, remotePort: portRange(80) });
    const mirrored = mirrorSelectorSet(web);
    expect(mirrored.local).toEqual(web.remote);
    expect(mirrored.localPort).toEqual(portRange(80));
    expect(mirrorSelectorSet(mirrored)).toEqual(web);
    expect(formatSelectorSet(web)).toBe("10.1.1.0/24[any] -> 172.16.1.5[80] proto 6");
    expect(
      formatSelectorSet(sel("2001:db8::/32", "any6", { protocol: PROTOCOL_OPAQUE, localPort: PORT_OPAQUE })),
    ).toBe("2001:db8::/32[opaque] -> ::/0[any] proto opaque");
  });
});

describe("Spd", () => {
  const p = newPacketFields();

  it("refuses bad entries with a typed error naming the entry (and selector)", () => {
    const spd = new Spd();
    spd.add({ name: "a", action: "bypass", selectors: [sel("any4", "any4")] });
    expect(
      failure(() => spd.add({ name: "a", action: "bypass", selectors: [sel("any4", "any4")] })),
    ).toMatchObject({
      code: "duplicate-name",
      entry: "a",
    });
    expect(
      failure(() => spd.add({ name: "b", action: "protect", selectors: [sel("any4", "any4")] })),
    ).toMatchObject({
      code: "bad-entry",
      entry: "b",
    });
    expect(
      failure(() =>
        spd.add({
          name: "c",
          action: "protect",
          direction: "outbound",
          selectors: [sel("any4", "any4")],
          template: TEMPLATE,
        }),
      ),
    ).toMatchObject({ code: "bad-entry", entry: "c" });
    expect(failure(() => spd.add({ name: "d", action: "discard", selectors: [] }))).toMatchObject({
      code: "bad-entry",
      entry: "d",
    });
    const bad = { ...sel("10.0.0.0/8", "any4"), protocol: 47, localPort: portRange(1) };
    expect(
      failure(() => spd.add({ name: "e", action: "bypass", selectors: [sel("any4", "any4"), bad] })),
    ).toMatchObject({
      code: "unmatchable",
      entry: "e",
      index: 1,
    });
    // RFC 4301 §4.4.2.2 note ***: PFP on an OPAQUE selector.
    const opaque = sel("10.0.0.0/8", "any4", { protocol: 6, localPort: PORT_OPAQUE });
    expect(
      failure(() =>
        spd.add({
          name: "f",
          action: "protect",
          selectors: [opaque],
          template: { ...TEMPLATE, pfp: { ...PFP_PER_HOST, localPort: true } },
        }),
      ),
    ).toMatchObject({ code: "bad-entry", entry: "f" });
    expect(spd.size).toBe(1);
  });

  it("keeps explicit order: first match wins, inserts before and after, removal", () => {
    const spd = new Spd();
    const broad = spd.add({
      name: "broad",
      action: "protect",
      selectors: [sel("10.0.0.0/8", "172.16.0.0/12")],
      template: TEMPLATE,
    });
    setPacketFields(p, { src: "10.1.1.1", dst: "172.16.1.1", protocol: 6, srcPort: 1024, dstPort: 80 });
    expect(spd.lookup(p, Direction.OUTBOUND)).toBe(broad);
    const narrow = spd.add(
      { name: "narrow", action: "bypass", selectors: [sel("10.1.1.0/24", "172.16.1.0/24")] },
      { before: broad },
    );
    expect(spd.lookup(p, Direction.OUTBOUND)).toBe(narrow);
    const drop = spd.add(
      { name: "drop", action: "discard", selectors: [sel("10.1.1.1/32", "any4")] },
      { after: narrow },
    );
    expect(spd.entries().map((e) => e.name)).toEqual(["narrow", "drop", "broad"]);
    spd.remove(narrow);
    expect(spd.lookup(p, Direction.OUTBOUND)).toBe(drop);
    expect(spd.next(drop)).toBe(broad);
    expect(failure(() => spd.remove(narrow)).code).toBe("unknown-entry");
    expect(
      failure(() =>
        spd.add({ name: "x", action: "bypass", selectors: [sel("any4", "any4")] }, { before: narrow }),
      ).code,
    ).toBe("unknown-entry");
  });

  it("maps local and remote by direction (RFC 4301 §5.1, §5.2)", () => {
    const spd = new Spd();
    const e = spd.add({
      name: "web",
      action: "protect",
      selectors: [sel("10.1.1.0/24", "172.16.1.0/24", { protocol: 6, remotePort: portRange(80) })],
      template: TEMPLATE,
    });
    setPacketFields(p, { src: "10.1.1.5", dst: "172.16.1.9", protocol: 6, srcPort: 33000, dstPort: 80 });
    expect(spd.lookup(p, Direction.OUTBOUND)).toBe(e);
    expect(spd.lookup(p, Direction.INBOUND)).toBeNull();
    // The reply comes back mirrored.
    setPacketFields(p, { src: "172.16.1.9", dst: "10.1.1.5", protocol: 6, srcPort: 80, dstPort: 33000 });
    expect(spd.lookup(p, Direction.INBOUND)).toBe(e);
    expect(spd.lookup(p, Direction.OUTBOUND)).toBeNull();
  });

  it("applies one-way BYPASS and DISCARD entries only in their direction", () => {
    const spd = new Spd({ defaultAction: "bypass" });
    const out = spd.add({
      name: "out",
      action: "discard",
      direction: "outbound",
      selectors: [sel("any4", "any4")],
    });
    setPacketFields(p, { src: "10.0.0.1", dst: "10.0.0.2", protocol: 17, srcPort: 1, dstPort: 2 });
    expect(spd.lookup(p, Direction.OUTBOUND)).toBe(out);
    expect(spd.lookup(p, Direction.INBOUND)).toBeNull();
    expect(spd.defaultAction).toBe("bypass");
    expect(new Spd().defaultAction).toBe("discard");
  });

  it("checks ICMP type and code per direction (RFC 4301 §4.4.1.3 example: traceroute out only)", () => {
    const spd = new Spd();
    // Local "port" = type 30 (what we send), remote = OPAQUE (nothing received).
    const e = spd.add({
      name: "traceroute",
      action: "bypass",
      selectors: [
        sel("10.0.0.0/8", "any4", { protocol: 1, localPort: icmpSelector(30), remotePort: PORT_OPAQUE }),
      ],
    });
    setPacketFields(p, {
      src: "10.0.0.1",
      dst: "198.51.100.1",
      protocol: 1,
      srcPort: 30 * 256,
      dstPort: 30 * 256,
    });
    expect(spd.lookup(p, Direction.OUTBOUND)).toBe(e);
    setPacketFields(p, {
      src: "198.51.100.1",
      dst: "10.0.0.1",
      protocol: 1,
      srcPort: 30 * 256,
      dstPort: 30 * 256,
    });
    expect(spd.lookup(p, Direction.INBOUND)).toBeNull();
    setPacketFields(p, {
      src: "10.0.0.1",
      dst: "198.51.100.1",
      protocol: 1,
      srcPort: 8 * 256,
      dstPort: 8 * 256,
    });
    expect(spd.lookup(p, Direction.OUTBOUND)).toBeNull();
  });

  it("matches non-initial fragments only with ANY or OPAQUE ports (RFC 4301 §4.4.1.1)", () => {
    const spd = new Spd();
    const web = spd.add({
      name: "web",
      action: "bypass",
      selectors: [sel("any4", "any4", { protocol: 6, remotePort: portRange(80) })],
    });
    const frag = spd.add({
      name: "frag",
      action: "discard",
      selectors: [sel("any4", "any4", { protocol: 6, remotePort: PORT_OPAQUE })],
    });
    const tcp = spd.add({ name: "tcp", action: "bypass", selectors: [sel("any4", "any4", { protocol: 6 })] });
    setPacketFields(p, { src: "10.0.0.1", dst: "10.0.0.2", protocol: 6, srcPort: 1000, dstPort: 80 });
    expect(spd.lookup(p, Direction.OUTBOUND)).toBe(web);
    setPacketFields(p, { src: "10.0.0.1", dst: "10.0.0.2", protocol: 6 });
    expect(spd.lookup(p, Direction.OUTBOUND)).toBe(frag);
    spd.remove(frag);
    expect(spd.lookup(p, Direction.OUTBOUND)).toBe(tcp);
  });

  it("reports which selector set matched, also for dual-stack entries", () => {
    const spd = new Spd();
    const e = spd.add({
      name: "dual",
      action: "protect",
      selectors: [sel("10.0.0.0/8", "any4"), sel("2001:db8::/32", "any6")],
      template: TEMPLATE,
    });
    setPacketFields(p, { src: "2001:db8::5", dst: "2001:db8:1::9", protocol: 17, srcPort: 1, dstPort: 2 });
    expect(spd.lookup(p, Direction.OUTBOUND)).toBe(e);
    expect(spd.matchedSelector).toBe(1);
    setPacketFields(p, { src: "192.0.2.1", dst: "10.0.0.1", protocol: 17, srcPort: 1, dstPort: 2 });
    expect(spd.lookup(p, Direction.OUTBOUND)).toBeNull();
    expect(spd.matchedSelector).toBe(-1);
  });

  it("keeps answering like the linear scan after many inserts between the same two entries", () => {
    const spd = new Spd();
    const last = spd.add({ name: "last", action: "bypass", selectors: [sel("any4", "any4")] });
    const inits: SpdEntryInit[] = Array.from({ length: 80 }, (_, i) => ({
      name: `n${i}`,
      action: i % 2 === 0 ? "discard" : "bypass",
      selectors: [sel(`10.0.${i}.0/24`, "any4")],
    }));
    const pads = Array.from({ length: 5 }, (_, i) =>
      spd.add(
        { name: `pad${i}`, action: "discard", selectors: [sel(`192.168.${i}.0/24`, "any4")] },
        { before: last },
      ),
    );
    // Always insert right after the same entry: the order key gap halves until it runs out and
    // the SPD renumbers and rebuilds.
    for (const init of inits.reverse()) spd.add(init, { after: pads[4]! });
    for (let i = 0; i < 80; i++) {
      setPacketFields(p, { src: `10.0.${i}.1`, dst: "192.0.2.1", protocol: 6, srcPort: 1, dstPort: 2 });
      expect(spd.lookup(p, Direction.OUTBOUND)?.name).toBe(`n${i}`);
      expect(spd.lookupLinear(p, Direction.OUTBOUND)?.name).toBe(`n${i}`);
    }
    expect(spd.entries()[5]!.name).toBe("n0");
    expect(spd.get("last")).toBe(last);
    expect(spd.has(last)).toBe(true);
    expect(PORT_ANY.start).toBe(0);
  });
});
