import { execFileSync } from "node:child_process";
import { expect, it } from "vitest";

it("npm run demo: two endpoints on loopback establish, ping through ESP, rekey both SAs and delete", () => {
  const out = execFileSync(process.execPath, ["--import", "tsx", "examples/demo.ts"], { encoding: "utf8" });
  for (const n of [1, 2, 3, 4]) expect(out).toContain(`alice received echo reply ${n} through ESP`);
  expect(out.match(/event: ike-sa-up/g)).toHaveLength(2);
  expect(out.match(/event: child-sa-rekeyed/g)).toHaveLength(2);
  expect(out.match(/event: ike-sa-rekeyed/g)).toHaveLength(2);
  expect(out).toContain("bob   event: ike-sa-down (deleted-by-peer)");
  expect(out).toContain("alice event: ike-sa-down (closed)");
  expect(out).toContain("alice: 0 IKE SAs, 0 ESP SAs; bob: 0 IKE SAs, 0 ESP SAs");
});
