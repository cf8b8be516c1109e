/**
 * The IKE_SA_INIT exchange (RFC 7296 §1.2): proposals, key exchange, nonces, NAT detection
 * (§2.23), and the retries a responder can ask for: COOKIE (§2.6) and INVALID_KE_PAYLOAD
 * (§1.2, §3.4).
 *
 * The initiator side is a task object ({@link IkeSaInitInitiator}: build the request, process the
 * response). The responder side is one function that checks a request without keeping state and
 * either answers it with an error or creates the IKE SA's context (§2.21, §2.6).
 *
 * @packageDocumentation
 */
import { CryptoError, type KeyExchange } from "../../../crypto/backend.js";
import { keGroupById } from "../../../crypto/registry.js";
import { equalConstantTime, zeroize } from "../../../wire/bytes.js";
import type { Payload } from "../../chain.js";
import { ExchangeType, isErrorNotify, NotifyType, notifyName } from "../../constants.js";
import { deriveIkeSaKeys, type IkeSaKeys } from "../../keys.js";
import { encodeMessage, type IkeMessage } from "../../message.js";
import type { KePayload } from "../../payloads/ke.js";
import type { NotifyPayload } from "../../payloads/notify.js";
import { SkProtection } from "../../sk-protect.js";
import { certificateRequests, peerSignatureHashes, signatureHashesNotify } from "../cert-auth.js";
import type { ResolvedConfig } from "../config.js";
import { type IkeSaContext, NONCE_LENGTH, newContext, notify, randomIkeSpi } from "../context.js";
import type { IkeResponderGuard } from "../cookie.js";
import { natHash } from "../nat.js";
import { acceptIke, type IkeChoice, ikeSaPayload, ikeSuite, selectIke } from "../proposals.js";
import type { Endpoint, IkeDownReason, IkeSessionDeps, LocalEndpoint } from "../types.js";

/** How many COOKIE and INVALID_KE_PAYLOAD retries an initiator makes before giving up. */
const MAX_RETRIES = 3;
const ZERO_SPI = new Uint8Array(8);

function notifies(payloads: readonly Payload[], notifyType: number): NotifyPayload[] {
  return payloads.filter((p): p is NotifyPayload => p.type === "N" && p.notifyType === notifyType);
}

function u16(n: number): Uint8Array {
  return Uint8Array.of(n >>> 8, n & 0xff);
}

/** Our endpoint as the peer addressed it: the socket's port, the configured address unless known. */
function localEndpoint(config: ResolvedConfig, to: LocalEndpoint): Endpoint {
  return { address: to.address ?? config.localAddress, port: to.port };
}

/**
 * RFC 7296 §2.23: NAT traversal is on when both sides sent NAT-D and a hash does not match (or
 * encapsulation is forced). Returns whether the peer sent NAT-D and whether to encapsulate.
 */
function detectNat(
  ctx: IkeSaContext,
  payloads: readonly Payload[],
  spiR: Uint8Array,
  from: Endpoint,
  to: LocalEndpoint,
): { readonly peerSupports: boolean; readonly encapsulate: boolean } {
  const sources = notifies(payloads, NotifyType.NAT_DETECTION_SOURCE_IP);
  const destination = notifies(payloads, NotifyType.NAT_DETECTION_DESTINATION_IP)[0];
  const peerSupports = ctx.config.natTraversal && sources.length > 0 && destination !== undefined;
  if (!peerSupports) return { peerSupports, encapsulate: false };
  const backend = ctx.deps.backend;
  const theirs = natHash(backend, ctx.spiI, spiR, from);
  const ours = natHash(backend, ctx.spiI, spiR, localEndpoint(ctx.config, to));
  const peerBehindNat = !sources.some((s) => equalConstantTime(s.data, theirs));
  const usBehindNat = !equalConstantTime(destination.data, ours);
  if (peerBehindNat || usBehindNat) {
    ctx.log.info(`NAT detected (${peerBehindNat ? "peer" : "us"} behind a NAT)`);
  }
  return { peerSupports, encapsulate: peerBehindNat || usBehindNat || ctx.config.forceEncapsulation };
}

/**
 * RFC 7383 §2.3: fragmentation is in use when we offer it and the peer's IKE_SA_INIT message
 * carries N(IKEV2_FRAGMENTATION_SUPPORTED).
 */
function peerFragments(config: ResolvedConfig, payloads: readonly Payload[]): boolean {
  return (
    config.fragmentation !== undefined &&
    notifies(payloads, NotifyType.IKEV2_FRAGMENTATION_SUPPORTED).length > 0
  );
}

/** Derives the IKE SA keys and SK protection into the context. @throws CryptoError from the backend. */
function installKeys(ctx: IkeSaContext, choice: IkeChoice, sharedSecret: Uint8Array): void {
  const suite = ikeSuite(choice, ctx.config.allowLegacy);
  const backend = ctx.deps.backend;
  let keys: IkeSaKeys | undefined;
  try {
    // The suite is spread last: Node 20's V8 adds each property that follows a spread in the
    // runtime (about a microsecond apiece); the keys do not overlap.
    keys = deriveIkeSaKeys({
      backend,
      ni: ctx.ni!,
      nr: ctx.nr!,
      sharedSecret,
      spiI: ctx.spiI,
      spiR: ctx.spiR,
      ...suite,
    });
    ctx.sk = new SkProtection({ backend, keys, role: ctx.role, ...suite });
    ctx.keys = keys;
    ctx.ike = choice;
  } catch (e) {
    keys?.destroy();
    throw e;
  } finally {
    zeroize(sharedSecret);
  }
}

/** The KE payload's data must have the group's length (CVE-2023-41913). */
function keLengthOk(ke: KePayload): boolean {
  return keGroupById(ke.group)?.publicKeyLength === ke.data.length;
}

/** Outcome of processing an IKE_SA_INIT response. @internal */
export type IkeSaInitResult =
  | { readonly kind: "done" }
  | { readonly kind: "retry" }
  | { readonly kind: "failed"; readonly reason: IkeDownReason };

/**
 * The initiator's IKE_SA_INIT task.
 * @internal
 */
export class IkeSaInitInitiator {
  readonly #ctx: IkeSaContext;
  #ke: KeyExchange;
  #cookie: Uint8Array | undefined;
  #retries = 0;

  /** @throws CryptoError when the backend lacks the first proposal's first group. */
  constructor(ctx: IkeSaContext) {
    this.#ctx = ctx;
    ctx.spiI = randomIkeSpi(ctx.deps);
    ctx.ni = ctx.deps.backend.randomBytes(NONCE_LENGTH);
    this.#ke = ctx.deps.backend.keyExchange(ctx.config.ikeProposals[0]!.ke[0]!);
  }

  /**
   * `HDR, [N(COOKIE),] SAi1, KEi, Ni, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP),
   * [N(IKEV2_FRAGMENTATION_SUPPORTED)]`.
   */
  build(): Payload[] {
    const ctx = this.#ctx;
    const payloads: Payload[] = [];
    // RFC 7296 §2.6: the COOKIE notify is the first payload of the retried request.
    if (this.#cookie !== undefined) payloads.push(notify(NotifyType.COOKIE, this.#cookie));
    payloads.push(
      ikeSaPayload(ctx.config.ikeProposals),
      { type: "KE", group: this.#ke.group, data: this.#ke.publicKey },
      { type: "Nonce", data: ctx.ni! },
    );
    if (ctx.config.natTraversal) {
      const backend = ctx.deps.backend;
      const source = { address: ctx.config.localAddress, port: ctx.localPort };
      payloads.push(
        notify(NotifyType.NAT_DETECTION_SOURCE_IP, natHash(backend, ctx.spiI, ZERO_SPI, source)),
        notify(NotifyType.NAT_DETECTION_DESTINATION_IP, natHash(backend, ctx.spiI, ZERO_SPI, ctx.remote)),
      );
    }
    // RFC 7383 §2.3: the initiator announces fragmentation support in the IKE_SA_INIT request.
    if (ctx.config.fragmentation !== undefined)
      payloads.push(notify(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED));
    // RFC 7427 §4: the hashes we verify signatures with, when certificates are in use.
    payloads.push(...signatureHashesNotify(ctx.config));
    return payloads;
  }

  /**
   * Processes the response (already checked against the message rules). On `done` the context
   * holds SPIr, Nr, the suite and the keys.
   */
  process(
    message: IkeMessage,
    raw: Uint8Array,
    errorReply: boolean,
    from: Endpoint,
    to: LocalEndpoint,
  ): IkeSaInitResult {
    const ctx = this.#ctx;
    const payloads = message.payloads;
    if (errorReply) return this.#retryOrFail(payloads);
    const sa = payloads.find((p) => p.type === "SA")!;
    const ke = payloads.find((p): p is KePayload => p.type === "KE")!;
    const nonce = payloads.find((p) => p.type === "Nonce")!;
    const choice = acceptIke(sa, ctx.config.ikeProposals);
    // RFC 7296 §3.1: a successful response names the responder's SPI.
    if (choice === undefined || equalConstantTime(message.header.spiR, ZERO_SPI)) {
      ctx.log.warn("IKE_SA_INIT response: proposal not one we offered");
      return { kind: "failed", reason: "negotiation-failed" };
    }
    if (choice.ke.id !== this.#ke.group || ke.group !== this.#ke.group || !keLengthOk(ke)) {
      ctx.log.warn(`IKE_SA_INIT response: KE group ${ke.group} / ${ke.data.length} octets unusable`);
      return { kind: "failed", reason: "negotiation-failed" };
    }
    ctx.spiR = message.header.spiR.slice();
    ctx.nr = nonce.data.slice();
    ctx.initResponse = raw.slice();
    const nat = detectNat(ctx, payloads, ctx.spiR, from, to);
    ctx.natT = nat.encapsulate;
    ctx.fragmentation = peerFragments(ctx.config, payloads);
    ctx.peerSignatureHashes = peerSignatureHashes(payloads);
    try {
      installKeys(ctx, choice, this.#ke.computeSharedSecret(ke.data));
    } catch (e) {
      if (!(e instanceof CryptoError)) throw e;
      ctx.log.warn(`IKE_SA_INIT response: ${e.message}`);
      return { kind: "failed", reason: "negotiation-failed" };
    } finally {
      this.#ke.destroy();
    }
    return { kind: "done" };
  }

  /** Releases the key exchange's private value. */
  destroy(): void {
    this.#ke.destroy();
  }

  #retryOrFail(payloads: readonly Payload[]): IkeSaInitResult {
    const ctx = this.#ctx;
    const cookie = notifies(payloads, NotifyType.COOKIE)[0];
    const invalidKe = notifies(payloads, NotifyType.INVALID_KE_PAYLOAD)[0];
    if (cookie !== undefined && this.#retries < MAX_RETRIES) {
      // RFC 7296 §2.6: retry with the same request, the cookie in front.
      this.#retries++;
      this.#cookie = cookie.data.slice();
      ctx.log.info("IKE_SA_INIT: responder asks for a COOKIE, retrying");
      return { kind: "retry" };
    }
    if (invalidKe !== undefined && invalidKe.data.length === 2 && this.#retries < MAX_RETRIES) {
      const group = (invalidKe.data[0]! << 8) | invalidKe.data[1]!;
      // RFC 7296 §1.2: retry with the group the responder wants, if we proposed it.
      if (group !== this.#ke.group && ctx.config.ikeProposals.some((p) => p.ke.includes(group))) {
        this.#retries++;
        let next: KeyExchange;
        try {
          next = ctx.deps.backend.keyExchange(group);
        } catch (e) {
          if (!(e instanceof CryptoError)) throw e;
          return { kind: "failed", reason: "negotiation-failed" };
        }
        this.#ke.destroy();
        this.#ke = next;
        ctx.log.info(`IKE_SA_INIT: responder wants KE group ${group}, retrying`);
        return { kind: "retry" };
      }
    }
    const error = payloads.find((p): p is NotifyPayload => p.type === "N" && isErrorNotify(p.notifyType));
    ctx.log.warn(
      `IKE_SA_INIT failed: ${error === undefined ? "no usable answer" : notifyName(error.notifyType)}`,
    );
    return {
      kind: "failed",
      reason:
        error?.notifyType === NotifyType.NO_PROPOSAL_CHOSEN ? "no-proposal-chosen" : "negotiation-failed",
    };
  }
}

/** What the responder does with an IKE_SA_INIT request. @internal */
export type IkeSaInitAnswer =
  | { readonly kind: "reject"; readonly response: Uint8Array; readonly notifyType: number }
  | { readonly kind: "accept"; readonly ctx: IkeSaContext; readonly response: Uint8Array };

/** An unprotected notify-only IKE_SA_INIT response with a zero responder SPI (RFC 7296 §2.6, §2.21.1). */
export function initErrorResponse(spiI: Uint8Array, notifyType: number, data?: Uint8Array): Uint8Array {
  return encodeMessage({
    header: {
      spiI,
      spiR: ZERO_SPI,
      minorVersion: 0,
      exchangeType: ExchangeType.IKE_SA_INIT,
      initiator: false,
      response: true,
      higherVersion: false,
      messageId: 0,
    },
    payloads: [notify(notifyType, data)],
  });
}

/**
 * The responder's handling of a rule-checked IKE_SA_INIT request. Nothing is kept unless the
 * answer is `accept`: cookie check (§2.6), proposal choice (§2.7), KE group and length (§1.2,
 * CVE-2014-9221, CVE-2023-41913), then keys.
 * @internal
 */
export function answerIkeSaInit(
  request: IkeMessage,
  raw: Uint8Array,
  from: Endpoint,
  to: LocalEndpoint,
  config: ResolvedConfig,
  deps: IkeSessionDeps,
  now: number,
  guard: IkeResponderGuard | undefined,
): IkeSaInitAnswer {
  const payloads = request.payloads;
  const spiI = request.header.spiI;
  const reject = (notifyType: number, data?: Uint8Array): IkeSaInitAnswer => ({
    kind: "reject",
    response: initErrorResponse(spiI, notifyType, data),
    notifyType,
  });
  const nonce = payloads.find((p) => p.type === "Nonce")!;
  if (guard?.cookieRequired === true) {
    // RFC 7296 §2.6: the COOKIE notify comes first in the retried request.
    const first = payloads[0];
    const ok =
      first?.type === "N" &&
      first.notifyType === NotifyType.COOKIE &&
      guard.verify(first.data, nonce.data, from.address, spiI, now);
    if (!ok) return reject(NotifyType.COOKIE, guard.cookie(nonce.data, from.address, spiI, now));
  }
  const sa = payloads.find((p) => p.type === "SA")!;
  const ke = payloads.find((p): p is KePayload => p.type === "KE")!;
  const choice = selectIke(sa, config.ikeProposals);
  if (choice === undefined) return reject(NotifyType.NO_PROPOSAL_CHOSEN);
  // RFC 7296 §1.2: a KE for another group than the chosen one gets INVALID_KE_PAYLOAD naming ours.
  if (ke.group !== choice.ke.id) return reject(NotifyType.INVALID_KE_PAYLOAD, u16(choice.ke.id));
  if (!keLengthOk(ke)) return reject(NotifyType.INVALID_SYNTAX);

  const ctx = newContext("responder", config, deps, from, to.port, now);
  ctx.spiI = spiI.slice();
  ctx.spiR = randomIkeSpi(deps);
  ctx.ni = nonce.data.slice();
  ctx.nr = deps.backend.randomBytes(NONCE_LENGTH);
  ctx.initRequest = raw.slice();
  let ours: KeyExchange | undefined;
  let publicKey: Uint8Array;
  try {
    ours = deps.backend.keyExchange(choice.ke.id);
    publicKey = ours.publicKey;
    installKeys(ctx, choice, ours.computeSharedSecret(ke.data));
  } catch (e) {
    if (!(e instanceof CryptoError)) throw e;
    ctx.log.warn(`IKE_SA_INIT: ${e.message}`);
    return reject(
      e.code === "invalid-public-key" ? NotifyType.INVALID_SYNTAX : NotifyType.NO_PROPOSAL_CHOSEN,
    );
  } finally {
    ours?.destroy();
  }
  const nat = detectNat(ctx, payloads, ZERO_SPI, from, to);
  ctx.natT = nat.encapsulate;
  const response: Payload[] = [
    { type: "SA", proposals: [choice.proposal] },
    { type: "KE", group: choice.ke.id, data: publicKey },
    { type: "Nonce", data: ctx.nr },
  ];
  if (nat.peerSupports) {
    // RFC 7296 §2.23; with forced encapsulation the source hash names no real address, which
    // makes the initiator see a NAT and move to the NAT-T port (as strongSwan does).
    const source = config.forceEncapsulation
      ? deps.backend.randomBytes(20)
      : natHash(deps.backend, ctx.spiI, ctx.spiR, localEndpoint(config, to));
    response.push(
      notify(NotifyType.NAT_DETECTION_SOURCE_IP, source),
      notify(NotifyType.NAT_DETECTION_DESTINATION_IP, natHash(deps.backend, ctx.spiI, ctx.spiR, from)),
    );
  }
  // RFC 7383 §2.3: the responder answers the initiator's N(IKEV2_FRAGMENTATION_SUPPORTED) with its
  // own when it supports fragmentation too; then both may send fragments.
  ctx.fragmentation = peerFragments(config, payloads);
  if (ctx.fragmentation) response.push(notify(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED));
  // RFC 7427 §4 (SIGNATURE_HASH_ALGORITHMS); RFC 7296 §1.2 / §3.7: [CERTREQ] naming our anchors.
  ctx.peerSignatureHashes = peerSignatureHashes(payloads);
  response.push(...signatureHashesNotify(config), ...certificateRequests(config, deps, ctx.log));
  ctx.initResponse = encodeMessage({
    header: {
      spiI: ctx.spiI,
      spiR: ctx.spiR,
      minorVersion: 0,
      exchangeType: ExchangeType.IKE_SA_INIT,
      initiator: false,
      response: true,
      higherVersion: false,
      messageId: 0,
    },
    payloads: response,
  });
  return { kind: "accept", ctx, response: ctx.initResponse };
}
