/**
 * The Security Policy Database (RFC 4301 §4.4.1): an ordered list of entries, each a list of
 * selector sets with one action (PROTECT with an SA template, BYPASS or DISCARD), and a fast
 * first-match lookup that returns exactly what an ordered scan would.
 *
 * Order is explicit and total ("MUST support (total) ordering of these entries", §4.4.1
 * "Management Interface"): entries are appended or inserted before or after another entry.
 * Lookups take a packet's fields and a direction and return the matching entry, or null when
 * nothing matches (the caller applies {@link Spd.defaultAction}: DISCARD per RFC 4301 §5,
 * BYPASS for a Cisco crypto map set, seeds/001:959).
 *
 * @packageDocumentation
 */
import {
  type Box,
  boxMatches,
  compileSelectorSet,
  DIMS_V4,
  DIMS_V6,
  DOMAIN_V4,
  DOMAIN_V6,
  fillKey,
} from "./box.js";
import { BoxClassifier } from "./classifier.js";
import { PolicyError, withLocation } from "./errors.js";
import { Direction, type PacketFields } from "./packet.js";
import { checkSelectorSet, isPortOpaque, PROTOCOL_OPAQUE, type SelectorSet } from "./selector.js";
import type { SaTemplate } from "./template.js";

/** The three processing choices (RFC 4301 §4.4.1). @public */
export type SpdAction = "protect" | "bypass" | "discard";

/**
 * Directions a BYPASS or DISCARD entry applies to (RFC 4301 §4.4.1: "separate inbound and
 * outbound entries are supported"). PROTECT entries always apply to both.
 * @public
 */
export type PolicyDirection = "outbound" | "inbound" | "both";

/**
 * What the caller gives to create an entry.
 * @public
 */
export interface SpdEntryInit {
  /** Unique name within the SPD (used in errors, exports and `show` output). */
  readonly name: string;
  readonly action: SpdAction;
  /** One or more selector sets; the entry matches a packet that matches any of them. */
  readonly selectors: readonly SelectorSet[];
  /** Default `"both"`. */
  readonly direction?: PolicyDirection;
  /** Required for PROTECT, absent otherwise. */
  readonly template?: SaTemplate;
}

/**
 * An entry of an {@link Spd}.
 * @public
 */
export interface SpdEntry {
  /** Identifier unique within its SPD, never reused. */
  readonly id: number;
  /** Unique name within the SPD. */
  readonly name: string;
  readonly action: SpdAction;
  /** The selector sets; the entry matches a packet that matches any of them. */
  readonly selectors: readonly SelectorSet[];
  /** Directions the entry applies to (always `"both"` for PROTECT). */
  readonly direction: PolicyDirection;
  /** The SA template of a PROTECT entry; null otherwise. */
  readonly template: SaTemplate | null;
}

/**
 * Where to put a new entry: at the end (default), or just before or after an existing one.
 * @public
 */
export interface SpdPosition {
  readonly before?: SpdEntry;
  readonly after?: SpdEntry;
}

/** One box of an entry's selector set, known to the classifier by `id`. */
interface Rule {
  readonly id: number;
  readonly box: Box;
  readonly selector: number;
}

interface Slot {
  readonly entry: SpdEntry;
  prev: Slot | null;
  next: Slot | null;
  order: number;
  readonly rules: Rule[];
}

/** Gap between the order keys of consecutive entries after a renumbering. */
const ORDER_GAP = 1024;

/**
 * Options of an {@link Spd}.
 * @public
 */
export interface SpdOptions {
  /**
   * What the caller should do with a packet no entry matches: `"discard"` (RFC 4301 §5: "If no
   * policy is found in the SPD that matches a packet … the packet MUST be discarded"; the
   * default) or `"bypass"` (Cisco crypto maps: unmatched traffic is "forwarded without any IPSec
   * security", seeds/001:959).
   */
  readonly defaultAction?: "bypass" | "discard";
}

const DIRECTION_SPAN: Readonly<Record<PolicyDirection, readonly [number, number]>> = {
  outbound: [Direction.OUTBOUND, Direction.OUTBOUND],
  inbound: [Direction.INBOUND, Direction.INBOUND],
  both: [Direction.OUTBOUND, Direction.INBOUND],
};

function validate(init: SpdEntryInit): void {
  if (typeof init.name !== "string" || init.name === "") {
    throw new PolicyError("bad-entry", "an SPD entry needs a non-empty name");
  }
  const where = { entry: init.name };
  if (init.action !== "protect" && init.action !== "bypass" && init.action !== "discard") {
    throw new PolicyError("bad-entry", `unknown action ${String(init.action)}`, where);
  }
  if (init.selectors.length === 0) {
    throw new PolicyError("bad-entry", "an entry without selectors cannot match", where);
  }
  init.selectors.forEach((s, index) => {
    withLocation({ ...where, index }, () => checkSelectorSet(s));
  });
  const direction = init.direction ?? "both";
  if (DIRECTION_SPAN[direction] === undefined) {
    throw new PolicyError("bad-entry", `unknown direction ${String(direction)}`, where);
  }
  if (init.action === "protect") {
    if (init.template === undefined)
      throw new PolicyError("bad-entry", "PROTECT needs an SA template", where);
    // RFC 4301 §4.4.1: protected traffic is symmetric (local/remote swap per direction).
    if (direction !== "both")
      throw new PolicyError("bad-entry", "PROTECT entries apply to both directions", where);
    const pfp = init.template.pfp;
    init.selectors.forEach((s, index) => {
      // RFC 4301 §4.4.2.2 note ***: PFP with an OPAQUE value is an error.
      if (
        (pfp.protocol && s.protocol === PROTOCOL_OPAQUE) ||
        (pfp.localPort && isPortOpaque(s.localPort)) ||
        (pfp.remotePort && isPortOpaque(s.remotePort))
      ) {
        throw new PolicyError("bad-entry", "populate-from-packet on an OPAQUE selector", { ...where, index });
      }
    });
  } else if (init.template !== undefined) {
    throw new PolicyError("bad-entry", `${init.action.toUpperCase()} entries take no SA template`, where);
  }
}

/**
 * An ordered SPD with first-match lookup in time nearly independent of its size.
 * @public
 */
export class Spd {
  /** What to do with packets no entry matches (see {@link SpdOptions.defaultAction}). */
  readonly defaultAction: "bypass" | "discard";
  /** Entry and key of the last lookup, for {@link Spd.matchedSelector}. */
  private lastEntry: SpdEntry | null = null;
  private lastKey: Int32Array = new Int32Array(0);

  private readonly slots = new Map<SpdEntry, Slot>();
  private readonly names = new Map<string, SpdEntry>();
  private head: Slot | null = null;
  private tail: Slot | null = null;
  private nextId = 1;
  private readonly v4 = new BoxClassifier(DOMAIN_V4);
  private readonly v6 = new BoxClassifier(DOMAIN_V6);
  /** Per rule id: its entry; ids are reused through `freeIds`. */
  private readonly ruleEntry: (SpdEntry | undefined)[] = [];
  private readonly freeIds: number[] = [];
  private readonly key4 = new Int32Array(DIMS_V4);
  private readonly key6 = new Int32Array(DIMS_V6);

  constructor(options: SpdOptions = {}) {
    this.defaultAction = options.defaultAction ?? "discard";
  }

  /**
   * Index (within the matched entry's `selectors`) of the selector set that matched in the last
   * {@link Spd.lookup} or {@link Spd.lookupLinear}; −1 after a miss.
   */
  get matchedSelector(): number {
    const slot = this.lastEntry === null ? undefined : this.slots.get(this.lastEntry);
    if (slot === undefined) return -1;
    const dims = this.lastKey.length;
    // Computed on demand: the first of the entry's selector sets that matches the last key.
    for (const r of slot.rules) {
      if (r.box.bounds.length === 2 * dims && boxMatches(r.box, this.lastKey, dims)) return r.selector;
    }
    return -1;
  }

  /** Number of entries. */
  get size(): number {
    return this.slots.size;
  }

  /**
   * Validates and adds an entry at `position` (default: last).
   * @throws {@link PolicyError} naming the entry: bad selectors, duplicate name, missing or
   *   superfluous template, PROTECT limited to one direction, PFP on OPAQUE, unknown position.
   */
  add(init: SpdEntryInit, position: SpdPosition = {}): SpdEntry {
    const ref = position.before ?? position.after;
    const refSlot = ref === undefined ? undefined : this.slots.get(ref);
    if (ref !== undefined && refSlot === undefined) {
      throw new PolicyError("unknown-entry", "the position refers to an entry not in this SPD", {
        entry: ref.name,
      });
    }
    const slot = this.createSlot(init);
    this.link(slot, refSlot, position.before !== undefined);
    if (!this.assignOrder(slot)) this.renumber();
    else for (const r of slot.rules) this.classifierOf(r).insert(r.id, slot.order, r.box);
    return slot.entry;
  }

  /**
   * Adds many entries at the end and rebuilds the lookup structure once (bulk loading).
   * @throws {@link PolicyError} as {@link Spd.add}; entries before the bad one stay added.
   */
  addAll(inits: readonly SpdEntryInit[]): SpdEntry[] {
    const out: SpdEntry[] = [];
    try {
      for (const init of inits) {
        const slot = this.createSlot(init);
        this.link(slot, undefined, false);
        out.push(slot.entry);
      }
    } finally {
      this.renumber();
    }
    return out;
  }

  /**
   * Removes an entry.
   * @throws {@link PolicyError} `unknown-entry` if it is not in this SPD.
   */
  remove(entry: SpdEntry): void {
    const slot = this.slots.get(entry);
    if (slot === undefined) throw new PolicyError("unknown-entry", "not in this SPD", { entry: entry.name });
    for (const r of slot.rules) {
      this.classifierOf(r).remove(r.id);
      this.ruleEntry[r.id] = undefined;
      this.freeIds.push(r.id);
    }
    if (slot.prev === null) this.head = slot.next;
    else slot.prev.next = slot.next;
    if (slot.next === null) this.tail = slot.prev;
    else slot.next.prev = slot.prev;
    this.slots.delete(entry);
    this.names.delete(entry.name);
  }

  /** True if `entry` is in this SPD. */
  has(entry: SpdEntry): boolean {
    return this.slots.has(entry);
  }

  /** The entry named `name`. */
  get(name: string): SpdEntry | undefined {
    return this.names.get(name);
  }

  /** The entries in order. */
  entries(): SpdEntry[] {
    const out: SpdEntry[] = [];
    for (let s = this.head; s !== null; s = s.next) out.push(s.entry);
    return out;
  }

  /** The entry after `entry` in order, or null for the last. */
  next(entry: SpdEntry): SpdEntry | null {
    return this.slots.get(entry)?.next?.entry ?? null;
  }

  /**
   * The first entry (in order) matching the packet seen in `direction`, or null. Allocates
   * nothing; sets {@link Spd.matchedSelector}.
   */
  lookup(packet: PacketFields, direction: Direction): SpdEntry | null {
    const v4 = packet.family === 4;
    const key = v4 ? this.key4 : this.key6;
    fillKey(packet, direction, key);
    const id = (v4 ? this.v4 : this.v6).lookup(key);
    const entry = id < 0 ? null : this.ruleEntry[id]!;
    this.lastEntry = entry;
    this.lastKey = key;
    return entry;
  }

  /**
   * The same answer as {@link Spd.lookup} by a plain ordered scan of every entry: the reference
   * the fast lookup is tested and benchmarked against.
   */
  lookupLinear(packet: PacketFields, direction: Direction): SpdEntry | null {
    const v4 = packet.family === 4;
    const key = v4 ? this.key4 : this.key6;
    const dims = v4 ? DIMS_V4 : DIMS_V6;
    fillKey(packet, direction, key);
    this.lastKey = key;
    for (let s = this.head; s !== null; s = s.next) {
      for (const r of s.rules) {
        if (r.box.bounds.length === 2 * dims && boxMatches(r.box, key, dims)) {
          this.lastEntry = s.entry;
          return s.entry;
        }
      }
    }
    this.lastEntry = null;
    return null;
  }

  /** Validates `init` and registers a new, not yet linked slot for it. */
  private createSlot(init: SpdEntryInit): Slot {
    validate(init);
    if (this.names.has(init.name)) {
      throw new PolicyError("duplicate-name", "an entry with this name exists", { entry: init.name });
    }
    const entry: SpdEntry = Object.freeze({
      id: this.nextId++,
      name: init.name,
      action: init.action,
      selectors: Object.freeze([...init.selectors]),
      direction: init.direction ?? "both",
      template: init.template ?? null,
    });
    const slot: Slot = { entry, prev: null, next: null, order: 0, rules: [] };
    const [dirLo, dirHi] = DIRECTION_SPAN[entry.direction];
    entry.selectors.forEach((s, selector) => {
      for (const box of compileSelectorSet(s, dirLo, dirHi)) {
        const id = this.freeIds.pop() ?? this.ruleEntry.length;
        this.ruleEntry[id] = entry;
        slot.rules.push({ id, box, selector });
      }
    });
    this.slots.set(entry, slot);
    this.names.set(entry.name, entry);
    return slot;
  }

  private classifierOf(r: Rule): BoxClassifier {
    return r.box.bounds.length === 2 * DIMS_V4 ? this.v4 : this.v6;
  }

  private link(slot: Slot, ref: Slot | undefined, before: boolean): void {
    if (ref === undefined) {
      slot.prev = this.tail;
      if (this.tail === null) this.head = slot;
      else this.tail.next = slot;
      this.tail = slot;
    } else if (before) {
      slot.next = ref;
      slot.prev = ref.prev;
      if (ref.prev === null) this.head = slot;
      else ref.prev.next = slot;
      ref.prev = slot;
    } else {
      slot.prev = ref;
      slot.next = ref.next;
      if (ref.next === null) this.tail = slot;
      else ref.next.prev = slot;
      ref.next = slot;
    }
  }

  /** Gives a linked slot an order key between its neighbours; false if there is no room. */
  private assignOrder(slot: Slot): boolean {
    const lo = slot.prev?.order;
    const hi = slot.next?.order;
    let order: number;
    if (lo === undefined && hi === undefined) order = 0;
    else if (lo === undefined) order = hi! - ORDER_GAP;
    else if (hi === undefined) order = lo + ORDER_GAP;
    else order = lo + (hi - lo) / 2;
    if ((lo !== undefined && order <= lo) || (hi !== undefined && order >= hi) || !Number.isFinite(order))
      return false;
    slot.order = order;
    return true;
  }

  /** Spreads order keys evenly again and rebuilds the lookup structures. */
  private renumber(): void {
    const r4: number[] = [];
    const r6: number[] = [];
    let i = 0;
    for (let s = this.head; s !== null; s = s.next, i++) {
      s.order = i * ORDER_GAP;
      for (const r of s.rules) {
        const v4 = r.box.bounds.length === 2 * DIMS_V4;
        (v4 ? this.v4 : this.v6).define(r.id, s.order, r.box);
        (v4 ? r4 : r6).push(r.id);
      }
    }
    this.v4.rebuild(r4);
    this.v6.rebuild(r6);
  }
}
