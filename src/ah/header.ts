/**
 * The AH header layout (RFC 4302 §2, Figure 1) and its length rule.
 *
 * ```
 *  0               1               2               3
 * | Next Header   |  Payload Len  |          RESERVED             |
 * |                 Security Parameters Index (SPI)               |
 * |                    Sequence Number Field                      |
 * |      [IV, AES-GMAC only]  Integrity Check Value  [padding]    |
 * ```
 *
 * @packageDocumentation
 */

/** RFC 4302 §2: Next Header, Payload Len, RESERVED, SPI and Sequence Number: 12 bytes. @internal */
export const AH_FIXED = 12;

/** Field offsets inside the AH header (RFC 4302 §2). @internal */
export const AH = {
  NEXT_HEADER: 0,
  PAYLOAD_LENGTH: 1,
  RESERVED: 2,
  SPI: 4,
  SEQUENCE: 8,
  AUTH_DATA: 12,
} as const;

/**
 * Total AH header length for `authDataLength` bytes of authentication data (the GMAC IV plus the
 * ICV). RFC 4302 §2.6 and §3.3.3.2.1: the ICV field is padded so that the header is a multiple of
 * 32 bits over IPv4 and of 64 bits over IPv6, and no more ("Inclusion of padding in excess of the
 * minimum amount required ... is prohibited").
 * @internal
 */
export function ahHeaderLength(authDataLength: number, ipv6: boolean): number {
  const align = ipv6 ? 8 : 4;
  return Math.ceil((AH_FIXED + authDataLength) / align) * align;
}

/**
 * RFC 4302 §2.2: "the length of AH in 32-bit words (4-byte units), minus 2".
 * @internal
 */
export function ahPayloadLength(headerLength: number): number {
  return headerLength / 4 - 2;
}
