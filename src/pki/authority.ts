/**
 * The CERTREQ Certification Authority value (RFC 7296 §3.7).
 *
 * @packageDocumentation
 */
import type { ControlPlaneCrypto } from "../crypto/backend.js";
import type { Certificate } from "./certificate.js";

/**
 * RFC 7296 §3.7: "the SHA-1 hash of the Subject Public Key Info element" of a trusted CA, the
 * 20-octet value CERTREQ lists (SHA-1 here is the protocol's fixed identifier, not a signature).
 * @public
 */
export function caKeyHash(backend: Pick<ControlPlaneCrypto, "hash">, ca: Certificate): Uint8Array {
  return backend.hash("sha1", ca.spki);
}
