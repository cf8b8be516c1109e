/**
 * DES (FIPS 46-3) and Triple DES in EDE mode (NIST SP 800-67 Rev. 2), for IKEv1/ESP interop with
 * legacy peers (RFC 2405, RFC 2451). @noble/ciphers has neither.
 *
 * Written for clarity: the permutations are the standard's tables applied bit by bit; only the
 * S-boxes are merged with the P permutation into lookup tables at load time. Bits are numbered as
 * in FIPS 46-3: bit 1 is the most significant bit of the first byte. Not constant-time (the S-box
 * lookups depend on key and data); DES is refused by default as a legacy algorithm.
 *
 * @packageDocumentation
 */
import type { BlockCipher } from "./aes-block.js";

// FIPS 46-3 "Initial Permutation IP".
const IP = [
  58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40,
  32, 24, 16, 8, 57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3, 61, 53, 45, 37, 29, 21, 13, 5,
  63, 55, 47, 39, 31, 23, 15, 7,
];

// FIPS 46-3 "Inverse Initial Permutation IP^-1".
const IP_INV = [
  40, 8, 48, 16, 56, 24, 64, 32, 39, 7, 47, 15, 55, 23, 63, 31, 38, 6, 46, 14, 54, 22, 62, 30, 37, 5, 45, 13,
  53, 21, 61, 29, 36, 4, 44, 12, 52, 20, 60, 28, 35, 3, 43, 11, 51, 19, 59, 27, 34, 2, 42, 10, 50, 18, 58, 26,
  33, 1, 41, 9, 49, 17, 57, 25,
];

// FIPS 46-3 "E BIT-SELECTION TABLE": eight 6-bit groups.
const E = [
  32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9, 8, 9, 10, 11, 12, 13, 12, 13, 14, 15, 16, 17, 16, 17, 18, 19, 20, 21,
  20, 21, 22, 23, 24, 25, 24, 25, 26, 27, 28, 29, 28, 29, 30, 31, 32, 1,
];

// FIPS 46-3 permutation P.
const P = [
  16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22,
  11, 4, 25,
];

// FIPS 46-3 primitive functions S1..S8: row (0–3) × column (0–15).
const S = [
  [
    [14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7],
    [0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8],
    [4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0],
    [15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13],
  ],
  [
    [15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10],
    [3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5],
    [0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15],
    [13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9],
  ],
  [
    [10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8],
    [13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1],
    [13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7],
    [1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12],
  ],
  [
    [7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15],
    [13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9],
    [10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4],
    [3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14],
  ],
  [
    [2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9],
    [14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6],
    [4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14],
    [11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3],
  ],
  [
    [12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11],
    [10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8],
    [9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6],
    [4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13],
  ],
  [
    [4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1],
    [13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6],
    [1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2],
    [6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12],
  ],
  [
    [13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7],
    [1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2],
    [7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8],
    [2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11],
  ],
];

// FIPS 46-3 "Permuted Choice 1" (PC-1): C0 is the first 28 entries, D0 the last 28.
const PC1 = [
  57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
  63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
];

// FIPS 46-3 "Permuted Choice 2" (PC-2), numbering the bits of C ‖ D from 1 to 56.
const PC2 = [
  14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41, 52, 31, 37, 47,
  55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
];

// FIPS 46-3 key schedule: left shifts of C and D before each of the 16 iterations.
const SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];

/** Bit `n` (1-based, 1 = most significant) of the 32-bit word `w`. */
const bit32 = (w: number, n: number): number => (w >>> (32 - n)) & 1;

/** Bit `n` (1 to 64) of the 64-bit value hi ‖ lo. */
const bit64 = (hi: number, lo: number, n: number): number => (n <= 32 ? bit32(hi, n) : bit32(lo, n - 32));

/** Output bits table[from .. from+31] of a 64-bit permutation, as a 32-bit word. */
function permute64(hi: number, lo: number, table: readonly number[], from: number): number {
  let w = 0;
  for (let i = from; i < from + 32; i++) w = (w << 1) | bit64(hi, lo, table[i]!);
  return w >>> 0;
}

/**
 * S-box j followed by P, for each 6-bit input: SP[j][x] is P applied to a word holding S_j(x) in
 * the j-th nibble. The cipher function is then f(R, K) = ⊕_j SP[j][B_j] with B_j the j-th 6-bit
 * group of E(R) ⊕ K. S-box row = first and last bits of B_j, column = the middle four bits.
 */
const SP: readonly Uint32Array[] = S.map((box, j) => {
  const table = new Uint32Array(64);
  for (let x = 0; x < 64; x++) {
    const row = ((x >>> 4) & 2) | (x & 1);
    const col = (x >>> 1) & 15;
    const s = box[row]![col]! << (28 - 4 * j);
    let w = 0;
    for (const from of P) w = (w << 1) | bit32(s, from);
    table[x] = w >>> 0;
  }
  return table;
});

/** The 16 round keys as 8 six-bit groups each (FIPS 46-3 "KS"). */
function keySchedule(key: Uint8Array, offset: number): Uint8Array {
  const hi =
    ((key[offset]! << 24) | (key[offset + 1]! << 16) | (key[offset + 2]! << 8) | key[offset + 3]!) >>> 0;
  const lo =
    ((key[offset + 4]! << 24) | (key[offset + 5]! << 16) | (key[offset + 6]! << 8) | key[offset + 7]!) >>> 0;
  // C and D as 28-bit values (PC-1 drops the parity bits 8, 16, …, 64).
  let c = 0;
  let d = 0;
  for (let i = 0; i < 28; i++) c = (c << 1) | bit64(hi, lo, PC1[i]!);
  for (let i = 28; i < 56; i++) d = (d << 1) | bit64(hi, lo, PC1[i]!);
  const rotl28 = (v: number, n: number): number => ((v << n) | (v >>> (28 - n))) & 0x0fffffff;
  const keys = new Uint8Array(16 * 8);
  for (let round = 0; round < 16; round++) {
    c = rotl28(c, SHIFTS[round]!);
    d = rotl28(d, SHIFTS[round]!);
    // Bit n of C ‖ D: C holds bits 1–28, D bits 29–56, each most significant first.
    const cd = (n: number): number => (n <= 28 ? (c >>> (28 - n)) & 1 : (d >>> (56 - n)) & 1);
    for (let j = 0; j < 8; j++) {
      let group = 0;
      for (let k = 0; k < 6; k++) group = (group << 1) | cd(PC2[6 * j + k]!);
      keys[round * 8 + j] = group;
    }
  }
  return keys;
}

/** The cipher function f(R, K_n) of FIPS 46-3. */
function f(r: number, keys: Uint8Array, round: number): number {
  let out = 0;
  for (let j = 0; j < 8; j++) {
    let group = 0;
    for (let k = 0; k < 6; k++) group = (group << 1) | bit32(r, E[6 * j + k]!);
    out ^= SP[j]![group ^ keys[round * 8 + j]!]!;
  }
  return out;
}

/**
 * One DES block in place. Deciphering is enciphering with the round keys in reverse order
 * (FIPS 46-3 "Deciphering").
 */
function desBlock(keys: Uint8Array, decrypt: boolean, buf: Uint8Array, at: number): void {
  const hi = ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
  const lo = ((buf[at + 4]! << 24) | (buf[at + 5]! << 16) | (buf[at + 6]! << 8) | buf[at + 7]!) >>> 0;
  let l = permute64(hi, lo, IP, 0);
  let r = permute64(hi, lo, IP, 32);
  for (let i = 0; i < 16; i++) {
    const next = (l ^ f(r, keys, decrypt ? 15 - i : i)) >>> 0;
    l = r;
    r = next;
  }
  // The preoutput block is R16 ‖ L16 (the halves are not swapped after the last round).
  const outHi = permute64(r, l, IP_INV, 0);
  const outLo = permute64(r, l, IP_INV, 32);
  buf[at] = outHi >>> 24;
  buf[at + 1] = (outHi >>> 16) & 0xff;
  buf[at + 2] = (outHi >>> 8) & 0xff;
  buf[at + 3] = outHi & 0xff;
  buf[at + 4] = outLo >>> 24;
  buf[at + 5] = (outLo >>> 16) & 0xff;
  buf[at + 6] = (outLo >>> 8) & 0xff;
  buf[at + 7] = outLo & 0xff;
}

/**
 * Single DES with an 8-byte key (parity bits ignored).
 * @internal
 */
export class DesBlock implements BlockCipher {
  readonly blockSize = 8;
  readonly #keys: Uint8Array;

  constructor(key: Uint8Array) {
    this.#keys = keySchedule(key, 0);
  }

  encryptAt(buf: Uint8Array, offset: number): void {
    desBlock(this.#keys, false, buf, offset);
  }

  decryptAt(buf: Uint8Array, offset: number): void {
    desBlock(this.#keys, true, buf, offset);
  }

  destroy(): void {
    this.#keys.fill(0);
  }
}

/**
 * Triple DES, keying option 1 (SP 800-67 §3.1): key K1 ‖ K2 ‖ K3, encryption E_K3(D_K2(E_K1(P)))
 * and decryption D_K1(E_K2(D_K3(C))).
 * @internal
 */
export class TripleDesBlock implements BlockCipher {
  readonly blockSize = 8;
  readonly #k1: Uint8Array;
  readonly #k2: Uint8Array;
  readonly #k3: Uint8Array;

  constructor(key: Uint8Array) {
    this.#k1 = keySchedule(key, 0);
    this.#k2 = keySchedule(key, 8);
    this.#k3 = keySchedule(key, 16);
  }

  encryptAt(buf: Uint8Array, offset: number): void {
    desBlock(this.#k1, false, buf, offset);
    desBlock(this.#k2, true, buf, offset);
    desBlock(this.#k3, false, buf, offset);
  }

  decryptAt(buf: Uint8Array, offset: number): void {
    desBlock(this.#k3, true, buf, offset);
    desBlock(this.#k2, false, buf, offset);
    desBlock(this.#k1, true, buf, offset);
  }

  destroy(): void {
    this.#k1.fill(0);
    this.#k2.fill(0);
    this.#k3.fill(0);
  }
}
