/**
 * Single-block AES (FIPS 197) in place at any byte offset: @noble/ciphers' key schedule with
 * 4 KiB round tables of this module's own.
 *
 * noble's own modes want 4-byte-aligned buffers and allocate their outputs; ESP works on views at
 * arbitrary offsets inside a packet, so the modes in this directory are written on this block
 * primitive instead. It reads and writes bytes one at a time, so alignment never matters.
 *
 * The rounds do not use noble's `unsafe.encrypt`: that merges its T-tables pairwise into two
 * 65,536-entry tables plus a 65,536-entry S-box per direction (640 KiB), which wins a loop that
 * does nothing but AES, but evicts everything else from the caches of a packet pipeline: measured
 * in this repository's ESP benchmark, the framing code around a noble GCM call then cost about
 * 5 µs per packet instead of 0.5 µs. The tables here are the classic four 256-entry T-tables and
 * a 256-entry S-box per direction (about 4.3 KiB each), in noble's little-endian word layout so
 * that noble's `expandKeyLE` / `expandKeyDecLE` schedules plug in unchanged. Like any table-based
 * AES this is not constant-time against a cache-timing attacker on the same machine (FIPS 197
 * itself has no such requirement); the `node:crypto` backend uses AES-NI.
 *
 * @packageDocumentation
 */
import { unsafe } from "@noble/ciphers/aes.js";
import type { BlockEncryptor } from "../block-mac.js";

/**
 * A block cipher keyed once, encrypting or decrypting one block in place at `offset`.
 * @internal
 */
export interface BlockCipher {
  /** 16 for AES, 8 for DES and 3DES. */
  readonly blockSize: number;
  /** Encrypts the block at `buf[offset .. offset + blockSize)` in place. */
  encryptAt(buf: Uint8Array, offset: number): void;
  /** Decrypts the block at `buf[offset .. offset + blockSize)` in place. */
  decryptAt(buf: Uint8Array, offset: number): void;
  /** Zeroizes the key schedule. */
  destroy(): void;
}

/**
 * The little-endian 32-bit word at `b[i..i+3]`: noble's AES and GHASH take blocks as four of them.
 * @internal
 */
export const wordLE = (b: Uint8Array, i: number): number =>
  b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);

/**
 * Writes `w` little-endian to `b[i..i+3]`.
 * @internal
 */
export function putWordLE(b: Uint8Array, i: number, w: number): void {
  b[i] = w & 0xff;
  b[i + 1] = (w >>> 8) & 0xff;
  b[i + 2] = (w >>> 16) & 0xff;
  b[i + 3] = w >>> 24;
}

/** Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (FIPS 197 §4.2). */
function gmul(a: number, b: number): number {
  let p = 0;
  for (; b > 0; b >>>= 1) {
    if (b & 1) p ^= a;
    a = (a << 1) ^ (a & 0x80 ? 0x11b : 0);
  }
  return p;
}

/** FIPS 197 §5.1.1: SubBytes, the multiplicative inverse followed by the affine transform. */
function makeSbox(): Uint8Array {
  const box = new Uint8Array(256);
  for (let x = 0; x < 256; x++) {
    let inv = 0;
    for (let y = 1; y < 256 && x !== 0; y++) {
      if (gmul(x, y) === 1) {
        inv = y;
        break;
      }
    }
    let s = inv;
    for (let r = 1; r < 5; r++) s ^= ((inv << r) | (inv >>> (8 - r))) & 0xff;
    box[x] = s ^ 0x63;
  }
  return box;
}

/** Round tables in noble's little-endian layout: T[k][x] is T[0][x] rotated left by 8k bits. */
interface RoundTables {
  readonly t0: Uint32Array;
  readonly t1: Uint32Array;
  readonly t2: Uint32Array;
  readonly t3: Uint32Array;
  readonly sbox: Uint8Array;
}

/** T-tables for a (Inv)SubBytes box and a (Inv)MixColumns column [c0, c1, c2, c3]. */
function roundTables(sbox: Uint8Array, c: readonly [number, number, number, number]): RoundTables {
  const rotl8 = (w: number): number => ((w << 8) | (w >>> 24)) >>> 0;
  const t0 = new Uint32Array(256);
  for (let x = 0; x < 256; x++) {
    const s = sbox[x]!;
    t0[x] = gmul(s, c[0]) | (gmul(s, c[1]) << 8) | (gmul(s, c[2]) << 16) | (gmul(s, c[3]) << 24);
  }
  const t1 = t0.map(rotl8);
  const t2 = t1.map(rotl8);
  const t3 = t2.map(rotl8);
  return { t0, t1, t2, t3, sbox };
}

const SBOX = makeSbox();
const INV_SBOX = new Uint8Array(256);
for (let x = 0; x < 256; x++) INV_SBOX[SBOX[x]!] = x;
/** FIPS 197 §5.1.3: MixColumns multiplies by {02}, {01}, {01}, {03}. */
const ENC = roundTables(SBOX, [2, 1, 1, 3]);
/** FIPS 197 §5.3.3: InvMixColumns multiplies by {0e}, {09}, {0d}, {0b}. */
const DEC = roundTables(INV_SBOX, [14, 9, 13, 11]);

/** One column of a last round: S-box lanes, row r taken from `x_r` (FIPS 197 §5.1.1, §5.1.2). */
function sboxColumn(sbox: Uint8Array, x0: number, x1: number, x2: number, x3: number): number {
  return (
    sbox[x0 & 0xff]! |
    (sbox[(x1 >>> 8) & 0xff]! << 8) |
    (sbox[(x2 >>> 16) & 0xff]! << 16) |
    (sbox[x3 >>> 24]! << 24)
  );
}

/**
 * AES encryption of the block at `buf[at..at+16)` with round keys `xk` (FIPS 197 §5.1): each
 * middle round is SubBytes, ShiftRows and MixColumns as four table lookups per column, row r of
 * new column c coming from old column c + r.
 */
function encryptBlock(xk: Uint32Array, buf: Uint8Array, at: number): void {
  const { t0, t1, t2, t3, sbox } = ENC;
  let s0 = wordLE(buf, at) ^ xk[0]!;
  let s1 = wordLE(buf, at + 4) ^ xk[1]!;
  let s2 = wordLE(buf, at + 8) ^ xk[2]!;
  let s3 = wordLE(buf, at + 12) ^ xk[3]!;
  const last = xk.length - 4;
  let k = 4;
  for (; k < last; k += 4) {
    const n0 = t0[s0 & 0xff]! ^ t1[(s1 >>> 8) & 0xff]! ^ t2[(s2 >>> 16) & 0xff]! ^ t3[s3 >>> 24]! ^ xk[k]!;
    const n1 =
      t0[s1 & 0xff]! ^ t1[(s2 >>> 8) & 0xff]! ^ t2[(s3 >>> 16) & 0xff]! ^ t3[s0 >>> 24]! ^ xk[k + 1]!;
    const n2 =
      t0[s2 & 0xff]! ^ t1[(s3 >>> 8) & 0xff]! ^ t2[(s0 >>> 16) & 0xff]! ^ t3[s1 >>> 24]! ^ xk[k + 2]!;
    const n3 =
      t0[s3 & 0xff]! ^ t1[(s0 >>> 8) & 0xff]! ^ t2[(s1 >>> 16) & 0xff]! ^ t3[s2 >>> 24]! ^ xk[k + 3]!;
    s0 = n0;
    s1 = n1;
    s2 = n2;
    s3 = n3;
  }
  putWordLE(buf, at, sboxColumn(sbox, s0, s1, s2, s3) ^ xk[k]!);
  putWordLE(buf, at + 4, sboxColumn(sbox, s1, s2, s3, s0) ^ xk[k + 1]!);
  putWordLE(buf, at + 8, sboxColumn(sbox, s2, s3, s0, s1) ^ xk[k + 2]!);
  putWordLE(buf, at + 12, sboxColumn(sbox, s3, s0, s1, s2) ^ xk[k + 3]!);
}

/**
 * AES decryption of the block at `buf[at..at+16)` as the equivalent inverse cipher (FIPS 197
 * §5.3.5) with noble's decryption schedule (reversed, InvMixColumns applied to the middle round
 * keys): row r of new column c comes from old column c − r (InvShiftRows).
 */
function decryptBlock(xk: Uint32Array, buf: Uint8Array, at: number): void {
  const { t0, t1, t2, t3, sbox } = DEC;
  let s0 = wordLE(buf, at) ^ xk[0]!;
  let s1 = wordLE(buf, at + 4) ^ xk[1]!;
  let s2 = wordLE(buf, at + 8) ^ xk[2]!;
  let s3 = wordLE(buf, at + 12) ^ xk[3]!;
  const last = xk.length - 4;
  let k = 4;
  for (; k < last; k += 4) {
    const n0 = t0[s0 & 0xff]! ^ t1[(s3 >>> 8) & 0xff]! ^ t2[(s2 >>> 16) & 0xff]! ^ t3[s1 >>> 24]! ^ xk[k]!;
    const n1 =
      t0[s1 & 0xff]! ^ t1[(s0 >>> 8) & 0xff]! ^ t2[(s3 >>> 16) & 0xff]! ^ t3[s2 >>> 24]! ^ xk[k + 1]!;
    const n2 =
      t0[s2 & 0xff]! ^ t1[(s1 >>> 8) & 0xff]! ^ t2[(s0 >>> 16) & 0xff]! ^ t3[s3 >>> 24]! ^ xk[k + 2]!;
    const n3 =
      t0[s3 & 0xff]! ^ t1[(s2 >>> 8) & 0xff]! ^ t2[(s1 >>> 16) & 0xff]! ^ t3[s0 >>> 24]! ^ xk[k + 3]!;
    s0 = n0;
    s1 = n1;
    s2 = n2;
    s3 = n3;
  }
  putWordLE(buf, at, sboxColumn(sbox, s0, s3, s2, s1) ^ xk[k]!);
  putWordLE(buf, at + 4, sboxColumn(sbox, s1, s0, s3, s2) ^ xk[k + 1]!);
  putWordLE(buf, at + 8, sboxColumn(sbox, s2, s1, s0, s3) ^ xk[k + 2]!);
  putWordLE(buf, at + 12, sboxColumn(sbox, s3, s2, s1, s0) ^ xk[k + 3]!);
}

/**
 * AES with a 16-, 24- or 32-byte key. The decryption key schedule is expanded on first use, so
 * CTR, GCM, CCM and the MACs never pay for it.
 * @internal
 */
export class AesBlock implements BlockCipher, BlockEncryptor {
  readonly blockSize = 16;
  readonly #key: Uint8Array;
  readonly #enc: Uint32Array;
  #dec: Uint32Array | undefined;

  constructor(key: Uint8Array) {
    this.#key = new Uint8Array(key); // a copy (Buffer#slice would share memory)
    this.#enc = unsafe.expandKeyLE(this.#key);
  }

  encryptAt(buf: Uint8Array, offset: number): void {
    encryptBlock(this.#enc, buf, offset);
  }

  decryptAt(buf: Uint8Array, offset: number): void {
    this.#dec ??= unsafe.expandKeyDecLE(this.#key);
    decryptBlock(this.#dec, buf, offset);
  }

  encryptBlock(block: Uint8Array): void {
    encryptBlock(this.#enc, block, 0);
  }

  destroy(): void {
    this.#key.fill(0);
    this.#enc.fill(0);
    this.#dec?.fill(0);
  }
}
