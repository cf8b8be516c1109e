/**
 * Security Association payload (RFC 7296 §3.3): proposals (§3.3.1), transforms (§3.3.2) and
 * transform attributes in TV or TLV format (§3.3.5).
 *
 * @packageDocumentation
 */
import { ProtocolId } from "../../crypto/registry.js";
import type { Reader } from "../../wire/reader.js";
import type { Writer } from "../../wire/writer.js";
import { TransformAttributeType } from "../constants.js";
import { checkRule, checkUint } from "./generic.js";

/** Proposal substructure header: Last Substruc, RESERVED, Length, Num, Protocol, SPI Size, Num Transforms. */
const PROPOSAL_HEADER_LENGTH = 8;
/** Transform substructure header: Last Substruc, RESERVED, Length, Type, RESERVED, Transform ID. */
const TRANSFORM_HEADER_LENGTH = 8;
/** RFC 7296 §3.3.1: Last Substruc is 0 for the last proposal, 2 when more follow. */
const LAST_SUBSTRUC = 0;
const MORE_PROPOSALS = 2;
/** RFC 7296 §3.3.2: Last Substruc is 0 for the last transform, 3 when more follow. */
const MORE_TRANSFORMS = 3;
/** RFC 7296 §3.3.5: Attribute Format bit; set for TV (two-octet value), clear for TLV. */
const AF_TV = 0x8000;
const ATTRIBUTE_TYPE_MASK = 0x7fff;
/** RFC 7296 §3.3.1: SPI sizes, 8 for IKE (0 in an initial IKE SA negotiation), 4 for ESP and AH. */
const IKE_SPI_SIZE = 8;
const CHILD_SPI_SIZE = 4;
const MAX_U8 = 0xff;
const MAX_U16 = 0xffff;

/** A TV-format attribute: a 15-bit type and a two-octet value (RFC 7296 §3.3.5). @public */
export interface TvAttribute {
  /** Attribute Format: TV. */
  readonly format: "tv";
  /** Attribute type, e.g. {@link TransformAttributeType}.KEY_LENGTH. */
  readonly attrType: number;
  /** The two-octet value. */
  readonly value: number;
}

/** A TLV-format attribute with a variable-length value (RFC 7296 §3.3.5). @public */
export interface TlvAttribute {
  /** Attribute Format: TLV. */
  readonly format: "tlv";
  /** Attribute type. */
  readonly attrType: number;
  /** The value bytes. */
  readonly value: Uint8Array;
}

/** A transform attribute (RFC 7296 §3.3.5). @public */
export type TransformAttribute = TvAttribute | TlvAttribute;

/** A transform substructure (RFC 7296 §3.3.2). @public */
export interface Transform {
  /** A `TransformType` (ENCR, PRF, INTEG, KE, ESN, or a later type such as ADDKE1…7). */
  readonly transformType: number;
  /** Transform ID within its type. */
  readonly id: number;
  /** Attributes, at most one of each type. */
  readonly attributes: readonly TransformAttribute[];
}

/** A proposal substructure (RFC 7296 §3.3.1). @public */
export interface Proposal {
  /** Proposal Num: 1, 2, 3 … in a request; the accepted proposal's number in a response. */
  readonly number: number;
  /** A `ProtocolId` (IKE, AH, ESP) or a later protocol number. */
  readonly protocolId: number;
  /** The sender's SPI: empty in an initial IKE SA negotiation, 8 octets for IKE, 4 for ESP/AH. */
  readonly spi: Uint8Array;
  /** One or more transforms. */
  readonly transforms: readonly Transform[];
}

/** The SA payload: one or more proposals, most preferred first (RFC 7296 §3.3). @public */
export interface SaPayload {
  /** Payload discriminant. */
  readonly type: "SA";
  /** The proposals. */
  readonly proposals: readonly Proposal[];
}

/** The Key Length attribute of a transform in bits, if present (RFC 7296 §3.3.5). @public */
export function keyLength(transform: Transform): number | undefined {
  for (const a of transform.attributes) {
    if (a.attrType === TransformAttributeType.KEY_LENGTH && a.format === "tv") return a.value;
  }
  return undefined;
}

/** Up to this many attributes, duplicates are looked for pairwise, without a Set. */
const FEW_ATTRIBUTES = 8;

function transformProblem(t: Transform): string | undefined {
  const attributes = t.attributes;
  const seen = attributes.length > FEW_ATTRIBUTES ? new Set<number>() : undefined;
  for (let i = 0; i < attributes.length; i++) {
    const a = attributes[i]!;
    // RFC 7296 §3.3.5: "A transform MUST NOT have multiple attributes of the same type."
    if (seen === undefined) {
      for (let j = 0; j < i; j++) {
        if (attributes[j]!.attrType === a.attrType) return `duplicate attribute type ${a.attrType}`;
      }
    } else {
      if (seen.has(a.attrType)) return `duplicate attribute type ${a.attrType}`;
      seen.add(a.attrType);
    }
    // RFC 7296 §3.3.5: Key Length is fixed length (TV) and MUST NOT use the TLV encoding.
    if (a.attrType === TransformAttributeType.KEY_LENGTH && a.format !== "tv") {
      return "Key Length attribute must use the TV format";
    }
  }
  return undefined;
}

function proposalProblem(p: Proposal, index: number, first: number): string | undefined {
  // RFC 7296 §3.3.1: the first proposal is numbered from 1 and each next is one more.
  if (p.number < 1) return `proposal number ${p.number}`;
  if (p.number !== first + index) return `proposal number ${p.number} does not follow ${first + index - 1}`;
  // RFC 7296 §3.3.1: SPI Size is 0 in an initial IKE SA negotiation, 8 for IKE, 4 for ESP and AH.
  const size = p.spi.length;
  if (p.protocolId === ProtocolId.IKE && size !== 0 && size !== IKE_SPI_SIZE) return `IKE SPI size ${size}`;
  if ((p.protocolId === ProtocolId.ESP || p.protocolId === ProtocolId.AH) && size !== CHILD_SPI_SIZE) {
    return `ESP/AH SPI size ${size}`;
  }
  // RFC 7296 §3.3: "Each Proposal/Protocol structure is followed by one or more transform structures."
  if (p.transforms.length === 0) return "proposal without transforms";
  return undefined;
}

function decodeAttribute(r: Reader): TransformAttribute {
  const word = r.u16("attribute type");
  const attrType = word & ATTRIBUTE_TYPE_MASK;
  if ((word & AF_TV) !== 0) return { format: "tv", attrType, value: r.u16("attribute value") };
  return { format: "tlv", attrType, value: r.bytes(r.u16("attribute length"), "attribute value") };
}

function decodeTransform(r: Reader, last: boolean): Transform {
  const more = r.u8("transform last substruc");
  // RFC 7296 §3.3.2: 0 on the last transform, 3 on every other.
  if (more !== (last ? LAST_SUBSTRUC : MORE_TRANSFORMS))
    r.fail("bad-value", `transform last substruc ${more}`);
  r.u8("transform reserved"); // RFC 7296 §3.3.2: ignored on receipt
  const length = r.u16("transform length");
  if (length < TRANSFORM_HEADER_LENGTH) r.fail("bad-length", `transform length ${length}`);
  const body = r.sub(length - 4, "transform");
  const transformType = body.u8("transform type");
  body.u8("transform reserved");
  const id = body.u16("transform ID");
  const attributes: TransformAttribute[] = [];
  while (!body.done) attributes.push(decodeAttribute(body));
  const t: Transform = { transformType, id, attributes };
  const problem = transformProblem(t);
  if (problem !== undefined) body.fail("bad-value", problem);
  return t;
}

/**
 * Decodes an SA payload body (the bytes after the generic header).
 * @throws `WireError` when lengths and counts disagree (RFC 7296 §3.3: "MUST check that the total
 *   Payload Length is consistent with the payload's internal lengths and counts"), or a proposal
 *   breaks a §3.3.1/§3.3.5 rule.
 * @public
 */
export function decodeSa(r: Reader): SaPayload {
  const proposals: Proposal[] = [];
  let more: number;
  do {
    more = r.u8("proposal last substruc");
    if (more !== LAST_SUBSTRUC && more !== MORE_PROPOSALS)
      r.fail("bad-value", `proposal last substruc ${more}`);
    r.u8("proposal reserved"); // RFC 7296 §3.3.1: ignored on receipt
    const length = r.u16("proposal length");
    if (length < PROPOSAL_HEADER_LENGTH) r.fail("bad-length", `proposal length ${length}`);
    const body = r.sub(length - 4, "proposal");
    const number = body.u8("proposal number");
    const protocolId = body.u8("protocol ID");
    const spiSize = body.u8("SPI size");
    const count = body.u8("number of transforms");
    const spi = body.bytes(spiSize, "proposal SPI");
    const transforms: Transform[] = [];
    for (let i = 0; i < count; i++) transforms.push(decodeTransform(body, i === count - 1));
    // RFC 7296 §3.3: Num Transforms must account for every byte of the proposal.
    body.expectEnd("proposal");
    const p: Proposal = { number, protocolId, spi, transforms };
    const problem = proposalProblem(p, proposals.length, proposals[0]?.number ?? number);
    if (problem !== undefined) body.fail("bad-value", problem);
    proposals.push(p);
  } while (more === MORE_PROPOSALS);
  r.expectEnd("SA payload");
  return { type: "SA", proposals };
}

function encodeAttribute(w: Writer, a: TransformAttribute): void {
  checkUint("attribute type", a.attrType, ATTRIBUTE_TYPE_MASK);
  if (a.format === "tv") {
    checkUint("TV attribute value", a.value, MAX_U16);
    w.u16(AF_TV | a.attrType).u16(a.value);
  } else {
    checkUint("TLV attribute length", a.value.length, MAX_U16);
    w.u16(a.attrType).u16(a.value.length).bytes(a.value);
  }
}

/**
 * Encodes an SA payload body; every length, count and Last Substruc field is computed.
 * @throws `RangeError` for values the decoder would reject.
 * @public
 */
export function encodeSa(w: Writer, sa: SaPayload): void {
  if (sa.proposals.length === 0) throw new RangeError("SA payload: no proposals");
  const first = sa.proposals[0]!.number;
  sa.proposals.forEach((p, i) => {
    checkUint("proposal number", p.number, MAX_U8);
    checkUint("protocol ID", p.protocolId, MAX_U8);
    checkUint("SPI size", p.spi.length, MAX_U8);
    checkUint("number of transforms", p.transforms.length, MAX_U8);
    checkRule("SA proposal", proposalProblem(p, i, first));
    w.u8(i === sa.proposals.length - 1 ? LAST_SUBSTRUC : MORE_PROPOSALS).u8(0);
    const proposalLength = w.reserveU16();
    const start = proposalLength - 2;
    w.u8(p.number).u8(p.protocolId).u8(p.spi.length).u8(p.transforms.length).bytes(p.spi);
    p.transforms.forEach((t, j) => {
      checkUint("transform type", t.transformType, MAX_U8);
      checkUint("transform ID", t.id, MAX_U16);
      checkRule("SA transform", transformProblem(t));
      w.u8(j === p.transforms.length - 1 ? LAST_SUBSTRUC : MORE_TRANSFORMS).u8(0);
      const transformLength = w.reserveU16();
      w.u8(t.transformType).u8(0).u16(t.id);
      for (const a of t.attributes) encodeAttribute(w, a);
      patchLength(w, transformLength, transformLength - 2, "transform");
    });
    patchLength(w, proposalLength, start, "proposal");
  });
}

function patchLength(w: Writer, at: number, start: number, what: string): void {
  const length = w.length - start;
  checkUint(`${what} length`, length, MAX_U16);
  w.patchU16(at, length);
}
