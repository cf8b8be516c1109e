/**
 * First-match packet classification over ordered boxes, fast enough for 100 000 policies.
 *
 * The SPD is ordered (RFC 4301 §4.4.1: "The SPD is an ordered database … a user or administrator
 * MUST be able to order the entries"), so a lookup must return exactly what a linear first-match
 * scan would. This structure gets there without scanning:
 *
 * - a decision tree over the key dimensions in the style of HyperSplit (classifier-split.ts),
 *   whose inner nodes cut one dimension into four children, some with a centre subtree for the
 *   boxes that straddle the cut;
 * - once there are many boxes, a jump table on one dimension on top (classifier-jump.ts): a key
 *   finds its cell in one step instead of several tree levels, each cell has a tree of the boxes
 *   overlapping it, and the few boxes too wide for the table have a tree of their own that every
 *   lookup visits as well.
 *
 * Every inner node records a lower bound of the priorities below it, so once a match is known a
 * lookup skips any subtree that cannot beat it; leaves keep their boxes sorted by priority, so the
 * first match in a leaf is the leaf's best.
 *
 * At 100 000 boxes a lookup is bound by cache and TLB misses rather than by comparisons, so what a
 * lookup touches is packed into typed arrays. Inner nodes are 32 bytes. A child reference is an
 * inner node's index (≥ 0) or the complement of a leaf's offset in the leaf buffer, so reaching a
 * leaf reads no node of its own. A leaf is a 16-byte header and one row per box: its key, its id
 * and [lo, hi] of only those dimensions the leaf's boxes restrict within the part of the key space
 * that reaches the leaf. Rejecting a box reads its row alone, so a scan usually ends within the
 * leaf's first cache lines. A lookup returns a box id and allocates nothing.
 *
 * Inserts and deletes walk the paths of the changed box and rewrite the leaves they reach; a full
 * leaf is split in place. The space of replaced leaves is reclaimed by a full rebuild once the
 * number of changes since the last build exceeds the number of boxes, which also keeps the tree
 * balanced and the table fitted (amortized O(log n) per change).
 *
 * @packageDocumentation
 */
import type { Box } from "./box.js";
import { cellBox, cellOf, cellSpan, chooseJump, isWide, type Jump } from "./classifier-jump.js";
import { type BoxTable, chooseSplit, emptyChild, FANOUT, span } from "./classifier-split.js";

/** Leaves are split when they would hold more boxes than this. */
const LEAF_MAX = 8;

// Inner nodes: 8 int32 (32 bytes) each:
//   [dim (+ CENTER_MODE), b1, b2, b3, child0, child1, child2, child3]
//   child k holds keys with exactly k of the boundaries at or below them.
const NODE = 8;
const CENTER_MODE = 32;

// Leaves: a header of 4 int32, then `count` rows of rowSize(mask) int32, in `cap` reserved rows.
const L_MASK = 0; // dimensions with bounds in the rows
const L_COUNT = 1;
const L_CAP = 2;
const L_SPLIT = 3; // split the leaf into a subtree when it would hold more boxes than this
const L_HEADER = 4;
/** The reference of the leaf at offset 0: empty, shared, never written. */
const EMPTY = ~0;

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
 * Int32s per leaf row: the key (a float64), the id (its complement if the box has an exact check),
 * one unused int32 that keeps the next row's key 8-byte aligned, then lo and hi per dimension in
 * `mask`, lowest dimension first.
 */
function rowSize(mask: number): number {
  return 4 + 2 * popcount(mask);
}

/**
 * A dynamic first-match classifier over boxes in a `domain` (one [lo, hi] int32 pair per
 * dimension that keys can take), each box known by an integer id chosen by the caller.
 * @internal
 */
export class BoxClassifier {
  readonly dims: number;
  private readonly domain: Int32Array;
  // Boxes by id.
  private readonly boxes: BoxTable & { bounds: Int32Array };
  private keyById = new Float64Array(0);
  private boxById: (Box | undefined)[] = [];
  private readonly live = new Set<number>();
  // Inner nodes and their side data (read only off the common path).
  private ni = new Int32Array(NODE * 64);
  private nodeMin = new Float32Array(64);
  private nodeCenter = new Int32Array(64);
  private nodes = 0;
  // Leaves: one buffer seen as int32 and float64; its first 16 int32 are the EMPTY leaf.
  private li = new Int32Array(16);
  private lf = new Float64Array(this.li.buffer);
  private used = 16;
  /** The tree of all boxes without a table; with one, the tree of the wide boxes. */
  private root = EMPTY;
  private jump: Jump | null = null;
  /** Per cell of the table, the reference of its tree. */
  private cells = new Int32Array(0);
  private changes = 0;
  // Lookup state, kept on the instance so a lookup allocates nothing.
  private key: Int32Array;
  private best = -1;
  private bestKey = Number.POSITIVE_INFINITY;

  constructor(domain: Int32Array) {
    this.dims = domain.length / 2;
    this.domain = domain;
    this.boxes = { bounds: new Int32Array(0), width: domain.length, domain };
    this.key = new Int32Array(this.dims);
  }

  /** Cells of the jump table on top (0 when there is none), for tests and diagnostics. */
  get tableCells(): number {
    return this.jump === null ? 0 : this.jump.cells;
  }

  /** Records a box and its key without adding it to the classifier (see {@link BoxClassifier.rebuild}). */
  define(id: number, key: number, box: Box): void {
    const width = this.boxes.width;
    if (id >= this.keyById.length) {
      const size = Math.max(64, 2 * this.keyById.length, id + 1);
      const keys = new Float64Array(size);
      keys.set(this.keyById);
      this.keyById = keys;
      const bounds = new Int32Array(size * width);
      bounds.set(this.boxes.bounds);
      this.boxes.bounds = bounds;
    }
    this.keyById[id] = key;
    this.boxes.bounds.set(box.bounds, id * width);
    this.boxById[id] = box;
  }

  /** Replaces the contents with the boxes `ids` (all {@link BoxClassifier.define}d). */
  rebuild(ids: Iterable<number>): void {
    this.live.clear();
    for (const id of ids) this.live.add(id);
    const all = Array.from(this.live);
    const n = all.length;
    this.nodes = 0;
    this.growNodes(Math.max(64, n >> 2));
    this.used = 16;
    this.li = new Int32Array(Math.max(1024, 2 * n * (4 + this.boxes.width)));
    this.lf = new Float64Array(this.li.buffer);
    this.changes = 0;
    const jump = chooseJump(this.boxes, all);
    this.jump = jump;
    if (jump === null) {
      this.cells = new Int32Array(0);
      this.root = n === 0 ? EMPTY : this.build(all, this.domain.slice());
      return;
    }
    const parts: number[][] = Array.from({ length: jump.cells }, () => []);
    const wide: number[] = [];
    for (const id of all) {
      if (isWide(jump, this.boxes, id)) {
        wide.push(id);
        continue;
      }
      const [first, last] = cellSpan(jump, this.boxes, id);
      for (let k = first; k <= last; k++) parts[k]!.push(id);
    }
    this.cells = new Int32Array(jump.cells);
    for (let k = 0; k < jump.cells; k++) {
      const part = parts[k]!;
      this.cells[k] = part.length === 0 ? EMPTY : this.build(part, cellBox(jump, this.domain, k));
    }
    this.root = wide.length === 0 ? EMPTY : this.build(wide, this.domain.slice());
  }

  /** Defines and adds a box. */
  insert(id: number, key: number, box: Box): void {
    this.define(id, key, box);
    this.live.add(id);
    const jump = this.jump;
    if (jump === null || isWide(jump, this.boxes, id)) {
      this.root = this.insertAt(this.root, id, this.domain.slice());
    } else {
      const [first, last] = cellSpan(jump, this.boxes, id);
      for (let k = first; k <= last; k++)
        this.cells[k] = this.insertAt(this.cells[k]!, id, cellBox(jump, this.domain, k));
    }
    this.noteChange();
  }

  /** Removes a box; returns false if it was not present. */
  remove(id: number): boolean {
    if (!this.live.delete(id)) return false;
    const jump = this.jump;
    if (jump === null || isWide(jump, this.boxes, id)) {
      this.root = this.removeAt(this.root, id);
    } else {
      const [first, last] = cellSpan(jump, this.boxes, id);
      for (let k = first; k <= last; k++) this.cells[k] = this.removeAt(this.cells[k]!, id);
    }
    this.boxById[id] = undefined;
    this.noteChange();
    return true;
  }

  /** The id of the lowest-key box that contains `key`, or −1. */
  lookup(key: Int32Array): number {
    this.key = key;
    this.best = -1;
    this.bestKey = Number.POSITIVE_INFINITY;
    const jump = this.jump;
    if (jump === null) {
      this.visit(this.root);
      return this.best;
    }
    // The wide tree first: it is small and stays in cache, and a match there lets the cell's tree
    // skip subtrees that cannot beat it. The cell's leaf, likely a cache miss, is read last.
    this.visit(this.root);
    this.visit(this.cells[cellOf(jump, key[jump.dim]!)]!);
    return this.best;
  }

  private noteChange(): void {
    if (++this.changes > Math.max(64, this.live.size)) this.rebuild([...this.live]);
  }

  /** A lower bound of the keys below child reference `c` (+∞ if there are none). */
  private minOf(c: number): number {
    if (c >= 0) return this.nodeMin[c]!;
    const o = ~c;
    return this.li[o + L_COUNT]! === 0 ? Number.POSITIVE_INFINITY : this.lf[(o + L_HEADER) >> 1]!;
  }

  /** Updates the best match with the boxes below child reference `start`. */
  private visit(start: number): void {
    const ni = this.ni;
    const key = this.key;
    let i = start;
    // Follow one path iteratively; recurse only into centre subtrees.
    while (i >= 0) {
      if (this.best >= 0 && this.nodeMin[i]! >= this.bestKey) return;
      const b = i * NODE;
      const dim = ni[b]!;
      const v = key[dim & (CENTER_MODE - 1)]!;
      const next =
        ni[b + 4 + (v >= ni[b + 1]! ? 1 : 0) + (v >= ni[b + 2]! ? 1 : 0) + (v >= ni[b + 3]! ? 1 : 0)]!;
      if (dim < CENTER_MODE) {
        i = next;
        continue;
      }
      const c = this.nodeCenter[i]!;
      if (this.minOf(c) <= this.minOf(next)) {
        this.visit(c);
        i = next;
      } else {
        this.visit(next);
        i = c;
      }
    }
    this.scan(~i);
  }

  /** Updates the best match with the first box of the leaf at offset `o` that contains the key. */
  private scan(o: number): void {
    const li = this.li;
    const mask = li[o + L_MASK]!;
    const key = this.key;
    const size = rowSize(mask);
    const end = o + L_HEADER + li[o + L_COUNT]! * size;
    for (let row = o + L_HEADER; row < end; row += size) {
      const k = this.lf[row >> 1]!;
      if (k >= this.bestKey) return;
      let at = row + 4;
      let m = mask;
      for (; m !== 0; m &= m - 1, at += 2) {
        const v = key[31 - Math.clz32(m & -m)]!;
        if (v < li[at]! || v > li[at + 1]!) break;
      }
      if (m === 0) {
        let id = li[row + 2]!;
        if (id < 0) {
          id = ~id;
          if (!this.boxById[id]!.precise!(key)) continue;
        }
        // Rows are sorted by key: the first match is this leaf's best.
        this.best = id;
        this.bestKey = k;
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
  }

  private allocNode(): number {
    if (this.nodes + 1 > this.nodeMin.length) this.growNodes(2 * this.nodeMin.length);
    return this.nodes++;
  }

  private allocLeaf(size: number): number {
    // Leaves start on 64-byte boundaries (16 int32), which also aligns their float64 keys.
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
    const { bounds, width } = this.boxes;
    for (const id of ids) {
      for (let d = 0; d < this.dims; d++) {
        const o = id * width + 2 * d;
        if (bounds[o]! > cell[2 * d]! || bounds[o + 1]! < cell[2 * d + 1]!) mask |= 1 << d;
      }
    }
    return mask;
  }

  /**
   * Writes boxes `ids` (sorted by key, at least one) over the leaf `c` (EMPTY: a new leaf),
   * moving it if it lacks room or `mask` differs; returns the leaf's reference.
   */
  private fillLeaf(c: number, ids: readonly number[], mask: number, split: number): number {
    let o = ~c;
    if (c === EMPTY || ids.length > this.li[o + L_CAP]! || this.li[o + L_MASK]! !== mask) {
      let cap = c === EMPTY ? ids.length : this.li[o + L_CAP]!;
      while (cap < ids.length) cap *= 2;
      o = this.allocLeaf(L_HEADER + cap * rowSize(mask));
      this.li[o + L_MASK] = mask;
      this.li[o + L_CAP] = cap;
    }
    const size = rowSize(mask);
    const { bounds, width } = this.boxes;
    for (let r = 0; r < ids.length; r++) {
      const id = ids[r]!;
      const row = o + L_HEADER + r * size;
      this.lf[row >> 1] = this.keyById[id]!;
      this.li[row + 2] = this.boxById[id]!.precise === null ? id : ~id;
      let at = row + 4;
      for (let m = mask; m !== 0; m &= m - 1, at += 2) {
        const d = 31 - Math.clz32(m & -m);
        this.li[at] = bounds[id * width + 2 * d]!;
        this.li[at + 1] = bounds[id * width + 2 * d + 1]!;
      }
    }
    this.li[o + L_COUNT] = ids.length;
    this.li[o + L_SPLIT] = split;
    return ~o;
  }

  private leafIds(c: number): number[] {
    const o = ~c;
    const size = rowSize(this.li[o + L_MASK]!);
    const out: number[] = [];
    for (let r = 0; r < this.li[o + L_COUNT]!; r++) {
      const id = this.li[o + L_HEADER + r * size + 2]!;
      out.push(id < 0 ? ~id : id);
    }
    return out;
  }

  private sortByKey(ids: number[]): number[] {
    const keys = this.keyById;
    return ids.sort((a, c) => keys[a]! - keys[c]!);
  }

  private makeLeaf(ids: number[], cell: Int32Array, split: number): number {
    return this.fillLeaf(EMPTY, this.sortByKey(ids), this.maskOf(ids, cell), split);
  }

  /** The cell of child `k` of a node with boundaries `at` in `dim`, inside `cell`. */
  private childCell(cell: Int32Array, dim: number, at: ArrayLike<number>, k: number): Int32Array {
    const c = cell.slice();
    if (k > 0) c[2 * dim] = Math.max(c[2 * dim]!, at[k - 1]!);
    if (k < FANOUT - 1) c[2 * dim + 1] = Math.min(c[2 * dim + 1]!, at[k]! - 1);
    return c;
  }

  /** A subtree over boxes `ids` (at least one) for keys in `cell`; returns its reference. */
  private build(ids: number[], cell: Int32Array): number {
    const n = ids.length;
    if (n <= LEAF_MAX) return this.makeLeaf(ids, cell, LEAF_MAX);
    const split = chooseSplit(this.boxes, ids);
    if (split === null) return this.makeLeaf(ids, cell, 2 * n);
    const parts: number[][] = [[], [], [], []];
    const center: number[] = [];
    for (const id of ids) {
      const [first, last] = span(this.boxes, id, split.dim, split.at);
      if (first === last) parts[first]!.push(id);
      else if (split.center) center.push(id);
      else for (let k = first; k <= last; k++) if (!emptyChild(split.at, k)) parts[k]!.push(id);
    }
    // The sampled estimate may promise a separation the full set does not have.
    if (center.length === n || parts.some((p) => p.length === n)) return this.makeLeaf(ids, cell, 2 * n);
    const i = this.allocNode();
    const children = parts.map((p, k) =>
      p.length > 0 ? this.build(p, this.childCell(cell, split.dim, split.at, k)) : EMPTY,
    );
    const c = center.length > 0 ? this.build(center, cell) : EMPTY;
    const b = i * NODE;
    this.ni[b] = split.dim + (split.center ? CENTER_MODE : 0);
    this.ni.set(split.at, b + 1);
    this.ni.set(children, b + 4);
    this.nodeCenter[i] = c;
    this.nodeMin[i] = floorF32(Math.min(...children.map((k) => this.minOf(k)), this.minOf(c)));
    return i;
  }

  /** Adds box `id` below reference `c` (for keys in `cell`); returns the new reference. */
  private insertAt(c: number, id: number, cell: Int32Array): number {
    if (c === EMPTY) return this.makeLeaf([id], cell, LEAF_MAX);
    if (c < 0) {
      const o = ~c;
      const ids = this.leafIds(c);
      ids.push(id);
      if (ids.length > this.li[o + L_SPLIT]!) return this.build(ids, cell);
      const mask = this.li[o + L_MASK]! | this.maskOf([id], cell);
      return this.fillLeaf(c, this.sortByKey(ids), mask, this.li[o + L_SPLIT]!);
    }
    const b = c * NODE;
    const dim = this.ni[b]!;
    const d = dim & (CENTER_MODE - 1);
    const at = this.ni.slice(b + 1, b + 4);
    const [first, last] = span(this.boxes, id, d, at);
    if (first !== last && dim >= CENTER_MODE) {
      this.setCenter(c, this.insertAt(this.nodeCenter[c]!, id, cell));
    } else {
      for (let k = first; k <= last; k++) {
        if (emptyChild(at, k)) continue;
        this.setChild(b + 4 + k, this.insertAt(this.ni[b + 4 + k]!, id, this.childCell(cell, d, at, k)));
      }
    }
    this.nodeMin[c] = Math.min(this.nodeMin[c]!, floorF32(this.keyById[id]!));
    return c;
  }

  /** Stores a child reference: a separate step because the recursion may have grown the arrays. */
  private setChild(at: number, child: number): void {
    this.ni[at] = child;
  }

  /** Stores node `i`'s centre reference (a separate step, as {@link BoxClassifier.setChild}). */
  private setCenter(i: number, center: number): void {
    this.nodeCenter[i] = center;
  }

  /** Removes box `id` below reference `c`; returns the new reference. */
  private removeAt(c: number, id: number): number {
    if (c === EMPTY) return EMPTY;
    if (c < 0) {
      const ids = this.leafIds(c);
      const at = ids.indexOf(id);
      if (at < 0) return c;
      ids.splice(at, 1);
      if (ids.length === 0) return EMPTY;
      const o = ~c;
      return this.fillLeaf(c, ids, this.li[o + L_MASK]!, this.li[o + L_SPLIT]!);
    }
    const b = c * NODE;
    const dim = this.ni[b]!;
    const [first, last] = span(this.boxes, id, dim & (CENTER_MODE - 1), this.ni.subarray(b + 1, b + 4));
    if (first !== last && dim >= CENTER_MODE) {
      this.setCenter(c, this.removeAt(this.nodeCenter[c]!, id));
    } else {
      for (let k = first; k <= last; k++) this.setChild(b + 4 + k, this.removeAt(this.ni[b + 4 + k]!, id));
    }
    let min = dim >= CENTER_MODE ? this.minOf(this.nodeCenter[c]!) : Number.POSITIVE_INFINITY;
    for (let k = 0; k < FANOUT; k++) min = Math.min(min, this.minOf(this.ni[b + 4 + k]!));
    if (min === Number.POSITIVE_INFINITY) return EMPTY;
    this.nodeMin[c] = floorF32(min);
    return c;
  }
}
