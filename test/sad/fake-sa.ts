/** A stand-in data-plane SA for SAD tests: counters and key material that destroy() zeroizes. */
import { newSaCounters, type SaCounters } from "../../src/sad/counters.js";
import type { DataPlaneSa } from "../../src/sad/sad.js";

export class FakeSa implements DataPlaneSa {
  readonly counters: SaCounters = newSaCounters();
  destroyed = 0;
  constructor(readonly key: Uint8Array = new Uint8Array(16).fill(0xab)) {}
  destroy(): void {
    this.key.fill(0);
    this.destroyed++;
  }
  /** Simulates `n` packets of `size` bytes through the SA. */
  traffic(direction: "inbound" | "outbound", n: number, size = 100): void {
    if (direction === "outbound") this.counters.packetsEncapsulated += n;
    else this.counters.packetsDecapsulated += n;
    this.counters.bytes += n * size;
  }
}

/** A deterministic random source that replays `values` (as 32-bit big-endian) and then counts up. */
export function scriptedRandom(values: readonly number[]): (length: number) => Uint8Array {
  let i = 0;
  let next = 0x10000;
  return (length) => {
    const v = i < values.length ? values[i++]! : next++;
    const out = new Uint8Array(length);
    out.set([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff].slice(0, length));
    return out;
  };
}
