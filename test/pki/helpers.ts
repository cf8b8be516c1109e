/** Certificates for the PKI tests: the interop examples' sets and test/fixtures/pki. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Certificate } from "../../src/pki/certificate.js";
import { parseCertificates } from "../../src/pki/pem.js";

export const EXAMPLES = "/work/shared/interop/examples/certs/";
export const FIXTURES = fileURLToPath(new URL("../fixtures/pki/", import.meta.url));

/** A time inside every fixture's validity period. */
export const NOW = Date.UTC(2027, 0, 1);

export function pem(path: string): string {
  return readFileSync(path, "utf8");
}

/** The first certificate of a PEM file: from the examples (`ex:` prefix) or the fixtures. */
export function cert(name: string): Certificate {
  const path = name.startsWith("ex:") ? EXAMPLES + name.slice(3) : FIXTURES + name;
  return parseCertificates(pem(path))[0]!;
}

/** DER of a fixture or example certificate. */
export function der(name: string): Uint8Array {
  return cert(name).der;
}

/** Header of the TLV at `at`: content offset and length (definite forms only). */
function header(d: Uint8Array, at: number): { start: number; length: number; lenOctets: number } {
  const first = d[at + 1]!;
  if (first < 0x80) return { start: at + 2, length: first, lenOctets: 1 };
  const n = first & 0x7f;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + d[at + 2 + i]!;
  return { start: at + 2 + n, length, lenOctets: n + 1 };
}

/**
 * Replaces `remove` octets at `at` with `insert` and fixes the length of every constructed TLV
 * that encloses the change (test helper for crafting certificates; the length forms must keep
 * their size).
 */
export function splice(d: Uint8Array, at: number, remove: number, insert: readonly number[]): Uint8Array {
  const delta = insert.length - remove;
  const out = Uint8Array.of(...d.subarray(0, at), ...insert, ...d.subarray(at + remove));
  // Walk from the root, descending into the constructed element that contains `at`.
  let pos = 0;
  let end = d.length;
  while (pos < end) {
    const h = header(d, pos);
    const tlvEnd = h.start + h.length;
    if (at >= h.start && at < tlvEnd && pos < at) {
      const newLength = h.length + delta;
      if (h.lenOctets === 1) out[pos + 1] = newLength;
      else
        for (let i = 0; i < h.lenOctets - 1; i++)
          out[pos + 1 + i + 1] = (newLength >> (8 * (h.lenOctets - 2 - i))) & 0xff;
      // BIT STRING / OCTET STRING may encapsulate DER (keys, extensions): descend into them too.
      if (d[pos] === 0x03) pos = h.start + 1;
      else if (d[pos] === 0x04 || (d[pos]! & 0x20) !== 0) pos = h.start;
      else break; // another primitive: the change is inside it
      end = tlvEnd;
      continue;
    }
    pos = tlvEnd;
  }
  return out;
}

/** First index of `needle` in `hay`, or −1. */
export function indexOf(hay: Uint8Array, needle: readonly number[]): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
