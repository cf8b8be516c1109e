/** Shared timing helpers for the benchmarks. */

/**
 * Calls `fn(n)` (which must do `n` operations) with growing `n` until one call takes at least
 * `minMs`, then repeats `rounds` times and returns the median operations per second.
 */
export function opsPerSecond(fn: (n: number) => void, minMs: number, rounds = 5): number {
  let n = 16;
  for (;;) {
    const t0 = performance.now();
    fn(n);
    const dt = performance.now() - t0;
    if (dt >= minMs / 4) {
      n = Math.max(1, Math.ceil((n * minMs) / Math.max(dt, 0.001)));
      break;
    }
    n *= 4;
  }
  const rates: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    fn(n);
    rates.push(n / ((performance.now() - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)]!;
}

/** Heap bytes retained after `n` calls of `fn`, measured around forced collections (needs --expose-gc). */
export function heapGrowth(fn: (n: number) => void, n: number): number | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return null;
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  fn(n);
  gc();
  gc();
  return process.memoryUsage().heapUsed - before;
}
