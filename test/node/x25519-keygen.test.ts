/**
 * Key generation for X25519/X448 on Node 20 must not deadlock. Exporting a key made by
 * `generateKeyPairSync` as JWK afterwards (`export()` of the pair's public key, or of
 * `createPublicKey(privateKey)`) holds the key's mutex while it allocates; a garbage collection
 * may then finalize the generation job, whose destructor takes the same mutex, and the process
 * hangs. The node backend has the generation job itself export the public key.
 *
 * A deadlocked thread cannot be timed out from inside, so the exchanges run in a child process,
 * with a small young generation for frequent collections (the old code hung within seconds).
 */
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const backend = pathToFileURL(new URL("../../src/node/backend.ts", import.meta.url).pathname).href;

const script = `
import { nodeBackend } from ${JSON.stringify(backend)};
for (let i = 0; i < 12000; i++) {
  const group = i % 16 === 0 ? 32 : 31;
  const a = nodeBackend.keyExchange(group);
  const b = nodeBackend.keyExchange(group);
  const s1 = a.computeSharedSecret(b.publicKey);
  const s2 = b.computeSharedSecret(a.publicKey);
  if (s1.length !== s2.length || !s1.every((x, j) => x === s2[j])) throw new Error("secrets differ");
  a.destroy();
  b.destroy();
}
console.log("ok");
`;

describe("node backend: Curve25519/448 key generation", () => {
  it("completes thousands of exchanges under frequent garbage collection (no export deadlock)", () => {
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", "--max-semi-space-size=1", "--input-type=module", "-e", script],
      { encoding: "utf8", timeout: 90_000 },
    );
    expect(r.signal, "the child process hung and was killed").toBeNull();
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe("ok");
  }, 120_000);
});
