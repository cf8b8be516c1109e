/**
 * ESP padding (RFC 4303 §2.4): the Padding, Pad Length and Next Header trailer that aligns the
 * encrypted part of the packet.
 *
 * @packageDocumentation
 */

/** Pad Length and Next Header: the two trailer bytes after the padding (RFC 4303 §2.5, §2.6). @internal */
export const TRAILER_LENGTH = 2;

/**
 * The alignment of an ESP payload with this encryption (RFC 4303 §2.4): the cipher's block size,
 * and at least 4 so the ciphertext "terminates on a 4-byte boundary". A power of two (4, 8, 16).
 * @internal
 */
export function espAlignment(encryption: { readonly blockSize: number }): number {
  return Math.max(encryption.blockSize, 4);
}

/**
 * The number of padding bytes for `payloadLength` bytes of payload: the fewest that make
 * payload + padding + 2 a multiple of `align` (RFC 4303 §2.4: the cipher's block size, and at
 * least 4 so the ciphertext "terminates on a 4-byte boundary"). `align` is a power of two (4, 8
 * or 16), so a mask does the modulo, without a division per packet.
 * @internal
 */
export function padLength(payloadLength: number, align: number): number {
  return -(payloadLength + TRAILER_LENGTH) & (align - 1);
}

/**
 * Writes the default padding 1, 2, 3, … (RFC 4303 §2.4), the Pad Length and the Next Header
 * starting at `b[at]`.
 * @internal
 */
export function writeTrailer(b: Uint8Array, at: number, pad: number, nextHeader: number): void {
  for (let i = 1; i <= pad; i++) b[at + i - 1] = i;
  b[at + pad] = pad;
  b[at + pad + 1] = nextHeader;
}

/**
 * Checks that the `pad` bytes before `b[end]` hold 1, 2, 3, … (RFC 4303 §2.4: the receiver
 * "SHOULD inspect the Padding field"). Reads every byte whatever it finds.
 * @internal
 */
export function paddingValid(b: Uint8Array, end: number, pad: number): boolean {
  let diff = 0;
  const start = end - pad;
  for (let i = 0; i < pad; i++) diff |= b[start + i]! ^ (i + 1);
  return diff === 0;
}
