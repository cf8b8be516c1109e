/**
 * HMAC (RFC 2104) with MD5, SHA-1 and SHA-2 on @noble/hashes. The keyed inner and outer hash
 * states are computed once per key; each MAC clones them into a reused working instance, so the
 * key is never re-processed and nothing is allocated per call.
 *
 * @packageDocumentation
 */
import { hmac } from "@noble/hashes/hmac.js";
import { md5, sha1 } from "@noble/hashes/legacy.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import type { MacKey } from "../backend.js";
import { checkAlive, checkMacOut } from "../data-plane-checks.js";

const HASHES = {
  "hmac-md5": md5,
  "hmac-sha1": sha1,
  "hmac-sha256": sha256,
  "hmac-sha384": sha384,
  "hmac-sha512": sha512,
} as const;

/**
 * An HMAC algorithm name.
 * @internal
 */
export type HmacAlgorithm = keyof typeof HASHES;

/**
 * Prepares an HMAC key (any length; RFC 2104 §3 hashes keys longer than the block size).
 * @internal
 */
export function createHmac(algorithm: HmacAlgorithm, key: Uint8Array): MacKey<false> {
  const keyed = hmac.create(HASHES[algorithm], key);
  const work = keyed.clone();
  const outputLength = keyed.outputLen;
  const full = new Uint8Array(outputLength);
  let destroyed = false;
  return {
    algorithm,
    outputLength,
    compute(parts, out) {
      checkAlive(destroyed, algorithm);
      checkMacOut(algorithm, outputLength, out);
      keyed._cloneInto(work);
      for (const part of parts) work.update(part);
      work.digestInto(full);
      // Truncation keeps the leftmost bits (RFC 2104 §5, RFC 4868 §2.3).
      for (let i = 0; i < out.length; i++) out[i] = full[i]!;
      full.fill(0);
    },
    destroy() {
      destroyed = true;
      keyed.destroy();
      work.destroy();
    },
  };
}
