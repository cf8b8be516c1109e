/**
 * Configuration payload (RFC 7296 §3.15) and its attributes (§3.15.1).
 *
 * ```text
 *  CFG Type (1) | RESERVED (3) | attributes: R(1 bit) Attribute Type (15 bits) | Length (2) | Value
 * ```
 *
 * @packageDocumentation
 */
import type { Reader } from "../../wire/reader.js";
import type { Writer } from "../../wire/writer.js";
import { ConfigAttributeType } from "../constants.js";
import { checkRule, checkUint } from "./generic.js";

/** RESERVED octets after the CFG Type (RFC 7296 §3.15). */
const CP_RESERVED_LENGTH = 3;
/** RFC 7296 §3.15.1: the R bit "MUST be set to zero and MUST be ignored on receipt". */
const ATTRIBUTE_TYPE_MASK = 0x7fff;
const MAX_U8 = 0xff;
const MAX_U16 = 0xffff;

/**
 * Value lengths RFC 7296 §3.15.1 allows for each attribute type ike-ts knows ("0 or 4 octets" …);
 * a zero-length value asks for the attribute in a CFG_REQUEST. `even` marks SUPPORTED_ATTRIBUTES
 * ("Multiple of 2"); APPLICATION_VERSION and unknown types take any length.
 */
const ATTRIBUTE_LENGTHS: ReadonlyMap<number, readonly number[] | "even"> = new Map<
  number,
  readonly number[] | "even"
>([
  [ConfigAttributeType.INTERNAL_IP4_ADDRESS, [0, 4]],
  [ConfigAttributeType.INTERNAL_IP4_NETMASK, [0, 4]],
  [ConfigAttributeType.INTERNAL_IP4_DNS, [0, 4]],
  [ConfigAttributeType.INTERNAL_IP4_NBNS, [0, 4]],
  [ConfigAttributeType.INTERNAL_IP4_DHCP, [0, 4]],
  [ConfigAttributeType.INTERNAL_IP6_ADDRESS, [0, 17]],
  [ConfigAttributeType.INTERNAL_IP6_DNS, [0, 16]],
  [ConfigAttributeType.INTERNAL_IP6_DHCP, [0, 16]],
  [ConfigAttributeType.INTERNAL_IP4_SUBNET, [0, 8]],
  [ConfigAttributeType.SUPPORTED_ATTRIBUTES, "even"],
  // The table says 17 octets; an empty value in a request is accepted like the other subnets'.
  [ConfigAttributeType.INTERNAL_IP6_SUBNET, [0, 17]],
]);

/** A configuration attribute (RFC 7296 §3.15.1). @public */
export interface ConfigAttribute {
  /** A {@link ConfigAttributeType} or another registered type. */
  readonly attrType: number;
  /** The value (zero-copy view on decode); empty to request it. */
  readonly value: Uint8Array;
}

/** The CP payload. @public */
export interface CpPayload {
  /** Payload discriminant. */
  readonly type: "CP";
  /** A {@link CfgType}. */
  readonly cfgType: number;
  /** Zero or more attributes. */
  readonly attributes: readonly ConfigAttribute[];
}

function attributeProblem(a: ConfigAttribute): string | undefined {
  const allowed = ATTRIBUTE_LENGTHS.get(a.attrType);
  const n = a.value.length;
  if (allowed === undefined) return undefined;
  if (allowed === "even" ? n % 2 === 0 : allowed.includes(n)) return undefined;
  return `configuration attribute ${a.attrType} of ${n} octets`;
}

/** Decodes a CP payload body. @throws `WireError` `bad-length` for a value size §3.15.1 forbids. @public */
export function decodeCp(r: Reader): CpPayload {
  const cfgType = r.u8("CFG type");
  r.skip(CP_RESERVED_LENGTH, "CP reserved"); // RFC 7296 §3.15: MUST be ignored on receipt
  const attributes: ConfigAttribute[] = [];
  while (!r.done) {
    const attrType = r.u16("attribute type") & ATTRIBUTE_TYPE_MASK;
    const a: ConfigAttribute = { attrType, value: r.bytes(r.u16("attribute length"), "attribute value") };
    const problem = attributeProblem(a);
    if (problem !== undefined) r.fail("bad-length", problem);
    attributes.push(a);
  }
  return { type: "CP", cfgType, attributes };
}

/** Encodes a CP payload body. @throws `RangeError` for a value size §3.15.1 forbids. @public */
export function encodeCp(w: Writer, cp: CpPayload): void {
  checkUint("CFG type", cp.cfgType, MAX_U8);
  w.u8(cp.cfgType).zeros(CP_RESERVED_LENGTH);
  for (const a of cp.attributes) {
    checkUint("configuration attribute type", a.attrType, ATTRIBUTE_TYPE_MASK);
    checkUint("configuration attribute length", a.value.length, MAX_U16);
    checkRule("CP payload", attributeProblem(a));
    w.u16(a.attrType).u16(a.value.length).bytes(a.value);
  }
}
