/**
 * Single-block AES (FIPS 197) on @noble/ciphers' table implementation, in place at any byte offset.
 *
 * noble's own modes want 4-byte-aligned buffers and allocate their outputs; ESP works on views at
 * arbitrary offsets inside a packet, so the modes in this directory are written on this block
 * primitive instead. It reads and writes bytes one at a time, so alignment never matters.
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
    const s = unsafe.encrypt(
      this.#enc,
      wordLE(buf, offset),
      wordLE(buf, offset + 4),
      wordLE(buf, offset + 8),
      wordLE(buf, offset + 12),
    );
    putWordLE(buf, offset, s.s0);
    putWordLE(buf, offset + 4, s.s1);
    putWordLE(buf, offset + 8, s.s2);
    putWordLE(buf, offset + 12, s.s3);
  }

  decryptAt(buf: Uint8Array, offset: number): void {
    this.#dec ??= unsafe.expandKeyDecLE(this.#key);
    const s = unsafe.decrypt(
      this.#dec,
      wordLE(buf, offset),
      wordLE(buf, offset + 4),
      wordLE(buf, offset + 8),
      wordLE(buf, offset + 12),
    );
    putWordLE(buf, offset, s.s0);
    putWordLE(buf, offset + 4, s.s1);
    putWordLE(buf, offset + 8, s.s2);
    putWordLE(buf, offset + 12, s.s3);
  }

  encryptBlock(block: Uint8Array): void {
    this.encryptAt(block, 0);
  }

  destroy(): void {
    this.#key.fill(0);
    this.#enc.fill(0);
    this.#dec?.fill(0);
  }
}
