/**
 * The redundant new IKE SA of a simultaneous IKE SA rekey (RFC 7296 §2.8.2): when both ends rekey
 * the IKE SA at once, each exchange makes a new IKE SA; the one with the lowest of the four nonces
 * "SHOULD be deleted by the node that created it" (the initiator of its exchange), and the other
 * inherits the Child SAs. That Delete travels on the redundant SA itself, with its own SPIs, keys
 * and message IDs (starting at 0), so it is handled here, apart from the session's own IKE SA.
 *
 * ```text
 * A                                     B
 * req1 SK{SA, Ni1, KEi}  -->      <--  req2 SK{SA, Ni2, KEi}
 * resp2 SK{SA, Nr2, KEr} -->      <--  resp1 SK{SA, Nr1, KEr}
 * lowest nonce in exchange 1 (say): SA1 is redundant, SA2 survives
 * on SA1: D(IKE)         -->      <--  on SA1: ()
 *                                 <--  on the old SA: D(IKE)   (B made SA2: it deletes the old SA)
 * on the old SA: ()      -->
 * ```
 *
 * @packageDocumentation
 */

import { ProtocolId } from "../../../crypto/registry.js";
import { WireError } from "../../../wire/errors.js";
import type { Payload } from "../../chain.js";
import { decodeInnerPayloads, encodeInnerPayloads } from "../../chain.js";
import { ExchangeType } from "../../constants.js";
import type { IkeHeader } from "../../header.js";
import type { IkeMessage } from "../../message.js";
import { compareNonces, lowestNonce } from "./create-child.js";
import { deleteIkeRequest } from "./informational.js";
import type { NextIkeSa } from "./rekey-ike.js";

function header(sa: NextIkeSa, response: boolean, messageId: number): IkeHeader {
  return {
    spiI: sa.spiI,
    spiR: sa.spiR,
    minorVersion: 0,
    exchangeType: ExchangeType.INFORMATIONAL,
    initiator: sa.role === "initiator",
    response,
    higherVersion: false,
    messageId,
  };
}

/**
 * RFC 7296 §2.8.2: of two new IKE SAs, whether `ours` (made by our rekey request) holds the lowest
 * of the four nonces and is therefore the redundant one.
 * @internal
 */
export function oursIsRedundant(ours: NextIkeSa, theirs: NextIkeSa): boolean {
  return compareNonces(lowestNonce([ours.ni, ours.nr]), lowestNonce([theirs.ni, theirs.nr])) < 0;
}

/** `SK {D(IKE)}` on the redundant SA, message ID 0 (RFC 7296 §1.4.1). @internal */
export function redundantDeleteRequest(sa: NextIkeSa): Uint8Array {
  return sa.sk.protect(header(sa, false, 0), encodeInnerPayloads(deleteIkeRequest()));
}

/** What a message on a redundant (or not yet settled) new IKE SA's SPIs means. @internal */
export type RedundantSaMessage =
  /** The answer to our Delete of it. */
  | { readonly kind: "delete-answered" }
  /** The peer deletes it: send `response`, then forget the SA. */
  | { readonly kind: "deleted-by-peer"; readonly response: Uint8Array }
  /** Not for us, not authentic, or not a Delete: drop (RFC 7296 §2.21). */
  | { readonly kind: "drop" };

/**
 * Handles a message the peer sent on the SPIs of `sa`. Only the Delete exchange is expected there.
 * @internal
 */
export function onRedundantSa(sa: NextIkeSa, message: IkeMessage, raw: Uint8Array): RedundantSaMessage {
  const h = message.header;
  // RFC 7296 §3.1: the I flag is the original initiator's (of this SA, the rekey exchange's).
  if (h.exchangeType !== ExchangeType.INFORMATIONAL || h.initiator !== (sa.role === "responder")) {
    return { kind: "drop" };
  }
  const opened = sa.sk.unprotect(raw, message);
  if (!opened.ok || opened.fragment !== undefined) return { kind: "drop" };
  if (h.response) return h.messageId === 0 ? { kind: "delete-answered" } : { kind: "drop" };
  let inner: Payload[];
  try {
    inner = decodeInnerPayloads(opened.plaintext, opened.firstPayload);
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    return { kind: "drop" };
  }
  if (!inner.some((p) => p.type === "D" && p.protocolId === ProtocolId.IKE)) return { kind: "drop" };
  // RFC 7296 §1.4.1: the Delete of an IKE SA is answered with an empty INFORMATIONAL response.
  return {
    kind: "deleted-by-peer",
    response: sa.sk.protect(header(sa, true, h.messageId), encodeInnerPayloads([])),
  };
}
