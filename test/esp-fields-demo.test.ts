import { execFileSync } from "node:child_process";
import { expect, it } from "vitest";

it("npm run demo:esp protects and recovers every packet and refuses the replays", () => {
  const out = execFileSync(process.execPath, ["--import", "tsx", "examples/esp-fields.ts"], {
    encoding: "utf8",
  });
  expect(out.match(/matches the original/g)).toHaveLength(4);
  expect(out.match(/the same packet again: dropped \(replayed\)/g)).toHaveLength(4);
  expect(out).toContain("path MTU 1500: 1438");
  expect(out).not.toContain("MISMATCH");
});
