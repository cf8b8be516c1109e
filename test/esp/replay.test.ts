import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ReplayVerdict, ReplayWindow } from "../../src/sad/replay.js";

const TWO_32 = 1n << 32n;
const MAX_64 = (1n << 64n) - 1n;

/**
 * The naive reference: every authenticated number in a Set plus the highest one, T.
 * With ESN the full number is the unique one with the received low bits in [T − W + 1, T − W + 2^32]
 * (RFC 4303 App. A2.2 restated as a range instead of cases A and B).
 */
class Model {
  readonly seen = new Set<bigint>();
  t = 0n;
  constructor(
    readonly w: number,
    readonly esn: boolean,
  ) {}

  check(lo: number): number {
    const l = BigInt(lo);
    if (!this.esn) {
      if (this.w === 0) return 0;
      if (l > this.t) return 0;
      if (l === 0n || this.t - l >= BigInt(this.w)) return ReplayVerdict.TOO_OLD;
      return this.seen.has(l) ? ReplayVerdict.REPLAYED : 0;
    }
    const w = BigInt(this.w === 0 ? 2 ** 31 : this.w);
    const b = this.t - w + 1n;
    const seq = b + ((((l - b) % TWO_32) + TWO_32) % TWO_32);
    if (seq < 1n || seq > MAX_64) return ReplayVerdict.TOO_OLD;
    if (this.w !== 0 && seq <= this.t && this.seen.has(seq)) return ReplayVerdict.REPLAYED;
    return Number(seq >> 32n);
  }

  update(hi: number, lo: number): boolean {
    const seq = ((this.esn ? BigInt(hi) : 0n) << 32n) | BigInt(lo);
    if (seq > this.t) {
      this.t = seq;
      this.seen.add(seq);
      return true;
    }
    if (this.w === 0) return true;
    if (this.t - seq >= BigInt(this.w) || seq === 0n || this.seen.has(seq)) return false;
    this.seen.add(seq);
    return true;
  }
}

/** One received packet: a distance from the current highest number, and whether its ICV verifies. */
const arrival = fc.record({
  delta: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: -150, max: 150 }) },
    { weight: 2, arbitrary: fc.integer({ min: -5000, max: 5000 }) },
    { weight: 1, arbitrary: fc.constantFrom(2 ** 31, -(2 ** 31), 2 ** 32 - 1, 2 ** 32 + 3, 0) },
  ),
  icvOk: fc.integer({ min: 0, max: 9 }).map((n) => n > 0),
  stale: fc.boolean(),
  /** An update() with an exact 64-bit number, as a caller whose window moved during an await makes. */
  direct: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
});

function lowOf(model: Model, delta: number): number {
  return Number((((model.t + BigInt(delta)) % TWO_32) + TWO_32) % TWO_32);
}

describe("ReplayWindow vs the naive Set model (RFC 4303 §3.4.3, App. A; RFC 6479)", () => {
  for (const size of [0, 32, 64, 100, 1024, 4096]) {
    for (const esn of [false, true]) {
      it(`agrees on random arrivals (W=${size}, ESN=${esn})`, () => {
        fc.assert(
          fc.property(
            // Start anywhere, including just below a 2^32 boundary so ESN subspaces change.
            fc.oneof(
              fc.constant(0n),
              fc.bigInt({ min: 1n, max: 3000n }),
              fc.bigInt({ min: TWO_32 - 200n, max: TWO_32 - 1n }),
              fc.bigInt({ min: 3n * TWO_32 - 300n, max: 3n * TWO_32 + 300n }),
            ),
            fc.array(arrival, { minLength: 1, maxLength: 300 }),
            (start, arrivals) => {
              const win = new ReplayWindow({ size, esn });
              const model = new Model(size, esn);
              const first = esn ? start : start % TWO_32;
              if (first > 0n) {
                const hi = Number(first >> 32n);
                const lo = Number(first % TWO_32);
                expect(win.update(hi, lo)).toBe(model.update(hi, lo));
              }
              for (const a of arrivals) {
                const lo = lowOf(model, a.delta);
                const verdict = win.check(lo);
                expect(verdict).toBe(model.check(lo));
                // check() is pure: asking twice gives the same answer.
                expect(win.check(lo)).toBe(verdict);
                if (verdict >= 0 && a.icvOk) {
                  expect(win.update(verdict, lo)).toBe(model.update(verdict, lo));
                }
                if (a.stale && verdict >= 0) {
                  // An async caller's recheck: the same number presented again must now be refused.
                  expect(win.update(verdict, lo)).toBe(model.update(verdict, lo));
                }
                if (a.direct) {
                  const seq = model.t + BigInt(a.delta);
                  if (seq >= 0n && seq <= MAX_64) {
                    const hi = esn ? Number(seq >> 32n) : 0;
                    const lo2 = Number(seq % TWO_32);
                    expect(win.update(hi, lo2)).toBe(model.update(hi, lo2));
                  }
                }
                expect(win.highestHi).toBe(Number(model.t >> 32n));
                expect(win.highestLo).toBe(Number(model.t % TWO_32));
              }
            },
          ),
          { numRuns: 60 },
        );
      });
    }
  }
});

describe("ReplayWindow examples", () => {
  it("accepts in-order and reordered packets inside the window, rejects duplicates and old ones", () => {
    const w = new ReplayWindow(); // default 64
    expect(w.size).toBe(64);
    expect(w.check(0)).toBe(ReplayVerdict.TOO_OLD); // RFC 4303 §3.3.3: the first packet is 1
    for (let s = 1; s <= 100; s++) {
      expect(w.check(s)).toBe(0);
      expect(w.update(0, s)).toBe(true);
    }
    expect(w.check(100)).toBe(ReplayVerdict.REPLAYED);
    expect(w.check(37)).toBe(ReplayVerdict.REPLAYED); // T − W + 1 = 37 is the left edge
    expect(w.check(36)).toBe(ReplayVerdict.TOO_OLD);
    expect(w.update(0, 150)).toBe(true); // skip 101..149
    expect(w.check(120)).toBe(0);
    expect(w.check(86)).toBe(ReplayVerdict.TOO_OLD); // 150 − 64 = 86 is out
    expect(w.check(87)).toBe(ReplayVerdict.REPLAYED);
    expect(w.check(101)).toBe(0);
  });

  it("never records the number 0 (RFC 4303 §3.3.3), with or without ESN", () => {
    for (const esn of [false, true]) {
      const w = new ReplayWindow({ esn });
      expect(w.update(0, 5)).toBe(true);
      expect(w.update(0, 0)).toBe(false);
      expect(w.update(0, 4)).toBe(true);
    }
  });

  it("does not move on check(): only update() records", () => {
    const w = new ReplayWindow({ size: 32 });
    expect(w.check(1000)).toBe(0);
    expect(w.highestLo).toBe(0);
    expect(w.check(1000)).toBe(0);
  });

  it("slides across a whole ring in one jump (RFC 6479 §2: clear every block)", () => {
    const w = new ReplayWindow({ size: 64 });
    for (let s = 1; s <= 64; s++) w.update(0, s);
    // 960 sits at the same ring position as 64 (the ring holds 128 bits); 897..959 reuse 1..63's bits.
    const t = 64 + 128 * 7;
    expect(w.update(0, t)).toBe(true);
    for (let s = t - 63; s < t; s++) expect(w.check(s)).toBe(0);
    expect(w.check(t)).toBe(ReplayVerdict.REPLAYED);
  });

  it("infers the high-order bits across a subspace boundary (RFC 4303 App. A2.2)", () => {
    const w = new ReplayWindow({ size: 64, esn: true });
    expect(w.update(0, 0xfffffff0)).toBe(true);
    // Case A: Seql < Bl → Th + 1.
    expect(w.check(3)).toBe(1);
    expect(w.update(1, 3)).toBe(true);
    // Case B: Seql ≥ Bl → Th − 1 (still inside the window), Seql ≤ Tl → Th.
    expect(w.check(0xfffffff5)).toBe(0);
    expect(w.check(0xfffffff0)).toBe(ReplayVerdict.REPLAYED);
    expect(w.check(2)).toBe(1);
    expect(w.check(3)).toBe(ReplayVerdict.REPLAYED);
    expect(w.check(4)).toBe(1);
  });

  it("rejects the 64-bit number 0 and numbers below it with ESN", () => {
    const w = new ReplayWindow({ esn: true });
    expect(w.check(0)).toBe(ReplayVerdict.TOO_OLD);
    expect(w.check(0xffffffff)).toBe(ReplayVerdict.TOO_OLD); // would be 2^64 − 1 behind T = 0
    expect(w.check(1)).toBe(0);
  });

  it("disabled mode accepts everything and still infers Seqh for ESN", () => {
    const off = new ReplayWindow({ size: 0 });
    expect(off.enabled).toBe(false);
    off.update(0, 5);
    expect(off.check(5)).toBe(0);
    expect(off.update(0, 5)).toBe(true);
    const esn = new ReplayWindow({ size: 0, esn: true });
    esn.update(0, 0xffffff00);
    expect(esn.check(0x10)).toBe(1);
    expect(esn.check(0xffff0000)).toBe(0);
  });

  it("validates the size", () => {
    for (const size of [1, 31, 65537, 64.5, -1, Number.NaN]) {
      expect(() => new ReplayWindow({ size })).toThrow(RangeError);
    }
    expect(new ReplayWindow({ size: 4096 }).size).toBe(4096);
    expect(new ReplayWindow({ size: ReplayWindow.MAX_SIZE }).size).toBe(65536);
  });
});
