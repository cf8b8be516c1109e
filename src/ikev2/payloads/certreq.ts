/**
 * Certificate Request payload (RFC 7296 §3.7): an encoding number and the Certification Authority
 * field, for X.509 a concatenation of 20-octet SHA-1 hashes of trusted CAs' public keys.
 *
 * @packageDocumentation
 */
import type { Reader } from "../../wire/reader.js";
import type { Writer } from "../../wire/writer.js";
import { CertEncoding } from "../constants.js";
import { checkUint } from "./generic.js";

const MAX_ENCODING = 0xff;
/** Size of one CA public key hash: SHA-1 (RFC 7296 §3.7). @public */
export const CA_HASH_LENGTH = 20;

/** The CERTREQ payload. @public */
export interface CertReqPayload {
  /** Payload discriminant. */
  readonly type: "CERTREQ";
  /** A {@link CertEncoding}. */
  readonly encoding: number;
  /** Certification Authority field (zero-copy view on decode). */
  readonly authorities: Uint8Array;
}

/**
 * Decodes a CERTREQ payload body. The Certification Authority field is kept whole: peers are
 * known to send other content, which {@link caHashes} reports rather than the decoder rejecting.
 * @public
 */
export function decodeCertReq(r: Reader): CertReqPayload {
  const encoding = r.u8("certreq encoding");
  return { type: "CERTREQ", encoding, authorities: r.rest() };
}

/** Encodes a CERTREQ payload body. @public */
export function encodeCertReq(w: Writer, req: CertReqPayload): void {
  checkUint("CERTREQ encoding", req.encoding, MAX_ENCODING);
  w.u8(req.encoding).bytes(req.authorities);
}

/**
 * The CA public key hashes of an X.509 CERTREQ (RFC 7296 §3.7), as zero-copy views, or
 * `undefined` when the encoding is not X.509 signature or the field is not a whole number of
 * 20-octet hashes.
 * @public
 */
export function caHashes(req: CertReqPayload): Uint8Array[] | undefined {
  const a = req.authorities;
  if (req.encoding !== CertEncoding.X509_SIGNATURE || a.length % CA_HASH_LENGTH !== 0) return undefined;
  const out: Uint8Array[] = [];
  for (let i = 0; i < a.length; i += CA_HASH_LENGTH) out.push(a.subarray(i, i + CA_HASH_LENGTH));
  return out;
}
