import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isSadError } from "../../src/sad/errors.js";
import { ciscoLifetime } from "../../src/sad/lifetime.js";
import { Sad, type SadEntry } from "../../src/sad/sad.js";
import { exportSad, importSad, type SadState } from "../../src/sad/state.js";
import { parseAddressRange } from "../../src/spd/address.js";
import { PORT_OPAQUE, selectorSet } from "../../src/spd/selector.js";
import { Spd } from "../../src/spd/spd.js";
import { PFP_NONE } from "../../src/spd/template.js";
import { fromHex, toHex } from "../../src/wire/bytes.js";
import { FakeSa, scriptedRandom } from "./fake-sa.js";

const spd = new Spd();
const selectors = [
  selectorSet({ local: parseAddressRange("10.1.0.0/16"), remote: parseAddressRange("10.2.0.0/16") }),
  selectorSet({
    local: parseAddressRange("2001:db8::1-2001:db8::ff"),
    remote: parseAddressRange("::/0"),
    protocol: 6,
    remotePort: PORT_OPAQUE,
  }),
];
const policies = ["a", "b"].map((name) =>
  spd.add({
    name,
    action: "protect",
    selectors,
    template: {
      origin: "ike",
      proposals: [],
      peers: [],
      pfp: PFP_NONE,
      pfsGroup: null,
      lifetime: ciscoLifetime(),
      idleSeconds: null,
      replayWindow: 64,
    },
  }),
);

/** What an HA peer would keep of an SA: everything observable. */
function view(e: SadEntry<FakeSa>, now: number) {
  return {
    spi: e.spi,
    protocol: e.protocol,
    direction: e.direction,
    local: e.local,
    peer: e.peer,
    selectors: e.selectors,
    policy: e.policy?.name ?? null,
    ikeSa: e.ikeSa,
    lifetime: e.lifetime,
    idle: e.idleSeconds,
    manual: e.manual,
    transform: e.transform,
    age: now - e.installedAt,
    remaining: e.remaining(now),
    soft: e.softExpired,
    counters: { ...e.sa.counters },
    key: toHex(e.sa.key),
    pair: e.pair?.spi ?? null,
    bundle: e.bundle.map((b) => b.spi),
    replacedBy: e.replacedBy?.spi ?? null,
  };
}

interface Spec {
  inbound: boolean;
  protocol: 50 | 51;
  withPair: boolean;
  bundled: boolean;
  replaces: boolean;
  policy: number;
  ikeSa: number | string | null;
  seconds: number;
  idle: number | null;
  packets: number;
  age: number;
}

const spec: fc.Arbitrary<Spec> = fc.record({
  inbound: fc.boolean(),
  protocol: fc.constantFrom<50 | 51>(50, 51),
  withPair: fc.boolean(),
  bundled: fc.boolean(),
  replaces: fc.boolean(),
  policy: fc.integer({ min: -1, max: 1 }),
  ikeSa: fc.oneof(fc.constant(null), fc.nat({ max: 5 }), fc.constantFrom("ike-a", "ike-b")),
  seconds: fc.integer({ min: 10, max: 100_000 }),
  idle: fc.oneof(fc.constant(null), fc.integer({ min: 60, max: 86_400 })),
  packets: fc.nat({ max: 1000 }),
  age: fc.integer({ min: 0, max: 5 }),
});

function build(specs: readonly Spec[], now: number): Sad<FakeSa> {
  const sad = new Sad<FakeSa>({ randomBytes: scriptedRandom([]) });
  const added: SadEntry<FakeSa>[] = [];
  specs.forEach((s, i) => {
    const earlier = added[added.length - 1];
    const linkable = earlier !== undefined && !earlier.removed;
    const e = sad.add(
      {
        sa: new FakeSa(new Uint8Array(16).fill(i + 1)),
        spi: 0x1000 + i,
        protocol: s.protocol,
        direction: s.inbound ? "inbound" : "outbound",
        local: "192.0.2.1",
        peer: `192.0.2.${(i % 3) + 2}`,
        selectors: selectors.slice(0, 1 + (i % 2)),
        policy: s.policy < 0 ? null : policies[s.policy]!,
        ikeSa: s.ikeSa,
        lifetime: ciscoLifetime({ seconds: s.seconds }),
        idleSeconds: s.idle,
        manual: s.ikeSa === null,
        transform: i % 2 === 0 ? "esp-aes esp-sha-hmac" : "ah-sha-hmac",
        ...(linkable && s.withPair && earlier.pair === null ? { pair: earlier } : {}),
        ...(linkable && s.bundled ? { bundleWith: earlier } : {}),
        ...(linkable && s.replaces && earlier.replacedBy === null ? { replaces: earlier } : {}),
      },
      now - s.age * 100,
    );
    e.sa.traffic(e.direction, s.packets, 64);
    added.push(e);
  });
  // Counters seen by a tick (activity time, soft expiries) are part of the state.
  sad.tick(now);
  return sad;
}

describe("SAD export and import", () => {
  it("round-trips through JSON onto another node's clock", () => {
    fc.assert(
      fc.property(fc.array(spec, { maxLength: 12 }), fc.integer({ min: 0, max: 1e6 }), (specs, shift) => {
        const now = 10_000;
        const source = build(specs, now);
        const serialize = (sa: FakeSa) => ({ key: toHex(sa.key) });
        const wire = JSON.parse(JSON.stringify(exportSad(source, now, serialize))) as SadState<{
          key: string;
        }>;
        const target = new Sad<FakeSa>({ randomBytes: scriptedRandom([]) });
        const later = now + shift;
        const restored = importSad(target, wire, later, {
          deserialize: (s) => new FakeSa(fromHex(s.key)),
          policy: (name) => spd.get(name),
        });
        expect(restored.map((e) => view(e, later))).toEqual(source.entries().map((e) => view(e, now)));
        // Lookups work on the copy, and its timers continue where the source stood.
        for (const e of source.entries()) {
          if (e.direction === "inbound") expect(target.lookupInbound(e.spi, e.protocol)?.spi).toBe(e.spi);
        }
        const next = source.nextDeadline();
        expect(target.nextDeadline()).toBe(next === null ? null : next + shift);
      }),
      { numRuns: 60 },
    );
  });

  it("refuses state it cannot trust", () => {
    const source = build([], 0);
    const empty = exportSad(source, 0, () => null);
    expect(empty).toEqual({ version: 1, records: [] });
    const target = new Sad<FakeSa>({ randomBytes: scriptedRandom([]) });
    const opts = { deserialize: () => new FakeSa(), policy: () => undefined };
    const code = (state: unknown) => {
      try {
        importSad(target, state as SadState<null>, 0, opts);
      } catch (e) {
        return isSadError(e) ? e.code : "other";
      }
      return "no error";
    };
    expect(code({ version: 2, records: [] })).toBe("bad-state");
    const one = exportSad(build([{ ...sample, policy: 0 }], 0), 0, () => null);
    expect(code(one)).toBe("bad-state"); // names an SPD entry the target does not know
    const linked = exportSad(build([{ ...sample, policy: -1 }], 0), 0, () => null);
    expect(code({ ...linked, records: [{ ...linked.records[0]!, pair: 7 }] })).toBe("bad-state");
    expect(code({ ...linked, records: [{ ...linked.records[0]!, spi: 3 }] })).toBe("bad-spi");
  });
});

const sample: Spec = {
  inbound: true,
  protocol: 50,
  withPair: false,
  bundled: false,
  replaces: false,
  policy: 0,
  ikeSa: 1,
  seconds: 3600,
  idle: null,
  packets: 0,
  age: 0,
};
