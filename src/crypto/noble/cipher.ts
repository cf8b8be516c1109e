/**
 * Cipher keys (AES-CBC, AES-CTR, 3DES-CBC, DES-CBC) on the pure-TypeScript block ciphers.
 *
 * @packageDocumentation
 */

import { zeroize } from "../../wire/bytes.js";
import type { CipherAlgorithm, CipherKey } from "../backend.js";
import { checkAlive, checkCipherCall } from "../data-plane-checks.js";
import { AesBlock, type BlockCipher } from "./aes-block.js";
import { DesBlock, TripleDesBlock } from "./des.js";
import { cbcDecrypt, cbcEncrypt, ctrXor } from "./modes.js";

function cbcKey(algorithm: CipherAlgorithm, cipher: BlockCipher): CipherKey<false> {
  const n = cipher.blockSize;
  let destroyed = false;
  return {
    algorithm,
    blockSize: n,
    encrypt(iv, data) {
      checkAlive(destroyed, algorithm);
      checkCipherCall(algorithm, n, iv, data);
      cbcEncrypt(cipher, iv, data);
    },
    decrypt(iv, data) {
      checkAlive(destroyed, algorithm);
      checkCipherCall(algorithm, n, iv, data);
      cbcDecrypt(cipher, iv, data);
    },
    destroy() {
      destroyed = true;
      cipher.destroy();
    },
  };
}

function ctrKey(cipher: AesBlock): CipherKey<false> {
  const counter = new Uint8Array(16);
  const keystream = new Uint8Array(16);
  let destroyed = false;
  // CTR is its own inverse (SP 800-38A §6.5). The whole 16-byte block counts, as in OpenSSL; for
  // RFC 3686 blocks (nonce ‖ IV ‖ 32-bit counter from 1) the carry never leaves the last 4 bytes.
  const crypt = (iv: Uint8Array, data: Uint8Array): void => {
    checkAlive(destroyed, "aes-ctr");
    checkCipherCall("aes-ctr", 16, iv, data);
    counter.set(iv);
    ctrXor(cipher, counter, 16, data, keystream);
    counter.fill(0);
  };
  return {
    algorithm: "aes-ctr",
    blockSize: 16,
    encrypt: crypt,
    decrypt: crypt,
    destroy() {
      destroyed = true;
      cipher.destroy();
      zeroize(counter, keystream);
    },
  };
}

/**
 * Prepares a cipher key; the key length was checked by the caller.
 * @internal
 */
export function createCipher(algorithm: CipherAlgorithm, key: Uint8Array): CipherKey<false> {
  switch (algorithm) {
    case "aes-cbc":
      return cbcKey(algorithm, new AesBlock(key));
    case "aes-ctr":
      return ctrKey(new AesBlock(key));
    case "3des-cbc":
      return cbcKey(algorithm, new TripleDesBlock(key));
    case "des-cbc":
      return cbcKey(algorithm, new DesBlock(key));
  }
}
