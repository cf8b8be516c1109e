/**
 * The numeric form of selectors and packets that the lookup structures work on.
 *
 * A packet becomes a point and a selector set one or two axis-aligned boxes in a small number of
 * dimensions, every value an int32 (address words are stored with their top bit flipped, so signed
 * order is address order):
 *
 * | family | dimensions |
 * |---|---|
 * | IPv4 (6) | local, remote, protocol, local port, remote port, direction |
 * | IPv6 (12) | local words 0–3, remote words 0–3, protocol, local port, remote port, direction |
 *
 * "Not available" is −1 on the protocol and port axes, so ANY (which includes OPAQUE) is the span
 * −1…max and OPAQUE is −1…−1. An IPv6 address range becomes the bounding box of its words; when
 * that box is wider than the range, the box carries an exact 128-bit check.
 *
 * Type/code protocols (ICMP, ICMPv6, MH) follow RFC 4301 §4.4.1.3: the local selector governs
 * packets this side sends and the remote selector packets it receives, so such a selector set
 * becomes one box per direction, each checking only the sender's side.
 *
 * @packageDocumentation
 */
import { type AddressRange, addressWords } from "./address.js";
import { Direction, type PacketFields } from "./packet.js";
import { hasTypeCode, isPortAny, portSpan, protocolSpan, type SelectorSet } from "./selector.js";

/** Number of key dimensions for IPv4. @internal */
export const DIMS_V4 = 6;
/** Number of key dimensions for IPv6. @internal */
export const DIMS_V6 = 12;

/**
 * One box: `bounds` holds [lo, hi] pairs per dimension; `precise`, when not null, is the exact
 * test for keys inside the bounds.
 * @internal
 */
export interface Box {
  readonly bounds: Int32Array;
  readonly precise: ((key: Int32Array) => boolean) | null;
}

/** An address word in key form: the top bit flipped, so int32 order is unsigned order. */
function word(w: number): number {
  return (w ^ 0x80000000) | 0;
}

const WORD = [-0x80000000, 0x7fffffff] as const;
const TAIL = [-1, 255, -1, 65535, -1, 65535, 0, 1] as const;

/** The values keys can take per dimension ([lo, hi] pairs), IPv4. @internal */
export const DOMAIN_V4: Int32Array = Int32Array.from([...WORD, ...WORD, ...TAIL]);
/** The values keys can take per dimension ([lo, hi] pairs), IPv6. @internal */
export const DOMAIN_V6: Int32Array = Int32Array.from([
  ...Array<readonly number[]>(8).fill(WORD).flat(),
  ...TAIL,
]);

/**
 * Writes the lookup key of a packet seen in `direction` (RFC 4301 §5.1 outbound: local = source;
 * §5.2 inbound: local = destination).
 * @internal
 */
export function fillKey(p: PacketFields, direction: Direction, key: Int32Array): void {
  const out = direction === Direction.OUTBOUND;
  const local = out ? p.src : p.dst;
  const remote = out ? p.dst : p.src;
  const localPort = out ? p.srcPort : p.dstPort;
  const remotePort = out ? p.dstPort : p.srcPort;
  if (p.family === 4) {
    key[0] = word(local[0]!);
    key[1] = word(remote[0]!);
    key[2] = p.protocol;
    key[3] = localPort;
    key[4] = remotePort;
    key[5] = direction;
    return;
  }
  for (let i = 0; i < 4; i++) {
    key[i] = word(local[i]!);
    key[4 + i] = word(remote[i]!);
  }
  key[8] = p.protocol;
  key[9] = localPort;
  key[10] = remotePort;
  key[11] = direction;
}

/** True if `key[at..at+3]` lies in [lo, hi] as 128-bit numbers (all in key form). */
function inRange128(key: Int32Array, at: number, lo: Int32Array, hi: Int32Array): boolean {
  for (let i = 0; i < 4; i++) {
    const v = key[at + i]!;
    if (v > lo[i]!) break;
    if (v < lo[i]!) return false;
  }
  for (let i = 0; i < 4; i++) {
    const v = key[at + i]!;
    if (v < hi[i]!) break;
    if (v > hi[i]!) return false;
  }
  return true;
}

/**
 * Writes the word bounding box of an IPv6 range at dimension `at`, fills `lo`/`hi` with the range
 * ends in key form, and returns whether the box is exactly the range.
 */
function boundV6(r: AddressRange, bounds: Int32Array, at: number, lo: Int32Array, hi: Int32Array): boolean {
  const a = new Uint32Array(4);
  const b = new Uint32Array(4);
  addressWords(6, r.start, a);
  addressWords(6, r.end, b);
  let i = 0;
  while (i < 4 && a[i] === b[i]) i++;
  let exact = true;
  for (let j = 0; j < 4; j++) {
    lo[j] = word(a[j]!);
    hi[j] = word(b[j]!);
    const d = 2 * (at + j);
    if (j <= i) {
      bounds[d] = lo[j]!;
      bounds[d + 1] = hi[j]!;
    } else {
      bounds[d] = word(0);
      bounds[d + 1] = word(0xffffffff);
      if (a[j] !== 0 || b[j] !== 0xffffffff) exact = false;
    }
  }
  return exact;
}

function makeBox(
  s: SelectorSet,
  dirLo: number,
  dirHi: number,
  localPort: readonly [number, number],
  remotePort: readonly [number, number],
): Box {
  const v4 = s.local.family === 4;
  const dims = v4 ? DIMS_V4 : DIMS_V6;
  const b = new Int32Array(2 * dims);
  let precise: Box["precise"] = null;
  let at: number;
  if (v4) {
    b[0] = word(Number(s.local.start));
    b[1] = word(Number(s.local.end));
    b[2] = word(Number(s.remote.start));
    b[3] = word(Number(s.remote.end));
    at = 2;
  } else {
    const ll = new Int32Array(4);
    const lh = new Int32Array(4);
    const rl = new Int32Array(4);
    const rh = new Int32Array(4);
    const exactLocal = boundV6(s.local, b, 0, ll, lh);
    const exactRemote = boundV6(s.remote, b, 4, rl, rh);
    if (!exactLocal || !exactRemote) {
      precise = (k) => inRange128(k, 0, ll, lh) && inRange128(k, 4, rl, rh);
    }
    at = 8;
  }
  const proto = protocolSpan(s.protocol);
  b[2 * at] = proto[0];
  b[2 * at + 1] = proto[1];
  b[2 * at + 2] = localPort[0];
  b[2 * at + 3] = localPort[1];
  b[2 * at + 4] = remotePort[0];
  b[2 * at + 5] = remotePort[1];
  b[2 * at + 6] = dirLo;
  b[2 * at + 7] = dirHi;
  return { bounds: b, precise };
}

const ANY_SPAN = [-1, 65535] as const;

/**
 * The boxes of a (validated) selector set restricted to directions `dirLo…dirHi`.
 * @internal
 */
export function compileSelectorSet(s: SelectorSet, dirLo: number, dirHi: number): Box[] {
  const localPort = portSpan(s.localPort);
  const remotePort = portSpan(s.remotePort);
  if (!hasTypeCode(s.protocol) || (isPortAny(s.localPort) && isPortAny(s.remotePort))) {
    return [makeBox(s, dirLo, dirHi, localPort, remotePort)];
  }
  // RFC 4301 §4.4.1.3 B-D: outbound packets are checked against the local "port" selector,
  // inbound packets against the remote one.
  const boxes: Box[] = [];
  if (dirLo <= Direction.OUTBOUND)
    boxes.push(makeBox(s, Direction.OUTBOUND, Direction.OUTBOUND, localPort, ANY_SPAN));
  if (dirHi >= Direction.INBOUND)
    boxes.push(makeBox(s, Direction.INBOUND, Direction.INBOUND, ANY_SPAN, remotePort));
  return boxes;
}

/** True if `key` is inside `box` (all `dims` dimensions, then the exact check). @internal */
export function boxMatches(box: Box, key: Int32Array, dims: number): boolean {
  const b = box.bounds;
  for (let d = 0, j = 0; d < dims; d++, j += 2) {
    const v = key[d]!;
    if (v < b[j]! || v > b[j + 1]!) return false;
  }
  return box.precise === null || box.precise(key);
}
