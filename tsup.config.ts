import { defineConfig } from "tsup";

/** One entry per public subpath; keep in sync with package.json "exports". */
export default defineConfig({
  entry: {
    index: "src/index.ts",
    "wire/index": "src/wire/index.ts",
    "crypto/index": "src/crypto/index.ts",
    "esp/index": "src/esp/index.ts",
    "ah/index": "src/ah/index.ts",
    "node/index": "src/node/index.ts",
    "ikev2/index": "src/ikev2/index.ts",
    "pki/index": "src/pki/index.ts",
    "sad/index": "src/sad/index.ts",
    "spd/index": "src/spd/index.ts",
  },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  target: "node20",
});
