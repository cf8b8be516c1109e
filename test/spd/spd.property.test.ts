/**
 * The fast SPD lookup must answer exactly like an ordered first-match scan (RFC 4301 §4.4.1:
 * the SPD is ordered). The reference here is written independently of the lookup structures:
 * it compares bigint addresses and applies the selector semantics of RFC 4301 §4.4.1.1 and
 * §4.4.1.3 directly.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NO_LIFETIME } from "../../src/sad/lifetime.js";
import { type AddressRange, wordsToAddress } from "../../src/spd/address.js";
import { Direction, newPacketFields, type PacketFields } from "../../src/spd/packet.js";
import {
  hasTypeCode,
  PORT_ANY,
  PORT_OPAQUE,
  type PortRange,
  PROTOCOL_ANY,
  PROTOCOL_OPAQUE,
  type SelectorSet,
} from "../../src/spd/selector.js";
import {
  type PolicyDirection,
  Spd,
  type SpdAction,
  type SpdEntry,
  type SpdEntryInit,
} from "../../src/spd/spd.js";
import { PFP_NONE, type SaTemplate } from "../../src/spd/template.js";

const TEMPLATE: SaTemplate = {
  origin: "ike",
  proposals: [],
  peers: [],
  pfp: PFP_NONE,
  pfsGroup: null,
  lifetime: NO_LIFETIME,
  idleSeconds: null,
  replayWindow: 64,
};

// Small universes so that random selectors overlap a lot. The IPv6 base sits just below a word
// boundary, so ranges cross from one 32-bit word into the next (the exact 128-bit check).
const V4_BASE = 0x0a000000n;
const V6_BASE = (0x20010db8n << 96n) | 0xffffff00n;
const SPAN = 512n;
const PORTS = [0, 1, 2, 3, 7, 20, 65534, 65535];

// ---------- reference matcher ----------

function portMatches(sel: PortRange, v: number): boolean {
  if (sel.start === 0 && sel.end === 65535) return true; // ANY includes OPAQUE
  if (sel.start === 65535 && sel.end === 0) return v === -1; // OPAQUE
  return v >= 0 && sel.start <= v && v <= sel.end;
}

function referenceMatches(s: SelectorSet, p: PacketFields, dir: Direction): boolean {
  if (s.local.family !== p.family) return false;
  const out = dir === Direction.OUTBOUND;
  const local = wordsToAddress(p.family, out ? p.src : p.dst);
  const remote = wordsToAddress(p.family, out ? p.dst : p.src);
  if (local < s.local.start || local > s.local.end || remote < s.remote.start || remote > s.remote.end)
    return false;
  if (s.protocol === PROTOCOL_OPAQUE) {
    if (p.protocol !== PROTOCOL_OPAQUE) return false;
  } else if (s.protocol !== PROTOCOL_ANY && s.protocol !== p.protocol) {
    return false;
  }
  const localPort = out ? p.srcPort : p.dstPort;
  const remotePort = out ? p.dstPort : p.srcPort;
  if (hasTypeCode(s.protocol)) {
    // RFC 4301 §4.4.1.3: what we send is checked against the local selector, what we receive
    // against the remote one.
    return out ? portMatches(s.localPort, localPort) : portMatches(s.remotePort, remotePort);
  }
  return portMatches(s.localPort, localPort) && portMatches(s.remotePort, remotePort);
}

function referenceLookup(
  entries: readonly SpdEntry[],
  p: PacketFields,
  dir: Direction,
): { entry: SpdEntry; selector: number } | null {
  for (const e of entries) {
    if (e.direction === "outbound" && dir !== Direction.OUTBOUND) continue;
    if (e.direction === "inbound" && dir !== Direction.INBOUND) continue;
    const i = e.selectors.findIndex((s) => referenceMatches(s, p, dir));
    if (i >= 0) return { entry: e, selector: i };
  }
  return null;
}

// ---------- generators ----------

const family = fc.constantFrom<4 | 6>(4, 4, 6);

function range(f: 4 | 6): fc.Arbitrary<AddressRange> {
  const base = f === 4 ? V4_BASE : V6_BASE;
  const any: AddressRange = { family: f, start: 0n, end: f === 4 ? 0xffffffffn : (1n << 128n) - 1n };
  const prefix = fc
    .tuple(fc.bigInt({ min: 0n, max: SPAN - 1n }), fc.integer({ min: 0, max: 9 }))
    .map(([off, bits]): AddressRange => {
      const size = 1n << BigInt(bits);
      const start = base + (off / size) * size;
      return { family: f, start, end: start + size - 1n };
    });
  const span = fc
    .tuple(fc.bigInt({ min: 0n, max: SPAN - 1n }), fc.bigInt({ min: 0n, max: SPAN - 1n }))
    .map(
      ([a, b]): AddressRange => ({ family: f, start: base + (a < b ? a : b), end: base + (a < b ? b : a) }),
    );
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(any) },
    { weight: 4, arbitrary: prefix },
    { weight: 4, arbitrary: span },
  );
}

const portRange: fc.Arbitrary<PortRange> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(PORT_ANY) },
  { weight: 1, arbitrary: fc.constant(PORT_OPAQUE) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(...PORTS), fc.constantFrom(...PORTS))
      .map(([a, b]) => ({ start: Math.min(a, b), end: Math.max(a, b) })),
  },
);

function selector(f: 4 | 6): fc.Arbitrary<SelectorSet> {
  const protocols = f === 4 ? [0, 0, 6, 17, 1, 47] : [0, 0, 6, 17, 58, 47, PROTOCOL_OPAQUE];
  return fc
    .tuple(range(f), range(f), fc.constantFrom(...protocols), portRange, portRange)
    .map(([local, remote, protocol, localPort, remotePort]) => {
      const ported = protocol === 6 || protocol === 17 || hasTypeCode(protocol);
      const anyOrOpaque = (r: PortRange) => (r === PORT_OPAQUE ? r : PORT_ANY);
      return {
        local,
        remote,
        protocol,
        localPort: ported ? localPort : anyOrOpaque(localPort),
        remotePort: ported ? remotePort : anyOrOpaque(remotePort),
      };
    });
}

const entryInit: fc.Arbitrary<Omit<SpdEntryInit, "name">> = fc
  .tuple(
    fc.constantFrom<SpdAction>("protect", "bypass", "discard"),
    fc.constantFrom<PolicyDirection>("both", "both", "outbound", "inbound"),
    family.chain((f) => fc.array(selector(f), { minLength: 1, maxLength: 3 })),
    family.chain((f) => selector(f)),
    fc.boolean(),
  )
  .map(([action, direction, sets, other, mixed]) => ({
    action,
    // A second family in one entry (dual-stack selectors) now and then.
    selectors: mixed ? [...sets, other] : sets,
    ...(action === "protect" ? { template: TEMPLATE } : { direction }),
  }));

type Op =
  | { op: "append"; init: Omit<SpdEntryInit, "name"> }
  | { op: "before" | "after"; at: number; init: Omit<SpdEntryInit, "name"> }
  | { op: "remove"; at: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: entryInit.map((init) => ({ op: "append", init }) as const) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom("before", "after") as fc.Arbitrary<"before" | "after">, fc.nat(), entryInit)
      .map(([o, at, init]) => ({ op: o, at, init })),
  },
  { weight: 2, arbitrary: fc.nat().map((at) => ({ op: "remove", at }) as const) },
);

interface Pkt {
  family: 4 | 6;
  src: bigint;
  dst: bigint;
  protocol: number;
  srcPort: number;
  dstPort: number;
  dir: Direction;
}

const packet: fc.Arbitrary<Pkt> = family.chain((f) => {
  const base = f === 4 ? V4_BASE : V6_BASE;
  const addr = fc.oneof(
    { weight: 9, arbitrary: fc.bigInt({ min: 0n, max: SPAN + 8n }).map((o) => base + o - 4n) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: f === 4 ? 0xffffffffn : (1n << 128n) - 1n }) },
  );
  const protocols = f === 4 ? [6, 17, 1, 47, 50] : [6, 17, 58, 47, PROTOCOL_OPAQUE];
  const port = fc.constantFrom(-1, ...PORTS, 4, 100);
  return fc
    .tuple(addr, addr, fc.constantFrom(...protocols), port, port, fc.constantFrom<Direction>(0, 1))
    .map(([src, dst, protocol, sp, dp, dir]) => {
      const typeCode = hasTypeCode(protocol);
      const ported = protocol === 6 || protocol === 17;
      return {
        family: f,
        src,
        dst,
        protocol,
        srcPort: ported || typeCode ? sp : -1,
        dstPort: ported ? dp : typeCode ? sp : -1,
        dir,
      };
    });
});

function load(p: Pkt, out: PacketFields): PacketFields {
  out.family = p.family;
  out.src.fill(0);
  out.dst.fill(0);
  const put = (v: bigint, w: Uint32Array) => {
    if (p.family === 4) w[0] = Number(v);
    else for (let i = 0; i < 4; i++) w[i] = Number((v >> BigInt(96 - 32 * i)) & 0xffffffffn);
  };
  put(p.src, out.src);
  put(p.dst, out.dst);
  out.protocol = p.protocol;
  out.srcPort = p.srcPort;
  out.dstPort = p.dstPort;
  return out;
}

function apply(spd: Spd, ops: readonly Op[]): void {
  let n = 0;
  for (const o of ops) {
    const entries = spd.entries();
    if (o.op === "append") spd.add({ ...o.init, name: `e${n++}` } as SpdEntryInit);
    else if (entries.length === 0) continue;
    else if (o.op === "remove") spd.remove(entries[o.at % entries.length]!);
    else spd.add({ ...o.init, name: `e${n++}` } as SpdEntryInit, { [o.op]: entries[o.at % entries.length]! });
  }
}

function check(spd: Spd, packets: readonly Pkt[]): void {
  const entries = spd.entries();
  const p = newPacketFields();
  for (const pk of packets) {
    load(pk, p);
    const want = referenceLookup(entries, p, pk.dir);
    const got = spd.lookup(p, pk.dir);
    expect(got?.name ?? null).toBe(want?.entry.name ?? null);
    expect(spd.matchedSelector).toBe(want?.selector ?? -1);
    expect(spd.lookupLinear(p, pk.dir)?.name ?? null).toBe(want?.entry.name ?? null);
  }
}

describe("SPD lookup agrees with an ordered first-match scan", () => {
  it("on random policy sets with inserts and deletes, IPv4 and IPv6, ports and ICMP", () => {
    fc.assert(
      fc.property(
        fc.array(op, { minLength: 1, maxLength: 120 }),
        fc.array(packet, { minLength: 1, maxLength: 150 }),
        (ops, packets) => {
          const spd = new Spd();
          apply(spd, ops);
          check(spd, packets);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("on a large set built in bulk and then edited (the tree splits, copies and rebuilds)", () => {
    fc.assert(
      fc.property(
        fc.array(entryInit, { minLength: 400, maxLength: 600 }),
        fc.array(op, { minLength: 100, maxLength: 200 }),
        fc.array(packet, { minLength: 300, maxLength: 300 }),
        (bulk, edits, packets) => {
          const spd = new Spd();
          spd.addAll(bulk.map((init, i) => ({ ...init, name: `b${i}` }) as SpdEntryInit));
          check(spd, packets);
          apply(spd, edits);
          check(spd, packets);
        },
      ),
      { numRuns: 8 },
    );
  });
});
