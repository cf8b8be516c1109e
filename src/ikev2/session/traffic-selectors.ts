/**
 * The minimum traffic-selector algebra stage 1 needs (RFC 7296 §2.9): selectors from
 * configuration text, the responder's narrowing to the intersection with its policy, and the
 * initiator's check that the answer lies within what it proposed. Kept behind these functions so
 * the SPD's algebra can replace it.
 *
 * @packageDocumentation
 */
import { TsType } from "../constants.js";
import type { TrafficSelector } from "../payloads/ts.js";
import { parseIpAddress } from "./address.js";
import type { TrafficSelectorConfig } from "./types.js";

const ANY_PORT_END = 0xffff;

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

function prefixRange(address: Uint8Array, bits: number): [Uint8Array, Uint8Array] {
  const start = address.slice();
  const end = address.slice();
  for (let i = 0; i < address.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - 8 * i));
    const mask = keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
    start[i] = address[i]! & mask;
    end[i] = (address[i]! & mask) | (~mask & 0xff);
  }
  return [start, end];
}

/**
 * A selector from configuration: `"10.0.0.0/24"`, `"198.19.0.1"`, `"10.0.0.1-10.0.0.9"` (any
 * protocol and port), or a selector as is.
 * @throws `TypeError` for text that does not parse.
 * @internal
 */
export function trafficSelector(config: TrafficSelectorConfig): TrafficSelector {
  if (typeof config !== "string") return config;
  let start: Uint8Array;
  let end: Uint8Array;
  const dash = config.indexOf("-");
  const slash = config.indexOf("/");
  if (dash >= 0) {
    start = parseIpAddress(config.slice(0, dash).trim());
    end = parseIpAddress(config.slice(dash + 1).trim());
  } else {
    const address = parseIpAddress(slash >= 0 ? config.slice(0, slash) : config);
    const bits = slash >= 0 ? Number(config.slice(slash + 1)) : address.length * 8;
    if (!Number.isInteger(bits) || bits < 0 || bits > address.length * 8) {
      throw new TypeError(`bad prefix length in "${config}"`);
    }
    [start, end] = prefixRange(address, bits);
  }
  if (start.length !== end.length || compare(start, end) > 0) throw new TypeError(`bad range "${config}"`);
  return {
    tsType: start.length === 4 ? TsType.TS_IPV4_ADDR_RANGE : TsType.TS_IPV6_ADDR_RANGE,
    ipProtocol: 0,
    startPort: 0,
    endPort: ANY_PORT_END,
    startAddress: start,
    endAddress: end,
  };
}

/** RFC 7296 §3.13.1: OPAQUE ports (start 65535, end 0) match only OPAQUE or "any". */
function portRange(s: TrafficSelector): [number, number] | "opaque" {
  return s.startPort > s.endPort ? "opaque" : [s.startPort, s.endPort];
}

/** The intersection of two selectors, or `undefined` when it is empty. */
function intersect(a: TrafficSelector, b: TrafficSelector): TrafficSelector | undefined {
  if (a.tsType !== b.tsType) return undefined;
  if (a.ipProtocol !== 0 && b.ipProtocol !== 0 && a.ipProtocol !== b.ipProtocol) return undefined;
  const pa = portRange(a);
  const pb = portRange(b);
  let startPort: number;
  let endPort: number;
  if (pa === "opaque" || pb === "opaque") {
    const other = pa === "opaque" ? pb : pa;
    if (other !== "opaque" && !(other[0] === 0 && other[1] === ANY_PORT_END)) return undefined;
    [startPort, endPort] = [ANY_PORT_END, 0];
  } else {
    startPort = Math.max(pa[0], pb[0]);
    endPort = Math.min(pa[1], pb[1]);
    if (startPort > endPort) return undefined;
  }
  const startAddress = compare(a.startAddress, b.startAddress) >= 0 ? a.startAddress : b.startAddress;
  const endAddress = compare(a.endAddress, b.endAddress) <= 0 ? a.endAddress : b.endAddress;
  if (compare(startAddress, endAddress) > 0) return undefined;
  return {
    tsType: a.tsType,
    ipProtocol: a.ipProtocol !== 0 ? a.ipProtocol : b.ipProtocol,
    startPort,
    endPort,
    startAddress: startAddress.slice(),
    endAddress: endAddress.slice(),
  };
}

/**
 * Responder narrowing (RFC 7296 §2.9): every non-empty intersection of a proposed selector with a
 * configured one; empty when nothing overlaps (TS_UNACCEPTABLE).
 * @internal
 */
export function narrow(
  proposed: readonly TrafficSelector[],
  configured: readonly TrafficSelector[],
): TrafficSelector[] {
  const out: TrafficSelector[] = [];
  for (const p of proposed) {
    for (const c of configured) {
      const x = intersect(p, c);
      if (x !== undefined) out.push(x);
    }
  }
  return out;
}

/** True when `inner` lies entirely within `outer`. */
function within(inner: TrafficSelector, outer: TrafficSelector): boolean {
  const x = intersect(inner, outer);
  return (
    x !== undefined &&
    x.ipProtocol === inner.ipProtocol &&
    x.startPort === inner.startPort &&
    x.endPort === inner.endPort &&
    compare(x.startAddress, inner.startAddress) === 0 &&
    compare(x.endAddress, inner.endAddress) === 0
  );
}

/**
 * Initiator check (RFC 7296 §2.9): the responder may only narrow, so each selector of the answer
 * must lie within one we proposed.
 * @internal
 */
export function isNarrowingOf(
  answer: readonly TrafficSelector[],
  proposed: readonly TrafficSelector[],
): boolean {
  return answer.length > 0 && answer.every((a) => proposed.some((p) => within(a, p)));
}
