/**
 * The INFORMATIONAL exchange (RFC 7296 §1.4): liveness checks (an empty request, §1.4 / §2.4),
 * deletion of the IKE SA (§1.4.1: answered with an empty response) and of Child SAs (answered
 * with the SPIs of our matching inbound SAs), and error notifies from the peer.
 *
 * @packageDocumentation
 */
import { ProtocolId } from "../../../crypto/registry.js";
import type { Payload } from "../../chain.js";
import { isErrorNotify } from "../../constants.js";
import type { DeletePayload } from "../../payloads/delete.js";
import { type ChildSa, childSpiBytes, childSpiNumber, type IkeSaContext } from "../context.js";

/** The responder's handling of an INFORMATIONAL request. @internal */
export interface InformationalAnswer {
  /** Inner payloads of the response. */
  readonly payloads: readonly Payload[];
  /** The peer deletes the IKE SA (and with it every Child SA). */
  readonly deleteIke: boolean;
  /** Child SAs the peer deleted; already removed from the context. */
  readonly deletedChildren: readonly ChildSa[];
  /** Error notify types the request carried. */
  readonly errors: readonly number[];
}

/**
 * Answers an INFORMATIONAL request.
 * @internal
 */
export function answerInformational(ctx: IkeSaContext, inner: readonly Payload[]): InformationalAnswer {
  const deletes = inner.filter((p): p is DeletePayload => p.type === "D");
  const errors = inner.flatMap((p) => (p.type === "N" && isErrorNotify(p.notifyType) ? [p.notifyType] : []));
  // RFC 7296 §1.4.1: a Delete of the IKE SA is answered with an empty INFORMATIONAL response.
  if (deletes.some((d) => d.protocolId === ProtocolId.IKE)) {
    return { payloads: [], deleteIke: true, deletedChildren: [], errors };
  }
  const deleted: ChildSa[] = [];
  for (const d of deletes) {
    // AH Child SAs are never created here, so only ESP SPIs can match.
    if (d.protocolId !== ProtocolId.ESP) continue;
    for (const spi of d.spis) {
      // The peer names its inbound SPI, which is our outbound SPI (RFC 7296 §3.11).
      const outbound = childSpiNumber(spi);
      const child = ctx.children.find((c) => c.outboundSpi === outbound);
      if (child !== undefined && !deleted.includes(child)) deleted.push(child);
    }
  }
  ctx.children = ctx.children.filter((c) => !deleted.includes(c));
  // RFC 7296 §1.4.1: the response names our inbound SPIs of the pairs deleted.
  const payloads: Payload[] =
    deleted.length === 0
      ? []
      : [{ type: "D", protocolId: ProtocolId.ESP, spis: deleted.map((c) => childSpiBytes(c.inboundSpi)) }];
  return { payloads, deleteIke: false, deletedChildren: deleted, errors };
}

/** The request that deletes the IKE SA: `SK {D(IKE)}` (RFC 7296 §1.4.1). @internal */
export function deleteIkeRequest(): Payload[] {
  return [{ type: "D", protocolId: ProtocolId.IKE, spis: [] }];
}
