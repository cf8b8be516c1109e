/**
 * The IKE header (RFC 7296 §3.1).
 *
 * ```text
 *  Initiator's SPI (8) | Responder's SPI (8) | Next Payload (1) | MjVer(4) MnVer(4) |
 *  Exchange Type (1) | Flags (1): X X R V I X X X | Message ID (4) | Length (4)
 * ```
 *
 * @packageDocumentation
 */
import { WireError } from "../wire/errors.js";
import type { Reader } from "../wire/reader.js";
import type { Writer } from "../wire/writer.js";
import { InvalidMajorVersionError } from "./errors.js";
import { checkUint } from "./payloads/generic.js";

/** Size of the fixed IKE header in octets (RFC 7296 §3.1). @public */
export const HEADER_LENGTH = 28;
/** Offset of the Length field in the IKE header (RFC 7296 §3.1). @public */
export const HEADER_LENGTH_OFFSET = 24;
/** Size of each IKE SPI in octets (RFC 7296 §3.1). @public */
export const IKE_SPI_LENGTH = 8;
/** The IKE major version this module speaks (RFC 7296 §2.5). @public */
export const IKE_MAJOR_VERSION = 2;

/** Flag bits of the IKE header (RFC 7296 §3.1). @public */
export const HeaderFlag = {
  /** I: set by the original initiator of the IKE SA. */
  INITIATOR: 0x08,
  /** V: the sender can speak a higher major version. */
  VERSION: 0x10,
  /** R: this message is a response. */
  RESPONSE: 0x20,
} as const;

/**
 * The IKE header fields a caller chooses. Next Payload and Length are derived from the payloads
 * when encoding, and the major version is always 2.
 * @public
 */
export interface IkeHeader {
  /** Initiator's SPI, 8 octets, never all zero. */
  readonly spiI: Uint8Array;
  /** Responder's SPI, 8 octets (zero in the first IKE_SA_INIT request). */
  readonly spiR: Uint8Array;
  /** Minor version: sent as 0, ignored on receipt (RFC 7296 §3.1), kept for logs. */
  readonly minorVersion: number;
  /** An {@link ExchangeType}. */
  readonly exchangeType: number;
  /** I flag: the sender is the original initiator of the IKE SA. */
  readonly initiator: boolean;
  /** R flag: this message is a response. */
  readonly response: boolean;
  /** V flag: the sender can speak a higher major version (RFC 7296 §2.5). */
  readonly higherVersion: boolean;
  /** Message ID, 0 … 2^32 − 1. */
  readonly messageId: number;
}

/**
 * A decoded header with the two derived fields.
 * @public
 */
export interface DecodedHeader {
  /** The header fields. */
  readonly header: IkeHeader;
  /** Type of the first payload (0 for none). */
  readonly nextPayload: number;
  /** Total message length claimed by the header, header included. */
  readonly length: number;
}

function isZero(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}

/**
 * Reads the 28-octet IKE header.
 *
 * @throws {@link InvalidMajorVersionError} when the major version is not 2 (RFC 7296 §2.5);
 *   `WireError` `truncated` below 28 octets, `bad-length` when Length is below 28, `bad-value`
 *   when the initiator's SPI is zero (RFC 7296 §3.1: "This value MUST NOT be zero").
 * @public
 */
export function decodeHeader(r: Reader): DecodedHeader {
  if (r.remaining < HEADER_LENGTH) {
    throw new WireError(
      "truncated",
      `IKE header needs ${HEADER_LENGTH} bytes, ${r.remaining} left`,
      r.absoluteOffset,
    );
  }
  const spiI = r.bytes(IKE_SPI_LENGTH, "initiator SPI");
  const spiR = r.bytes(IKE_SPI_LENGTH, "responder SPI");
  const nextPayload = r.u8("next payload");
  const versionAt = r.absoluteOffset;
  const version = r.u8("version");
  // RFC 7296 §2.5: a message with a major version we do not speak is dropped, answered by
  // INVALID_MAJOR_VERSION; check it before any field whose meaning that version could change.
  const majorVersion = version >>> 4;
  if (majorVersion !== IKE_MAJOR_VERSION) throw new InvalidMajorVersionError(majorVersion, versionAt);
  const exchangeType = r.u8("exchange type");
  // RFC 7296 §3.1: reserved flag bits MUST be ignored on receipt.
  const flags = r.u8("flags");
  const messageId = r.u32("message ID");
  const length = r.u32("length");
  if (length < HEADER_LENGTH) r.fail("bad-length", `IKE header length ${length} < ${HEADER_LENGTH}`);
  if (isZero(spiI)) r.fail("bad-value", "initiator SPI is zero");
  return {
    header: {
      spiI,
      spiR,
      minorVersion: version & 0x0f,
      exchangeType,
      initiator: (flags & HeaderFlag.INITIATOR) !== 0,
      response: (flags & HeaderFlag.RESPONSE) !== 0,
      higherVersion: (flags & HeaderFlag.VERSION) !== 0,
      messageId,
    },
    nextPayload,
    length,
  };
}

/**
 * Writes the IKE header with Length 0 and returns the offset of the Length field, to be patched
 * with {@link Writer.patchU32} once the payloads are written.
 *
 * @throws `RangeError` for SPIs that are not 8 octets, a zero initiator SPI, or out-of-range fields.
 * @public
 */
export function encodeHeader(w: Writer, header: IkeHeader, nextPayload: number): number {
  if (header.spiI.length !== IKE_SPI_LENGTH || header.spiR.length !== IKE_SPI_LENGTH) {
    throw new RangeError("IKE header: SPIs must be 8 octets");
  }
  if (isZero(header.spiI)) throw new RangeError("IKE header: initiator SPI must not be zero");
  checkUint("IKE header minor version", header.minorVersion, 0x0f);
  checkUint("IKE header exchange type", header.exchangeType, 0xff);
  checkUint("IKE header message ID", header.messageId, 0xffffffff);
  const flags =
    (header.initiator ? HeaderFlag.INITIATOR : 0) |
    (header.response ? HeaderFlag.RESPONSE : 0) |
    (header.higherVersion ? HeaderFlag.VERSION : 0);
  w.bytes(header.spiI)
    .bytes(header.spiR)
    .u8(nextPayload)
    .u8((IKE_MAJOR_VERSION << 4) | header.minorVersion)
    .u8(header.exchangeType)
    .u8(flags)
    .u32(header.messageId);
  return w.reserveU32();
}
