/**
 * Rekeying the IKE SA with CREATE_CHILD_SA (RFC 7296 §1.3.2, §2.18):
 *
 * ```text
 * Initiator                                     Responder
 * ---------                                     ---------
 * HDR, SK {SA, Ni, KEi}             -->
 *                                   <--  HDR, SK {SA, Nr, KEr}
 * ```
 *
 * The SA payload's IKE proposals carry the sender's new 8-octet SPI (§3.3.1). The new IKE SA's
 * initiator is the initiator of this exchange (§2.18), whichever role it had in the old one; its
 * keys are SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the old SA's PRF, then prf+ of
 * the new one ({@link deriveRekeyedIkeSaKeys}).
 *
 * The tasks here only compute the new SA ({@link NextIkeSa}); moving to it is the session's job.
 *
 * @packageDocumentation
 */
import { CryptoError, type KeyExchange } from "../../../crypto/backend.js";
import { keGroupById, ProtocolId } from "../../../crypto/registry.js";
import { equalConstantTime, zeroize } from "../../../wire/bytes.js";
import type { Payload } from "../../chain.js";
import { isErrorNotify, NotifyType } from "../../constants.js";
import { deriveRekeyedIkeSaKeys, type IkeSaKeys } from "../../keys.js";
import type { KePayload } from "../../payloads/ke.js";
import type { NoncePayload } from "../../payloads/nonce.js";
import type { SaPayload } from "../../payloads/sa.js";
import { type IkeRole, SkProtection } from "../../sk-protect.js";
import { type IkeSaContext, NONCE_LENGTH, notify, randomIkeSpi } from "../context.js";
import { acceptIke, type IkeChoice, ikeSaPayload, ikeSuite, selectIke, withSpi } from "../proposals.js";

const IKE_SPI_LENGTH = 8;
const ZERO_SPI = new Uint8Array(IKE_SPI_LENGTH);

/** The IKE SA that replaces the current one, ready to be moved to. @internal */
export interface NextIkeSa {
  /** Our role in the new IKE SA: the role we had in the rekey exchange. */
  readonly role: IkeRole;
  readonly spiI: Uint8Array;
  readonly spiR: Uint8Array;
  readonly ni: Uint8Array;
  readonly nr: Uint8Array;
  readonly ike: IkeChoice;
  readonly keys: IkeSaKeys;
  readonly sk: SkProtection;
}

/** An initiator's IKE SA rekey request, kept to process the answer. @internal */
export interface IkeRekeyRequest {
  readonly payloads: readonly Payload[];
  /** Our new SPI: SPIi of the new IKE SA. */
  readonly spi: Uint8Array;
  readonly ni: Uint8Array;
  readonly ke: KeyExchange;
}

/** The outcome of an IKE SA rekey: the new SA, or the error notify that refused it. @internal */
export type IkeRekeyOutcome =
  | { readonly kind: "rekeyed"; readonly next: NextIkeSa }
  | { readonly kind: "refused"; readonly notifyType: number };

function u16(n: number): Uint8Array {
  return Uint8Array.of(n >>> 8, n & 0xff);
}

/** Destroys a computed next IKE SA that is not used. @internal */
export function destroyNext(next: NextIkeSa): void {
  next.sk.destroy();
  next.keys.destroy();
}

/**
 * Derives the new IKE SA's keys (RFC 7296 §2.18) and its SK protection; zeroizes `sharedSecret`.
 * @throws CryptoError from the PRF or the suite.
 */
function deriveNext(
  ctx: IkeSaContext,
  choice: IkeChoice,
  role: IkeRole,
  spis: { readonly spiI: Uint8Array; readonly spiR: Uint8Array },
  ni: Uint8Array,
  nr: Uint8Array,
  sharedSecret: Uint8Array,
): NextIkeSa {
  const suite = ikeSuite(choice, ctx.config.allowLegacy);
  const backend = ctx.deps.backend;
  let keys: IkeSaKeys | undefined;
  try {
    // The suite is spread last (no key overlaps): see installKeys in ike-sa-init.ts.
    keys = deriveRekeyedIkeSaKeys({
      backend,
      ni,
      nr,
      sharedSecret,
      spiI: spis.spiI,
      spiR: spis.spiR,
      // RFC 7296 §2.18: "the rekeying exchange belongs to the old IKE SA", so its PRF and SK_d.
      oldPrf: ctx.ike!.prf,
      oldSkD: ctx.keys!.skD,
      ...suite,
    });
    const sk = new SkProtection({ backend, keys, role, ...suite });
    return { role, spiI: spis.spiI, spiR: spis.spiR, ni, nr, ike: choice, keys, sk };
  } catch (e) {
    keys?.destroy();
    throw e;
  } finally {
    zeroize(sharedSecret);
  }
}

/**
 * Initiator: the request that rekeys the IKE SA, with our IKE proposals, a new SPI, and KEi for
 * `group` (default: the IKE SA's current group).
 * @throws CryptoError when the backend lacks the group.
 * @internal
 */
export function ikeRekeyRequest(ctx: IkeSaContext, group: number = ctx.ike!.ke.id): IkeRekeyRequest {
  const spi = randomIkeSpi(ctx.deps);
  const ni = ctx.deps.backend.randomBytes(NONCE_LENGTH);
  const ke = ctx.deps.backend.keyExchange(group);
  const sa = ikeSaPayload(ctx.config.ikeProposals);
  const payloads: Payload[] = [
    // RFC 7296 §3.3.1: when rekeying an IKE SA, each proposal carries the sender's new SPI.
    { type: "SA", proposals: sa.proposals.map((p) => withSpi(p, spi)) },
    { type: "Nonce", data: ni },
    { type: "KE", group: ke.group, data: ke.publicKey },
  ];
  return { payloads, spi, ni, ke };
}

function validSpi(spi: Uint8Array): boolean {
  return spi.length === IKE_SPI_LENGTH && !equalConstantTime(spi, ZERO_SPI);
}

/** Is this CREATE_CHILD_SA request a rekey of the IKE SA (RFC 7296 §1.3.2: an IKE proposal)? @internal */
export function isIkeRekey(request: readonly Payload[]): boolean {
  const sa = request.find((p): p is SaPayload => p.type === "SA");
  return sa?.proposals[0]?.protocolId === ProtocolId.IKE;
}

/**
 * Responder: answers a request to rekey the IKE SA. Nothing changes here; the session moves to
 * the new SA once the old one is deleted.
 * @internal
 */
export function answerIkeRekey(
  ctx: IkeSaContext,
  request: readonly Payload[],
): { readonly payloads: readonly Payload[]; readonly outcome: IkeRekeyOutcome } {
  const refuse = (notifyType: number, data: Uint8Array = new Uint8Array(0)) => ({
    payloads: [notify(notifyType, data)],
    outcome: { kind: "refused", notifyType } as const,
  });
  const sa = request.find((p): p is SaPayload => p.type === "SA")!;
  const ni = request.find((p): p is NoncePayload => p.type === "Nonce")!;
  const kei = request.find((p): p is KePayload => p.type === "KE");
  // RFC 7296 §1.3.2: HDR, SK {SA, Ni, KEi}; no traffic selectors.
  if (kei === undefined || request.some((p) => p.type === "TSi")) return refuse(NotifyType.INVALID_SYNTAX);
  const choice = selectIke(sa, ctx.config.ikeProposals);
  if (choice === undefined || !validSpi(choice.proposal.spi)) return refuse(NotifyType.NO_PROPOSAL_CHOSEN);
  // RFC 7296 §1.3.2 with §1.2: KEi for another group gets INVALID_KE_PAYLOAD naming ours.
  if (kei.group !== choice.ke.id) return refuse(NotifyType.INVALID_KE_PAYLOAD, u16(choice.ke.id));
  if (keGroupById(kei.group)?.publicKeyLength !== kei.data.length) return refuse(NotifyType.INVALID_SYNTAX);
  const spiR = randomIkeSpi(ctx.deps);
  const nr = ctx.deps.backend.randomBytes(NONCE_LENGTH);
  let ours: KeyExchange | undefined;
  let next: NextIkeSa;
  let publicKey: Uint8Array;
  try {
    ours = ctx.deps.backend.keyExchange(choice.ke.id);
    publicKey = ours.publicKey.slice();
    next = deriveNext(
      ctx,
      choice,
      "responder",
      { spiI: choice.proposal.spi.slice(), spiR },
      ni.data.slice(),
      nr,
      ours.computeSharedSecret(kei.data),
    );
  } catch (e) {
    if (!(e instanceof CryptoError)) throw e;
    ctx.log.warn(`IKE SA rekey: ${e.message}`);
    return refuse(
      e.code === "invalid-public-key" ? NotifyType.INVALID_SYNTAX : NotifyType.NO_PROPOSAL_CHOSEN,
    );
  } finally {
    ours?.destroy();
  }
  const payloads: Payload[] = [
    { type: "SA", proposals: [withSpi(choice.proposal, spiR)] },
    { type: "Nonce", data: nr },
    { type: "KE", group: choice.ke.id, data: publicKey },
  ];
  return { payloads, outcome: { kind: "rekeyed", next } };
}

/**
 * Initiator: processes the answer to {@link ikeRekeyRequest}: one of our proposals with the
 * responder's new SPI and KEr for our group, or an error notify (INVALID_KE_PAYLOAD's group is
 * left to the caller).
 * @internal
 */
export function acceptIkeRekey(
  ctx: IkeSaContext,
  response: readonly Payload[],
  request: IkeRekeyRequest,
): IkeRekeyOutcome {
  const sa = response.find((p): p is SaPayload => p.type === "SA");
  const nr = response.find((p): p is NoncePayload => p.type === "Nonce");
  const ker = response.find((p): p is KePayload => p.type === "KE");
  if (sa === undefined || nr === undefined || ker === undefined) {
    const error = response.find((p) => p.type === "N" && isErrorNotify(p.notifyType));
    return {
      kind: "refused",
      notifyType: error?.type === "N" ? error.notifyType : NotifyType.INVALID_SYNTAX,
    };
  }
  const choice = acceptIke(sa, ctx.config.ikeProposals);
  if (
    choice === undefined ||
    !validSpi(choice.proposal.spi) ||
    choice.ke.id !== request.ke.group ||
    ker.group !== request.ke.group
  ) {
    ctx.log.warn("IKE SA rekey response: proposal, SPI or KE not what we proposed");
    return { kind: "refused", notifyType: NotifyType.NO_PROPOSAL_CHOSEN };
  }
  try {
    const next = deriveNext(
      ctx,
      choice,
      "initiator",
      { spiI: request.spi, spiR: choice.proposal.spi.slice() },
      request.ni,
      nr.data.slice(),
      request.ke.computeSharedSecret(ker.data),
    );
    return { kind: "rekeyed", next };
  } catch (e) {
    if (!(e instanceof CryptoError)) throw e;
    ctx.log.warn(`IKE SA rekey response: ${e.message}`);
    return { kind: "refused", notifyType: NotifyType.NO_PROPOSAL_CHOSEN };
  }
}
