/** Hostile input: random and mutated DER gives a certificate or a PkiError, nothing else. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseSignatureAlgorithm } from "../../src/pki/algorithms.js";
import { parseCertificate } from "../../src/pki/certificate.js";
import { PkiError } from "../../src/pki/errors.js";
import { certificateMatchesIdentity } from "../../src/pki/match.js";
import { parseCertificates } from "../../src/pki/pem.js";
import { der } from "./helpers.js";

const SEEDS = [
  der("ex:initiator-ecdsa.crt"),
  der("ex:initiator-rsa.crt"),
  der("ex:im-rsa4096.crt"),
  der("addresses.crt"),
  der("ee-pss.crt"),
];

/** Runs `f`; anything thrown must be a PkiError. */
function onlyPkiError(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof PkiError)) throw e;
  }
}

const mutation = fc.record({
  seed: fc.integer({ min: 0, max: SEEDS.length - 1 }),
  edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 3 })), {
    minLength: 1,
    maxLength: 4,
  }),
});

function mutate({ seed, edits }: { seed: number; edits: [number, number, number][] }): Uint8Array {
  let d = SEEDS[seed]!.slice();
  for (const [pos, value, kind] of edits) {
    const at = pos % d.length;
    if (kind === 0) d[at] = value;
    else if (kind === 1) d = d.slice(0, at);
    else if (kind === 2) d = Uint8Array.of(...d.subarray(0, at), value, ...d.subarray(at));
    else d = Uint8Array.of(...d.subarray(0, at), ...d.subarray(at + 1 + (value % 8)));
  }
  return d;
}

describe("PKI decoders on hostile input", () => {
  it("random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        onlyPkiError(() => parseCertificate(bytes));
        onlyPkiError(() => parseSignatureAlgorithm(bytes));
        onlyPkiError(() => parseCertificates(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it("mutated certificates", () => {
    fc.assert(
      fc.property(mutation, (m) => {
        const d = mutate(m);
        onlyPkiError(() => {
          const c = parseCertificate(d);
          // Whatever parses can be matched against any identity without throwing.
          certificateMatchesIdentity(c, { type: "dn", data: d.subarray(0, 40) });
          certificateMatchesIdentity(c, { type: "fqdn", data: d.subarray(0, 20) });
        });
      }),
      { numRuns: 3000 },
    );
  });

  it("random PEM text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        onlyPkiError(() => parseCertificates(`-----BEGIN CERTIFICATE-----\n${s}\n-----END CERTIFICATE-----`));
      }),
      { numRuns: 500 },
    );
  });

  it("deep nesting is refused, not recursed into", () => {
    const depth = 5000;
    const nested = new Uint8Array(depth * 2);
    for (let i = 0; i < depth; i++) {
      nested[2 * i] = 0x30;
      nested[2 * i + 1] = 0x80; // indefinite lengths, nested
    }
    expect(() => parseCertificate(nested)).toThrow(PkiError);
  });
});
