/**
 * Randomness of the pure backend: the platform CSPRNG (`crypto.getRandomValues`, present in
 * Node ≥ 19, browsers, Deno, Bun and workers).
 *
 * @packageDocumentation
 */

/** `getRandomValues` fills at most 65536 bytes per call (W3C Web Crypto §10.1.1). */
const MAX_CHUNK = 65536;

/**
 * Cryptographically secure random bytes.
 * @throws `RangeError` when `length` is not a non-negative safe integer.
 * @internal
 */
export function nobleRandomBytes(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`randomBytes: bad length ${length}`);
  const out = new Uint8Array(length);
  for (let at = 0; at < length; at += MAX_CHUNK) {
    globalThis.crypto.getRandomValues(out.subarray(at, Math.min(at + MAX_CHUNK, length)));
  }
  return out;
}
