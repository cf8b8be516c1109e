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
  type AddressAllocator,
  AddressPool,
  type ChildLifetime,
  type ChildSaInfo,
  type ConfigReplyOptions,
  type ConfigRequestOptions,
  type Endpoint,
  type IdentityConfig,
  type IkeDownReason,
  IkeEndpoint,
  type IkeEndpointEvent,
  type IkeEndpointOptions,
  type IkeEndpointOutput,
  type IkeEvent,
  type IkeLogger,
  type IkeOutput,
  IkeResponderGuard,
  type IkeSaSnapshot,
  IkeSession,
  type IkeSessionConfig,
  type IkeSessionDeps,
  type IkeSessionState,
  IOS_DEFAULT_IKE_PROPOSAL,
  type KeyStore,
  type LocalAuthConfig,
  type LocalEndpoint,
  type OutboundDatagram,
  type PskStore,
  parseEspProposal,
  parseIkeProposal,
  type RetransmitConfig,
  type TrafficSelectorConfig,
} from "./ikev2/index.js";
export * from "./pki/index.js";
export * from "./sad/index.js";
export * from "./spd/index.js";
export * from "./wire/index.js";
