/**
 * IP addresses, prefixes and ranges as the SPD's selectors use them (RFC 4301 §4.4.1.1: "a list
 * of ranges of IP addresses"), with text forms: `10.0.0.1`, `10.0.0.0/8`, `2001:db8::/32`,
 * `192.0.2.1-192.0.2.10`, and the Cisco ACL form address + wildcard mask (`10.0.0.0 0.0.0.255`).
 *
 * Configuration values are `bigint` for both families (one code path, exact for IPv6); the
 * lookup structures convert them once into 32-bit words (see {@link addressWords}).
 *
 * @packageDocumentation
 */
import { PolicyError } from "./errors.js";

/** Address family: 4 or 6. @public */
export type IpFamily = 4 | 6;

/**
 * One IP address.
 * @public
 */
export interface IpAddress {
  readonly family: IpFamily;
  /** The address as an unsigned integer (32 or 128 bits). */
  readonly value: bigint;
}

/**
 * An inclusive range of addresses of one family (RFC 4301 §4.4.1.1; the form IKEv2 traffic
 * selectors carry, RFC 7296 §3.13.1).
 * @public
 */
export interface AddressRange {
  readonly family: IpFamily;
  /** First address, inclusive. */
  readonly start: bigint;
  /** Last address, inclusive; never below `start`. */
  readonly end: bigint;
}

const V4_MAX = 0xffffffffn;
const V6_MAX = (1n << 128n) - 1n;

/** The largest address of `family`. @public */
export function maxAddress(family: IpFamily): bigint {
  return family === 4 ? V4_MAX : V6_MAX;
}

/** The range of all addresses of `family` (the ACL keyword `any`). @public */
export function anyAddress(family: IpFamily): AddressRange {
  return { family, start: 0n, end: maxAddress(family) };
}

/** A single-address range. @public */
export function hostRange(address: IpAddress): AddressRange {
  return { family: address.family, start: address.value, end: address.value };
}

function bad(text: string, why = "not an IPv4 or IPv6 address"): PolicyError {
  return new PolicyError("bad-address", `"${text}": ${why}`);
}

function parseV4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(text: string): bigint | null {
  // An embedded dotted IPv4 tail (`::ffff:192.0.2.1`) stands for the last two groups.
  let head = text;
  let tail: bigint | null = null;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    tail = parseV4(text.slice(lastColon + 1));
    if (tail === null) return null;
    head = `${text.slice(0, lastColon + 1)}0:0`;
    if (text.endsWith("::")) return null;
  }
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string): string[] | null => {
    if (s === "") return [];
    const g = s.split(":");
    return g.every((x) => /^[0-9a-fA-F]{1,4}$/.test(x)) ? g : null;
  };
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  if (left === null || right === null) return null;
  const fill = 8 - left.length - right.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return null;
  let v = 0n;
  for (const g of [...left, ...Array<string>(fill).fill("0"), ...right]) v = (v << 16n) | BigInt(`0x${g}`);
  if (tail !== null) v = (v & ~V4_MAX) | tail;
  return v;
}

/**
 * Parses an IPv4 (dotted quad) or IPv6 (RFC 4291 §2.2, with `::` and a dotted tail) address.
 * @throws {@link PolicyError} `bad-address`.
 * @public
 */
export function parseIp(text: string): IpAddress {
  const t = text.trim();
  if (t.includes(":")) {
    const v = parseV6(t);
    if (v === null) throw bad(text);
    return { family: 6, value: v };
  }
  const v = parseV4(t);
  if (v === null) throw bad(text);
  return { family: 4, value: v };
}

/** Formats an address: dotted quad, or IPv6 in the RFC 5952 canonical form. @public */
export function formatIp(family: IpFamily, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join(".");
  }
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((value >> BigInt(16 * i)) & 0xffffn));
  // RFC 5952 §4.2: compress the longest run of two or more zero groups, the first on a tie.
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  if (bestAt < 0) return hex(g);
  return `${hex(g.slice(0, bestAt))}::${hex(g.slice(bestAt + bestLen))}`;
}

/**
 * The range of prefix `value/length`. Host bits must be zero.
 * @throws {@link PolicyError} `bad-prefix`.
 * @public
 */
export function prefixRange(family: IpFamily, value: bigint, length: number): AddressRange {
  const bits = family === 4 ? 32 : 128;
  if (!Number.isInteger(length) || length < 0 || length > bits) {
    throw new PolicyError("bad-prefix", `prefix length ${length} is not 0-${bits}`);
  }
  const hostMask = (1n << BigInt(bits - length)) - 1n;
  if ((value & hostMask) !== 0n) {
    throw new PolicyError("bad-prefix", `${formatIp(family, value)}/${length} has host bits set`);
  }
  return { family, start: value, end: value | hostMask };
}

/**
 * Checks that a range is well formed: `start ≤ end`, both within the family.
 * @throws {@link PolicyError} `bad-range` or `bad-address`.
 * @public
 */
export function checkAddressRange(r: AddressRange): AddressRange {
  if (r.family !== 4 && r.family !== 6)
    throw new PolicyError("bad-address", `unknown family ${String(r.family)}`);
  const max = maxAddress(r.family);
  if (r.start < 0n || r.end > max) throw new PolicyError("bad-address", "address outside its family");
  if (r.start > r.end) {
    throw new PolicyError(
      "bad-range",
      `start ${formatIp(r.family, r.start)} is above end ${formatIp(r.family, r.end)}`,
    );
  }
  return r;
}

/**
 * Parses `a` (one address), `a/len` (prefix), `a-b` (inclusive range) or `any4` / `any6`.
 * @throws {@link PolicyError} `bad-address`, `bad-prefix`, `bad-range`, `mixed-family`.
 * @public
 */
export function parseAddressRange(text: string): AddressRange {
  const t = text.trim();
  if (t === "any4") return anyAddress(4);
  if (t === "any6") return anyAddress(6);
  const slash = t.indexOf("/");
  if (slash >= 0) {
    const a = parseIp(t.slice(0, slash));
    const len = t.slice(slash + 1);
    if (!/^\d{1,3}$/.test(len)) throw new PolicyError("bad-prefix", `"${text}": bad prefix length`);
    return prefixRange(a.family, a.value, Number(len));
  }
  const dash = t.indexOf("-");
  if (dash >= 0) {
    const a = parseIp(t.slice(0, dash));
    const b = parseIp(t.slice(dash + 1));
    if (a.family !== b.family) throw new PolicyError("mixed-family", `"${text}" mixes IPv4 and IPv6`);
    return checkAddressRange({ family: a.family, start: a.value, end: b.value });
  }
  return hostRange(parseIp(t));
}

/** The prefix length if `r` is exactly one prefix, else `null`. @public */
export function prefixLength(r: AddressRange): number | null {
  const size = r.end - r.start + 1n;
  if ((size & (size - 1n)) !== 0n || (r.start & (size - 1n)) !== 0n) return null;
  const bits = r.family === 4 ? 32 : 128;
  return bits - (size.toString(2).length - 1);
}

/** Formats a range as `a`, `a/len` or `a-b`, whichever is exact. @public */
export function formatAddressRange(r: AddressRange): string {
  if (r.start === r.end) return formatIp(r.family, r.start);
  const len = prefixLength(r);
  if (len !== null) return `${formatIp(r.family, r.start)}/${len}`;
  return `${formatIp(r.family, r.start)}-${formatIp(r.family, r.end)}`;
}

/**
 * The range of a Cisco ACL address and wildcard mask (`10.0.0.0 0.0.0.255`). Bits under the
 * wildcard are ignored, as IOS does. Discontiguous masks are refused: crypto maps do not support
 * them (seeds/004:340).
 * @throws {@link PolicyError} `bad-address`, `discontiguous-mask`.
 * @public
 */
export function wildcardRange(address: string, wildcard: string): AddressRange {
  const a = parseIp(address);
  const w = parseIp(wildcard);
  if (a.family !== 4 || w.family !== 4) throw bad(`${address} ${wildcard}`, "wildcard masks are IPv4 only");
  // A contiguous wildcard is 2^k − 1: adding one leaves a single bit (or overflows to 2^32).
  const plusOne = w.value + 1n;
  if ((plusOne & w.value) !== 0n) {
    throw new PolicyError("discontiguous-mask", `wildcard ${wildcard} is not contiguous`);
  }
  const start = a.value & ~w.value & V4_MAX;
  return { family: 4, start, end: start | w.value };
}

/** True if `a` and `b` share at least one address. @public */
export function rangesOverlap(a: AddressRange, b: AddressRange): boolean {
  return a.family === b.family && a.start <= b.end && b.start <= a.end;
}

/** True if every address of `inner` is in `outer`. @public */
export function rangeContains(outer: AddressRange, inner: AddressRange): boolean {
  return outer.family === inner.family && outer.start <= inner.start && inner.end <= outer.end;
}

/**
 * Writes the 32-bit words of an address, most significant first: one word for IPv4, four for
 * IPv6. This is the form packet headers and the lookup structures use.
 * @public
 */
export function addressWords(family: IpFamily, value: bigint, out: Uint32Array): void {
  if (family === 4) {
    out[0] = Number(value);
    return;
  }
  for (let i = 0; i < 4; i++) out[i] = Number((value >> BigInt(96 - 32 * i)) & V4_MAX);
}

/** The address held in `words` (one word for IPv4, four for IPv6). @public */
export function wordsToAddress(family: IpFamily, words: ArrayLike<number>): bigint {
  if (family === 4) return BigInt(words[0]! >>> 0);
  let v = 0n;
  for (let i = 0; i < 4; i++) v = (v << 32n) | BigInt(words[i]! >>> 0);
  return v;
}
