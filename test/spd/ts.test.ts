import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAddressRange } from "../../src/spd/address.js";
import { isPolicyError } from "../../src/spd/errors.js";
import { PROTOCOL_OPAQUE, portRange, type SelectorSet, selectorSet } from "../../src/spd/selector.js";
import {
  checkTrafficSelector,
  intersectTs,
  MAX_TRAFFIC_SELECTORS,
  narrowTrafficSelectors,
  rekeySelectorsAcceptable,
  selectorSetToTs,
  type TrafficSelector,
  tsContains,
  tsEquals,
  tsToSelectorSets,
  tsType,
} from "../../src/spd/ts.js";

function ts(range: string, protocol = 0, startPort = 0, endPort = 65535): TrafficSelector {
  const r = parseAddressRange(range);
  return { family: r.family, protocol, startPort, endPort, start: r.start, end: r.end };
}

function sel(local: string, remote: string, extra: Partial<SelectorSet> = {}): SelectorSet {
  return selectorSet({ local: parseAddressRange(local), remote: parseAddressRange(remote), ...extra });
}

describe("traffic selector algebra", () => {
  it("intersects protocol, ports and addresses", () => {
    expect(intersectTs(ts("10.0.0.0/8"), ts("10.1.0.0/16", 6, 80, 80))).toEqual(ts("10.1.0.0/16", 6, 80, 80));
    expect(intersectTs(ts("10.0.0.0/8", 6), ts("10.0.0.0/8", 17))).toBeNull();
    expect(intersectTs(ts("10.0.0.0/24"), ts("10.0.1.0/24"))).toBeNull();
    expect(intersectTs(ts("10.0.0.0/8", 6, 1, 100), ts("10.0.0.0/8", 6, 50, 200))).toEqual(
      ts("10.0.0.0/8", 6, 50, 100),
    );
    expect(intersectTs(ts("10.0.0.0/8"), ts("::/0"))).toBeNull();
    expect(tsEquals(ts("10.0.0.0/8", 6), ts("10.0.0.0-10.255.255.255", 6))).toBe(true);
    expect(tsEquals(ts("10.0.0.0/8", 6), ts("10.0.0.0/8"))).toBe(false);
    // ANY includes OPAQUE; OPAQUE and a specific range share nothing (RFC 7296 §3.13.1).
    expect(intersectTs(ts("10.0.0.0/8", 6), ts("10.0.0.0/8", 6, 65535, 0))).toEqual(
      ts("10.0.0.0/8", 6, 65535, 0),
    );
    expect(intersectTs(ts("10.0.0.0/8", 6, 80, 80), ts("10.0.0.0/8", 6, 65535, 0))).toBeNull();
  });

  it("converts selector sets both ways", () => {
    const s = sel("10.1.1.0/24", "172.16.0.0/12", { protocol: 6, remotePort: portRange(443) });
    const { local, remote } = selectorSetToTs(s);
    expect(tsType(local)).toBe(7);
    expect(remote).toEqual(ts("172.16.0.0/12", 6, 443, 443));
    expect(tsToSelectorSets([local], [remote])).toEqual([s]);
    expect(tsToSelectorSets([ts("10.0.0.0/8", 6)], [ts("10.0.0.0/8", 17), ts("::/0")])).toEqual([]);
    try {
      selectorSetToTs(sel("2001:db8::/32", "any6", { protocol: PROTOCOL_OPAQUE }));
      expect.unreachable();
    } catch (e) {
      expect(isPolicyError(e) && e.code).toBe("unsupported");
    }
    expect(() => checkTrafficSelector(ts("10.0.0.0/8", 6, 90, 80))).toThrow();
    expect(checkTrafficSelector(ts("10.0.0.0/8", 6, 65535, 0)).startPort).toBe(65535);
  });

  it("narrows the RFC 7296 §2.9 example to a subset including the initiator's first choices", () => {
    // The initiator wants 198.51.100.0/24 <-> 192.0.2.0/24 and triggered on 198.51.100.43 -> 192.0.2.7.
    const proposal = {
      tsi: [ts("198.51.100.43", 6, 1234, 1234), ts("198.51.100.0/24")],
      tsr: [ts("192.0.2.7", 6, 80, 80), ts("192.0.2.0/24")],
    };
    // The responder only tunnels 198.51.100.0/25 to and from its 192.0.2.0/24 (our local = TSr).
    const r = narrowTrafficSelectors(proposal, [sel("192.0.2.0/24", "198.51.100.0/25")]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.narrowed).toBe(true);
    expect(r.tsi).toEqual([ts("198.51.100.43", 6, 1234, 1234), ts("198.51.100.0/25")]);
    expect(r.tsr).toEqual(proposal.tsr);
    // Fully allowed: the same selectors come back.
    const same = narrowTrafficSelectors(proposal, [sel("192.0.2.0/24", "198.51.100.0/24")]);
    expect(same.ok && !same.narrowed).toBe(true);
  });

  it("prefers the policy that holds the first selectors, and says when more was possible", () => {
    const proposal = { tsi: [ts("10.0.0.5"), ts("10.0.0.0/24")], tsr: [ts("10.9.0.0/24")] };
    const policy = [sel("10.9.0.0/24", "10.0.0.128/25"), sel("10.9.0.0/24", "10.0.0.0/25")];
    const r = narrowTrafficSelectors(proposal, policy);
    expect(r.ok && r.policy).toBe(1);
    expect(r.ok && r.additionalTsPossible).toBe(true);
  });

  it("answers TS_UNACCEPTABLE without overlap or beyond 16 selectors (seeds/004:1205)", () => {
    const proposal = { tsi: [ts("10.0.0.0/24")], tsr: [ts("10.9.0.0/24")] };
    expect(narrowTrafficSelectors(proposal, [sel("10.8.0.0/24", "10.0.0.0/24")])).toEqual({
      ok: false,
      reason: "no-overlap",
    });
    const many = {
      tsi: Array.from({ length: MAX_TRAFFIC_SELECTORS + 1 }, (_, i) => ts(`10.0.${i}.0/24`)),
      tsr: [ts("any4")],
    };
    expect(narrowTrafficSelectors(many, [sel("any4", "any4")])).toEqual({
      ok: false,
      reason: "too-many-selectors",
    });
    const sixteen = { tsi: many.tsi.slice(0, 16), tsr: [ts("any4")] };
    expect(narrowTrafficSelectors(sixteen, [sel("any4", "any4")]).ok).toBe(true);
  });

  it("with `exact`, accepts only a proposal inside one policy set (seeds/002:5327-5331)", () => {
    const policy = [sel("10.9.0.0/16", "10.0.0.0/16")];
    // Case 3: the request is a subset of the responder's permit: accepted.
    expect(
      narrowTrafficSelectors({ tsi: [ts("10.0.1.0/24")], tsr: [ts("10.9.1.0/24")] }, policy, { exact: true })
        .ok,
    ).toBe(true);
    // Case 4: a superset is not permitted.
    expect(
      narrowTrafficSelectors({ tsi: [ts("10.0.0.0/8")], tsr: [ts("10.9.1.0/24")] }, policy, { exact: true })
        .ok,
    ).toBe(false);
  });

  it("keeps rekeyed selectors the same, or wider when allowed (seeds/004:1204, RFC 7296 §2.9.2)", () => {
    const old = { tsi: [ts("10.0.0.0/24")], tsr: [ts("10.9.0.0/24")] };
    const wider = { tsi: [ts("10.0.0.0/16")], tsr: [ts("10.9.0.0/24")] };
    const narrower = { tsi: [ts("10.0.0.0/25")], tsr: [ts("10.9.0.0/24")] };
    expect(rekeySelectorsAcceptable(old, { tsi: [ts("10.0.0.0/24")], tsr: [ts("10.9.0.0/24")] })).toBe(true);
    expect(rekeySelectorsAcceptable(old, wider)).toBe(false);
    expect(rekeySelectorsAcceptable(old, wider, { allowWider: true })).toBe(true);
    expect(rekeySelectorsAcceptable(old, narrower, { allowWider: true })).toBe(false);
  });

  it("never narrows to anything outside the proposal or the chosen policy", () => {
    const prefix = fc
      .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 24, max: 32 }))
      .map(([o, len]) => {
        const size = 2 ** (32 - len);
        return `10.0.0.${Math.floor(o / size) * size}/${len}`;
      });
    const sel_ = fc
      .tuple(prefix, prefix, fc.constantFrom(0, 6, 17))
      .map(([l, r, p]) => sel(l, r, { protocol: p }));
    const tsArb = fc.tuple(prefix, fc.constantFrom(0, 6, 17)).map(([r, p]) => ts(r, p));
    fc.assert(
      fc.property(
        fc.array(tsArb, { minLength: 1, maxLength: 4 }),
        fc.array(tsArb, { minLength: 1, maxLength: 4 }),
        fc.array(sel_, { minLength: 1, maxLength: 4 }),
        (tsi, tsr, policy) => {
          const r = narrowTrafficSelectors({ tsi, tsr }, policy);
          if (!r.ok) return;
          const side = selectorSetToTs(policy[r.policy]!);
          for (const t of r.tsi) {
            expect(tsi.some((o) => tsContains(o, t))).toBe(true);
            expect(tsContains(side.remote, t)).toBe(true);
          }
          for (const t of r.tsr) {
            expect(tsr.some((o) => tsContains(o, t))).toBe(true);
            expect(tsContains(side.local, t)).toBe(true);
          }
        },
      ),
    );
  });
});
