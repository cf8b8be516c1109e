/**
 * AEAD_CHACHA20_POLY1305 (RFC 8439 §2.8) on noble's ChaCha20 stream and Poly1305, with the tag kept
 * apart from the ciphertext (noble's `chacha20poly1305` wants them contiguous) and the data
 * encrypted in place.
 *
 * @packageDocumentation
 */
import { poly1305 } from "@noble/ciphers/_poly1305.js";
import { chacha20 } from "@noble/ciphers/chacha.js";
import { equalConstantTime, zeroize } from "../../wire/bytes.js";
import type { AeadKey } from "../backend.js";
import { checkAeadCall, checkAlive } from "../data-plane-checks.js";

const ZEROS = new Uint8Array(16);

/**
 * Prepares a ChaCha20-Poly1305 key (checked by the caller: 32 bytes, tag 16).
 * @internal
 */
export function createChaCha20Poly1305(key: Uint8Array): AeadKey<false> {
  const k = new Uint8Array(key); // a copy (Buffer#slice would share memory)
  const oneTimeKey = new Uint8Array(32);
  const lengths = new Uint8Array(16);
  const lengthsView = new DataView(lengths.buffer);
  const expected = new Uint8Array(16);
  let destroyed = false;

  /** RFC 8439 §2.8: the Poly1305 tag over AAD ‖ pad16 ‖ C ‖ pad16 ‖ le64(len A) ‖ le64(len C). */
  function computeTag(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): void {
    // §2.6: the one-time key is the first 32 bytes of the block with counter 0.
    oneTimeKey.fill(0);
    chacha20(k, nonce, oneTimeKey, oneTimeKey, 0);
    const mac = poly1305.create(oneTimeKey);
    mac.update(aad).update(ZEROS.subarray(0, (16 - (aad.length % 16)) % 16));
    mac.update(ciphertext).update(ZEROS.subarray(0, (16 - (ciphertext.length % 16)) % 16));
    lengthsView.setUint32(0, aad.length, true);
    lengthsView.setUint32(4, Math.floor(aad.length / 2 ** 32), true);
    lengthsView.setUint32(8, ciphertext.length, true);
    lengthsView.setUint32(12, Math.floor(ciphertext.length / 2 ** 32), true);
    mac.update(lengths);
    mac.digestInto(expected);
    mac.destroy();
    oneTimeKey.fill(0);
  }

  return {
    algorithm: "chacha20-poly1305",
    tagLength: 16,
    seal(nonce, aad, data, tag) {
      checkAlive(destroyed, "chacha20-poly1305");
      checkAeadCall("chacha20-poly1305", 16, nonce, data, tag);
      chacha20(k, nonce, data, data, 1); // §2.8: the payload starts at block counter 1
      computeTag(nonce, aad, data);
      tag.set(expected);
      expected.fill(0);
    },
    open(nonce, aad, data, tag) {
      checkAlive(destroyed, "chacha20-poly1305");
      checkAeadCall("chacha20-poly1305", 16, nonce, data, tag);
      computeTag(nonce, aad, data);
      const ok = equalConstantTime(expected, tag);
      expected.fill(0);
      if (ok) chacha20(k, nonce, data, data, 1);
      return ok;
    },
    destroy() {
      destroyed = true;
      zeroize(k, oneTimeKey, expected);
    },
  };
}
