/**
 * The pure-TypeScript data plane: AEADs, ciphers and MACs on @noble/ciphers and @noble/hashes,
 * plus this directory's own CCM, truncated-tag GCM, DES/3DES and XCBC/CMAC.
 *
 * @packageDocumentation
 */
import type { DataPlaneCrypto } from "../backend.js";
import { createCmac, createXcbcMac } from "../block-mac.js";
import { checkAeadKey, checkCipherKey, checkMacKey } from "../data-plane-checks.js";
import { AesBlock } from "./aes-block.js";
import { createCcm } from "./ccm.js";
import { createChaCha20Poly1305 } from "./chacha.js";
import { createCipher } from "./cipher.js";
import { createGcm } from "./gcm.js";
import { createHmac } from "./hmac.js";

const aes128 = (key: Uint8Array): AesBlock => new AesBlock(key);

/**
 * Per-packet primitives in pure TypeScript, synchronous. Part of `nobleBackend`; produces the
 * same bytes as the `node:crypto` data plane.
 * @public
 */
export const nobleDataPlane: DataPlaneCrypto<false> = {
  name: "noble",
  async: false,
  aead(algorithm, key, tagLength) {
    checkAeadKey(algorithm, key, tagLength);
    switch (algorithm) {
      case "aes-gcm":
        return createGcm(key, tagLength);
      case "aes-ccm":
        return createCcm(key, tagLength);
      case "chacha20-poly1305":
        return createChaCha20Poly1305(key);
    }
  },
  cipher(algorithm, key) {
    checkCipherKey(algorithm, key);
    return createCipher(algorithm, key);
  },
  mac(algorithm, key) {
    checkMacKey(algorithm, key);
    switch (algorithm) {
      case "aes-xcbc":
        return createXcbcMac(aes128, key);
      case "aes-cmac":
        return createCmac(aes128, key);
      default:
        return createHmac(algorithm, key);
    }
  },
};
