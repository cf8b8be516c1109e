/**
 * Identification payloads IDi and IDr (RFC 7296 §3.5; RFC 7619 §3 for ID_NULL).
 *
 * ```text
 *  ID Type (1) | RESERVED (3) | Identification Data (variable)
 * ```
 *
 * The data stays raw bytes (policy lookup compares bytes); the decoder checks what each known type
 * fixes: address sizes, no terminators in names, and DER framing of distinguished names and
 * general names so later comparisons cannot run past a bogus inner length (CVE-2013-6075).
 *
 * @packageDocumentation
 */
import type { Reader } from "../../wire/reader.js";
import type { Writer } from "../../wire/writer.js";
import { IdType } from "../constants.js";
import { checkRule, checkUint } from "./generic.js";

/** RESERVED octets after the ID type (RFC 7296 §3.5). */
const ID_RESERVED_LENGTH = 3;
const MAX_ID_TYPE = 0xff;
const IPV4_LENGTH = 4;
const IPV6_LENGTH = 16;
/** DER: SEQUENCE, constructed (X.690 §8.9); a Name is a SEQUENCE (RFC 5280 §4.1.2.4). */
const DER_SEQUENCE = 0x30;
/** DER: context-specific class bits; every GeneralName CHOICE is context-tagged (RFC 5280 §4.2.1.6). */
const DER_CONTEXT_CLASS = 0x80;
const DER_CLASS_MASK = 0xc0;
/** DER: low-tag-number form only (X.690 §8.1.2.3); GeneralName tags are 0…8. */
const DER_HIGH_TAG = 0x1f;
/** DER: long-form length with 1…4 length octets (X.690 §8.1.3.5); 0x80 is BER-only indefinite. */
const DER_LONG_FORM = 0x80;
const DER_MAX_LENGTH_OCTETS = 4;

/** An IDi or IDr payload. @public */
export interface IdPayload {
  /** Payload discriminant: initiator's or responder's identity. */
  readonly type: "IDi" | "IDr";
  /** An {@link IdType}. */
  readonly idType: number;
  /** Identification Data (zero-copy view on decode). */
  readonly data: Uint8Array;
}

/** Total length of the single DER TLV starting at `bytes[0]`, or `undefined` if malformed. */
function derTlvLength(bytes: Uint8Array): number | undefined {
  if (bytes.length < 2) return undefined;
  const first = bytes[1]!;
  if (first < DER_LONG_FORM) return 2 + first;
  const n = first & ~DER_LONG_FORM;
  if (n === 0 || n > DER_MAX_LENGTH_OCTETS || bytes.length < 2 + n) return undefined;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + bytes[2 + i]!;
  // X.690 §10.1: DER uses the fewest length octets, so no leading zero and no long form below 128.
  if (bytes[2] === 0 || length < DER_LONG_FORM) return undefined;
  return 2 + n + length;
}

/** True when `bytes` is exactly one DER TLV whose tag satisfies `tagOk`. */
function isSingleDerTlv(bytes: Uint8Array, tagOk: (tag: number) => boolean): boolean {
  return bytes.length > 0 && tagOk(bytes[0]!) && derTlvLength(bytes) === bytes.length;
}

function hasTerminator(bytes: Uint8Array): boolean {
  // RFC 7296 §3.5: ID_FQDN and ID_RFC822_ADDR "MUST NOT contain any terminators (e.g., NULL, CR, etc.)".
  for (const b of bytes) if (b === 0x00 || b === 0x0a || b === 0x0d) return true;
  return false;
}

/** The rule each known ID type sets on its data; unknown types are opaque. */
function idProblem(idType: number, data: Uint8Array): string | undefined {
  switch (idType) {
    case IdType.ID_IPV4_ADDR:
      return data.length === IPV4_LENGTH ? undefined : `ID_IPV4_ADDR of ${data.length} octets`;
    case IdType.ID_IPV6_ADDR:
      return data.length === IPV6_LENGTH ? undefined : `ID_IPV6_ADDR of ${data.length} octets`;
    case IdType.ID_FQDN:
    case IdType.ID_RFC822_ADDR:
      return hasTerminator(data) ? "name contains a terminator" : undefined;
    case IdType.ID_DER_ASN1_DN:
      return isSingleDerTlv(data, (tag) => tag === DER_SEQUENCE)
        ? undefined
        : "ID_DER_ASN1_DN is not one DER SEQUENCE";
    case IdType.ID_DER_ASN1_GN:
      return isSingleDerTlv(
        data,
        (tag) => (tag & DER_CLASS_MASK) === DER_CONTEXT_CLASS && (tag & DER_HIGH_TAG) !== DER_HIGH_TAG,
      )
        ? undefined
        : "ID_DER_ASN1_GN is not one context-tagged DER value";
    case IdType.ID_NULL:
      // RFC 7619 §3: "The Identification Data field ... for this ID Type MUST be empty."
      return data.length === 0 ? undefined : "ID_NULL with data";
    default:
      return undefined;
  }
}

/**
 * Decodes an IDi/IDr payload body.
 * @throws `WireError` `bad-value` when the data breaks its type's rule.
 * @public
 */
export function decodeId(r: Reader, type: "IDi" | "IDr"): IdPayload {
  const idType = r.u8("ID type");
  r.skip(ID_RESERVED_LENGTH, "ID reserved"); // RFC 7296 §3.5: MUST be ignored on receipt
  const data = r.rest();
  const problem = idProblem(idType, data);
  if (problem !== undefined) r.fail("bad-value", problem);
  return { type, idType, data };
}

/** Encodes an IDi/IDr payload body. @throws `RangeError` for data its type forbids. @public */
export function encodeId(w: Writer, id: IdPayload): void {
  checkUint("ID type", id.idType, MAX_ID_TYPE);
  checkRule("ID payload", idProblem(id.idType, id.data));
  w.u8(id.idType).zeros(ID_RESERVED_LENGTH).bytes(id.data);
}
