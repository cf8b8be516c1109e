/**
 * Vendor ID payload (RFC 7296 §3.12): an opaque identifier, typically a hash. It "may be sent as
 * part of any message"; unrecognized ones are ignored.
 *
 * @packageDocumentation
 */
import type { Reader } from "../../wire/reader.js";
import type { Writer } from "../../wire/writer.js";

/** The Vendor ID payload. @public */
export interface VendorPayload {
  /** Payload discriminant. */
  readonly type: "V";
  /** The Vendor ID (zero-copy view on decode). */
  readonly data: Uint8Array;
}

/** Decodes a Vendor ID payload body. @public */
export function decodeVendor(r: Reader): VendorPayload {
  return { type: "V", data: r.rest() };
}

/** Encodes a Vendor ID payload body. @public */
export function encodeVendor(w: Writer, v: VendorPayload): void {
  w.bytes(v.data);
}
