/**
 * Typed decoding errors shared by every codec in ike-ts.
 *
 * Decoders throw {@link WireError} and nothing else for any input byte string; callers map
 * {@link WireErrorCode} to the protocol's notify (IKEv2 INVALID_SYNTAX, IKEv1 PAYLOAD_MALFORMED …)
 * in one place. Programmer errors (wrong argument types, a writer asked to overflow a caller
 * buffer) throw `TypeError` / `RangeError`, noble-style.
 *
 * @packageDocumentation
 */

/**
 * Why a byte string could not be decoded.
 *
 * - `truncated`: a read went past the end of the bounded region (a length field promised more).
 * - `trailing-data`: bytes were left over where the format says the region must end.
 * - `bad-length`: a length field is smaller than its header or otherwise impossible.
 * - `bad-value`: a field holds a value the format forbids (reserved bits, zero SPI …).
 * - `unsupported`: well-formed but not supported (unknown critical payload, version …).
 *
 * @public
 */
export type WireErrorCode = "truncated" | "trailing-data" | "bad-length" | "bad-value" | "unsupported";

/**
 * The one error type decoders throw on hostile or malformed input.
 * @public
 */
export class WireError extends Error {
  /** What went wrong, for mapping to a protocol notify. */
  readonly code: WireErrorCode;
  /** Byte offset (relative to the outermost reader's buffer) where decoding failed. */
  readonly offset: number;

  constructor(code: WireErrorCode, message: string, offset: number) {
    super(`${code} at offset ${offset}: ${message}`);
    this.name = "WireError";
    this.code = code;
    this.offset = offset;
  }
}

/** Type guard for {@link WireError}. @public */
export function isWireError(e: unknown): e is WireError {
  return e instanceof WireError;
}
