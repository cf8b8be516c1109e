/**
 * What the ESP data path takes for granted about the registered transforms: alignments that are
 * powers of two (padding by mask, RFC 4303 §2.4) and 8-byte IVs outside CBC (copied as two words).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ENCRYPTION } from "../../src/crypto/registry.js";
import {
  espAlignment,
  paddingValid,
  padLength,
  TRAILER_LENGTH,
  writeTrailer,
} from "../../src/esp/padding.js";

const ALIGNS = [...new Set(ENCRYPTION.map(espAlignment))];

describe("ESP padding (RFC 4303 §2.4)", () => {
  it("aligns to powers of two only, which the mask in padLength needs", () => {
    for (const a of ALIGNS) expect(a & (a - 1)).toBe(0);
  });

  it("pads to the fewest bytes that align payload and trailer", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(...ALIGNS), (payload, align) => {
        const pad = padLength(payload, align);
        expect(pad).toBeGreaterThanOrEqual(0);
        expect(pad).toBeLessThan(align);
        expect((payload + pad + TRAILER_LENGTH) % align).toBe(0);
      }),
    );
  });

  it("writes 1, 2, 3, … and checks exactly that", () => {
    const b = new Uint8Array(32);
    writeTrailer(b, 4, 13, 4);
    expect([...b.subarray(4, 19)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 13, 4]);
    expect(paddingValid(b, 17, 13)).toBe(true);
    b[10] = 0;
    expect(paddingValid(b, 17, 13)).toBe(false);
  });
});

describe("ESP IVs", () => {
  it("are 8 bytes for every transform but CBC and NULL (RFC 4106, 4309, 4543, 7634, 3686)", () => {
    for (const e of ENCRYPTION) {
      const cbc = e.kind === "cipher" && e.primitive !== "aes-ctr";
      if (!cbc) expect([0, 8], e.name).toContain(e.ivLength);
    }
  });
});
