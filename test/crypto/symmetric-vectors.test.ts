/**
 * Published known-answer vectors for every symmetric primitive, run against both synchronous
 * backends, plus the refusal rules and the never-throw rule for a wrong tag.
 */
import { describe, expect, it } from "vitest";
import {
  type AeadAlgorithm,
  type CipherAlgorithm,
  CryptoError,
  type DataPlaneCrypto,
  type MacAlgorithm,
} from "../../src/crypto/backend.js";
import { nobleDataPlane } from "../../src/crypto/noble/data-plane.js";
import { nodeDataPlane } from "../../src/node/crypto-data-plane.js";
import { concat, fromHex, toHex } from "../../src/wire/bytes.js";
import * as V from "./fixtures/symmetric-vectors.js";

type Backend = DataPlaneCrypto<false>;

function seal(
  b: Backend,
  alg: AeadAlgorithm,
  v: { key: string; nonce: string; aad: string; plaintext: string },
  tagLength: number,
) {
  const data = fromHex(v.plaintext);
  const tag = new Uint8Array(tagLength);
  b.aead(alg, fromHex(v.key), tagLength).seal(fromHex(v.nonce), fromHex(v.aad), data, tag);
  return { ciphertext: toHex(data), tag: toHex(tag) };
}

function open(
  b: Backend,
  alg: AeadAlgorithm,
  v: { key: string; nonce: string; aad: string; ciphertext: string },
  tag: string,
) {
  const data = fromHex(v.ciphertext);
  const ok = b
    .aead(alg, fromHex(v.key), tag.length / 2)
    .open(fromHex(v.nonce), fromHex(v.aad), data, fromHex(tag));
  return { ok, plaintext: toHex(data) };
}

function mac(b: Backend, alg: MacAlgorithm, key: string, parts: readonly string[], length: number): string {
  const out = new Uint8Array(length);
  b.mac(alg, fromHex(key)).compute(
    parts.map((p) => fromHex(p)),
    out,
  );
  return toHex(out);
}

/** Flips one bit of a hex string. */
const flip = (hex: string, byte: number): string => {
  const b = fromHex(hex);
  b[byte]! ^= 0x01;
  return toHex(b);
};

describe.each([nobleDataPlane, nodeDataPlane])("$name data plane", (backend) => {
  describe("AES-CBC (RFC 3602 §4)", () => {
    it.each(V.RFC3602_CBC)("$name", (v) => {
      const key = backend.cipher("aes-cbc", fromHex(v.key));
      const data = fromHex(v.plaintext);
      key.encrypt(fromHex(v.iv), data);
      expect(toHex(data)).toBe(v.ciphertext);
      key.decrypt(fromHex(v.iv), data);
      expect(toHex(data)).toBe(v.plaintext);
    });
  });

  describe("AES-CTR (RFC 3686 §6)", () => {
    it.each(V.RFC3686_CTR)("$name", (v) => {
      const key = backend.cipher("aes-ctr", fromHex(v.key));
      // RFC 3686 §4: counter block = nonce ‖ IV ‖ 00000001.
      const counterBlock = fromHex(`${v.nonce}${v.iv}00000001`);
      const data = fromHex(v.plaintext);
      key.encrypt(counterBlock, data);
      expect(toHex(data)).toBe(v.ciphertext);
      key.decrypt(counterBlock, data);
      expect(toHex(data)).toBe(v.plaintext);
    });
  });

  describe("AES-GCM (GCM specification test cases)", () => {
    const cases = V.GCM_SPEC.map((v) => ({ ...v, nonce: v.iv }));
    it.each(cases)("$name", (v) => {
      expect(seal(backend, "aes-gcm", v, 16)).toEqual({ ciphertext: v.ciphertext, tag: v.tag });
      expect(open(backend, "aes-gcm", v, v.tag)).toEqual({ ok: true, plaintext: v.plaintext });
    });

    // SP 800-38D §5.2.1.2 / RFC 4106 §6: a t-byte tag is the leftmost t bytes of the full tag.
    it.each(cases.filter((v) => v.plaintext !== ""))("$name with 8- and 12-byte tags", (v) => {
      for (const t of [8, 12]) {
        const truncated = v.tag.slice(0, 2 * t);
        expect(seal(backend, "aes-gcm", v, t)).toEqual({ ciphertext: v.ciphertext, tag: truncated });
        expect(open(backend, "aes-gcm", v, truncated)).toEqual({ ok: true, plaintext: v.plaintext });
        expect(open(backend, "aes-gcm", v, flip(truncated, t - 1)).ok).toBe(false);
      }
    });
  });

  describe("AES-CCM (RFC 3610 §8, SP 800-38C App. C)", () => {
    it.each(V.CCM_VECTORS)("$name", (v) => {
      expect(seal(backend, "aes-ccm", v, 8)).toEqual({ ciphertext: v.ciphertext, tag: v.tag });
      expect(open(backend, "aes-ccm", v, v.tag)).toEqual({ ok: true, plaintext: v.plaintext });
      const rejected = open(backend, "aes-ccm", v, flip(v.tag, 0));
      expect(rejected.ok).toBe(false);
      // CCM must decrypt to verify; a rejected packet's plaintext is not left in the buffer.
      expect(rejected.plaintext).not.toBe(v.plaintext);
    });
  });

  describe("ChaCha20-Poly1305 (RFC 8439 §2.8.2)", () => {
    it("seals and opens the AEAD test vector", () => {
      const v = V.RFC8439_AEAD;
      expect(seal(backend, "chacha20-poly1305", v, 16)).toEqual({ ciphertext: v.ciphertext, tag: v.tag });
      expect(open(backend, "chacha20-poly1305", v, v.tag)).toEqual({ ok: true, plaintext: v.plaintext });
    });
  });

  describe("DES and 3DES", () => {
    it.each(V.DES_BLOCKS)("DES $name", (v) => {
      const key = backend.cipher("des-cbc", fromHex(v.key));
      const data = fromHex(v.plaintext);
      key.encrypt(new Uint8Array(8), data); // one block with a zero IV is the bare cipher
      expect(toHex(data)).toBe(v.ciphertext);
      key.decrypt(new Uint8Array(8), data);
      expect(toHex(data)).toBe(v.plaintext);
    });

    it("DES-CBC, FIPS 81 Appendix C", () => {
      const v = V.FIPS81_CBC;
      const key = backend.cipher("des-cbc", fromHex(v.key));
      const data = fromHex(v.plaintext);
      key.encrypt(fromHex(v.iv), data);
      expect(toHex(data)).toBe(v.ciphertext);
      key.decrypt(fromHex(v.iv), data);
      expect(toHex(data)).toBe(v.plaintext);
    });

    it("3DES, SP 800-67 Appendix B (block by block)", () => {
      const v = V.SP800_67_TDEA;
      const key = backend.cipher("3des-cbc", fromHex(v.key));
      for (let i = 0; i < 3; i++) {
        const block = fromHex(v.plaintext.slice(16 * i, 16 * i + 16));
        key.encrypt(new Uint8Array(8), block);
        expect(toHex(block)).toBe(v.ciphertext.slice(16 * i, 16 * i + 16));
        key.decrypt(new Uint8Array(8), block);
        expect(toHex(block)).toBe(v.plaintext.slice(16 * i, 16 * i + 16));
      }
    });

    it("3DES with K1 = K2 = K3 is single DES (SP 800-67 §3.1)", () => {
      const v = V.FIPS81_CBC;
      const key = backend.cipher("3des-cbc", fromHex(v.key.repeat(3)));
      const data = fromHex(v.plaintext);
      key.encrypt(fromHex(v.iv), data);
      expect(toHex(data)).toBe(v.ciphertext);
    });
  });

  describe("HMAC", () => {
    it.each(V.RFC2202_HMAC)("$name", (v) => {
      expect(mac(backend, v.mac, v.key, [v.data], v.digest.length / 2)).toBe(v.digest);
    });

    it.each(V.RFC4231_HMAC)("$name", (v) => {
      expect(mac(backend, "hmac-sha256", v.key, [v.data], v.sha256.length / 2)).toBe(v.sha256);
      expect(mac(backend, "hmac-sha384", v.key, [v.data], v.sha384.length / 2)).toBe(v.sha384);
      expect(mac(backend, "hmac-sha512", v.key, [v.data], v.sha512.length / 2)).toBe(v.sha512);
    });

    it.each(V.RFC4868_AUTH)("$name", (v) => {
      const alg = `hmac-${v.hash}` as MacAlgorithm;
      expect(mac(backend, alg, v.key, [v.data], v.prf.length / 2)).toBe(v.prf);
      expect(mac(backend, alg, v.key, [v.data], v.auth.length / 2)).toBe(v.auth);
    });

    it("MACs the concatenation of the parts", () => {
      const v = V.RFC4231_HMAC[6]!;
      const parts = [v.data.slice(0, 2), "", v.data.slice(2, 130), v.data.slice(130)];
      expect(mac(backend, "hmac-sha512", v.key, parts, 64)).toBe(v.sha512);
    });
  });

  describe("AES-XCBC-MAC (RFC 3566 §4.6)", () => {
    it.each(V.RFC3566_XCBC)("$name", (v) => {
      expect(mac(backend, "aes-xcbc", v.key, [v.message], 16)).toBe(v.mac);
      expect(mac(backend, "aes-xcbc", v.key, [v.message], 12)).toBe(v.mac96);
    });

    it("splits the message across parts at any boundary", () => {
      const v = V.RFC3566_XCBC[5]!; // 34 bytes
      for (let cut = 0; cut <= 34; cut++) {
        const parts = [v.message.slice(0, 2 * cut), v.message.slice(2 * cut)];
        expect(mac(backend, "aes-xcbc", v.key, parts, 16)).toBe(v.mac);
      }
    });
  });

  describe("AES-CMAC (RFC 4493 §4, RFC 4494 §5)", () => {
    it.each(V.CMAC_VECTORS)("$name", (v) => {
      expect(mac(backend, "aes-cmac", V.CMAC_KEY, [v.message], 16)).toBe(v.rfc4493);
      expect(mac(backend, "aes-cmac", V.CMAC_KEY, [v.message], 12)).toBe(v.rfc4494);
    });

    it("splits the message across parts at any boundary", () => {
      const v = V.CMAC_VECTORS[2]!; // 40 bytes
      for (let cut = 0; cut <= 40; cut += 3) {
        const parts = [v.message.slice(0, 2 * cut), "", v.message.slice(2 * cut)];
        expect(mac(backend, "aes-cmac", V.CMAC_KEY, parts, 16)).toBe(v.rfc4493);
      }
    });
  });

  describe("works on views at any offset", () => {
    it("AES-GCM in place inside a larger buffer", () => {
      const v = { ...V.GCM_SPEC[3]!, nonce: V.GCM_SPEC[3]!.iv };
      const packet = concat(new Uint8Array(3), fromHex(v.plaintext), new Uint8Array(16));
      const data = packet.subarray(3, 3 + 60);
      const tag = packet.subarray(63, 79);
      backend.aead("aes-gcm", fromHex(v.key), 16).seal(fromHex(v.nonce), fromHex(v.aad), data, tag);
      expect(toHex(data)).toBe(v.ciphertext);
      expect(toHex(tag)).toBe(v.tag);
      expect(toHex(packet.subarray(0, 3))).toBe("000000");
      expect(toHex(packet.subarray(79))).toBe("");
    });

    it("AES-CBC in place inside a larger buffer", () => {
      const v = V.RFC3602_CBC[1]!;
      const packet = concat(new Uint8Array(5), fromHex(v.plaintext), new Uint8Array([0xee]));
      backend.cipher("aes-cbc", fromHex(v.key)).encrypt(fromHex(v.iv), packet.subarray(5, 37));
      expect(toHex(packet)).toBe(`0000000000${v.ciphertext}ee`);
    });
  });

  describe("refusals", () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        if (e instanceof CryptoError) return e.code;
        throw e;
      }
      return undefined;
    };

    it("refuses wrong key lengths with invalid-key", () => {
      expect(code(() => backend.aead("aes-gcm", new Uint8Array(20), 16))).toBe("invalid-key");
      expect(code(() => backend.aead("aes-ccm", new Uint8Array(15), 16))).toBe("invalid-key");
      expect(code(() => backend.aead("chacha20-poly1305", new Uint8Array(16), 16))).toBe("invalid-key");
      expect(code(() => backend.cipher("aes-cbc", new Uint8Array(17)))).toBe("invalid-key");
      expect(code(() => backend.cipher("aes-ctr", new Uint8Array(8)))).toBe("invalid-key");
      expect(code(() => backend.cipher("3des-cbc", new Uint8Array(16)))).toBe("invalid-key");
      expect(code(() => backend.cipher("des-cbc", new Uint8Array(7)))).toBe("invalid-key");
      expect(code(() => backend.mac("aes-xcbc", new Uint8Array(20)))).toBe("invalid-key");
      expect(code(() => backend.mac("aes-cmac", new Uint8Array(10)))).toBe("invalid-key");
    });

    it("refuses tag lengths and algorithms it lacks with unsupported", () => {
      expect(code(() => backend.aead("aes-gcm", new Uint8Array(16), 4))).toBe("unsupported");
      expect(code(() => backend.aead("aes-ccm", new Uint8Array(16), 10))).toBe("unsupported");
      expect(code(() => backend.aead("chacha20-poly1305", new Uint8Array(32), 12))).toBe("unsupported");
      expect(code(() => backend.aead("aes-ocb" as AeadAlgorithm, new Uint8Array(16), 16))).toBe(
        "unsupported",
      );
      expect(code(() => backend.cipher("aes-ofb" as CipherAlgorithm, new Uint8Array(16)))).toBe(
        "unsupported",
      );
      expect(code(() => backend.mac("hmac-sha224" as MacAlgorithm, new Uint8Array(16)))).toBe("unsupported");
    });

    it("accepts HMAC keys of any length, including empty", () => {
      // HMAC_SHA256("", "") as published in the Wikipedia HMAC article's examples.
      expect(mac(backend, "hmac-sha256", "", [""], 32)).toBe(
        "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad",
      );
    });

    it("throws RangeError for wrong nonce, IV, tag and output sizes", () => {
      const gcm = backend.aead("aes-gcm", new Uint8Array(16), 16);
      expect(() =>
        gcm.seal(new Uint8Array(8), new Uint8Array(0), new Uint8Array(4), new Uint8Array(16)),
      ).toThrow(RangeError);
      expect(() =>
        gcm.seal(new Uint8Array(12), new Uint8Array(0), new Uint8Array(4), new Uint8Array(12)),
      ).toThrow(RangeError);
      const ccm = backend.aead("aes-ccm", new Uint8Array(16), 16);
      expect(() =>
        ccm.seal(new Uint8Array(14), new Uint8Array(0), new Uint8Array(4), new Uint8Array(16)),
      ).toThrow(RangeError);
      // A 13-byte nonce leaves a 2-byte length field: at most 65535 bytes (RFC 3610 §2.1).
      expect(() =>
        ccm.seal(new Uint8Array(13), new Uint8Array(0), new Uint8Array(65536), new Uint8Array(16)),
      ).toThrow(RangeError);
      const cbc = backend.cipher("aes-cbc", new Uint8Array(16));
      expect(() => cbc.encrypt(new Uint8Array(16), new Uint8Array(17))).toThrow(RangeError);
      expect(() => cbc.decrypt(new Uint8Array(8), new Uint8Array(16))).toThrow(RangeError);
      expect(() =>
        backend.cipher("des-cbc", new Uint8Array(8)).encrypt(new Uint8Array(8), new Uint8Array(4)),
      ).toThrow(RangeError);
      expect(() =>
        backend.cipher("aes-ctr", new Uint8Array(16)).encrypt(new Uint8Array(8), new Uint8Array(4)),
      ).toThrow(RangeError);
      expect(() => backend.mac("hmac-sha1", new Uint8Array(20)).compute([], new Uint8Array(21))).toThrow(
        RangeError,
      );
    });

    it("open returns false for a wrong tag, never throws", () => {
      const v = { ...V.GCM_SPEC[2]!, nonce: V.GCM_SPEC[2]!.iv };
      for (const alg of ["aes-gcm", "aes-ccm", "chacha20-poly1305"] as const) {
        const key = alg === "chacha20-poly1305" ? "11".repeat(32) : v.key;
        const nonce = alg === "aes-ccm" ? v.nonce.slice(0, 22) : v.nonce;
        const aead = backend.aead(alg, fromHex(key), 16);
        expect(aead.open(fromHex(nonce), new Uint8Array(3), fromHex(v.ciphertext), new Uint8Array(16))).toBe(
          false,
        );
        expect(aead.open(fromHex(nonce), new Uint8Array(0), new Uint8Array(0), new Uint8Array(16))).toBe(
          false,
        );
      }
    });
  });

  describe("destroy()", () => {
    it("leaves the caller's key alone and refuses later use", () => {
      const keyBytes = Buffer.from("000102030405060708090a0b0c0d0e0f", "hex");
      const keys = [
        backend.aead("aes-gcm", keyBytes, 16),
        backend.aead("aes-ccm", keyBytes, 16),
        backend.cipher("aes-cbc", keyBytes),
        backend.cipher("aes-ctr", keyBytes),
        backend.mac("aes-xcbc", keyBytes),
        backend.mac("aes-cmac", keyBytes),
        backend.mac("hmac-sha256", keyBytes),
      ];
      for (const k of keys) k.destroy();
      expect(keyBytes.toString("hex")).toBe("000102030405060708090a0b0c0d0e0f");
      const [gcm, , cbc, , xcbc] = keys as [
        ReturnType<Backend["aead"]>,
        unknown,
        ReturnType<Backend["cipher"]>,
        unknown,
        ReturnType<Backend["mac"]>,
      ];
      expect(() =>
        gcm.seal(new Uint8Array(12), new Uint8Array(0), new Uint8Array(0), new Uint8Array(16)),
      ).toThrow(TypeError);
      expect(() => cbc.encrypt(new Uint8Array(16), new Uint8Array(16))).toThrow(TypeError);
      expect(() => xcbc.compute([], new Uint8Array(16))).toThrow(TypeError);
    });
  });
});
