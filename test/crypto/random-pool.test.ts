import { describe, expect, it } from "vitest";
import { pooledRandom, sharedRandom } from "../../src/crypto/random-pool.js";

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
    // Words are copied as the host stores them, so each 4 bytes keep their order on a
    // little-endian host and are reversed on a big-endian one; nothing is served twice.
    const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
    const order = (i: number) => (littleEndian ? i : i - (i % 4) + 3 - (i % 4));
    expect(seen).toEqual(Array.from({ length: 300 * 16 }, (_, i) => (order(i) % 4096) & 0xff));
  });

  it("serves odd sizes from whole words, never serving a byte twice", () => {
    let counter = 0;
    const source = (out: Uint8Array) => {
      for (let i = 0; i < out.length; i++) out[i] = 1 + (counter++ % 251); // never 0
    };
    const random = pooledRandom(source);
    const served: number[] = [];
    for (const n of [1, 2, 3, 5, 7, 0, 4, 13]) {
      const out = new Uint8Array(n);
      random(out);
      served.push(...out);
    }
    expect(served.length).toBe(35);
    expect(served.every((b) => b !== 0)).toBe(true); // every byte came from the source
    expect(new Set(served).size).toBe(served.length); // and none twice (the first 251 are distinct)
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
    const random = pooledRandom(
      (out) => {
        calls.push(out.length);
        out.fill(9);
      },
      { maxPooled: 64 },
    );
    random(new Uint8Array(65));
    random(new Uint8Array(64));
    random(new Uint8Array(32));
    expect(calls).toEqual([65, 4096]);
  });

  it("refills poolBytes at a time", () => {
    const calls: number[] = [];
    const random = pooledRandom((out) => void calls.push(out.length), { poolBytes: 64 });
    for (let k = 0; k < 5; k++) random(new Uint8Array(16));
    expect(calls).toEqual([64, 64]);
  });

  it("draws the shared data-plane pool from the platform CSPRNG, never the same bytes twice", () => {
    const a = new Uint8Array(16);
    const b = new Uint8Array(16);
    sharedRandom(a);
    sharedRandom(b);
    // 2^-128 chances each of failing by accident.
    expect(a.some((x) => x !== 0)).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });
});
