/**
 * Key Exchange payload (RFC 7296 §3.4; RFC 9370 §2.2 reuses it for additional key exchanges).
 *
 * ```text
 *  Diffie-Hellman Group Num (2) | RESERVED (2) | Key Exchange Data (variable)
 * ```
 *
 * Whether the data length fits the group is checked by the key-exchange code, which knows the
 * group (CVE-2023-41913 class), not here.
 *
 * @packageDocumentation
 */
import type { Reader } from "../../wire/reader.js";
import type { Writer } from "../../wire/writer.js";
import { checkUint } from "./generic.js";

/** RESERVED octets after the group number (RFC 7296 §3.4). */
const KE_RESERVED_LENGTH = 2;
const MAX_GROUP = 0xffff;

/** The KE payload. @public */
export interface KePayload {
  /** Payload discriminant. */
  readonly type: "KE";
  /** The Diffie-Hellman group / key exchange method (IANA Transform Type 4 ID). */
  readonly group: number;
  /** The public value (zero-copy view on decode). */
  readonly data: Uint8Array;
}

/** Decodes a KE payload body. @public */
export function decodeKe(r: Reader): KePayload {
  const group = r.u16("DH group");
  r.skip(KE_RESERVED_LENGTH, "KE reserved"); // RFC 7296 §3.4: MUST be ignored when received
  return { type: "KE", group, data: r.rest() };
}

/** Encodes a KE payload body. @public */
export function encodeKe(w: Writer, ke: KePayload): void {
  checkUint("KE group", ke.group, MAX_GROUP);
  w.u16(ke.group).zeros(KE_RESERVED_LENGTH).bytes(ke.data);
}
