/**
 * Nonce payload (RFC 7296 §3.9): Ni or Nr, 16 to 256 octets of random data.
 *
 * @packageDocumentation
 */
import type { Reader } from "../../wire/reader.js";
import type { Writer } from "../../wire/writer.js";

/** Smallest nonce size in octets (RFC 7296 §3.9). @public */
export const NONCE_MIN_LENGTH = 16;
/** Largest nonce size in octets (RFC 7296 §3.9). @public */
export const NONCE_MAX_LENGTH = 256;

/** The Nonce payload (Ni or Nr). @public */
export interface NoncePayload {
  /** Payload discriminant. */
  readonly type: "Nonce";
  /** The nonce (zero-copy view on decode). */
  readonly data: Uint8Array;
}

function nonceLengthOk(n: number): boolean {
  // RFC 7296 §3.9: "The size of the Nonce Data MUST be between 16 and 256 octets, inclusive."
  return n >= NONCE_MIN_LENGTH && n <= NONCE_MAX_LENGTH;
}

/** Decodes a Nonce payload body. @throws `WireError` `bad-length` outside 16…256 octets. @public */
export function decodeNonce(r: Reader): NoncePayload {
  if (!nonceLengthOk(r.remaining)) r.fail("bad-length", `nonce of ${r.remaining} octets`);
  return { type: "Nonce", data: r.rest() };
}

/** Encodes a Nonce payload body. @throws `RangeError` outside 16…256 octets. @public */
export function encodeNonce(w: Writer, nonce: NoncePayload): void {
  if (!nonceLengthOk(nonce.data.length)) throw new RangeError(`Nonce: ${nonce.data.length} octets`);
  w.bytes(nonce.data);
}
