/**
 * EAP payload (RFC 7296 §3.16): one EAP message (RFC 3748 §4).
 *
 * ```text
 *  Code (1) | Identifier (1) | Length (2) | Type (1, Request/Response only) | Type-Data
 * ```
 *
 * @packageDocumentation
 */
import type { Reader } from "../../wire/reader.js";
import type { Writer } from "../../wire/writer.js";
import { EapCode } from "../constants.js";
import { checkUint } from "./generic.js";

/** Code, Identifier and Length (RFC 3748 §4). */
const EAP_HEADER_LENGTH = 4;
const MAX_U8 = 0xff;
const MAX_U16 = 0xffff;

/** The EAP payload. @public */
export interface EapPayload {
  /** Payload discriminant. */
  readonly type: "EAP";
  /** An {@link EapCode}. */
  readonly code: number;
  /** Identifier, matching request and response. */
  readonly identifier: number;
  /** EAP method Type; present exactly for codes other than Success and Failure. */
  readonly eapType?: number;
  /** Type-Data (zero-copy view on decode); empty for Success and Failure. */
  readonly data: Uint8Array;
}

/** RFC 3748 §4.2: Success and Failure are four octets with no Type; the other codes carry a Type. */
function isBare(code: number): boolean {
  return code === EapCode.SUCCESS || code === EapCode.FAILURE;
}

/** Codes of RFC 3748 §4 and RFC 6696 §5. */
function isKnownCode(code: number): boolean {
  return code >= EapCode.REQUEST && code <= EapCode.FINISH;
}

/**
 * Decodes an EAP payload body.
 * @throws `WireError` `bad-length` when the EAP Length is not the payload body's length (RFC 7296
 *   §3.16: "MUST be four less than the Payload Length") or a Success/Failure is not 4 octets;
 *   `bad-value` for an unknown code.
 * @public
 */
export function decodeEap(r: Reader): EapPayload {
  const total = r.remaining;
  const code = r.u8("EAP code");
  const identifier = r.u8("EAP identifier");
  const length = r.u16("EAP length");
  if (length !== total) r.fail("bad-length", `EAP length ${length} in a ${total}-octet payload body`);
  if (!isKnownCode(code)) r.fail("bad-value", `EAP code ${code}`);
  if (isBare(code)) {
    // RFC 7296 §3.16: "For other codes, the EAP message length MUST be four octets."
    if (length !== EAP_HEADER_LENGTH) r.fail("bad-length", `EAP Success/Failure of ${length} octets`);
    return { type: "EAP", code, identifier, data: r.rest() };
  }
  const eapType = r.u8("EAP type");
  return { type: "EAP", code, identifier, eapType, data: r.rest() };
}

/** Encodes an EAP payload body, computing the EAP Length. @public */
export function encodeEap(w: Writer, eap: EapPayload): void {
  checkUint("EAP code", eap.code, MAX_U8);
  checkUint("EAP identifier", eap.identifier, MAX_U8);
  if (!isKnownCode(eap.code)) throw new RangeError(`EAP: code ${eap.code}`);
  if (isBare(eap.code)) {
    if (eap.eapType !== undefined || eap.data.length !== 0)
      throw new RangeError("EAP: Success/Failure with data");
    w.u8(eap.code).u8(eap.identifier).u16(EAP_HEADER_LENGTH);
    return;
  }
  if (eap.eapType === undefined) throw new RangeError("EAP: Request/Response without a Type");
  checkUint("EAP type", eap.eapType, MAX_U8);
  const length = EAP_HEADER_LENGTH + 1 + eap.data.length;
  checkUint("EAP length", length, MAX_U16);
  w.u8(eap.code).u8(eap.identifier).u16(length).u8(eap.eapType).bytes(eap.data);
}
