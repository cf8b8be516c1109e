import fc from "fast-check";
import { ipv4Packet, ipv6Packet } from "./helpers.js";

/** IPv6 extension header types a transport-mode packet may carry in front of its payload. */
const HBH = 0;
const ROUTING = 43;
const DSTOPTS = 60;

/** An inner IP packet description. */
export interface InnerSpec {
  readonly family: 4 | 6;
  /** Upper-layer protocol (never 59, which ESP reserves for dummy packets, RFC 4303 §2.6). */
  readonly protocol: number;
  /** IPv6 extension headers, in a valid order (RFC 8200 §4.1). */
  readonly extensions: readonly number[];
  readonly payload: Uint8Array;
}

/** Builds the packet: IPv4 header, or IPv6 header and extension headers, then the payload. */
export function buildInner(s: InnerSpec): Uint8Array {
  if (s.family === 4) return ipv4Packet(s.protocol, s.payload);
  const types = [...s.extensions, s.protocol];
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < s.extensions.length; i++) {
    const len = i % 2 === 0 ? 8 : 16;
    const h = new Uint8Array(len).fill(i + 1);
    h[0] = types[i + 1]!;
    h[1] = len / 8 - 1;
    if (s.extensions[i] === ROUTING) h.set([types[i + 1]!, len / 8 - 1, 2, 0]); // type 2, segments left 0
    chunks.push(h);
  }
  chunks.push(s.payload);
  const rest = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    rest.set(c, at);
    at += c.length;
  }
  return ipv6Packet(types[0]!, rest);
}

/** Random inner packets: both families, optional IPv6 extension headers, 0–300 payload bytes. */
export const innerSpec: fc.Arbitrary<InnerSpec> = fc.record({
  family: fc.constantFrom(4 as const, 6 as const),
  protocol: fc.constantFrom(1, 6, 17, 58, 132),
  extensions: fc.constantFrom(
    [],
    [HBH],
    [HBH, ROUTING],
    [DSTOPTS],
    [HBH, DSTOPTS, ROUTING, DSTOPTS],
    [ROUTING, DSTOPTS],
  ),
  payload: fc.uint8Array({ minLength: 0, maxLength: 300 }),
});
