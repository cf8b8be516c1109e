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
  const words = new Int32Array(pool.buffer);
  let at = POOL_BYTES;
  return (out) => {
    const n = out.length;
    if (n > limit) {
      fill(out);
      return;
    }
    const taken = (n + 3) & ~3; // whole 32-bit words: the rest of a partly used one is dropped
    if (at + taken > POOL_BYTES) {
      fill(pool);
      at = 0;
    }
    // A word at a time (one read and one zeroing write per four bytes): for the 16-byte CBC IV of
    // every ESP packet this is half the time of a byte loop.
    let w = at >> 2;
    let i = 0;
    for (; i + 4 <= n; i += 4, w++) {
      const v = words[w]!;
      words[w] = 0; // served bytes are not kept
      out[i] = v;
      out[i + 1] = v >>> 8;
      out[i + 2] = v >>> 16;
      out[i + 3] = v >>> 24;
    }
    if (i < n) {
      let v = words[w]!;
      words[w] = 0;
      for (; i < n; i++, v >>>= 8) out[i] = v;
    }
    at += taken;
  };
}
