/**
 * The ESP header (RFC 4303 §2): the SPI and Sequence Number in front of the IV and payload.
 *
 * @packageDocumentation
 */

/** SPI (4 bytes) and Sequence Number (4 bytes), RFC 4303 §2.1, §2.2. @public */
export const ESP_HEADER_LENGTH = 8;

/** Offset of the Sequence Number field from the SPI (RFC 4303 §2). @internal */
export const ESP_SEQUENCE_OFFSET = 4;
