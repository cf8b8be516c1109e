/**
 * SK payload protection (RFC 7296 §3.14, RFC 5282) for every suite on both backends: protect then
 * unprotect is the identity, any flipped bit is refused, and hostile bytes give typed results.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CryptoBackend } from "../../src/crypto/backend.js";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import { encryptionByName, integrityByName, prfByName } from "../../src/crypto/registry.js";
import { encodeInnerPayloads, type Payload } from "../../src/ikev2/chain.js";
import { HEADER_LENGTH } from "../../src/ikev2/header.js";
import { decodeMessage, encodeMessage } from "../../src/ikev2/message.js";
import { counterIvSource } from "../../src/ikev2/sk-iv.js";
import { type SkOpenFailure, SkProtection } from "../../src/ikev2/sk-protect.js";
import { nodeBackend } from "../../src/node/backend.js";
import { concat, toHex } from "../../src/wire/bytes.js";
import { arbHeader, arbPlainPayload, bytes } from "./arbitraries.js";
import { notify, header as sampleHeader } from "./samples.js";
import { keysFor, pair, SK_SUITES } from "./sk-suites.js";

const BACKENDS: CryptoBackend[] = [nobleBackend, nodeBackend];
const arbInner = fc.array(arbPlainPayload, { maxLength: 5 });
const FAILURES: readonly SkOpenFailure[] = [
  "malformed",
  "not-encrypted",
  "truncated",
  "bad-length",
  "icv-mismatch",
  "bad-padding",
];

describe.each(BACKENDS)("SK protection on the $name backend", (backend) => {
  describe.each(SK_SUITES)("$label", ({ suite }) => {
    const { initiator, responder } = pair(backend, suite);

    it("unprotect(protect(x)) = x, in both directions, with unprotected payloads kept", () => {
      fc.assert(
        fc.property(arbHeader, arbInner, fc.boolean(), (header, payloads, withVendor) => {
          const inner = encodeInnerPayloads(payloads);
          const unprotected: Payload[] = withVendor ? [{ type: "V", data: Uint8Array.of(1, 2, 3) }] : [];
          for (const [from, to] of [
            [initiator, responder],
            [responder, initiator],
          ] as const) {
            const message = from.protect(header, inner, unprotected);
            const opened = to.unprotect(message);
            if (!opened.ok) throw new Error(`refused: ${opened.reason}`);
            expect(opened.header).toEqual(header);
            expect(opened.firstPayload).toBe(inner.firstPayload);
            expect(toHex(opened.plaintext)).toBe(toHex(inner.bytes));
            expect(opened.unprotected).toEqual(unprotected);
            expect(opened.fragment).toBeUndefined();
            // The header's Length is the datagram's, and the same datagram decodes as SK last.
            expect(decodeMessage(message).payloads.at(-1)?.type).toBe("SK");
            // A message is never opened with the keys of the direction it was not sent in.
            expect(from.unprotect(message)).toEqual({ ok: false, reason: "icv-mismatch" });
          }
        }),
        { numRuns: 15 },
      );
    });

    it("refuses any flipped bit (ICV or tag mismatch from the IV on), never throwing", () => {
      fc.assert(
        fc.property(
          arbHeader,
          arbInner,
          fc.nat(),
          fc.integer({ min: 0, max: 7 }),
          (header, payloads, where, bit) => {
            const message = initiator.protect(header, encodeInnerPayloads(payloads));
            const at = where % message.length;
            const bad = message.slice();
            bad[at]! ^= 1 << bit;
            const opened = responder.unprotect(bad);
            expect(opened.ok).toBe(false);
            if (opened.ok) return;
            expect(FAILURES).toContain(opened.reason);
            const sk = decodeMessage(message).payloads.at(-1);
            const ivAt = message.length - (sk?.type === "SK" ? sk.content.length : 0);
            // From the IV to the end the structure is intact, so only the ICV check can fail.
            if (at >= ivAt) expect(opened.reason).toBe("icv-mismatch");
          },
        ),
        { numRuns: 40 },
      );
    });

    it("gives typed results for random bytes and for random SK contents", () => {
      fc.assert(
        fc.property(bytes(0, 120), arbHeader, bytes(0, 100), (junk, header, content) => {
          const r1 = responder.unprotect(junk);
          expect(r1.ok).toBe(false);
          const message = encodeMessage({ header, payloads: [{ type: "SK", firstPayload: 41, content }] });
          const r2 = responder.unprotect(message);
          expect(r2.ok).toBe(false);
          if (!r2.ok) expect(["truncated", "bad-length", "icv-mismatch"]).toContain(r2.reason);
        }),
        { numRuns: 40 },
      );
    });

    it("calls a payload too short for IV, Pad Length and ICV truncated", () => {
      const short = new Uint8Array(responder.ivLength + responder.icvLength + responder.alignment - 1);
      const message = encodeMessage({
        header: sampleHeader(37, false, 1),
        payloads: [{ type: "SK", firstPayload: 0, content: short }],
      });
      expect(responder.unprotect(message)).toEqual({ ok: false, reason: "truncated" });
    });
  });

  it("produces the same bytes as the other backend for a fixed IV", () => {
    for (const { suite } of SK_SUITES) {
      const inner = encodeInnerPayloads([notify(16385, Uint8Array.of(0, 0, 0, 10))]);
      const header = sampleHeader(37, false, 3);
      const messages = BACKENDS.map((b) =>
        pair(b, suite, counterIvSource(7n)).initiator.protect(header, inner),
      );
      expect(toHex(messages[0]!)).toBe(toHex(messages[1]!));
    }
  });
});

describe("SK protection details", () => {
  const cbc = SK_SUITES[1]!.suite; // AES-CBC-256 + HMAC-SHA256-128
  const gcm = SK_SUITES[8]!.suite; // AES-GCM-16-256
  const header = sampleHeader(37, false, 5);
  const inner = encodeInnerPayloads([notify(16385, Uint8Array.of(0, 0, 0, 10))]);

  it("pads CBC minimally to the block size and AEADs not at all", () => {
    const { initiator: c } = pair(nobleBackend, cbc);
    // 12 octets of notify + 3 of padding + Pad Length = one AES block.
    expect(c.protect(header, inner).length).toBe(HEADER_LENGTH + 4 + 16 + 16 + 16);
    const { initiator: g } = pair(nobleBackend, gcm);
    expect(g.protect(header, inner).length).toBe(HEADER_LENGTH + 4 + 8 + 12 + 1 + 16);
  });

  it("uses a per-SA counter as AEAD IV and random CBC IVs", () => {
    const { initiator: g } = pair(nobleBackend, gcm);
    const ivOf = (m: Uint8Array) => toHex(m.subarray(HEADER_LENGTH + 4, HEADER_LENGTH + 12));
    expect([ivOf(g.protect(header, inner)), ivOf(g.protect(header, inner))]).toEqual([
      "0000000000000000",
      "0000000000000001",
    ]);
    const { initiator: c } = pair(nobleBackend, cbc);
    const civ = (m: Uint8Array) => toHex(m.subarray(HEADER_LENGTH + 4, HEADER_LENGTH + 20));
    expect(civ(c.protect(header, inner))).not.toBe(civ(c.protect(header, inner)));
  });

  it("never repeats a counter IV: it throws instead of wrapping", () => {
    const next = counterIvSource((1n << 64n) - 1n);
    const iv = new Uint8Array(8);
    next(iv);
    expect(toHex(iv)).toBe("ffffffffffffffff");
    expect(() => next(iv)).toThrow(RangeError);
    expect(() => counterIvSource(-1n)).toThrow(RangeError);
    expect(() => counterIvSource(1n << 64n)).toThrow(RangeError);
  });

  it("refuses a Pad Length beyond the decrypted data behind a valid CBC ICV", () => {
    const { initiator, responder, keys } = pair(nobleBackend, cbc);
    const message = initiator.protect(header, inner);
    // One ciphertext block: its last plaintext octet (Pad Length) is flipped through the IV.
    const icvAt = message.length - 16;
    message[icvAt - 16 - 1]! ^= 0x80;
    const mac = nobleBackend.mac("hmac-sha256", keys.skAi);
    mac.compute([message.subarray(0, icvAt)], message.subarray(icvAt));
    expect(responder.unprotect(message)).toEqual({ ok: false, reason: "bad-padding" });
  });

  it("refuses a Pad Length beyond the decrypted data behind a valid AEAD tag", () => {
    const { responder, keys } = pair(nobleBackend, gcm);
    const plaintext = Uint8Array.of(1, 2, 3, 200); // Pad Length 200, only 3 octets before it
    const content = new Uint8Array(8 + plaintext.length + 16);
    const message = encodeMessage({ header, payloads: [{ type: "SK", firstPayload: 41, content }] });
    const ivAt = message.length - content.length;
    const data = message.subarray(ivAt + 8, message.length - 16);
    data.set(plaintext);
    const aead = nobleBackend.aead("aes-gcm", keys.skEi.subarray(0, 32), 16);
    const nonce = concat(keys.skEi.subarray(32), message.subarray(ivAt, ivAt + 8));
    aead.seal(nonce, message.subarray(0, ivAt), data, message.subarray(message.length - 16));
    expect(responder.unprotect(message)).toEqual({ ok: false, reason: "bad-padding" });
  });

  it("refuses CBC ciphertext that is not whole blocks, and messages without SK", () => {
    const { responder } = pair(nobleBackend, cbc);
    const content = new Uint8Array(16 + 17 + 16);
    const odd = encodeMessage({ header, payloads: [{ type: "SK", firstPayload: 41, content }] });
    expect(responder.unprotect(odd)).toEqual({ ok: false, reason: "bad-length" });
    const plain = encodeMessage({ header, payloads: [notify(16385)] });
    expect(responder.unprotect(plain)).toEqual({ ok: false, reason: "not-encrypted" });
    const bad = responder.unprotect(plain.subarray(0, 27));
    expect(bad.ok === false && bad.reason === "malformed" && bad.error !== undefined).toBe(true);
  });

  it("takes an already decoded message, but only of the same datagram", () => {
    const { initiator, responder } = pair(nobleBackend, gcm);
    const message = initiator.protect(header, inner);
    expect(responder.unprotect(message, decodeMessage(message)).ok).toBe(true);
    expect(() => responder.unprotect(message, decodeMessage(message.slice()))).toThrow(RangeError);
  });

  it("checks key lengths and zeroizes on destroy()", () => {
    const keys = keysFor(nobleBackend, gcm);
    const make = (skEi: Uint8Array) =>
      new SkProtection({ ...gcm, backend: nobleBackend, keys: { ...keys, skEi }, role: "initiator" });
    expect(() => make(keys.skEi.subarray(0, 32))).toThrow(RangeError);
    const sk = make(keys.skEi);
    sk.destroy();
    expect(() => sk.protect(header, inner)).toThrow();
    expect(
      () =>
        new SkProtection({
          prf: prfByName("hmac-sha256")!,
          encryption: encryptionByName("aes-cbc")!,
          keyBits: 256,
          integrity: integrityByName("hmac-sha256-128")!,
          backend: nobleBackend,
          keys: {
            skEi: new Uint8Array(32),
            skEr: new Uint8Array(32),
            skAi: new Uint8Array(31),
            skAr: new Uint8Array(32),
          },
          role: "initiator",
        }),
    ).toThrow(RangeError);
  });

  it("keeps a vendor payload in front of SK in the authenticated data", () => {
    const { initiator, responder } = pair(nobleBackend, gcm);
    const message = initiator.protect(header, inner, [{ type: "V", data: Uint8Array.of(9) }]);
    expect(decodeMessage(message).payloads.map((p) => p.type)).toEqual(["V", "SK"]);
    const at = HEADER_LENGTH + 4; // the vendor ID octet
    message[at]! ^= 1;
    expect(responder.unprotect(message)).toEqual({ ok: false, reason: "icv-mismatch" });
  });
});
