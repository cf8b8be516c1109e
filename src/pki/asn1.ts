/**
 * Strict DER access on top of asn1js for hostile input (X.690 §10): one decoded element filling
 * its input, every header checked to be DER (single-octet tag, definite minimal length, the
 * primitive/constructed form the type requires), depth and node limits, and accessors that throw
 * only {@link PkiError} `malformed`.
 *
 * @packageDocumentation
 */
import * as asn1js from "asn1js";
import { malformed } from "./errors.js";

/** A decoded ASN.1 element. @internal */
export type Node = asn1js.AsnType;

/** ASN.1 tag classes as asn1js numbers them (X.680 §8.1). @internal */
export const UNIVERSAL = 1;
/** Context-specific class. @internal */
export const CONTEXT = 3;

/** Universal tag numbers (X.680 §8.4). @internal */
export const TAG = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OID: 6,
  UTF8_STRING: 12,
  SEQUENCE: 16,
  SET: 17,
  PRINTABLE_STRING: 19,
  TELETEX_STRING: 20,
  IA5_STRING: 22,
  UTC_TIME: 23,
  GENERALIZED_TIME: 24,
  UNIVERSAL_STRING: 28,
  BMP_STRING: 30,
} as const;

/** Resource limits for one decode. */
export interface DecodeLimits {
  readonly maxDepth: number;
  readonly maxNodes: number;
}

/** Minimal DER length-octets count for a content length (X.690 §10.1). */
function derLengthOctets(length: number): number {
  if (length < 128) return 1;
  let n = 1;
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) n++;
  return n;
}

/** X.690 §10.1, §10.2: checks one header, then recurses into constructed contents. */
function checkDer(node: Node, what: string, depth: number): void {
  const { idBlock, lenBlock } = node;
  if (depth > 64) malformed(`${what}: nested too deeply`);
  if (idBlock.error !== "" || lenBlock.error !== "") malformed(`${what}: malformed DER`);
  if (idBlock.blockLength !== 1 || idBlock.isHexOnly) malformed(`${what}: unexpected ASN.1 tag`);
  if (lenBlock.isIndefiniteForm || lenBlock.blockLength !== derLengthOctets(lenBlock.length)) {
    malformed(`${what}: not DER (length encoding)`);
  }
  if (idBlock.tagClass === UNIVERSAL) {
    // X.690 §10.2: SEQUENCE and SET are constructed, every other universal type primitive in DER.
    const constructed = idBlock.tagNumber === TAG.SEQUENCE || idBlock.tagNumber === TAG.SET;
    if (idBlock.isConstructed !== constructed) malformed(`${what}: not DER (constructed form)`);
  }
  if (idBlock.isConstructed) {
    for (const child of (node as asn1js.Constructed).valueBlock.value) checkDer(child, what, depth + 1);
  }
}

/**
 * Decodes exactly one DER element filling `der`.
 * @throws {@link PkiError} `malformed` for BER-only forms, limits exceeded or trailing data.
 * @internal
 */
export function decodeDer(der: Uint8Array, what: string, limits: DecodeLimits): Node {
  if (der.length === 0) malformed(`${what}: empty`);
  let parsed: asn1js.FromBerResult;
  try {
    parsed = asn1js.fromBER(der, {
      maxDepth: limits.maxDepth,
      maxNodes: limits.maxNodes,
      maxContentLength: der.length,
      parseEmbedded: false,
    });
  } catch {
    malformed(`${what}: malformed DER`);
  }
  if (parsed.offset !== der.length || parsed.result.error !== "") {
    malformed(`${what}: malformed DER or trailing data`);
  }
  checkDer(parsed.result, what, 0);
  return parsed.result;
}

/** The whole encoding (tag, length, contents) of an element, as a view. @internal */
export function encoding(node: Node): Uint8Array {
  return node.valueBeforeDecodeView;
}

/** The content octets of an element, as a view. @internal */
export function contents(node: Node): Uint8Array {
  const all = node.valueBeforeDecodeView;
  return all.subarray(node.idBlock.blockLength + node.lenBlock.blockLength);
}

/** True for an element of class `tagClass` and number `tag`. @internal */
export function is(node: Node | undefined, tagClass: number, tag: number): node is Node {
  return node !== undefined && node.idBlock.tagClass === tagClass && node.idBlock.tagNumber === tag;
}

/** Checks class and tag (the DER form was checked at decode). @internal */
export function expect(node: Node | undefined, tagClass: number, tag: number, what: string): Node {
  if (!is(node, tagClass, tag)) malformed(`${what}: missing or unexpected ASN.1 tag`);
  return node;
}

/** The elements of a constructed element (SEQUENCE, SET, explicit tag). @internal */
export function children(node: Node, what: string): Node[] {
  if (!node.idBlock.isConstructed) malformed(`${what}: not constructed`);
  return (node as asn1js.Constructed).valueBlock.value;
}

/** A SEQUENCE's elements, between `min` and `max` of them. @internal */
export function sequence(node: Node | undefined, what: string, min: number, max: number): Node[] {
  const items = children(expect(node, UNIVERSAL, TAG.SEQUENCE, what), what);
  if (items.length < min || items.length > max) malformed(`${what}: ${items.length} elements`);
  return items;
}

/** An OBJECT IDENTIFIER in dotted form (X.690 §8.19), with minimal subidentifiers. @internal */
export function oid(node: Node | undefined, what: string): string {
  const c = contents(expect(node, UNIVERSAL, TAG.OID, what));
  if (c.length === 0 || c.length > 64 || c[c.length - 1]! >= 0x80) malformed(`${what}: bad OID`);
  const parts: number[] = [];
  let value = 0;
  for (let i = 0; i < c.length; i++) {
    // X.690 §8.19.2: no leading 0x80 octet in a subidentifier.
    if (value === 0 && c[i] === 0x80) malformed(`${what}: OID not minimal`);
    value = value * 128 + (c[i]! & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) malformed(`${what}: OID arc too large`);
    if (c[i]! < 0x80) {
      parts.push(value);
      value = 0;
    }
  }
  // X.690 §8.19.4: the first subidentifier packs the first two arcs.
  const first = parts[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...parts.slice(1)].join(".");
}

/** INTEGER contents in minimal two's-complement form (X.690 §8.3.2), as a view. @internal */
export function integerBytes(node: Node | undefined, what: string): Uint8Array {
  const v = contents(expect(node, UNIVERSAL, TAG.INTEGER, what));
  if (v.length === 0) malformed(`${what}: empty INTEGER`);
  if (v.length > 1 && ((v[0] === 0 && v[1]! < 0x80) || (v[0] === 0xff && v[1]! >= 0x80))) {
    malformed(`${what}: not DER (INTEGER not minimal)`);
  }
  return v;
}

/** A small non-negative INTEGER (≤ 2^31 − 1). @internal */
export function smallInteger(node: Node | undefined, what: string): number {
  const v = integerBytes(node, what);
  if (v[0]! >= 0x80) malformed(`${what}: negative INTEGER`);
  if (v.length > 4 || (v.length === 4 && v[0]! >= 0x80)) malformed(`${what}: INTEGER too large`);
  let n = 0;
  for (const b of v) n = n * 256 + b;
  return n;
}

/** A BOOLEAN; DER allows only 0x00 and 0xFF (X.690 §11.1). @internal */
export function boolean(node: Node | undefined, what: string): boolean {
  const v = contents(expect(node, UNIVERSAL, TAG.BOOLEAN, what));
  if (v.length !== 1 || (v[0] !== 0 && v[0] !== 0xff)) malformed(`${what}: not a DER BOOLEAN`);
  return v[0] === 0xff;
}

/** An OCTET STRING's contents, as a view. @internal */
export function octetString(node: Node | undefined, what: string): Uint8Array {
  return contents(expect(node, UNIVERSAL, TAG.OCTET_STRING, what));
}

/** A BIT STRING: the unused-bits count and the octets after it, as a view (X.690 §8.6). @internal */
export function bitString(node: Node | undefined, what: string): { unused: number; bits: Uint8Array } {
  const v = contents(expect(node, UNIVERSAL, TAG.BIT_STRING, what));
  if (v.length === 0 || v[0]! > 7 || (v.length === 1 && v[0] !== 0)) malformed(`${what}: bad BIT STRING`);
  const unused = v[0]!;
  const bits = v.subarray(1);
  // X.690 §11.2.1: the unused bits are zero in DER.
  if (bits.length > 0 && (bits[bits.length - 1]! & ((1 << unused) - 1)) !== 0) {
    malformed(`${what}: unused BIT STRING bits set`);
  }
  return { unused, bits };
}

/** A NULL (X.690 §8.8: no contents). @internal */
export function nullValue(node: Node | undefined, what: string): void {
  if (contents(expect(node, UNIVERSAL, TAG.NULL, what)).length !== 0)
    malformed(`${what}: NULL with contents`);
}
