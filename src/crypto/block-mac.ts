/**
 * AES-XCBC-MAC (RFC 3566) and AES-CMAC (RFC 4493): two CBC-MAC variants that differ only in how the
 * chaining key and the two final-block subkeys are derived. Written once on an abstract AES-128
 * block encryption so that every backend (pure TypeScript, `node:crypto`) shares the construction
 * and only supplies the block cipher.
 *
 * @packageDocumentation
 */

import { zeroize } from "../wire/bytes.js";
import type { MacKey } from "./backend.js";
import { checkAlive, checkMacOut } from "./data-plane-checks.js";

/**
 * AES encryption of single 16-byte blocks under a fixed key, in place.
 * @internal
 */
export interface BlockEncryptor {
  /** Replaces the 16 bytes of `block` with their encryption. */
  encryptBlock(block: Uint8Array): void;
  /** Forgets the key. */
  destroy(): void;
}

/**
 * Prepares a {@link BlockEncryptor} for a 16-byte AES key.
 * @internal
 */
export type BlockEncryptorFactory = (key: Uint8Array) => BlockEncryptor;

const BLOCK = 16;

/** Doubling in GF(2^128) with R_128 = 0x87 (RFC 4493 §2.3, Figure 2.2), in place. */
function double(block: Uint8Array): void {
  const msb = block[0]! >>> 7;
  for (let i = 0; i < BLOCK - 1; i++) block[i] = ((block[i]! << 1) | (block[i + 1]! >>> 7)) & 0xff;
  block[BLOCK - 1] = ((block[BLOCK - 1]! << 1) & 0xff) ^ (0x87 & -msb);
}

/**
 * The shared CBC-MAC core: E[0] = 0; E[i] = E_chain(M[i] ⊕ E[i-1]); the last block is XORed
 * with `complete` when it is a full block, or padded with 10* and XORed with `partial` otherwise.
 * The last block is held back until the end because only then is it known to be the last.
 */
function cbcMacKey(
  algorithm: "aes-xcbc" | "aes-cmac",
  chain: BlockEncryptor,
  complete: Uint8Array,
  partial: Uint8Array,
): MacKey<false> {
  const state = new Uint8Array(BLOCK);
  let destroyed = false;
  return {
    algorithm,
    outputLength: BLOCK,
    compute(parts, out) {
      checkAlive(destroyed, algorithm);
      checkMacOut(algorithm, BLOCK, out);
      state.fill(0);
      let pos = 0; // bytes of the current block already XORed into `state`
      for (const part of parts) {
        for (let i = 0; i < part.length; i++) {
          if (pos === BLOCK) {
            chain.encryptBlock(state); // the held-back block was not the last one
            pos = 0;
          }
          state[pos++]! ^= part[i]!;
        }
      }
      let subkey = complete;
      if (pos < BLOCK) {
        // RFC 3566 §4 (4)(b) / RFC 4493 §2.4 step 4: pad with a single 1 bit then 0 bits; this
        // also covers the empty message (RFC 3566 §4 NOTE1, RFC 4493 step 3).
        state[pos]! ^= 0x80;
        subkey = partial;
      }
      for (let i = 0; i < BLOCK; i++) state[i]! ^= subkey[i]!;
      chain.encryptBlock(state);
      for (let i = 0; i < out.length; i++) out[i] = state[i]!; // truncation keeps the leftmost bytes
      state.fill(0);
    },
    destroy() {
      destroyed = true;
      chain.destroy();
      zeroize(complete, partial, state);
    },
  };
}

/**
 * AES-XCBC-MAC with a 16-byte key (RFC 3566 §4), full 16-byte output (callers truncate to 12 bytes
 * for AES-XCBC-MAC-96, RFC 3566 §4.3).
 * @internal
 */
export function createXcbcMac(aes: BlockEncryptorFactory, key: Uint8Array): MacKey<false> {
  // RFC 3566 §4 (1): K1, K2, K3 = 0x01.., 0x02.., 0x03.. encrypted with K.
  const base = aes(key);
  const k1 = new Uint8Array(BLOCK).fill(0x01);
  const k2 = new Uint8Array(BLOCK).fill(0x02);
  const k3 = new Uint8Array(BLOCK).fill(0x03);
  base.encryptBlock(k1);
  base.encryptBlock(k2);
  base.encryptBlock(k3);
  base.destroy();
  // RFC 3566 §4 (3), (4): blocks are encrypted with K1; the last is XORed with K2 (full) or K3 (padded).
  const chain = aes(k1);
  zeroize(k1);
  return cbcMacKey("aes-xcbc", chain, k2, k3);
}

/**
 * AES-CMAC with a 16-byte key (RFC 4493 §2.4), full 16-byte output (AES-CMAC-96 truncates to 12,
 * RFC 4494 §2).
 * @internal
 */
export function createCmac(aes: BlockEncryptorFactory, key: Uint8Array): MacKey<false> {
  // RFC 4493 §2.3: L = AES-128(K, 0^128); K1 = L·x; K2 = K1·x in GF(2^128).
  const chain = aes(key);
  const k1 = new Uint8Array(BLOCK);
  chain.encryptBlock(k1);
  double(k1);
  const k2 = new Uint8Array(k1);
  double(k2);
  // RFC 4493 §2.4 step 4: a full last block is XORed with K1, a padded one with K2.
  return cbcMacKey("aes-cmac", chain, k1, k2);
}
