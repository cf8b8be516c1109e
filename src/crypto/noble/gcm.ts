/**
 * AES-GCM (NIST SP 800-38D) with 8-, 12- and 16-byte tags for ESP (RFC 4106) and GMAC (RFC 4543).
 *
 * noble's `gcm` only produces 16-byte tags and cannot check a truncated one, so this module builds
 * GCM from noble's AES block and its GHASH: the full tag is always computed, `seal` writes its
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

// Table size hint for noble's GHASH: a typical ESP packet (a 4-bit window, 512 table entries).
const TYPICAL_LENGTH = 1500;

/**
 * noble's GHASH, made reusable across messages and fed from any byte offset: `reset()` clears the
 * accumulator but keeps the key tables, and `absorb()` reads bytes directly instead of taking
 * aligned 32-bit views (noble copies every unaligned input). This relies on GHASH's protected
 * state (`s0`–`s3`, `_updateBlock`) as @noble/ciphers 2.x defines it; the GCM known-answer tests
 * would catch a change.
 */
class ReusableGhash extends GHASH {
  readonly #block = new Uint8Array(16);

  reset(): void {
    this.s0 = 0;
    this.s1 = 0;
    this.s2 = 0;
    this.s3 = 0;
  }

  /** GHASH update with `data` zero-padded to a whole number of blocks (SP 800-38D §7.1 step 5). */
  absorb(data: Uint8Array): void {
    // noble takes each block as four little-endian 32-bit words; whole blocks are read in place.
    const whole = data.length - (data.length % 16);
    for (let at = 0; at < whole; at += 16) {
      this._updateBlock(wordLE(data, at), wordLE(data, at + 4), wordLE(data, at + 8), wordLE(data, at + 12));
    }
    if (whole === data.length) return;
    const b = this.#block;
    for (let i = 0; i < 16; i++) b[i] = whole + i < data.length ? data[whole + i]! : 0;
    this._updateBlock(wordLE(b, 0), wordLE(b, 4), wordLE(b, 8), wordLE(b, 12));
    b.fill(0);
  }

  /** Writes the 16-byte accumulator to `out`. */
  output(out: Uint8Array): void {
    putWordLE(out, 0, this.s0);
    putWordLE(out, 4, this.s1);
    putWordLE(out, 8, this.s2);
    putWordLE(out, 12, this.s3);
  }

  override destroy(): void {
    this.reset();
    super.destroy();
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
  const ghash = new ReusableGhash(h, TYPICAL_LENGTH);
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
