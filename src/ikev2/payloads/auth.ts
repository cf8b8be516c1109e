/**
 * Authentication payload (RFC 7296 §3.8), and the RFC 7427 §3 "Digital Signature" (method 14)
 * Authentication Data layout: a one-octet length, a DER AlgorithmIdentifier, then the signature.
 *
 * @packageDocumentation
 */
import type { Reader } from "../../wire/reader.js";
import type { Writer } from "../../wire/writer.js";
import { checkUint } from "./generic.js";

/** RESERVED octets after the Auth Method (RFC 7296 §3.8). */
const AUTH_RESERVED_LENGTH = 3;
const MAX_METHOD = 0xff;
/** RFC 7427 §3: the AlgorithmIdentifier is prefixed by an 8-bit length. */
const MAX_ALGORITHM_IDENTIFIER_LENGTH = 0xff;

/** The AUTH payload. @public */
export interface AuthPayload {
  /** Payload discriminant. */
  readonly type: "AUTH";
  /** An {@link AuthMethod}. */
  readonly method: number;
  /** Authentication Data (zero-copy view on decode). */
  readonly data: Uint8Array;
}

/** Decodes an AUTH payload body. @public */
export function decodeAuth(r: Reader): AuthPayload {
  const method = r.u8("auth method");
  r.skip(AUTH_RESERVED_LENGTH, "auth reserved"); // RFC 7296 §3.8: MUST be ignored on receipt
  return { type: "AUTH", method, data: r.rest() };
}

/** Encodes an AUTH payload body. @public */
export function encodeAuth(w: Writer, auth: AuthPayload): void {
  checkUint("AUTH method", auth.method, MAX_METHOD);
  w.u8(auth.method).zeros(AUTH_RESERVED_LENGTH).bytes(auth.data);
}

/** Authentication Data of the Digital Signature method (RFC 7427 §3). @public */
export interface SignatureAuthData {
  /** DER AlgorithmIdentifier naming signature and hash algorithms (zero-copy view). */
  readonly algorithmIdentifier: Uint8Array;
  /** The signature value (zero-copy view). */
  readonly signature: Uint8Array;
}

/**
 * Splits method-14 Authentication Data into AlgorithmIdentifier and signature (RFC 7427 §3).
 * @throws `WireError` when the length octet is zero or runs past the data.
 * @public
 */
export function decodeSignatureAuthData(r: Reader): SignatureAuthData {
  const length = r.u8("AlgorithmIdentifier length");
  if (length === 0) r.fail("bad-length", "empty AlgorithmIdentifier");
  const algorithmIdentifier = r.bytes(length, "AlgorithmIdentifier");
  return { algorithmIdentifier, signature: r.rest() };
}

/** Writes method-14 Authentication Data (RFC 7427 §3). @public */
export function encodeSignatureAuthData(w: Writer, value: SignatureAuthData): void {
  const n = value.algorithmIdentifier.length;
  if (n === 0 || n > MAX_ALGORITHM_IDENTIFIER_LENGTH) {
    throw new RangeError(`AlgorithmIdentifier of ${n} octets`);
  }
  w.u8(n).bytes(value.algorithmIdentifier).bytes(value.signature);
}
