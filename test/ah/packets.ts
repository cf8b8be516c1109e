/**
 * Test packet builders and fast-check arbitraries for AH: IPv4 with options, IPv6 with extension
 * headers. Each generated packet comes with the positions of its mutable bytes, so tests can
 * change them in transit.
 */
import fc from "fast-check";

/** IPv4 header checksum (RFC 791). */
export function ipv4Checksum(h: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) sum += i === 10 ? 0 : (h[i]! << 8) | h[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface Ipv4Spec {
  tos: number;
  id: number;
  df: boolean;
  ttl: number;
  protocol: number;
  src: Uint8Array;
  dst: Uint8Array;
  /** Raw options, a multiple of 4 bytes. */
  options: Uint8Array;
  payload: Uint8Array;
}

export function ipv4(s: Ipv4Spec): Uint8Array {
  const hl = 20 + s.options.length;
  const p = new Uint8Array(hl + s.payload.length);
  p[0] = 0x40 | (hl / 4);
  p[1] = s.tos;
  p[2] = p.length >>> 8;
  p[3] = p.length & 0xff;
  p[4] = s.id >>> 8;
  p[5] = s.id & 0xff;
  p[6] = s.df ? 0x40 : 0;
  p[8] = s.ttl;
  p[9] = s.protocol;
  p.set(s.src, 12);
  p.set(s.dst, 16);
  p.set(s.options, 20);
  p.set(s.payload, hl);
  const c = ipv4Checksum(p.subarray(0, hl));
  p[10] = c >>> 8;
  p[11] = c & 0xff;
  return p;
}

export interface Ipv6Spec {
  trafficClass: number;
  flowLabel: number;
  hopLimit: number;
  nextHeader: number;
  src: Uint8Array;
  dst: Uint8Array;
  /** Extension headers, already chained (each names the next). */
  ext: Uint8Array;
  payload: Uint8Array;
}

export function ipv6(s: Ipv6Spec): Uint8Array {
  const p = new Uint8Array(40 + s.ext.length + s.payload.length);
  p[0] = 0x60 | (s.trafficClass >>> 4);
  p[1] = ((s.trafficClass & 0x0f) << 4) | ((s.flowLabel >>> 16) & 0x0f);
  p[2] = (s.flowLabel >>> 8) & 0xff;
  p[3] = s.flowLabel & 0xff;
  const plen = p.length - 40;
  p[4] = plen >>> 8;
  p[5] = plen & 0xff;
  p[6] = s.nextHeader;
  p[7] = s.hopLimit;
  p.set(s.src, 8);
  p.set(s.dst, 24);
  p.set(s.ext, 40);
  p.set(s.payload, 40 + s.ext.length);
  return p;
}

/** A packet plus where its mutable bits are, relative to the start of the packet. */
export interface TestPacket {
  bytes: Uint8Array;
  /**
   * [offset, bit mask] of the bits a router may change freely without breaking the ICV
   * (RFC 4302 §3.3.3.1), valid while the header stays in front of AH (transport mode).
   */
  mutable: [number, number][];
  /**
   * Bytes neither freely mutable nor covered: the type and length of a mutable IPv4 option, which
   * AH zeroes with the option (RFC 4302 §3.3.3.1.1.2) but which a router does not rewrite.
   */
  uncovered: number[];
  /** One forwarding step along the source route / routing header, in place; null if none. */
  route: ((p: Uint8Array) => void) | null;
}

/** IPv4: TOS, the DF and reserved flag bits (not MF or the offset: that makes a fragment), TTL, checksum. */
export const IPV4_MUTABLE: [number, number][] = [
  [1, 0xff],
  [6, 0xc0],
  [8, 0xff],
  [10, 0xff],
  [11, 0xff],
];
/** IPv6: traffic class, flow label, hop limit. */
export const IPV6_MUTABLE: [number, number][] = [
  [0, 0x0f],
  [1, 0xff],
  [2, 0xff],
  [3, 0xff],
  [7, 0xff],
];

const addr4 = fc.uint8Array({ minLength: 4, maxLength: 4 });
const addr6 = fc.uint8Array({ minLength: 16, maxLength: 16 });
const payload = fc.uint8Array({ minLength: 0, maxLength: 80 });

/** An IPv4 option: bytes and whether RFC 4302 Appendix A1 calls it mutable. */
interface Opt {
  bytes: Uint8Array;
  mutable: boolean;
}

const immutableOption: fc.Arbitrary<Opt> = fc
  .tuple(fc.constantFrom(0x82, 0x85, 0x86, 0x94, 0x95), fc.uint8Array({ minLength: 2, maxLength: 6 }))
  .map(([type, data]) => ({ bytes: Uint8Array.of(type, data.length + 2, ...data), mutable: false }));

const mutableOption: fc.Arbitrary<Opt> = fc.oneof(
  // Record Route (7) and Timestamp (68): pointer and slots change en route.
  fc
    .tuple(fc.constantFrom(0x07, 0x44), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 255 }))
    .map(([type, slots, b]) => {
      const o = new Uint8Array(3 + 4 * slots).fill(b);
      o[0] = type;
      o[1] = o.length;
      o[2] = 4;
      return { bytes: o, mutable: true };
    }),
  // An unknown option: treated as mutable (RFC 4302 §3.3.3.1).
  fc
    .tuple(fc.constantFrom(0x1e, 0x5e, 0x9e, 0xde), fc.uint8Array({ minLength: 0, maxLength: 4 }))
    .map(([type, data]) => ({ bytes: Uint8Array.of(type, data.length + 2, ...data), mutable: true })),
);

const nop: fc.Arbitrary<Opt> = fc.constant({ bytes: Uint8Array.of(1), mutable: false });

/** IPv4 options: a list padded with EOL to a multiple of 4, at most 40 bytes. */
const ipv4Options: fc.Arbitrary<Opt[]> = fc
  .array(fc.oneof(immutableOption, mutableOption, nop), { maxLength: 4 })
  .filter((opts) => opts.reduce((n, o) => n + o.bytes.length, 0) <= 24); // + LSRR (15) ≤ 40

export const ipv4Packet: fc.Arbitrary<TestPacket> = fc
  .record({
    tos: fc.integer({ min: 0, max: 255 }),
    id: fc.integer({ min: 0, max: 0xffff }),
    df: fc.boolean(),
    ttl: fc.integer({ min: 1, max: 255 }),
    protocol: fc.constantFrom(6, 17, 1),
    src: addr4,
    dst: addr4,
    opts: ipv4Options,
    lsrr: fc.option(fc.array(addr4, { minLength: 1, maxLength: 3 }), { nil: undefined }),
    payload,
  })
  .map((r) => {
    const mutable = [...IPV4_MUTABLE];
    const uncovered: number[] = [];
    const parts: number[] = [];
    let at = 20;
    for (const o of r.opts) {
      // The type and length stay (a router rewrites contents, not the option list).
      if (o.mutable) {
        uncovered.push(at, at + 1);
        for (let i = 2; i < o.bytes.length; i++) mutable.push([at + i, 0xff]);
      }
      parts.push(...o.bytes);
      at += o.bytes.length;
    }
    let route: TestPacket["route"] = null;
    if (r.lsrr !== undefined) {
      // Loose source route: the remaining hops, the final destination last (RFC 791 §3.1).
      const hops = r.lsrr;
      const lsrrAt = at;
      const len = 3 + 4 * hops.length;
      parts.push(0x83, len, 4, ...hops.flatMap((h) => [...h]));
      // The option and the destination change along the route only as predicted (RFC 4302
      // §3.3.3.1.1.1 "mutable but predictable"), so they are not in `mutable`.
      route = (p) => {
        // One hop (RFC 791 §3.1): the router at the current destination swaps in the next address
        // and records its own (here: a made-up one) in its place.
        const pointer = p[lsrrAt + 2]!;
        if (pointer > p[lsrrAt + 1]!) return;
        const slot = lsrrAt + pointer - 1;
        const next = p.slice(slot, slot + 4);
        p.set([198, 51, 100, pointer], slot);
        p.set(next, 16);
        p[lsrrAt + 2] = pointer + 4;
      };
      at += len;
    }
    while (parts.length % 4 !== 0) parts.push(0);
    const bytes = ipv4({ ...r, options: Uint8Array.from(parts) });
    return { bytes, mutable, uncovered, route };
  });

/** An IPv6 TLV option: type, data. */
const ipv6Option = fc
  .tuple(fc.integer({ min: 2, max: 255 }), fc.uint8Array({ minLength: 0, maxLength: 6 }))
  .map(([type, data]) => ({ type, data }));

/** A Hop-by-Hop / Destination Options header body padded to 8n bytes, with mutable data positions. */
function optionsHeader(
  next: number,
  opts: { type: number; data: Uint8Array }[],
): { bytes: number[]; mutable: number[] } {
  const bytes = [next, 0];
  const mutable: number[] = [];
  for (const o of opts) {
    bytes.push(o.type, o.data.length);
    for (let i = 0; i < o.data.length; i++) {
      if ((o.type & 0x20) !== 0) mutable.push(bytes.length);
      bytes.push(o.data[i]!);
    }
  }
  // PadN (type 1) or Pad1 (type 0) to a multiple of 8.
  const pad = (8 - (bytes.length % 8)) % 8;
  if (pad === 1) bytes.push(0);
  else if (pad > 1) bytes.push(1, pad - 2, ...new Array<number>(pad - 2).fill(0));
  bytes[1] = bytes.length / 8 - 1;
  return { bytes, mutable };
}

export const ipv6Packet: fc.Arbitrary<TestPacket> = fc
  .record({
    trafficClass: fc.integer({ min: 0, max: 255 }),
    flowLabel: fc.integer({ min: 0, max: 0xfffff }),
    hopLimit: fc.integer({ min: 1, max: 255 }),
    src: addr6,
    dst: addr6,
    hbh: fc.option(fc.array(ipv6Option, { maxLength: 3 }), { nil: undefined }),
    routing: fc.option(
      fc
        .array(addr6, { minLength: 1, maxLength: 3 })
        .chain((addrs) =>
          fc.record({ addrs: fc.constant(addrs), segmentsLeft: fc.integer({ min: 0, max: addrs.length }) }),
        ),
      { nil: undefined },
    ),
    destBeforeRouting: fc.option(fc.array(ipv6Option, { maxLength: 2 }), { nil: undefined }),
    destAfter: fc.option(fc.array(ipv6Option, { maxLength: 2 }), { nil: undefined }),
    payload,
  })
  .map((r) => {
    // Order (RFC 8200 §4.1): HBH, Destination Options (before Routing), Routing, Destination Options.
    type H = {
      nh: number;
      beforeAh: boolean;
      build: (next: number) => { bytes: number[]; mutable: number[] };
    };
    const headers: H[] = [];
    if (r.hbh !== undefined) {
      const o = r.hbh;
      headers.push({ nh: 0, beforeAh: true, build: (next) => optionsHeader(next, o) });
    }
    if (r.routing !== undefined && r.destBeforeRouting !== undefined) {
      const o = r.destBeforeRouting;
      headers.push({ nh: 60, beforeAh: true, build: (next) => optionsHeader(next, o) });
    }
    let routingAt = -1;
    if (r.routing !== undefined) {
      const { addrs, segmentsLeft } = r.routing;
      headers.push({
        nh: 43,
        beforeAh: true,
        build: (next) => ({
          bytes: [next, addrs.length * 2, 0, segmentsLeft, 0, 0, 0, 0, ...addrs.flatMap((a) => [...a])],
          mutable: [],
        }),
      });
    }
    if (r.destAfter !== undefined) {
      // After AH: covered whole ("everything after AH is assumed to be immutable", RFC 4302 §3.3.3).
      const o = r.destAfter;
      headers.push({ nh: 60, beforeAh: false, build: (next) => optionsHeader(next, o) });
    }
    const ext: number[] = [];
    const mutable = [...IPV6_MUTABLE];
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i]!;
      const built = h.build(headers[i + 1]?.nh ?? 17);
      if (h.nh === 43) routingAt = 40 + ext.length;
      if (h.beforeAh) for (const m of built.mutable) mutable.push([40 + ext.length + m, 0xff]);
      ext.push(...built.bytes);
    }
    let route: TestPacket["route"] = null;
    if (routingAt >= 0 && r.routing !== undefined && r.routing.segmentsLeft > 0) {
      const n = r.routing.addrs.length;
      route = (p) => {
        // One hop of RFC 2460 §4.4 type 0 processing.
        const o = routingAt;
        const left = p[o + 3]!;
        if (left === 0) return;
        const i = n - left; // 0-based index of the next address
        const at = o + 8 + 16 * i;
        const next = p.slice(at, at + 16);
        p.copyWithin(at, 24, 40);
        p.set(next, 24);
        p[o + 3] = left - 1;
      };
    }
    const bytes = ipv6({
      trafficClass: r.trafficClass,
      flowLabel: r.flowLabel,
      hopLimit: r.hopLimit,
      nextHeader: headers[0]?.nh ?? 17,
      src: r.src,
      dst: r.dst,
      ext: Uint8Array.from(ext),
      payload: r.payload,
    });
    return { bytes, mutable, uncovered: [], route };
  });

export const ipPacket: fc.Arbitrary<TestPacket> = fc.oneof(ipv4Packet, ipv6Packet);

/** Copies `p` into a buffer with `headroom` free bytes in front; returns [buffer, start, end]. */
export function inBuffer(p: Uint8Array, headroom: number): [Uint8Array, number, number] {
  const buf = new Uint8Array(headroom + p.length);
  buf.set(p, headroom);
  return [buf, headroom, buf.length];
}
