/**
 * IKEv2 traffic selectors (RFC 7296 §3.13.1) and their algebra: intersection, containment,
 * conversion to and from SPD selector sets, and the responder's narrowing (RFC 7296 §2.9).
 *
 * Ports follow RFC 7296 §3.13.1: ANY is 0-65535 and includes OPAQUE, OPAQUE alone is 65535-0;
 * for ICMP, ICMPv6 and the Mobility Header the port fields hold type·256+code. A traffic
 * selector of type TS_IPV4_ADDR_RANGE (7) has `family` 4, TS_IPV6_ADDR_RANGE (8) `family` 6.
 *
 * @packageDocumentation
 */
import { type AddressRange, checkAddressRange, type IpFamily } from "./address.js";
import { PolicyError } from "./errors.js";
import {
  checkSelectorSet,
  type PortRange,
  PROTOCOL_ANY,
  PROTOCOL_OPAQUE,
  portSpan,
  type SelectorSet,
} from "./selector.js";

/** Traffic selector types (RFC 7296 §3.13.1). @public */
export const TsType = { IPV4_ADDR_RANGE: 7, IPV6_ADDR_RANGE: 8 } as const;

/** "A maximum of 16 traffic selectors are accepted at the IKEv2 level" (seeds/004:1205). @public */
export const MAX_TRAFFIC_SELECTORS = 16;

/**
 * One traffic selector (RFC 7296 §3.13.1).
 * @public
 */
export interface TrafficSelector {
  /** 4 for TS_IPV4_ADDR_RANGE, 6 for TS_IPV6_ADDR_RANGE. */
  readonly family: IpFamily;
  /** IP protocol ID; 0 means any protocol. */
  readonly protocol: number;
  /** Smallest port (or ICMP type·256+code); 65535 with `endPort` 0 means OPAQUE. */
  readonly startPort: number;
  /** Largest port (or ICMP type·256+code). */
  readonly endPort: number;
  /** Starting address, inclusive. */
  readonly start: bigint;
  /** Ending address, inclusive. */
  readonly end: bigint;
}

/** The TS Type field value of a selector: 7 for IPv4, 8 for IPv6. @public */
export function tsType(ts: TrafficSelector): number {
  return ts.family === 4 ? TsType.IPV4_ADDR_RANGE : TsType.IPV6_ADDR_RANGE;
}

function ports(ts: TrafficSelector): PortRange {
  return { start: ts.startPort, end: ts.endPort };
}

function range(ts: TrafficSelector): AddressRange {
  return { family: ts.family, start: ts.start, end: ts.end };
}

/**
 * Validates a traffic selector: addresses of its family with start ≤ end, protocol 0–255, ports
 * 0–65535 with start ≤ end unless OPAQUE.
 * @throws {@link PolicyError}
 * @public
 */
export function checkTrafficSelector(ts: TrafficSelector): TrafficSelector {
  checkAddressRange(range(ts));
  if (!Number.isInteger(ts.protocol) || ts.protocol < 0 || ts.protocol > 255) {
    throw new PolicyError("bad-protocol", `protocol ${ts.protocol} is not 0-255`);
  }
  for (const p of [ts.startPort, ts.endPort]) {
    if (!Number.isInteger(p) || p < 0 || p > 65535)
      throw new PolicyError("bad-port", `port ${p} is not 0-65535`);
  }
  if (ts.startPort > ts.endPort && !(ts.startPort === 65535 && ts.endPort === 0)) {
    throw new PolicyError("bad-range", `port range ${ts.startPort}-${ts.endPort} has start above end`);
  }
  return ts;
}

/** A port span back in RFC 7296 form (−1…65535 is ANY, −1…−1 OPAQUE). */
function portsOf(lo: number, hi: number): PortRange {
  if (lo === -1) return hi === -1 ? { start: 65535, end: 0 } : { start: 0, end: 65535 };
  return { start: lo, end: hi };
}

/**
 * The traffic both selectors cover, or null if they share none: same family, a common protocol
 * (0 is a wildcard), overlapping ports and addresses.
 * @public
 */
export function intersectTs(a: TrafficSelector, b: TrafficSelector): TrafficSelector | null {
  if (a.family !== b.family) return null;
  let protocol: number;
  if (a.protocol === PROTOCOL_ANY) protocol = b.protocol;
  else if (b.protocol === PROTOCOL_ANY || b.protocol === a.protocol) protocol = a.protocol;
  else return null;
  const pa = portSpan(ports(a));
  const pb = portSpan(ports(b));
  const lo = Math.max(pa[0], pb[0]);
  const hi = Math.min(pa[1], pb[1]);
  if (lo > hi) return null;
  const start = a.start > b.start ? a.start : b.start;
  const end = a.end < b.end ? a.end : b.end;
  if (start > end) return null;
  const p = portsOf(lo, hi);
  return { family: a.family, protocol, startPort: p.start, endPort: p.end, start, end };
}

/** True if every packet `inner` covers is covered by `outer`. @public */
export function tsContains(outer: TrafficSelector, inner: TrafficSelector): boolean {
  if (outer.family !== inner.family) return false;
  if (outer.protocol !== PROTOCOL_ANY && outer.protocol !== inner.protocol) return false;
  const po = portSpan(ports(outer));
  const pi = portSpan(ports(inner));
  return po[0] <= pi[0] && pi[1] <= po[1] && outer.start <= inner.start && inner.end <= outer.end;
}

/** True if both selectors cover the same traffic. @public */
export function tsEquals(a: TrafficSelector, b: TrafficSelector): boolean {
  return tsContains(a, b) && tsContains(b, a);
}

/**
 * The two traffic selectors of one SPD selector set: `local` (this side's TSi when initiating,
 * TSr when responding) and `remote`.
 * @throws {@link PolicyError} `unsupported` for an OPAQUE protocol, which IKEv2 cannot carry.
 * @public
 */
export function selectorSetToTs(s: SelectorSet): { local: TrafficSelector; remote: TrafficSelector } {
  if (s.protocol === PROTOCOL_OPAQUE) {
    throw new PolicyError("unsupported", "IKEv2 traffic selectors cannot express an OPAQUE protocol");
  }
  const ts = (r: AddressRange, p: PortRange): TrafficSelector => ({
    family: r.family,
    protocol: s.protocol,
    startPort: p.start,
    endPort: p.end,
    start: r.start,
    end: r.end,
  });
  return { local: ts(s.local, s.localPort), remote: ts(s.remote, s.remotePort) };
}

/**
 * The selector sets for a pair of traffic selector lists. RFC 7296 §3.13 matches a packet that
 * matches one selector of each list, so this is the cross product; pairs of different families
 * or conflicting protocols (which match nothing) are left out.
 * @public
 */
export function tsToSelectorSets(
  local: readonly TrafficSelector[],
  remote: readonly TrafficSelector[],
): SelectorSet[] {
  const out: SelectorSet[] = [];
  for (const l of local) {
    for (const r of remote) {
      if (l.family !== r.family) continue;
      if (l.protocol !== PROTOCOL_ANY && r.protocol !== PROTOCOL_ANY && l.protocol !== r.protocol) continue;
      const protocol = l.protocol === PROTOCOL_ANY ? r.protocol : l.protocol;
      // Ports of a side whose protocol is ANY belong to no protocol (RFC 7296 §3.13.1: ANY).
      const lp =
        l.protocol === PROTOCOL_ANY && protocol !== PROTOCOL_ANY ? { start: 0, end: 65535 } : ports(l);
      const rp =
        r.protocol === PROTOCOL_ANY && protocol !== PROTOCOL_ANY ? { start: 0, end: 65535 } : ports(r);
      out.push(
        checkSelectorSet({ local: range(l), remote: range(r), protocol, localPort: lp, remotePort: rp }),
      );
    }
  }
  return out;
}

/**
 * A proposal as the responder sees it: TSi describes the initiator's side (our remote), TSr the
 * responder's side (our local) (RFC 7296 §2.9).
 * @public
 */
export interface TsProposal {
  readonly tsi: readonly TrafficSelector[];
  readonly tsr: readonly TrafficSelector[];
}

/**
 * Outcome of {@link narrowTrafficSelectors}.
 * @public
 */
export type NarrowResult =
  | {
      readonly ok: true;
      readonly tsi: TrafficSelector[];
      readonly tsr: TrafficSelector[];
      /** Index of the policy selector set the result was narrowed to. */
      readonly policy: number;
      /** True when the result is a strict subset of the proposal (RFC 7296 §2.9 narrowing). */
      readonly narrowed: boolean;
      /** Another policy set would have accepted other parts (send ADDITIONAL_TS_POSSIBLE). */
      readonly additionalTsPossible: boolean;
    }
  | { readonly ok: false; readonly reason: "too-many-selectors" | "no-overlap" };

/**
 * The responder's traffic-selector narrowing (RFC 7296 §2.9) against policy selector sets in
 * order (for example the PROTECT entries of an SPD).
 *
 * - more than {@link MAX_TRAFFIC_SELECTORS} on a side is refused (seeds/004:1205);
 * - the first policy set that accepts the initiator's first (packet-specific) selectors is used,
 *   so the result includes them ("MUST narrow … to a subset that includes the initiator's first
 *   choices"); failing that, the first policy set that accepts any part;
 * - the result is the proposal intersected with that one policy set: narrowing against one set
 *   at a time never returns a combination the policy does not allow (RFC 7296 §2.9.1);
 * - no overlap at all means TS_UNACCEPTABLE.
 *
 * With `exact`, the proposal must lie entirely inside one policy set (no narrowing): the IOS
 * rule that a peer's proposed flow must be a subset of a permit (seeds/002:5327-5329).
 * @public
 */
export function narrowTrafficSelectors(
  proposal: TsProposal,
  policy: readonly SelectorSet[],
  options: { exact?: boolean } = {},
): NarrowResult {
  if (proposal.tsi.length > MAX_TRAFFIC_SELECTORS || proposal.tsr.length > MAX_TRAFFIC_SELECTORS) {
    return { ok: false, reason: "too-many-selectors" };
  }
  if (proposal.tsi.length === 0 || proposal.tsr.length === 0) return { ok: false, reason: "no-overlap" };
  const sides = policy.map((s) => (s.protocol === PROTOCOL_OPAQUE ? null : selectorSetToTs(s)));
  const narrow = (i: number) => {
    const side = sides[i];
    if (side === null || side === undefined) return null;
    const tsi = proposal.tsi.map((t) => intersectTs(t, side.remote)).filter((t) => t !== null);
    const tsr = proposal.tsr.map((t) => intersectTs(t, side.local)).filter((t) => t !== null);
    return tsi.length > 0 && tsr.length > 0 ? { tsi, tsr } : null;
  };
  const exactly = (i: number) => {
    const side = sides[i];
    if (side === null || side === undefined) return false;
    return (
      proposal.tsi.every((t) => tsContains(side.remote, t)) &&
      proposal.tsr.every((t) => tsContains(side.local, t))
    );
  };
  const first = (i: number) => {
    const side = sides[i];
    return (
      side !== null &&
      side !== undefined &&
      intersectTs(proposal.tsi[0]!, side.remote) !== null &&
      intersectTs(proposal.tsr[0]!, side.local) !== null
    );
  };
  const result = (i: number): NarrowResult => {
    const n = narrow(i)!;
    const narrowed =
      n.tsi.length !== proposal.tsi.length ||
      n.tsr.length !== proposal.tsr.length ||
      n.tsi.some((t, k) => !tsEquals(t, proposal.tsi[k]!)) ||
      n.tsr.some((t, k) => !tsEquals(t, proposal.tsr[k]!));
    const additionalTsPossible = narrowed && policy.some((_, k) => k !== i && narrow(k) !== null);
    return { ok: true, tsi: n.tsi, tsr: n.tsr, policy: i, narrowed, additionalTsPossible };
  };
  if (options.exact === true) {
    const i = policy.findIndex((_, k) => exactly(k));
    return i < 0 ? { ok: false, reason: "no-overlap" } : result(i);
  }
  let i = policy.findIndex((_, k) => first(k) && narrow(k) !== null);
  if (i < 0) i = policy.findIndex((_, k) => narrow(k) !== null);
  return i < 0 ? { ok: false, reason: "no-overlap" } : result(i);
}

/**
 * Whether a rekey may use `proposed` in place of the selectors of the SA it replaces: the same
 * selectors (seeds/004:1204: changing them is rejected with TS_UNACCEPTABLE), or with
 * `allowWider` any superset (RFC 7296 §2.9.2: "MUST NOT have narrower selectors").
 * @public
 */
export function rekeySelectorsAcceptable(
  current: TsProposal,
  proposed: TsProposal,
  options: { allowWider?: boolean } = {},
): boolean {
  const covers = (outer: readonly TrafficSelector[], inner: readonly TrafficSelector[]) =>
    inner.every((t) => outer.some((o) => tsContains(o, t)));
  const wider = covers(proposed.tsi, current.tsi) && covers(proposed.tsr, current.tsr);
  if (options.allowWider === true) return wider;
  return wider && covers(current.tsi, proposed.tsi) && covers(current.tsr, proposed.tsr);
}
