/**
 * Notify payload (RFC 7296 §3.10), plus the data layouts of the notifies the codecs themselves
 * need: SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4) and the one-value errors of RFC 7296 §2.5/§1.2.
 *
 * ```text
 *  Protocol ID (1) | SPI Size (1) | Notify Message Type (2) | SPI (SPI Size) | Notification Data
 * ```
 *
 * @packageDocumentation
 */
import { ProtocolId } from "../../crypto/registry.js";
import type { Reader } from "../../wire/reader.js";
import type { Writer } from "../../wire/writer.js";
import { checkRule, checkUint } from "./generic.js";

/** RFC 7296 §3.10: a notify about a Child SA carries its 4-octet ESP or AH SPI. */
const CHILD_SPI_SIZE = 4;
const MAX_U8 = 0xff;
const MAX_U16 = 0xffff;
/** RFC 7427 §4: each hash algorithm identifier is 16 bits. */
const HASH_ID_LENGTH = 2;

/** The Notify payload. @public */
export interface NotifyPayload {
  /** Payload discriminant. */
  readonly type: "N";
  /**
   * AH or ESP when {@link NotifyPayload.spi} is set; otherwise sent as 0 and ignored on receipt
   * (RFC 7296 §3.10), but kept as received.
   */
  readonly protocolId: number;
  /** The SPI of the Child SA the notify concerns, or empty. */
  readonly spi: Uint8Array;
  /** A {@link NotifyType}. */
  readonly notifyType: number;
  /** Notification Data (zero-copy view on decode). */
  readonly data: Uint8Array;
}

function notifySpiProblem(protocolId: number, spiSize: number): string | undefined {
  // RFC 7296 §3.10: "For a notification concerning the IKE SA, the SPI Size MUST be zero"; for
  // Child SAs the Protocol ID "MUST contain either (2) to indicate AH or (3) to indicate ESP".
  // An SPI with protocol 0 or 1 is refused here so nothing echoes it back (CVE-2023-38710).
  if (spiSize === 0) return undefined;
  if (spiSize !== CHILD_SPI_SIZE) return `notify SPI size ${spiSize}`;
  if (protocolId !== ProtocolId.AH && protocolId !== ProtocolId.ESP)
    return `notify SPI with protocol ${protocolId}`;
  return undefined;
}

/** Decodes a Notify payload body. @throws `WireError` `bad-value` for an SPI size/protocol §3.10 forbids. @public */
export function decodeNotify(r: Reader): NotifyPayload {
  const protocolId = r.u8("notify protocol ID");
  const spiSize = r.u8("notify SPI size");
  const notifyType = r.u16("notify type");
  const problem = notifySpiProblem(protocolId, spiSize);
  if (problem !== undefined) r.fail("bad-value", problem);
  const spi = r.bytes(spiSize, "notify SPI");
  return { type: "N", protocolId, spi, notifyType, data: r.rest() };
}

/** Encodes a Notify payload body. @throws `RangeError` for an SPI size/protocol §3.10 forbids. @public */
export function encodeNotify(w: Writer, n: NotifyPayload): void {
  checkUint("notify protocol ID", n.protocolId, MAX_U8);
  checkUint("notify type", n.notifyType, MAX_U16);
  checkRule("Notify payload", notifySpiProblem(n.protocolId, n.spi.length));
  w.u8(n.protocolId).u8(n.spi.length).u16(n.notifyType).bytes(n.spi).bytes(n.data);
}

/**
 * Reads SIGNATURE_HASH_ALGORITHMS Notification Data: a list of 16-bit hash algorithm identifiers
 * (RFC 7427 §4).
 * @throws `WireError` `trailing-data` for an odd number of octets.
 * @public
 */
export function decodeSignatureHashAlgorithms(r: Reader): number[] {
  const out: number[] = [];
  while (r.remaining >= HASH_ID_LENGTH) out.push(r.u16("hash algorithm"));
  r.expectEnd("SIGNATURE_HASH_ALGORITHMS data");
  return out;
}

/** Writes SIGNATURE_HASH_ALGORITHMS Notification Data (RFC 7427 §4). @public */
export function encodeSignatureHashAlgorithms(w: Writer, hashes: readonly number[]): void {
  for (const h of hashes) {
    checkUint("hash algorithm", h, MAX_U16);
    w.u16(h);
  }
}
