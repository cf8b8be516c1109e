/**
 * The IKE_AUTH exchange with pre-shared keys (RFC 7296 §1.2, §2.15), carrying the first Child SA
 * (see `child-sa.ts`). AUTH values are compared in constant time; any authentication failure is
 * AUTHENTICATION_FAILED (§2.21.2) and no SA survives it.
 *
 * @packageDocumentation
 */
import { equalConstantTime, zeroize } from "../../../wire/bytes.js";
import type { Payload } from "../../chain.js";
import { AuthMethod, isErrorNotify, NotifyType } from "../../constants.js";
import type { AuthPayload } from "../../payloads/auth.js";
import type { IdPayload } from "../../payloads/id.js";
import { type IkeSaContext, notify } from "../context.js";
import { identityOf, idMatches, idPayload, idPayloadBody } from "../identity.js";
import { pskAuth } from "../psk-auth.js";
import { acceptChild, answerChild, type ChildOutcome, type ChildRequest, childRequest } from "./child-sa.js";

/** The AUTH value of `signer` ("initiator" uses RealMessage1, Nr and SK_pi; §2.15). */
function authValue(
  ctx: IkeSaContext,
  signer: "initiator" | "responder",
  psk: Uint8Array,
  id: IdPayload,
): Uint8Array {
  const initiator = signer === "initiator";
  return pskAuth({
    backend: ctx.deps.backend,
    prf: ctx.ike!.prf,
    psk,
    message: initiator ? ctx.initRequest! : ctx.initResponse!,
    peerNonce: initiator ? ctx.nr! : ctx.ni!,
    skP: initiator ? ctx.keys!.skPi : ctx.keys!.skPr,
    idBody: idPayloadBody(id),
  });
}

/** Verifies the peer's AUTH payload with `psk`, in constant time. */
function verifyAuth(
  ctx: IkeSaContext,
  psk: Uint8Array,
  id: IdPayload,
  auth: AuthPayload | undefined,
): boolean {
  // Only the shared-key method is implemented (no certificates or EAP in stage 1).
  if (auth === undefined || auth.method !== AuthMethod.SHARED_KEY_MIC) return false;
  const peer = ctx.role === "initiator" ? "responder" : "initiator";
  const expected = authValue(ctx, peer, psk, id);
  const ok = equalConstantTime(expected, auth.data);
  zeroize(expected);
  return ok;
}

/** Outcome of the initiator's IKE_AUTH. @internal */
export type AuthResult =
  | { readonly kind: "established"; readonly child: ChildOutcome }
  | { readonly kind: "failed"; readonly notifyType: number };

/**
 * The initiator's IKE_AUTH task.
 * @internal
 */
export class IkeAuthInitiator {
  readonly #ctx: IkeSaContext;
  #child: ChildRequest | undefined;
  #psk: Uint8Array | undefined;

  constructor(ctx: IkeSaContext) {
    this.#ctx = ctx;
  }

  /**
   * `SK {IDi, [IDr,] AUTH, N(INITIAL_CONTACT), [N(USE_TRANSPORT_MODE),] SAi2, TSi, TSr}`, or
   * `undefined` when no PSK is configured for the peer (nothing is sent then, CVE-2024-2357).
   */
  build(): Payload[] | undefined {
    const ctx = this.#ctx;
    const remoteId = ctx.config.remoteId;
    const psk = ctx.deps.psk.getPsk(ctx.config.localId, remoteId);
    if (psk === undefined) {
      ctx.log.warn("IKE_AUTH: no pre-shared key for this peer");
      return undefined;
    }
    const idi = idPayload("IDi", ctx.config.localId);
    const auth = authValue(ctx, "initiator", psk, idi);
    this.#child = childRequest(ctx);
    this.#psk = psk.slice();
    return [
      idi,
      ...(remoteId === undefined ? [] : [idPayload("IDr", remoteId)]),
      { type: "AUTH", method: AuthMethod.SHARED_KEY_MIC, data: auth },
      // RFC 7296 §2.4: this is the only IKE SA with this peer.
      notify(NotifyType.INITIAL_CONTACT),
      ...this.#child.payloads,
    ];
  }

  /** Processes the rule-checked inner payloads of the response. */
  process(inner: readonly Payload[], errorReply: boolean): AuthResult {
    const ctx = this.#ctx;
    const error = inner.find((p) => p.type === "N" && isErrorNotify(p.notifyType));
    if (errorReply) {
      return {
        kind: "failed",
        notifyType: error?.type === "N" ? error.notifyType : NotifyType.AUTHENTICATION_FAILED,
      };
    }
    // The EAP forms of the response (RFC 7296 §2.16) pass the rules without IDr or AUTH; no EAP here.
    const idr = inner.find((p): p is IdPayload => p.type === "IDr");
    const auth = inner.find((p): p is AuthPayload => p.type === "AUTH");
    const peer = idr === undefined ? undefined : identityOf(idr);
    const expected = ctx.config.remoteId;
    const authentic =
      idr !== undefined &&
      peer !== undefined &&
      (expected === undefined || idMatches(idr, expected)) &&
      verifyAuth(ctx, this.#psk!, idr, auth);
    this.destroy();
    if (!authentic) {
      ctx.log.warn("IKE_AUTH: the responder's AUTH does not verify");
      return { kind: "failed", notifyType: NotifyType.AUTHENTICATION_FAILED };
    }
    ctx.peerId = peer;
    return { kind: "established", child: acceptChild(ctx, inner, this.#child!) };
  }

  /** Zeroizes the copy of the PSK. */
  destroy(): void {
    zeroize(this.#psk);
  }
}

/** The responder's IKE_AUTH answer. @internal */
export interface AuthAnswer {
  /** Inner payloads of the response. */
  readonly payloads: readonly Payload[];
  /** Established with this Child SA outcome, or failed (the response is AUTHENTICATION_FAILED). */
  readonly result: AuthResult;
}

/**
 * The responder's IKE_AUTH: checks IDi (against the configured peer, if any), IDr (if sent, it
 * must be ours) and AUTH, then answers `SK {IDr, AUTH, [child payloads]}`.
 * @internal
 */
export function answerIkeAuth(ctx: IkeSaContext, inner: readonly Payload[]): AuthAnswer {
  // The EAP forms of the request (RFC 7296 §2.16) pass the rules without IDi or AUTH; no EAP here.
  const idi = inner.find((p): p is IdPayload => p.type === "IDi");
  const idr = inner.find((p): p is IdPayload => p.type === "IDr");
  const auth = inner.find((p): p is AuthPayload => p.type === "AUTH");
  const peer = idi === undefined ? undefined : identityOf(idi);
  const expected = ctx.config.remoteId;
  const psk = peer === undefined ? undefined : ctx.deps.psk.getPsk(ctx.config.localId, peer);
  const authentic =
    idi !== undefined &&
    peer !== undefined &&
    (expected === undefined || idMatches(idi, expected)) &&
    (idr === undefined || idMatches(idr, ctx.config.localId)) &&
    psk !== undefined &&
    verifyAuth(ctx, psk, idi, auth);
  if (!authentic) {
    ctx.log.warn("IKE_AUTH: the initiator's identity or AUTH does not verify");
    return {
      payloads: [notify(NotifyType.AUTHENTICATION_FAILED)],
      result: { kind: "failed", notifyType: NotifyType.AUTHENTICATION_FAILED },
    };
  }
  ctx.peerId = peer;
  const ours = idPayload("IDr", ctx.config.localId);
  const child = answerChild(ctx, inner);
  return {
    payloads: [
      ours,
      { type: "AUTH", method: AuthMethod.SHARED_KEY_MIC, data: authValue(ctx, "responder", psk!, ours) },
      ...child.payloads,
    ],
    result: { kind: "established", child: child.outcome },
  };
}
