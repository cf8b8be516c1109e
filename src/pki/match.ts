/**
 * Does a certificate speak for an IKE identity (RFC 7296 §3.5, RFC 4945 §3.1)? FQDN and RFC822
 * identities match a subjectAltName dNSName / rfc822Name, IPv4 and IPv6 an iPAddress of the same
 * length, and a DER_ASN1_DN the subject name (or a directoryName) byte for byte.
 *
 * @packageDocumentation
 */
import { decodeDer } from "./asn1.js";
import { equalBytes } from "./bytes.js";
import type { Certificate } from "./certificate.js";
import { PkiError } from "./errors.js";
import { distinguishedNameOf } from "./name.js";

/**
 * An identity as an ID payload carries it: the kind, and the ID data octets (text as ASCII, an
 * address as 4 or 16 octets, a DN as its DER).
 * @public
 */
export interface CertificateIdentity {
  readonly type: "fqdn" | "rfc822" | "ipv4" | "ipv6" | "dn";
  readonly data: Uint8Array;
}

/** Largest DN identity accepted (a DoS bound; the DN itself is parsed with depth limits). */
const MAX_DN_LENGTH = 4096;
/** RFC 1035 §2.3.4 (names) / RFC 5321 §4.5.3.1 (addresses): generous text bounds. */
const MAX_TEXT_LENGTH = 512;

/** ASCII text of ID data, or undefined for NUL / non-ASCII octets or excessive length. */
function ascii(data: Uint8Array): string | undefined {
  if (data.length === 0 || data.length > MAX_TEXT_LENGTH) return undefined;
  let s = "";
  for (const b of data) {
    if (b === 0 || b >= 0x80) return undefined;
    s += String.fromCharCode(b);
  }
  return s;
}

/** RFC 4343: DNS names compare case-insensitively (ASCII). */
function sameDnsName(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b.toLowerCase();
}

/** RFC 5280 §4.2.1.6 / §7.5: the local part is case-sensitive, the host part is not. */
function sameMailbox(a: string, b: string): boolean {
  const at = a.lastIndexOf("@");
  const bt = b.lastIndexOf("@");
  if (at < 0 || bt < 0) return a === b;
  return a.slice(0, at) === b.slice(0, bt) && sameDnsName(a.slice(at + 1), b.slice(bt + 1));
}

/**
 * The DER of a DN identity, checked to be exactly one well-formed Name (CVE-2013-6075: a DN ID
 * whose inner lengths run past the data must not be read past its end), or undefined.
 */
function dnIdentity(data: Uint8Array): Uint8Array | undefined {
  if (data.length === 0 || data.length > MAX_DN_LENGTH) return undefined;
  try {
    return distinguishedNameOf(
      decodeDer(data, "ID_DER_ASN1_DN", { maxDepth: 8, maxNodes: 1024 }),
      "ID_DER_ASN1_DN",
    ).der;
  } catch (e) {
    if (e instanceof PkiError) return undefined;
    throw e;
  }
}

/**
 * True when `cert` names `id` (RFC 4945 §3.1: the ID must be bound to the certificate, through a
 * subjectAltName for FQDN, RFC822 and IP identities, through the subject for a DN).
 * @public
 */
export function certificateMatchesIdentity(cert: Certificate, id: CertificateIdentity): boolean {
  const sans = cert.subjectAltNames;
  switch (id.type) {
    case "fqdn": {
      const name = ascii(id.data);
      return name !== undefined && sans.some((n) => n.type === "dns" && sameDnsName(n.value, name));
    }
    case "rfc822": {
      const mail = ascii(id.data);
      return mail !== undefined && sans.some((n) => n.type === "email" && sameMailbox(n.value, mail));
    }
    case "ipv4":
    case "ipv6": {
      // RFC 7296 §3.5: four octets for ID_IPV4_ADDR, sixteen for ID_IPV6_ADDR.
      if (id.data.length !== (id.type === "ipv4" ? 4 : 16)) return false;
      return sans.some((n) => n.type === "ip" && equalBytes(n.value, id.data));
    }
    case "dn": {
      const dn = dnIdentity(id.data);
      if (dn === undefined) return false;
      return (
        equalBytes(cert.subject.der, dn) || sans.some((n) => n.type === "dn" && equalBytes(n.value.der, dn))
      );
    }
  }
}
