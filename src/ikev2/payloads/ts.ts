/**
 * Traffic Selector payloads TSi and TSr (RFC 7296 §3.13) with TS_IPV4_ADDR_RANGE and
 * TS_IPV6_ADDR_RANGE selectors (§3.13.1).
 *
 * ```text
 *  Number of TSs (1) | RESERVED (3) | Traffic Selectors
 *  selector: TS Type (1) | IP Protocol ID (1) | Selector Length (2) | Start Port (2) |
 *            End Port (2) | Starting Address | Ending Address
 * ```
 *
 * Malformed selectors (CVE-2023-23009: count ≠ contents, bad lengths, start above end, unknown
 * type) are decode errors, so no later code sees a half-parsed list.
 *
 * @packageDocumentation
 */
import type { Reader } from "../../wire/reader.js";
import type { Writer } from "../../wire/writer.js";
import { TsType } from "../constants.js";
import { checkRule, checkUint } from "./generic.js";

/** RESERVED octets after Number of TSs (RFC 7296 §3.13). */
const TS_RESERVED_LENGTH = 3;
/** TS Type, IP Protocol ID, Selector Length, Start Port, End Port (RFC 7296 §3.13.1). */
const SELECTOR_HEADER_LENGTH = 8;
const IPV4_LENGTH = 4;
const IPV6_LENGTH = 16;
/** RFC 7296 §3.13.1: OPAQUE ports are Start Port 65535, End Port 0. */
const OPAQUE_START_PORT = 0xffff;
const OPAQUE_END_PORT = 0;
const MAX_U8 = 0xff;
const MAX_U16 = 0xffff;

/** An address-range traffic selector (RFC 7296 §3.13.1). @public */
export interface TrafficSelector {
  /** {@link TsType}.TS_IPV4_ADDR_RANGE or TS_IPV6_ADDR_RANGE. */
  readonly tsType: typeof TsType.TS_IPV4_ADDR_RANGE | typeof TsType.TS_IPV6_ADDR_RANGE;
  /** IP protocol number, 0 for any. */
  readonly ipProtocol: number;
  /** Smallest port (or ICMP type/code as one 16-bit value). */
  readonly startPort: number;
  /** Largest port; 65535 with start 0 means any, start 65535 with end 0 means OPAQUE. */
  readonly endPort: number;
  /** First address of the range, 4 or 16 octets (zero-copy view on decode). */
  readonly startAddress: Uint8Array;
  /** Last address of the range, inclusive. */
  readonly endAddress: Uint8Array;
}

/** A TSi or TSr payload. @public */
export interface TsPayload {
  /** Payload discriminant: the initiator's or the responder's end. */
  readonly type: "TSi" | "TSr";
  /** One or more selectors. */
  readonly selectors: readonly TrafficSelector[];
}

function addressLength(tsType: number): number | undefined {
  if (tsType === TsType.TS_IPV4_ADDR_RANGE) return IPV4_LENGTH;
  if (tsType === TsType.TS_IPV6_ADDR_RANGE) return IPV6_LENGTH;
  return undefined;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

function selectorProblem(s: TrafficSelector): string | undefined {
  const n = addressLength(s.tsType);
  if (n === undefined) return `unknown TS type ${s.tsType}`;
  if (s.startAddress.length !== n || s.endAddress.length !== n)
    return "address length does not match TS type";
  // RFC 7296 §3.13.1: the Starting Address is "the smallest" and the Ending Address "the largest".
  if (compareBytes(s.startAddress, s.endAddress) > 0) return "starting address above ending address";
  // RFC 7296 §3.13.1: Start Port is the smallest port, End Port the largest, except OPAQUE (65535, 0).
  const opaque = s.startPort === OPAQUE_START_PORT && s.endPort === OPAQUE_END_PORT;
  if (s.startPort > s.endPort && !opaque) return "start port above end port";
  return undefined;
}

function decodeSelector(r: Reader): TrafficSelector {
  const tsType = r.u8("TS type");
  const ipProtocol = r.u8("IP protocol ID");
  const length = r.u16("selector length");
  const n = addressLength(tsType);
  // TS types other than 7 and 8 (e.g. RFC 9478 TS_SECLABEL) are not understood here.
  if (n === undefined) r.fail("unsupported", `unknown TS type ${tsType}`);
  if (length !== SELECTOR_HEADER_LENGTH + 2 * n)
    r.fail("bad-length", `selector length ${length} for TS type ${tsType}`);
  const body = r.sub(length - 4, "traffic selector");
  const s: TrafficSelector = {
    tsType: tsType as TrafficSelector["tsType"],
    ipProtocol,
    startPort: body.u16("start port"),
    endPort: body.u16("end port"),
    startAddress: body.bytes(n, "starting address"),
    endAddress: body.bytes(n, "ending address"),
  };
  const problem = selectorProblem(s);
  if (problem !== undefined) body.fail("bad-value", problem);
  return s;
}

/**
 * Decodes a TSi/TSr payload body.
 * @throws `WireError`: `bad-value` for zero selectors or a start above its end, `unsupported` for
 *   an unknown TS type, `bad-length` for a selector length that does not fit its type,
 *   `truncated`/`trailing-data` when Number of TSs disagrees with the contents.
 * @public
 */
export function decodeTs(r: Reader, type: "TSi" | "TSr"): TsPayload {
  const count = r.u8("number of TSs");
  // RFC 7296 §3.13: "One or more individual Traffic Selectors."
  if (count === 0) r.fail("bad-value", "no traffic selectors");
  r.skip(TS_RESERVED_LENGTH, "TS reserved"); // RFC 7296 §3.13: MUST be ignored on receipt
  const selectors: TrafficSelector[] = [];
  for (let i = 0; i < count; i++) selectors.push(decodeSelector(r));
  r.expectEnd("TS payload");
  return { type, selectors };
}

/** Encodes a TSi/TSr payload body. @throws `RangeError` for selectors the decoder would reject. @public */
export function encodeTs(w: Writer, ts: TsPayload): void {
  if (ts.selectors.length === 0) throw new RangeError("TS payload: no traffic selectors");
  checkUint("number of TSs", ts.selectors.length, MAX_U8);
  w.u8(ts.selectors.length).zeros(TS_RESERVED_LENGTH);
  for (const s of ts.selectors) {
    checkUint("IP protocol ID", s.ipProtocol, MAX_U8);
    checkUint("start port", s.startPort, MAX_U16);
    checkUint("end port", s.endPort, MAX_U16);
    checkRule("traffic selector", selectorProblem(s));
    w.u8(s.tsType)
      .u8(s.ipProtocol)
      .u16(SELECTOR_HEADER_LENGTH + 2 * s.startAddress.length)
      .u16(s.startPort)
      .u16(s.endPort)
      .bytes(s.startAddress)
      .bytes(s.endAddress);
  }
}
