/**
 * The PRF layer: published PRF vectors (including the AES PRFs' key normalisation) on both
 * synchronous backends, and prf+ checked against its definition in RFC 7296 §2.13.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { nobleDataPlane } from "../../src/crypto/noble/data-plane.js";
import { createPrf, prfPlus } from "../../src/crypto/prf.js";
import { type PrfSpec, prfByName } from "../../src/crypto/registry.js";
import { nodeDataPlane } from "../../src/node/crypto-data-plane.js";
import { concat, fromHex, toHex, utf8 } from "../../src/wire/bytes.js";
import * as V from "./fixtures/symmetric-vectors.js";

const spec = (name: string): PrfSpec => {
  const s = prfByName(name);
  if (s === undefined) throw new Error(`no PRF ${name}`);
  return s;
};

describe.each([nobleDataPlane, nodeDataPlane])("PRFs on the $name data plane", (backend) => {
  const prfHex = (name: string, key: string, data: string): string =>
    toHex(createPrf(backend, spec(name), fromHex(key)).compute(fromHex(data)));

  it.each(V.RFC4434_PRF)("AES-XCBC-PRF-128, RFC 4434 §2.1, $name", (v) => {
    expect(prfHex("aes128-xcbc", v.key, v.message)).toBe(v.output);
  });

  it.each(V.RFC4615_PRF)("AES-CMAC-PRF-128, RFC 4615 §4, $name", (v) => {
    expect(prfHex("aes128-cmac", v.key, v.message)).toBe(v.output);
  });

  // RFC 4868 §2.7.1 PRF-1 to PRF-6 are RFC 4231 cases 1–4, 6 and 7 (case 5 is a truncated MAC).
  it.each(
    V.RFC4231_HMAC.filter((v) => v.sha256.length === 64),
  )("PRF-HMAC-SHA2, RFC 4868 §2.7.1 / $name", (v) => {
    expect(prfHex("hmac-sha256", v.key, v.data)).toBe(v.sha256);
    expect(prfHex("hmac-sha384", v.key, v.data)).toBe(v.sha384);
    expect(prfHex("hmac-sha512", v.key, v.data)).toBe(v.sha512);
  });

  it.each(V.RFC2202_HMAC.filter((v) => !v.name.endsWith("(96)")))("PRF $name", (v) => {
    expect(prfHex(v.mac, v.key, v.data)).toBe(v.digest);
  });

  it("takes the data in parts and writes into a given buffer", () => {
    const v = V.RFC4615_PRF[0]!;
    const prf = createPrf(backend, spec("aes128-cmac"), fromHex(v.key));
    const out = new Uint8Array(16);
    const message = fromHex(v.message);
    expect(prf.compute([message.subarray(0, 7), message.subarray(7)], out)).toBe(out);
    expect(toHex(out)).toBe(v.output);
    expect(() => prf.compute(message, new Uint8Array(15))).toThrow(RangeError);
    prf.destroy();
  });

  describe("prf+ (RFC 7296 §2.13)", () => {
    // An independent prf+ from the definition, on node:crypto's HMAC-SHA-256:
    // T1 = prf(K, S | 0x01), Tn = prf(K, T(n-1) | S | n).
    const reference = (key: Uint8Array, seed: Uint8Array, length: number): string => {
      let t: Uint8Array = new Uint8Array(0);
      let all: Uint8Array = new Uint8Array(0);
      for (let n = 1; all.length < length; n++) {
        t = createHmac("sha256", key)
          .update(concat(t, seed, new Uint8Array([n])))
          .digest();
        all = concat(all, t);
      }
      return toHex(all.subarray(0, length));
    };

    const key = utf8("prf+ key of some length");
    const seed = fromHex("0123456789abcdef".repeat(5));

    it.each([0, 1, 31, 32, 33, 100, 255 * 32])("produces %i bytes", (length) => {
      const prf = createPrf(backend, spec("hmac-sha256"), key);
      expect(toHex(prfPlus(prf, seed, length))).toBe(reference(key, seed, length));
    });

    it("is not defined beyond 255 times the PRF output", () => {
      const prf = createPrf(backend, spec("aes128-xcbc"), key);
      expect(prfPlus(prf, seed, 255 * 16)).toHaveLength(255 * 16);
      expect(() => prfPlus(prf, seed, 255 * 16 + 1)).toThrow(RangeError);
      expect(() => prfPlus(prf, seed, -1)).toThrow(RangeError);
    });

    it("chains the AES PRFs the same way", () => {
      const prf = createPrf(backend, spec("aes128-cmac"), key);
      const t1 = prf.compute([seed, new Uint8Array([1])]);
      const t2 = prf.compute([t1, seed, new Uint8Array([2])]);
      expect(toHex(prfPlus(prf, seed, 20))).toBe(toHex(concat(t1, t2)).slice(0, 40));
    });
  });
});
