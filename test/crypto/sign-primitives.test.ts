/**
 * The hashes and the randomness behind signatures, in both backends: MD5 (RFC 1321 §A.5),
 * SHA-1 (RFC 3174 §7.3), SHA-256/384/512 of "abc" (as printed in RFC 4754 §8).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ControlPlaneCrypto, HashAlgorithm } from "../../src/crypto/backend.js";
import { nobleControlPlane } from "../../src/crypto/noble/control-plane.js";
import { nodeControlPlane } from "../../src/node/crypto-control-plane.js";
import { fromHex, toHex, utf8 } from "../../src/wire/bytes.js";

const BACKENDS: readonly (readonly [string, ControlPlaneCrypto])[] = [
  ["noble", nobleControlPlane],
  ["node", nodeControlPlane],
];

const VECTORS: readonly (readonly [
  source: string,
  algorithm: HashAlgorithm,
  input: string,
  digest: string,
])[] = [
  ["RFC 1321 §A.5", "md5", "", "d41d8cd98f00b204e9800998ecf8427e"],
  ["RFC 1321 §A.5", "md5", "abc", "900150983cd24fb0d6963f7d28e17f72"],
  ["RFC 1321 §A.5", "md5", "message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
  ["RFC 3174 §7.3 TEST1", "sha1", "abc", "A9 99 3E 36 47 06 81 6A BA 3E 25 71 78 50 C2 6C 9C D0 D8 9D"],
  [
    "RFC 4754 §8.1 h",
    "sha256",
    "abc",
    "BA7816BF 8F01CFEA 414140DE 5DAE2223 B00361A3 96177A9C B410FF61 F20015AD",
  ],
  [
    "RFC 4754 §8.2 h",
    "sha384",
    "abc",
    "CB00753F 45A35E8B B5A03D69 9AC65007 272C32AB 0EDED163 1A8B605A 43FF5BED 8086072B A1E7CC23 58BAECA1 34C825A7",
  ],
  [
    "RFC 4754 §8.3 SHA-512(616263)",
    "sha512",
    "abc",
    "DDAF35A1 93617ABA CC417349 AE204131 12E6FA4E 89A97EA2 0A9EEEE6 4B55D39A" +
      "2192992A 274FC1A8 36BA3C23 A3FEEBBD 454D4423 643CE80E 2A9AC94F A54CA49F",
  ],
];

describe.each(BACKENDS)("%s backend", (_, cp) => {
  it.each(VECTORS)("%s: %s(%j)", (_source, algorithm, input, digest) => {
    expect(toHex(cp.hash(algorithm, utf8(input)))).toBe(toHex(fromHex(digest)));
  });

  it("randomBytes: exact lengths across the 65536-byte getRandomValues limit", () => {
    for (const length of [0, 1, 65536, 65537, 200_000]) expect(cp.randomBytes(length)).toHaveLength(length);
    // 2^-1600000 chance of a false failure: the tail past the first chunk is filled.
    expect(
      cp
        .randomBytes(200_000)
        .subarray(65536)
        .some((b) => b !== 0),
    ).toBe(true);
    expect(toHex(cp.randomBytes(32))).not.toBe(toHex(cp.randomBytes(32)));
  });

  it("randomBytes: refuses negative and fractional lengths", () => {
    for (const length of [-1, 1.5, Number.NaN]) expect(() => cp.randomBytes(length)).toThrow(RangeError);
  });
});

it("both backends hash random data identically", () => {
  const algorithms: HashAlgorithm[] = ["md5", "sha1", "sha256", "sha384", "sha512"];
  fc.assert(
    fc.property(fc.constantFrom(...algorithms), fc.uint8Array({ maxLength: 600 }), (algorithm, data) => {
      expect(toHex(nodeControlPlane.hash(algorithm, data))).toBe(
        toHex(nobleControlPlane.hash(algorithm, data)),
      );
    }),
    { numRuns: 200 },
  );
});
