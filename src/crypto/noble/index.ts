/**
 * The pure-TypeScript backend on the noble libraries (ciphers, hashes, curves). Runs in Node,
 * browsers, Deno, Bun and workers.
 *
 * @packageDocumentation
 */
import type { CryptoBackend } from "../backend.js";
import { nobleControlPlane } from "./control-plane.js";
import { nobleDataPlane } from "./data-plane.js";

/**
 * The default backend: pure TypeScript, synchronous.
 * @public
 */
export const nobleBackend: CryptoBackend = {
  ...nobleDataPlane,
  ...nobleControlPlane,
  name: "noble",
};
