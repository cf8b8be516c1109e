/**
 * An asynchronous data plane on the Web Crypto API (browsers, workers, Deno, Bun, Node's
 * `globalThis.crypto.subtle`). It shows that {@link DataPlaneCrypto} admits asynchronous backends
 * (a hardware engine would look the same) and gives ESP/AH native AES in a browser.
 *
 * Web Crypto offers a subset of what IPsec needs:
 * - AES-GCM with 8-, 12- or 16-byte tags (its `tagLength`).
 * - AES-CBC without padding. Web Crypto always adds PKCS#7 padding, so encryption drops the extra
 *   last block, and decryption appends a crafted block that decrypts to a valid padding block.
 * - AES-CTR with the whole 16-byte block as the counter (`length: 128`), so that it produces the
 *   same bytes as OpenSSL and the pure backend for any counter block; for RFC 3686 blocks (32-bit
 *   counter from 1, at most 2^32 − 1 blocks per packet) this equals RFC 3686 §4's 32-bit counter.
 * - HMAC-SHA-1, -256, -384 and -512 (Web Crypto refuses zero-length HMAC keys).
 * Everything else (AES-CCM, ChaCha20-Poly1305, DES, 3DES, HMAC-MD5, AES-XCBC, AES-CMAC) throws
 * {@link CryptoError} `unsupported`.
 *
 * Keys are imported lazily: the first operation awaits the import, later ones reuse it. The
 * imported keys are not extractable; `destroy()` zeroizes the copy of the key bytes held until the
 * import completes and drops the reference to the imported key.
 *
 * @packageDocumentation
 */
import type {
  AeadAlgorithm,
  AeadKey,
  CipherAlgorithm,
  CipherKey,
  DataPlaneCrypto,
  MacAlgorithm,
  MacKey,
} from "./backend.js";
import { CryptoError } from "./backend.js";
import {
  checkAeadCall,
  checkAeadKey,
  checkAlive,
  checkCipherCall,
  checkCipherKey,
  checkMacKey,
  checkMacOut,
} from "./data-plane-checks.js";

/**
 * A Web Crypto `CryptoKey`, opaque here.
 * @public
 */
export type WebCryptoKey = object;

/**
 * Bytes as Web Crypto takes them (a `BufferSource` view over an `ArrayBuffer`).
 * @public
 */
export type WebCryptoBytes = Uint8Array<ArrayBuffer>;

/**
 * The algorithm parameters this backend passes to `encrypt` and `decrypt`.
 * @public
 */
export type WebCryptoCipherParams =
  | {
      readonly name: "AES-GCM";
      readonly iv: WebCryptoBytes;
      readonly additionalData: WebCryptoBytes;
      readonly tagLength: number;
    }
  | { readonly name: "AES-CBC"; readonly iv: WebCryptoBytes }
  | { readonly name: "AES-CTR"; readonly counter: WebCryptoBytes; readonly length: number };

/**
 * The part of the Web Crypto `SubtleCrypto` interface this backend uses, declared structurally so
 * that ike-ts needs neither the DOM type library nor Node's types: pass `crypto.subtle`.
 * @public
 */
export interface WebCryptoSubtle {
  importKey(
    format: "raw",
    keyData: WebCryptoBytes,
    algorithm: { readonly name: string; readonly hash?: string },
    extractable: boolean,
    keyUsages: ("encrypt" | "decrypt" | "sign")[],
  ): Promise<WebCryptoKey>;
  encrypt(algorithm: WebCryptoCipherParams, key: WebCryptoKey, data: WebCryptoBytes): Promise<ArrayBuffer>;
  decrypt(algorithm: WebCryptoCipherParams, key: WebCryptoKey, data: WebCryptoBytes): Promise<ArrayBuffer>;
  sign(algorithm: "HMAC", key: WebCryptoKey, data: WebCryptoBytes): Promise<ArrayBuffer>;
}

/** A copy of `bytes` in a fresh `ArrayBuffer` (Web Crypto takes no views of shared memory). */
const copy = (bytes: Uint8Array): WebCryptoBytes => new Uint8Array(bytes);

/**
 * Imports a key on first use. The raw key copy is wiped once the import has settled (Web Crypto
 * copies the key bytes when `importKey` is called) or on `destroy()`.
 */
class LazyKey {
  readonly #subtle: WebCryptoSubtle;
  readonly #raw: WebCryptoBytes;
  readonly #algorithm: { readonly name: string; readonly hash?: string };
  readonly #usages: ("encrypt" | "decrypt" | "sign")[];
  #key: Promise<WebCryptoKey> | undefined;
  #destroyed = false;

  constructor(
    subtle: WebCryptoSubtle,
    raw: Uint8Array,
    algorithm: { readonly name: string; readonly hash?: string },
    usages: ("encrypt" | "decrypt" | "sign")[],
  ) {
    this.#subtle = subtle;
    this.#raw = copy(raw);
    this.#algorithm = algorithm;
    this.#usages = usages;
  }

  get(name: string): Promise<WebCryptoKey> {
    checkAlive(this.#destroyed, name);
    if (this.#key === undefined) {
      const imported = this.#subtle.importKey("raw", this.#raw, this.#algorithm, false, this.#usages);
      this.#key = imported.finally(() => this.#raw.fill(0));
    }
    return this.#key;
  }

  destroy(): void {
    this.#destroyed = true;
    this.#raw.fill(0);
    this.#key = undefined;
  }
}

function gcmKey(subtle: WebCryptoSubtle, key: Uint8Array, tagLength: number): AeadKey<true> {
  const lazy = new LazyKey(subtle, key, { name: "AES-GCM" }, ["encrypt", "decrypt"]);
  const params = (nonce: Uint8Array, aad: Uint8Array): WebCryptoCipherParams => ({
    name: "AES-GCM",
    iv: copy(nonce),
    additionalData: copy(aad),
    tagLength: tagLength * 8, // bits; RFC 4106 §6: 8, 12 or 16 bytes
  });
  return {
    algorithm: "aes-gcm",
    tagLength,
    async seal(nonce, aad, data, tag) {
      checkAeadCall("aes-gcm", tagLength, nonce, data, tag);
      const k = await lazy.get("aes-gcm");
      // The result is ciphertext ‖ tag.
      const out = new Uint8Array(await subtle.encrypt(params(nonce, aad), k, copy(data)));
      data.set(out.subarray(0, data.length));
      tag.set(out.subarray(data.length));
      out.fill(0);
    },
    async open(nonce, aad, data, tag) {
      checkAeadCall("aes-gcm", tagLength, nonce, data, tag);
      const k = await lazy.get("aes-gcm");
      const input = new Uint8Array(data.length + tagLength);
      input.set(data);
      input.set(tag, data.length);
      let out: Uint8Array;
      try {
        out = new Uint8Array(await subtle.decrypt(params(nonce, aad), k, input));
      } catch {
        return false; // OperationError: the tag does not verify
      }
      data.set(out);
      out.fill(0);
      return true;
    },
    destroy() {
      lazy.destroy();
    },
  };
}

// PKCS#7 padding for a whole block of padding: 16 bytes of 0x10.
const PADDING_BLOCK = new Uint8Array(16).fill(16);

function cbcKey(subtle: WebCryptoSubtle, key: Uint8Array): CipherKey<true> {
  const lazy = new LazyKey(subtle, key, { name: "AES-CBC" }, ["encrypt", "decrypt"]);
  return {
    algorithm: "aes-cbc",
    blockSize: 16,
    async encrypt(iv, data) {
      checkCipherCall("aes-cbc", 16, iv, data);
      const k = await lazy.get("aes-cbc");
      // Web Crypto appends one block of padding to whole-block input; the first blocks are the
      // unpadded CBC encryption.
      const out = new Uint8Array(await subtle.encrypt({ name: "AES-CBC", iv: copy(iv) }, k, copy(data)));
      data.set(out.subarray(0, data.length));
      out.fill(0);
    },
    async decrypt(iv, data) {
      checkCipherCall("aes-cbc", 16, iv, data);
      const k = await lazy.get("aes-cbc");
      if (data.length === 0) return;
      // An extra block X with D(X) ⊕ C_n = PADDING_BLOCK makes the padding check pass and decrypts
      // to nothing: X = E(C_n ⊕ PADDING_BLOCK), the first block of PADDING_BLOCK CBC-encrypted
      // with IV = C_n.
      const last = copy(data.subarray(data.length - 16));
      const extra = new Uint8Array(
        await subtle.encrypt({ name: "AES-CBC", iv: last }, k, copy(PADDING_BLOCK)),
      );
      const input = new Uint8Array(data.length + 16);
      input.set(data);
      input.set(extra.subarray(0, 16), data.length);
      const out = new Uint8Array(await subtle.decrypt({ name: "AES-CBC", iv: copy(iv) }, k, input));
      data.set(out);
      out.fill(0);
      input.fill(0);
    },
    destroy() {
      lazy.destroy();
    },
  };
}

function ctrKey(subtle: WebCryptoSubtle, key: Uint8Array): CipherKey<true> {
  const lazy = new LazyKey(subtle, key, { name: "AES-CTR" }, ["encrypt"]);
  // CTR is its own inverse (NIST SP 800-38A §6.5), so both directions encrypt.
  const crypt = async (iv: Uint8Array, data: Uint8Array): Promise<void> => {
    checkCipherCall("aes-ctr", 16, iv, data);
    const k = await lazy.get("aes-ctr");
    const params = { name: "AES-CTR", counter: copy(iv), length: 128 } as const;
    const out = new Uint8Array(await subtle.encrypt(params, k, copy(data)));
    data.set(out);
    out.fill(0);
  };
  return {
    algorithm: "aes-ctr",
    blockSize: 16,
    encrypt: crypt,
    decrypt: crypt,
    destroy() {
      lazy.destroy();
    },
  };
}

const HMAC_HASHES: Partial<Record<MacAlgorithm, string>> = {
  "hmac-sha1": "SHA-1",
  "hmac-sha256": "SHA-256",
  "hmac-sha384": "SHA-384",
  "hmac-sha512": "SHA-512",
};

function hmacKey(
  subtle: WebCryptoSubtle,
  algorithm: MacAlgorithm,
  hash: string,
  key: Uint8Array,
): MacKey<true> {
  const outputLength = checkMacKey(algorithm, key);
  if (key.length === 0)
    throw new CryptoError("invalid-key", `${algorithm}: Web Crypto refuses an empty HMAC key`);
  const lazy = new LazyKey(subtle, key, { name: "HMAC", hash }, ["sign"]);
  return {
    algorithm,
    outputLength,
    async compute(parts, out) {
      checkMacOut(algorithm, outputLength, out);
      const k = await lazy.get(algorithm);
      let length = 0;
      for (const part of parts) length += part.length;
      const message = new Uint8Array(length);
      let at = 0;
      for (const part of parts) {
        message.set(part, at);
        at += part.length;
      }
      const full = new Uint8Array(await subtle.sign("HMAC", k, message));
      // Truncation keeps the leftmost bits (RFC 2104 §5, RFC 4868 §2.3).
      out.set(full.subarray(0, out.length));
      full.fill(0);
    },
    destroy() {
      lazy.destroy();
    },
  };
}

/**
 * Creates the asynchronous Web Crypto data plane on `subtle` (e.g. `globalThis.crypto.subtle`).
 * @throws from the returned backend's methods: {@link CryptoError} `unsupported` for algorithms
 *   Web Crypto lacks, `invalid-key` for wrong key lengths.
 * @public
 */
export function createWebCryptoDataPlane(subtle: WebCryptoSubtle): DataPlaneCrypto<true> {
  return {
    name: "webcrypto",
    async: true,
    aead(algorithm: AeadAlgorithm, key: Uint8Array, tagLength: number): AeadKey<true> {
      if (algorithm !== "aes-gcm") throw new CryptoError("unsupported", `Web Crypto has no ${algorithm}`);
      checkAeadKey(algorithm, key, tagLength);
      return gcmKey(subtle, key, tagLength);
    },
    cipher(algorithm: CipherAlgorithm, key: Uint8Array): CipherKey<true> {
      if (algorithm !== "aes-cbc" && algorithm !== "aes-ctr") {
        throw new CryptoError("unsupported", `Web Crypto has no ${algorithm}`);
      }
      checkCipherKey(algorithm, key);
      return algorithm === "aes-cbc" ? cbcKey(subtle, key) : ctrKey(subtle, key);
    },
    mac(algorithm: MacAlgorithm, key: Uint8Array): MacKey<true> {
      const hash = HMAC_HASHES[algorithm];
      if (hash === undefined) throw new CryptoError("unsupported", `Web Crypto has no ${algorithm}`);
      return hmacKey(subtle, algorithm, hash, key);
    },
  };
}
