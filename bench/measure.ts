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
  return median(rates);
}

/** The median of `xs` (the upper one of an even count). */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
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

/**
 * Operations per second of each of `fns` (each `fn(n)` does `n` operations), measured in short
 * alternating slices: every round runs each function for about `sliceMs`, in turn, until
 * `totalMs` have passed. Returns one array per function of its rates, round by round. This VM's
 * speed changes by tens of percent within seconds (two- to threefold between runs), so rates
 * measured one after the other are not comparable; slices a few milliseconds long let every change
 * of speed hit all functions alike, and comparing the slices of one round, then taking the median
 * over rounds, leaves out both the drift and the slices a burst from another process hit (in runs
 * of half a second, the quotient of two functions' median rates still moved by ±10 % from run to
 * run, the median of per-round quotients by a few per cent). Each timed slice follows an untimed
 * half slice of the same function, so that it runs in that function's own steady state (caches,
 * branch predictors) rather than paying for the switch from the previous one.
 */
export function interleavedRounds(
  fns: readonly ((n: number) => void)[],
  sliceMs: number,
  totalMs: number,
): number[][] {
  const sizes = fns.map((fn) => batchFor(fn, sliceMs));
  const rates: number[][] = fns.map(() => []);
  const started = performance.now();
  while (performance.now() - started < totalMs) {
    for (let i = 0; i < fns.length; i++) {
      fns[i]!(Math.max(1, sizes[i]! >> 1));
      const t0 = performance.now();
      fns[i]!(sizes[i]!);
      rates[i]!.push(sizes[i]! / ((performance.now() - t0) / 1000));
    }
  }
  return rates;
}

/**
 * How many operations of `loop` take about `ms` milliseconds: `n` doubles until a call takes a
 * quarter of that, then the median of five timed calls scales it (one call alone is too easily
 * caught by a burst from another process).
 */
export function batchFor(loop: (n: number) => void, ms: number): number {
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    loop(n);
    if (performance.now() - t0 >= ms / 4) break;
    n *= 2;
  }
  const estimates: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    loop(n);
    estimates.push((n * ms) / Math.max(performance.now() - t0, 0.001));
  }
  return Math.max(1, Math.round(median(estimates)));
}
