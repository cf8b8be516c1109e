/**
 * An IKEv2 endpoint, sans I/O: the table of IKE SAs behind one (or several) UDP ports. It hands
 * each datagram to the {@link IkeSession} whose SPI it carries, opens responder sessions for new
 * IKE_SA_INIT requests (through a shared {@link IkeResponderGuard}: cookies and the half-open
 * limit, RFC 7296 §2.6), ticks the sessions whose timers are due, and forgets sessions once
 * they are closed.
 *
 * Dispatch (RFC 7296 §2.1, §3.1): the I flag says which SPI is ours. A message from the
 * original initiator of an IKE SA (I set) is for the responder's SPI, SPIr; any other for SPIi.
 * An IKE_SA_INIT request has no SPIr yet: a retransmission is recognised by SPIi and the
 * sender's address (RFC 7296 §2.1: "the responder will recognize the retransmission by the
 * SPIi"), anything else is a new IKE SA. During an IKE SA rekey a session answers on two SPI
 * pairs ({@link IkeSession.spis}); the table follows every change after each call.
 *
 * INITIAL_CONTACT (RFC 7296 §2.4): a peer that says so on a new IKE SA has no other; older IKE SAs
 * with its identity end at once, without a Delete it could not read. Ours is sent only when no
 * other IKE SA with the same peer is open here.
 *
 * @packageDocumentation
 */
import { toHex } from "../../wire/bytes.js";
import { ExchangeType } from "../constants.js";
import { IkeResponderGuard } from "./cookie.js";
import { IkeSession } from "./ike-session.js";
import type {
  Endpoint,
  IdentityConfig,
  IkeEvent,
  IkeOutput,
  IkeSessionConfig,
  IkeSessionDeps,
  LocalEndpoint,
  OutboundDatagram,
} from "./types.js";

/** RFC 7296 §3.1: the fixed IKE header is 28 octets. */
const IKE_HEADER_LENGTH = 28;
/** RFC 7296 §3.1: the I(nitiator) flag. */
const FLAG_INITIATOR = 0x08;
/** RFC 7296 §3.1: the R(esponse) flag. */
const FLAG_RESPONSE = 0x20;

/** Options of an {@link IkeEndpoint}. @public */
export interface IkeEndpointOptions {
  /** What every session of this endpoint gets: crypto backend, key store, SPI allocator, logger. */
  readonly deps: IkeSessionDeps;
  /**
   * The configuration for a new IKE SA a peer opens from `from` (arriving on `to`), or
   * `undefined` to ignore the request. Absent: this endpoint only initiates.
   */
  readonly responder?: (from: Endpoint, to: LocalEndpoint) => IkeSessionConfig | undefined;
  /**
   * Half-open IKE SAs from which on IKE_SA_INIT requests must carry a cookie (RFC 7296 §2.6);
   * default 20, 0: always. Ignored when `guard` is given.
   */
  readonly cookieThreshold?: number;
  /** A guard shared with other endpoints (cookie secret, half-open count). */
  readonly guard?: IkeResponderGuard;
}

/** An {@link IkeEvent} and the session it came from. @public */
export interface IkeEndpointEvent {
  /** The session. */
  readonly session: IkeSession;
  /** What happened. */
  readonly event: IkeEvent;
}

/** What a call to an {@link IkeEndpoint} asks the caller to do. @public */
export interface IkeEndpointOutput {
  /** Datagrams to send, in order. */
  readonly datagrams: readonly OutboundDatagram[];
  /** Events of every session involved, in order. */
  readonly events: readonly IkeEndpointEvent[];
  /** When to call {@link IkeEndpoint.tick} next (the caller's clock); `undefined`: no timer needed. */
  readonly nextTick: number | undefined;
}

/**
 * The IKE SAs of one endpoint, found by SPI. Create sessions with {@link IkeEndpoint.initiate};
 * feed every IKE datagram (non-ESP marker removed) to {@link IkeEndpoint.receive}; call
 * {@link IkeEndpoint.tick} at `nextTick`.
 * @public
 */
export class IkeEndpoint {
  readonly #deps: IkeSessionDeps;
  readonly #responder: IkeEndpointOptions["responder"];
  readonly #guard: IkeResponderGuard;
  /** Every open session and the wake-up time it last asked for. */
  readonly #sessions = new Map<IkeSession, number | undefined>();
  /** Our SPI (hex) of every SPI pair a session answers on → the session. */
  readonly #bySpi = new Map<string, IkeSession>();
  /** The keys each session is indexed under in {@link IkeEndpoint.#bySpi} and `#byInit`. */
  readonly #keys = new Map<IkeSession, { spis: string[]; init: string | undefined }>();
  /** Responder sessions by the peer's address and SPIi, for retransmitted IKE_SA_INIT requests. */
  readonly #byInit = new Map<string, IkeSession>();

  constructor(options: IkeEndpointOptions) {
    this.#deps = options.deps;
    this.#responder = options.responder;
    this.#guard =
      options.guard ??
      new IkeResponderGuard({
        backend: options.deps.backend,
        ...(options.cookieThreshold === undefined ? {} : { cookieThreshold: options.cookieThreshold }),
      });
  }

  /** The open sessions (closed ones are forgotten). */
  sessions(): IkeSession[] {
    return [...this.#sessions.keys()];
  }

  /**
   * Starts an IKE SA as initiator (see {@link IkeSession.initiate}).
   * @throws as {@link IkeSession.initiate} for an unusable configuration.
   */
  initiate(config: IkeSessionConfig, now: number): { session: IkeSession; output: IkeEndpointOutput } {
    // RFC 7296 §2.4: INITIAL_CONTACT only when no other IKE SA with this peer exists here.
    const peer = config.remoteId;
    const another =
      peer !== undefined &&
      this.sessions().some((s) => {
        const id = s.snapshot().remoteId;
        return id !== undefined && sameIdentity(id, peer);
      });
    const { session, output } = IkeSession.initiate(
      another && config.initialContact === undefined ? { ...config, initialContact: false } : config,
      this.#deps,
      now,
    );
    const collected = this.#collector();
    collected.add(session, output);
    return { session, output: collected.done() };
  }

  /**
   * Handles one IKE datagram: to the session it belongs to, or to a new responder session.
   * Datagrams shorter than an IKE header, or for no known SPI, are dropped (RFC 7296 §2.21).
   * @param from - where it came from.
   * @param to - the local port (and address, if known) it arrived on.
   */
  receive(datagram: Uint8Array, from: Endpoint, to: LocalEndpoint, now: number): IkeEndpointOutput {
    const collected = this.#collector();
    if (datagram.length < IKE_HEADER_LENGTH) return collected.done();
    const flags = datagram[19]!;
    const exchangeType = datagram[18]!;
    const spiR = datagram.subarray(8, 16);
    const isInitRequest =
      exchangeType === ExchangeType.IKE_SA_INIT &&
      (flags & FLAG_RESPONSE) === 0 &&
      spiR.every((b) => b === 0);
    if (isInitRequest) {
      const known = this.#byInit.get(initKey(from, datagram.subarray(0, 8)));
      if (known !== undefined) {
        collected.add(known, known.receive(datagram, from, to, now));
        return collected.done();
      }
      const config = this.#responder?.(from, to);
      if (config === undefined) return collected.done();
      const { session, output } = IkeSession.respond(
        datagram,
        from,
        to,
        config,
        this.#deps,
        now,
        this.#guard,
      );
      if (session === undefined) collected.datagrams.push(...output.datagrams);
      else collected.add(session, output, initKey(from, datagram.subarray(0, 8)));
      return collected.done();
    }
    // RFC 7296 §3.1: I set — from the original initiator, so for our SPIr; clear — for our SPIi.
    const ours = (flags & FLAG_INITIATOR) !== 0 ? spiR : datagram.subarray(0, 8);
    const session = this.#bySpi.get(toHex(ours));
    if (session !== undefined) collected.add(session, session.receive(datagram, from, to, now));
    return collected.done();
  }

  /** Ticks every session whose wake-up time has come. */
  tick(now: number): IkeEndpointOutput {
    const collected = this.#collector();
    for (const [session, at] of [...this.#sessions]) {
      if (at !== undefined && at <= now) collected.add(session, session.tick(now));
    }
    return collected.done();
  }

  /**
   * Calls `action` on a session of this endpoint (e.g. `close`, `rekeyIke`, `createChild`) and
   * collects its output, so the SPI table stays current.
   */
  run(session: IkeSession, action: (s: IkeSession) => IkeOutput): IkeEndpointOutput {
    const collected = this.#collector();
    if (this.#sessions.has(session)) collected.add(session, action(session));
    return collected.done();
  }

  /** Closes every session (RFC 7296 §1.4.1: established ones send a Delete). */
  closeAll(now: number): IkeEndpointOutput {
    const collected = this.#collector();
    for (const session of [...this.#sessions.keys()]) collected.add(session, session.close(now));
    return collected.done();
  }

  /**
   * Accumulates the outputs of one call and keeps the tables current. RFC 7296 §2.4: when a peer
   * says INITIAL_CONTACT, the other IKE SAs with its identity are stale and end at once.
   */
  #collector() {
    const datagrams: OutboundDatagram[] = [];
    const events: IkeEndpointEvent[] = [];
    const add = (session: IkeSession, out: IkeOutput, init?: string): void => {
      datagrams.push(...out.datagrams);
      for (const event of out.events) events.push({ session, event });
      this.#index(session, out.nextTick, init);
      for (const event of out.events) {
        if (event.type !== "ike-sa-up" || !event.initialContact) continue;
        const peer = event.snapshot.remoteId;
        for (const other of this.#sessions.keys()) {
          const id = other.snapshot().remoteId;
          if (other !== session && peer !== undefined && id !== undefined && sameIdentity(id, peer)) {
            add(other, other.abandon("initial-contact"));
          }
        }
      }
    };
    const done = (): IkeEndpointOutput => ({ datagrams, events, nextTick: this.#nextTick() });
    return { datagrams, add, done };
  }

  /** Files `session` under its current SPIs, or forgets it once closed. */
  #index(session: IkeSession, nextTick: number | undefined, init?: string): void {
    const old = this.#keys.get(session);
    for (const key of old?.spis ?? []) if (this.#bySpi.get(key) === session) this.#bySpi.delete(key);
    if (session.state === "closed") {
      if (old?.init !== undefined) this.#byInit.delete(old.init);
      this.#keys.delete(session);
      this.#sessions.delete(session);
      return;
    }
    // Only the SPI we chose of each pair: the peer chooses the other, and could choose one of ours.
    const keys = session.spis().map((p) => toHex(p.local));
    for (const key of keys) this.#bySpi.set(key, session);
    const initKeyOf = init ?? old?.init;
    if (initKeyOf !== undefined) this.#byInit.set(initKeyOf, session);
    this.#keys.set(session, { spis: keys, init: initKeyOf });
    this.#sessions.set(session, nextTick);
  }

  #nextTick(): number | undefined {
    let next: number | undefined;
    for (const at of this.#sessions.values()) {
      if (at !== undefined && (next === undefined || at < next)) next = at;
    }
    return next;
  }
}

/** Same ID type and value (text, or octets for KEY_ID and DER names). */
function sameIdentity(a: IdentityConfig, b: IdentityConfig): boolean {
  if (a.type !== b.type) return false;
  if (typeof a.value === "string" || typeof b.value === "string") return a.value === b.value;
  return toHex(a.value) === toHex(b.value);
}

function initKey(from: Endpoint, spiI: Uint8Array): string {
  return `${from.address}|${toHex(spiI)}`;
}
