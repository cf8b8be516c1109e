/**
 * AES-CCM (RFC 3610, NIST SP 800-38C) on noble's AES block, for ESP (RFC 4309: 11-byte nonce =
 * 3-byte salt ‖ 8-byte IV; ICV 8, 12 or 16 bytes). @noble/ciphers has no CCM.
 *
 * CCM authenticates the plaintext, so `open` has to decrypt before it can verify: it decrypts in
 * place, computes the tag and, when the tag is wrong, encrypts the data back so that unverified
 * plaintext is never left in the caller's buffer.
 *
 * @packageDocumentation
 */

import { equalConstantTime, zeroize } from "../../wire/bytes.js";
import type { AeadKey } from "../backend.js";
import { checkAeadCall, checkAlive } from "../data-plane-checks.js";
import { AesBlock } from "./aes-block.js";
import { ctrXor } from "./modes.js";

/** Writes `value` big-endian into `buf[end - n .. end)`. */
function putLength(buf: Uint8Array, end: number, n: number, value: number): void {
  let v = value;
  for (let i = end - 1; i >= end - n; i--) {
    buf[i] = v % 256;
    v = Math.floor(v / 256);
  }
}

/**
 * Prepares an AES-CCM key (checked by the caller: 16/24/32 bytes, tag 8/12/16).
 * @internal
 */
export function createCcm(key: Uint8Array, tagLength: number): AeadKey<false> {
  const aes = new AesBlock(key);
  const mac = new Uint8Array(16); // CBC-MAC state X_i
  const tagPrefix = mac.subarray(0, tagLength); // RFC 3610 §2.2: T = first-M-bytes(X_n+1)
  const counter = new Uint8Array(16);
  const keystream = new Uint8Array(16);
  const header = new Uint8Array(10); // encoded l(a): at most 0xff 0xff ‖ 8 bytes
  let pos = 0; // bytes XORed into the current CBC-MAC block
  let destroyed = false;

  function macBytes(bytes: Uint8Array, length: number): void {
    for (let i = 0; i < length; i++) {
      mac[pos++]! ^= bytes[i]!;
      if (pos === 16) {
        aes.encryptAt(mac, 0);
        pos = 0;
      }
    }
  }

  /** Ends a zero-padded field: RFC 3610 §2.2 pads the AAD and the message to whole blocks. */
  function macPad(): void {
    if (pos > 0) aes.encryptAt(mac, 0);
    pos = 0;
  }

  /** The CBC-MAC T of RFC 3610 §2.2 over `aad` and the plaintext `message`, left in `mac`. */
  function authenticate(nonce: Uint8Array, aad: Uint8Array, message: Uint8Array): void {
    const l = 15 - nonce.length;
    // B_0 = Flags ‖ Nonce ‖ l(m); Flags = 64·Adata + 8·M' + L' with M' = (M−2)/2, L' = L−1.
    mac[0] = (aad.length > 0 ? 0x40 : 0) | (((tagLength - 2) / 2) << 3) | (l - 1);
    mac.set(nonce, 1);
    putLength(mac, 16, l, message.length);
    aes.encryptAt(mac, 0); // X_1 = E(K, B_0)
    pos = 0;
    if (aad.length > 0) {
      // l(a) is encoded in 2 bytes below 2^16 − 2^8, else as 0xff 0xfe ‖ 4 bytes below 2^32,
      // else as 0xff 0xff ‖ 8 bytes (RFC 3610 §2.2).
      let n: number;
      if (aad.length < 0xff00) {
        n = 2;
      } else {
        n = aad.length < 2 ** 32 ? 6 : 10;
        header[0] = 0xff;
        header[1] = n === 6 ? 0xfe : 0xff;
      }
      putLength(header, n, n === 2 ? 2 : n - 2, aad.length);
      macBytes(header, n);
      macBytes(aad, aad.length);
      macPad();
    }
    macBytes(message, message.length);
    macPad();
  }

  /** A_i = Flags ‖ Nonce ‖ i with Flags = L − 1 (RFC 3610 §2.3), for i = 0 or 1. */
  function setCounter(nonce: Uint8Array, i: number): void {
    counter.fill(0);
    counter[0] = 14 - nonce.length;
    counter.set(nonce, 1);
    counter[15] = i;
  }

  /** Encrypts the tag: U = T ⊕ first-M-bytes(S_0), S_0 = E(K, A_0) (RFC 3610 §2.3). */
  function encryptTag(nonce: Uint8Array): void {
    setCounter(nonce, 0);
    ctrXor(aes, counter, 1, mac, keystream);
  }

  return {
    algorithm: "aes-ccm",
    tagLength,
    seal(nonce, aad, data, tag) {
      checkAlive(destroyed, "aes-ccm");
      checkAeadCall("aes-ccm", tagLength, nonce, data, tag);
      authenticate(nonce, aad, data);
      encryptTag(nonce);
      tag.set(tagPrefix);
      setCounter(nonce, 1);
      ctrXor(aes, counter, 15 - nonce.length, data, keystream);
      zeroize(mac, header);
    },
    open(nonce, aad, data, tag) {
      checkAlive(destroyed, "aes-ccm");
      checkAeadCall("aes-ccm", tagLength, nonce, data, tag);
      setCounter(nonce, 1);
      ctrXor(aes, counter, 15 - nonce.length, data, keystream);
      authenticate(nonce, aad, data);
      encryptTag(nonce);
      const ok = equalConstantTime(tagPrefix, tag);
      zeroize(mac, header);
      if (!ok) {
        setCounter(nonce, 1);
        ctrXor(aes, counter, 15 - nonce.length, data, keystream);
      }
      return ok;
    },
    destroy() {
      destroyed = true;
      aes.destroy();
      zeroize(mac, counter, keystream, header);
    },
  };
}
