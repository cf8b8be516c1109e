/**
 * Benchmark runner: `npm run bench -- [name ...] [--quick]`.
 * Each bench/<name>.ts exports `run({ quick })` returning JSON-able results, written to
 * bench/results/<name>.json. Benchmarks measure; they never assert.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esp from "./esp.js";
import * as ike from "./ike.js";
import * as replay from "./replay.js";
import * as spd from "./spd.js";

// Imported up front: a dynamic import() of a benchmark after another has run could hang in tsx's
// module loader on Node 20 (the main thread waits on the loader thread forever).
const BENCHMARKS: Readonly<Record<string, { run(opts: { quick: boolean }): Promise<unknown> }>> = {
  esp,
  ike,
  replay,
  spd,
};
const ALL = Object.keys(BENCHMARKS);
const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const names = args.filter((a) => !a.startsWith("--"));
const selected = names.length > 0 ? names : [...ALL];

mkdirSync(join(here, "results"), { recursive: true });
for (const name of selected) {
  const mod = BENCHMARKS[name];
  if (mod === undefined) throw new Error(`unknown benchmark ${name}: one of ${ALL.join(", ")}`);
  const started = performance.now();
  const result = await mod.run({ quick });
  const file = join(here, "results", `${name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`bench ${name}: ${((performance.now() - started) / 1000).toFixed(1)} s -> ${file}`);
  console.table(result);
}
