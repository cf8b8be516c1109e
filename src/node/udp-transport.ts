/**
 * The Node UDP transport: sockets on the IKE port (500) and the NAT-T port (4500), IPv4 and/or
 * IPv6, with the RFC 3948 demultiplexing of the NAT-T port (IKE behind the non-ESP marker,
 * ESP-in-UDP, NAT-keepalives) and optional periodic NAT-keepalives (RFC 3948 §4).
 *
 * The transport moves bytes only; it parses nothing beyond RFC 3948 §2's first four octets. An
 * {@link UdpTransport} feeds a sans-I/O session (`receive(datagram, now)`) and sends what the
 * session answers.
 *
 * @packageDocumentation
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { isIP } from "node:net";
import { classifyUdpEncapsulated, NAT_T_PORT, natKeepalive } from "../esp/udp-encap.js";
import { DEFAULT_KEEPALIVE_INTERVAL_MS, KeepaliveScheduler } from "./udp-keepalive.js";
import type {
  UdpBoundPorts,
  UdpEspHandler,
  UdpFamily,
  UdpIkeHandler,
  UdpPeer,
  UdpSendCallback,
  UdpSource,
  UdpTransportCounters,
} from "./udp-types.js";

/** RFC 7296 §2: "IKE normally listens and sends on UDP port 500". @public */
export const DEFAULT_IKE_PORT = 500;

/**
 * RFC 3948 §2.2, RFC 7296 §2.23: four zero octets in front of IKE on the NAT-T port. Shared by
 * every send and never written.
 */
const NON_ESP_MARKER = new Uint8Array(4);
const NON_ESP_MARKER_LENGTH = NON_ESP_MARKER.length;
/** RFC 3948 §2.3: the one-octet NAT-keepalive, shared by every send and never written. */
const KEEPALIVE = natKeepalive();
/** RFC 4291 §2.5.5.2: `::ffff:a.b.c.d` names an IPv4 node. */
const V4_MAPPED_PREFIX = "::ffff:";

/** Options of {@link UdpTransport.open}. @public */
export interface UdpTransportOptions {
  /** IPv4 bind address; default `"0.0.0.0"`. `false`: no IPv4 sockets. */
  readonly ipv4?: string | false;
  /** IPv6 bind address (e.g. `"::"`, IPv6 only); default `false`: no IPv6 sockets. */
  readonly ipv6?: string | false;
  /** The IKE port; default 500. 0 binds an ephemeral port (see {@link UdpTransport.ports}). */
  readonly ikePort?: number;
  /** The NAT-T port; default 4500. 0 binds an ephemeral port. */
  readonly natTPort?: number;
  /** Receives IKE messages from both ports. */
  readonly onIke: UdpIkeHandler;
  /** Receives ESP-in-UDP packets; without it they are dropped and counted. */
  readonly onEsp?: UdpEspHandler;
  /**
   * Receives socket errors, send errors and errors thrown by the handlers, which are never
   * thrown asynchronously. Without it they are only counted.
   */
  readonly onError?: (error: Error) => void;
  /** The NAT-keepalive interval in milliseconds (RFC 3948 §4's M); default 20 000. */
  readonly keepaliveIntervalMs?: number;
}

/** Options of {@link UdpTransport.sendIke}. @public */
export interface UdpSendIkeOptions {
  /** Send from the NAT-T port behind the non-ESP marker (RFC 7296 §2.23); default false. */
  readonly fromNatTPort?: boolean;
  /** Called once the datagram is sent or failed. */
  readonly sent?: UdpSendCallback;
}

/** The two sockets of one address family and their bound ports (0 until bound). */
interface FamilySockets {
  readonly ike: Socket;
  readonly natT: Socket;
  readonly ports: { ike: number; natT: number };
}

type MutableCounters = { -readonly [K in keyof UdpTransportCounters]: number };

/**
 * UDP sockets for IKE and ESP-in-UDP. Open with {@link UdpTransport.open}; release with
 * {@link UdpTransport.close}.
 *
 * The send methods read the caller's bytes asynchronously (Node resolves the destination on the
 * next tick): keep them unchanged until the `sent` callback runs.
 * @public
 */
export class UdpTransport {
  readonly #options: UdpTransportOptions;
  readonly #sockets: Partial<Record<UdpFamily, FamilySockets>> = {};
  readonly #counters: MutableCounters = {
    ikeReceived: 0,
    espReceived: 0,
    espDropped: 0,
    keepalivesReceived: 0,
    keepalivesSent: 0,
    malformedDropped: 0,
    errors: 0,
  };
  readonly #keepalives: KeepaliveScheduler;
  #state: "binding" | "open" | "closed" = "binding";
  #closing: Promise<void> | undefined;

  private constructor(options: UdpTransportOptions) {
    this.#options = options;
    this.#keepalives = new KeepaliveScheduler(
      (to) => this.#sendQuietly(to),
      options.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS,
    );
  }

  /**
   * Binds the sockets. Rejects (with every socket released) when a bind fails, e.g. EADDRINUSE,
   * EACCES for ports below 1024 without privileges, or EADDRNOTAVAIL.
   * @throws `RangeError` (as a rejection) for an invalid keepalive interval or when both families
   *   are disabled.
   */
  static async open(options: UdpTransportOptions): Promise<UdpTransport> {
    const t = new UdpTransport(options);
    const ipv4 = options.ipv4 ?? "0.0.0.0";
    const ipv6 = options.ipv6 ?? false;
    if (ipv4 === false && ipv6 === false) throw new RangeError("UdpTransport: no address family enabled");
    try {
      if (ipv4 !== false) await t.#bindFamily("IPv4", ipv4);
      if (ipv6 !== false) await t.#bindFamily("IPv6", ipv6);
    } catch (e) {
      await t.close();
      throw e;
    }
    t.#state = "open";
    return t;
  }

  /** The bound ports per family (the ephemeral ones when 0 was asked for). */
  get ports(): Readonly<Partial<Record<UdpFamily, UdpBoundPorts>>> {
    const out: Partial<Record<UdpFamily, UdpBoundPorts>> = {};
    for (const family of ["IPv4", "IPv6"] as const) {
      const s = this.#sockets[family];
      if (s !== undefined) out[family] = { ...s.ports };
    }
    return out;
  }

  /** A snapshot of the counters. */
  get counters(): UdpTransportCounters {
    return { ...this.#counters };
  }

  /**
   * Sends an IKE message to `to`: from the IKE port as is, or from the NAT-T port behind the
   * non-ESP marker (RFC 3948 §2.2, RFC 7296 §2.23). The marker goes out as a separate iovec of
   * the same datagram, so `data` is never copied by the transport.
   * @throws `TypeError` when `to.address` is not an IP literal; `Error` when the transport is
   *   closed or has no socket of that family.
   */
  sendIke(data: Uint8Array, to: UdpPeer, options: UdpSendIkeOptions = {}): void {
    if (options.fromNatTPort === true) {
      this.#send("natT", [NON_ESP_MARKER, data], to, options.sent);
    } else {
      this.#send("ike", [data], to, options.sent);
    }
  }

  /**
   * Sends an ESP packet (starting at the SPI) as ESP-in-UDP from the NAT-T port (RFC 3948 §2.1).
   * @throws as {@link UdpTransport.sendIke}.
   */
  sendEsp(packet: Uint8Array, to: UdpPeer, sent?: UdpSendCallback): void {
    this.#send("natT", [packet], to, sent);
  }

  /**
   * Sends one NAT-keepalive (a single 0xFF octet, RFC 3948 §2.3) from the NAT-T port.
   * @throws as {@link UdpTransport.sendIke}.
   */
  sendKeepalive(to: UdpPeer, sent?: UdpSendCallback): void {
    this.#send("natT", [KEEPALIVE], to, sent);
    this.#counters.keepalivesSent++;
  }

  /**
   * Sends NAT-keepalives to `to` from now on, one per interval in which nothing else went to it
   * from the NAT-T port (RFC 3948 §4). The timer is `unref()`'d and runs only while a peer is
   * registered. Call when NAT detection says a NAT is present (RFC 3947 §4, RFC 7296 §2.23).
   */
  startKeepalives(to: UdpPeer): void {
    if (this.#state === "closed") throw new Error("UdpTransport is closed");
    this.#keepalives.add(to);
  }

  /** Stops the NAT-keepalives to `to` (e.g. when its last SA is gone). */
  stopKeepalives(to: UdpPeer): void {
    this.#keepalives.remove(to);
  }

  /** Closes every socket and stops the keepalive timer; idempotent. */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#state = "closed";
    this.#keepalives.close();
    const sockets = Object.values(this.#sockets).flatMap((s) => [s.ike, s.natT]);
    // Closing an unbound socket (a failed open) is fine: dgram frees the handle either way.
    this.#closing = Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(resolve)))).then(
      () => undefined,
    );
    return this.#closing;
  }

  async #bindFamily(family: UdpFamily, address: string): Promise<void> {
    const type = family === "IPv4" ? "udp4" : "udp6";
    const ports = { ike: 0, natT: 0 };
    const ike = this.#createSocket(type, (msg, rinfo) => this.#receiveOnIkePort(msg, rinfo, ports.ike));
    const natT = this.#createSocket(type, (msg, rinfo) => this.#receiveOnNatTPort(msg, rinfo, ports.natT));
    this.#sockets[family] = { ike, natT, ports };
    ports.ike = await bind(ike, address, this.#options.ikePort ?? DEFAULT_IKE_PORT);
    ports.natT = await bind(natT, address, this.#options.natTPort ?? NAT_T_PORT);
  }

  #createSocket(type: "udp4" | "udp6", onMessage: (msg: Buffer, rinfo: RemoteInfo) => void): Socket {
    // ipv6Only: an IPv6 socket must not take IPv4 (mapped) traffic, so both families can bind
    // the same port number.
    const socket = createSocket({ type, ipv6Only: type === "udp6" });
    socket.on("message", onMessage);
    // Errors while binding reject open(); afterwards they go to onError.
    socket.on("error", (e) => {
      if (this.#state === "open") this.#report(e);
    });
    return socket;
  }

  /** RFC 7296 §2: everything on the IKE port is IKE. */
  #receiveOnIkePort(msg: Buffer, rinfo: RemoteInfo, localPort: number): void {
    this.#counters.ikeReceived++;
    this.#deliver(this.#options.onIke, view(msg), rinfo, localPort);
  }

  /** RFC 3948 §2: demultiplex the NAT-T port on the first four octets. */
  #receiveOnNatTPort(msg: Buffer, rinfo: RemoteInfo, localPort: number): void {
    const data = view(msg);
    switch (classifyUdpEncapsulated(data)) {
      case "ike":
        this.#counters.ikeReceived++;
        this.#deliver(this.#options.onIke, data.subarray(NON_ESP_MARKER_LENGTH), rinfo, localPort);
        return;
      case "esp": {
        const onEsp = this.#options.onEsp;
        if (onEsp === undefined) {
          this.#counters.espDropped++;
          return;
        }
        this.#counters.espReceived++;
        this.#deliver(onEsp, data, rinfo, localPort);
        return;
      }
      case "keepalive":
        // RFC 3948 §2.3: "The receiver SHOULD ignore a received NAT-keepalive packet."
        this.#counters.keepalivesReceived++;
        return;
      case "malformed":
        this.#counters.malformedDropped++;
        return;
    }
  }

  #deliver(
    handler: UdpIkeHandler | UdpEspHandler,
    data: Uint8Array,
    rinfo: RemoteInfo,
    localPort: number,
  ): void {
    const from: UdpSource = { address: rinfo.address, port: rinfo.port, family: rinfo.family };
    try {
      handler(data, from, localPort);
    } catch (e) {
      this.#report(e);
    }
  }

  #send(port: "ike" | "natT", chunks: Uint8Array[], to: UdpPeer, sent: UdpSendCallback | undefined): void {
    if (this.#state !== "open") throw new Error("UdpTransport is not open");
    const { family, address } = destination(to.address);
    const sockets = this.#sockets[family];
    const socket = port === "ike" ? sockets?.ike : sockets?.natT;
    if (socket === undefined) throw new Error(`UdpTransport has no ${family} socket (to ${to.address})`);
    socket.send(chunks, to.port, address, (error) => {
      if (error !== null) this.#report(error);
      if (sent === undefined) return;
      try {
        sent(error);
      } catch (e) {
        this.#report(e);
      }
    });
    if (port === "natT") this.#keepalives.noteSent(to);
  }

  /** The keepalive timer's send: failures go to onError, never out of the timer. */
  #sendQuietly(to: UdpPeer): void {
    try {
      this.sendKeepalive(to);
    } catch (e) {
      this.#report(e);
    }
  }

  #report(e: unknown): void {
    this.#counters.errors++;
    this.#options.onError?.(e instanceof Error ? e : new Error(String(e)));
  }
}

/** A plain Uint8Array view of a received Buffer (no copy; Node allocates one per datagram). */
function view(msg: Buffer): Uint8Array {
  return new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
}

/** The family and the address to hand to the socket; `::ffff:a.b.c.d` goes over IPv4. */
function destination(address: string): { family: UdpFamily; address: string } {
  const version = isIP(address);
  if (version === 4) return { family: "IPv4", address };
  if (version === 6) {
    const mapped = address.toLowerCase().startsWith(V4_MAPPED_PREFIX)
      ? address.slice(V4_MAPPED_PREFIX.length)
      : "";
    return isIP(mapped) === 4 ? { family: "IPv4", address: mapped } : { family: "IPv6", address };
  }
  throw new TypeError(`UdpTransport: not an IP address: ${address}`);
}

/** Binds `socket`, settling with the bound port on "listening" or with the bind error. */
function bind(socket: Socket, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => {
      socket.off("listening", onListening);
      reject(e);
    };
    const onListening = (): void => {
      socket.off("error", onError);
      resolve(socket.address().port);
    };
    socket.once("error", onError);
    socket.once("listening", onListening);
    // exclusive: never share the port with another process's cluster workers.
    socket.bind({ address, port, exclusive: true });
  });
}
