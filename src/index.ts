/**
 * ike-ts: IKE and IPsec in TypeScript.
 *
 * The root entry re-exports the data plane, policy and crypto modules; each is also its own
 * subpath (`ike-ts/esp`, `ike-ts/spd`, `ike-ts/crypto` …) for callers that import only what they
 * use. IKEv2 is `ike-ts/ikev2`; Node adapters (the node:crypto backend, the UDP transport) are in
 * `ike-ts/node`, so this entry runs in any JavaScript runtime.
 *
 * @packageDocumentation
 */
export * from "./ah/index.js";
export * from "./crypto/index.js";
export * from "./esp/index.js";
export {
  type ChildSaInfo,
  IkeEndpoint,
  type IkeEndpointEvent,
  type IkeEndpointOptions,
  type IkeEndpointOutput,
  type IkeEvent,
  type IkeOutput,
  IkeResponderGuard,
  IkeSession,
  type IkeSessionConfig,
  type IkeSessionDeps,
  type OutboundDatagram,
  type PskStore,
  parseEspProposal,
  parseIkeProposal,
} from "./ikev2/index.js";
export * from "./sad/index.js";
export * from "./spd/index.js";
export * from "./wire/index.js";
