/**
 * AES-GCM (NIST SP 800-38D) with 8-, 12- and 16-byte tags for ESP (RFC 4106) and GMAC (RFC 4543).
 *
 * noble's `gcm` only produces 16-byte tags and cannot check a truncated one, so this module builds
 * GCM from an AES block (aes-block.ts) and noble's GHASH key table: the full tag is always computed, `seal` writes its
 * first `tagLength` bytes (SP 800-38D §5.2.1.2: MSB_t) and `open` compares that prefix in constant
 * time before anything is decrypted. The hash subkey and its GHASH tables are prepared once per key.
 *
 * @packageDocumentation
 */
import { GHASH } from "@noble/ciphers/_polyval.js";
import { equalConstantTime, zeroize } from "../../wire/bytes.js";
import type { AeadKey } from "../backend.js";
import { checkAeadCall, checkAlive } from "../data-plane-checks.js";
import { AesBlock, putWordLE, wordLE } from "./aes-block.js";
import { ctrXor } from "./modes.js";

// noble's GHASH picks a 4-bit window for this expected message length: 32 windows of 16 entries.
const TYPICAL_LENGTH = 1500;
const WINDOWS = 32;

/** Exposes the key table noble's GHASH precomputes (`t`, protected), to be copied out. */
class GhashTable extends GHASH {
  /** The table as 32 × 16 entries of four 32-bit words; `undefined` if noble changed its layout. */
  flat(): Uint32Array | undefined {
    const t = this.t;
    if (t.length !== WINDOWS * 16) return undefined;
    const flat = new Uint32Array(t.length * 4);
    for (let i = 0; i < t.length; i++) {
      const e = t[i]!;
      flat[4 * i] = e.s0;
      flat[4 * i + 1] = e.s1;
      flat[4 * i + 2] = e.s2;
      flat[4 * i + 3] = e.s3;
    }
    return flat;
  }
}

/**
 * GHASH (SP 800-38D §6.4) with noble's precomputed 4-bit-window key table, flattened into one
 * typed array: a block costs 32 table lookups and allocates nothing. noble's own update walks a
 * table of 512 small objects and builds an array per block, which makes its speed depend on how
 * the JIT treats the surrounding code; reading bytes at any offset also spares the copy noble
 * makes of unaligned input. Blocks are four little-endian 32-bit words, as in noble.
 */
class Ghash {
  readonly #table: Uint32Array;
  readonly #block = new Uint8Array(16);
  #s0 = 0;
  #s1 = 0;
  #s2 = 0;
  #s3 = 0;

  constructor(h: Uint8Array) {
    const noble = new GhashTable(h, TYPICAL_LENGTH);
    const table = noble.flat();
    noble.destroy();
    if (table === undefined) throw new Error("ghash: unexpected @noble/ciphers table layout");
    this.#table = table;
  }

  /** Clears the accumulator (the key table stays). */
  reset(): void {
    this.#s0 = 0;
    this.#s1 = 0;
    this.#s2 = 0;
    this.#s3 = 0;
  }

  /** Y = (Y ⊕ X) · H for the block at `b[at..at+16)` (SP 800-38D §6.4). */
  #block16(b: Uint8Array, at: number): void {
    const t = this.#table;
    const s0 = this.#s0 ^ wordLE(b, at);
    const s1 = this.#s1 ^ wordLE(b, at + 4);
    const s2 = this.#s2 ^ wordLE(b, at + 8);
    const s3 = this.#s3 ^ wordLE(b, at + 12);
    let o0 = 0;
    let o1 = 0;
    let o2 = 0;
    let o3 = 0;
    // Window w is a nibble of byte w/2 of the block, high nibble first (noble's table order).
    for (let w = 0; w < WINDOWS; w++) {
      const x = w < 8 ? s0 : w < 16 ? s1 : w < 24 ? s2 : s3;
      const nibble = (x >>> (((w & 6) << 2) | ((~w & 1) << 2))) & 15;
      const i = (w << 6) | (nibble << 2);
      o0 ^= t[i]!;
      o1 ^= t[i + 1]!;
      o2 ^= t[i + 2]!;
      o3 ^= t[i + 3]!;
    }
    this.#s0 = o0;
    this.#s1 = o1;
    this.#s2 = o2;
    this.#s3 = o3;
  }

  /** GHASH update with `data` zero-padded to a whole number of blocks (SP 800-38D §7.1 step 5). */
  absorb(data: Uint8Array): void {
    const whole = data.length - (data.length % 16);
    for (let at = 0; at < whole; at += 16) this.#block16(data, at);
    if (whole === data.length) return;
    const b = this.#block;
    for (let i = 0; i < 16; i++) b[i] = whole + i < data.length ? data[whole + i]! : 0;
    this.#block16(b, 0);
    b.fill(0);
  }

  /** Writes the 16-byte accumulator to `out`. */
  output(out: Uint8Array): void {
    putWordLE(out, 0, this.#s0);
    putWordLE(out, 4, this.#s1);
    putWordLE(out, 8, this.#s2);
    putWordLE(out, 12, this.#s3);
  }

  destroy(): void {
    this.reset();
    this.#table.fill(0);
  }
}

/**
 * Prepares an AES-GCM key (checked by the caller: 16/24/32 bytes, tag 8/12/16).
 * @internal
 */
export function createGcm(key: Uint8Array, tagLength: number): AeadKey<false> {
  const aes = new AesBlock(key);
  const h = new Uint8Array(16); // SP 800-38D §7.1 step 1: H = CIPH_K(0^128)
  aes.encryptAt(h, 0);
  const ghash = new Ghash(h);
  zeroize(h);
  const counter = new Uint8Array(16);
  const keystream = new Uint8Array(16);
  const lengths = new Uint8Array(16);
  const lengthsView = new DataView(lengths.buffer);
  const fullTag = new Uint8Array(16);
  const tagPrefix = fullTag.subarray(0, tagLength); // SP 800-38D §5.2.1.2: MSB_t(T)
  let destroyed = false;

  /** Sets `counter` to J0 = IV ‖ 0^31 ‖ 1 (SP 800-38D §7.1 step 2, 96-bit IV). */
  function initialCounter(nonce: Uint8Array): void {
    counter.set(nonce);
    counter[12] = 0;
    counter[13] = 0;
    counter[14] = 0;
    counter[15] = 1;
  }

  /**
   * The full tag over `aad` and `ciphertext` into `fullTag` (SP 800-38D §7.1 steps 5–6):
   * T = GCTR_K(J0, GHASH_H(A ‖ 0^v ‖ C ‖ 0^u ‖ [len(A)]_64 ‖ [len(C)]_64)). Leaves `counter` at J0 + 1.
   */
  function computeTag(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): void {
    ghash.reset();
    ghash.absorb(aad);
    ghash.absorb(ciphertext);
    lengthsView.setUint32(0, Math.floor(aad.length / 0x20000000));
    lengthsView.setUint32(4, (aad.length * 8) >>> 0);
    lengthsView.setUint32(8, Math.floor(ciphertext.length / 0x20000000));
    lengthsView.setUint32(12, (ciphertext.length * 8) >>> 0);
    ghash.absorb(lengths);
    ghash.output(fullTag);
    ghash.reset();
    initialCounter(nonce);
    ctrXor(aes, counter, 4, fullTag, keystream);
  }

  return {
    algorithm: "aes-gcm",
    tagLength,
    seal(nonce, aad, data, tag) {
      checkAlive(destroyed, "aes-gcm");
      checkAeadCall("aes-gcm", tagLength, nonce, data, tag);
      // SP 800-38D §7.1 step 3: C = GCTR_K(inc32(J0), P).
      initialCounter(nonce);
      counter[15] = 2;
      ctrXor(aes, counter, 4, data, keystream);
      computeTag(nonce, aad, data);
      tag.set(tagPrefix);
      fullTag.fill(0);
    },
    open(nonce, aad, data, tag) {
      checkAlive(destroyed, "aes-gcm");
      checkAeadCall("aes-gcm", tagLength, nonce, data, tag);
      // SP 800-38D §7.2: the tag is checked first, so no unauthenticated plaintext is produced.
      computeTag(nonce, aad, data);
      const ok = equalConstantTime(tagPrefix, tag);
      fullTag.fill(0);
      if (!ok) return false;
      ctrXor(aes, counter, 4, data, keystream); // `counter` is J0 + 1 after computeTag
      return true;
    },
    destroy() {
      destroyed = true;
      aes.destroy();
      ghash.destroy();
      zeroize(counter, keystream, fullTag);
    },
  };
}
