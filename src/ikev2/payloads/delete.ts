/**
 * Delete payload (RFC 7296 §3.11).
 *
 * ```text
 *  Protocol ID (1) | SPI Size (1) | Num of SPIs (2) | SPIs (SPI Size × Num of SPIs)
 * ```
 *
 * @packageDocumentation
 */
import { ProtocolId } from "../../crypto/registry.js";
import type { Reader } from "../../wire/reader.js";
import type { Writer } from "../../wire/writer.js";
import { checkRule, checkUint } from "./generic.js";

/** RFC 7296 §3.11: SPI Size is 4 for AH and ESP. */
const CHILD_SPI_SIZE = 4;
const MAX_SPIS = 0xffff;

/** The Delete payload. @public */
export interface DeletePayload {
  /** Payload discriminant. */
  readonly type: "D";
  /** `ProtocolId` IKE (1), AH (2) or ESP (3). */
  readonly protocolId: number;
  /** The SPIs to delete: none for IKE, 4-octet inbound SPIs for AH/ESP (zero-copy views). */
  readonly spis: readonly Uint8Array[];
}

function deleteProblem(protocolId: number, spiSize: number, count: number): string | undefined {
  // RFC 7296 §3.11: "Deletion of the IKE SA is indicated by a protocol ID of 1 (IKE) but no SPIs";
  // SPI Size "MUST be zero for IKE ... or four for AH and ESP"; Protocol ID "Must be 1 … 2 … or 3".
  if (protocolId === ProtocolId.IKE) {
    return spiSize === 0 && count === 0 ? undefined : "IKE SA deletion with SPIs";
  }
  if (protocolId === ProtocolId.AH || protocolId === ProtocolId.ESP) {
    return spiSize === CHILD_SPI_SIZE ? undefined : `AH/ESP delete with SPI size ${spiSize}`;
  }
  return `delete for protocol ${protocolId}`;
}

/** Decodes a Delete payload body. @throws `WireError` when size, count and protocol disagree. @public */
export function decodeDelete(r: Reader): DeletePayload {
  const protocolId = r.u8("delete protocol ID");
  const spiSize = r.u8("delete SPI size");
  const count = r.u16("number of SPIs");
  const problem = deleteProblem(protocolId, spiSize, count);
  if (problem !== undefined) r.fail("bad-value", problem);
  const spis: Uint8Array[] = [];
  for (let i = 0; i < count; i++) spis.push(r.bytes(spiSize, "delete SPI"));
  r.expectEnd("Delete payload");
  return { type: "D", protocolId, spis };
}

/** Encodes a Delete payload body. @throws `RangeError` for combinations §3.11 forbids. @public */
export function encodeDelete(w: Writer, d: DeletePayload): void {
  checkUint("number of SPIs", d.spis.length, MAX_SPIS);
  const spiSize = d.protocolId === ProtocolId.IKE ? 0 : CHILD_SPI_SIZE;
  for (const spi of d.spis)
    if (spi.length !== spiSize) throw new RangeError(`Delete: SPI of ${spi.length} octets`);
  checkRule("Delete payload", deleteProblem(d.protocolId, spiSize, d.spis.length));
  w.u8(d.protocolId).u8(spiSize).u16(d.spis.length);
  for (const spi of d.spis) w.bytes(spi);
}
