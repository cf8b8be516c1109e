/**
 * Anti-replay window: check + update per packet at window sizes 64 and 4096, on a stream that is
 * mostly in order with local reordering (each number displaced by up to 32 positions), as packets
 * arrive on a real path. `ratio4096to64` is the cost at 4096 relative to 64 (1.0 = same speed).
 */
import { ReplayWindow } from "../src/sad/replay.js";
import { opsPerSecond } from "./measure.js";

const STREAM = 1 << 20;

function reorderedStream(): Uint32Array {
  const s = new Uint32Array(STREAM);
  for (let i = 0; i < STREAM; i++) s[i] = i + 1;
  let x = 0x9e3779b9;
  for (let i = 0; i + 32 < STREAM; i += 16) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = i + ((x >>> 0) % 32);
    const t = s[i]!;
    s[i] = s[j]!;
    s[j] = t;
  }
  return s;
}

function loop(size: number, stream: Uint32Array): (n: number) => void {
  let w = new ReplayWindow({ size });
  let at = 0;
  return (n) => {
    for (let i = 0; i < n; i++) {
      if (at === STREAM) {
        w = new ReplayWindow({ size });
        at = 0;
      }
      const seq = stream[at++]!;
      const hi = w.check(seq);
      if (hi >= 0) w.update(hi, seq);
    }
  };
}

/** Runs the replay-window benchmark. */
export async function run({ quick }: { quick: boolean }) {
  const stream = reorderedStream();
  const minMs = quick ? 100 : 500;
  const rows: { window: number; checksPerSec: number }[] = [];
  for (const size of [64, 1024, 4096]) {
    const f = loop(size, stream);
    f(STREAM);
    rows.push({ window: size, checksPerSec: Math.round(opsPerSecond(f, minMs, quick ? 5 : 9)) });
  }
  const at64 = rows.find((r) => r.window === 64)!.checksPerSec;
  const at4096 = rows.find((r) => r.window === 4096)!.checksPerSec;
  return { rows, ratio4096to64: Number((at64 / at4096).toFixed(3)) };
}
