/**
 * Certificates in PEM (RFC 7468 §5: label `CERTIFICATE`) or DER.
 *
 * @packageDocumentation
 */
import { type Certificate, MAX_CERTIFICATE_LENGTH, parseCertificate } from "./certificate.js";
import { malformed } from "./errors.js";

/** Most certificates read from one PEM text. */
const MAX_PEM_BLOCKS = 64;
/** Longest PEM text accepted. */
const MAX_PEM_LENGTH = MAX_PEM_BLOCKS * MAX_CERTIFICATE_LENGTH * 2;

/** RFC 4648 §4 base64 with canonical padding (RFC 7468 §3, strict). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The DER bytes of every `CERTIFICATE` block in a PEM text, in order.
 * @throws {@link PkiError} `malformed` for bad base64, no block, or too much input.
 * @public
 */
export function pemCertificates(pem: string): Uint8Array[] {
  if (pem.length > MAX_PEM_LENGTH) malformed("PEM text too long");
  const out: Uint8Array[] = [];
  const blocks = /-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----/g;
  for (const match of pem.matchAll(blocks)) {
    if (out.length === MAX_PEM_BLOCKS) malformed("too many PEM blocks");
    const body = match[1]!.replace(/\s+/g, "");
    if (!BASE64.test(body) || body.length > (MAX_CERTIFICATE_LENGTH * 4) / 3 + 4) {
      malformed("PEM CERTIFICATE: malformed base64");
    }
    const binary = atob(body);
    const der = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) der[i] = binary.charCodeAt(i);
    out.push(der);
  }
  if (out.length === 0) malformed("no PEM CERTIFICATE block");
  return out;
}

/**
 * Parses certificates given as PEM text (every block) or as DER bytes (one certificate).
 * @throws {@link PkiError}.
 * @public
 */
export function parseCertificates(input: string | Uint8Array): Certificate[] {
  if (typeof input === "string") return pemCertificates(input).map(parseCertificate);
  return [parseCertificate(input)];
}
