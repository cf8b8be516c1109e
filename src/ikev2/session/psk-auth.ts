/**
 * Pre-shared-key authentication (RFC 7296 §2.15):
 *
 * ```text
 * AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)
 * InitiatorSignedOctets = RealMessage1 | NonceRData | prf(SK_pi, RestOfInitIDPayload)
 * ResponderSignedOctets = RealMessage2 | NonceIData | prf(SK_pr, RestOfRespIDPayload)
 * ```
 *
 * @packageDocumentation
 */
import type { DataPlaneCrypto } from "../../crypto/backend.js";
import { createPrf } from "../../crypto/prf.js";
import type { PrfSpec } from "../../crypto/registry.js";
import { utf8, zeroize } from "../../wire/bytes.js";

/** RFC 7296 §2.15: the 17 ASCII characters without null termination. */
const KEY_PAD = utf8("Key Pad for IKEv2");

function prf(
  backend: DataPlaneCrypto<false>,
  spec: PrfSpec,
  key: Uint8Array,
  data: Uint8Array | readonly Uint8Array[],
): Uint8Array {
  const p = createPrf(backend, spec, key);
  try {
    return p.compute(data);
  } finally {
    p.destroy();
  }
}

/** What one side's PSK AUTH value covers. @internal */
export interface PskAuthInput {
  readonly backend: DataPlaneCrypto<false>;
  readonly prf: PrfSpec;
  readonly psk: Uint8Array;
  /** The signer's IKE_SA_INIT message, as sent. */
  readonly message: Uint8Array;
  /** The other side's nonce data. */
  readonly peerNonce: Uint8Array;
  /** SK_pi for the initiator, SK_pr for the responder. */
  readonly skP: Uint8Array;
  /** The signer's ID payload body (ID Type, RESERVED, data). */
  readonly idBody: Uint8Array;
}

/** The AUTH data of the shared-key method (RFC 7296 §2.15). @internal */
export function pskAuth(input: PskAuthInput): Uint8Array {
  const { backend, prf: spec } = input;
  const key = prf(backend, spec, input.psk, KEY_PAD);
  const macedId = prf(backend, spec, input.skP, input.idBody);
  try {
    // The signed octets go to the PRF as their three parts, without a copy of the message.
    return prf(backend, spec, key, [input.message, input.peerNonce, macedId]);
  } finally {
    zeroize(key, macedId);
  }
}
