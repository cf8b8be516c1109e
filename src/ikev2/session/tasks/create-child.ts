/**
 * The CREATE_CHILD_SA exchange for Child SAs (RFC 7296 §1.3): a new Child SA (§1.3.1) or the
 * rekey of one (§1.3.3, §2.8), which adds N(REKEY_SA).
 *
 * ```text
 * Initiator                                     Responder
 * ---------                                     ---------
 * HDR, SK {[N(REKEY_SA),] SA, Ni, [KEi,]
 *          TSi, TSr}                -->
 *                                   <--  HDR, SK {SA, Nr, [KEr,] TSi, TSr}
 * ```
 *
 * The REKEY_SA notify carries the initiator's inbound SPI of the Child SA being replaced, which
 * is the responder's outbound SPI. ESP proposals may carry KE transforms (PFS): then KEi/KEr
 * are exchanged and the new keys are KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr) (§2.17).
 *
 * The initiator side is {@link createChildRequest} (build) and {@link acceptCreateChild}
 * (process); the responder side is {@link answerCreateChild}. What happens to the old SA afterwards (the
 * initiator of the rekey deletes it, §2.8) is the session's job.
 *
 * @packageDocumentation
 */
import { CryptoError, type KeyExchange } from "../../../crypto/backend.js";
import { keGroupById, ProtocolId, TransformType } from "../../../crypto/registry.js";
import { zeroize } from "../../../wire/bytes.js";
import type { Payload } from "../../chain.js";
import { isErrorNotify, NotifyType } from "../../constants.js";
import { deriveChildSaKeys } from "../../keys.js";
import type { KePayload } from "../../payloads/ke.js";
import type { NoncePayload } from "../../payloads/nonce.js";
import type { NotifyPayload } from "../../payloads/notify.js";
import type { Proposal, SaPayload, Transform } from "../../payloads/sa.js";
import type { TrafficSelector, TsPayload } from "../../payloads/ts.js";
import {
  type ChildSa,
  childSpiBytes,
  childSpiNumber,
  type IkeSaContext,
  NONCE_LENGTH,
  notify,
} from "../context.js";
import type { EspProposalConfig } from "../proposal-strings.js";
import { acceptEsp, type EspChoice, espSaPayload, selectEsp } from "../proposals.js";
import { isNarrowingOf, narrow } from "../traffic-selectors.js";
import { copySelector, espOptions } from "./child-sa.js";

/** RFC 7296 §3.3.2: Key Exchange Method 0 is NONE. */
const KE_NONE = 0;
const MIN_SPI = 256;

/** What an initiator's CREATE_CHILD_SA asks for: a new Child SA, or the rekey of `old`. @internal */
export interface CreateChildSpec {
  /** The Child SA being replaced; absent for a new Child SA. */
  readonly old?: ChildSa;
  /** Our selectors (TSi). */
  readonly localTs: readonly TrafficSelector[];
  /** The peer's selectors (TSr). */
  readonly remoteTs: readonly TrafficSelector[];
  /** The mode to ask for. */
  readonly mode: "tunnel" | "transport";
}

/** An initiator's CREATE_CHILD_SA request for a Child SA, kept to process the answer. @internal */
export interface CreateChildRequest {
  /** What was asked for. */
  readonly spec: CreateChildSpec;
  /** The request's inner payloads. */
  readonly payloads: readonly Payload[];
  /** Our inbound SPI of the new Child SA. */
  readonly inboundSpi: number;
  /** Ni of this exchange. */
  readonly ni: Uint8Array;
  /** Our key exchange when PFS is proposed. */
  readonly ke: KeyExchange | undefined;
}

/** The outcome of a CREATE_CHILD_SA for a Child SA. @internal */
export type CreateChildOutcome =
  | {
      readonly kind: "created";
      /** The Child SA the new one replaces (a rekey), or undefined. */
      readonly old: ChildSa | undefined;
      readonly child: ChildSa;
      /** Ni and Nr of the exchange, to settle a simultaneous rekey (RFC 7296 §2.8.1). */
      readonly nonces: readonly [Uint8Array, Uint8Array];
    }
  | { readonly kind: "refused"; readonly notifyType: number };

function u16(n: number): Uint8Array {
  return Uint8Array.of(n >>> 8, n & 0xff);
}

function allocate(ctx: IkeSaContext): number {
  const spi = ctx.deps.allocateSpi();
  // RFC 4303 §2.1: SPIs 0–255 are reserved; the allocator is ours, so this is a programming error.
  if (!Number.isInteger(spi) || spi < MIN_SPI || spi > 0xffffffff) {
    throw new RangeError(`allocateSpi returned ${spi}, not 256..2^32-1`);
  }
  return spi;
}

function find<T extends Payload["type"]>(
  payloads: readonly Payload[],
  type: T,
): Extract<Payload, { type: T }> | undefined {
  return payloads.find((p): p is Extract<Payload, { type: T }> => p.type === type);
}

function hasNotify(payloads: readonly Payload[], notifyType: number): boolean {
  return payloads.some((p) => p.type === "N" && p.notifyType === notifyType);
}

function keTransform(id: number): Transform {
  return { transformType: TransformType.KE, id, attributes: [] };
}

function keIds(p: Proposal): number[] {
  return p.transforms.filter((t) => t.transformType === TransformType.KE).map((t) => t.id);
}

/** Our ESP proposals with their PFS groups as KE transforms (RFC 7296 §1.3.1, §3.3.3). */
function espPfsSaPayload(proposals: readonly EspProposalConfig[], spi: Uint8Array): SaPayload {
  const sa = espSaPayload(proposals, spi);
  return {
    type: "SA",
    proposals: sa.proposals.map((p, i) => ({
      number: p.number,
      protocolId: p.protocolId,
      spi: p.spi,
      transforms: [...p.transforms, ...(proposals[i]?.ke ?? []).map(keTransform)],
    })),
  };
}

/**
 * Responder: the first of the initiator's proposals one of ours accepts, with the key exchange
 * method: the first offered group our proposal lists, or none when our proposal asks for no PFS
 * and the offer allows that (no KE transform, or NONE).
 */
function selectWithKe(
  offered: SaPayload,
  ours: readonly EspProposalConfig[],
): { readonly choice: EspChoice; readonly group: number | undefined } | undefined {
  for (const p of offered.proposals) {
    const groups = keIds(p);
    for (const c of ours) {
      const choice = selectEsp({ type: "SA", proposals: [p] }, [c]);
      if (choice === undefined) continue;
      if (c.ke.length === 0) {
        if (groups.length === 0 || groups.includes(KE_NONE)) return { choice, group: undefined };
        continue;
      }
      const group = groups.find((g) => c.ke.includes(g));
      if (group !== undefined) return { choice, group };
    }
  }
  return undefined;
}

/** What a new Child SA is made of, besides the IKE SA's SK_d and PRF. */
interface ChildParts {
  readonly choice: EspChoice;
  readonly inboundSpi: number;
  readonly outboundSpi: number;
  readonly local: readonly TrafficSelector[];
  readonly remote: readonly TrafficSelector[];
  readonly mode: "tunnel" | "transport";
  readonly peerAcceptsTfcPadding: boolean;
  /** We initiated this CREATE_CHILD_SA exchange (not necessarily the IKE SA). */
  readonly initiator: boolean;
  readonly ni: Uint8Array;
  readonly nr: Uint8Array;
  /** g^ir (new), zeroized here once used. */
  readonly sharedSecret: Uint8Array | undefined;
}

/**
 * Derives the keys (RFC 7296 §2.17: KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr)) and describes
 * the Child SA. Ni, Nr and the "I" keys are those of the initiator of this CREATE_CHILD_SA
 * exchange, which may be the IKE SA's responder (as strongSwan's child_create does).
 * @throws CryptoError from the PRF.
 */
function makeChild(ctx: IkeSaContext, parts: ChildParts): ChildSa {
  const { choice } = parts;
  let keys: ReturnType<typeof deriveChildSaKeys>;
  try {
    keys = deriveChildSaKeys({
      backend: ctx.deps.backend,
      prf: ctx.ike!.prf,
      skD: ctx.keys!.skD,
      ni: parts.ni,
      nr: parts.nr,
      encryption: choice.encryption,
      ...(choice.keyBits === undefined ? {} : { keyBits: choice.keyBits }),
      ...(choice.integrity === undefined ? {} : { integrity: choice.integrity }),
      ...(parts.sharedSecret === undefined ? {} : { sharedSecret: parts.sharedSecret }),
    });
  } finally {
    if (parts.sharedSecret !== undefined) zeroize(parts.sharedSecret);
  }
  const initiator = parts.initiator;
  const send = initiator ? [keys.encryptionI, keys.integrityI] : [keys.encryptionR, keys.integrityR];
  const receive = initiator ? [keys.encryptionR, keys.integrityR] : [keys.encryptionI, keys.integrityI];
  return {
    inboundSpi: parts.inboundSpi,
    outboundSpi: parts.outboundSpi,
    keys,
    info: {
      inbound: espOptions(ctx, choice, parts.mode, parts.inboundSpi, receive[0]!, receive[1]!),
      outbound: espOptions(ctx, choice, parts.mode, parts.outboundSpi, send[0]!, send[1]!),
      mode: parts.mode,
      localTs: parts.local,
      remoteTs: parts.remote,
      localAddress: ctx.config.localAddress,
      remoteAddress: ctx.remote.address,
      peerAcceptsTfcPadding: parts.peerAcceptsTfcPadding,
      lifetime: ctx.config.childLifetime,
    },
  };
}

/**
 * Initiator: the CREATE_CHILD_SA request for a new Child SA (RFC 7296 §1.3.1) or, with
 * `spec.old`, for its replacement (§1.3.3). With PFS configured the KE payload is for `group`, by
 * default the first group of the first ESP proposal that has one.
 * @throws CryptoError when the backend lacks the group.
 * @internal
 */
export function createChildRequest(
  ctx: IkeSaContext,
  spec: CreateChildSpec,
  group?: number,
): CreateChildRequest {
  const { old } = spec;
  const { config } = ctx;
  const inboundSpi = allocate(ctx);
  const ni = ctx.deps.backend.randomBytes(NONCE_LENGTH);
  const pfs = group ?? config.espProposals.find((p) => p.ke.length > 0)?.ke[0];
  const ke = pfs === undefined ? undefined : ctx.deps.backend.keyExchange(pfs);
  const payloads: Payload[] = [];
  if (old !== undefined) {
    // RFC 7296 §1.3.3: REKEY_SA names the SA being rekeyed by our inbound SPI.
    payloads.push({
      type: "N",
      protocolId: ProtocolId.ESP,
      spi: childSpiBytes(old.inboundSpi),
      notifyType: NotifyType.REKEY_SA,
      data: new Uint8Array(0),
    });
  }
  // RFC 7296 §1.3.1: transport mode is asked for with USE_TRANSPORT_MODE (again when rekeying).
  if (spec.mode === "transport") payloads.push(notify(NotifyType.USE_TRANSPORT_MODE));
  payloads.push(espPfsSaPayload(config.espProposals, childSpiBytes(inboundSpi)), { type: "Nonce", data: ni });
  if (ke !== undefined) payloads.push({ type: "KE", group: ke.group, data: ke.publicKey });
  payloads.push({ type: "TSi", selectors: spec.localTs }, { type: "TSr", selectors: spec.remoteTs });
  return { spec, payloads, inboundSpi, ni, ke };
}

/** The KE group named by an INVALID_KE_PAYLOAD answer, if it is one of ours (RFC 7296 §1.3, §3.10.1). @internal */
export function requestedGroup(ctx: IkeSaContext, response: readonly Payload[]): number | undefined {
  const n = response.find((p) => p.type === "N" && p.notifyType === NotifyType.INVALID_KE_PAYLOAD);
  if (n?.type !== "N" || n.data.length !== 2) return undefined;
  const group = (n.data[0]! << 8) | n.data[1]!;
  return ctx.config.espProposals.some((p) => p.ke.includes(group)) ? group : undefined;
}

/**
 * Initiator: processes the answer to {@link createChildRequest}. The answer must be one of our
 * proposals with the KE method we sent (or none when that proposal has no PFS), selectors within
 * those we proposed (RFC 7296 §2.9), or an error notify.
 * @internal
 */
export function acceptCreateChild(
  ctx: IkeSaContext,
  response: readonly Payload[],
  request: CreateChildRequest,
): CreateChildOutcome {
  const sa = find(response, "SA");
  const nr = find(response, "Nonce") as NoncePayload | undefined;
  const tsi = find(response, "TSi") as TsPayload | undefined;
  const tsr = find(response, "TSr") as TsPayload | undefined;
  if (sa === undefined || nr === undefined || tsi === undefined || tsr === undefined) {
    const error = response.find((p) => p.type === "N" && isErrorNotify(p.notifyType));
    return {
      kind: "refused",
      notifyType: error?.type === "N" ? error.notifyType : NotifyType.INVALID_SYNTAX,
    };
  }
  const refused = (why: string): CreateChildOutcome => {
    ctx.log.warn(`CREATE_CHILD_SA response: ${why}`);
    return { kind: "refused", notifyType: NotifyType.NO_PROPOSAL_CHOSEN };
  };
  const answered = sa.proposals[0];
  if (answered === undefined || sa.proposals.length !== 1) return refused("not one proposal");
  const groups = keIds(answered);
  const stripped: Proposal = {
    number: answered.number,
    protocolId: answered.protocolId,
    spi: answered.spi,
    transforms: answered.transforms.filter((t) => t.transformType !== TransformType.KE),
  };
  const choice = acceptEsp({ type: "SA", proposals: [stripped] }, ctx.config.espProposals);
  const proposed = ctx.config.espProposals[answered.number - 1];
  if (choice === undefined || proposed === undefined) return refused("proposal not among ours");
  const kePayload = find(response, "KE") as KePayload | undefined;
  const sent = request.ke?.group;
  // RFC 7296 §1.3.1: the responder picks one of the offered KE methods, the one KEi is for.
  const pfs = proposed.ke.length > 0;
  if (pfs ? groups.length !== 1 || groups[0] !== sent : groups.length !== 0 || kePayload !== undefined) {
    return refused("key exchange method not the one we sent");
  }
  if (
    !isNarrowingOf(tsi.selectors, request.spec.localTs) ||
    !isNarrowingOf(tsr.selectors, request.spec.remoteTs)
  ) {
    return refused("selectors not within the rekeyed SA's");
  }
  let sharedSecret: Uint8Array | undefined;
  if (pfs) {
    if (kePayload === undefined || kePayload.group !== sent) return refused("no KEr for our group");
    try {
      sharedSecret = request.ke!.computeSharedSecret(kePayload.data);
    } catch (e) {
      if (!(e instanceof CryptoError)) throw e;
      return refused(e.message);
    }
  }
  const transport = request.spec.mode === "transport" && hasNotify(response, NotifyType.USE_TRANSPORT_MODE);
  const parts: ChildParts = {
    choice,
    inboundSpi: request.inboundSpi,
    outboundSpi: childSpiNumber(answered.spi),
    local: tsi.selectors.map(copySelector),
    remote: tsr.selectors.map(copySelector),
    mode: transport ? "transport" : "tunnel",
    peerAcceptsTfcPadding: !hasNotify(response, NotifyType.ESP_TFC_PADDING_NOT_SUPPORTED),
    ni: request.ni,
    nr: nr.data.slice(),
    sharedSecret,
    initiator: true,
  };
  return created(ctx, request.spec.old, parts);
}

function created(ctx: IkeSaContext, old: ChildSa | undefined, parts: ChildParts): CreateChildOutcome {
  try {
    return { kind: "created", old, child: makeChild(ctx, parts), nonces: [parts.ni, parts.nr] };
  } catch (e) {
    if (!(e instanceof CryptoError)) throw e;
    ctx.log.warn(`Child SA: ${e.message}`);
    return { kind: "refused", notifyType: NotifyType.NO_PROPOSAL_CHOSEN };
  }
}

/**
 * The request that deletes a Child SA: `SK {D(ESP, our inbound SPI)}` (RFC 7296 §1.4.1).
 * @internal
 */
export function deleteChildRequest(child: ChildSa): Payload[] {
  return [{ type: "D", protocolId: ProtocolId.ESP, spis: [childSpiBytes(child.inboundSpi)] }];
}

/** The responder's answer to a CREATE_CHILD_SA request for a Child SA. @internal */
export interface CreateChildAnswer {
  readonly payloads: readonly Payload[];
  readonly outcome: CreateChildOutcome;
}

/**
 * The REKEY_SA notify of a CREATE_CHILD_SA request, if it has one.
 * @internal
 */
export function rekeySaNotify(request: readonly Payload[]): NotifyPayload | undefined {
  return request.find((p): p is NotifyPayload => p.type === "N" && p.notifyType === NotifyType.REKEY_SA);
}

/**
 * Responder: answers a CREATE_CHILD_SA request for a new Child SA (RFC 7296 §1.3.1) or, with its
 * REKEY_SA notify `rekey`, for the rekey of one (§1.3.3). `closing` tells whether a Child SA is on
 * its way out here (being deleted, or already replaced): such a rekey gets TEMPORARY_FAILURE
 * (§2.25.1). Nothing changes unless the outcome is `created`.
 * @internal
 */
export function answerCreateChild(
  ctx: IkeSaContext,
  request: readonly Payload[],
  rekey: NotifyPayload | undefined,
  closing: (child: ChildSa) => boolean,
): CreateChildAnswer {
  const refuse = (notifyType: number, data: Uint8Array = new Uint8Array(0)): CreateChildAnswer => ({
    payloads: [notify(notifyType, data)],
    outcome: { kind: "refused", notifyType },
  });
  let old: ChildSa | undefined;
  if (rekey !== undefined) {
    const found = rekeyedChild(ctx, rekey);
    if (found.kind === "not-found")
      return {
        payloads: [found.notify],
        outcome: { kind: "refused", notifyType: NotifyType.CHILD_SA_NOT_FOUND },
      };
    old = found.child;
    // RFC 7296 §2.25.1: "If a peer receives a request to rekey a Child SA that it is currently
    // trying to close, it SHOULD reply with TEMPORARY_FAILURE."
    if (closing(old)) return refuse(NotifyType.TEMPORARY_FAILURE);
  }
  return negotiate(ctx, request, old, refuse);
}

/** The Child SA a REKEY_SA notify names, or the CHILD_SA_NOT_FOUND to answer with (RFC 7296 §2.25). */
function rekeyedChild(
  ctx: IkeSaContext,
  rekey: NotifyPayload,
):
  | { readonly kind: "found"; readonly child: ChildSa }
  | { readonly kind: "not-found"; readonly notify: NotifyPayload } {
  const isChildSpi =
    (rekey.protocolId === ProtocolId.ESP || rekey.protocolId === ProtocolId.AH) && rekey.spi.length === 4;
  // Only ESP Child SAs exist; the peer names its inbound SPI, our outbound one (RFC 7296 §3.10.1).
  const old =
    rekey.protocolId === ProtocolId.ESP && isChildSpi
      ? ctx.children.find((c) => c.outboundSpi === childSpiNumber(rekey.spi))
      : undefined;
  if (old === undefined) {
    // RFC 7296 §2.25: CHILD_SA_NOT_FOUND copies the SPI of the REKEY_SA notify. A protocol other
    // than ESP or AH is not echoed (CVE-2023-38710): the notify is then about the IKE SA.
    ctx.log.warn(`CREATE_CHILD_SA: no Child SA for REKEY_SA (protocol ${rekey.protocolId})`);
    const payload: NotifyPayload = isChildSpi
      ? {
          type: "N",
          protocolId: rekey.protocolId,
          spi: rekey.spi.slice(),
          notifyType: NotifyType.CHILD_SA_NOT_FOUND,
          data: new Uint8Array(0),
        }
      : notify(NotifyType.CHILD_SA_NOT_FOUND);
    return { kind: "not-found", notify: payload };
  }
  return { kind: "found", child: old };
}

/** The responder's negotiation of the new Child SA (RFC 7296 §1.3.1), replacing `old` if set. */
function negotiate(
  ctx: IkeSaContext,
  request: readonly Payload[],
  old: ChildSa | undefined,
  refuse: (notifyType: number, data?: Uint8Array) => CreateChildAnswer,
): CreateChildAnswer {
  const sa = find(request, "SA")!;
  const ni = find(request, "Nonce") as NoncePayload;
  const tsi = find(request, "TSi") as TsPayload | undefined;
  const tsr = find(request, "TSr") as TsPayload | undefined;
  // RFC 7296 §1.3.1, §1.3.3: a Child SA's request carries TSi and TSr (the rules keep them together).
  if (tsi === undefined || tsr === undefined) return refuse(NotifyType.INVALID_SYNTAX);
  const selected = selectWithKe(sa, ctx.config.espProposals);
  if (selected === undefined) return refuse(NotifyType.NO_PROPOSAL_CHOSEN);
  const { choice, group } = selected;
  const kei = find(request, "KE") as KePayload | undefined;
  if (group === undefined) {
    // A KE payload without a negotiated KE method is a malformed request.
    if (kei !== undefined) return refuse(NotifyType.INVALID_SYNTAX);
  } else {
    // RFC 7296 §1.3: KEi for another group than the chosen one gets INVALID_KE_PAYLOAD naming ours.
    if (kei === undefined || kei.group !== group) return refuse(NotifyType.INVALID_KE_PAYLOAD, u16(group));
    // CVE-2023-41913: a public value of the wrong length is malformed.
    if (keGroupById(group)?.publicKeyLength !== kei.data.length) return refuse(NotifyType.INVALID_SYNTAX);
  }
  // RFC 7296 §2.9: narrow to what policy allows; nothing in common is TS_UNACCEPTABLE.
  const remote = narrow(tsi.selectors, ctx.config.remoteTs);
  const local = narrow(tsr.selectors, ctx.config.localTs);
  if (remote.length === 0 || local.length === 0) return refuse(NotifyType.TS_UNACCEPTABLE);
  let ours: KeyExchange | undefined;
  let sharedSecret: Uint8Array | undefined;
  try {
    if (group !== undefined) {
      ours = ctx.deps.backend.keyExchange(group);
      sharedSecret = ours.computeSharedSecret(kei!.data);
    }
  } catch (e) {
    ours?.destroy();
    if (!(e instanceof CryptoError)) throw e;
    ctx.log.warn(`CREATE_CHILD_SA: ${e.message}`);
    return refuse(
      e.code === "invalid-public-key" ? NotifyType.INVALID_SYNTAX : NotifyType.NO_PROPOSAL_CHOSEN,
    );
  }
  const transport = ctx.config.mode === "transport" && hasNotify(request, NotifyType.USE_TRANSPORT_MODE);
  const inboundSpi = allocate(ctx);
  const nr = ctx.deps.backend.randomBytes(NONCE_LENGTH);
  const publicKey = ours?.publicKey.slice();
  ours?.destroy();
  const outcome = created(ctx, old, {
    choice,
    inboundSpi,
    outboundSpi: childSpiNumber(choice.proposal.spi),
    local,
    remote,
    mode: transport ? "transport" : "tunnel",
    peerAcceptsTfcPadding: !hasNotify(request, NotifyType.ESP_TFC_PADDING_NOT_SUPPORTED),
    ni: ni.data.slice(),
    nr,
    sharedSecret,
    initiator: false,
  });
  if (outcome.kind !== "created") return refuse(NotifyType.NO_PROPOSAL_CHOSEN);
  const payloads: Payload[] = [];
  // RFC 7296 §1.3.1: the responder accepts transport mode by echoing USE_TRANSPORT_MODE.
  if (transport) payloads.push(notify(NotifyType.USE_TRANSPORT_MODE));
  const proposal: Proposal = {
    number: choice.proposal.number,
    protocolId: choice.proposal.protocolId,
    spi: childSpiBytes(inboundSpi),
    transforms: [...choice.proposal.transforms, ...(group === undefined ? [] : [keTransform(group)])],
  };
  payloads.push({ type: "SA", proposals: [proposal] }, { type: "Nonce", data: nr });
  if (group !== undefined) payloads.push({ type: "KE", group, data: publicKey! });
  payloads.push({ type: "TSi", selectors: remote }, { type: "TSr", selectors: local });
  return { payloads, outcome };
}

/**
 * Octet-by-octet comparison of two nonces; a nonce that is a prefix of the other is the lower
 * (RFC 7296 §2.8.1: "If you reach the end of one nonce, that nonce is the lower one").
 * @internal
 */
export function compareNonces(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

/** The lowest of an exchange's nonces. @internal */
export function lowestNonce(nonces: readonly Uint8Array[]): Uint8Array {
  return nonces.reduce((low, n) => (compareNonces(n, low) < 0 ? n : low));
}
