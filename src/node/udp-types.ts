/**
 * The plain-object vocabulary of the Node UDP transport: addresses, handlers and counters.
 *
 * @packageDocumentation
 */

/** A remote UDP endpoint: an IP address literal (IPv4 or IPv6 text) and a port. @public */
export interface UdpPeer {
  /** `"198.18.1.2"`, `"fd69:6b65:69:1::2"`; an IPv4-mapped IPv6 address is sent over IPv4. */
  readonly address: string;
  /** UDP port. */
  readonly port: number;
}

/** The address family of a socket or datagram, as Node names it. @public */
export type UdpFamily = "IPv4" | "IPv6";

/** Where a datagram came from. @public */
export interface UdpSource extends UdpPeer {
  /** The family of the socket it arrived on. */
  readonly family: UdpFamily;
}

/**
 * Receives an IKE message: on the IKE port the whole datagram, on the NAT-T port the datagram
 * after the 4-octet non-ESP marker (RFC 3948 §2.2). `data` is a view the handler may keep.
 * @public
 */
export type UdpIkeHandler = (data: Uint8Array, from: UdpSource, localPort: number) => void;

/**
 * Receives an ESP-in-UDP packet (RFC 3948 §2.1): `data` starts at the SPI. `data` is a view the
 * handler owns (it may decrypt in place).
 * @public
 */
export type UdpEspHandler = (data: Uint8Array, from: UdpSource, localPort: number) => void;

/**
 * Called once a datagram has been handed to the kernel (`error` null) or could not be (`error`
 * set, also reported to the transport's `onError`). Until then the transport still reads the
 * bytes passed to the send call: a caller that reuses its buffers waits for this.
 * @public
 */
export type UdpSendCallback = (error: Error | null) => void;

/** The ports a transport's sockets are bound to, per family. @public */
export interface UdpBoundPorts {
  /** The IKE port (500 unless configured otherwise). */
  readonly ike: number;
  /** The NAT-T port (4500 unless configured otherwise). */
  readonly natT: number;
}

/** What a transport has received, dropped and failed to do since it opened. @public */
export interface UdpTransportCounters {
  /** IKE datagrams handed to the IKE handler (both ports). */
  readonly ikeReceived: number;
  /** ESP-in-UDP packets handed to the ESP handler. */
  readonly espReceived: number;
  /** ESP-in-UDP packets dropped because no ESP handler is set. */
  readonly espDropped: number;
  /** NAT-keepalives received on the NAT-T port and dropped (RFC 3948 §2.3). */
  readonly keepalivesReceived: number;
  /** NAT-keepalives sent. */
  readonly keepalivesSent: number;
  /** Datagrams on the NAT-T port that are neither IKE, ESP nor a keepalive (too short), dropped. */
  readonly malformedDropped: number;
  /** Socket, send and handler errors reported to `onError`. */
  readonly errors: number;
}
