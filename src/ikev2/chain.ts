/**
 * The payload chain (RFC 7296 §3.2): the {@link Payload} union, decoding that dispatches on the
 * payload type, unknown payloads (§2.5), and the inner chain carried by SK (§3.14).
 *
 * Each payload body is read through a sub-reader bounded by its own Payload Length, so an inner
 * length can never reach into the next payload.
 *
 * @packageDocumentation
 */
import { Reader } from "../wire/reader.js";
import { Writer } from "../wire/writer.js";
import { type PayloadName, PayloadType, payloadNameOf } from "./constants.js";
import { UnsupportedCriticalPayloadError } from "./errors.js";
import { type AuthPayload, decodeAuth, encodeAuth } from "./payloads/auth.js";
import { type CertPayload, decodeCert, encodeCert } from "./payloads/cert.js";
import { type CertReqPayload, decodeCertReq, encodeCertReq } from "./payloads/certreq.js";
import { type CpPayload, decodeCp, encodeCp } from "./payloads/cp.js";
import { type DeletePayload, decodeDelete, encodeDelete } from "./payloads/delete.js";
import { decodeEap, type EapPayload, encodeEap } from "./payloads/eap.js";
import { CRITICAL_BIT, checkUint, GENERIC_HEADER_LENGTH, MAX_PAYLOAD_LENGTH } from "./payloads/generic.js";
import { decodeId, encodeId, type IdPayload } from "./payloads/id.js";
import { decodeKe, encodeKe, type KePayload } from "./payloads/ke.js";
import { decodeNonce, encodeNonce, type NoncePayload } from "./payloads/nonce.js";
import { decodeNotify, encodeNotify, type NotifyPayload } from "./payloads/notify.js";
import { decodeSa, encodeSa, type SaPayload } from "./payloads/sa.js";
import { decodeSk, encodeSk, type SkPayload } from "./payloads/sk.js";
import { decodeSkf, encodeSkf, type SkfPayload } from "./payloads/skf.js";
import { decodeTs, encodeTs, type TsPayload } from "./payloads/ts.js";
import { decodeVendor, encodeVendor, type VendorPayload } from "./payloads/vendor.js";

/**
 * Default cap on payloads in one chain. A 64 KiB message could otherwise hold 16 000 empty
 * payloads; Libreswan overflowed a fixed payload array this way (CVE-2026-12413).
 * @public
 */
export const MAX_PAYLOADS = 64;

/**
 * A payload of a type ike-ts does not decode (including IKEv1's 1–32 and later IKEv2 types),
 * kept raw so processing can skip it (RFC 7296 §2.5: "that payload MUST be ignored").
 * @public
 */
export interface UnknownPayload {
  /** Payload discriminant. */
  readonly type: "unknown";
  /** The payload type number from the previous payload's Next Payload field. */
  readonly payloadType: number;
  /** The critical bit; always false after decoding (a critical unknown payload is an error). */
  readonly critical: boolean;
  /** The payload body (zero-copy view on decode). */
  readonly body: Uint8Array;
}

/** Any IKEv2 payload, discriminated on `type` (RFC 7296 §3.2 notation). @public */
export type Payload =
  | SaPayload
  | KePayload
  | IdPayload
  | CertPayload
  | CertReqPayload
  | AuthPayload
  | NoncePayload
  | NotifyPayload
  | DeletePayload
  | VendorPayload
  | TsPayload
  | SkPayload
  | SkfPayload
  | CpPayload
  | EapPayload
  | UnknownPayload;

/** Options for decoding a payload chain. @public */
export interface ChainOptions {
  /** Most payloads accepted in one chain; default {@link MAX_PAYLOADS}. */
  readonly maxPayloads?: number;
}

type BodyDecoder = (body: Reader, nextPayload: number) => Payload;

/** One decoder per payload type ike-ts understands; every other number is an unknown payload. */
const DECODERS: Readonly<Record<PayloadName, BodyDecoder>> = {
  SA: (r) => decodeSa(r),
  KE: (r) => decodeKe(r),
  IDi: (r) => decodeId(r, "IDi"),
  IDr: (r) => decodeId(r, "IDr"),
  CERT: (r) => decodeCert(r),
  CERTREQ: (r) => decodeCertReq(r),
  AUTH: (r) => decodeAuth(r),
  Nonce: (r) => decodeNonce(r),
  N: (r) => decodeNotify(r),
  D: (r) => decodeDelete(r),
  V: (r) => decodeVendor(r),
  TSi: (r) => decodeTs(r, "TSi"),
  TSr: (r) => decodeTs(r, "TSr"),
  SK: (r, next) => decodeSk(r, next),
  SKF: (r, next) => decodeSkf(r, next),
  CP: (r) => decodeCp(r),
  EAP: (r) => decodeEap(r),
};

/** The payload type number of a payload. @public */
export function payloadTypeOf(p: Payload): number {
  return p.type === "unknown" ? p.payloadType : PayloadType[p.type];
}

/** SK and SKF end a message: their Next Payload names the first inner payload (RFC 7296 §3.14). */
function isEncrypted(p: Payload): p is SkPayload | SkfPayload {
  return p.type === "SK" || p.type === "SKF";
}

/**
 * Decodes a payload chain starting with type `first` until a Next Payload of 0, or through an SK
 * or SKF payload, which must be the last (RFC 7296 §3.14, RFC 7383 §2.5). `r` must end there.
 *
 * @param encryptedAllowed - false for a chain inside SK, where another SK/SKF is an error.
 * @throws `WireError` for malformed input; {@link UnsupportedCriticalPayloadError} for an unknown
 *   payload with the critical bit set (RFC 7296 §2.5).
 * @internal
 */
export function decodePayloadChain(
  r: Reader,
  first: number,
  encryptedAllowed: boolean,
  options: ChainOptions = {},
): Payload[] {
  const max = options.maxPayloads ?? MAX_PAYLOADS;
  const payloads: Payload[] = [];
  let type = first;
  while (type !== PayloadType.NONE) {
    if (payloads.length >= max) r.fail("bad-value", `more than ${max} payloads`);
    const at = r.absoluteOffset;
    const nextPayload = r.u8("next payload");
    // RFC 7296 §3.2: the critical bit; the 7 RESERVED bits are ignored on receipt.
    const critical = (r.u8("payload flags") & CRITICAL_BIT) !== 0;
    const length = r.u16("payload length");
    if (length < GENERIC_HEADER_LENGTH) r.fail("bad-length", `payload length ${length}`);
    const name = payloadNameOf(type);
    const body = r.sub(length - GENERIC_HEADER_LENGTH, name ?? `payload ${type}`);
    if (name === undefined) {
      // RFC 7296 §2.5: an unrecognized critical payload rejects the message; a non-critical one
      // is skipped. IKEv1 payload numbers land here too and are never cast (CVE-2015-3991).
      if (critical) throw new UnsupportedCriticalPayloadError(type, at);
      payloads.push({ type: "unknown", payloadType: type, critical, body: body.rest() });
      type = nextPayload;
      continue;
    }
    const p = DECODERS[name](body, nextPayload);
    body.expectEnd(name);
    payloads.push(p);
    if (isEncrypted(p)) {
      if (!encryptedAllowed) r.fail("bad-value", `${name} inside an encrypted payload`);
      break;
    }
    type = nextPayload;
  }
  r.expectEnd("payload chain");
  return payloads;
}

/**
 * Parses the plaintext of an SK payload (or of reassembled SKF fragments): the inner payload chain
 * starting with `firstPayload` ({@link SkPayload.firstPayload}). `plaintext` must hold exactly the
 * payloads, padding and Pad Length already removed by the decryptor.
 *
 * @param base - offset of `plaintext` in some enclosing buffer, for error offsets.
 * @throws `WireError` for malformed input; {@link UnsupportedCriticalPayloadError} for an unknown
 *   critical payload (RFC 7296 §2.5); a nested SK or SKF is `bad-value`.
 * @public
 */
export function decodeInnerPayloads(
  plaintext: Uint8Array,
  firstPayload: number,
  options: ChainOptions = {},
  base = 0,
): Payload[] {
  return decodePayloadChain(new Reader(plaintext, base), firstPayload, false, options);
}

function encodeBody(w: Writer, p: Payload): void {
  switch (p.type) {
    case "SA":
      encodeSa(w, p);
      break;
    case "KE":
      encodeKe(w, p);
      break;
    case "IDi":
    case "IDr":
      encodeId(w, p);
      break;
    case "CERT":
      encodeCert(w, p);
      break;
    case "CERTREQ":
      encodeCertReq(w, p);
      break;
    case "AUTH":
      encodeAuth(w, p);
      break;
    case "Nonce":
      encodeNonce(w, p);
      break;
    case "N":
      encodeNotify(w, p);
      break;
    case "D":
      encodeDelete(w, p);
      break;
    case "V":
      encodeVendor(w, p);
      break;
    case "TSi":
    case "TSr":
      encodeTs(w, p);
      break;
    case "SK":
      encodeSk(w, p);
      break;
    case "SKF":
      encodeSkf(w, p);
      break;
    case "CP":
      encodeCp(w, p);
      break;
    case "EAP":
      encodeEap(w, p);
      break;
    case "unknown":
      w.bytes(p.body);
      break;
  }
}

/**
 * Writes a payload chain with every generic header computed: Next Payload from the following
 * payload (or, for SK/SKF, its first inner payload), critical bit clear for known payloads
 * (RFC 7296 §3.2), RESERVED zero, Payload Length. Returns the type of the first payload (0 if none).
 *
 * @throws `RangeError` when SK/SKF is not last, an unknown payload uses a known type number,
 *   a payload exceeds 65535 octets, or a payload's own encoder rejects its value.
 * @internal
 */
export function encodePayloadChain(w: Writer, payloads: readonly Payload[]): number {
  payloads.forEach((p, i) => {
    const following = payloads[i + 1];
    if (isEncrypted(p) && following !== undefined) throw new RangeError(`${p.type} must be the last payload`);
    if (p.type === "unknown") {
      checkUint("unknown payload type", p.payloadType, 0xff);
      if (p.payloadType === PayloadType.NONE || payloadNameOf(p.payloadType) !== undefined) {
        throw new RangeError(`unknown payload with type number ${p.payloadType}`);
      }
    }
    const next = isEncrypted(p)
      ? p.firstPayload
      : following === undefined
        ? PayloadType.NONE
        : payloadTypeOf(following);
    checkUint("next payload", next, 0xff);
    const critical = p.type === "unknown" && p.critical ? CRITICAL_BIT : 0;
    w.u8(next).u8(critical);
    const lengthAt = w.reserveU16();
    encodeBody(w, p);
    const length = w.length - (lengthAt - 2);
    if (length > MAX_PAYLOAD_LENGTH) throw new RangeError(`${p.type} payload of ${length} octets`);
    w.patchU16(lengthAt, length);
  });
  return payloads[0] === undefined ? PayloadType.NONE : payloadTypeOf(payloads[0]);
}

/**
 * The plaintext of an SK payload holding `payloads` (before padding), and the type to put in the
 * SK header's Next Payload.
 * @public
 */
export interface InnerPayloads {
  /** Type of the first inner payload: {@link SkPayload.firstPayload}. */
  readonly firstPayload: number;
  /** The encoded inner chain, to be padded and encrypted. */
  readonly bytes: Uint8Array;
}

/**
 * Encodes the payloads that go inside an SK payload (RFC 7296 §3.14).
 * @throws `RangeError` for an SK/SKF among them, a payload over 65535 octets, or a value a
 *   payload encoder rejects.
 * @public
 */
export function encodeInnerPayloads(payloads: readonly Payload[]): InnerPayloads {
  for (const p of payloads) if (isEncrypted(p)) throw new RangeError(`${p.type} inside an encrypted payload`);
  const w = new Writer();
  const firstPayload = encodePayloadChain(w, payloads);
  return { firstPayload, bytes: w.finish() };
}
