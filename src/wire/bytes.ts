/**
 * Byte helpers used across ike-ts: hex, concatenation, constant-time comparison, zeroization.
 *
 * @packageDocumentation
 */

const HEX = "0123456789abcdef";

/** Lower-case hex of `bytes`. @public */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    s += HEX[b >>> 4]! + HEX[b & 15]!;
  }
  return s;
}

/**
 * Parses hex (whitespace and `:` separators ignored, either case).
 * @throws `TypeError` on an odd number of digits or a non-hex character.
 * @public
 */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/[\s:]/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw new TypeError("fromHex: not an even-length hex string");
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Concatenates byte arrays into a new array. @public */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Constant-time equality: the running time depends only on the lengths, never on where the
 * contents differ. Use it for every ICV, AUTH payload, HASH and cookie comparison.
 * @public
 */
export function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Overwrites each array with zeros (key material on SA deletion). @public */
export function zeroize(...arrays: (Uint8Array | undefined)[]): void {
  for (const a of arrays) a?.fill(0);
}

/** UTF-8 encoding of `s`. @public */
export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
