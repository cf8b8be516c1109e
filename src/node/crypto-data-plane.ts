/**
 * The `node:crypto` data plane: AEADs, ciphers and HMAC on OpenSSL (AES-NI where available).
 * Produces the same bytes as the pure-TypeScript `nobleDataPlane`; the differential tests hold
 * both to that.
 *
 * Where OpenSSL is not used:
 * - DES-CBC: OpenSSL 3 keeps single DES in its legacy provider, which Node does not load, so
 *   `des-cbc` runs on ike-ts' own DES (FIPS 46-3). 3DES (`des-ede3-cbc`) is OpenSSL's.
 * - AES-XCBC-MAC and AES-CMAC: Node exposes no CMAC, so the shared construction in
 *   `crypto/block-mac.ts` runs on OpenSSL's AES-128-ECB as the block cipher.
 *
 * Node's cipher objects are single-use, so each operation creates one (and its output buffer);
 * the key bytes are kept in a copy that `destroy()` zeroizes. OpenSSL cleanses its own copies when
 * the cipher contexts are freed.
 *
 * @packageDocumentation
 */
import {
  type CipherCCMTypes,
  type CipherGCMTypes,
  createCipheriv,
  createDecipheriv,
  createHmac,
} from "node:crypto";
import type {
  AeadAlgorithm,
  AeadKey,
  CipherAlgorithm,
  CipherKey,
  DataPlaneCrypto,
  MacAlgorithm,
  MacKey,
} from "../crypto/backend.js";
import { type BlockEncryptor, createCmac, createXcbcMac } from "../crypto/block-mac.js";
import {
  checkAeadCall,
  checkAeadKey,
  checkAlive,
  checkCipherCall,
  checkCipherKey,
  checkMacKey,
  checkMacOut,
} from "../crypto/data-plane-checks.js";
import { createCipher as createPureCipher } from "../crypto/noble/cipher.js";

type AesBits = "128" | "192" | "256";
const bits = (key: Uint8Array): AesBits => String(key.length * 8) as AesBits;

/** Copies an OpenSSL output into `target` and wipes the intermediate buffer. */
function copyOut(target: Uint8Array, source: Uint8Array): void {
  target.set(source);
  source.fill(0);
}

function nodeAead(algorithm: AeadAlgorithm, key: Uint8Array, tagLength: number): AeadKey<false> {
  const k = new Uint8Array(key); // a copy (Buffer#slice would share memory)
  let destroyed = false;
  const options = { authTagLength: tagLength };
  const gcm = `aes-${bits(key)}-gcm` satisfies CipherGCMTypes;
  const ccm = `aes-${bits(key)}-ccm` satisfies CipherCCMTypes;
  const cipher = (nonce: Uint8Array) =>
    algorithm === "aes-gcm"
      ? createCipheriv(gcm, k, nonce, options)
      : algorithm === "aes-ccm"
        ? createCipheriv(ccm, k, nonce, options)
        : createCipheriv("chacha20-poly1305", k, nonce, options);
  const decipher = (nonce: Uint8Array) =>
    algorithm === "aes-gcm"
      ? createDecipheriv(gcm, k, nonce, options)
      : algorithm === "aes-ccm"
        ? createDecipheriv(ccm, k, nonce, options)
        : createDecipheriv("chacha20-poly1305", k, nonce, options);
  return {
    algorithm,
    tagLength,
    seal(nonce, aad, data, tag) {
      checkAlive(destroyed, algorithm);
      checkAeadCall(algorithm, tagLength, nonce, data, tag);
      const c = cipher(nonce);
      // CCM needs the message length before the AAD (it is part of B_0, RFC 3610 §2.2); the
      // other modes ignore it.
      c.setAAD(aad, { plaintextLength: data.length });
      const out = c.update(data);
      c.final();
      tag.set(c.getAuthTag());
      copyOut(data, out);
    },
    open(nonce, aad, data, tag) {
      checkAlive(destroyed, algorithm);
      checkAeadCall(algorithm, tagLength, nonce, data, tag);
      const d = decipher(nonce);
      d.setAuthTag(tag);
      d.setAAD(aad, { plaintextLength: data.length });
      let out: Uint8Array | undefined;
      try {
        out = d.update(data);
        d.final();
      } catch {
        // OpenSSL reports a tag mismatch by throwing; the output (if any) is not released.
        out?.fill(0);
        return false;
      }
      copyOut(data, out);
      return true;
    },
    destroy() {
      destroyed = true;
      k.fill(0);
    },
  };
}

function nodeCipher(algorithm: CipherAlgorithm, key: Uint8Array, blockSize: number): CipherKey<false> {
  const k = new Uint8Array(key); // a copy (Buffer#slice would share memory)
  let destroyed = false;
  // RFC 3686 counter blocks: OpenSSL's CTR increments the whole 16-byte block, as the pure
  // implementation does.
  const name =
    algorithm === "3des-cbc" ? "des-ede3-cbc" : `aes-${bits(key)}-${algorithm === "aes-ctr" ? "ctr" : "cbc"}`;
  const run = (decrypt: boolean, iv: Uint8Array, data: Uint8Array): void => {
    checkAlive(destroyed, algorithm);
    checkCipherCall(algorithm, blockSize, iv, data);
    const c = decrypt ? createDecipheriv(name, k, iv) : createCipheriv(name, k, iv);
    c.setAutoPadding(false); // ESP does its own padding (RFC 4303 §2.4)
    const out = c.update(data);
    c.final();
    copyOut(data, out);
  };
  return {
    algorithm,
    blockSize,
    encrypt: (iv, data) => run(false, iv, data),
    decrypt: (iv, data) => run(true, iv, data),
    destroy() {
      destroyed = true;
      k.fill(0);
    },
  };
}

/** AES-128 single-block encryption on OpenSSL's ECB mode, for the XCBC and CMAC constructions. */
function opensslAes128(key: Uint8Array): BlockEncryptor {
  const ecb = createCipheriv("aes-128-ecb", key, null).setAutoPadding(false);
  return {
    encryptBlock(block) {
      copyOut(block, ecb.update(block)); // with padding off, every whole block comes out at once
    },
    destroy() {
      ecb.final();
    },
  };
}

const HASH_NAMES: Readonly<Record<string, string>> = {
  "hmac-md5": "md5",
  "hmac-sha1": "sha1",
  "hmac-sha256": "sha256",
  "hmac-sha384": "sha384",
  "hmac-sha512": "sha512",
};

function nodeHmac(algorithm: MacAlgorithm, key: Uint8Array, outputLength: number): MacKey<false> {
  const k = new Uint8Array(key); // a copy (Buffer#slice would share memory)
  const hash = HASH_NAMES[algorithm]!;
  let destroyed = false;
  return {
    algorithm,
    outputLength,
    compute(parts, out) {
      checkAlive(destroyed, algorithm);
      checkMacOut(algorithm, outputLength, out);
      const h = createHmac(hash, k);
      for (const part of parts) h.update(part);
      const full = h.digest();
      // Truncation keeps the leftmost bits (RFC 2104 §5, RFC 4868 §2.3).
      out.set(full.subarray(0, out.length));
      full.fill(0);
    },
    destroy() {
      destroyed = true;
      k.fill(0);
    },
  };
}

/**
 * Per-packet primitives on `node:crypto` (OpenSSL), synchronous. Same bytes as `nobleDataPlane`.
 * @public
 */
export const nodeDataPlane: DataPlaneCrypto<false> = {
  name: "node",
  async: false,
  aead(algorithm, key, tagLength) {
    checkAeadKey(algorithm, key, tagLength);
    return nodeAead(algorithm, key, tagLength);
  },
  cipher(algorithm, key) {
    const blockSize = checkCipherKey(algorithm, key);
    // Single DES is only in OpenSSL 3's legacy provider: use the pure implementation.
    if (algorithm === "des-cbc") return createPureCipher(algorithm, key);
    return nodeCipher(algorithm, key, blockSize);
  },
  mac(algorithm, key) {
    const outputLength = checkMacKey(algorithm, key);
    if (algorithm === "aes-xcbc") return createXcbcMac(opensslAes128, key);
    if (algorithm === "aes-cmac") return createCmac(opensslAes128, key);
    return nodeHmac(algorithm, key, outputLength);
  },
};
