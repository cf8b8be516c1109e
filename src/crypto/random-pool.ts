/**
 * Random bytes without a CSPRNG call per request: short requests are served from a pool that one
 * call to the source refills every 4 KiB. A call into the platform's CSPRNG costs as much as a few
 * hundred bytes of its output, and both ESP (CBC IVs, RFC 3602 §3) and IKE (SPIs, nonces) ask for
 * many short values. Served bytes are zeroed in the pool, so each is handed out once and none
 * stays behind; the bytes not yet served are as secret as the values they will become.
 *
 * @packageDocumentation
 */

const POOL_BYTES = 4096;

/**
 * Wraps a random source into one that serves requests of up to `maxPooled` bytes (at most 4096)
 * from a pool refilled in bulk; longer requests go straight to the source.
 * @internal
 */
export function pooledRandom(
  fill: (out: Uint8Array) => void,
  maxPooled: number = POOL_BYTES,
): (out: Uint8Array) => void {
  const limit = Math.min(maxPooled, POOL_BYTES);
  const pool = new Uint8Array(POOL_BYTES);
  let at = POOL_BYTES;
  return (out) => {
    const n = out.length;
    if (n > limit) {
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
