/**
 * The asynchronous Web Crypto data plane on Node's `globalThis.crypto.subtle`: published vectors,
 * agreement with the pure backend on random inputs, lazy key import, refusals.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AeadAlgorithm,
  type CipherAlgorithm,
  CryptoError,
  type MacAlgorithm,
} from "../../src/crypto/backend.js";
import { nobleDataPlane as noble } from "../../src/crypto/noble/data-plane.js";
import { createWebCryptoDataPlane, type WebCryptoSubtle } from "../../src/crypto/webcrypto.js";
import { concat, fromHex, toHex } from "../../src/wire/bytes.js";
import * as V from "./fixtures/symmetric-vectors.js";

const subtle = globalThis.crypto.subtle;
const web = createWebCryptoDataPlane(subtle);

type NodeCryptoKey = Parameters<typeof subtle.encrypt>[1];

/** `subtle`, counting the keys it imports. */
function countingSubtle(): { subtle: WebCryptoSubtle; imports: () => number } {
  let imports = 0;
  return {
    subtle: {
      importKey(format, keyData, algorithm, extractable, usages) {
        imports++;
        return subtle.importKey(format, keyData, algorithm, extractable, usages);
      },
      encrypt: (algorithm, key, data) => subtle.encrypt(algorithm, key as NodeCryptoKey, data),
      decrypt: (algorithm, key, data) => subtle.decrypt(algorithm, key as NodeCryptoKey, data),
      sign: (algorithm, key, data) => subtle.sign(algorithm, key as NodeCryptoKey, data),
    },
    imports: () => imports,
  };
}

describe("webcrypto data plane: published vectors", () => {
  it("is asynchronous and named", () => {
    expect(web.name).toBe("webcrypto");
    expect(web.async).toBe(true);
  });

  it.each(V.GCM_SPEC)("AES-GCM $name with 16-, 12- and 8-byte tags", async (v) => {
    for (const t of [16, 12, 8]) {
      const key = web.aead("aes-gcm", fromHex(v.key), t);
      const data = fromHex(v.plaintext);
      const tag = new Uint8Array(t);
      await key.seal(fromHex(v.iv), fromHex(v.aad), data, tag);
      expect(toHex(data)).toBe(v.ciphertext);
      expect(toHex(tag)).toBe(v.tag.slice(0, 2 * t)); // SP 800-38D §5.2.1.2: MSB_t
      expect(await key.open(fromHex(v.iv), fromHex(v.aad), data, tag)).toBe(true);
      expect(toHex(data)).toBe(v.plaintext);
    }
  });

  it.each(V.RFC3602_CBC)("AES-CBC $name", async (v) => {
    const key = web.cipher("aes-cbc", fromHex(v.key));
    const data = fromHex(v.plaintext);
    await key.encrypt(fromHex(v.iv), data);
    expect(toHex(data)).toBe(v.ciphertext);
    await key.decrypt(fromHex(v.iv), data);
    expect(toHex(data)).toBe(v.plaintext);
  });

  it.each(V.RFC3686_CTR)("AES-CTR $name", async (v) => {
    const key = web.cipher("aes-ctr", fromHex(v.key));
    const counterBlock = fromHex(`${v.nonce}${v.iv}00000001`); // RFC 3686 §4
    const data = fromHex(v.plaintext);
    await key.encrypt(counterBlock, data);
    expect(toHex(data)).toBe(v.ciphertext);
    await key.decrypt(counterBlock, data);
    expect(toHex(data)).toBe(v.plaintext);
  });

  it.each(V.RFC4868_AUTH)("HMAC $name", async (v) => {
    const key = web.mac(`hmac-${v.hash}` as MacAlgorithm, fromHex(v.key));
    const out = new Uint8Array(v.auth.length / 2);
    await key.compute([fromHex(v.data)], out);
    expect(toHex(out)).toBe(v.auth);
  });

  it.each(V.RFC2202_HMAC.filter((v) => v.mac === "hmac-sha1"))("HMAC $name", async (v) => {
    const out = new Uint8Array(v.digest.length / 2);
    await web.mac("hmac-sha1", fromHex(v.key)).compute([fromHex(v.data)], out);
    expect(toHex(out)).toBe(v.digest);
  });
});

describe("webcrypto data plane: agrees with noble", () => {
  const bytes = (min: number, max: number) =>
    fc.integer({ min, max }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));
  const RUNS = { numRuns: 100 };

  it("AES-GCM: same ciphertext and tag; opens noble's output; rejects a flipped bit", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(16, 24, 32).chain((n) => bytes(n, n)),
        fc.constantFrom(8, 12, 16),
        bytes(12, 12),
        bytes(0, 40),
        bytes(0, 200),
        fc.nat(),
        async (key, t, nonce, aad, plaintext, bitSeed) => {
          const a = noble.aead("aes-gcm", key, t);
          const w = web.aead("aes-gcm", key, t);
          const ca = Uint8Array.from(plaintext);
          const cw = Uint8Array.from(plaintext);
          const ta = new Uint8Array(t);
          const tw = new Uint8Array(t);
          a.seal(nonce, aad, ca, ta);
          await w.seal(nonce, aad, cw, tw);
          expect(toHex(concat(cw, tw))).toBe(toHex(concat(ca, ta)));
          const all = concat(aad, ca, ta);
          const bit = bitSeed % (all.length * 8);
          all[bit >>> 3]! ^= 1 << (bit & 7);
          const body = all.slice(aad.length, aad.length + ca.length);
          const tampered = await w.open(
            nonce,
            all.subarray(0, aad.length),
            body,
            all.subarray(aad.length + ca.length),
          );
          expect(tampered).toBe(false);
          expect(await w.open(nonce, aad, ca, ta)).toBe(true);
          expect(toHex(ca)).toBe(toHex(plaintext));
        },
      ),
      RUNS,
    );
  });

  it("AES-CBC and AES-CTR: same bytes both ways", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<CipherAlgorithm>("aes-cbc", "aes-ctr"),
        fc.constantFrom(16, 24, 32).chain((n) => bytes(n, n)),
        fc.oneof(
          bytes(16, 16),
          bytes(12, 12).map((p) => concat(p, fromHex("fffffffe"))),
        ),
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 0, max: 15 }),
        async (algorithm, key, iv, blocks, extra) => {
          const length = 16 * blocks + (algorithm === "aes-ctr" ? extra : 0);
          const plaintext = new Uint8Array(length).map((_, i) => (i * 7 + key[0]!) & 0xff);
          const a = noble.cipher(algorithm, key);
          const w = web.cipher(algorithm, key);
          const xa = Uint8Array.from(plaintext);
          const xw = Uint8Array.from(plaintext);
          a.encrypt(iv, xa);
          await w.encrypt(iv, xw);
          expect(toHex(xw)).toBe(toHex(xa));
          await w.decrypt(iv, xa);
          expect(toHex(xa)).toBe(toHex(plaintext));
        },
      ),
      RUNS,
    );
  });

  it("HMAC: same (truncated) output", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<MacAlgorithm>("hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512"),
        bytes(1, 150),
        fc.array(bytes(0, 70), { maxLength: 4 }),
        fc.integer({ min: 1, max: 64 }),
        async (algorithm, key, parts, outLength) => {
          const a = noble.mac(algorithm, key);
          const n = Math.min(outLength, a.outputLength);
          const oa = new Uint8Array(n);
          const ow = new Uint8Array(n);
          a.compute(parts, oa);
          await web.mac(algorithm, key).compute(parts, ow);
          expect(toHex(ow)).toBe(toHex(oa));
        },
      ),
      RUNS,
    );
  });
});

describe("webcrypto data plane: behaviour", () => {
  it("imports a key on first use, once", async () => {
    const { subtle: counting, imports } = countingSubtle();
    const backend = createWebCryptoDataPlane(counting);
    const key = backend.aead("aes-gcm", new Uint8Array(16), 16);
    const mac = backend.mac("hmac-sha256", new Uint8Array(32));
    expect(imports()).toBe(0);
    const data = new Uint8Array(10);
    const tag = new Uint8Array(16);
    await Promise.all([
      key.seal(new Uint8Array(12), new Uint8Array(0), data, tag),
      key.seal(new Uint8Array(12), new Uint8Array(0), new Uint8Array(3), new Uint8Array(16)),
    ]);
    expect(await key.open(new Uint8Array(12), new Uint8Array(0), data, tag)).toBe(true);
    expect(imports()).toBe(1);
    await mac.compute([], new Uint8Array(32));
    expect(imports()).toBe(2);
  });

  it("open resolves to false for a wrong tag", async () => {
    const key = web.aead("aes-gcm", new Uint8Array(32), 12);
    expect(
      await key.open(new Uint8Array(12), new Uint8Array(4), new Uint8Array(30), new Uint8Array(12)),
    ).toBe(false);
  });

  it("refuses what Web Crypto lacks with unsupported, wrong keys with invalid-key", () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        if (e instanceof CryptoError) return e.code;
        throw e;
      }
      return undefined;
    };
    for (const a of ["aes-ccm", "chacha20-poly1305"] as AeadAlgorithm[]) {
      expect(code(() => web.aead(a, new Uint8Array(32), 16))).toBe("unsupported");
    }
    for (const c of ["3des-cbc", "des-cbc"] as CipherAlgorithm[]) {
      expect(code(() => web.cipher(c, new Uint8Array(24)))).toBe("unsupported");
    }
    for (const m of ["hmac-md5", "aes-xcbc", "aes-cmac"] as MacAlgorithm[]) {
      expect(code(() => web.mac(m, new Uint8Array(16)))).toBe("unsupported");
    }
    expect(code(() => web.aead("aes-gcm", new Uint8Array(16), 4))).toBe("unsupported");
    expect(code(() => web.aead("aes-gcm", new Uint8Array(20), 16))).toBe("invalid-key");
    expect(code(() => web.cipher("aes-ctr", new Uint8Array(15)))).toBe("invalid-key");
    expect(code(() => web.mac("hmac-sha256", new Uint8Array(0)))).toBe("invalid-key");
  });

  it("rejects wrong sizes with RangeError", async () => {
    const cbc = web.cipher("aes-cbc", new Uint8Array(16));
    await expect(cbc.encrypt(new Uint8Array(16), new Uint8Array(15))).rejects.toThrow(RangeError);
    const gcm = web.aead("aes-gcm", new Uint8Array(16), 16);
    await expect(
      gcm.seal(new Uint8Array(11), new Uint8Array(0), new Uint8Array(0), new Uint8Array(16)),
    ).rejects.toThrow(RangeError);
  });

  it("refuses use after destroy() and leaves the caller's key alone", async () => {
    const keyBytes = new Uint8Array(16).fill(3);
    const cbc = web.cipher("aes-cbc", keyBytes);
    await cbc.encrypt(new Uint8Array(16), new Uint8Array(16));
    cbc.destroy();
    expect(keyBytes).toEqual(new Uint8Array(16).fill(3));
    await expect(cbc.encrypt(new Uint8Array(16), new Uint8Array(16))).rejects.toThrow(TypeError);
  });
});
