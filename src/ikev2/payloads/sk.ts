/**
 * Encrypted payload SK (RFC 7296 §3.14), kept opaque: IV ‖ ciphertext ‖ ICV. Decryption belongs to
 * the IKE SA's crypto; its plaintext (padding removed) is parsed with {@link decodeInnerPayloads}.
 *
 * The generic header's Next Payload of SK names the first payload inside it, not a following
 * payload: SK is always the last payload of a message.
 *
 * @packageDocumentation
 */
import type { Reader } from "../../wire/reader.js";
import type { Writer } from "../../wire/writer.js";

/** The Encrypted payload. @public */
export interface SkPayload {
  /** Payload discriminant. */
  readonly type: "SK";
  /** Payload type of the first inner payload (the SK header's Next Payload), 0 if none. */
  readonly firstPayload: number;
  /** IV ‖ encrypted content (with padding and Pad Length) ‖ ICV (zero-copy view on decode). */
  readonly content: Uint8Array;
}

/** Decodes an SK payload body given its header's Next Payload. @public */
export function decodeSk(r: Reader, firstPayload: number): SkPayload {
  return { type: "SK", firstPayload, content: r.rest() };
}

/** Encodes an SK payload body (the header's Next Payload is written by the payload chain). @public */
export function encodeSk(w: Writer, sk: SkPayload): void {
  w.bytes(sk.content);
}
