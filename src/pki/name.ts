/**
 * Distinguished names (RFC 5280 §4.1.2.4): kept as DER for byte-exact comparison (chain building,
 * ID_DER_ASN1_DN matching) and rendered as text (RFC 4514 style, most significant RDN first as
 * encoded, like OpenSSL's and strongSwan's one-line form) for logs.
 *
 * @packageDocumentation
 */
import { children, contents, encoding, type Node, oid, sequence, TAG, UNIVERSAL } from "./asn1.js";
import { malformed } from "./errors.js";

/** A distinguished name. @public */
export interface DistinguishedName {
  /** The Name's DER encoding (a view into the certificate). */
  readonly der: Uint8Array;
  /** Printable form, e.g. `"C=ZZ, O=ikei interop, CN=ikei ecdsa CA"`. */
  readonly text: string;
}

/** RFC 4519 / RFC 5280 §4.1.2.4 short names of the usual attributes. */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.4": "SN",
  "2.5.4.5": "serialNumber",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.12": "title",
  "2.5.4.42": "GN",
  "0.9.2342.19200300.100.1.25": "DC",
  "0.9.2342.19200300.100.1.1": "UID",
  "1.2.840.113549.1.9.1": "E",
};

const HEX = "0123456789abcdef";

function hex(bytes: Uint8Array): string {
  let s = "#";
  for (const b of bytes) s += HEX[b >> 4]! + HEX[b & 15]!;
  return s;
}

/** One character per octet (PrintableString and IA5String are ASCII subsets; T61 shown as Latin-1). */
function latin1(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** Text of a directory string value; strings that do not decode are shown as hex. */
function valueText(node: Node): string {
  const { tagClass, tagNumber } = node.idBlock;
  const c = contents(node);
  if (tagClass !== UNIVERSAL) return hex(encoding(node));
  try {
    switch (tagNumber) {
      case TAG.UTF8_STRING:
        return new TextDecoder("utf-8", { fatal: true }).decode(c);
      case TAG.PRINTABLE_STRING:
      case TAG.IA5_STRING:
      case TAG.TELETEX_STRING:
        return latin1(c);
      case TAG.BMP_STRING:
        if (c.length % 2 !== 0) return hex(encoding(node));
        return new TextDecoder("utf-16be", { fatal: true }).decode(c);
      default:
        return hex(encoding(node));
    }
  } catch {
    return hex(encoding(node));
  }
}

/**
 * Parses a Name node: RDNSequence of non-empty SETs of AttributeTypeAndValue. @internal
 * @throws {@link PkiError} `malformed`.
 */
export function distinguishedNameOf(node: Node, what: string): DistinguishedName {
  const parts: string[] = [];
  // An empty RDNSequence is legal (RFC 5280 §4.1.2.6, subject in SAN-only certificates).
  for (const rdn of sequence(node, what, 0, 128)) {
    if (rdn.idBlock.tagClass !== UNIVERSAL || rdn.idBlock.tagNumber !== TAG.SET)
      malformed(`${what}: RDN not a SET`);
    const attributes = children(rdn, what);
    if (attributes.length === 0 || attributes.length > 16)
      malformed(`${what}: RDN of ${attributes.length} values`);
    const rendered = attributes.map((atv) => {
      const [type, value] = sequence(atv, what, 2, 2);
      const id = oid(type, `${what} attribute type`);
      return `${SHORT_NAMES[id] ?? id}=${valueText(value!)}`;
    });
    parts.push(rendered.join("+"));
  }
  return { der: encoding(node), text: parts.join(", ") };
}
