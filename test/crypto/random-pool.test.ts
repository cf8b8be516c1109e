import { describe, expect, it } from "vitest";
import { pooledRandom } from "../../src/crypto/random-pool.js";

describe("pooled randomness", () => {
  it("serves the source's stream in order and refills it in 4 KiB calls", () => {
    let counter = 0;
    const calls: number[] = [];
    const source = (out: Uint8Array) => {
      calls.push(out.length);
      for (let i = 0; i < out.length; i++) out[i] = counter++ & 0xff;
    };
    const random = pooledRandom(source);
    const seen: number[] = [];
    const iv = new Uint8Array(16);
    for (let k = 0; k < 300; k++) {
      random(iv);
      seen.push(...iv);
    }
    expect(calls).toEqual([4096, 4096]);
    expect(seen).toEqual(Array.from({ length: 300 * 16 }, (_, i) => (i % 4096) & 0xff));
  });

  it("passes requests larger than the pool straight to the source", () => {
    const calls: number[] = [];
    const random = pooledRandom((out) => {
      calls.push(out.length);
      out.fill(7);
    });
    const big = new Uint8Array(5000);
    random(big);
    expect(calls).toEqual([5000]);
    expect(big.every((b) => b === 7)).toBe(true);
  });

  it("passes requests above maxPooled straight to the source, and pools the rest", () => {
    const calls: number[] = [];
    const random = pooledRandom((out) => {
      calls.push(out.length);
      out.fill(9);
    }, 64);
    random(new Uint8Array(65));
    random(new Uint8Array(64));
    random(new Uint8Array(32));
    expect(calls).toEqual([65, 4096]);
  });
});
