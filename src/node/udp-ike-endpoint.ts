/**
 * IKEv2 and ESP on Node, wired together: an {@link IkeEndpoint} behind a {@link UdpTransport},
 * driven by a {@link SessionClock}, whose Child SAs are installed as ESP SAs in a {@link Sad} as
 * the sessions report them (up, rekeyed, down). The caller gets working SAs without glue:
 * {@link UdpIkeEndpoint.send} protects an inner IP packet with the Child SA whose traffic
 * selectors cover it, and inbound ESP-in-UDP is verified, decrypted, checked against the SA's
 * selectors (RFC 4301 §5.2) and handed to `onPacket`.
 *
 * Node sockets cannot send raw ESP (IP protocol 50), so ESP goes in UDP on the NAT-T port
 * (RFC 3948): the Child SAs need UDP encapsulation — a NAT on the path, or
 * `forceEncapsulation` in the session configuration.
 *
 * @packageDocumentation
 */
import type { CryptoBackend } from "../crypto/backend.js";
import { EspInboundSa } from "../esp/inbound.js";
import type { EspSaOptions } from "../esp/options.js";
import { EspOutboundSa } from "../esp/outbound.js";
import type { TrafficSelector as PayloadTs } from "../ikev2/payloads/ts.js";
import {
  IkeEndpoint,
  type IkeEndpointEvent,
  type IkeEndpointOptions,
  type IkeEndpointOutput,
} from "../ikev2/session/endpoint.js";
import type { IkeSession } from "../ikev2/session/ike-session.js";
import type {
  AddressAllocator,
  ChildSaInfo,
  IkeLogger,
  IkeOutput,
  IkeSessionConfig,
  KeyStore,
  PskStore,
} from "../ikev2/session/types.js";
import { Sad, type SadEntry } from "../sad/sad.js";
import { Direction, newPacketFields, PacketStatus, parsePacket } from "../spd/packet.js";
import { type TrafficSelector, tsToSelectorSets } from "../spd/ts.js";
import { nodeBackend } from "./backend.js";
import { SessionClock } from "./udp-session-clock.js";
import { UdpTransport, type UdpTransportOptions } from "./udp-transport.js";
import type { UdpBoundPorts, UdpFamily, UdpSource, UdpTransportCounters } from "./udp-types.js";

/** The data-plane SAs a {@link UdpIkeEndpoint} installs. @public */
export type EspSa = EspInboundSa | EspOutboundSa;

/** Options of {@link UdpIkeEndpoint.open}. @public */
export interface UdpIkeEndpointOptions {
  /** Pre-shared keys. */
  readonly psk: PskStore;
  /** Private keys and trust anchors for certificate authentication. */
  readonly keys?: KeyStore;
  /** Responder: virtual IP addresses handed out with the configuration payload. */
  readonly addressPool?: AddressAllocator;
  /** Crypto for IKE and ESP; default the node:crypto backend. */
  readonly backend?: CryptoBackend;
  /** Log sink of every session. */
  readonly logger?: IkeLogger;
  /** Responder configuration per request (as `IkeEndpointOptions.responder` of `ike-ts/ikev2`). */
  readonly responder?: IkeEndpointOptions["responder"];
  /** Cookie threshold (as `IkeEndpointOptions.cookieThreshold`). */
  readonly cookieThreshold?: number;
  /** Sockets: bind addresses and ports (default 0.0.0.0, ports 500 and 4500). */
  readonly udp?: Omit<UdpTransportOptions, "onIke" | "onEsp" | "onError">;
  /** Anti-replay window of inbound SAs (RFC 4303 §3.4.3); default 64. */
  readonly replayWindow?: number;
  /** Every session event, after the SAD was updated for it. */
  readonly onEvent?: (event: IkeEndpointEvent) => void;
  /** A decrypted inbound packet that matched its SA's selectors, and that SA. */
  readonly onPacket?: (packet: Uint8Array, sa: SadEntry<EspSa>) => void;
  /** Socket errors and errors thrown by the callbacks; without it they are only counted. */
  readonly onError?: (error: Error) => void;
  /** The clock, in milliseconds; default `Date.now`. */
  readonly now?: () => number;
}

/** Why {@link UdpIkeEndpoint.send} did not send a packet. @public */
export type UdpIkeSendResult = "sent" | "malformed" | "no-sa" | "not-encapsulated" | "refused";

/** One Child SA's two SAD entries and the IKE SA that owns them. */
interface InstalledChild {
  readonly session: IkeSession;
  readonly inbound: SadEntry<EspSa>;
  readonly outbound: SadEntry<EspSa>;
  readonly remote: { readonly address: string; readonly port: number } | undefined;
}

/** RFC 7296 §3.13.1 payload selectors as the SPD's (addresses as numbers). */
function spdTs(ts: PayloadTs): TrafficSelector {
  const value = (bytes: Uint8Array) => bytes.reduce((v, b) => (v << 8n) | BigInt(b), 0n);
  return {
    family: ts.startAddress.length === 4 ? 4 : 6,
    protocol: ts.ipProtocol,
    startPort: ts.startPort,
    endPort: ts.endPort,
    start: value(ts.startAddress),
    end: value(ts.endAddress),
  };
}

/** The ESP options without the UDP header: the transport writes it (RFC 3948 §2.1). */
function withoutUdpHeader(o: EspSaOptions): EspSaOptions {
  const { udpEncapsulation: _, ...rest } = o;
  return rest;
}

/**
 * IKEv2 endpoint with ESP-in-UDP data plane on Node. Open with {@link UdpIkeEndpoint.open},
 * release with {@link UdpIkeEndpoint.close}.
 * @public
 */
export class UdpIkeEndpoint {
  /** The sessions. */
  readonly ike: IkeEndpoint;
  /** The installed ESP SAs (counters, lifetimes, `clear` by peer or IKE SA). */
  readonly sad: Sad<EspSa>;
  readonly #options: UdpIkeEndpointOptions;
  readonly #backend: CryptoBackend;
  readonly #now: () => number;
  readonly #clock: SessionClock;
  readonly #children = new Map<number, InstalledChild>();
  /** Where NAT-keepalives go for each IKE SA that uses UDP encapsulation (RFC 3948 §4). */
  readonly #keepalives = new Map<IkeSession, { readonly address: string; readonly port: number }>();
  readonly #fields = newPacketFields();
  #transport!: UdpTransport;

  private constructor(options: UdpIkeEndpointOptions) {
    this.#options = options;
    this.#backend = options.backend ?? nodeBackend;
    this.#now = options.now ?? Date.now;
    const backend = this.#backend;
    this.sad = new Sad<EspSa>({ randomBytes: (n) => backend.randomBytes(n) });
    this.ike = new IkeEndpoint({
      deps: {
        backend: this.#backend,
        psk: options.psk,
        allocateSpi: () => this.sad.allocateSpi(),
        // RFC 5280 §6.1.3: certificate validity is judged on the real time.
        wallClock: Date.now,
        ...(options.keys === undefined ? {} : { keys: options.keys }),
        ...(options.addressPool === undefined ? {} : { addressPool: options.addressPool }),
        ...(options.logger === undefined ? {} : { logger: options.logger }),
      },
      ...(options.responder === undefined
        ? {}
        : {
            responder: (from, to) => {
              const config = options.responder!(from, to);
              return config === undefined ? undefined : this.#withPorts(config);
            },
          }),
      ...(options.cookieThreshold === undefined ? {} : { cookieThreshold: options.cookieThreshold }),
    });
    this.#clock = new SessionClock((now) => this.#handle(this.ike.tick(now)), {
      now: this.#now,
      onError: (e) => this.#error(e),
    });
  }

  /**
   * Binds the sockets.
   * @throws as {@link UdpTransport.open} (as a rejection).
   */
  static async open(options: UdpIkeEndpointOptions): Promise<UdpIkeEndpoint> {
    const endpoint = new UdpIkeEndpoint(options);
    endpoint.#transport = await UdpTransport.open({
      ...options.udp,
      onIke: (data, from, localPort) => endpoint.#onIke(data, from, localPort),
      onEsp: (data, from) => endpoint.#onEsp(data, from),
      onError: (e) => endpoint.#error(e),
    });
    return endpoint;
  }

  /** The UDP transport's counters (IKE and ESP datagrams, keepalives, drops). */
  get counters(): UdpTransportCounters {
    return this.#transport.counters;
  }

  /** The bound ports per family. */
  get ports(): Readonly<Partial<Record<UdpFamily, UdpBoundPorts>>> {
    return this.#transport.ports;
  }

  /**
   * Starts an IKE SA as initiator.
   * @throws as `IkeSession.initiate` for an unusable configuration.
   */
  initiate(config: IkeSessionConfig): IkeSession {
    const { session, output } = this.ike.initiate(this.#withPorts(config), this.#now());
    this.#handle(output);
    return session;
  }

  /** Calls `action` on one of the sessions (`close`, `rekeyIke`, `rekeyChild`, `createChild`). */
  run(session: IkeSession, action: (s: IkeSession, now: number) => IkeOutput): void {
    this.#handle(this.ike.run(session, (s) => action(s, this.#now())));
  }

  /**
   * Protects an inner IP packet with the newest Child SA whose selectors cover it (RFC 4301 §5.1)
   * and sends it in UDP to the peer. The packet is copied; the caller keeps it.
   */
  send(packet: Uint8Array): UdpIkeSendResult {
    if (parsePacket(packet, this.#fields) !== PacketStatus.OK) return "malformed";
    let chosen: InstalledChild | undefined;
    for (const child of this.#children.values()) {
      if (child.outbound.replacedBy === null && child.outbound.matches(this.#fields, Direction.OUTBOUND)) {
        chosen = child;
      }
    }
    if (chosen === undefined) return "no-sa";
    if (chosen.remote === undefined) return "not-encapsulated";
    const sa = chosen.outbound.sa as EspOutboundSa;
    // A fresh buffer per packet: the socket reads it after this call returns (UdpTransport.sendEsp),
    // so a shared one would be overwritten by the next packet. The ESP SA itself allocates nothing.
    const out = new Uint8Array(sa.maxOutputLength(packet.length));
    const n = sa.protect(packet, 0, packet.length, out, 0);
    if (typeof n !== "number") return "refused";
    this.#transport.sendEsp(out.subarray(0, n), chosen.remote);
    return "sent";
  }

  /**
   * Deletes every IKE SA (RFC 7296 §1.4.1), waits up to `timeoutMs` for the answers, then
   * removes the remaining SAs (keys zeroized) and closes the sockets.
   */
  async close(timeoutMs = 2000): Promise<void> {
    this.#handle(this.ike.closeAll(this.#now()));
    const until = this.#now() + timeoutMs;
    while (this.ike.sessions().length > 0 && this.#now() < until) {
      await new Promise((r) => setTimeout(r, 10));
    }
    this.#clock.close();
    this.#children.clear();
    this.sad.clear();
    await this.#transport.close();
  }

  /** Our IKE and NAT-T ports are the bound ones, unless the configuration names them. */
  #withPorts(config: IkeSessionConfig): IkeSessionConfig {
    const ports = this.#transport.ports[config.localAddress.includes(":") ? "IPv6" : "IPv4"];
    if (ports === undefined) return config;
    return {
      ...config,
      localPort: config.localPort ?? ports.ike,
      localNattPort: config.localNattPort ?? ports.natT,
    };
  }

  #onIke(data: Uint8Array, from: UdpSource, localPort: number): void {
    const peer = { address: from.address, port: from.port };
    this.#handle(this.ike.receive(data, peer, { port: localPort }, this.#now()));
  }

  #onEsp(data: Uint8Array, from: UdpSource): void {
    if (data.length < 8) return;
    const spi = ((data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!) >>> 0;
    const entry = this.sad.lookupInbound(spi, 50);
    const child = this.#children.get(spi);
    if (entry === undefined || child === undefined) return;
    const r = (entry.sa as EspInboundSa).unprotect(data, 0, data.length);
    if (r.status !== "packet") return;
    const inner = data.subarray(r.offset, r.offset + r.length);
    // RFC 4301 §5.2 step 4: the decrypted packet must match the SA's selectors.
    if (parsePacket(inner, this.#fields) !== PacketStatus.OK) return;
    if (!entry.matches(this.#fields, Direction.INBOUND)) return;
    // RFC 7296 §2.4: verified ESP proves the peer alive; RFC 3948: follow its NAT mapping.
    child.session.peerAlive(this.#now());
    if (
      child.remote !== undefined &&
      (child.remote.address !== from.address || child.remote.port !== from.port)
    ) {
      this.#children.set(spi, { ...child, remote: { address: from.address, port: from.port } });
    }
    this.#options.onPacket?.(inner, entry);
  }

  #handle(out: IkeEndpointOutput): void {
    for (const d of out.datagrams) {
      this.#transport.sendIke(d.data, d.remote, { fromNatTPort: d.nonEspMarker });
    }
    for (const e of out.events) {
      this.#apply(e);
      try {
        this.#options.onEvent?.(e);
      } catch (err) {
        this.#error(err);
      }
    }
    this.#clock.schedule(out.nextTick);
  }

  /** Keeps the SAD in step with the sessions (RFC 7296 §2.8: old inbound SA kept until deleted). */
  #apply({ session, event }: IkeEndpointEvent): void {
    const now = this.#now() / 1000;
    if (event.type === "ike-sa-up" && event.snapshot.natTraversal) {
      // RFC 3948 §4, RFC 7296 §2.23: keep the NAT mapping of the UDP-encapsulated SAs open.
      const peer = { address: event.snapshot.remote.address, port: event.snapshot.remote.port };
      this.#keepalives.set(session, peer);
      this.#transport.startKeepalives(peer);
    } else if (event.type === "ike-sa-down") {
      const peer = this.#keepalives.get(session);
      this.#keepalives.delete(session);
      if (peer !== undefined) this.#transport.stopKeepalives(peer);
    } else if (event.type === "child-sa-up") {
      this.#install(session, event.child, now, undefined);
    } else if (event.type === "child-sa-rekeyed") {
      this.#install(session, event.child, now, this.#children.get(event.oldInboundSpi)?.outbound);
    } else if (event.type === "child-sa-down") {
      const child = this.#children.get(event.inboundSpi);
      if (child === undefined) return;
      this.#children.delete(event.inboundSpi);
      this.sad.remove(child.inbound);
      if (!child.outbound.removed) this.sad.remove(child.outbound);
    }
  }

  #install(session: IkeSession, info: ChildSaInfo, now: number, replaces: SadEntry<EspSa> | undefined): void {
    const ikeSa = session.snapshot().spiI;
    const selectors = tsToSelectorSets(info.localTs.map(spdTs), info.remoteTs.map(spdTs));
    const common = {
      protocol: 50 as const,
      local: info.localAddress,
      peer: info.remoteAddress,
      selectors,
      ikeSa,
    };
    const inbound = this.sad.add(
      {
        ...common,
        sa: new EspInboundSa(this.#backend, {
          ...withoutUdpHeader(info.inbound),
          replayWindow: this.#options.replayWindow ?? 64,
        }),
        spi: info.inbound.spi,
        direction: "inbound",
      },
      now,
    );
    const outbound = this.sad.add(
      {
        ...common,
        sa: new EspOutboundSa(this.#backend, withoutUdpHeader(info.outbound)),
        spi: info.outbound.spi,
        direction: "outbound",
        pair: inbound,
        ...(replaces === undefined || replaces.removed ? {} : { replaces }),
      },
      now,
    );
    const encap = info.outbound.udpEncapsulation;
    const remote =
      encap === undefined ? undefined : { address: info.remoteAddress, port: encap.destinationPort };
    this.#children.set(info.inbound.spi, { session, inbound, outbound, remote });
  }

  #error(e: unknown): void {
    const error = e instanceof Error ? e : new Error(String(e));
    this.#options.onError?.(error);
  }
}
