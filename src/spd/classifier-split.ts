/**
 * How the SPD classifier's decision tree (classifier.ts) cuts a set of boxes: the choice of a
 * dimension and up to three boundaries per inner node, in the style of HyperSplit.
 *
 * A box that lies within one child's range goes to that child. Boxes straddling a boundary are
 * copied into every child they overlap when they are few, so a lookup follows one path; when they
 * are many they go into a separate centre subtree instead, which bounds memory.
 *
 * @packageDocumentation
 */

/** Children per inner node. @internal */
export const FANOUT = 4;

/** Straddling boxes are copied into the children they overlap up to this fraction of the node … */
const COPY_FRACTION = 0.03;
/** … or up to this many boxes, whichever is more. */
const COPY_MIN = 32;
/** Boxes sampled to pick boundaries, and to estimate their cost on large nodes. */
const SAMPLES = 64;
const COST_SAMPLE = 2048;

/** A node's cut. @internal */
export interface Split {
  dim: number;
  /** Three boundaries, ascending (equal ones leave the children between them empty). */
  at: [number, number, number];
  /** Straddling boxes go to a centre subtree (else they are copied). */
  center: boolean;
}

/**
 * Box bounds by id: `bounds[id * width + 2 * d]` and `[… + 1]` are the box's lo and hi in
 * dimension `d`, within `domain` (the [lo, hi] pairs keys can take).
 * @internal
 */
export interface BoxTable {
  readonly bounds: Int32Array;
  readonly width: number;
  readonly domain: Int32Array;
}

/** True if child `k` of boundaries `at` has an empty range (two equal boundaries). @internal */
export function emptyChild(at: ArrayLike<number>, k: number): boolean {
  return k > 0 && k < FANOUT - 1 && at[k - 1]! >= at[k]!;
}

/**
 * The children (first and last, inclusive) that box `id` overlaps at boundaries `at` in `dim`;
 * child k holds the values with exactly k boundaries at or below them.
 * @internal
 */
export function span(t: BoxTable, id: number, dim: number, at: ArrayLike<number>): [number, number] {
  const o = id * t.width + 2 * dim;
  const lo = t.bounds[o]!;
  const hi = t.bounds[o + 1]!;
  return [
    (lo >= at[0]! ? 1 : 0) + (lo >= at[1]! ? 1 : 0) + (lo >= at[2]! ? 1 : 0),
    (hi >= at[0]! ? 1 : 0) + (hi >= at[1]! ? 1 : 0) + (hi >= at[2]! ? 1 : 0),
  ];
}

/**
 * Picks the dimension and boundaries that minimize the boxes a lookup may still have to examine
 * below a node holding `ids` (the largest child plus any centre), comparing per dimension a
 * four-way cut at the quartiles and a two-way cut at the median of the sampled box edges; null
 * if no cut separates them well enough to be worth a node.
 * @internal
 */
export function chooseSplit(t: BoxTable, ids: readonly number[]): Split | null {
  const n = ids.length;
  const { bounds, width, domain } = t;
  const step = Math.max(1, Math.floor(n / SAMPLES));
  const costStep = Math.max(1, Math.floor(n / COST_SAMPLE));
  const sampled = Math.ceil(n / costStep);
  const copyLimit = Math.max(COPY_FRACTION * sampled, COPY_MIN / costStep);
  const edges: number[] = [];
  const own = [0, 0, 0, 0];
  const copies = [0, 0, 0, 0];
  let best: Split | null = null;
  let bestCost = Number.POSITIVE_INFINITY;
  for (let dim = 0; dim < width / 2; dim++) {
    const lo = 2 * dim;
    edges.length = 0;
    for (let k = 0; k < n; k += step) {
      const o = ids[k]! * width + lo;
      // Candidate boundaries are box edges inside the domain (a boundary b cuts b − 1 | b).
      if (bounds[o]! > domain[lo]!) edges.push(bounds[o]!);
      if (bounds[o + 1]! < domain[lo + 1]!) edges.push(bounds[o + 1]! + 1);
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
        const [first, last] = span(t, ids[k]!, dim, at);
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
