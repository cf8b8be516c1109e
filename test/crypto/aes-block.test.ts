/**
 * The pure-TypeScript AES block (src/crypto/noble/aes-block.ts) against FIPS 197 Appendix C, and
 * against noble's own AES on random keys and blocks, in both directions and at odd offsets.
 */
import { unsafe } from "@noble/ciphers/aes.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AesBlock, putWordLE, wordLE } from "../../src/crypto/noble/aes-block.js";
import { fromHex, toHex } from "../../src/wire/bytes.js";

const PLAINTEXT = "00112233445566778899aabbccddeeff";
// FIPS 197 Appendix C.1–C.3: key 00 01 02 … of 16, 24 and 32 bytes.
const APPENDIX_C = [
  { bytes: 16, ciphertext: "69c4e0d86a7b0430d8cdb78070b4c55a" },
  { bytes: 24, ciphertext: "dda97ca4864cdfe06eaf70a0ec0d7191" },
  { bytes: 32, ciphertext: "8ea2b7ca516745bfeafc49904b496089" },
];

const countingKey = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);

describe("AesBlock", () => {
  for (const { bytes, ciphertext } of APPENDIX_C) {
    it(`AES-${bytes * 8} matches FIPS 197 Appendix C both ways`, () => {
      const aes = new AesBlock(countingKey(bytes));
      const block = fromHex(PLAINTEXT);
      aes.encryptAt(block, 0);
      expect(toHex(block)).toBe(ciphertext);
      aes.decryptAt(block, 0);
      expect(toHex(block)).toBe(PLAINTEXT);
    });
  }

  it("agrees with noble's AES on random keys, blocks and offsets", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 24, 32).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 7 }),
        (key, plain, offset) => {
          const buf = new Uint8Array(offset + 16);
          buf.set(plain, offset);
          new AesBlock(key).encryptAt(buf, offset);
          const s = unsafe.encrypt(
            unsafe.expandKeyLE(key),
            wordLE(plain, 0),
            wordLE(plain, 4),
            wordLE(plain, 8),
            wordLE(plain, 12),
          );
          const expected = new Uint8Array(16);
          putWordLE(expected, 0, s.s0);
          putWordLE(expected, 4, s.s1);
          putWordLE(expected, 8, s.s2);
          putWordLE(expected, 12, s.s3);
          expect(buf.subarray(offset)).toEqual(expected);
          new AesBlock(key).decryptAt(buf, offset);
          expect(buf.subarray(offset)).toEqual(plain);
        },
      ),
    );
  });

  it("zeroizes its schedules on destroy", () => {
    const aes = new AesBlock(countingKey(16));
    const block = fromHex(PLAINTEXT);
    aes.decryptAt(block, 0); // expands the decryption schedule too
    aes.destroy();
    const after = fromHex(PLAINTEXT);
    aes.encryptAt(after, 0);
    expect(toHex(after)).not.toBe(APPENDIX_C[0]!.ciphertext); // an all-zero schedule now
  });
});
