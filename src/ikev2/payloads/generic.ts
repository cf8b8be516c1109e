/**
 * The generic payload header (RFC 7296 §3.2) and the argument checks every payload encoder shares.
 *
 * ```text
 *  Next Payload (1) | C(1 bit) RESERVED(7 bits) | Payload Length (2, header included)
 * ```
 *
 * @packageDocumentation
 */

/** Size of the generic payload header in octets (RFC 7296 §3.2). @public */
export const GENERIC_HEADER_LENGTH = 4;
/** The critical bit in the generic payload header's second octet (RFC 7296 §3.2). @public */
export const CRITICAL_BIT = 0x80;
/** Largest Payload Length the 16-bit field can express. @public */
export const MAX_PAYLOAD_LENGTH = 0xffff;

/**
 * Throws `RangeError` unless `value` is an integer in 0…`max`: encoders reject values their field
 * cannot hold instead of truncating them.
 * @internal
 */
export function checkUint(what: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${what}: ${value} is not an integer in 0..${max}`);
  }
}

/**
 * Throws `RangeError` when a rule shared by decoder and encoder reports a problem, so encoders
 * never emit what their decoder would reject.
 * @internal
 */
export function checkRule(what: string, problem: string | undefined): void {
  if (problem !== undefined) throw new RangeError(`${what}: ${problem}`);
}
