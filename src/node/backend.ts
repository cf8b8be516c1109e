/**
 * The `node:crypto` (OpenSSL) backend: the fast path on Node.
 *
 * @packageDocumentation
 */
import type { CryptoBackend } from "../crypto/backend.js";
import { nodeControlPlane } from "./crypto-control-plane.js";
import { nodeDataPlane } from "./crypto-data-plane.js";

/**
 * A complete synchronous backend on node:crypto. Produces the same bytes as `nobleBackend`.
 * @public
 */
export const nodeBackend: CryptoBackend = {
  ...nodeDataPlane,
  ...nodeControlPlane,
  name: "node",
};
