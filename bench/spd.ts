/**
 * SPD lookup benchmark: the decision-tree lookup against a plain first-match scan over the same
 * entries, at 1 000, 10 000 and 100 000 policies, plus insert and delete cost at the largest size.
 *
 * Policies are a gateway-like mix: mostly prefix pairs between a local 10/8 site pool and remote
 * 172.16/12 and 192.168/16 pools (lengths /16 to /32), a tenth IPv6 (/48 to /64), a quarter
 * restricted to TCP or UDP ports, a few ICMP entries, a few broad `any` entries, 80 % PROTECT.
 * Packets: 70 % drawn inside a random policy, 30 % random addresses from the same pools, in both
 * directions. The random generator is seeded, so runs are comparable.
 *
 * Lookups: per size, 4096 distinct packets are stored flat and loaded one at a time into one
 * reused PacketFields, then looked up with `Spd.lookup` in turn (at 100 000 policies such a stream
 * is bound by cache and TLB misses). The machine's speed drifts by tens of percent within seconds,
 * so a ratio of figures measured seconds apart says little. Instead, after a warm-up of each size,
 * the three sizes are timed in alternating slices of about 2 ms (rounds of one slice per size, the
 * order rotating from round to round; 300 rounds, 1500 without --quick), each slice preceded by an
 * untimed half slice of the same size so that it starts from that size's own cache contents.
 * `lookupsPerSec` is a size's median slice rate; `costRatio100kTo1k` (100 000 row) is the median
 * over rounds of the cost per lookup (1 / rate) at 100 000 policies divided by the cost at 1 000 in
 * the same round. `mismatches` counts the stored packets on which the lookup and the linear scan
 * disagree; `linearLookupsPerSec` times that scan (`Spd.lookupLinear`) on the same packets. Last,
 * at 100 000 policies, 2000 more policies are inserted each before a random existing one and then
 * deleted again: `insertMicros` and `deleteMicros` are the mean times per operation.
 */

import { ciscoLifetime } from "../src/sad/lifetime.js";
import { type IpFamily, prefixRange } from "../src/spd/address.js";
import { Direction, newPacketFields, type PacketFields } from "../src/spd/packet.js";
import { icmpSelector, PORT_ANY, type PortRange, type SelectorSet } from "../src/spd/selector.js";
import { Spd, type SpdEntryInit } from "../src/spd/spd.js";
import { PFP_NONE, type SaTemplate } from "../src/spd/template.js";
import { median, opsPerSecond } from "./measure.js";

/** xorshift32: a small seeded generator. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

const TEMPLATE: SaTemplate = {
  origin: "ike",
  proposals: [],
  peers: ["198.51.100.1"],
  pfp: PFP_NONE,
  pfsGroup: null,
  lifetime: ciscoLifetime(),
  idleSeconds: null,
  replayWindow: 64,
};

/** Distinct packets looked up (a power of two). */
const PACKETS = 4096;

const WELL_KNOWN = [22, 25, 53, 80, 123, 443, 500, 1433, 3306, 3389, 5060, 8080];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function prefixIn(r: () => number, family: IpFamily, base: bigint, baseLen: number, len: number) {
  const bits = family === 4 ? 32 : 128;
  const span = BigInt(len - baseLen);
  let rand = 0n;
  for (let i = 0n; i < span; i += 24n) rand = (rand << 24n) | BigInt(Math.floor(r() * 16777216));
  rand &= (1n << span) - 1n;
  const value = base | (rand << BigInt(bits - len));
  return prefixRange(family, value, len);
}

const V4_LOCAL = { base: 0x0a000000n, len: 8 };
const V4_REMOTE = [
  { base: 0xac100000n, len: 12 },
  { base: 0xc0a80000n, len: 16 },
];
const V6_BASE = 0x20010db8n << 96n;

function policy(r: () => number, i: number): SpdEntryInit {
  const v6 = r() < 0.1;
  let local: SelectorSet["local"];
  let remote: SelectorSet["remote"];
  if (v6) {
    local = prefixIn(r, 6, V6_BASE, 33, pick(r, [48, 56, 64, 64]));
    remote = prefixIn(r, 6, V6_BASE | (1n << 95n), 33, pick(r, [48, 56, 64, 64]));
  } else {
    local = prefixIn(r, 4, V4_LOCAL.base, V4_LOCAL.len, pick(r, [16, 20, 24, 24, 24, 28, 32, 32]));
    const pool = pick(r, V4_REMOTE);
    remote = prefixIn(r, 4, pool.base, pool.len, pick(r, [pool.len + 4, 24, 24, 24, 28, 32]));
  }
  const broad = r();
  if (broad < 0.01)
    local = { family: local.family, start: 0n, end: local.family === 4 ? 0xffffffffn : (1n << 128n) - 1n };
  else if (broad < 0.02)
    remote = { family: remote.family, start: 0n, end: remote.family === 4 ? 0xffffffffn : (1n << 128n) - 1n };
  let protocol = 0;
  let localPort: PortRange = PORT_ANY;
  let remotePort: PortRange = PORT_ANY;
  const p = r();
  if (p < 0.25) {
    protocol = r() < 0.7 ? 6 : 17;
    const port = pick(r, WELL_KNOWN);
    if (r() < 0.8) remotePort = { start: port, end: port };
    else localPort = { start: port, end: port };
    if (r() < 0.2) localPort = { start: 1024, end: 65535 };
  } else if (p < 0.28) {
    protocol = v6 ? 58 : 1;
    localPort = icmpSelector(v6 ? 128 : 8);
    remotePort = icmpSelector(v6 ? 129 : 0);
  }
  const a = r();
  const action = a < 0.8 ? "protect" : a < 0.95 ? "bypass" : "discard";
  return {
    name: `p${i}`,
    action,
    selectors: [{ local, remote, protocol, localPort, remotePort }],
    ...(action === "protect" ? { template: TEMPLATE } : {}),
  };
}

function randomIn(r: () => number, start: bigint, end: bigint): bigint {
  const span = end - start + 1n;
  let rand = 0n;
  const bits = span.toString(2).length + 8;
  for (let i = 0; i < bits; i += 24) rand = (rand << 24n) | BigInt(Math.floor(r() * 16777216));
  return start + (rand % span);
}

function setAddress(out: Uint32Array, family: IpFamily, v: bigint): void {
  if (family === 4) out[0] = Number(v);
  else for (let i = 0; i < 4; i++) out[i] = Number((v >> BigInt(96 - 32 * i)) & 0xffffffffn);
}

/** Packet fields per stored packet: family, direction, src ×4, dst ×4, protocol, ports ×2. */
const STRIDE = 13;

/**
 * `n` random packets, stored flat (as a receive path would see them) and loaded one at a time
 * into a single reused {@link PacketFields}, the way {@link parsePacket} is meant to be used.
 */
function packets(r: () => number, inits: readonly SpdEntryInit[], n: number): Uint32Array {
  const out = new Uint32Array(n * STRIDE);
  const p = newPacketFields();
  for (let i = 0; i < n; i++) {
    const dir: Direction = r() < 0.5 ? Direction.OUTBOUND : Direction.INBOUND;
    const s = pick(r, inits).selectors[0]!;
    const family = s.local.family;
    p.family = family;
    let local: bigint;
    let remote: bigint;
    if (r() < 0.7) {
      local = randomIn(r, s.local.start, s.local.end);
      remote = randomIn(r, s.remote.start, s.remote.end);
    } else if (family === 4) {
      local = randomIn(r, V4_LOCAL.base, V4_LOCAL.base | 0xffffffn);
      const pool = pick(r, V4_REMOTE);
      remote = randomIn(r, pool.base, pool.base | ((1n << BigInt(32 - pool.len)) - 1n));
    } else {
      local = randomIn(r, V6_BASE, V6_BASE | ((1n << 95n) - 1n));
      remote = randomIn(r, V6_BASE | (1n << 95n), V6_BASE | ((1n << 96n) - 1n));
    }
    const outbound = dir === Direction.OUTBOUND;
    setAddress(outbound ? p.src : p.dst, family, local);
    setAddress(outbound ? p.dst : p.src, family, remote);
    p.protocol = s.protocol !== 0 ? s.protocol : pick(r, [6, 17, 6, 1, 47]);
    if (p.protocol === 6 || p.protocol === 17) {
      const lp = s.localPort.start === s.localPort.end ? s.localPort.start : 1024 + Math.floor(r() * 60000);
      const rp = s.remotePort.start === s.remotePort.end ? s.remotePort.start : pick(r, WELL_KNOWN);
      p.srcPort = outbound ? lp : rp;
      p.dstPort = outbound ? rp : lp;
    } else if (p.protocol === 1 || p.protocol === 58) {
      p.srcPort = p.dstPort = (r() < 0.5 ? 8 : 0) << 8;
    } else {
      p.srcPort = p.dstPort = -1;
    }
    const o = i * STRIDE;
    out[o] = family;
    out[o + 1] = dir;
    out.set(p.src, o + 2);
    out.set(p.dst, o + 6);
    out[o + 10] = p.protocol;
    out[o + 11] = p.srcPort;
    out[o + 12] = p.dstPort;
    p.src.fill(0);
    p.dst.fill(0);
  }
  return out;
}

/** Loads stored packet `i` into `p` and returns its direction. */
function load(store: Uint32Array, i: number, p: PacketFields): Direction {
  const o = i * STRIDE;
  p.family = store[o] === 4 ? 4 : 6;
  for (let k = 0; k < 4; k++) {
    p.src[k] = store[o + 2 + k]!;
    p.dst[k] = store[o + 6 + k]!;
  }
  p.protocol = store[o + 10]!;
  p.srcPort = store[o + 11]! | 0;
  p.dstPort = store[o + 12]! | 0;
  return store[o + 1] === 0 ? Direction.OUTBOUND : Direction.INBOUND;
}

/** One row of bench/results/spd.json. */
interface Row {
  policies: number;
  /** Median over the alternating slices (see the header). */
  lookupsPerSec: number;
  linearLookupsPerSec: number;
  /**
   * Cost per lookup (1 / lookups per second) at this size over the cost at 1 000 policies: the
   * median over rounds of slices timed back to back (largest size only).
   */
  costRatio100kTo1k?: number;
  /** Microseconds per insert at a random position (largest size only). */
  insertMicros?: number;
  /** Microseconds per delete of a random entry (largest size only). */
  deleteMicros?: number;
  /** Lookups on which the fast and the linear answer differed (must be 0). */
  mismatches: number;
}

/** One policy set under test. */
interface Setup {
  n: number;
  /** The seeded generator that made the policies and packets (it goes on to make the inserts). */
  r: () => number;
  spd: Spd;
  store: Uint32Array;
  /** Lookups per timed slice. */
  slice: number;
  /** Next stored packet to look up. */
  next: number;
  /** Lookups per second of each timed slice. */
  rates: number[];
}

/** Target duration of one timed slice. */
const SLICE_MS = 2;

/** Looks up `count` stored packets in turn from `from` on (the timed loop of every size). */
function lookups(spd: Spd, store: Uint32Array, p: PacketFields, from: number, count: number): void {
  for (let i = from; i < from + count; i++) spd.lookup(p, load(store, i & (PACKETS - 1), p));
}

/** Runs the SPD benchmark; `quick` keeps it under a minute. */
export async function run(opts: { quick: boolean }): Promise<Row[]> {
  const minMs = opts.quick ? 150 : 600;
  const rounds = opts.quick ? 300 : 1500;
  const p = newPacketFields();
  const setups: Setup[] = [1_000, 10_000, 100_000].map((n) => {
    const r = rng(0x5eed + n);
    const inits = Array.from({ length: n }, (_, i) => policy(r, i));
    const spd = new Spd({ defaultAction: "bypass" });
    spd.addAll(inits);
    return { n, r, spd, store: packets(r, inits, PACKETS), slice: 0, next: 0, rates: [] };
  });
  // Collect the builds' garbage (when run with --expose-gc), then warm every size up so the
  // optimizing compiler has settled, and size each slice to about SLICE_MS.
  (globalThis as { gc?: () => void }).gc?.();
  for (const s of setups) {
    let done = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < minMs) {
      lookups(s.spd, s.store, p, done, 1024);
      done += 1024;
    }
    s.slice = Math.max(256, Math.round((done * SLICE_MS) / (performance.now() - t0)));
  }
  // Alternating slices, in rotating order, so that the machine's drift hits all sizes alike.
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const cost = new Map<number, number>();
    for (let k = 0; k < setups.length; k++) {
      const s = setups[(round + k) % setups.length]!;
      // Untimed, so that the slice starts in the steady state of its own size (caches, predictors):
      // without it, the previous size's data in the caches slows the start of a 1 000 slice.
      lookups(s.spd, s.store, p, s.next, s.slice >> 1);
      s.next = (s.next + (s.slice >> 1)) & (PACKETS - 1);
      const t0 = performance.now();
      lookups(s.spd, s.store, p, s.next, s.slice);
      const ms = performance.now() - t0;
      s.next = (s.next + s.slice) & (PACKETS - 1);
      s.rates.push((s.slice * 1000) / ms);
      cost.set(s.n, ms / s.slice);
    }
    ratios.push(cost.get(100_000)! / cost.get(1_000)!);
  }
  const rows: Row[] = [];
  for (const s of setups) {
    const { n, r, spd, store } = s;
    let mismatches = 0;
    for (let i = 0; i < PACKETS; i++) {
      const dir = load(store, i, p);
      if (spd.lookup(p, dir) !== spd.lookupLinear(p, dir)) mismatches++;
    }
    const linearLookupsPerSec = opsPerSecond(
      (k) => {
        for (let i = 0; i < k; i++) spd.lookupLinear(p, load(store, i & (PACKETS - 1), p));
      },
      minMs,
      3,
    );
    const row: Row = {
      policies: n,
      lookupsPerSec: Math.round(median(s.rates)),
      linearLookupsPerSec: Math.round(linearLookupsPerSec),
      mismatches,
    };
    if (n === 100_000) {
      row.costRatio100kTo1k = Number(median(ratios).toFixed(3));
      const existing = spd.entries();
      const extra = Array.from({ length: 2000 }, (_, i) => ({ ...policy(r, n + i), name: `x${i}` }));
      const t0 = performance.now();
      const added = extra.map((init) => spd.add(init, { before: pick(r, existing) }));
      const t1 = performance.now();
      for (const e of added) spd.remove(e);
      const t2 = performance.now();
      row.insertMicros = Number((((t1 - t0) * 1000) / extra.length).toFixed(2));
      row.deleteMicros = Number((((t2 - t1) * 1000) / extra.length).toFixed(2));
    }
    rows.push(row);
  }
  return rows;
}
