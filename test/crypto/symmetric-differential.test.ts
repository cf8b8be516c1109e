/**
 * Differential properties: the pure-TypeScript and node:crypto data planes produce identical
 * bytes for every algorithm and parameter on random inputs; each opens and decrypts what the
 * other sealed and encrypted; a single flipped bit anywhere in the AAD, ciphertext or tag makes
 * `open` return false.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AeadAlgorithm, CipherAlgorithm, MacAlgorithm } from "../../src/crypto/backend.js";
import { nobleDataPlane as noble } from "../../src/crypto/noble/data-plane.js";
import { nodeDataPlane as node } from "../../src/node/crypto-data-plane.js";
import { concat, toHex } from "../../src/wire/bytes.js";

const RUNS = { numRuns: 100 };
const exactly = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
// Lengths drawn uniformly: fast-check's default size bias would keep byte arrays near 10 bytes.
const bytes = (min: number, max: number) => fc.integer({ min, max }).chain(exactly);

/** A copy of `data` placed at `offset` inside a larger buffer, so views start unaligned. */
function placed(data: Uint8Array, offset: number): Uint8Array {
  const buf = new Uint8Array(offset + data.length + 3).fill(0xa5);
  buf.set(data, offset);
  return buf.subarray(offset, offset + data.length);
}

interface AeadParams {
  readonly algorithm: AeadAlgorithm;
  readonly keyLength: number;
  readonly tagLength: number;
  readonly nonceLength: number;
}

const aeadParams: fc.Arbitrary<AeadParams> = fc.oneof(
  fc.record({
    algorithm: fc.constant<AeadAlgorithm>("aes-gcm"),
    keyLength: fc.constantFrom(16, 24, 32),
    tagLength: fc.constantFrom(8, 12, 16),
    nonceLength: fc.constant(12),
  }),
  fc.record({
    algorithm: fc.constant<AeadAlgorithm>("aes-ccm"),
    keyLength: fc.constantFrom(16, 24, 32),
    tagLength: fc.constantFrom(8, 12, 16),
    nonceLength: fc.integer({ min: 7, max: 13 }),
  }),
  fc.record({
    algorithm: fc.constant<AeadAlgorithm>("chacha20-poly1305"),
    keyLength: fc.constant(32),
    tagLength: fc.constant(16),
    nonceLength: fc.constant(12),
  }),
);

const aeadCase = aeadParams.chain((p) =>
  fc.record({
    p: fc.constant(p),
    key: exactly(p.keyLength),
    nonce: exactly(p.nonceLength),
    aad: bytes(0, 40),
    data: bytes(0, 200),
    offset: fc.integer({ min: 0, max: 3 }),
  }),
);

describe("AEAD: noble and node agree", () => {
  it("seal gives identical ciphertext and tag; each opens the other's output", () => {
    fc.assert(
      fc.property(aeadCase, ({ p, key, nonce, aad, data, offset }) => {
        const a = noble.aead(p.algorithm, key, p.tagLength);
        const b = node.aead(p.algorithm, key, p.tagLength);
        const ca = placed(data, offset);
        const cb = Uint8Array.from(data);
        const ta = new Uint8Array(p.tagLength);
        const tb = new Uint8Array(p.tagLength);
        a.seal(nonce, aad, ca, ta);
        b.seal(nonce, aad, cb, tb);
        expect(toHex(ca)).toBe(toHex(cb));
        expect(toHex(ta)).toBe(toHex(tb));
        expect(a.open(nonce, aad, cb, tb)).toBe(true);
        expect(b.open(nonce, aad, ca, ta)).toBe(true);
        expect(toHex(ca)).toBe(toHex(data));
        expect(toHex(cb)).toBe(toHex(data));
      }),
      RUNS,
    );
  });

  it("a single flipped bit in AAD, ciphertext or tag makes open return false", () => {
    fc.assert(
      fc.property(aeadCase, fc.nat(), ({ p, key, nonce, aad, data }, bitSeed) => {
        const sealer = noble.aead(p.algorithm, key, p.tagLength);
        const ciphertext = Uint8Array.from(data);
        const tag = new Uint8Array(p.tagLength);
        sealer.seal(nonce, aad, ciphertext, tag);
        // One bit of the concatenation AAD ‖ ciphertext ‖ tag.
        const all = concat(aad, ciphertext, tag);
        const bit = bitSeed % (all.length * 8);
        all[bit >>> 3]! ^= 1 << (bit & 7);
        for (const backend of [noble, node]) {
          const x = all.slice(aad.length, aad.length + ciphertext.length);
          const ok = backend
            .aead(p.algorithm, key, p.tagLength)
            .open(nonce, all.subarray(0, aad.length), x, all.subarray(aad.length + ciphertext.length));
          expect(ok).toBe(false);
        }
      }),
      RUNS,
    );
  });
});

const cipherCase = fc
  .oneof(
    fc.record({ algorithm: fc.constant<CipherAlgorithm>("aes-cbc"), keyLength: fc.constantFrom(16, 24, 32) }),
    fc.record({ algorithm: fc.constant<CipherAlgorithm>("aes-ctr"), keyLength: fc.constantFrom(16, 24, 32) }),
    fc.record({ algorithm: fc.constant<CipherAlgorithm>("3des-cbc"), keyLength: fc.constant(24) }),
    fc.record({ algorithm: fc.constant<CipherAlgorithm>("des-cbc"), keyLength: fc.constant(8) }),
  )
  .chain(({ algorithm, keyLength }) => {
    const block = algorithm.startsWith("aes") ? 16 : 8;
    const isCtr = algorithm === "aes-ctr";
    return fc.record({
      algorithm: fc.constant(algorithm),
      key: exactly(keyLength),
      // CTR: any counter block, including ones whose low 32 bits are about to wrap.
      iv: isCtr
        ? fc.oneof(
            exactly(16),
            exactly(12).map((p) => concat(p, new Uint8Array([255, 255, 255, 254]))),
          )
        : exactly(block),
      data: isCtr ? bytes(0, 200) : fc.integer({ min: 0, max: 12 }).chain((n) => exactly(n * block)),
      offset: fc.integer({ min: 0, max: 3 }),
    });
  });

describe("ciphers: noble and node agree", () => {
  it("encrypt gives identical bytes; each decrypts the other's output", () => {
    fc.assert(
      fc.property(cipherCase, ({ algorithm, key, iv, data, offset }) => {
        const a = noble.cipher(algorithm, key);
        const b = node.cipher(algorithm, key);
        const xa = placed(data, offset);
        const xb = Uint8Array.from(data);
        a.encrypt(iv, xa);
        b.encrypt(iv, xb);
        expect(toHex(xa)).toBe(toHex(xb));
        a.decrypt(iv, xb);
        b.decrypt(iv, xa);
        expect(toHex(xa)).toBe(toHex(data));
        expect(toHex(xb)).toBe(toHex(data));
      }),
      RUNS,
    );
  });
});

const macCase = fc
  .constantFrom<MacAlgorithm>(
    "hmac-md5",
    "hmac-sha1",
    "hmac-sha256",
    "hmac-sha384",
    "hmac-sha512",
    "aes-xcbc",
    "aes-cmac",
  )
  .chain((algorithm) =>
    fc.record({
      algorithm: fc.constant(algorithm),
      key: algorithm.startsWith("aes") ? exactly(16) : bytes(0, 150),
      parts: fc.array(bytes(0, 70), { maxLength: 4 }),
      outLength: fc.integer({ min: 1, max: 64 }),
    }),
  );

describe("MACs: noble and node agree", () => {
  it("compute gives identical (truncated) output over any split of the message", () => {
    fc.assert(
      fc.property(macCase, ({ algorithm, key, parts, outLength }) => {
        const a = noble.mac(algorithm, key);
        const b = node.mac(algorithm, key);
        const n = Math.min(outLength, a.outputLength);
        const oa = new Uint8Array(n);
        const ob = new Uint8Array(n);
        a.compute(parts, oa);
        b.compute([concat(...parts)], ob);
        expect(toHex(oa)).toBe(toHex(ob));
        expect(b.outputLength).toBe(a.outputLength);
      }),
      RUNS,
    );
  });
});

describe("AES-CCM AAD length encoding (RFC 3610 §2.2)", () => {
  it("agrees with OpenSSL on both sides of 2^16 − 2^8 bytes of AAD", () => {
    const key = new Uint8Array(16).fill(7);
    const nonce = new Uint8Array(11).fill(9);
    for (const aadLength of [0xfeff, 0xff00]) {
      const aad = new Uint8Array(aadLength).map((_, i) => i);
      const tags = [noble, node].map((backend) => {
        const data = new Uint8Array(21).fill(1);
        const tag = new Uint8Array(16);
        backend.aead("aes-ccm", key, 16).seal(nonce, aad, data, tag);
        return toHex(concat(data, tag));
      });
      expect(tags[0]).toBe(tags[1]);
    }
  });
});

describe("AEAD edge lengths", () => {
  it("noble and node agree on empty and one-block messages with empty or short AAD", () => {
    const configs: [AeadAlgorithm, number, number, number][] = [
      ["aes-gcm", 16, 8, 12],
      ["aes-gcm", 32, 16, 12],
      ["aes-ccm", 16, 8, 7],
      ["aes-ccm", 24, 12, 11],
      ["aes-ccm", 32, 16, 13],
      ["chacha20-poly1305", 32, 16, 12],
    ];
    for (const [algorithm, keyLength, tagLength, nonceLength] of configs) {
      for (const [aadLength, dataLength] of [
        [0, 0],
        [0, 16],
        [5, 0],
        [16, 1],
      ] as const) {
        const key = new Uint8Array(keyLength).fill(0x42);
        const nonce = new Uint8Array(nonceLength).fill(0x24);
        const aad = new Uint8Array(aadLength).fill(0x11);
        const results = [noble, node].map((backend) => {
          const data = new Uint8Array(dataLength).fill(0x77);
          const tag = new Uint8Array(tagLength);
          const aead = backend.aead(algorithm, key, tagLength);
          aead.seal(nonce, aad, data, tag);
          const sealed = toHex(concat(data, tag));
          expect(aead.open(nonce, aad, data, tag)).toBe(true);
          return sealed;
        });
        expect(results[0]).toBe(results[1]);
      }
    }
  });
});
