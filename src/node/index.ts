/**
 * `ike-ts/node`: Node.js adapters — the node:crypto backend, the UDP transport on the IKE and
 * NAT-T ports (RFC 3948 demultiplexing, keepalives), a timer driver for sans-I/O sessions, and
 * {@link UdpIkeEndpoint}, which runs IKEv2 sessions and their ESP SAs on those sockets.
 *
 * @packageDocumentation
 */
export { nodeBackend } from "./backend.js";
export { nodeControlPlane } from "./crypto-control-plane.js";
export { nodeDataPlane } from "./crypto-data-plane.js";
export {
  type EspSa,
  UdpIkeEndpoint,
  type UdpIkeEndpointOptions,
  type UdpIkeSendResult,
} from "./udp-ike-endpoint.js";
export { DEFAULT_KEEPALIVE_INTERVAL_MS } from "./udp-keepalive.js";
export { SessionClock, type SessionClockOptions } from "./udp-session-clock.js";
export {
  DEFAULT_IKE_PORT,
  type UdpSendIkeOptions,
  UdpTransport,
  type UdpTransportOptions,
} from "./udp-transport.js";
export type {
  UdpBoundPorts,
  UdpEspHandler,
  UdpFamily,
  UdpIkeHandler,
  UdpPeer,
  UdpSendCallback,
  UdpSource,
  UdpTransportCounters,
} from "./udp-types.js";
