/**
 * The jump table at the top of the SPD classifier (classifier.ts) once it holds many boxes.
 *
 * At 100 000 policies a lookup is bound by cache misses and by the number of dependent steps down
 * the tree, and the top levels of a tree over address selectors mostly cut one address dimension
 * into ever smaller aligned ranges. A table does that in one step: the values of one dimension
 * between its outermost box edges are cut into aligned cells of 2^shift values (values beyond
 * either end fall into the first or last cell), and a key finds its cell with one shift and one
 * subtraction. Each cell then has a small tree of the boxes that overlap it.
 *
 * A box spanning more than {@link JUMP_SPAN} cells (an `any` address, a short prefix) would be
 * copied into too many of them; such wide boxes get one tree of their own, which every lookup
 * visits too. The table's dimension and cell width are chosen to keep both the cells' trees and
 * the wide tree small, so the wide tree stays in cache.
 *
 * @packageDocumentation
 */
import type { BoxTable } from "./classifier-split.js";

/**
 * Below this many boxes the classifier is a single tree: it is shallow and stays in cache, and
 * the wide tree's second descent would cost more than the levels a table saves (measured: at
 * 1 000 policies a table slows lookups down, at 4 000 it speeds them up).
 */
const JUMP_MIN = 2048;
/** The table aims at about this many boxes per cell … */
const BOXES_PER_CELL = 32;
/** … with at least this many cells. */
const MIN_CELLS = 4;
/** Boxes spanning more cells than this go to the wide tree instead of being copied. @internal */
export const JUMP_SPAN = 2;
/**
 * Fractions of box edges tried as left out at each end when placing the table: boxes beyond
 * either end (a few outlying ranges) fall into the first or last cell instead of stretching it.
 */
const TAILS = [0.005, 0.02, 0.05];
/** Boxes sampled to place and rate a table. */
const SAMPLE = 4096;

/**
 * A table's geometry: a key whose value in `dim` is v belongs to cell (v >> shift) − base, clamped
 * to 0 … cells − 1.
 * @internal
 */
export interface Jump {
  readonly dim: number;
  readonly shift: number;
  readonly base: number;
  readonly cells: number;
}

/** The cell of value `v` (in the table's dimension). @internal */
export function cellOf(j: Jump, v: number): number {
  const c = (v >> j.shift) - j.base;
  return c < 0 ? 0 : c >= j.cells ? j.cells - 1 : c;
}

/** The cells (first and last, inclusive) that box `id` overlaps. @internal */
export function cellSpan(j: Jump, t: BoxTable, id: number): [number, number] {
  const o = id * t.width + 2 * j.dim;
  return [cellOf(j, t.bounds[o]!), cellOf(j, t.bounds[o + 1]!)];
}

/** True if box `id` goes to the wide tree rather than into its cells. @internal */
export function isWide(j: Jump, t: BoxTable, id: number): boolean {
  const [first, last] = cellSpan(j, t, id);
  return last - first >= JUMP_SPAN;
}

/** The part of `domain` that cell `k` covers. @internal */
export function cellBox(j: Jump, domain: Int32Array, k: number): Int32Array {
  const box = domain.slice();
  const unit = 2 ** j.shift;
  if (k > 0) box[2 * j.dim] = (j.base + k) * unit;
  if (k < j.cells - 1) box[2 * j.dim + 1] = (j.base + k + 1) * unit - 1;
  return box;
}

/**
 * The best table for boxes `ids`, or null when they are few or no table divides them well. A
 * table is rated by the boxes a lookup still meets: the expected population of the cell a box
 * falls into (a stand-in for where packets fall) plus every wide box; it must cut that to an
 * eighth of all boxes.
 * @internal
 */
export function chooseJump(t: BoxTable, ids: readonly number[]): Jump | null {
  const n = ids.length;
  if (n < JUMP_MIN) return null;
  const step = Math.max(1, Math.floor(n / SAMPLE));
  const sample = ids.filter((_, k) => k % step === 0);
  const maxCells = 2 ** Math.ceil(Math.log2(n / BOXES_PER_CELL));
  let best: Jump | null = null;
  let bestCost = sample.length / 8;
  for (let dim = 0; dim < t.width / 2; dim++) {
    const lo = 2 * dim;
    const edges: number[] = [];
    for (const id of sample) {
      const o = id * t.width + lo;
      if (t.bounds[o]! > t.domain[lo]!) edges.push(t.bounds[o]!);
      if (t.bounds[o + 1]! < t.domain[lo + 1]!) edges.push(t.bounds[o + 1]! + 1);
    }
    if (edges.length === 0) continue;
    edges.sort((a, b) => a - b);
    for (const tail of TAILS) {
      const first = edges[Math.floor(edges.length * tail)]!;
      const last = edges[Math.floor(edges.length * (1 - tail))]!;
      for (let shift = 0; shift < 32; shift++) {
        const cells = (last >> shift) - (first >> shift) + 1;
        if (cells > maxCells) continue;
        if (cells < MIN_CELLS) break;
        const j: Jump = { dim, shift, base: first >> shift, cells };
        const cost = rate(j, t, sample);
        if (cost < bestCost) {
          bestCost = cost;
          best = j;
        }
      }
    }
  }
  return best;
}

/** The rating of table `j` on boxes `sample` (see {@link chooseJump}). */
function rate(j: Jump, t: BoxTable, sample: readonly number[]): number {
  const population = new Float64Array(j.cells);
  let wide = 0;
  for (const id of sample) {
    const [a, b] = cellSpan(j, t, id);
    if (b - a >= JUMP_SPAN) wide++;
    else for (let k = a; k <= b; k++) population[k]!++;
  }
  let squares = 0;
  for (const p of population) squares += p * p;
  return squares / sample.length + wide;
}
