/**
 * The Security Association Database (RFC 4301 §4.4.2): the installed SAs, found by SPI for
 * inbound packets and by SPD entry for outbound ones, with their lifetimes, idle timers and
 * counters, and bulk removal for `clear crypto sa` / `clear crypto session`.
 *
 * The SAD holds data-plane SA objects generically ({@link DataPlaneSa}: counters and a
 * `destroy()` that zeroizes key material), so it does not depend on the ESP or AH code.
 *
 * Sans-I/O: time is passed in as `now`, in seconds (any epoch, fractions allowed); the SAD sets
 * no timers. Call {@link Sad.tick} at least by {@link Sad.nextDeadline}; volume limits are
 * checked at every tick and can be checked per packet with {@link SadEntry.usable}.
 *
 * @packageDocumentation
 */
import { type Box, boxMatches, compileSelectorSet, DIMS_V4, DIMS_V6, fillKey } from "../spd/box.js";
import { Direction, type PacketFields } from "../spd/packet.js";
import type { SelectorSet } from "../spd/selector.js";
import type { SaCounters } from "./counters.js";
import { SadError } from "./errors.js";
import {
  checkLifetime,
  type LifetimeReason,
  NO_LIFETIME,
  type RemainingLifetime,
  reachedLimit,
  remainingLifetime,
  type SaLifetime,
} from "./lifetime.js";
import { checkSpi, randomSpi } from "./spi.js";

/**
 * What the SAD needs from a data-plane SA (an ESP or AH SA).
 * @public
 */
export interface DataPlaneSa {
  /** Traffic counters, updated in place by the data plane. */
  readonly counters: SaCounters;
  /** Zeroizes key material; called once when the SA leaves the SAD. */
  destroy(): void;
}

/**
 * The SPD entry an SA serves, as the SAD sees it: any object with a name (an SPD `SpdEntry`).
 * Outbound lookups go by the object's identity; exports record the name.
 * @public
 */
export interface SaPolicy {
  readonly name: string;
}

/** IP protocol numbers of the IPsec protocols: ESP (50) and AH (51). @public */
export type IpsecProtocol = 50 | 51;

/** Idle timeout range in seconds (seeds/002:12009: "Valid values … range from 60 to 86400"). @public */
export const IDLE_SECONDS_RANGE = Object.freeze([60, 86_400] as const);

/**
 * What the caller gives to install an SA.
 * @public
 */
export interface SadEntryInit<T extends DataPlaneSa> {
  readonly sa: T;
  readonly spi: number;
  readonly protocol: IpsecProtocol;
  readonly direction: "inbound" | "outbound";
  /** This side's address of the SA (the destination of an inbound SA). */
  readonly local: string;
  /** The peer's address (the destination of an outbound SA). */
  readonly peer: string;
  /**
   * The selectors negotiated for the SA, from this side's point of view (RFC 4301 §4.4.2: the
   * inbound SA checks decrypted packets against them).
   */
  readonly selectors: readonly SelectorSet[];
  /** The SPD entry the SA serves; outbound lookups go through it. */
  readonly policy?: SaPolicy | null;
  /** Identifier of the IKE SA that negotiated the SA (for `clear crypto session`). */
  readonly ikeSa?: string | number | null;
  /** Default: no limits. */
  readonly lifetime?: SaLifetime;
  /** Idle timeout in seconds (60–86 400), or null. */
  readonly idleSeconds?: number | null;
  /** The SA of the other direction negotiated with this one (idle time is judged per pair). */
  readonly pair?: SadEntry<T>;
  /** Another SA of the same bundle (AH + ESP from one transform set), applied before this one. */
  readonly bundleWith?: SadEntry<T>;
  /** The SA this one replaces (a rekey): it stops being used outbound and raises no more soft expiries. */
  readonly replaces?: SadEntry<T>;
  /** Manually keyed (seeds/004:836-880). */
  readonly manual?: boolean;
  /** Transform in IOS spelling, for display (`esp-aes esp-sha-hmac`). */
  readonly transform?: string;
}

const scratch4 = new Int32Array(DIMS_V4);
const scratch6 = new Int32Array(DIMS_V6);

/**
 * One installed SA.
 * @public
 */
export class SadEntry<T extends DataPlaneSa> {
  /** Identifier unique within the SAD. */
  readonly id: number;
  /** The data-plane SA (keys, sequence numbers, counters). */
  readonly sa: T;
  /** Security Parameter Index. */
  readonly spi: number;
  /** ESP (50) or AH (51). */
  readonly protocol: IpsecProtocol;
  readonly direction: "inbound" | "outbound";
  /** This side's address of the SA. */
  readonly local: string;
  /** The peer's address. */
  readonly peer: string;
  /** Negotiated selectors, this side's point of view. */
  readonly selectors: readonly SelectorSet[];
  /** The SPD entry served, or null. */
  readonly policy: SaPolicy | null;
  /** The IKE SA that negotiated it, or null (manual SAs). */
  readonly ikeSa: string | number | null;
  /** Soft and hard limits. */
  readonly lifetime: SaLifetime;
  /** Idle timeout in seconds, or null. */
  readonly idleSeconds: number | null;
  /** Manually keyed. */
  readonly manual: boolean;
  /** Transform in IOS spelling, for display. */
  readonly transform: string;
  /** When the SA was installed (seconds, the caller's clock). */
  readonly installedAt: number;
  /** @internal */ _lastActive: number;
  /** @internal */ _lastPackets = 0;
  /** @internal */ _lastBytes = 0;
  /** @internal */ _softFired = false;
  /** @internal */ _removed = false;
  /** @internal */ _replacer: SadEntry<T> | null = null;
  /** @internal */ _replacee: SadEntry<T> | null = null;
  /** @internal */ _partner: SadEntry<T> | null = null;
  /** @internal */ _members: SadEntry<T>[];
  private readonly boxes: readonly Box[];

  /** @internal */
  constructor(id: number, init: SadEntryInit<T>, now: number) {
    this.id = id;
    this.sa = init.sa;
    this.spi = init.spi;
    this.protocol = init.protocol;
    this.direction = init.direction;
    this.local = init.local;
    this.peer = init.peer;
    this.selectors = Object.freeze([...init.selectors]);
    this.policy = init.policy ?? null;
    this.ikeSa = init.ikeSa ?? null;
    this.lifetime = init.lifetime ?? NO_LIFETIME;
    this.idleSeconds = init.idleSeconds ?? null;
    this.manual = init.manual ?? false;
    this.transform = init.transform ?? "";
    this.installedAt = now;
    this._lastActive = now;
    this._members = [this];
    this.boxes = this.selectors.flatMap((s) => compileSelectorSet(s, Direction.OUTBOUND, Direction.INBOUND));
  }

  /** Packets processed: protected (outbound) or accepted (inbound). */
  get packets(): number {
    const c = this.sa.counters;
    return this.direction === "outbound" ? c.packetsEncapsulated : c.packetsDecapsulated;
  }

  /** True once the SA has left the SAD. */
  get removed(): boolean {
    return this._removed;
  }

  /** True once a soft limit was reached (a rekey was asked for). */
  get softExpired(): boolean {
    return this._softFired;
  }

  /** The SA that replaced this one in a rekey, if any. */
  get replacedBy(): SadEntry<T> | null {
    return this._replacer;
  }

  /** The SA of the other direction, if one was linked. */
  get pair(): SadEntry<T> | null {
    return this._partner;
  }

  /** The SAs of this SA's bundle in processing order (just this one when not bundled). */
  get bundle(): readonly SadEntry<T>[] {
    return this._members;
  }

  /**
   * True if the SA may still carry a packet at `now`: installed, and no hard limit reached
   * (RFC 4301 §4.4.2.1 (c): a packet that cannot be delivered within the lifetime is discarded).
   * Allocates nothing.
   */
  usable(now: number): boolean {
    return (
      !this._removed &&
      reachedLimit(this.lifetime.hard, now - this.installedAt, this.sa.counters.bytes, this.packets) === null
    );
  }

  /** Remaining hard lifetime in kilobytes and seconds, as `show crypto ipsec sa` prints it. */
  remaining(now: number): RemainingLifetime {
    return remainingLifetime(this.lifetime, now - this.installedAt, this.sa.counters.bytes);
  }

  /**
   * True if a packet carried by this SA matches its selectors (RFC 4301 §5.2 step 4: after
   * decryption, "match the packet against the inbound selectors identified by the SAD entry").
   * `direction` is the packet's direction (INBOUND for a decrypted packet). Allocates nothing.
   */
  matches(packet: PacketFields, direction: Direction): boolean {
    const v4 = packet.family === 4;
    const key = v4 ? scratch4 : scratch6;
    const dims = v4 ? DIMS_V4 : DIMS_V6;
    fillKey(packet, direction, key);
    for (const box of this.boxes) {
      if (box.bounds.length === 2 * dims && boxMatches(box, key, dims)) return true;
    }
    return false;
  }
}

/**
 * What {@link Sad.tick} reports.
 *
 * - `rekey`: a soft limit was reached; negotiate a replacement (RFC 4301 §4.4.2.1 (b)). Raised
 *   once per SA pair.
 * - `expired`: a hard limit or the idle timer ended the SA; it has been removed and destroyed.
 * - `ike-idle`: the last SA of an IKE SA (or of a peer, for SAs without one) ended by the idle
 *   timer; delete that IKE SA too (seeds/002:11977).
 *
 * @public
 */
export type SadEvent<T extends DataPlaneSa> =
  | { readonly type: "rekey"; readonly entry: SadEntry<T>; readonly reason: LifetimeReason }
  | { readonly type: "expired"; readonly entry: SadEntry<T>; readonly reason: LifetimeReason | "idle" }
  | { readonly type: "ike-idle"; readonly ikeSa: string | number | null; readonly peer: string };

/**
 * Options of a {@link Sad}.
 * @public
 */
export interface SadOptions {
  /** Cryptographically secure random bytes, for SPI allocation (the crypto backend's `randomBytes`). */
  readonly randomBytes: (length: number) => Uint8Array;
}

/**
 * The SA database.
 * @public
 */
export class Sad<T extends DataPlaneSa> {
  private readonly randomBytes: (length: number) => Uint8Array;
  private readonly all = new Set<SadEntry<T>>();
  /** Inbound SAs by SPI; a bucket holds more than one only for manual SPIs reused across protocols or addresses. */
  private readonly inbound = new Map<number, SadEntry<T>[]>();
  private readonly outbound = new Map<SaPolicy, SadEntry<T>[]>();
  private readonly reserved = new Set<number>();
  private nextId = 1;

  constructor(options: SadOptions) {
    this.randomBytes = options.randomBytes;
  }

  /** Number of installed SAs. */
  get size(): number {
    return this.all.size;
  }

  /** All installed SAs, oldest first. */
  entries(): SadEntry<T>[] {
    return [...this.all];
  }

  /**
   * Reserves a fresh inbound SPI: random, never 0–255, never one in use or reserved
   * (RFC 4303 §2.1). It stays reserved until an SA with it is added or {@link Sad.releaseSpi}.
   * @throws {@link SadError} `spi-exhausted`.
   */
  allocateSpi(): number {
    const spi = randomSpi(this.randomBytes, (s) => this.reserved.has(s) || this.inbound.has(s));
    this.reserved.add(spi);
    return spi;
  }

  /** Gives back a reserved SPI whose negotiation failed. */
  releaseSpi(spi: number): void {
    this.reserved.delete(spi);
  }

  /**
   * Installs an SA at `now`.
   * @throws {@link SadError} `bad-spi` (0 or 1–255), `duplicate-spi` (an inbound SA with the
   *   same SPI, protocol and local address), `bad-lifetime` (including an idle time outside
   *   60–86 400 s), `unknown-sa` (a linked SA that is not installed).
   */
  add(init: SadEntryInit<T>, now: number): SadEntry<T> {
    checkSpi(init.spi);
    checkLifetime(init.lifetime ?? NO_LIFETIME);
    const idle = init.idleSeconds;
    if (
      idle !== undefined &&
      idle !== null &&
      !(idle >= IDLE_SECONDS_RANGE[0] && idle <= IDLE_SECONDS_RANGE[1])
    ) {
      throw new SadError(
        "bad-lifetime",
        `idle time ${idle} is not 60-86400 seconds (seeds/002:12009)`,
        init.spi,
      );
    }
    for (const linked of [init.pair, init.bundleWith, init.replaces]) {
      if (linked !== undefined && !this.all.has(linked))
        throw new SadError("unknown-sa", "linked SA is not installed", linked.spi);
    }
    if (init.direction === "inbound") {
      const dup = this.inbound
        .get(init.spi)
        ?.some((e) => e.protocol === init.protocol && e.local === init.local);
      if (dup === true) throw new SadError("duplicate-spi", "an inbound SA with this SPI exists", init.spi);
    }
    const entry = new SadEntry(this.nextId++, init, now);
    this.all.add(entry);
    if (entry.direction === "inbound") {
      this.reserved.delete(entry.spi);
      const bucket = this.inbound.get(entry.spi);
      if (bucket === undefined) this.inbound.set(entry.spi, [entry]);
      else bucket.push(entry);
    } else if (entry.policy !== null) {
      const list = this.outbound.get(entry.policy);
      if (list === undefined) this.outbound.set(entry.policy, [entry]);
      else list.push(entry);
    }
    if (init.pair !== undefined) {
      entry._partner = init.pair;
      init.pair._partner = entry;
    }
    if (init.bundleWith !== undefined) {
      entry._members = init.bundleWith._members;
      entry._members.push(entry);
    }
    if (init.replaces !== undefined) {
      init.replaces._replacer = entry;
      entry._replacee = init.replaces;
    }
    return entry;
  }

  /**
   * The inbound SA for a received packet: by SPI and protocol in O(1), and by `destination`
   * (this side's address) when several SAs share them (RFC 4301 §4.1). Old and new SAs both
   * answer during a rekey until the old one is removed.
   */
  lookupInbound(spi: number, protocol: IpsecProtocol, destination?: string): SadEntry<T> | undefined {
    const bucket = this.inbound.get(spi);
    if (bucket === undefined) return undefined;
    for (let i = 0; i < bucket.length; i++) {
      const e = bucket[i]!;
      if (e.protocol === protocol && (destination === undefined || e.local === destination)) return e;
    }
    return undefined;
  }

  /**
   * The outbound SA (the head of its bundle) to use for `packet` under SPD entry `policy`: the
   * most recently installed one that is usable at `now` and whose selectors cover the packet
   * (per-host entries have one SA per host pair). Allocates nothing.
   */
  lookupOutbound(policy: SaPolicy, packet: PacketFields, now: number): SadEntry<T> | undefined {
    const list = this.outbound.get(policy);
    if (list === undefined) return undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const e = list[i]!;
      if (e._members[0] === e && e.usable(now) && e.matches(packet, Direction.OUTBOUND)) return e;
    }
    return undefined;
  }

  /** Number of installed SAs serving SPD entry `policy` (in either direction). */
  countByPolicy(policy: SaPolicy): number {
    let n = 0;
    for (const e of this.all) if (e.policy === policy) n++;
    return n;
  }

  /**
   * Removes an SA and destroys it (its key material is zeroized by the data plane).
   * @throws {@link SadError} `unknown-sa` if it is not installed.
   */
  remove(entry: SadEntry<T>): void {
    if (!this.all.delete(entry)) throw new SadError("unknown-sa", "not in this SAD", entry.spi);
    if (entry.direction === "inbound") {
      const bucket = this.inbound.get(entry.spi)!;
      bucket.splice(bucket.indexOf(entry), 1);
      if (bucket.length === 0) this.inbound.delete(entry.spi);
    } else if (entry.policy !== null) {
      const list = this.outbound.get(entry.policy)!;
      list.splice(list.indexOf(entry), 1);
      if (list.length === 0) this.outbound.delete(entry.policy);
    }
    const i = entry._members.indexOf(entry);
    if (i >= 0) entry._members.splice(i, 1);
    if (entry._partner !== null && entry._partner._partner === entry) entry._partner._partner = null;
    // A replacement that goes away no longer replaces anything.
    if (entry._replacee !== null && entry._replacee._replacer === entry) entry._replacee._replacer = null;
    entry._removed = true;
    entry.sa.destroy();
  }

  /** Removes every SA `match` selects; returns them (destroyed). */
  removeWhere(match: (entry: SadEntry<T>) => boolean): SadEntry<T>[] {
    const out = [...this.all].filter(match);
    for (const e of out) this.remove(e);
    return out;
  }

  /** `clear crypto sa peer ADDRESS` (seeds/004:604). */
  removeByPeer(peer: string): SadEntry<T>[] {
    return this.removeWhere((e) => e.peer === peer);
  }

  /** The IPsec SAs of one IKE SA (`clear crypto session`, seeds/002:12547-12549). */
  removeByIkeSa(ikeSa: string | number): SadEntry<T>[] {
    return this.removeWhere((e) => e.ikeSa === ikeSa);
  }

  /** The SAs of SPD entries (`clear crypto sa map NAME` passes the map's entries, seeds/004:604). */
  removeByPolicy(...policies: readonly SaPolicy[]): SadEntry<T>[] {
    const set = new Set(policies);
    return this.removeWhere((e) => e.policy !== null && set.has(e.policy));
  }

  /**
   * Everything (`clear crypto sa` with no argument). Manually keyed SAs are meant to be installed
   * again at once by the caller (seeds/004:619).
   */
  clear(): SadEntry<T>[] {
    return this.removeWhere(() => true);
  }

  /**
   * Applies lifetimes and idle timers at `now` (seconds): reports soft expiries, removes SAs
   * past a hard limit or idle too long. Activity for the idle timer is any change of an SA's
   * counters since the previous tick, so the data plane needs no callback.
   */
  tick(now: number): SadEvent<T>[] {
    const events: SadEvent<T>[] = [];
    const expire: [SadEntry<T>, LifetimeReason | "idle"][] = [];
    for (const e of this.all) {
      const bytes = e.sa.counters.bytes;
      const packets = e.packets;
      if (bytes !== e._lastBytes || packets !== e._lastPackets) {
        e._lastBytes = bytes;
        e._lastPackets = packets;
        e._lastActive = now;
      }
      const age = now - e.installedAt;
      const hard = reachedLimit(e.lifetime.hard, age, bytes, packets);
      if (hard !== null) {
        expire.push([e, hard]);
        continue;
      }
      if (!e._softFired && e._replacer === null) {
        const soft = reachedLimit(e.lifetime.soft, age, bytes, packets);
        if (soft !== null) {
          e._softFired = true;
          // One rekey per pair: the pair is replaced together.
          if (e._partner === null || !e._partner._softFired)
            events.push({ type: "rekey", entry: e, reason: soft });
          if (e._partner !== null) e._partner._softFired = true;
        }
      }
    }
    for (const e of this.all) {
      if (e.idleSeconds === null || expire.some(([x]) => x === e)) continue;
      // Idle is judged per pair: a peer is idle when neither direction moved (seeds/002:11971).
      const lastActive = Math.max(e._lastActive, e._partner?._lastActive ?? Number.NEGATIVE_INFINITY);
      if (now - lastActive >= e.idleSeconds) expire.push([e, "idle"]);
    }
    const idleOwners = new Map<string, { ikeSa: string | number | null; peer: string }>();
    for (const [e, reason] of expire) {
      this.remove(e);
      events.push({ type: "expired", entry: e, reason });
      if (reason === "idle") idleOwners.set(owner(e), { ikeSa: e.ikeSa, peer: e.peer });
    }
    for (const [key, o] of idleOwners) {
      let left = false;
      for (const e of this.all) {
        if (owner(e) === key) {
          left = true;
          break;
        }
      }
      if (!left) events.push({ type: "ike-idle", ikeSa: o.ikeSa, peer: o.peer });
    }
    return events;
  }

  /**
   * The earliest time a time-based event can happen (soft or hard lifetime, idle timeout), or
   * null if none is scheduled. Volume limits are not predictable; they are checked at each tick.
   */
  nextDeadline(): number | null {
    let next = Number.POSITIVE_INFINITY;
    for (const e of this.all) {
      const hard = e.lifetime.hard.seconds;
      if (hard !== undefined) next = Math.min(next, e.installedAt + hard);
      const soft = e.lifetime.soft.seconds;
      if (soft !== undefined && !e._softFired && e._replacer === null)
        next = Math.min(next, e.installedAt + soft);
      if (e.idleSeconds !== null) {
        const last = Math.max(e._lastActive, e._partner?._lastActive ?? Number.NEGATIVE_INFINITY);
        next = Math.min(next, last + e.idleSeconds);
      }
    }
    return next === Number.POSITIVE_INFINITY ? null : next;
  }
}

/** The IKE SA an SA belongs to, or its peer when it has none. */
function owner<T extends DataPlaneSa>(e: SadEntry<T>): string {
  return e.ikeSa === null ? `peer ${e.peer}` : `ike ${String(e.ikeSa)}`;
}
