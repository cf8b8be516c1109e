/**
 * CBC and CTR modes (NIST SP 800-38A §6.2, §6.5) on a {@link BlockCipher}, in place, with
 * caller-owned scratch buffers so that nothing is allocated per call.
 *
 * @packageDocumentation
 */
import type { BlockCipher } from "./aes-block.js";

/**
 * CBC encryption in place (SP 800-38A §6.2): C[i] = E(P[i] ⊕ C[i-1]), C[0] = IV.
 * `data.length` must be a multiple of the block size (checked by the caller).
 * @internal
 */
export function cbcEncrypt(cipher: BlockCipher, iv: Uint8Array, data: Uint8Array): void {
  const n = cipher.blockSize;
  for (let at = 0; at < data.length; at += n) {
    for (let i = 0; i < n; i++) data[at + i]! ^= at === 0 ? iv[i]! : data[at - n + i]!;
    cipher.encryptAt(data, at);
  }
}

/**
 * CBC decryption in place (SP 800-38A §6.2): P[i] = D(C[i]) ⊕ C[i-1], C[-1] = IV. The blocks are
 * taken from last to first, so the ciphertext block each one needs is still intact when it is
 * read and nothing has to be saved aside. `data.length` is a multiple of the block size.
 * @internal
 */
export function cbcDecrypt(cipher: BlockCipher, iv: Uint8Array, data: Uint8Array): void {
  const n = cipher.blockSize;
  for (let at = data.length - n; at >= 0; at -= n) {
    cipher.decryptAt(data, at);
    if (at === 0) {
      for (let i = 0; i < n; i++) data[i]! ^= iv[i]!;
    } else {
      for (let i = 0; i < n; i++) data[at + i]! ^= data[at - n + i]!;
    }
  }
}

/**
 * CTR mode with a 16-byte block cipher, in place (SP 800-38A §6.5): data ⊕ E(T1) ‖ E(T2) ‖ …
 * `counter` holds T1 on entry and is advanced block by block (so it is consumed); the counter is
 * the last `counterBytes` bytes, incremented big-endian modulo 2^(8·counterBytes): 16 for a
 * plain 128-bit counter (what OpenSSL does), 4 for GCM's inc32 (SP 800-38D §6.2), L for CCM
 * (RFC 3610 §2.3). `keystream` is a 16-byte scratch buffer.
 * @internal
 */
export function ctrXor(
  cipher: BlockCipher,
  counter: Uint8Array,
  counterBytes: number,
  data: Uint8Array,
  keystream: Uint8Array,
): void {
  for (let at = 0; at < data.length; at += 16) {
    keystream.set(counter);
    cipher.encryptAt(keystream, 0);
    const end = Math.min(16, data.length - at);
    for (let i = 0; i < end; i++) data[at + i]! ^= keystream[i]!;
    for (let i = 15, carry = 1; i >= 16 - counterBytes && carry !== 0; i--) {
      const v = counter[i]! + carry;
      counter[i] = v & 0xff;
      carry = v >>> 8;
    }
  }
  keystream.fill(0);
}
