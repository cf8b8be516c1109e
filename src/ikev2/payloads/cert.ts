/**
 * Certificate payload (RFC 7296 §3.6): an encoding number and the certificate data, which the
 * certificate code interprets (X.509 DER, hash-and-URL …).
 *
 * @packageDocumentation
 */
import type { Reader } from "../../wire/reader.js";
import type { Writer } from "../../wire/writer.js";
import { checkUint } from "./generic.js";

const MAX_ENCODING = 0xff;

/** The CERT payload. @public */
export interface CertPayload {
  /** Payload discriminant. */
  readonly type: "CERT";
  /** A {@link CertEncoding}. */
  readonly encoding: number;
  /** Certificate Data (zero-copy view on decode). */
  readonly data: Uint8Array;
}

/** Decodes a CERT payload body. @public */
export function decodeCert(r: Reader): CertPayload {
  const encoding = r.u8("cert encoding");
  return { type: "CERT", encoding, data: r.rest() };
}

/** Encodes a CERT payload body. @public */
export function encodeCert(w: Writer, cert: CertPayload): void {
  checkUint("CERT encoding", cert.encoding, MAX_ENCODING);
  w.u8(cert.encoding).bytes(cert.data);
}
