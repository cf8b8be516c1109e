/**
 * Identities as configured ({@link IdentityConfig}) and as carried in IDi/IDr (RFC 7296 §3.5).
 *
 * @packageDocumentation
 */
import { concat, equalConstantTime, utf8 } from "../../wire/bytes.js";
import { IdType } from "../constants.js";
import type { IdPayload } from "../payloads/id.js";
import { parseIpAddress } from "./address.js";
import type { IdentityConfig } from "./types.js";

const ID_TYPES: Readonly<Record<IdentityConfig["type"], number>> = {
  fqdn: IdType.ID_FQDN,
  rfc822: IdType.ID_RFC822_ADDR,
  ipv4: IdType.ID_IPV4_ADDR,
  ipv6: IdType.ID_IPV6_ADDR,
  "key-id": IdType.ID_KEY_ID,
  dn: IdType.ID_DER_ASN1_DN,
};

/** The configured form of each ID Type we configure. */
const ID_TYPE_NAMES: ReadonlyMap<number, IdentityConfig["type"]> = new Map(
  Object.entries(ID_TYPES).map(([name, n]) => [n, name as IdentityConfig["type"]]),
);

/** RFC 7296 §3.5: ID Type, then three RESERVED octets, then the data. */
const ID_RESERVED = new Uint8Array(3);

const decoder = new TextDecoder();

/**
 * The UTF-8 of each text identity (FQDN, RFC 822 address, key ID) by its configuration object,
 * with the text it was made from: identities are encoded for every IKE_AUTH, from the same few
 * configurations. A changed `value` is encoded anew.
 */
const encodedIds = new WeakMap<IdentityConfig, { readonly text: string; readonly data: Uint8Array }>();

function encodedText(id: IdentityConfig, text: string): Uint8Array {
  const cached = encodedIds.get(id);
  if (cached !== undefined && cached.text === text) return cached.data;
  const data = utf8(text);
  encodedIds.set(id, { text, data });
  return data;
}

/**
 * The ID payload of a configured identity.
 * @throws `TypeError` for an address that does not parse or has the wrong family.
 * @internal
 */
export function idPayload(type: "IDi" | "IDr", id: IdentityConfig): IdPayload {
  const idType = ID_TYPES[id.type];
  let data: Uint8Array;
  if (id.type === "ipv4" || id.type === "ipv6") {
    data = typeof id.value === "string" ? parseIpAddress(id.value) : id.value;
    if (data.length !== (id.type === "ipv4" ? 4 : 16)) throw new TypeError(`not an ${id.type} identity`);
  } else if (id.type === "dn") {
    // RFC 7296 §3.5: ID_DER_ASN1_DN is the binary DER encoding of an ASN.1 X.500 Name.
    if (typeof id.value === "string") throw new TypeError("a dn identity is the DER of a Name");
    data = id.value;
  } else {
    data = typeof id.value === "string" ? encodedText(id, id.value) : id.value;
  }
  return { type, idType, data };
}

/** The configured form of a received ID payload, or `undefined` for a type we do not configure. @internal */
export function identityOf(p: IdPayload): IdentityConfig | undefined {
  const type = ID_TYPE_NAMES.get(p.idType);
  if (type === undefined) return undefined;
  if (type === "key-id" || type === "dn") return { type, value: p.data.slice() };
  if (type === "ipv4" || type === "ipv6") return { type, value: p.data.slice() };
  return { type, value: decoder.decode(p.data) };
}

/** True when the payload names the configured identity (same type, same octets). @internal */
export function idMatches(p: IdPayload, id: IdentityConfig): boolean {
  const ours = idPayload(p.type, id);
  return ours.idType === p.idType && equalConstantTime(ours.data, p.data);
}

/** RestOfInitIDPayload / RestOfRespIDPayload: ID Type, RESERVED, data (RFC 7296 §2.15). @internal */
export function idPayloadBody(p: IdPayload): Uint8Array {
  return concat(Uint8Array.of(p.idType), ID_RESERVED, p.data);
}
