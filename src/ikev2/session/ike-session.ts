/**
 * One IKEv2 SA and its Child SAs, sans I/O (RFC 7296): the session is driven by calls —
 * {@link IkeSession.initiate}, {@link IkeSession.respond}, `receive`, `tick`, `close` — and
 * answers each with an {@link IkeOutput}: datagrams to send, events, and when to wake it again.
 *
 * What is handled here, once for every exchange: message IDs and the window of one (§2.1–2.3:
 * a retransmitted request gets the cached response, anything else out of order is dropped),
 * retransmission with exponential backoff (§2.1), SK protection (§3.14; a message that does not
 * verify is dropped silently, §2.21.2), the declarative payload rules ({@link checkRules}), the
 * exchanges each state accepts (an INFORMATIONAL or CREATE_CHILD_SA before IKE_AUTH completes is
 * dropped: CVE-2019-12312, CVE-2014-2338), the NAT-T port move (§2.23), and teardown with keys
 * zeroized. The exchanges themselves are tasks in `tasks/`.
 *
 * CREATE_CHILD_SA (§1.3): our own requests — another Child SA, a Child SA rekey (by command or at
 * the soft lifetime minus jitter), the Delete of the SA a rekey replaced, an IKE SA rekey — are
 * queued work that waits for the window of one. Collisions are settled here: a Child SA rekeyed
 * by both ends keeps the SA of the exchange without the lowest nonce (§2.8.1), and what §2.25
 * says to refuse gets TEMPORARY_FAILURE or CHILD_SA_NOT_FOUND.
 *
 * Rekeying the IKE SA (§2.18) is done in place, since one session stands for "the IKE SA and its
 * Child SAs": the new SA's SPIs, keys and role (that of the rekey exchange) are negotiated on the
 * old SA, the rekey initiator deletes the old SA, and when that Delete is answered (rekey
 * initiator) or has been answered (rekey responder) the session switches to them, keeps its
 * Child SAs, restarts message IDs at 0, zeroizes the old keys and reports `ike-sa-rekeyed` for
 * the endpoint's SPI table ({@link IkeSession.spis} lists every SPI pair to dispatch meanwhile).
 * A message on the new SPIs before the switch is not expected from an initiator that waits for
 * its Delete to be answered (as ours does) and is dropped. When both ends rekey the IKE SA at once
 * (§2.8.2), both requests are answered; the new SA with the lowest nonce is deleted, on itself, by
 * the end that made it (`tasks/ike-collision.ts`) and the other one is switched to as above.
 *
 * Message fragmentation (RFC 7383), when both ends announced it in IKE_SA_INIT (§2.3): an
 * encrypted message that would not fit the configured datagram size goes out as SKF fragments,
 * each protected on its own (§2.5); a retransmission resends them all and a cached response is
 * the list of them (§2.6.1). Fragments from the peer of the request or response we expect are
 * verified one by one and reassembled (§2.6), then handled as one SK message.
 *
 * Nothing a peer sends makes `receive` throw: decoding errors are typed ({@link WireError}) and
 * crypto refusals are {@link CryptoError}s, both caught where expected.
 *
 * @packageDocumentation
 */
import { CryptoError } from "../../crypto/backend.js";
import { equalConstantTime, toHex } from "../../wire/bytes.js";
import { WireError } from "../../wire/errors.js";
import { decodeInnerPayloads, encodeInnerPayloads, type Payload } from "../chain.js";
import { ExchangeType, exchangeName, isErrorNotify, NotifyType, notifyName } from "../constants.js";
import { errorNotify } from "../errors.js";
import { HEADER_LENGTH, type IkeHeader } from "../header.js";
import type { IkeSaKeys, IkeSuite } from "../keys.js";
import { decodeMessage, encodeMessage, type IkeMessage } from "../message.js";
import { GENERIC_HEADER_LENGTH } from "../payloads/generic.js";
import { checkRules, describeViolation } from "../rules.js";
import type { FragmentLimits, SkProtection } from "../sk-protect.js";
import { FragmentReassembler, type FragmentReceiveResult } from "../sk-reassembly.js";
import { parseIpAddress } from "./address.js";
import { admitIkeSaInit } from "./admission.js";
import { type ResolvedConfig, resolveConfig } from "./config.js";
import { type ChildSa, type IkeSaContext, newContext, notify } from "./context.js";
import type { IkeResponderGuard } from "./cookie.js";
import { ikeSuite } from "./proposals.js";
import type { ChildOutcome } from "./tasks/child-sa.js";
import { releaseAssignment } from "./tasks/config-payload.js";
import {
  acceptCreateChild,
  answerCreateChild,
  type CreateChildOutcome,
  type CreateChildRequest,
  type CreateChildSpec,
  compareNonces,
  createChildRequest,
  deleteChildRequest,
  lowestNonce,
  rekeySaNotify,
  requestedGroup,
} from "./tasks/create-child.js";
import { answerIkeAuth, IkeAuthInitiator } from "./tasks/ike-auth.js";
import { onRedundantSa, oursIsRedundant, redundantDeleteRequest } from "./tasks/ike-collision.js";
import { IkeSaInitInitiator } from "./tasks/ike-sa-init.js";
import { answerInformational, deleteIkeRequest } from "./tasks/informational.js";
import {
  acceptIkeRekey,
  answerIkeRekey,
  destroyNext,
  type IkeRekeyRequest,
  ikeRekeyRequest,
  isIkeRekey,
  type NextIkeSa,
} from "./tasks/rekey-ike.js";
import { trafficSelector } from "./traffic-selectors.js";
import type {
  Endpoint,
  IkeDownReason,
  IkeEvent,
  IkeOutput,
  IkeSaSnapshot,
  IkeSessionConfig,
  IkeSessionDeps,
  IkeSessionState,
  LocalEndpoint,
  OutboundDatagram,
  TrafficSelectorConfig,
} from "./types.js";

/**
 * Work on Child SAs that needs a request of ours: queued while another request is outstanding
 * (RFC 7296 §2.3, a window of one), then carried by the request while it waits for its answer.
 */
type ChildWork =
  | { readonly kind: "rekey-child"; readonly child: ChildSa }
  | { readonly kind: "delete-child"; readonly child: ChildSa };

/** Work that needs a request of ours. */
type Work =
  | ChildWork
  | { readonly kind: "create-child"; readonly spec: CreateChildSpec }
  | { readonly kind: "rekey-ike" }
  | { readonly kind: "liveness" };

/** A request of ours waiting for its response (RFC 7296 §2.1: one at a time). */
interface Pending {
  readonly messageId: number;
  readonly exchangeType: number;
  /** The request as sent: one datagram, or its fragments (RFC 7383 §2.6.1: all are resent). */
  readonly data: readonly Uint8Array[];
  retransmits: number;
  nextAt: number;
  /** The Child SA exchange this request is (absent: IKE_SA_INIT, IKE_AUTH or the IKE SA's Delete). */
  readonly task?:
    | { readonly kind: "creating"; readonly request: CreateChildRequest }
    | Extract<ChildWork, { kind: "delete-child" }>
    | { readonly kind: "rekeying-ike"; readonly request: IkeRekeyRequest }
    | { readonly kind: "delete-old-ike" }
    | { readonly kind: "liveness" };
}

/** Our last response, for a retransmitted request: one datagram or its fragments (RFC 7383 §2.6.1). */
interface Cached {
  readonly messageId: number;
  /** RFC 7296 §2.1: only the same request again (same Message ID and exchange) gets it. */
  readonly exchangeType: number;
  readonly data: readonly Uint8Array[];
}

/** Jitter taken off the soft lifetime: up to 10 % (strongSwan's `rekey_time` minus `rand_time`). */
const REKEY_JITTER = 0.1;
/** A failed rekey is tried again this much later (minus jitter), as strongSwan's retry interval. */
const RETRY_MS = 15_000;

/** The result of opening an encrypted message. */
type Opened =
  | { readonly kind: "ok"; readonly inner: readonly Payload[]; readonly errorReply: boolean }
  | { readonly kind: "drop" }
  | { readonly kind: "malformed"; readonly notifyType: number; readonly data: Uint8Array };

const ZERO_SPI = new Uint8Array(8);
/** UDP header octets (RFC 768). */
const UDP_HEADER_OCTETS = 8;
/** The non-ESP marker in front of IKE on the NAT-T port (RFC 3948 §2.2). */
const NON_ESP_MARKER_OCTETS = 4;

/** Exchanges the peer may start in each state (RFC 7296 §1.2: IKE_AUTH must come first). */
const REQUESTS_ALLOWED: Readonly<Record<IkeSessionState, readonly number[]>> = {
  "init-sent": [],
  "auth-sent": [],
  "init-done": [ExchangeType.IKE_AUTH],
  established: [ExchangeType.INFORMATIONAL, ExchangeType.CREATE_CHILD_SA],
  deleting: [ExchangeType.INFORMATIONAL],
  closed: [],
};

function downReason(notifyType: number): IkeDownReason {
  if (notifyType === NotifyType.AUTHENTICATION_FAILED) return "authentication-failed";
  if (notifyType === NotifyType.INVALID_SYNTAX) return "invalid-syntax";
  if (notifyType === NotifyType.NO_PROPOSAL_CHOSEN) return "no-proposal-chosen";
  return "negotiation-failed";
}

/** RFC 7296 §2.23 / RFC 3948 §2.2: IKE on the NAT-T ports carries the non-ESP marker. */
function usesNonEspMarker(config: ResolvedConfig, remote: Endpoint, localPort: number): boolean {
  return localPort === config.localNattPort || remote.port === config.remoteNattPort;
}

function outbound(
  config: ResolvedConfig,
  data: Uint8Array,
  remote: Endpoint,
  localPort: number,
): OutboundDatagram {
  const nonEspMarker = usesNonEspMarker(config, remote, localPort);
  return { data, remote: { address: remote.address, port: remote.port }, localPort, nonEspMarker };
}

/** IP header octets without options: 20 for IPv4 (IPv4-mapped IPv6 included), else IPv6's 40. */
function ipHeaderLength(address: string): number {
  try {
    return parseIpAddress(address).length === 4 ? 20 : 40;
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    // An address the transport wrote in another form: assume the larger header.
    return 40;
  }
}

/** The earlier of two times, either of which may be unset. */
function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined || a <= b ? a : b;
}

/** RFC 7296 §3.10.1: the peer's IKE_AUTH message says this is its only IKE SA with us. */
function hasInitialContact(inner: readonly Payload[]): boolean {
  return inner.some((p) => p.type === "N" && p.notifyType === NotifyType.INITIAL_CONTACT);
}

/** Why a fragment was not the last one of its message, for the log. */
function fragmentStatus(r: Exclude<FragmentReceiveResult, { status: "complete" }>): string {
  if (r.status === "incomplete") return `${r.received} of ${r.totalFragments} held`;
  return r.status === "duplicate" ? "duplicate" : `${r.status} (${r.reason})`;
}

/**
 * An IKE SA in the role of initiator or responder. Create one with {@link IkeSession.initiate}
 * or {@link IkeSession.respond}.
 * @public
 */
export class IkeSession {
  readonly #ctx: IkeSaContext;
  #state: IkeSessionState;
  #datagrams: OutboundDatagram[] = [];
  #events: IkeEvent[] = [];
  #nextRequestId = 0;
  #pending: Pending | undefined;
  /** The lowest message ID of the peer's requests not answered yet (RFC 7296 §2.3). */
  #expectedRequestId = 0;
  /** Our latest response. */
  #cached: Cached | undefined;
  /**
   * Responses to the peer's requests by message ID, for retransmitted requests: as many previous
   * ones as our window, and those answered out of order above `#expectedRequestId` (RFC 7296 §2.3).
   */
  readonly #answered = new Map<number, Cached>();
  /** Fragments of the peer's next request (RFC 7383 §2.6). */
  readonly #requestFragments = new FragmentReassembler();
  /** Fragments of the response to our outstanding request (RFC 7383 §2.6). */
  readonly #responseFragments = new FragmentReassembler();
  #init: IkeSaInitInitiator | undefined;
  #auth: IkeAuthInitiator | undefined;
  #halfOpenUntil: number | undefined;
  #releaseGuard: (() => void) | undefined;
  /** Work waiting for the request window. */
  #queue: Work[] = [];
  /** Seconds from establishment (or rekey) to the next IKE SA rekey; undefined: never. */
  #ikeRekeySeconds: number | undefined;
  #ikeRekeyAt: number | undefined;
  /** The IKE SA replacing this one, negotiated, moved to when the old one is deleted (RFC 7296 §2.18). */
  #next: NextIkeSa | undefined;
  /**
   * The replaced IKE SA, after we answered its Delete: kept to answer a retransmitted Delete from
   * the cache until the peer speaks on the new SA (RFC 7296 §2.1).
   */
  #retired:
    | {
        readonly spiI: Uint8Array;
        readonly spiR: Uint8Array;
        readonly role: "initiator" | "responder";
        readonly sk: SkProtection;
        readonly cached: Cached;
      }
    | undefined;
  /**
   * Simultaneous IKE SA rekey (RFC 7296 §2.8.2): the new IKE SA the peer's crossing rekey made,
   * held until our own rekey is answered and the nonces say which new SA survives.
   */
  #ikeCollision: NextIkeSa | undefined;
  /**
   * The redundant new IKE SA of a simultaneous rekey (§2.8.2) until it is deleted: by us (`delete`
   * is our request on it, retransmitted like any other) or by the peer (we answer its Delete).
   */
  #redundantIke:
    | {
        readonly sa: NextIkeSa;
        readonly delete: { readonly data: Uint8Array; retransmits: number; nextAt: number } | undefined;
      }
    | undefined;
  /** When each Child SA is due for rekeying (its soft lifetime minus jitter). */
  #rekeyAt = new Map<ChildSa, number>();
  /** Child SAs replaced by a rekey, waiting for their Delete (RFC 7296 §2.8). */
  #replaced = new Set<ChildSa>();
  /** Surplus new Child SAs of simultaneous rekeys, waiting for their Delete (RFC 7296 §2.8.1). */
  #surplus = new Set<ChildSa>();
  /**
   * Child SAs we are rekeying that the peer rekeyed too: the SA its exchange made and that
   * exchange's nonces, to settle which survives when our answer arrives (RFC 7296 §2.8.1).
   */
  #collisions = new Map<ChildSa, { readonly child: ChildSa; readonly nonces: readonly Uint8Array[] }>();
  /** When the peer last proved to be alive: an authenticated IKE message, or ESP it reported. */
  #lastHeard = 0;

  private constructor(ctx: IkeSaContext, state: IkeSessionState) {
    this.#ctx = ctx;
    this.#state = state;
    this.#lastHeard = ctx.createdAt;
  }

  /**
   * Starts an IKE SA as initiator: the output carries the IKE_SA_INIT request (RFC 7296 §1.2).
   * @throws `RangeError` / `TypeError` for an unusable configuration (no `remote`, unknown or
   *   legacy algorithm, bad selector); `CryptoError` when the backend lacks the first KE group.
   */
  static initiate(
    config: IkeSessionConfig,
    deps: IkeSessionDeps,
    now: number,
  ): { readonly session: IkeSession; readonly output: IkeOutput } {
    const resolved = resolveConfig(config);
    if (config.remote === undefined) throw new RangeError("an initiator needs config.remote");
    const ctx = newContext("initiator", resolved, deps, config.remote, resolved.localPort, now);
    const session = new IkeSession(ctx, "init-sent");
    session.#ikeRekeySeconds = config.ikeRekeySeconds;
    session.#init = new IkeSaInitInitiator(ctx);
    session.#sendRequest(ExchangeType.IKE_SA_INIT, session.#init.build(), now);
    ctx.log.info(`initiating IKE SA ${toHex(ctx.spiI)} to ${config.remote.address}:${config.remote.port}`);
    return { session, output: session.#output() };
  }

  /**
   * Handles a datagram that opens a new IKE SA (an IKE_SA_INIT request with a zero responder
   * SPI). The request is checked first and no state is created unless it is acceptable
   * (RFC 7296 §2.21, §2.6): a malformed request gets INVALID_SYNTAX (or the notify its error
   * maps to), an unacceptable one NO_PROPOSAL_CHOSEN or INVALID_KE_PAYLOAD, and under load a
   * request without a valid cookie gets N(COOKIE) — all without a session. Anything that is not
   * such a request is dropped.
   *
   * Dispatch first by SPIs: a retransmitted IKE_SA_INIT for an existing session (same SPIi and
   * peer) goes to that session's `receive`, which answers from its cache.
   *
   * @param guard - shared cookie and half-open state of this endpoint (optional).
   * @throws as {@link IkeSession.initiate} for an unusable configuration only.
   */
  static respond(
    datagram: Uint8Array,
    from: Endpoint,
    to: LocalEndpoint,
    config: IkeSessionConfig,
    deps: IkeSessionDeps,
    now: number,
    guard?: IkeResponderGuard,
  ): { readonly session: IkeSession | undefined; readonly output: IkeOutput } {
    const resolved = resolveConfig(config);
    const answer = admitIkeSaInit(datagram, from, to, resolved, deps, now, guard);
    if (answer.kind !== "accept") {
      const datagrams = answer.kind === "reply" ? [outbound(resolved, answer.response, from, to.port)] : [];
      return { session: undefined, output: { datagrams, events: [], nextTick: undefined } };
    }
    const session = new IkeSession(answer.ctx, "init-done");
    session.#ikeRekeySeconds = config.ikeRekeySeconds;
    session.#expectedRequestId = 1;
    session.#cached = { messageId: 0, exchangeType: ExchangeType.IKE_SA_INIT, data: [answer.response] };
    session.#answered.set(0, session.#cached);
    session.#releaseGuard = guard?.open();
    session.#halfOpenUntil = now + resolved.halfOpenTimeoutMs;
    session.#emit(answer.response, from, to.port);
    answer.ctx.log.info(`IKE SA ${toHex(answer.ctx.spiI)}_${toHex(answer.ctx.spiR)}: IKE_SA_INIT answered`);
    return { session, output: session.#output() };
  }

  /** The current state. */
  get state(): IkeSessionState {
    return this.#state;
  }

  /** Our role in this IKE SA. */
  get role(): "initiator" | "responder" {
    return this.#ctx.role;
  }

  /** SPIi (a copy). */
  get spiI(): Uint8Array {
    return this.#ctx.spiI.slice();
  }

  /** SPIr (a copy; zeros until IKE_SA_INIT completed). */
  get spiR(): Uint8Array {
    return this.#ctx.spiR.slice();
  }

  /**
   * Every (SPIi, SPIr) pair this session takes datagrams for (copies), with `local`, the one of
   * the two that we chose (SPIi where we initiated that IKE SA, else SPIr): the IKE SA's, and
   * during a rekey of the IKE SA also the new one's (negotiated, not yet moved to) or the old
   * one's (deleted, still answering a retransmitted Delete). An endpoint dispatches on all of them.
   */
  spis(): { readonly spiI: Uint8Array; readonly spiR: Uint8Array; readonly local: Uint8Array }[] {
    const pairs = [this.#ctx, this.#next, this.#retired, this.#ikeCollision, this.#redundantIke?.sa].filter(
      (p) => p !== undefined,
    );
    return pairs.map((p) => ({
      spiI: p.spiI.slice(),
      spiR: p.spiR.slice(),
      local: (p.role === "initiator" ? p.spiI : p.spiR).slice(),
    }));
  }

  /** A monitoring view. */
  snapshot(): IkeSaSnapshot {
    const ctx = this.#ctx;
    const ike = ctx.ike;
    return {
      role: ctx.role,
      state: this.#state,
      spiI: toHex(ctx.spiI),
      spiR: toHex(ctx.spiR),
      remote: { ...ctx.remote },
      localId: ctx.config.localId,
      remoteId: ctx.peerId,
      algorithms:
        ike === undefined
          ? undefined
          : {
              encryption: ike.encryption.name,
              keyBits: ike.keyBits,
              integrity: ike.integrity?.name,
              prf: ike.prf.name,
              keGroup: ike.ke.name,
            },
      natTraversal: ctx.natT,
      createdAt: ctx.createdAt,
      childSas: ctx.children.length,
      virtualIps: ctx.assigned?.virtualIps ?? [],
      dns: ctx.assigned?.dns ?? [],
    };
  }

  /**
   * The IKE SA's suite and secrets, for key export (Wireshark's `ikev2_decryption_table`, interop
   * comparisons with a peer's log). The session still owns and zeroizes them; `undefined` before
   * IKE_SA_INIT completed and after teardown.
   */
  ikeKeys(): { readonly suite: IkeSuite; readonly keys: IkeSaKeys } | undefined {
    const { ike, keys } = this.#ctx;
    if (ike === undefined || keys === undefined || this.#state === "closed") return undefined;
    return { suite: ikeSuite(ike, this.#ctx.config.allowLegacy), keys };
  }

  /**
   * Handles a datagram for this IKE SA (the non-ESP marker already removed by the transport).
   * @param from - where it came from (the peer, possibly NAT-mapped).
   * @param to - the local port (and address, if known) it arrived on.
   */
  receive(datagram: Uint8Array, from: Endpoint, to: LocalEndpoint, now: number): IkeOutput {
    if (this.#state === "closed") return this.#output();
    const ctx = this.#ctx;
    let message: IkeMessage;
    try {
      message = decodeMessage(datagram);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      // RFC 7296 §2.21: nothing authenticates a message that does not decode; drop it.
      ctx.log.debug(`dropping undecodable datagram from ${from.address}: ${e.message}`);
      return this.#output();
    }
    const h = message.header;
    if (this.#onNewIkeSa(message, datagram, from, to, now)) return this.#output();
    const retired = this.#retired;
    if (
      retired !== undefined &&
      !h.response &&
      equalConstantTime(h.spiI, retired.spiI) &&
      equalConstantTime(h.spiR, retired.spiR)
    ) {
      // RFC 7296 §2.1: the Delete of the replaced IKE SA, retransmitted: the same answer.
      if (
        h.messageId === retired.cached.messageId &&
        h.exchangeType === retired.cached.exchangeType &&
        this.#retransmitted(retired.sk, message, datagram)
      ) {
        this.#emitAll(retired.cached.data, from, to.port);
      }
      return this.#output();
    }
    // RFC 7296 §3.1: the I flag is set by the original initiator only.
    if (!equalConstantTime(h.spiI, ctx.spiI) || h.initiator !== (ctx.role === "responder")) {
      ctx.log.debug(`dropping ${exchangeName(h.exchangeType)}: SPI or I flag mismatch`);
      return this.#output();
    }
    if (h.response) this.#receiveResponse(message, datagram, from, to, now);
    else this.#receiveRequest(message, datagram, from, to, now);
    this.#startNext(now);
    return this.#output();
  }

  /** Retransmits (RFC 7296 §2.1) and expires what is due at `now`. */
  tick(now: number): IkeOutput {
    const pending = this.#pending;
    if (pending !== undefined && now >= pending.nextAt) {
      const c = this.#ctx.config;
      if (pending.retransmits >= c.retransmitTries) {
        this.#ctx.log.warn(`${exchangeName(pending.exchangeType)}: no response, giving up`);
        // RFC 7296 §2.4: no answer to any request means the peer is gone.
        const dead = this.#state === "established" ? "dead-peer" : "timeout";
        this.#teardown(this.#state === "deleting" ? "closed" : dead);
      } else {
        pending.retransmits++;
        pending.nextAt = now + c.retransmitTimeoutMs * c.retransmitFactor ** pending.retransmits;
        this.#ctx.log.debug(`retransmitting ${exchangeName(pending.exchangeType)} #${pending.retransmits}`);
        this.#emitAll(pending.data);
      }
    }
    this.#retransmitRedundantDelete(now);
    if (this.#halfOpenUntil !== undefined && now >= this.#halfOpenUntil && this.#state === "init-done") {
      this.#ctx.log.warn("no IKE_AUTH request in time");
      this.#teardown("half-open-timeout");
    }
    if (this.#ikeRekeyAt !== undefined && now >= this.#ikeRekeyAt) {
      this.#ikeRekeyAt = undefined;
      this.#queue.push({ kind: "rekey-ike" });
    }
    for (const [child, at] of this.#rekeyAt) {
      if (now < at) continue;
      this.#rekeyAt.delete(child);
      this.#queue.push({ kind: "rekey-child", child });
    }
    const liveness = this.#livenessAt();
    if (liveness !== undefined && now >= liveness && this.#queue.length === 0) {
      this.#queue.push({ kind: "liveness" });
    }
    this.#startNext(now);
    return this.#output();
  }

  /**
   * Tells the session that authenticated traffic from the peer arrived outside IKE — an ESP
   * packet of one of its Child SAs that verified — so no liveness check is needed yet
   * (RFC 7296 §2.4: "If there has only been outgoing traffic on all of the SAs associated with an
   * IKE SA, it is essential to confirm liveness of the other endpoint").
   */
  peerAlive(now: number): void {
    if (now > this.#lastHeard) this.#lastHeard = now;
  }

  /** When a liveness check is due (RFC 7296 §2.4): idle established SA with DPD configured. */
  #livenessAt(): number | undefined {
    const dpd = this.#ctx.config.dpdMs;
    if (dpd === undefined || this.#state !== "established" || this.#pending !== undefined) return undefined;
    return this.#lastHeard + dpd;
  }

  /**
   * Rekeys the IKE SA now (RFC 7296 §1.3.2, §2.18): a CREATE_CHILD_SA request goes out when no
   * other request is outstanding; when answered, the old IKE SA is deleted, and once that is
   * answered the session moves in place to the new SPIs and keys, with its Child SAs, message IDs
   * from 0, and `ike-sa-rekeyed`. Ignored (logged) unless established and not already rekeying.
   */
  rekeyIke(now: number): IkeOutput {
    const task = this.#pending?.task;
    const rekeying =
      this.#next !== undefined ||
      task?.kind === "rekeying-ike" ||
      this.#queue.some((w) => w.kind === "rekey-ike");
    if (this.#state !== "established" || rekeying) {
      this.#ctx.log.warn("rekeyIke: not established, or already rekeying");
      return this.#output();
    }
    this.#ikeRekeyAt = undefined;
    this.#queue.push({ kind: "rekey-ike" });
    this.#startNext(now);
    return this.#output();
  }

  /**
   * Creates another Child SA with CREATE_CHILD_SA (RFC 7296 §1.3.1) for the given selectors (ours
   * and the peer's), with the configured ESP proposals (their KE groups give PFS) and mode: the
   * request goes out when no other is outstanding; `child-sa-up` when the peer agrees (it may
   * narrow the selectors, §2.9). Ignored (logged) unless the IKE SA is established.
   * @throws `TypeError` / `RangeError` for a selector that does not parse (nothing is sent).
   */
  createChild(
    tsLocal: readonly TrafficSelectorConfig[],
    tsRemote: readonly TrafficSelectorConfig[],
    now: number,
  ): IkeOutput {
    const localTs = tsLocal.map(trafficSelector);
    const remoteTs = tsRemote.map(trafficSelector);
    if (localTs.length === 0 || remoteTs.length === 0) throw new RangeError("traffic selectors are needed");
    if (this.#state !== "established") {
      this.#ctx.log.warn("createChild: the IKE SA is not established");
      return this.#output();
    }
    this.#queue.push({ kind: "create-child", spec: { localTs, remoteTs, mode: this.#ctx.config.mode } });
    this.#startNext(now);
    return this.#output();
  }

  /**
   * Rekeys the Child SA with inbound SPI `inboundSpi` now (RFC 7296 §1.3.3, §2.8), instead of at
   * its soft lifetime: a CREATE_CHILD_SA request goes out when no other request is outstanding.
   * When it is answered, the output has `child-sa-rekeyed`, and the old Child SA is deleted
   * (`child-sa-down` with reason `"rekeyed"` once the peer confirmed). Ignored (logged) unless the
   * IKE SA is established and the Child SA exists and is not already being rekeyed or deleted.
   */
  rekeyChild(inboundSpi: number, now: number): IkeOutput {
    const child = this.#ctx.children.find((c) => c.inboundSpi === inboundSpi);
    if (this.#state !== "established" || child === undefined || this.#busy(child)) {
      this.#ctx.log.warn(`rekeyChild(${inboundSpi.toString(16)}): no such Child SA to rekey`);
      return this.#output();
    }
    this.#rekeyAt.delete(child);
    this.#queue.push({ kind: "rekey-child", child });
    this.#startNext(now);
    return this.#output();
  }

  /**
   * Ends the IKE SA at once without telling the peer: its Child SAs go down and the keys are
   * zeroized. For an SA the peer no longer has (it sent INITIAL_CONTACT on a new one, RFC 7296
   * §2.4), where a Delete would only be retransmitted in vain.
   */
  abandon(reason: IkeDownReason): IkeOutput {
    this.#teardown(reason);
    return this.#output();
  }

  /**
   * Deletes the IKE SA: an established SA sends `INFORMATIONAL {D(IKE)}` and ends when answered
   * (or when retransmission gives up); any other state ends at once (RFC 7296 §1.4.1).
   */
  close(now: number): IkeOutput {
    if (this.#state === "established") {
      this.#state = "deleting";
      // The IKE SA's Delete supersedes Child SA work (its answer, if any, is dropped).
      const task = this.#pending?.task;
      if (task?.kind === "creating" || task?.kind === "rekeying-ike") task.request.ke?.destroy();
      this.#queue = [];
      this.#sendRequest(ExchangeType.INFORMATIONAL, deleteIkeRequest(), now);
    } else if (this.#state !== "deleting" && this.#state !== "closed") {
      this.#teardown("closed");
    }
    return this.#output();
  }

  #output(): IkeOutput {
    const out: IkeOutput = { datagrams: this.#datagrams, events: this.#events, nextTick: this.#nextTick() };
    this.#datagrams = [];
    this.#events = [];
    return out;
  }

  #nextTick(): number | undefined {
    if (this.#state === "closed") return undefined;
    let next = earliest(this.#pending?.nextAt, this.#redundantIke?.delete?.nextAt);
    if (this.#state === "init-done") next = earliest(next, this.#halfOpenUntil);
    if (this.#state === "established") {
      for (const at of this.#rekeyAt.values()) next = earliest(next, at);
      next = earliest(next, this.#ikeRekeyAt);
    }
    return earliest(next, this.#livenessAt());
  }

  #emit(data: Uint8Array, remote: Endpoint = this.#ctx.remote, localPort = this.#ctx.localPort): void {
    this.#datagrams.push(outbound(this.#ctx.config, data, remote, localPort));
  }

  /** Emits a message's datagrams: one, or all its fragments (RFC 7383 §2.6.1). */
  #emitAll(
    data: readonly Uint8Array[],
    remote: Endpoint = this.#ctx.remote,
    localPort = this.#ctx.localPort,
  ): void {
    for (const d of data) this.#emit(d, remote, localPort);
  }

  /**
   * Whether a request that repeats the one answered last proves to be the peer's, to be answered
   * from the cache (RFC 7296 §2.1). RFC 7383 §2.6.1: of a fragmented request only fragment 1
   * triggers the retransmission of the response; the other fragments are ignored.
   */
  #retransmitted(sk: SkProtection | undefined, message: IkeMessage, raw: Uint8Array): boolean {
    const last = message.payloads[message.payloads.length - 1];
    if (last?.type === "SKF" && (!this.#ctx.fragmentation || last.fragmentNumber !== 1)) return false;
    return sk?.unprotect(raw, message).ok === true;
  }

  #header(exchangeType: number, response: boolean, messageId: number): IkeHeader {
    const ctx = this.#ctx;
    return {
      spiI: ctx.spiI,
      spiR: ctx.spiR,
      minorVersion: 0,
      exchangeType,
      initiator: ctx.role === "initiator",
      response,
      higherVersion: false,
      messageId,
    };
  }

  /**
   * The datagrams of a message to `remote`: IKE_SA_INIT in the clear, anything else under SK —
   * or, when fragmentation was negotiated and the message would not fit, as SKF fragments.
   */
  #encode(
    exchangeType: number,
    response: boolean,
    messageId: number,
    payloads: readonly Payload[],
    remote: Endpoint,
    localPort: number,
  ): Uint8Array[] {
    const header = this.#header(exchangeType, response, messageId);
    if (exchangeType === ExchangeType.IKE_SA_INIT) return [encodeMessage({ header, payloads })];
    const sk = this.#ctx.sk!;
    const inner = encodeInnerPayloads(payloads);
    const limits = this.#fragmentLimits(remote, localPort);
    if (limits !== undefined) {
      // RFC 7383 §2.5: only messages with an Encrypted payload are fragmented, and only when the
      // whole message (IP, UDP, marker, IKE header, SK with IV, padded content and ICV) would
      // exceed the datagram size (§2.5.1).
      const padded = Math.ceil((inner.bytes.length + 1) / sk.alignment) * sk.alignment;
      const whole =
        limits.ipHeaderLength +
        UDP_HEADER_OCTETS +
        (limits.nonEspMarker ? NON_ESP_MARKER_OCTETS : 0) +
        HEADER_LENGTH +
        GENERIC_HEADER_LENGTH +
        sk.ivLength +
        padded +
        sk.icvLength;
      if (whole > limits.maxDatagramSize) return sk.protectFragments(header, inner, limits);
    }
    return [sk.protect(header, inner)];
  }

  /** What bounds each datagram to `remote` (RFC 7383 §2.5.1); undefined: not negotiated (§2.3). */
  #fragmentLimits(remote: Endpoint, localPort: number): FragmentLimits | undefined {
    const { config, fragmentation } = this.#ctx;
    if (config.fragmentation === undefined || !fragmentation) return undefined;
    return {
      maxDatagramSize: config.fragmentation.maxDatagram,
      ipHeaderLength: ipHeaderLength(remote.address),
      nonEspMarker: usesNonEspMarker(config, remote, localPort),
    };
  }

  #sendRequest(
    exchangeType: number,
    payloads: readonly Payload[],
    now: number,
    task?: Pending["task"],
  ): void {
    const messageId = this.#nextRequestId++;
    const ctx = this.#ctx;
    const data = this.#encode(exchangeType, false, messageId, payloads, ctx.remote, ctx.localPort);
    // RFC 7296 §2.15: AUTH signs the IKE_SA_INIT request exactly as sent.
    if (exchangeType === ExchangeType.IKE_SA_INIT) ctx.initRequest = data[0];
    // RFC 7383 §2.6: fragments of an earlier response are of no use any more.
    this.#responseFragments.reset();
    this.#pending = {
      messageId,
      exchangeType,
      data,
      retransmits: 0,
      nextAt: now + this.#ctx.config.retransmitTimeoutMs,
      ...(task === undefined ? {} : { task }),
    };
    ctx.log.debug(
      `sending ${exchangeName(exchangeType)} request #${messageId}` +
        (data.length > 1 ? ` in ${data.length} fragments` : ""),
    );
    this.#emitAll(data);
  }

  #sendResponse(
    exchangeType: number,
    messageId: number,
    payloads: readonly Payload[],
    from: Endpoint,
    to: LocalEndpoint,
  ): void {
    const data = this.#encode(exchangeType, true, messageId, payloads, from, to.port);
    this.#cached = { messageId, exchangeType, data };
    // RFC 7296 §2.3: the window moves past every request answered; keep `window` old responses.
    const window = this.#window();
    this.#answered.set(messageId, this.#cached);
    while (this.#answered.has(this.#expectedRequestId)) this.#expectedRequestId++;
    for (const id of this.#answered.keys()) {
      if (id < this.#expectedRequestId - window) this.#answered.delete(id);
    }
    this.#emitAll(data, from, to.port);
  }

  /**
   * Verifies, decrypts, decodes and rule-checks an SK message (RFC 7296 §3.14, §2.21.2), or
   * collects an SKF fragment in `fragments` and does so for the whole message once its last
   * fragment arrived (RFC 7383 §2.6); until then the fragment is a `drop`.
   */
  #open(message: IkeMessage, raw: Uint8Array, fragments: FragmentReassembler): Opened {
    const ctx = this.#ctx;
    const h = message.header;
    const sk = ctx.sk;
    if (sk === undefined) return { kind: "drop" };
    const last = message.payloads[message.payloads.length - 1];
    let plaintext: Uint8Array;
    let firstPayload: number;
    let outer: readonly Payload[] = message.payloads;
    if (last?.type === "SKF") {
      // RFC 7383 §2.3, §2.5: fragments only once both ends announced support.
      if (!ctx.fragmentation) {
        ctx.log.debug(`dropping ${exchangeName(h.exchangeType)}: SKF fragment, fragmentation not negotiated`);
        return { kind: "drop" };
      }
      // RFC 7383 §2.6: the numbers are checked, duplicates discarded and each fragment's ICV
      // verified before it is stored; a larger Total Fragments starts the reassembly over; the
      // count and the octets held are bounded (§5).
      const r = fragments.receive(sk, raw, message);
      if (r.status !== "complete") {
        ctx.log.debug(
          `${exchangeName(h.exchangeType)} fragment ${last.fragmentNumber}/${last.totalFragments}: ${fragmentStatus(r)}`,
        );
        return { kind: "drop" };
      }
      plaintext = r.bytes;
      firstPayload = r.firstPayload;
      // The reassembled message: fragment 1's unprotected payloads, then the encrypted content.
      outer = [...r.unprotected, last];
    } else {
      const opened = sk.unprotect(raw, message);
      if (!opened.ok) {
        ctx.log.debug(`dropping ${exchangeName(h.exchangeType)}: ${opened.reason}`);
        return { kind: "drop" };
      }
      plaintext = opened.plaintext;
      firstPayload = opened.firstPayload;
    }
    let inner: Payload[];
    try {
      inner = decodeInnerPayloads(plaintext, firstPayload);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      ctx.log.warn(`${exchangeName(h.exchangeType)}: ${e.message}`);
      const n = errorNotify(e);
      return { kind: "malformed", notifyType: n.notifyType, data: n.data };
    }
    const rules = checkRules({ payloads: outer }, h.exchangeType, h.response, inner);
    if (!rules.ok) {
      ctx.log.warn(`${exchangeName(h.exchangeType)}: ${describeViolation(rules.violation)}`);
      return { kind: "malformed", notifyType: NotifyType.INVALID_SYNTAX, data: new Uint8Array(0) };
    }
    return { kind: "ok", inner, errorReply: rules.errorReply };
  }

  /**
   * RFC 7296 §2.23: authenticated messages tell where the peer (and our NAT mapping) is now;
   * §2.4: and that it is alive.
   */
  #peerSeen(from: Endpoint, to: LocalEndpoint, now: number): void {
    // RFC 7296 §2.4: an authenticated message proves the peer alive.
    if (now > this.#lastHeard) this.#lastHeard = now;
    // The peer speaks on the current IKE SA: it has the answer to the old one's Delete.
    this.#retired?.sk.destroy();
    this.#retired = undefined;
    this.#ctx.remote = { address: from.address, port: from.port };
    this.#ctx.localPort = to.port;
  }

  #reportErrors(exchangeType: number, inner: readonly Payload[]): void {
    for (const p of inner) {
      if (p.type === "N" && isErrorNotify(p.notifyType)) {
        this.#ctx.log.warn(`${exchangeName(exchangeType)}: peer sent ${notifyName(p.notifyType)}`);
        this.#events.push({
          type: "error",
          exchange: exchangeName(exchangeType),
          notifyType: p.notifyType,
          notifyName: notifyName(p.notifyType),
        });
      }
    }
  }

  #receiveRequest(
    message: IkeMessage,
    raw: Uint8Array,
    from: Endpoint,
    to: LocalEndpoint,
    now: number,
  ): void {
    const ctx = this.#ctx;
    const h = message.header;
    if (h.exchangeType === ExchangeType.IKE_SA_INIT) {
      // RFC 7296 §2.1: a retransmitted IKE_SA_INIT (SPIr still zero) gets the same response.
      const known = equalConstantTime(h.spiR, ZERO_SPI) || equalConstantTime(h.spiR, ctx.spiR);
      if (ctx.role === "responder" && h.messageId === 0 && known && this.#cached?.messageId === 0) {
        this.#emitAll(this.#cached.data, from, to.port);
      }
      return;
    }
    if (!equalConstantTime(h.spiR, ctx.spiR)) return;
    const cached = this.#answered.get(h.messageId);
    if (cached !== undefined) {
      // RFC 7296 §2.1: answer a retransmitted request from the cache, without processing it again,
      // once it proves to be the peer's (the same exchange, and authentic).
      if (h.exchangeType === cached.exchangeType && this.#retransmitted(ctx.sk, message, raw)) {
        this.#emitAll(cached.data, from, to.port);
      }
      return;
    }
    // RFC 7296 §2.3: requests within the window are processed, in the order they arrive.
    if (h.messageId < this.#expectedRequestId || h.messageId >= this.#expectedRequestId + this.#window()) {
      ctx.log.debug(`dropping ${exchangeName(h.exchangeType)} request #${h.messageId}: out of window`);
      return;
    }
    if (!REQUESTS_ALLOWED[this.#state].includes(h.exchangeType)) {
      ctx.log.warn(`dropping ${exchangeName(h.exchangeType)} request in state ${this.#state}`);
      return;
    }
    const opened = this.#open(message, raw, this.#requestFragments);
    if (opened.kind === "drop") return;
    this.#peerSeen(from, to, now);
    if (opened.kind === "malformed") {
      // RFC 7296 §2.21.2, §2.21.3: answer with the error; INVALID_SYNTAX (and any error during
      // IKE_AUTH) ends the IKE SA without a Delete.
      this.#sendResponse(h.exchangeType, h.messageId, [notify(opened.notifyType, opened.data)], from, to);
      if (this.#state === "init-done" || opened.notifyType === NotifyType.INVALID_SYNTAX) {
        this.#teardown(downReason(opened.notifyType));
      }
      return;
    }
    switch (h.exchangeType) {
      case ExchangeType.IKE_AUTH:
        this.#answerAuth(h.messageId, opened.inner, from, to, now);
        return;
      case ExchangeType.INFORMATIONAL:
        this.#answerInformational(h.messageId, opened.inner, from, to, now);
        return;
      default:
        this.#answerCreateChild(h.messageId, opened.inner, from, to, now);
    }
  }

  #answerCreateChild(
    messageId: number,
    inner: readonly Payload[],
    from: Endpoint,
    to: LocalEndpoint,
    now: number,
  ): void {
    const reply = (payloads: readonly Payload[]) =>
      this.#sendResponse(ExchangeType.CREATE_CHILD_SA, messageId, payloads, from, to);
    const task = this.#pending?.task;
    const rekeyingIke =
      this.#next !== undefined || task?.kind === "rekeying-ike" || task?.kind === "delete-old-ike";
    if (isIkeRekey(inner)) {
      // RFC 7296 §2.8.2: a rekey crossing our own (still unanswered) IKE SA rekey is answered as
      // usual; the nonces settle which new SA survives once our answer arrives.
      const crossing =
        task?.kind === "rekeying-ike" && this.#next === undefined && this.#ikeCollision === undefined;
      // RFC 7296 §2.25.1: a rekey of the IKE SA while we create, rekey or close a Child SA gets
      // TEMPORARY_FAILURE; §2.8.2: so does one for an IKE SA we already rekeyed and are closing.
      if (!crossing && (task !== undefined || rekeyingIke)) {
        reply([notify(NotifyType.TEMPORARY_FAILURE)]);
        return;
      }
      const answer = answerIkeRekey(this.#ctx, inner);
      reply(answer.payloads);
      if (answer.outcome.kind !== "rekeyed") return;
      if (crossing) {
        this.#ctx.log.info("simultaneous IKE SA rekey: answered the peer's, waiting for ours");
        this.#ikeCollision = answer.outcome.next;
        return;
      }
      this.#next = answer.outcome.next;
      this.#ikeRekeyAt = undefined;
      this.#ctx.log.info("IKE SA rekey answered; waiting for the Delete of the old IKE SA");
      return;
    }
    const rekey = rekeySaNotify(inner);
    // RFC 7296 §2.25.2: "If a peer receives a request to create or rekey a Child SA when it is
    // currently rekeying the IKE SA, it SHOULD reply with TEMPORARY_FAILURE."
    if (rekeyingIke) {
      reply([notify(NotifyType.TEMPORARY_FAILURE)]);
      return;
    }
    const answer = answerCreateChild(this.#ctx, inner, rekey, (c) => this.#closing(c));
    reply(answer.payloads);
    const outcome = answer.outcome;
    if (outcome.kind !== "created") return;
    if (outcome.old === undefined) {
      this.#childUp(outcome.child, now);
      return;
    }
    this.#rekeyed(outcome.old, outcome.child, now);
    // RFC 7296 §2.25.1: a rekey of a Child SA we are rekeying too is answered as usual; which of
    // the two new SAs survives is settled by the nonces when our own answer arrives (§2.8.1):
    //
    //   A                                   B
    //   req1 N(REKEY_SA,a1) SA(a2) Ni1 -->
    //                                  <--  req2 N(REKEY_SA,b1) SA(b2) Ni2
    //   (rekeying a1 too: note it)          (rekeying b1 too: note it)
    //   resp2 SA(a3) Nr1               -->
    //                                  <--  resp1 SA(b3) Nr2
    //   lowest of Ni1 Nr2 Ni2 Nr1 in exchange 2 (say): B deletes its new SA b2/a3 as
    //   redundant, A deletes the old a1/b1:
    //   D(a1)                          -->
    //                                  <--  D(b2)
    if (task?.kind === "creating" && task.request.spec.old === outcome.old) {
      this.#ctx.log.info(`simultaneous rekey of Child SA ${outcome.old.inboundSpi.toString(16)}`);
      this.#collisions.set(outcome.old, { child: outcome.child, nonces: outcome.nonces });
    }
  }

  /** A Child SA on its way out: being deleted by us, or already replaced by a rekey. */
  #closing(child: ChildSa): boolean {
    const deleting = (w: Pending["task"] | Work) => w?.kind === "delete-child" && w.child === child;
    return this.#replaced.has(child) || deleting(this.#pending?.task) || this.#queue.some(deleting);
  }

  /** A Child SA with a rekey or delete of ours outstanding or queued, or already replaced. */
  #busy(child: ChildSa): boolean {
    const task = this.#pending?.task;
    const mine =
      (task?.kind === "creating" && task.request.spec.old === child) ||
      (task?.kind === "delete-child" && task.child === child);
    return mine || this.#replaced.has(child) || this.#queue.some((w) => "child" in w && w.child === child);
  }

  /** Starts the next queued Child SA request when the window is free (RFC 7296 §2.3). */
  #startNext(now: number): void {
    // While the IKE SA is being replaced, its exchanges wait for the new one (RFC 7296 §2.25.2).
    while (this.#pending === undefined && this.#state === "established" && this.#next === undefined) {
      const work = this.#queue.shift();
      if (work === undefined) return;
      if (work.kind === "rekey-ike") {
        this.#startIkeRekey(now);
        continue;
      }
      if (work.kind === "create-child") {
        this.#startCreate(work.spec, now);
        continue;
      }
      if (work.kind === "liveness") {
        // RFC 7296 §1.4: an INFORMATIONAL request with no payloads checks that the peer is alive.
        this.#ctx.log.debug("no traffic from the peer: liveness check");
        this.#sendRequest(ExchangeType.INFORMATIONAL, [], now, { kind: "liveness" });
        continue;
      }
      // The Child SA may have gone (deleted by the peer) while the work waited.
      if (!this.#ctx.children.includes(work.child)) continue;
      if (work.kind === "delete-child") {
        this.#sendRequest(ExchangeType.INFORMATIONAL, deleteChildRequest(work.child), now, {
          kind: "delete-child",
          child: work.child,
        });
      } else {
        const { info } = work.child;
        const spec = { old: work.child, localTs: info.localTs, remoteTs: info.remoteTs, mode: info.mode };
        this.#startCreate(spec, now);
      }
    }
  }

  #startIkeRekey(now: number, group?: number): void {
    const ctx = this.#ctx;
    let request: IkeRekeyRequest;
    try {
      request = ikeRekeyRequest(ctx, group);
    } catch (e) {
      if (!(e instanceof CryptoError)) throw e;
      ctx.log.warn(`cannot rekey the IKE SA: ${e.message}`);
      return;
    }
    ctx.log.info(`rekeying IKE SA ${toHex(ctx.spiI)}_${toHex(ctx.spiR)}`);
    this.#sendRequest(ExchangeType.CREATE_CHILD_SA, request.payloads, now, { kind: "rekeying-ike", request });
  }

  /** The IKE SA rekey initiator's answer arrived (RFC 7296 §1.3.2). */
  #ikeRekeyAnswered(request: IkeRekeyRequest, inner: readonly Payload[], now: number): void {
    const ctx = this.#ctx;
    this.#reportErrors(ExchangeType.CREATE_CHILD_SA, inner);
    const outcome = acceptIkeRekey(ctx, inner, request);
    request.ke.destroy();
    const theirs = this.#ikeCollision;
    this.#ikeCollision = undefined;
    if (outcome.kind === "rekeyed" && theirs !== undefined && oursIsRedundant(outcome.next, theirs)) {
      // RFC 7296 §2.8.2: "The new IKE SA containing the lowest nonce SHOULD be deleted by the node
      // that created it": ours. The peer's survives, and the peer, which made it, deletes the old.
      ctx.log.info("simultaneous IKE SA rekey: ours holds the lowest nonce; deleting it, keeping the peer's");
      this.#next = theirs;
      this.#deleteRedundant(outcome.next, now);
      return;
    }
    if (outcome.kind === "rekeyed") {
      if (theirs !== undefined) {
        // RFC 7296 §2.8.2: the peer's new SA holds the lowest nonce; the peer deletes it.
        ctx.log.info("simultaneous IKE SA rekey: the peer's holds the lowest nonce; keeping ours");
        this.#redundantIke = { sa: theirs, delete: undefined };
      }
      // RFC 7296 §2.18: the initiator of the rekey deletes the old IKE SA; we move to the new one
      // when the Delete is answered.
      this.#next = outcome.next;
      this.#sendRequest(ExchangeType.INFORMATIONAL, deleteIkeRequest(), now, { kind: "delete-old-ike" });
      return;
    }
    if (theirs !== undefined) {
      // Ours was refused but the peer's went through: the peer deletes the old SA, we move then.
      this.#next = theirs;
      return;
    }
    const n = inner.find((p) => p.type === "N" && p.notifyType === NotifyType.INVALID_KE_PAYLOAD);
    const group = n?.type === "N" && n.data.length === 2 ? (n.data[0]! << 8) | n.data[1]! : undefined;
    if (
      group !== undefined &&
      group !== request.ke.group &&
      ctx.config.ikeProposals.some((p) => p.ke.includes(group))
    ) {
      // RFC 7296 §1.3.2 with §1.2: ask again with the group the responder named.
      this.#startIkeRekey(now, group);
      return;
    }
    ctx.log.warn(`rekeying the IKE SA failed: ${notifyName(outcome.notifyType)}`);
    // RFC 7296 §2.25: after TEMPORARY_FAILURE, not at once.
    this.#ikeRekeyAt = now + this.#jittered(RETRY_MS);
  }

  /**
   * How many of the peer's requests we take at once (RFC 7296 §2.3): one until the initial
   * exchanges complete, then the configured window we announce with SET_WINDOW_SIZE.
   */
  #window(): number {
    return this.#state === "established" || this.#state === "deleting" ? this.#ctx.config.windowSize : 1;
  }

  /** Sends the Delete of the redundant new IKE SA we made (RFC 7296 §2.8.2), on that SA. */
  #deleteRedundant(sa: NextIkeSa, now: number): void {
    const data = redundantDeleteRequest(sa);
    this.#redundantIke = {
      sa,
      delete: { data, retransmits: 0, nextAt: now + this.#ctx.config.retransmitTimeoutMs },
    };
    this.#emit(data);
  }

  /** Retransmits our Delete of a redundant IKE SA (RFC 7296 §2.1); gives up quietly. */
  #retransmitRedundantDelete(now: number): void {
    const redundant = this.#redundantIke;
    const request = redundant?.delete;
    if (redundant === undefined || request === undefined || now < request.nextAt) return;
    const c = this.#ctx.config;
    if (request.retransmits >= c.retransmitTries) {
      destroyNext(redundant.sa);
      this.#redundantIke = undefined;
      return;
    }
    request.retransmits++;
    request.nextAt = now + c.retransmitTimeoutMs * c.retransmitFactor ** request.retransmits;
    this.#emit(request.data);
  }

  /**
   * A message on the SPIs of a new IKE SA that is not (yet) ours: the redundant one of a
   * simultaneous rekey, or the peer's crossing one before the nonces were compared (RFC 7296
   * §2.8.2). Only its Delete is expected; returns false when the SPIs are not such an SA's.
   */
  #onNewIkeSa(message: IkeMessage, raw: Uint8Array, from: Endpoint, to: LocalEndpoint, now: number): boolean {
    const h = message.header;
    const onSa = (sa: NextIkeSa | undefined) =>
      sa !== undefined && equalConstantTime(h.spiI, sa.spiI) && equalConstantTime(h.spiR, sa.spiR);
    const redundant = this.#redundantIke;
    const sa = onSa(redundant?.sa)
      ? redundant!.sa
      : onSa(this.#ikeCollision)
        ? this.#ikeCollision!
        : undefined;
    if (sa === undefined) return false;
    const result = onRedundantSa(sa, message, raw);
    if (result.kind === "drop") return true;
    if (result.kind === "deleted-by-peer") this.#emit(result.response, from, to.port);
    else if (redundant?.delete === undefined) return true;
    this.#peerSeen(from, to, now);
    destroyNext(sa);
    if (sa === this.#ikeCollision) this.#ikeCollision = undefined;
    else this.#redundantIke = undefined;
    this.#ctx.log.info("redundant IKE SA of a simultaneous rekey deleted");
    return true;
  }

  /**
   * Moves this session to the IKE SA that replaced the current one (RFC 7296 §2.18), once the old
   * one is deleted: new SPIs, keys and role; Child SAs stay (they move to the new SA); message
   * IDs start again at 0. The old keys are zeroized — except the SK protection a responder keeps
   * to answer a retransmitted Delete (`answered`).
   */
  #switch(now: number, answered?: Cached): void {
    const ctx = this.#ctx;
    const next = this.#next!;
    this.#next = undefined;
    const oldSpiI = ctx.spiI;
    const oldSpiR = ctx.spiR;
    this.#retired?.sk.destroy();
    this.#retired = undefined;
    if (answered === undefined) ctx.sk?.destroy();
    else this.#retired = { spiI: oldSpiI, spiR: oldSpiR, role: ctx.role, sk: ctx.sk!, cached: answered };
    ctx.keys?.destroy();
    ctx.role = next.role;
    ctx.spiI = next.spiI;
    ctx.spiR = next.spiR;
    ctx.ni = next.ni;
    ctx.nr = next.nr;
    ctx.ike = next.ike;
    ctx.keys = next.keys;
    ctx.sk = next.sk;
    this.#nextRequestId = 0;
    this.#expectedRequestId = 0;
    this.#cached = undefined;
    this.#answered.clear();
    // RFC 7383 §2.6: fragments held belong to the old SA's message IDs and keys.
    this.#requestFragments.reset();
    this.#responseFragments.reset();
    this.#scheduleIke(now);
    ctx.log.info(
      `IKE SA ${toHex(oldSpiI)}_${toHex(oldSpiR)} rekeyed: now ${toHex(ctx.spiI)}_${toHex(ctx.spiR)}`,
    );
    this.#events.push({
      type: "ike-sa-rekeyed",
      oldSpiI: oldSpiI.slice(),
      oldSpiR: oldSpiR.slice(),
      spiI: ctx.spiI.slice(),
      spiR: ctx.spiR.slice(),
    });
  }

  /** The IKE SA rekey time minus a random 0–10 %, when configured. */
  #scheduleIke(now: number): void {
    if (this.#ikeRekeySeconds === undefined) return;
    this.#ikeRekeyAt = now + this.#jittered(this.#ikeRekeySeconds * 1000);
  }

  #jittered(ms: number): number {
    const r = this.#ctx.deps.backend.randomBytes(2);
    const fraction = ((r[0]! << 8) | r[1]!) / 0xffff;
    return ms - ms * REKEY_JITTER * fraction;
  }

  #startCreate(spec: CreateChildSpec, now: number, group?: number): void {
    const ctx = this.#ctx;
    const what = spec.old === undefined ? "a Child SA" : `Child SA ${spec.old.inboundSpi.toString(16)}`;
    let request: CreateChildRequest;
    try {
      request = createChildRequest(ctx, spec, group);
    } catch (e) {
      if (!(e instanceof CryptoError)) throw e;
      ctx.log.warn(`cannot create or rekey ${what}: ${e.message}`);
      return;
    }
    ctx.log.info(spec.old === undefined ? "creating a Child SA" : `rekeying ${what}`);
    this.#sendRequest(ExchangeType.CREATE_CHILD_SA, request.payloads, now, { kind: "creating", request });
  }

  /** The answer to our CREATE_CHILD_SA for a Child SA arrived (RFC 7296 §1.3.1, §1.3.3). */
  #createAnswered(request: CreateChildRequest, inner: readonly Payload[], now: number): void {
    const ctx = this.#ctx;
    this.#reportErrors(ExchangeType.CREATE_CHILD_SA, inner);
    const outcome = acceptCreateChild(ctx, inner, request);
    const retryGroup = requestedGroup(ctx, inner);
    request.ke?.destroy();
    const old = request.spec.old;
    if (
      outcome.kind === "refused" &&
      outcome.notifyType === NotifyType.INVALID_KE_PAYLOAD &&
      retryGroup !== undefined &&
      request.ke?.group !== retryGroup &&
      (old === undefined || ctx.children.includes(old))
    ) {
      // RFC 7296 §1.3: the responder names the group it wants; ask again with that one.
      this.#startCreate(request.spec, now, retryGroup);
      return;
    }
    if (old === undefined) {
      if (outcome.kind === "created") this.#childUp(outcome.child, now);
      else ctx.log.warn(`creating a Child SA failed: ${notifyName(outcome.notifyType)}`);
      return;
    }
    this.#rekeyAnswered(old, outcome, now);
  }

  /** The rekey initiator's answer arrived (RFC 7296 §1.3.3). */
  #rekeyAnswered(old: ChildSa, outcome: CreateChildOutcome, now: number): void {
    const ctx = this.#ctx;
    const collision = this.#collisions.get(old);
    this.#collisions.delete(old);
    if (outcome.kind === "created") {
      this.#rekeyed(old, outcome.child, now);
      if (
        collision === undefined ||
        compareNonces(lowestNonce(outcome.nonces), lowestNonce(collision.nonces)) > 0
      ) {
        // RFC 7296 §2.8: the initiator of the (surviving) rekey deletes the old SA.
        if (collision !== undefined) this.#redundant(collision.child);
        this.#queue.unshift({ kind: "delete-child", child: old });
      } else {
        // RFC 7296 §2.8.1: our exchange holds the lowest nonce, so the SA it made is redundant and
        // we close it; the peer deletes the old one.
        this.#redundant(outcome.child);
        this.#queue.unshift({ kind: "delete-child", child: outcome.child });
      }
      return;
    }
    // Refused: a colliding rekey of the peer's, if any, stands alone; the peer deletes the old SA.
    if (!ctx.children.includes(old) || this.#replaced.has(old)) return;
    if (outcome.notifyType === NotifyType.CHILD_SA_NOT_FOUND) {
      // RFC 7296 §2.25: the peer has no such Child SA; "silently delete" ours.
      ctx.children = ctx.children.filter((c) => c !== old);
      this.#childDown(old, "deleted-by-peer");
      return;
    }
    ctx.log.warn(
      `rekeying Child SA ${old.inboundSpi.toString(16)} failed: ${notifyName(outcome.notifyType)}`,
    );
    // RFC 7296 §2.25: not at once (after TEMPORARY_FAILURE), but before the hard lifetime.
    this.#rekeyAt.set(old, now + this.#jittered(RETRY_MS));
  }

  /** A new Child SA (not a rekey) is up. */
  #childUp(child: ChildSa, now: number): void {
    this.#ctx.children.push(child);
    this.#schedule(child, now);
    this.#ctx.log.info(`Child SA ${child.inboundSpi.toString(16)}/${child.outboundSpi.toString(16)} up`);
    this.#events.push({ type: "child-sa-up", child: child.info });
  }

  /** A surplus Child SA of a simultaneous rekey: not rekeyed, and reported `"redundant"` when deleted. */
  #redundant(child: ChildSa): void {
    this.#surplus.add(child);
    this.#rekeyAt.delete(child);
  }

  /** Both roles: the new Child SA replaces `old`, which stays until its Delete (RFC 7296 §2.8). */
  #rekeyed(old: ChildSa, child: ChildSa, now: number): void {
    const ctx = this.#ctx;
    ctx.children.push(child);
    this.#rekeyAt.delete(old);
    this.#replaced.add(old);
    this.#schedule(child, now);
    ctx.log.info(
      `Child SA ${old.inboundSpi.toString(16)} rekeyed: ${child.inboundSpi.toString(16)}/${child.outboundSpi.toString(16)}`,
    );
    this.#events.push({
      type: "child-sa-rekeyed",
      oldInboundSpi: old.inboundSpi,
      oldOutboundSpi: old.outboundSpi,
      child: child.info,
    });
  }

  /** The soft lifetime minus a random 0–10 %: when to rekey `child`. */
  #schedule(child: ChildSa, now: number): void {
    this.#rekeyAt.set(child, now + this.#jittered(this.#ctx.config.childLifetime.softSeconds * 1000));
  }

  /** Our Delete of a Child SA was answered (RFC 7296 §1.4.1): it is gone on both ends. */
  #childDeleted(child: ChildSa): void {
    if (!this.#ctx.children.includes(child)) return;
    this.#ctx.children = this.#ctx.children.filter((c) => c !== child);
    this.#childDown(child, this.#downReason(child));
  }

  /** Why a deleted Child SA went: replaced by a rekey, surplus of a collision, or deleted. */
  #downReason(child: ChildSa): "rekeyed" | "redundant" | "deleted-by-peer" {
    if (this.#surplus.has(child)) return "redundant";
    return this.#replaced.has(child) ? "rekeyed" : "deleted-by-peer";
  }

  #answerAuth(
    messageId: number,
    inner: readonly Payload[],
    from: Endpoint,
    to: LocalEndpoint,
    now: number,
  ): void {
    // RFC 7296 §2.23: an initiator that moved to the NAT-T port uses UDP encapsulation; so do we.
    if (this.#ctx.localPort === this.#ctx.config.localNattPort) this.#ctx.natT = true;
    const answer = answerIkeAuth(this.#ctx, inner);
    this.#sendResponse(ExchangeType.IKE_AUTH, messageId, answer.payloads, from, to);
    if (answer.result.kind === "failed") {
      this.#teardown("authentication-failed");
      return;
    }
    this.#established(answer.result.child, now, hasInitialContact(inner));
  }

  #answerInformational(
    messageId: number,
    inner: readonly Payload[],
    from: Endpoint,
    to: LocalEndpoint,
    now: number,
  ): void {
    const answer = answerInformational(this.#ctx, inner);
    this.#sendResponse(ExchangeType.INFORMATIONAL, messageId, answer.payloads, from, to);
    this.#reportErrors(ExchangeType.INFORMATIONAL, inner);
    for (const child of answer.deletedChildren) {
      this.#childDown(child, this.#downReason(child));
    }
    if (answer.deleteIke && this.#next === undefined && this.#ikeCollision !== undefined) {
      // RFC 7296 §2.8.2: the peer deletes the old IKE SA before answering our crossing rekey: it
      // did not see the collision (or settled it for its SA); "forget its own rekey attempt".
      this.#next = this.#ikeCollision;
      this.#ikeCollision = undefined;
      const task = this.#pending?.task;
      if (task?.kind === "rekeying-ike") {
        task.request.ke.destroy();
        this.#pending = undefined;
      }
    }
    if (answer.deleteIke && this.#next !== undefined) {
      // RFC 7296 §2.18: the Delete of the old IKE SA after a rekey we answered: move to the new one.
      this.#switch(now, this.#cached);
    } else if (answer.deleteIke) {
      this.#teardown("deleted-by-peer");
    }
  }

  #receiveResponse(
    message: IkeMessage,
    raw: Uint8Array,
    from: Endpoint,
    to: LocalEndpoint,
    now: number,
  ): void {
    const ctx = this.#ctx;
    const h = message.header;
    const pending = this.#pending;
    // RFC 7296 §2.2: a response must match our outstanding request.
    if (
      pending === undefined ||
      h.messageId !== pending.messageId ||
      h.exchangeType !== pending.exchangeType
    ) {
      ctx.log.debug(`dropping unexpected ${exchangeName(h.exchangeType)} response #${h.messageId}`);
      return;
    }
    if (h.exchangeType === ExchangeType.IKE_SA_INIT) {
      this.#initResponse(message, raw, from, to, now);
      return;
    }
    if (!equalConstantTime(h.spiR, ctx.spiR)) return;
    const opened = this.#open(message, raw, this.#responseFragments);
    if (opened.kind === "drop") return;
    this.#pending = undefined;
    this.#peerSeen(from, to, now);
    const task = pending.task;
    if (task?.kind === "delete-old-ike") {
      // RFC 7296 §1.4.1: any answer completes the Delete; the rekeyed SA takes over.
      this.#switch(now);
      return;
    }
    if (task?.kind === "delete-child") {
      // RFC 7296 §1.4.1: any answer completes the Delete of a Child SA.
      this.#childDeleted(task.child);
      return;
    }
    if (task?.kind === "liveness") {
      this.#reportErrors(h.exchangeType, opened.kind === "ok" ? opened.inner : []);
      return;
    }
    if (h.exchangeType === ExchangeType.INFORMATIONAL) {
      // The Delete of the IKE SA: any answer completes it (RFC 7296 §1.4.1).
      this.#teardown("closed");
      return;
    }
    if (task?.kind === "creating" || task?.kind === "rekeying-ike") {
      if (opened.kind === "malformed") {
        task.request.ke?.destroy();
        this.#teardown("invalid-syntax");
        return;
      }
      if (task.kind === "creating") this.#createAnswered(task.request, opened.inner, now);
      else this.#ikeRekeyAnswered(task.request, opened.inner, now);
      return;
    }
    if (opened.kind === "malformed") {
      this.#teardown("invalid-syntax");
      return;
    }
    this.#reportErrors(h.exchangeType, opened.inner);
    const result = this.#auth!.process(opened.inner, opened.errorReply);
    if (result.kind === "failed") {
      if (!opened.errorReply) {
        // RFC 7296 §2.21.2: the responder's authentication failed on our side; tell it, and delete
        // the IKE SA it has established (no answer is awaited).
        this.#sendRequest(
          ExchangeType.INFORMATIONAL,
          [notify(NotifyType.AUTHENTICATION_FAILED), ...deleteIkeRequest()],
          now,
        );
      }
      this.#teardown(downReason(result.notifyType));
      return;
    }
    this.#established(result.child, now, hasInitialContact(opened.inner));
    if (result.deleteIke === true) {
      // RFC 7296 §2.19: no address though policy requires one; delete the IKE SA.
      this.#state = "deleting";
      this.#sendRequest(ExchangeType.INFORMATIONAL, deleteIkeRequest(), now);
    }
  }

  #initResponse(message: IkeMessage, raw: Uint8Array, from: Endpoint, to: LocalEndpoint, now: number): void {
    const ctx = this.#ctx;
    // Unauthenticated: a response that breaks the rules is dropped and the request retransmitted.
    const rules = checkRules(message, ExchangeType.IKE_SA_INIT, true);
    if (!rules.ok) {
      ctx.log.debug(`dropping IKE_SA_INIT response: ${describeViolation(rules.violation)}`);
      return;
    }
    this.#reportErrors(ExchangeType.IKE_SA_INIT, message.payloads);
    this.#pending = undefined;
    const result = this.#init!.process(message, raw, rules.errorReply, from, to);
    if (result.kind === "failed") {
      this.#teardown(result.reason);
      return;
    }
    if (result.kind === "retry") {
      this.#nextRequestId = 0;
      this.#sendRequest(ExchangeType.IKE_SA_INIT, this.#init!.build(), now);
      return;
    }
    this.#init = undefined;
    this.#peerSeen(from, to, now);
    if (ctx.natT && ctx.localPort !== ctx.config.localNattPort) {
      // RFC 7296 §2.23: after detecting a NAT, move to port 4500 (with the non-ESP marker).
      ctx.localPort = ctx.config.localNattPort;
      ctx.remote = { address: ctx.remote.address, port: ctx.config.remoteNattPort };
      ctx.log.info(`moving to NAT-T port ${ctx.localPort} -> ${ctx.remote.port}`);
    }
    this.#auth = new IkeAuthInitiator(ctx);
    const payloads = this.#auth.build();
    if (payloads === undefined) {
      this.#teardown("authentication-failed");
      return;
    }
    this.#state = "auth-sent";
    this.#sendRequest(ExchangeType.IKE_AUTH, payloads, now);
  }

  #established(child: ChildOutcome, now: number, initialContact: boolean): void {
    const ctx = this.#ctx;
    this.#state = "established";
    this.#halfOpenUntil = undefined;
    this.#releaseGuard?.();
    ctx.log.info(`IKE SA ${toHex(ctx.spiI)}_${toHex(ctx.spiR)} established`);
    if (child.kind === "created") ctx.children.push(child.child);
    this.#events.push({ type: "ike-sa-up", snapshot: this.snapshot(), initialContact });
    if (child.kind === "created") {
      ctx.log.info(
        `Child SA ${child.child.inboundSpi.toString(16)}/${child.child.outboundSpi.toString(16)} up`,
      );
      this.#events.push({ type: "child-sa-up", child: child.child.info });
      this.#schedule(child.child, now);
    } else if (child.kind === "refused") {
      ctx.log.warn(`no Child SA: ${notifyName(child.notifyType)}`);
    }
    this.#scheduleIke(now);
  }

  #childDown(child: ChildSa, reason: "deleted-by-peer" | "ike-sa-down" | "rekeyed" | "redundant"): void {
    child.keys.destroy();
    this.#rekeyAt.delete(child);
    this.#replaced.delete(child);
    this.#surplus.delete(child);
    this.#collisions.delete(child);
    this.#events.push({
      type: "child-sa-down",
      inboundSpi: child.inboundSpi,
      outboundSpi: child.outboundSpi,
      reason,
    });
  }

  /** Ends the IKE SA: Child SAs down, keys zeroized, the guard's half-open slot released. */
  #teardown(reason: IkeDownReason): void {
    if (this.#state === "closed") return;
    const ctx = this.#ctx;
    this.#state = "closed";
    const task = this.#pending?.task;
    if (task?.kind === "creating" || task?.kind === "rekeying-ike") task.request.ke?.destroy();
    for (const sa of [this.#next, this.#ikeCollision, this.#redundantIke?.sa])
      if (sa !== undefined) destroyNext(sa);
    this.#next = undefined;
    this.#ikeCollision = undefined;
    this.#redundantIke = undefined;
    this.#retired?.sk.destroy();
    this.#retired = undefined;
    this.#pending = undefined;
    this.#queue = [];
    this.#init?.destroy();
    this.#auth?.destroy();
    for (const child of ctx.children) this.#childDown(child, "ike-sa-down");
    ctx.children = [];
    ctx.sk?.destroy();
    ctx.keys?.destroy();
    this.#requestFragments.reset();
    this.#responseFragments.reset();
    // RFC 7296 §3.15.1: an assigned address lives as long as the IKE SA.
    releaseAssignment(ctx);
    this.#releaseGuard?.();
    ctx.log.info(`IKE SA ${toHex(ctx.spiI)}_${toHex(ctx.spiR)} down: ${reason}`);
    this.#events.push({ type: "ike-sa-down", reason });
  }
}
