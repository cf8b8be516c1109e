/**
 * The IKE_AUTH exchange (RFC 7296 §1.2, §2.15) with pre-shared keys or certificates and signatures
 * (`cert-auth.ts`, `sig-auth.ts`; each end's method is configured), carrying the first Child SA
 * (see `child-sa.ts`). PSK AUTH values are compared in constant time; any authentication failure
 * is AUTHENTICATION_FAILED (§2.21.2) and no SA survives it.
 *
 * @packageDocumentation
 */
import { equalConstantTime, zeroize } from "../../../wire/bytes.js";
import type { Payload } from "../../chain.js";
import { AuthMethod, isErrorNotify, NotifyType } from "../../constants.js";
import type { AuthPayload } from "../../payloads/auth.js";
import type { IdPayload } from "../../payloads/id.js";
import { certificateRequests, signatureCredentials, verifyPeerSignature } from "../cert-auth.js";
import { type IkeSaContext, notify } from "../context.js";
import { identityOf, idMatches, idPayload, idPayloadBody } from "../identity.js";
import { pskAuth } from "../psk-auth.js";
import { answerChild, type ChildOutcome, type ChildRequest, childRequest } from "./child-sa.js";
import {
  acceptFirstChild,
  answerConfigRequest,
  anySelectors,
  configRequestPayload,
} from "./config-payload.js";

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
  if (auth === undefined || auth.method !== AuthMethod.SHARED_KEY_MIC) return false;
  const peer = ctx.role === "initiator" ? "responder" : "initiator";
  const expected = authValue(ctx, peer, psk, id);
  const ok = equalConstantTime(expected, auth.data);
  zeroize(expected);
  return ok;
}

/** Our CERT payloads (none with a PSK) and AUTH as `signer`, or undefined without credentials. */
function ourAuth(
  ctx: IkeSaContext,
  signer: "initiator" | "responder",
  id: IdPayload,
  psk: Uint8Array | undefined,
): { readonly certificates: readonly Payload[]; readonly auth: AuthPayload } | undefined {
  if (ctx.config.localAuth.method === "pubkey") return signatureCredentials(ctx, signer, id);
  if (psk === undefined) return undefined;
  const auth: AuthPayload = {
    type: "AUTH",
    method: AuthMethod.SHARED_KEY_MIC,
    data: authValue(ctx, signer, psk, id),
  };
  return { certificates: [], auth };
}

/** Verifies the peer's AUTH by the configured remote method (PSK, or certificate and signature). */
function verifyPeer(
  ctx: IkeSaContext,
  psk: Uint8Array | undefined,
  id: IdPayload,
  auth: AuthPayload | undefined,
  inner: readonly Payload[],
): boolean {
  if (ctx.config.remoteAuth === "pubkey") return verifyPeerSignature(ctx, id, inner, auth);
  return psk !== undefined && verifyAuth(ctx, psk, id, auth);
}

/** True when either end's AUTH is the PSK MAC, so a PSK must be looked up. */
function needsPsk(ctx: IkeSaContext): boolean {
  return ctx.config.localAuth.method === "psk" || ctx.config.remoteAuth === "psk";
}

/** RFC 7296 §2.3: N(SET_WINDOW_SIZE) with our window, when it is above the default of one. */
function windowNotify(ctx: IkeSaContext): Payload[] {
  const n = ctx.config.windowSize;
  if (n === 1) return [];
  return [
    notify(
      NotifyType.SET_WINDOW_SIZE,
      Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff),
    ),
  ];
}

/** Outcome of the initiator's IKE_AUTH. @internal */
export type AuthResult =
  | {
      readonly kind: "established";
      readonly child: ChildOutcome;
      /** No virtual IP though policy requires one: delete the IKE SA (RFC 7296 §2.19). */
      readonly deleteIke?: boolean;
    }
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
   * `SK {IDi, [CERT+,] [CERTREQ,] [IDr,] AUTH, N(INITIAL_CONTACT), [N(USE_TRANSPORT_MODE),] SAi2,
   * TSi, TSr}`, or `undefined` when no PSK or private key is configured for the peer (nothing is
   * sent then, CVE-2024-2357).
   */
  build(): Payload[] | undefined {
    const ctx = this.#ctx;
    const remoteId = ctx.config.remoteId;
    const psk = needsPsk(ctx)
      ? ctx.deps.psk.getPsk(ctx.config.localId, remoteId, ctx.remote.address)
      : undefined;
    if (needsPsk(ctx) && psk === undefined) {
      ctx.log.warn("IKE_AUTH: no pre-shared key for this peer");
      return undefined;
    }
    const idi = idPayload("IDi", ctx.config.localId);
    const ours = ourAuth(ctx, "initiator", idi, psk);
    if (ours === undefined) return undefined;
    const cfg = ctx.config.configRequest;
    // RFC 7296 §2.19: asking for an address, TSi is "any" of its family; the answer narrows it.
    const any = cfg === undefined ? [] : anySelectors(cfg);
    this.#child = childRequest(ctx, any.length > 0 ? any : ctx.config.localTs);
    this.#psk = psk?.slice();
    return [
      idi,
      // RFC 7296 §3.6, §3.7: our certificates, and which CAs we trust for the responder's.
      ...ours.certificates,
      ...certificateRequests(ctx.config, ctx.deps, ctx.log),
      ...(remoteId === undefined ? [] : [idPayload("IDr", remoteId)]),
      ours.auth,
      // RFC 7296 §2.4: this is the only IKE SA with this peer (unless configured otherwise).
      ...(ctx.config.initialContact ? [notify(NotifyType.INITIAL_CONTACT)] : []),
      ...windowNotify(ctx),
      ...(cfg === undefined ? [] : [configRequestPayload(cfg)]),
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
      verifyPeer(ctx, this.#psk, idr, auth, inner);
    this.destroy();
    if (!authentic) {
      ctx.log.warn("IKE_AUTH: the responder's AUTH does not verify");
      return { kind: "failed", notifyType: NotifyType.AUTHENTICATION_FAILED };
    }
    ctx.peerId = peer;
    return { kind: "established", ...acceptFirstChild(ctx, inner, this.#child!) };
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
 * must be ours) and AUTH (with the peer's CERTs for a certificate peer), then answers
 * `SK {IDr, [CERT+,] AUTH, [child payloads]}`.
 * @internal
 */
export function answerIkeAuth(ctx: IkeSaContext, inner: readonly Payload[]): AuthAnswer {
  // The EAP forms of the request (RFC 7296 §2.16) pass the rules without IDi or AUTH; no EAP here.
  const idi = inner.find((p): p is IdPayload => p.type === "IDi");
  const idr = inner.find((p): p is IdPayload => p.type === "IDr");
  const auth = inner.find((p): p is AuthPayload => p.type === "AUTH");
  const peer = idi === undefined ? undefined : identityOf(idi);
  const expected = ctx.config.remoteId;
  const psk =
    peer === undefined || !needsPsk(ctx)
      ? undefined
      : ctx.deps.psk.getPsk(ctx.config.localId, peer, ctx.remote.address);
  const authentic =
    idi !== undefined &&
    peer !== undefined &&
    (expected === undefined || idMatches(idi, expected)) &&
    (idr === undefined || idMatches(idr, ctx.config.localId)) &&
    verifyPeer(ctx, psk, idi, auth, inner);
  const ours = idPayload("IDr", ctx.config.localId);
  // RFC 7296 §2.15: the responder then authenticates itself (a PSK MAC, or CERTs and a signature).
  const mine = authentic ? ourAuth(ctx, "responder", ours, psk) : undefined;
  if (mine === undefined) {
    ctx.log.warn(
      authentic
        ? "IKE_AUTH: no credentials to authenticate ourselves"
        : "IKE_AUTH: the initiator's identity or AUTH does not verify",
    );
    return {
      payloads: [notify(NotifyType.AUTHENTICATION_FAILED)],
      result: { kind: "failed", notifyType: NotifyType.AUTHENTICATION_FAILED },
    };
  }
  ctx.peerId = peer;
  const cp = answerConfigRequest(ctx, inner);
  const child = answerChild(ctx, inner, cp);
  return {
    payloads: [
      ours,
      ...mine.certificates,
      mine.auth,
      ...windowNotify(ctx),
      ...cp.payloads,
      ...child.payloads,
    ],
    result: { kind: "established", child: child.outcome },
  };
}
