/**
 * The first Child SA, carried by IKE_AUTH (RFC 7296 §1.2): ESP proposals with our inbound SPI,
 * traffic selectors and their narrowing (§2.9), USE_TRANSPORT_MODE (§1.3.1), TFC padding support
 * (§3.10.1), and the keys (§2.17). A failure here is reported with NO_PROPOSAL_CHOSEN or
 * TS_UNACCEPTABLE and leaves the IKE SA standing (§1.2, §2.21.2).
 *
 * @packageDocumentation
 */
import { CryptoError } from "../../../crypto/backend.js";
import type { EspSaOptions } from "../../../esp/options.js";
import type { Payload } from "../../chain.js";
import { isErrorNotify, NotifyType } from "../../constants.js";
import { deriveChildSaKeys } from "../../keys.js";
import type { SaPayload } from "../../payloads/sa.js";
import type { TrafficSelector, TsPayload } from "../../payloads/ts.js";
import { type ChildSa, childSpiBytes, childSpiNumber, type IkeSaContext, notify } from "../context.js";
import { acceptEsp, type EspChoice, espSaPayload, selectEsp, withSpi } from "../proposals.js";
import { isNarrowingOf, narrow } from "../traffic-selectors.js";

/** What the initiator proposed, kept to check the answer. @internal */
export interface ChildRequest {
  /** SA, TSi, TSr and the mode notify, for the IKE_AUTH request. */
  readonly payloads: readonly Payload[];
  /** Our inbound SPI, sent in every proposal. */
  readonly inboundSpi: number;
  /** The TSi we proposed. */
  readonly localTs: readonly TrafficSelector[];
}

/** The result of negotiating a Child SA: the SA, or the error notify that refused it. @internal */
export type ChildOutcome =
  | { readonly kind: "created"; readonly child: ChildSa }
  | { readonly kind: "refused"; readonly notifyType: number }
  | { readonly kind: "none" };

const MIN_SPI = 256;

function allocate(ctx: IkeSaContext): number {
  const spi = ctx.deps.allocateSpi();
  // RFC 4303 §2.1: SPIs 0–255 are reserved; the allocator is ours, so this is a programming error.
  if (!Number.isInteger(spi) || spi < MIN_SPI || spi > 0xffffffff) {
    throw new RangeError(`allocateSpi returned ${spi}, not 256..2^32-1`);
  }
  return spi;
}

function hasNotify(payloads: readonly Payload[], notifyType: number): boolean {
  return payloads.some((p) => p.type === "N" && p.notifyType === notifyType);
}

function ts(payloads: readonly Payload[], type: "TSi" | "TSr"): TsPayload | undefined {
  return payloads.find((p): p is TsPayload => p.type === type);
}

/**
 * The initiator's Child SA payloads for IKE_AUTH, proposing `localTs` as TSi (the configured
 * selectors, or "any" while our virtual IP is being assigned, RFC 7296 §2.19).
 * @internal
 */
export function childRequest(
  ctx: IkeSaContext,
  localTs: readonly TrafficSelector[] = ctx.config.localTs,
): ChildRequest {
  const { config } = ctx;
  const inboundSpi = allocate(ctx);
  const payloads: Payload[] = [];
  // RFC 7296 §1.3.1: transport mode is requested with USE_TRANSPORT_MODE.
  if (config.mode === "transport") payloads.push(notify(NotifyType.USE_TRANSPORT_MODE));
  payloads.push(
    espSaPayload(config.espProposals, childSpiBytes(inboundSpi)),
    { type: "TSi", selectors: localTs },
    { type: "TSr", selectors: config.remoteTs },
  );
  return { payloads, inboundSpi, localTs };
}

/**
 * The ESP options of one direction of a Child SA: the negotiated transforms, that direction's
 * SPI and keys, and UDP encapsulation when the IKE SA is behind a NAT.
 * @internal
 */
export function espOptions(
  ctx: IkeSaContext,
  choice: EspChoice,
  mode: "tunnel" | "transport",
  spi: number,
  encryptionKey: Uint8Array,
  integrityKey: Uint8Array,
): EspSaOptions {
  return {
    spi,
    encryption: choice.encryption.name,
    encryptionKey,
    ...(choice.integrity === undefined ? {} : { integrity: choice.integrity.name, integrityKey }),
    mode,
    esn: choice.esn,
    // RFC 7296 §2.23: with a NAT, ESP travels in UDP between the ports IKE uses.
    ...(ctx.natT
      ? { udpEncapsulation: { sourcePort: ctx.localPort, destinationPort: ctx.remote.port } }
      : {}),
    allowLegacy: ctx.config.allowLegacy,
  };
}

/**
 * Derives the keys and describes the Child SA. "I" keys protect traffic from the original
 * initiator (RFC 7296 §2.17), so the initiator sends with them and the responder receives.
 * @throws CryptoError from the PRF.
 */
function makeChild(
  ctx: IkeSaContext,
  choice: EspChoice,
  inboundSpi: number,
  outboundSpi: number,
  selectors: { readonly local: readonly TrafficSelector[]; readonly remote: readonly TrafficSelector[] },
  mode: "tunnel" | "transport",
  peerAcceptsTfcPadding: boolean,
): ChildSa {
  const keys = deriveChildSaKeys({
    backend: ctx.deps.backend,
    prf: ctx.ike!.prf,
    skD: ctx.keys!.skD,
    ni: ctx.ni!,
    nr: ctx.nr!,
    encryption: choice.encryption,
    ...(choice.keyBits === undefined ? {} : { keyBits: choice.keyBits }),
    ...(choice.integrity === undefined ? {} : { integrity: choice.integrity }),
  });
  const initiator = ctx.role === "initiator";
  const send = initiator ? [keys.encryptionI, keys.integrityI] : [keys.encryptionR, keys.integrityR];
  const receive = initiator ? [keys.encryptionR, keys.integrityR] : [keys.encryptionI, keys.integrityI];
  return {
    inboundSpi,
    outboundSpi,
    keys,
    info: {
      inbound: espOptions(ctx, choice, mode, inboundSpi, receive[0]!, receive[1]!),
      outbound: espOptions(ctx, choice, mode, outboundSpi, send[0]!, send[1]!),
      mode,
      localTs: selectors.local,
      remoteTs: selectors.remote,
      localAddress: ctx.config.localAddress,
      remoteAddress: ctx.remote.address,
      peerAcceptsTfcPadding,
      lifetime: ctx.config.childLifetime,
    },
  };
}

/** Runs `make`, turning a backend refusal into NO_PROPOSAL_CHOSEN (CVE-2018-10811 class). */
function created(ctx: IkeSaContext, make: () => ChildSa): ChildOutcome {
  try {
    return { kind: "created", child: make() };
  } catch (e) {
    if (!(e instanceof CryptoError)) throw e;
    ctx.log.warn(`Child SA: ${e.message}`);
    return { kind: "refused", notifyType: NotifyType.NO_PROPOSAL_CHOSEN };
  }
}

/**
 * The responder's answer to the Child SA part of an IKE_AUTH request: the response payloads and
 * the outcome. `cp` is what the configuration payload decided (RFC 7296 §2.19): a notify that
 * refuses the Child SA (sent with the CP answer), or the initiator's assigned addresses, which
 * its TSi is narrowed to.
 * @internal
 */
export function answerChild(
  ctx: IkeSaContext,
  request: readonly Payload[],
  cp?: {
    readonly refuse: number | undefined;
    readonly peerSelectors: readonly TrafficSelector[] | undefined;
  },
): { readonly payloads: readonly Payload[]; readonly outcome: ChildOutcome } {
  const sa = request.find((p): p is SaPayload => p.type === "SA");
  const tsi = ts(request, "TSi");
  const tsr = ts(request, "TSr");
  // RFC 6023: an IKE_AUTH without SA, TSi and TSr creates no Child SA (the rules keep them together).
  if (sa === undefined || tsi === undefined || tsr === undefined)
    return { payloads: [], outcome: { kind: "none" } };
  const refuse = (notifyType: number) => ({
    payloads: [notify(notifyType)],
    outcome: { kind: "refused", notifyType } as const,
  });
  // RFC 7296 §2.19, §3.10.1: after INTERNAL_ADDRESS_FAILURE or FAILED_CP_REQUIRED no Child SA.
  if (cp?.refuse !== undefined) return { payloads: [], outcome: { kind: "refused", notifyType: cp.refuse } };
  const choice = selectEsp(sa, ctx.config.espProposals);
  if (choice === undefined) return refuse(NotifyType.NO_PROPOSAL_CHOSEN);
  // RFC 7296 §2.9: narrow to what policy allows; nothing in common is TS_UNACCEPTABLE. §2.19: an
  // initiator given a virtual IP gets TSi narrowed to it.
  const allowed = narrow(tsi.selectors, ctx.config.remoteTs);
  const remote = cp?.peerSelectors === undefined ? allowed : narrow(allowed, cp.peerSelectors);
  const local = narrow(tsr.selectors, ctx.config.localTs);
  if (remote.length === 0 || local.length === 0) return refuse(NotifyType.TS_UNACCEPTABLE);
  const transport = ctx.config.mode === "transport" && hasNotify(request, NotifyType.USE_TRANSPORT_MODE);
  const tfc = !hasNotify(request, NotifyType.ESP_TFC_PADDING_NOT_SUPPORTED);
  const inboundSpi = allocate(ctx);
  const outcome = created(ctx, () =>
    makeChild(
      ctx,
      choice,
      inboundSpi,
      childSpiNumber(choice.proposal.spi),
      { local, remote },
      transport ? "transport" : "tunnel",
      tfc,
    ),
  );
  if (outcome.kind !== "created") return refuse(NotifyType.NO_PROPOSAL_CHOSEN);
  const payloads: Payload[] = [];
  // RFC 7296 §1.3.1: the responder accepts transport mode by echoing USE_TRANSPORT_MODE.
  if (transport) payloads.push(notify(NotifyType.USE_TRANSPORT_MODE));
  payloads.push(
    { type: "SA", proposals: [withSpi(choice.proposal, childSpiBytes(inboundSpi))] },
    { type: "TSi", selectors: remote },
    { type: "TSr", selectors: local },
  );
  return { payloads, outcome };
}

/**
 * The initiator's check of the Child SA part of the IKE_AUTH response: an ESP proposal we made,
 * selectors within ours (RFC 7296 §2.9), or the error notify the responder sent instead. With
 * `virtualIps` (our assigned addresses, RFC 7296 §2.19), our selectors are the responder's TSi
 * narrowed to them.
 * @internal
 */
export function acceptChild(
  ctx: IkeSaContext,
  response: readonly Payload[],
  request: ChildRequest,
  virtualIps?: readonly TrafficSelector[],
): ChildOutcome {
  const sa = response.find((p): p is SaPayload => p.type === "SA");
  const tsi = ts(response, "TSi");
  const tsr = ts(response, "TSr");
  if (sa === undefined || tsi === undefined || tsr === undefined) {
    const error = response.find((p) => p.type === "N" && isErrorNotify(p.notifyType));
    return error?.type === "N" ? { kind: "refused", notifyType: error.notifyType } : { kind: "none" };
  }
  const choice = acceptEsp(sa, ctx.config.espProposals);
  if (
    choice === undefined ||
    !isNarrowingOf(tsi.selectors, request.localTs) ||
    !isNarrowingOf(tsr.selectors, ctx.config.remoteTs)
  ) {
    ctx.log.warn("IKE_AUTH response: Child SA proposal or selectors not within what we proposed");
    return { kind: "refused", notifyType: NotifyType.NO_PROPOSAL_CHOSEN };
  }
  const local =
    virtualIps === undefined ? tsi.selectors.map(copySelector) : narrow(tsi.selectors, virtualIps);
  if (local.length === 0) {
    ctx.log.warn("IKE_AUTH response: TSi does not include our virtual IP");
    return { kind: "refused", notifyType: NotifyType.TS_UNACCEPTABLE };
  }
  const transport = ctx.config.mode === "transport" && hasNotify(response, NotifyType.USE_TRANSPORT_MODE);
  const tfc = !hasNotify(response, NotifyType.ESP_TFC_PADDING_NOT_SUPPORTED);
  return created(ctx, () =>
    makeChild(
      ctx,
      choice,
      request.inboundSpi,
      childSpiNumber(choice.proposal.spi),
      { local, remote: tsr.selectors.map(copySelector) },
      transport ? "transport" : "tunnel",
      tfc,
    ),
  );
}

/**
 * Decoded selectors are views into the datagram; a Child SA keeps its own copies. (Field by
 * field: Node 20's V8 adds properties that follow a spread in the runtime, about a microsecond
 * apiece.)
 * @internal
 */
export function copySelector(s: TrafficSelector): TrafficSelector {
  return {
    tsType: s.tsType,
    ipProtocol: s.ipProtocol,
    startPort: s.startPort,
    endPort: s.endPort,
    startAddress: s.startAddress.slice(),
    endAddress: s.endAddress.slice(),
  };
}
