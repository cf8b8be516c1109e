/**
 * Unpredictable CBC IVs (RFC 3602 §3) without a CSPRNG call per packet: bytes come from a pool
 * that one `getRandomValues` call refills every 4 KiB (256 AES IVs). IVs are sent in clear, so
 * holding the next few in memory exposes nothing an observer of the traffic would not see later.
 *
 * @packageDocumentation
 */

const POOL_BYTES = 4096;

/**
 * Wraps a random source into one that serves requests from a pool refilled in bulk.
 * @internal
 */
export function pooledRandom(fill: (out: Uint8Array) => void): (out: Uint8Array) => void {
  const pool = new Uint8Array(POOL_BYTES);
  let at = POOL_BYTES;
  return (out) => {
    const n = out.length;
    if (n > POOL_BYTES) {
      fill(out);
      return;
    }
    if (at + n > POOL_BYTES) {
      fill(pool);
      at = 0;
    }
    for (let i = 0; i < n; i++) {
      out[i] = pool[at + i]!;
      pool[at + i] = 0; // served bytes are not kept
    }
    at += n;
  };
}
