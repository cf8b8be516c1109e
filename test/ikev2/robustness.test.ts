/**
 * Hostile input: whatever the bytes, decoding ends in a message or a WireError (never another
 * exception), and everything downstream of a successful decode (rules, error mapping, re-encoding)
 * does not throw either.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkRules,
  decodeInnerPayloads,
  decodeMessage,
  encodeMessage,
  errorNotify,
  NotifyType,
} from "../../src/ikev2/index.js";
import { isWireError } from "../../src/wire/index.js";
import { arbHeader, arbMessage, bytes } from "./arbitraries.js";

const RUNS = { numRuns: 500 };
const NOTIFIES_FOR_DECODE_ERRORS: readonly number[] = [
  NotifyType.INVALID_SYNTAX,
  NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD,
  NotifyType.INVALID_MAJOR_VERSION,
];

/** Decodes; a WireError is mapped to its notify; anything else escapes and fails the property. */
function outcome(datagram: Uint8Array): "message" | "wire-error" {
  let m: ReturnType<typeof decodeMessage>;
  try {
    m = decodeMessage(datagram);
  } catch (e) {
    if (!isWireError(e)) throw e;
    expect(NOTIFIES_FOR_DECODE_ERRORS).toContain(errorNotify(e).notifyType);
    return "wire-error";
  }
  // A decoded message can always be rule-checked and re-encoded.
  checkRules(m, m.header.exchangeType, m.header.response);
  checkRules(m, m.header.exchangeType, m.header.response, []);
  encodeMessage(m);
  return "message";
}

/** A datagram whose header is plausible (major 2, non-zero SPI, correct Length) with any body. */
const arbFramed = fc
  .tuple(arbHeader, fc.integer({ min: 0, max: 255 }), bytes(0, 200))
  .map(([h, next, body]) => {
    const b = encodeMessage({ header: h, payloads: [] });
    const out = new Uint8Array(b.length + body.length);
    out.set(b);
    out.set(body, b.length);
    out[16] = next;
    new DataView(out.buffer).setUint32(24, out.length);
    return out;
  });

const arbEncoded = arbMessage.map(encodeMessage);

describe("decodeMessage never throws anything but WireError", () => {
  it("random bytes", () => {
    fc.assert(
      fc.property(bytes(0, 300), (b) => {
        outcome(b);
      }),
      RUNS,
    );
  });

  it("random payload chains behind a valid header", () => {
    fc.assert(
      fc.property(arbFramed, (b) => {
        outcome(b);
      }),
      RUNS,
    );
  });

  it("valid messages with one byte changed", () => {
    fc.assert(
      fc.property(arbEncoded, fc.nat(), fc.integer({ min: 0, max: 255 }), (b, at, value) => {
        const mutated = b.slice();
        mutated[at % mutated.length] = value;
        outcome(mutated);
      }),
      RUNS,
    );
  });

  it("valid messages with one payload byte changed and the header Length kept right", () => {
    fc.assert(
      fc.property(
        arbEncoded.filter((b) => b.length > 28),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (b, at, value) => {
          const mutated = b.slice();
          mutated[28 + (at % (b.length - 28))] = value;
          outcome(mutated);
        },
      ),
      RUNS,
    );
  });

  it("valid messages truncated, with and without the header Length adjusted", () => {
    fc.assert(
      fc.property(arbEncoded, fc.nat(), fc.boolean(), (b, cut, adjust) => {
        const t = b.slice(0, cut % (b.length + 1));
        if (adjust && t.length >= 28) new DataView(t.buffer).setUint32(24, t.length);
        const result = outcome(t);
        // Cutting a message short without fixing Length always fails.
        if (!adjust && t.length < b.length) expect(result).toBe("wire-error");
      }),
      RUNS,
    );
  });

  it("valid messages extended by random bytes, with and without the header Length adjusted", () => {
    fc.assert(
      fc.property(arbEncoded, bytes(1, 40), fc.boolean(), (b, extra, adjust) => {
        const e = new Uint8Array(b.length + extra.length);
        e.set(b);
        e.set(extra, b.length);
        if (adjust) new DataView(e.buffer).setUint32(24, e.length);
        const result = outcome(e);
        if (!adjust) expect(result).toBe("wire-error");
      }),
      RUNS,
    );
  });

  it("decodeInnerPayloads on random plaintext", () => {
    fc.assert(
      fc.property(bytes(0, 200), fc.integer({ min: 0, max: 255 }), (b, first) => {
        try {
          decodeInnerPayloads(b, first);
        } catch (e) {
          if (!isWireError(e)) throw e;
        }
      }),
      RUNS,
    );
  });
});
