/**
 * Benchmark runner: `npm run bench -- [name ...] [--quick]`.
 * Each bench/<name>.ts exports `run({ quick })` returning JSON-able results, written to
 * bench/results/<name>.json. Benchmarks measure; they never assert.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ALL = ["esp", "ike", "replay", "spd"] as const;
const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const names = args.filter((a) => !a.startsWith("--"));
const selected = names.length > 0 ? names : [...ALL];

mkdirSync(join(here, "results"), { recursive: true });
for (const name of selected) {
  const mod = (await import(`./${name}.ts`)) as { run(opts: { quick: boolean }): Promise<unknown> };
  const started = performance.now();
  const result = await mod.run({ quick });
  const file = join(here, "results", `${name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`bench ${name}: ${((performance.now() - started) / 1000).toFixed(1)} s -> ${file}`);
  console.table(result);
}
