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
 * Nothing a peer sends makes `receive` throw: decoding errors are typed ({@link WireError}) and
 * crypto refusals are {@link CryptoError}s, both caught where expected.
 *
 * @packageDocumentation
 */
import { equalConstantTime, toHex } from "../../wire/bytes.js";
import { WireError } from "../../wire/errors.js";
import { decodeInnerPayloads, encodeInnerPayloads, type Payload } from "../chain.js";
import { ExchangeType, exchangeName, isErrorNotify, NotifyType, notifyName } from "../constants.js";
import { errorNotify } from "../errors.js";
import type { IkeHeader } from "../header.js";
import type { IkeSaKeys, IkeSuite } from "../keys.js";
import { decodeMessage, encodeMessage, type IkeMessage } from "../message.js";
import { checkRules, describeViolation } from "../rules.js";
import { admitIkeSaInit } from "./admission.js";
import { type ResolvedConfig, resolveConfig } from "./config.js";
import { type ChildSa, type IkeSaContext, newContext, notify } from "./context.js";
import type { IkeResponderGuard } from "./cookie.js";
import type { ChildOutcome } from "./tasks/child-sa.js";
import { answerIkeAuth, IkeAuthInitiator } from "./tasks/ike-auth.js";
import { IkeSaInitInitiator } from "./tasks/ike-sa-init.js";
import { answerInformational, deleteIkeRequest } from "./tasks/informational.js";
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
} from "./types.js";

/** A request of ours waiting for its response (RFC 7296 §2.1: one at a time). */
interface Pending {
  readonly messageId: number;
  readonly exchangeType: number;
  readonly data: Uint8Array;
  retransmits: number;
  nextAt: number;
}

/** The result of opening an encrypted message. */
type Opened =
  | { readonly kind: "ok"; readonly inner: readonly Payload[]; readonly errorReply: boolean }
  | { readonly kind: "drop" }
  | { readonly kind: "malformed"; readonly notifyType: number; readonly data: Uint8Array };

const ZERO_SPI = new Uint8Array(8);

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

function outbound(
  config: ResolvedConfig,
  data: Uint8Array,
  remote: Endpoint,
  localPort: number,
): OutboundDatagram {
  // RFC 7296 §2.23 / RFC 3948 §2.2: IKE on the NAT-T ports carries the non-ESP marker.
  const nonEspMarker = localPort === config.localNattPort || remote.port === config.remoteNattPort;
  return { data, remote: { address: remote.address, port: remote.port }, localPort, nonEspMarker };
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
  #expectedRequestId = 0;
  #cached: { readonly messageId: number; readonly data: Uint8Array } | undefined;
  #init: IkeSaInitInitiator | undefined;
  #auth: IkeAuthInitiator | undefined;
  #halfOpenUntil: number | undefined;
  #releaseGuard: (() => void) | undefined;

  private constructor(ctx: IkeSaContext, state: IkeSessionState) {
    this.#ctx = ctx;
    this.#state = state;
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
    session.#expectedRequestId = 1;
    session.#cached = { messageId: 0, data: answer.response };
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
    const suite: IkeSuite = {
      prf: ike.prf,
      encryption: ike.encryption,
      ...(ike.keyBits === undefined ? {} : { keyBits: ike.keyBits }),
      ...(ike.integrity === undefined ? {} : { integrity: ike.integrity }),
      allowLegacy: this.#ctx.config.allowLegacy,
    };
    return { suite, keys };
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
    // RFC 7296 §3.1: the I flag is set by the original initiator only.
    if (!equalConstantTime(h.spiI, ctx.spiI) || h.initiator !== (ctx.role === "responder")) {
      ctx.log.debug(`dropping ${exchangeName(h.exchangeType)}: SPI or I flag mismatch`);
      return this.#output();
    }
    if (h.response) this.#receiveResponse(message, datagram, from, to, now);
    else this.#receiveRequest(message, datagram, from, to);
    return this.#output();
  }

  /** Retransmits (RFC 7296 §2.1) and expires what is due at `now`. */
  tick(now: number): IkeOutput {
    const pending = this.#pending;
    if (pending !== undefined && now >= pending.nextAt) {
      const c = this.#ctx.config;
      if (pending.retransmits >= c.retransmitTries) {
        this.#ctx.log.warn(`${exchangeName(pending.exchangeType)}: no response, giving up`);
        this.#teardown(this.#state === "deleting" ? "closed" : "timeout");
      } else {
        pending.retransmits++;
        pending.nextAt = now + c.retransmitTimeoutMs * c.retransmitFactor ** pending.retransmits;
        this.#ctx.log.debug(`retransmitting ${exchangeName(pending.exchangeType)} #${pending.retransmits}`);
        this.#emit(pending.data);
      }
    }
    if (this.#halfOpenUntil !== undefined && now >= this.#halfOpenUntil && this.#state === "init-done") {
      this.#ctx.log.warn("no IKE_AUTH request in time");
      this.#teardown("half-open-timeout");
    }
    return this.#output();
  }

  /**
   * Deletes the IKE SA: an established SA sends `INFORMATIONAL {D(IKE)}` and ends when answered
   * (or when retransmission gives up); any other state ends at once (RFC 7296 §1.4.1).
   */
  close(now: number): IkeOutput {
    if (this.#state === "established") {
      this.#state = "deleting";
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
    const times = [this.#pending?.nextAt, this.#state === "init-done" ? this.#halfOpenUntil : undefined];
    const due = times.filter((t): t is number => t !== undefined);
    return due.length === 0 ? undefined : Math.min(...due);
  }

  #emit(data: Uint8Array, remote: Endpoint = this.#ctx.remote, localPort = this.#ctx.localPort): void {
    this.#datagrams.push(outbound(this.#ctx.config, data, remote, localPort));
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

  #encode(
    exchangeType: number,
    response: boolean,
    messageId: number,
    payloads: readonly Payload[],
  ): Uint8Array {
    const header = this.#header(exchangeType, response, messageId);
    if (exchangeType === ExchangeType.IKE_SA_INIT) return encodeMessage({ header, payloads });
    return this.#ctx.sk!.protect(header, encodeInnerPayloads(payloads));
  }

  #sendRequest(exchangeType: number, payloads: readonly Payload[], now: number): void {
    const messageId = this.#nextRequestId++;
    const data = this.#encode(exchangeType, false, messageId, payloads);
    // RFC 7296 §2.15: AUTH signs the IKE_SA_INIT request exactly as sent.
    if (exchangeType === ExchangeType.IKE_SA_INIT) this.#ctx.initRequest = data;
    this.#pending = {
      messageId,
      exchangeType,
      data,
      retransmits: 0,
      nextAt: now + this.#ctx.config.retransmitTimeoutMs,
    };
    this.#ctx.log.debug(`sending ${exchangeName(exchangeType)} request #${messageId}`);
    this.#emit(data);
  }

  #sendResponse(
    exchangeType: number,
    messageId: number,
    payloads: readonly Payload[],
    from: Endpoint,
    to: LocalEndpoint,
  ): void {
    const data = this.#encode(exchangeType, true, messageId, payloads);
    this.#cached = { messageId, data };
    this.#emit(data, from, to.port);
  }

  /** Verifies, decrypts, decodes and rule-checks an SK message (RFC 7296 §3.14, §2.21.2). */
  #open(message: IkeMessage, raw: Uint8Array): Opened {
    const ctx = this.#ctx;
    const h = message.header;
    const sk = ctx.sk;
    if (sk === undefined) return { kind: "drop" };
    const opened = sk.unprotect(raw, message);
    if (!opened.ok) {
      ctx.log.debug(`dropping ${exchangeName(h.exchangeType)}: ${opened.reason}`);
      return { kind: "drop" };
    }
    if (opened.fragment !== undefined) {
      // RFC 7383 fragments are not negotiated by this version (IKEV2_FRAGMENTATION_SUPPORTED is never sent).
      ctx.log.debug(`dropping ${exchangeName(h.exchangeType)}: unexpected SKF fragment`);
      return { kind: "drop" };
    }
    let inner: Payload[];
    try {
      inner = decodeInnerPayloads(opened.plaintext, opened.firstPayload);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      ctx.log.warn(`${exchangeName(h.exchangeType)}: ${e.message}`);
      const n = errorNotify(e);
      return { kind: "malformed", notifyType: n.notifyType, data: n.data };
    }
    const rules = checkRules(message, h.exchangeType, h.response, inner);
    if (!rules.ok) {
      ctx.log.warn(`${exchangeName(h.exchangeType)}: ${describeViolation(rules.violation)}`);
      return { kind: "malformed", notifyType: NotifyType.INVALID_SYNTAX, data: new Uint8Array(0) };
    }
    return { kind: "ok", inner, errorReply: rules.errorReply };
  }

  /** RFC 7296 §2.23: authenticated messages tell where the peer (and our NAT mapping) is now. */
  #peerSeen(from: Endpoint, to: LocalEndpoint): void {
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

  #receiveRequest(message: IkeMessage, raw: Uint8Array, from: Endpoint, to: LocalEndpoint): void {
    const ctx = this.#ctx;
    const h = message.header;
    if (h.exchangeType === ExchangeType.IKE_SA_INIT) {
      // RFC 7296 §2.1: a retransmitted IKE_SA_INIT (SPIr still zero) gets the same response.
      const known = equalConstantTime(h.spiR, ZERO_SPI) || equalConstantTime(h.spiR, ctx.spiR);
      if (ctx.role === "responder" && h.messageId === 0 && known && this.#cached?.messageId === 0) {
        this.#emit(this.#cached.data, from, to.port);
      }
      return;
    }
    if (!equalConstantTime(h.spiR, ctx.spiR)) return;
    const cached = this.#cached;
    if (
      cached !== undefined &&
      h.messageId === cached.messageId &&
      h.messageId === this.#expectedRequestId - 1
    ) {
      // RFC 7296 §2.1: answer a retransmitted request from the cache, without processing it again,
      // once it proves to be the peer's.
      if (ctx.sk?.unprotect(raw, message).ok === true) this.#emit(cached.data, from, to.port);
      return;
    }
    // RFC 7296 §2.3: only the next request in the window is processed.
    if (h.messageId !== this.#expectedRequestId) {
      ctx.log.debug(`dropping ${exchangeName(h.exchangeType)} request #${h.messageId}: out of window`);
      return;
    }
    if (!REQUESTS_ALLOWED[this.#state].includes(h.exchangeType)) {
      ctx.log.warn(`dropping ${exchangeName(h.exchangeType)} request in state ${this.#state}`);
      return;
    }
    const opened = this.#open(message, raw);
    if (opened.kind === "drop") return;
    this.#peerSeen(from, to);
    this.#expectedRequestId++;
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
        this.#answerAuth(h.messageId, opened.inner, from, to);
        return;
      case ExchangeType.INFORMATIONAL:
        this.#answerInformational(h.messageId, opened.inner, from, to);
        return;
      default:
        // CREATE_CHILD_SA (rekeying, more Child SAs) is not implemented yet: RFC 7296 §1.3 lets a
        // responder refuse further Child SAs with NO_ADDITIONAL_SAS.
        this.#sendResponse(h.exchangeType, h.messageId, [notify(NotifyType.NO_ADDITIONAL_SAS)], from, to);
    }
  }

  #answerAuth(messageId: number, inner: readonly Payload[], from: Endpoint, to: LocalEndpoint): void {
    // RFC 7296 §2.23: an initiator that moved to the NAT-T port uses UDP encapsulation; so do we.
    if (this.#ctx.localPort === this.#ctx.config.localNattPort) this.#ctx.natT = true;
    const answer = answerIkeAuth(this.#ctx, inner);
    this.#sendResponse(ExchangeType.IKE_AUTH, messageId, answer.payloads, from, to);
    if (answer.result.kind === "failed") {
      this.#teardown("authentication-failed");
      return;
    }
    this.#established(answer.result.child);
  }

  #answerInformational(
    messageId: number,
    inner: readonly Payload[],
    from: Endpoint,
    to: LocalEndpoint,
  ): void {
    const answer = answerInformational(this.#ctx, inner);
    this.#sendResponse(ExchangeType.INFORMATIONAL, messageId, answer.payloads, from, to);
    this.#reportErrors(ExchangeType.INFORMATIONAL, inner);
    for (const child of answer.deletedChildren) this.#childDown(child, "deleted-by-peer");
    if (answer.deleteIke) this.#teardown("deleted-by-peer");
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
    const opened = this.#open(message, raw);
    if (opened.kind === "drop") return;
    this.#pending = undefined;
    this.#peerSeen(from, to);
    if (h.exchangeType === ExchangeType.INFORMATIONAL) {
      // Our only request is the Delete of the IKE SA: any answer completes it (RFC 7296 §1.4.1).
      this.#teardown("closed");
      return;
    }
    if (opened.kind === "malformed") {
      this.#teardown("invalid-syntax");
      return;
    }
    this.#reportErrors(h.exchangeType, opened.inner);
    const result = this.#auth!.process(opened.inner, opened.errorReply);
    if (result.kind === "failed") {
      this.#teardown(downReason(result.notifyType));
      return;
    }
    this.#established(result.child);
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
    this.#peerSeen(from, to);
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

  #established(child: ChildOutcome): void {
    const ctx = this.#ctx;
    this.#state = "established";
    this.#halfOpenUntil = undefined;
    this.#releaseGuard?.();
    ctx.log.info(`IKE SA ${toHex(ctx.spiI)}_${toHex(ctx.spiR)} established`);
    if (child.kind === "created") ctx.children.push(child.child);
    this.#events.push({ type: "ike-sa-up", snapshot: this.snapshot() });
    if (child.kind === "created") {
      ctx.log.info(
        `Child SA ${child.child.inboundSpi.toString(16)}/${child.child.outboundSpi.toString(16)} up`,
      );
      this.#events.push({ type: "child-sa-up", child: child.child.info });
    } else if (child.kind === "refused") {
      ctx.log.warn(`no Child SA: ${notifyName(child.notifyType)}`);
    }
  }

  #childDown(child: ChildSa, reason: "deleted-by-peer" | "ike-sa-down"): void {
    child.keys.destroy();
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
    this.#pending = undefined;
    this.#init?.destroy();
    this.#auth?.destroy();
    for (const child of ctx.children) this.#childDown(child, "ike-sa-down");
    ctx.children = [];
    ctx.sk?.destroy();
    ctx.keys?.destroy();
    this.#releaseGuard?.();
    ctx.log.info(`IKE SA ${toHex(ctx.spiI)}_${toHex(ctx.spiR)} down: ${reason}`);
    this.#events.push({ type: "ike-sa-down", reason });
  }
}
