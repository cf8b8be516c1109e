import { getDiffieHellman } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MODP_GROUP_IDS, modpGroup } from "../../src/crypto/groups.js";
import { KE_GROUPS } from "../../src/crypto/registry.js";

/**
 * ⌊2^bits · π⌋ from Machin's formula π = 16·arctan(1/5) − 4·arctan(1/239), in fixed point with
 * 64 guard bits.
 */
function piTimesPowerOfTwo(bits: number): bigint {
  const guard = 64n;
  const one = 1n << (BigInt(bits) + guard);
  const arctanInverse = (x: bigint): bigint => {
    let sum = 0n;
    let term = one / x;
    for (let k = 1n; term !== 0n; k += 2n) {
      sum += (k & 2n) === 0n ? term / k : -(term / k);
      term /= x * x;
    }
    return sum;
  };
  return (16n * arctanInverse(5n) - 4n * arctanInverse(239n)) >> guard;
}

/** RFC 2409 §6.1–6.2 and RFC 3526 §2–7: p = 2^n − 2^(n−64) − 1 + 2^64·(⌊2^(n−130)·π⌋ + k). */
const PI_FORM: readonly (readonly [id: number, bits: number, k: bigint])[] = [
  [1, 768, 149686n],
  [2, 1024, 129093n],
  [5, 1536, 741804n],
  [14, 2048, 124476n],
  [15, 3072, 1690314n],
  [16, 4096, 240904n],
  [17, 6144, 929484n],
  [18, 8192, 4743158n],
];

/** RFC 5114 §2.1–2.3: sizes of p and of the prime-order subgroup q. */
const SUBGROUPS: readonly (readonly [id: number, pBits: number, qBits: number])[] = [
  [22, 1024, 160],
  [23, 2048, 224],
  [24, 2048, 256],
];

/** OpenSSL's own copies of the RFC 2409 / RFC 3526 primes, under Node's names. */
const OPENSSL_NAMES: Readonly<Record<number, string>> = {
  1: "modp1",
  2: "modp2",
  5: "modp5",
  14: "modp14",
  15: "modp15",
  16: "modp16",
  17: "modp17",
  18: "modp18",
};

function group(id: number) {
  const g = modpGroup(id);
  if (g === undefined) throw new Error(`no group ${id}`);
  return g;
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

describe("MODP group parameters", () => {
  it("covers every MODP group of the registry", () => {
    const registry = KE_GROUPS.filter((g) => g.kind === "modp").map((g) => g.id);
    expect([...MODP_GROUP_IDS].sort((a, b) => a - b)).toEqual(registry.sort((a, b) => a - b));
    for (const id of registry)
      expect(group(id).length).toBe(KE_GROUPS.find((g) => g.id === id)!.publicKeyLength);
  });

  it("returns undefined for non-MODP groups", () => {
    expect(modpGroup(19)).toBeUndefined();
    expect(modpGroup(3)).toBeUndefined();
  });

  it.each(PI_FORM)("group %i is 2^n − 2^(n−64) − 1 + 2^64·(⌊2^(n−130)·π⌋ + k) with g = 2", (id, bits, k) => {
    const { p, g, q, length } = group(id);
    const n = BigInt(bits);
    const expected = (1n << n) - (1n << (n - 64n)) - 1n + (1n << 64n) * (piTimesPowerOfTwo(bits - 130) + k);
    expect(p).toBe(expected);
    expect(p.toString(2)).toHaveLength(bits);
    expect(length).toBe(bits / 8);
    expect(g).toBe(2n);
    expect(q).toBeUndefined();
  });

  it.each(PI_FORM)("group %i matches OpenSSL's copy of the prime", (id) => {
    const openssl = getDiffieHellman(OPENSSL_NAMES[id]!);
    expect(group(id).p).toBe(BigInt(`0x${openssl.getPrime("hex")}`));
  });

  it.each(SUBGROUPS)("group %i: %i-bit odd p, %i-bit q dividing p − 1, g of order q", (id, pBits, qBits) => {
    const { p, g, q, length, exponentBits } = group(id);
    expect(q).toBeDefined();
    expect(p.toString(2)).toHaveLength(pBits);
    expect(p & 1n).toBe(1n);
    expect(q!.toString(2)).toHaveLength(qBits);
    expect(exponentBits).toBe(qBits);
    expect(length).toBe(pBits / 8);
    expect((p - 1n) % q!).toBe(0n);
    expect(g > 1n && g < p - 1n).toBe(true);
    // RFC 5114 §2: g generates the subgroup of prime order q, so g^q = 1 mod p.
    expect(modPow(g, q!, p)).toBe(1n);
  });

  it("uses private exponents of twice the RFC 3526 §8 strength estimate", () => {
    expect([5, 14, 15, 16, 17, 18].map((id) => group(id).exponentBits)).toEqual([
      240, 320, 420, 480, 540, 620,
    ]);
  });
});
