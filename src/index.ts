/**
 * ike-ts: IKE and IPsec in TypeScript.
 *
 * The root entry re-exports every module; each is also its own subpath (`ike-ts/esp`,
 * `ike-ts/crypto` …) for callers that import only what they use. Node adapters (the node:crypto
 * backend) are in `ike-ts/node`, so this entry runs in any JavaScript runtime.
 *
 * @packageDocumentation
 */
export * from "./ah/index.js";
export * from "./crypto/index.js";
export * from "./esp/index.js";
export * from "./wire/index.js";
