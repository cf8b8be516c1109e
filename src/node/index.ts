/**
 * `ike-ts/node`: Node.js adapters — the node:crypto backend (and, later, the UDP transport).
 *
 * @packageDocumentation
 */
export { nodeBackend } from "./backend.js";
export { nodeControlPlane } from "./crypto-control-plane.js";
export { nodeDataPlane } from "./crypto-data-plane.js";
