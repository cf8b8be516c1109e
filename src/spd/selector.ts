/**
 * SPD selector sets (RFC 4301 §4.4.1.1, §4.4.1.2): local and remote address ranges, next-layer
 * protocol, local and remote "port" ranges, with the special values ANY and OPAQUE.
 *
 * Values follow the IKEv2 conventions so selector sets and traffic selectors convert without
 * loss (RFC 4301 §4.4.1.2, RFC 7296 §3.13.1):
 * - protocol `0` is ANY; {@link PROTOCOL_OPAQUE} (IPv6 only) matches packets whose next-layer
 *   protocol is not available;
 * - ports ANY are `0-65535` and include OPAQUE; OPAQUE alone is `65535-0`;
 * - for ICMP, ICMPv6 and the IPv6 Mobility Header the "port" is the 16-bit type·256 + code
 *   (MH: type·256), and the local selector governs what this side sends, the remote selector
 *   what it receives (RFC 4301 §4.4.1.3 cases B-D).
 *
 * @packageDocumentation
 */
import {
  type AddressRange,
  checkAddressRange,
  formatAddressRange,
  rangeContains,
  rangesOverlap,
} from "./address.js";
import { PolicyError } from "./errors.js";

/**
 * An inclusive range of ports (or ICMP type/code values). `start > end` only for OPAQUE.
 * @public
 */
export interface PortRange {
  readonly start: number;
  readonly end: number;
}

/** ANY port, which includes OPAQUE (RFC 7296 §3.13.1). @public */
export const PORT_ANY: PortRange = Object.freeze({ start: 0, end: 65535 });
/** OPAQUE port: matches only packets whose port is not available (RFC 7296 §3.13.1). @public */
export const PORT_OPAQUE: PortRange = Object.freeze({ start: 65535, end: 0 });
/** Protocol ANY (RFC 4301 §4.4.2.2 note **: "0 (zero) is used by IKE to indicate ANY"). @public */
export const PROTOCOL_ANY = 0;
/**
 * Protocol OPAQUE: matches IPv6 packets whose next-layer protocol cannot be determined
 * (RFC 4301 §4.4.1.1). Also the value of an unavailable protocol in a packet.
 * @public
 */
export const PROTOCOL_OPAQUE = -1;

const PORT_PROTOCOLS: ReadonlySet<number> = new Set([6, 17, 33, 132, 136]);
const TYPE_CODE_PROTOCOLS: ReadonlySet<number> = new Set([1, 58, 135]);

/** True for protocols with source and destination ports (TCP, UDP, DCCP, SCTP, UDP-Lite). @public */
export function hasPorts(protocol: number): boolean {
  return PORT_PROTOCOLS.has(protocol);
}

/**
 * True for protocols whose "port" selector holds a type (and code): ICMP, ICMPv6, Mobility
 * Header (RFC 4301 §4.4.1.1).
 * @public
 */
export function hasTypeCode(protocol: number): boolean {
  return TYPE_CODE_PROTOCOLS.has(protocol);
}

/**
 * One selector set of an SPD entry (RFC 4301 §4.4.1.2): the condition under which the entry's
 * action applies. Local and remote are from this system's point of view: for an outbound packet
 * local is the source, for an inbound packet local is the destination.
 * @public
 */
export interface SelectorSet {
  readonly local: AddressRange;
  readonly remote: AddressRange;
  /** Next-layer protocol, {@link PROTOCOL_ANY} or {@link PROTOCOL_OPAQUE}. */
  readonly protocol: number;
  /** Local port range, or ICMP/MH type·256+code for what this side sends. */
  readonly localPort: PortRange;
  /** Remote port range, or ICMP/MH type·256+code for what this side receives. */
  readonly remotePort: PortRange;
}

/** True if `r` is {@link PORT_ANY}. @public */
export function isPortAny(r: PortRange): boolean {
  return r.start === 0 && r.end === 65535;
}

/** True if `r` is {@link PORT_OPAQUE}. @public */
export function isPortOpaque(r: PortRange): boolean {
  return r.start === 65535 && r.end === 0;
}

/**
 * A port range; `portRange(p)` is the single port `p`.
 * @throws {@link PolicyError} `bad-port`, `bad-range`.
 * @public
 */
export function portRange(start: number, end: number = start): PortRange {
  return checkPortRange({ start, end });
}

/**
 * The ICMP (or ICMPv6) "port" selector for one type and a range of codes, or ANY type and code
 * when `type` is omitted (RFC 4301 §4.4.1.1: type in the high 8 bits, code in the low 8 bits).
 * @public
 */
export function icmpSelector(
  type?: number,
  codeStart = 0,
  codeEnd = codeStart === 0 ? 255 : codeStart,
): PortRange {
  if (type === undefined) return PORT_ANY;
  for (const v of [type, codeStart, codeEnd]) {
    if (!Number.isInteger(v) || v < 0 || v > 255)
      throw new PolicyError("bad-port", `ICMP value ${v} is not 0-255`);
  }
  return checkPortRange({ start: type * 256 + codeStart, end: type * 256 + codeEnd });
}

function checkPortRange(r: PortRange): PortRange {
  for (const v of [r.start, r.end]) {
    if (!Number.isInteger(v) || v < 0 || v > 65535)
      throw new PolicyError("bad-port", `port ${v} is not 0-65535`);
  }
  if (r.start > r.end && !isPortOpaque(r)) {
    throw new PolicyError("bad-range", `port range ${r.start}-${r.end} has start above end`);
  }
  return r;
}

/**
 * Validates a selector set and returns it.
 *
 * Refused (RFC 4301 §4.4.1.1, §4.4.2.2; RFC 7296 §3.13.1): start above end, local and remote of
 * different families, a protocol outside 0–255, OPAQUE protocol with IPv4, and ports other than
 * ANY/OPAQUE on a protocol without ports or on protocol ANY/OPAQUE (they could never match).
 * @throws {@link PolicyError}
 * @public
 */
export function checkSelectorSet(s: SelectorSet): SelectorSet {
  checkAddressRange(s.local);
  checkAddressRange(s.remote);
  if (s.local.family !== s.remote.family) {
    throw new PolicyError(
      "mixed-family",
      "local and remote addresses must be the same family (RFC 4301 §4.4.1.1)",
    );
  }
  const p = s.protocol;
  if (!Number.isInteger(p) || p < PROTOCOL_OPAQUE || p > 255) {
    throw new PolicyError("bad-protocol", `protocol ${p} is not 0-255`);
  }
  if (p === PROTOCOL_OPAQUE && s.local.family === 4) {
    // RFC 4301 §4.4.2.2 note ****: "The protocol field cannot be OPAQUE in IPv4."
    throw new PolicyError("bad-protocol", "OPAQUE protocol is IPv6-only");
  }
  checkPortRange(s.localPort);
  checkPortRange(s.remotePort);
  if (!hasPorts(p) && !hasTypeCode(p)) {
    for (const r of [s.localPort, s.remotePort]) {
      if (!isPortAny(r) && !isPortOpaque(r)) {
        // RFC 7296 §3.13.1: ports of protocols without ports (including 0) are ANY.
        throw new PolicyError(
          "unmatchable",
          `protocol ${p} has no ports; port ${r.start}-${r.end} cannot match`,
        );
      }
    }
  }
  return s;
}

/**
 * Builds and validates a selector set; omitted fields are ANY.
 * @throws {@link PolicyError}
 * @public
 */
export function selectorSet(init: {
  local: AddressRange;
  remote: AddressRange;
  protocol?: number;
  localPort?: PortRange;
  remotePort?: PortRange;
}): SelectorSet {
  return checkSelectorSet({
    local: init.local,
    remote: init.remote,
    protocol: init.protocol ?? PROTOCOL_ANY,
    localPort: init.localPort ?? PORT_ANY,
    remotePort: init.remotePort ?? PORT_ANY,
  });
}

/** The selector set seen from the peer: local and remote swapped (a mirror-image ACL, seeds/002:5251). @public */
export function mirrorSelectorSet(s: SelectorSet): SelectorSet {
  return {
    local: s.remote,
    remote: s.local,
    protocol: s.protocol,
    localPort: s.remotePort,
    remotePort: s.localPort,
  };
}

/**
 * The span a protocol selector covers on the extended axis where −1 stands for "not available":
 * ANY covers −1…255, OPAQUE only −1.
 * @internal
 */
export function protocolSpan(p: number): readonly [number, number] {
  if (p === PROTOCOL_ANY) return [-1, 255];
  if (p === PROTOCOL_OPAQUE) return [-1, -1];
  return [p, p];
}

/**
 * The span a port selector covers on the extended axis where −1 stands for "not available":
 * ANY covers −1…65535 (ANY includes OPAQUE), OPAQUE only −1.
 * @internal
 */
export function portSpan(r: PortRange): readonly [number, number] {
  if (isPortOpaque(r)) return [-1, -1];
  if (isPortAny(r)) return [-1, 65535];
  return [r.start, r.end];
}

function spanContains(a: readonly [number, number], b: readonly [number, number]): boolean {
  return a[0] <= b[0] && b[1] <= a[1];
}

function spanOverlaps(a: readonly [number, number], b: readonly [number, number]): boolean {
  return a[0] <= b[1] && b[0] <= a[1];
}

/**
 * True if every packet matching `inner` also matches `outer` (used for the responder's subset
 * rule, seeds/002:5327-5329, and for shadowed-entry checks).
 * @public
 */
export function selectorContains(outer: SelectorSet, inner: SelectorSet): boolean {
  return (
    rangeContains(outer.local, inner.local) &&
    rangeContains(outer.remote, inner.remote) &&
    spanContains(protocolSpan(outer.protocol), protocolSpan(inner.protocol)) &&
    spanContains(portSpan(outer.localPort), portSpan(inner.localPort)) &&
    spanContains(portSpan(outer.remotePort), portSpan(inner.remotePort))
  );
}

/** True if some packet could match both selector sets. @public */
export function selectorsOverlap(a: SelectorSet, b: SelectorSet): boolean {
  return (
    rangesOverlap(a.local, b.local) &&
    rangesOverlap(a.remote, b.remote) &&
    spanOverlaps(protocolSpan(a.protocol), protocolSpan(b.protocol)) &&
    spanOverlaps(portSpan(a.localPort), portSpan(b.localPort)) &&
    spanOverlaps(portSpan(a.remotePort), portSpan(b.remotePort))
  );
}

function formatPort(r: PortRange): string {
  if (isPortAny(r)) return "any";
  if (isPortOpaque(r)) return "opaque";
  return r.start === r.end ? String(r.start) : `${r.start}-${r.end}`;
}

/** A one-line text form, e.g. `10.0.0.0/8[any] -> 192.0.2.1[80] proto 6`. @public */
export function formatSelectorSet(s: SelectorSet): string {
  const proto =
    s.protocol === PROTOCOL_ANY ? "any" : s.protocol === PROTOCOL_OPAQUE ? "opaque" : String(s.protocol);
  return `${formatAddressRange(s.local)}[${formatPort(s.localPort)}] -> ${formatAddressRange(s.remote)}[${formatPort(s.remotePort)}] proto ${proto}`;
}
