/**
 * IP address text to octets, for NAT detection hashes (RFC 7296 §2.23), cookies (§2.6), ID
 * payloads (§3.5) and traffic selectors (§3.13.1). IPv4-mapped IPv6 addresses, as dual-stack
 * sockets report IPv4 peers, become their 4-octet IPv4 form: that is the address on the wire.
 *
 * @packageDocumentation
 */

const IPV4_LENGTH = 4;
const IPV6_LENGTH = 16;
const IPV6_GROUPS = 8;

const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** Dotted-quad text: four groups of one to three decimal digits, each at most 255. */
function parseIpv4(text: string): Uint8Array | undefined {
  const out = new Uint8Array(IPV4_LENGTH);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= DIGIT_0 && c <= DIGIT_9) {
      if (++digits > 3) return undefined;
      value = value * 10 + (c - DIGIT_0);
    } else if (c === DOT && digits > 0 && part < IPV4_LENGTH - 1) {
      if (value > 255) return undefined;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else {
      return undefined;
    }
  }
  if (part !== IPV4_LENGTH - 1 || digits === 0 || value > 255) return undefined;
  out[part] = value;
  return out;
}

function parseGroups(text: string): number[] | undefined {
  if (text === "") return [];
  const groups: number[] = [];
  for (const g of text.split(":")) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    groups.push(Number.parseInt(g, 16));
  }
  return groups;
}

function parseIpv6(text: string): Uint8Array | undefined {
  let body = text;
  let tail: number[] = [];
  const lastColon = body.lastIndexOf(":");
  // An embedded IPv4 address ends the text ("::ffff:192.0.2.1").
  if (body.includes(".")) {
    const v4 = parseIpv4(body.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    body = body.slice(0, lastColon + 1);
    if (body.endsWith(":") && !body.endsWith("::")) body = body.slice(0, -1);
  }
  const halves = body.split("::");
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0]!);
  const rest = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (head === undefined || rest === undefined) return undefined;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 1 ? known !== IPV6_GROUPS : known >= IPV6_GROUPS) return undefined;
  const groups = [...head, ...new Array<number>(IPV6_GROUPS - known).fill(0), ...rest, ...tail];
  const out = new Uint8Array(IPV6_LENGTH);
  groups.forEach((g, i) => {
    out[2 * i] = g >>> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/**
 * The octets of an IPv4 or IPv6 address in text form (4 or 16 octets; IPv4-mapped IPv6 gives 4).
 * @throws `TypeError` for text that is not an address.
 * @public
 */
export function parseIpAddress(text: string): Uint8Array {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return v4;
  const v6 = text.includes(":") ? parseIpv6(text) : undefined;
  if (v6 === undefined) throw new TypeError(`not an IP address: "${text}"`);
  if (MAPPED_PREFIX.every((b, i) => v6[i] === b)) return v6.slice(MAPPED_PREFIX.length);
  return v6;
}
