/**
 * First-match packet classification over ordered boxes, fast enough for 100 000 policies.
 *
 * The SPD is ordered (RFC 4301 §4.4.1: "The SPD is an ordered database … a user or administrator
 * MUST be able to order the entries"), so a lookup must return exactly what a linear first-match
 * scan would. This structure gets there without scanning: a decision tree over the key dimensions
 * in the style of HyperSplit, where each inner node cuts one dimension at up to three boundaries
 * into four children:
 *
 * - a box that lies within one child's range goes to that child;
 * - boxes straddling a boundary are copied into every child they overlap when they are few, so a
 *   lookup follows one path; when they are many they go into a separate centre subtree instead,
 *   which bounds memory (broad rules such as `any` addresses are not copied into every leaf).
 *
 * Every node records a lower bound of the priorities below it, so once a match is known a lookup
 * skips any subtree that cannot beat it; leaves keep their rules sorted by priority, so the first
 * match in a leaf is the leaf's best.
 *
 * At 100 000 rules a lookup is bound by cache and TLB misses rather than by comparisons, so what
 * a lookup touches is packed into typed arrays: 32 bytes per node, and per leaf one region with
 * keys, ids and the bounds of only those dimensions the leaf's rules actually restrict within the
 * part of the key space that reaches the leaf, stored dimension by dimension (rejecting a leaf's
 * rules on one dimension reads one cache line). A lookup returns a rule id and allocates nothing.
 *
 * Inserts and deletes walk the paths of the changed box and rewrite the leaves they reach; a full
 * leaf is split in place. The space of replaced leaves is reclaimed by a full rebuild once the
 * number of changes since the last build exceeds the number of rules, which also keeps the tree
 * balanced (amortized O(log n) per change).
 *
 * @packageDocumentation
 */
import type { Box } from "./box.js";

/** Leaves are split when they would hold more rules than this. */
const LEAF_MAX = 8;
/** Straddling rules are copied into the children they overlap up to this fraction of the node … */
const COPY_FRACTION = 0.03;
/** … or up to this many rules, whichever is more. */
const COPY_MIN = 32;
/** Rules sampled to pick boundaries, and to estimate their cost on large nodes. */
const SAMPLES = 64;
const COST_SAMPLE = 2048;

// Nodes: 8 int32 (32 bytes) each.
//   inner: [dim (+ CENTER_MODE), b1, b2, b3, child0, child1, child2, child3]
//          child k holds keys with exactly k of the boundaries at or below them
//   leaf:  [~mask of checked dimensions, region offset, rule count, region capacity, …]
const NODE = 8;
const FANOUT = 4;
const CENTER_MODE = 32;

const f32 = new Float32Array(1);
const f32bits = new Int32Array(f32.buffer);

/** Largest float32 not above `x`, so a stored minimum never exceeds the true one. */
function floorF32(x: number): number {
  f32[0] = x;
  if (f32[0]! > x) f32bits[0] = f32bits[0]! + (x > 0 ? -1 : 1); // one float32 step down
  return f32[0]!;
}

function popcount(m: number): number {
  let c = 0;
  for (let x = m; x !== 0; x &= x - 1) c++;
  return c;
}

/**
 * Int32s of a leaf region: keys (2 per slot), then lo and hi per checked dimension (2 each), then
 * ids (1). With regions aligned to 64 bytes and 8 slots, each of these blocks is one cache line.
 */
function regionSize(cap: number, mask: number): number {
  return cap * (3 + 2 * popcount(mask));
}

/** True if child `k` of boundaries `at` has an empty range (two equal boundaries). */
function emptyChild(at: ArrayLike<number>, k: number): boolean {
  return k > 0 && k < FANOUT - 1 && at[k - 1]! >= at[k]!;
}

interface Split {
  dim: number;
  /** Three boundaries, ascending (equal ones leave the children between them empty). */
  at: [number, number, number];
  center: boolean;
}

/**
 * A dynamic first-match classifier over boxes in a `domain` (one [lo, hi] int32 pair per
 * dimension that keys can take), each box known by an integer id chosen by the caller.
 * @internal
 */
export class BoxClassifier {
  readonly dims: number;
  private readonly width: number;
  private readonly domain: Int32Array;
  // Rules by id.
  private boundsById = new Int32Array(0);
  private keyById = new Float64Array(0);
  private boxById: (Box | undefined)[] = [];
  private readonly live = new Set<number>();
  // Tree nodes and their side data (read only off the common path).
  private ni = new Int32Array(NODE * 64);
  private nodeMin = new Float32Array(64);
  private nodeCenter = new Int32Array(64);
  private nodeSplitAt = new Int32Array(64);
  private nodes = 0;
  private root = -1;
  // Leaf regions: one buffer seen as int32 and float64.
  private li = new Int32Array(1024);
  private lf = new Float64Array(this.li.buffer);
  private used = 0;
  private changes = 0;
  // Lookup state, kept on the instance so a lookup allocates nothing.
  private key: Int32Array;
  private best = -1;
  private bestKey = Number.POSITIVE_INFINITY;

  constructor(domain: Int32Array) {
    this.dims = domain.length / 2;
    this.width = domain.length;
    this.domain = domain;
    this.key = new Int32Array(this.dims);
  }

  /** Records a rule's box and key without adding it to the tree (see {@link BoxClassifier.rebuild}). */
  define(id: number, key: number, box: Box): void {
    if (id >= this.keyById.length) {
      const size = Math.max(64, 2 * this.keyById.length, id + 1);
      const keys = new Float64Array(size);
      keys.set(this.keyById);
      this.keyById = keys;
      const bounds = new Int32Array(size * this.width);
      bounds.set(this.boundsById);
      this.boundsById = bounds;
    }
    this.keyById[id] = key;
    this.boundsById.set(box.bounds, id * this.width);
    this.boxById[id] = box;
  }

  /** Replaces the tree with one over the rules `ids` (all {@link BoxClassifier.define}d). */
  rebuild(ids: Iterable<number>): void {
    this.live.clear();
    for (const id of ids) this.live.add(id);
    const n = this.live.size;
    this.nodes = 0;
    this.growNodes(Math.max(64, n));
    this.used = 0;
    this.li = new Int32Array(16 * Math.max(64, n * 2));
    this.lf = new Float64Array(this.li.buffer);
    this.root = n === 0 ? -1 : this.build(Array.from(this.live), this.domain.slice());
    this.changes = 0;
  }

  /** Defines and adds a rule. */
  insert(id: number, key: number, box: Box): void {
    this.define(id, key, box);
    this.live.add(id);
    this.root = this.insertAt(this.root, id, this.domain.slice());
    this.noteChange();
  }

  /** Removes a rule; returns false if it was not present. */
  remove(id: number): boolean {
    if (!this.live.delete(id)) return false;
    this.root = this.removeAt(this.root, id);
    this.boxById[id] = undefined;
    this.noteChange();
    return true;
  }

  /** The id of the lowest-key rule whose box contains `key`, or −1. */
  lookup(key: Int32Array): number {
    this.key = key;
    this.best = -1;
    this.bestKey = Number.POSITIVE_INFINITY;
    if (this.root >= 0) this.visit(this.root);
    return this.best;
  }

  private noteChange(): void {
    if (++this.changes > Math.max(64, this.live.size)) this.rebuild([...this.live]);
  }

  private minOf(i: number): number {
    return i < 0 ? Number.POSITIVE_INFINITY : this.nodeMin[i]!;
  }

  private visit(start: number): void {
    const ni = this.ni;
    const key = this.key;
    let i = start;
    // Follow one path iteratively; recurse only into centre subtrees.
    while (i >= 0) {
      if (this.best >= 0 && this.nodeMin[i]! >= this.bestKey) return;
      const b = i * NODE;
      const dim = ni[b]!;
      if (dim < 0) {
        this.scan(b);
        return;
      }
      const v = key[dim & (CENTER_MODE - 1)]!;
      const next =
        ni[b + 4 + (v >= ni[b + 1]! ? 1 : 0) + (v >= ni[b + 2]! ? 1 : 0) + (v >= ni[b + 3]! ? 1 : 0)]!;
      const c = dim >= CENTER_MODE ? this.nodeCenter[i]! : -1;
      if (c < 0) {
        i = next;
      } else if (next < 0 || this.nodeMin[c]! <= this.nodeMin[next]!) {
        this.visit(c);
        i = next;
      } else {
        this.visit(next);
        i = c;
      }
    }
  }

  private scan(b: number): void {
    const ni = this.ni;
    const li = this.li;
    const mask = ~ni[b]!;
    const offset = ni[b + 1]!;
    const count = ni[b + 2]!;
    const cap = ni[b + 3]!;
    const key = this.key;
    const keys = offset >> 1;
    const bounds = offset + 2 * cap;
    const ids = bounds + 2 * cap * popcount(mask);
    for (let r = 0; r < count; r++) {
      if (this.best >= 0 && this.lf[keys + r]! >= this.bestKey) return;
      let o = bounds + r;
      let m = mask;
      for (; m !== 0; m &= m - 1, o += 2 * cap) {
        const v = key[31 - Math.clz32(m & -m)]!;
        if (v < li[o]! || v > li[o + cap]!) break;
      }
      if (m === 0) {
        let id = li[ids + r]!;
        if (id < 0) {
          id = ~id;
          if (!this.boxById[id]!.precise!(key)) continue;
        }
        // Rules are sorted by key: the first match is this leaf's best.
        const k = this.lf[keys + r]!;
        if (k < this.bestKey) {
          this.best = id;
          this.bestKey = k;
        }
        return;
      }
    }
  }

  /** Resizes the node arrays to `size` nodes, keeping the first {@link BoxClassifier.nodes}. */
  private growNodes(size: number): void {
    const keep = this.nodes;
    const ni = new Int32Array(size * NODE);
    ni.set(this.ni.subarray(0, keep * NODE));
    this.ni = ni;
    const min = new Float32Array(size);
    min.set(this.nodeMin.subarray(0, keep));
    this.nodeMin = min;
    const center = new Int32Array(size);
    center.set(this.nodeCenter.subarray(0, keep));
    this.nodeCenter = center;
    const splitAt = new Int32Array(size);
    splitAt.set(this.nodeSplitAt.subarray(0, keep));
    this.nodeSplitAt = splitAt;
  }

  private allocNode(): number {
    if (this.nodes + 1 > this.nodeMin.length) this.growNodes(2 * this.nodeMin.length);
    return this.nodes++;
  }

  private allocRegion(size: number): number {
    // Regions start on 64-byte boundaries (16 int32), which also aligns their float64 keys.
    const padded = (size + 15) & ~15;
    if (this.used + padded > this.li.length) {
      const grown = new Int32Array(Math.max(2 * this.li.length, this.used + padded));
      grown.set(this.li);
      this.li = grown;
      this.lf = new Float64Array(grown.buffer);
    }
    const at = this.used;
    this.used += padded;
    return at;
  }

  /** Dimensions in which some of `ids` does not cover the whole `cell`. */
  private maskOf(ids: readonly number[], cell: Int32Array): number {
    let mask = 0;
    const w = this.width;
    for (const id of ids) {
      for (let d = 0; d < this.dims; d++) {
        const o = id * w + 2 * d;
        if (this.boundsById[o]! > cell[2 * d]! || this.boundsById[o + 1]! < cell[2 * d + 1]!) mask |= 1 << d;
      }
    }
    return mask;
  }

  /** Writes rules `ids` (sorted by key) into leaf node `i`, reallocating its region if needed. */
  private fillLeaf(i: number, ids: readonly number[], mask: number): void {
    const b = i * NODE;
    let cap = this.ni[b + 3]!;
    if (ids.length > cap || ~this.ni[b]! !== mask) {
      while (cap < ids.length) cap *= 2;
      this.ni[b] = ~mask;
      this.ni[b + 1] = this.allocRegion(regionSize(cap, mask));
      this.ni[b + 3] = cap;
    }
    const offset = this.ni[b + 1]!;
    const keys = offset >> 1;
    const idAt = offset + 2 * cap + 2 * cap * popcount(mask);
    const w = this.width;
    for (let r = 0; r < ids.length; r++) {
      const id = ids[r]!;
      this.lf[keys + r] = this.keyById[id]!;
      this.li[idAt + r] = this.boxById[id]!.precise === null ? id : ~id;
      let o = offset + 2 * cap + r;
      for (let m = mask; m !== 0; m &= m - 1, o += 2 * cap) {
        const d = 31 - Math.clz32(m & -m);
        this.li[o] = this.boundsById[id * w + 2 * d]!;
        this.li[o + cap] = this.boundsById[id * w + 2 * d + 1]!;
      }
    }
    this.ni[b + 2] = ids.length;
    this.nodeMin[i] = floorF32(this.keyById[ids[0]!]!);
  }

  private leafIds(i: number): number[] {
    const b = i * NODE;
    const cap = this.ni[b + 3]!;
    const idAt = this.ni[b + 1]! + 2 * cap + 2 * cap * popcount(~this.ni[b]!);
    const out: number[] = [];
    for (let r = 0; r < this.ni[b + 2]!; r++) {
      const id = this.li[idAt + r]!;
      out.push(id < 0 ? ~id : id);
    }
    return out;
  }

  private sortByKey(ids: number[]): number[] {
    const keys = this.keyById;
    return ids.sort((a, c) => keys[a]! - keys[c]!);
  }

  private makeLeaf(ids: number[], cell: Int32Array, splitAt: number): number {
    this.sortByKey(ids);
    const i = this.allocNode();
    const b = i * NODE;
    this.ni[b] = 0; // not a valid leaf mask: makes fillLeaf allocate a region
    this.ni[b + 3] = ids.length;
    this.nodeSplitAt[i] = splitAt;
    this.fillLeaf(i, ids, this.maskOf(ids, cell));
    return i;
  }

  /** The children (first and last, inclusive) that rule `id` overlaps at boundaries `at` in `dim`. */
  private span(id: number, dim: number, at: ArrayLike<number>): [number, number] {
    const o = id * this.width + 2 * dim;
    const lo = this.boundsById[o]!;
    const hi = this.boundsById[o + 1]!;
    return [
      (lo >= at[0]! ? 1 : 0) + (lo >= at[1]! ? 1 : 0) + (lo >= at[2]! ? 1 : 0),
      (hi >= at[0]! ? 1 : 0) + (hi >= at[1]! ? 1 : 0) + (hi >= at[2]! ? 1 : 0),
    ];
  }

  /** The cell of child `k` of a node with boundaries `at` in `dim`, inside `cell`. */
  private childCell(cell: Int32Array, dim: number, at: ArrayLike<number>, k: number): Int32Array {
    const c = cell.slice();
    if (k > 0) c[2 * dim] = Math.max(c[2 * dim]!, at[k - 1]!);
    if (k < FANOUT - 1) c[2 * dim + 1] = Math.min(c[2 * dim + 1]!, at[k]! - 1);
    return c;
  }

  private build(ids: number[], cell: Int32Array): number {
    const n = ids.length;
    if (n <= LEAF_MAX) return this.makeLeaf(ids, cell, LEAF_MAX);
    const split = this.chooseSplit(ids);
    if (split === null) return this.makeLeaf(ids, cell, 2 * n);
    const parts: number[][] = [[], [], [], []];
    const center: number[] = [];
    for (const id of ids) {
      const [first, last] = this.span(id, split.dim, split.at);
      if (first === last) parts[first]!.push(id);
      else if (split.center) center.push(id);
      else for (let k = first; k <= last; k++) if (!emptyChild(split.at, k)) parts[k]!.push(id);
    }
    // The sampled estimate may promise a separation the full set does not have.
    if (center.length === n || parts.some((p) => p.length === n)) return this.makeLeaf(ids, cell, 2 * n);
    const i = this.allocNode();
    const children = parts.map((p, k) =>
      p.length > 0 ? this.build(p, this.childCell(cell, split.dim, split.at, k)) : -1,
    );
    const c = center.length > 0 ? this.build(center, cell) : -1;
    const b = i * NODE;
    this.ni[b] = split.dim + (split.center ? CENTER_MODE : 0);
    this.ni.set(split.at, b + 1);
    this.ni.set(children, b + 4);
    this.nodeCenter[i] = c;
    this.nodeMin[i] = Math.min(...children.map((k) => this.minOf(k)), this.minOf(c));
    return i;
  }

  /**
   * Picks the dimension and boundaries that minimize the rules a lookup may still have to examine
   * below this node (the largest child plus any centre), comparing per dimension a four-way cut
   * at the quartiles and a two-way cut at the median of the sampled rule edges.
   */
  private chooseSplit(ids: readonly number[]): Split | null {
    const n = ids.length;
    const w = this.width;
    const bb = this.boundsById;
    const step = Math.max(1, Math.floor(n / SAMPLES));
    const costStep = Math.max(1, Math.floor(n / COST_SAMPLE));
    const sampled = Math.ceil(n / costStep);
    const copyLimit = Math.max(COPY_FRACTION * sampled, COPY_MIN / costStep);
    const edges: number[] = [];
    const own = [0, 0, 0, 0];
    const copies = [0, 0, 0, 0];
    let best: Split | null = null;
    let bestCost = Number.POSITIVE_INFINITY;
    for (let dim = 0; dim < this.dims; dim++) {
      const lo = 2 * dim;
      edges.length = 0;
      for (let k = 0; k < n; k += step) {
        const o = ids[k]! * w + lo;
        // Candidate boundaries are rule edges inside the domain (a boundary b cuts b − 1 | b).
        if (bb[o]! > this.domain[lo]!) edges.push(bb[o]!);
        if (bb[o + 1]! < this.domain[lo + 1]!) edges.push(bb[o + 1]! + 1);
      }
      if (edges.length === 0) continue;
      edges.sort((a, b) => a - b);
      const q = (f: number) => edges[Math.min(edges.length - 1, Math.floor(edges.length * f))]!;
      const median = q(0.5);
      const cuts: [number, number, number][] = [
        [q(0.25), median, q(0.75)],
        [median, median, median],
      ];
      for (const at of cuts) {
        own.fill(0);
        copies.fill(0);
        let straddle = 0;
        for (let k = 0; k < n; k += costStep) {
          const [first, last] = this.span(ids[k]!, dim, at);
          if (first === last) own[first]!++;
          else {
            straddle++;
            for (let c = first; c <= last; c++) if (!emptyChild(at, c)) copies[c]!++;
          }
        }
        const largest = Math.max(...own);
        const separated = own.filter((x) => x > 0).length;
        if (separated + (straddle > 0 ? 1 : 0) < 2) continue;
        const copy = straddle <= copyLimit && separated > 1;
        const cost = copy ? Math.max(...own.map((x, c) => x + copies[c]!)) : largest + straddle;
        // Every path below the node must be clearly shorter than the node (else a leaf is better).
        if (cost > 0.75 * sampled) continue;
        if (cost < bestCost) {
          bestCost = cost;
          best = { dim, at, center: !copy };
        }
      }
    }
    return best;
  }

  private insertAt(i: number, id: number, cell: Int32Array): number {
    if (i < 0) return this.makeLeaf([id], cell, LEAF_MAX);
    const b = i * NODE;
    const dim = this.ni[b]!;
    if (dim < 0) {
      const ids = this.leafIds(i);
      ids.push(id);
      if (ids.length > this.nodeSplitAt[i]!) return this.build(ids, cell);
      this.fillLeaf(i, this.sortByKey(ids), ~dim | this.maskOf([id], cell));
      return i;
    }
    const d = dim & (CENTER_MODE - 1);
    const at = this.ni.slice(b + 1, b + 4);
    const [first, last] = this.span(id, d, at);
    if (first !== last && dim >= CENTER_MODE) {
      this.nodeCenter[i] = this.insertAt(this.nodeCenter[i]!, id, cell);
    } else {
      for (let k = first; k <= last; k++) {
        if (emptyChild(at, k)) continue;
        this.setChild(b + 4 + k, this.insertAt(this.ni[b + 4 + k]!, id, this.childCell(cell, d, at, k)));
      }
    }
    this.nodeMin[i] = Math.min(this.nodeMin[i]!, floorF32(this.keyById[id]!));
    return i;
  }

  /** Stores a child index: a separate step because the recursion may have grown the arrays. */
  private setChild(at: number, child: number): void {
    this.ni[at] = child;
  }

  private removeAt(i: number, id: number): number {
    if (i < 0) return -1;
    const b = i * NODE;
    const dim = this.ni[b]!;
    if (dim < 0) {
      const ids = this.leafIds(i);
      const at = ids.indexOf(id);
      if (at < 0) return i;
      ids.splice(at, 1);
      if (ids.length === 0) return -1;
      this.fillLeaf(i, ids, ~dim);
      return i;
    }
    const [first, last] = this.span(id, dim & (CENTER_MODE - 1), this.ni.subarray(b + 1, b + 4));
    if (first !== last && dim >= CENTER_MODE) {
      this.nodeCenter[i] = this.removeAt(this.nodeCenter[i]!, id);
    } else {
      for (let k = first; k <= last; k++) this.setChild(b + 4 + k, this.removeAt(this.ni[b + 4 + k]!, id));
    }
    let min = dim >= CENTER_MODE ? this.minOf(this.nodeCenter[i]!) : Number.POSITIVE_INFINITY;
    for (let k = 0; k < FANOUT; k++) min = Math.min(min, this.minOf(this.ni[b + 4 + k]!));
    if (min === Number.POSITIVE_INFINITY) return -1;
    this.nodeMin[i] = min;
    return i;
  }
}
