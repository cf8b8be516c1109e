/**
 * SA state as plain data, for high-availability setups that keep a standby in sync through an
 * external store (the HA fields of IOS `show crypto ipsec sa active`, seeds/002:21264-21295).
 *
 * The export is JSON-safe: addresses are text, times are ages relative to the exporting node's
 * `now` (so the importing node's clock need not share its epoch), and SA links (pairs, bundles,
 * rekeys) are indexes into the record list. The data-plane SA itself (keys, sequence numbers,
 * replay window) is serialized by a caller-supplied function, since the SAD does not know its
 * type; the counters are carried by the SAD and restored into the new SA.
 *
 * Key material in an export is as sensitive as the SAs themselves: protect the store.
 *
 * @packageDocumentation
 */
import { formatAddressRange, parseAddressRange } from "../spd/address.js";
import type { SelectorSet } from "../spd/selector.js";
import type { SaCounters } from "./counters.js";
import { SadError } from "./errors.js";
import type { LifetimeLimits } from "./lifetime.js";
import type { DataPlaneSa, IpsecProtocol, Sad, SadEntry, SadEntryInit, SaPolicy } from "./sad.js";

/**
 * A selector set as text and numbers.
 * @public
 */
export interface SelectorSetState {
  readonly local: string;
  readonly remote: string;
  readonly protocol: number;
  readonly localPort: readonly [number, number];
  readonly remotePort: readonly [number, number];
}

/**
 * One exported SA.
 * @public
 */
export interface SaRecord<S> {
  readonly spi: number;
  readonly protocol: IpsecProtocol;
  readonly direction: "inbound" | "outbound";
  readonly local: string;
  readonly peer: string;
  readonly selectors: readonly SelectorSetState[];
  /** Name of the SPD entry, or null. */
  readonly policy: string | null;
  readonly ikeSa: string | number | null;
  readonly lifetime: { readonly soft: LifetimeLimits; readonly hard: LifetimeLimits };
  readonly idleSeconds: number | null;
  readonly manual: boolean;
  readonly transform: string;
  /** Seconds since the SA was installed, at export time. */
  readonly ageSeconds: number;
  /** Seconds since the SA last carried traffic, at export time. */
  readonly idleForSeconds: number;
  readonly softExpired: boolean;
  readonly counters: SaCounters;
  /** Index of the paired SA in the record list, or null. */
  readonly pair: number | null;
  /** Index of the first SA of this SA's bundle (itself when not bundled). */
  readonly bundle: number;
  /** Index of the SA this one replaced in a rekey, or null. */
  readonly replaces: number | null;
  /** The data-plane SA, as the caller serialized it. */
  readonly sa: S;
}

/**
 * A whole SAD as plain data.
 * @public
 */
export interface SadState<S> {
  readonly version: 1;
  readonly records: readonly SaRecord<S>[];
}

function selectorState(s: SelectorSet): SelectorSetState {
  return {
    local: formatAddressRange(s.local),
    remote: formatAddressRange(s.remote),
    protocol: s.protocol,
    localPort: [s.localPort.start, s.localPort.end],
    remotePort: [s.remotePort.start, s.remotePort.end],
  };
}

function selectorFrom(s: SelectorSetState): SelectorSet {
  return {
    local: parseAddressRange(s.local),
    remote: parseAddressRange(s.remote),
    protocol: s.protocol,
    localPort: { start: s.localPort[0], end: s.localPort[1] },
    remotePort: { start: s.remotePort[0], end: s.remotePort[1] },
  };
}

/**
 * Exports every SA of `sad` at `now`.
 * @param serialize - turns a data-plane SA into plain data (keys, sequence numbers, replay state).
 * @public
 */
export function exportSad<T extends DataPlaneSa, S>(
  sad: Sad<T>,
  now: number,
  serialize: (sa: T) => S,
): SadState<S> {
  const entries = sad.entries();
  const index = new Map<SadEntry<T>, number>(entries.map((e, i) => [e, i]));
  const replaced = new Map<SadEntry<T>, number>();
  entries.forEach((e, i) => {
    if (e.replacedBy !== null) replaced.set(e.replacedBy, i);
  });
  return {
    version: 1,
    records: entries.map((e) => ({
      spi: e.spi,
      protocol: e.protocol,
      direction: e.direction,
      local: e.local,
      peer: e.peer,
      selectors: e.selectors.map(selectorState),
      policy: e.policy?.name ?? null,
      ikeSa: e.ikeSa,
      lifetime: { soft: { ...e.lifetime.soft }, hard: { ...e.lifetime.hard } },
      idleSeconds: e.idleSeconds,
      manual: e.manual,
      transform: e.transform,
      ageSeconds: now - e.installedAt,
      idleForSeconds: now - e._lastActive,
      softExpired: e.softExpired,
      counters: { ...e.sa.counters },
      pair: e.pair === null ? null : (index.get(e.pair) ?? null),
      bundle: index.get(e.bundle[0]!)!,
      replaces: replaced.get(e) ?? null,
      sa: serialize(e.sa),
    })),
  };
}

/**
 * Options of {@link importSad}.
 * @public
 */
export interface ImportOptions<T, S> {
  /** Rebuilds a data-plane SA from what `serialize` produced. */
  readonly deserialize: (state: S) => T;
  /** Finds the SPD entry of a given name (e.g. `spd.get(name)`). */
  readonly policy: (name: string) => SaPolicy | undefined;
}

/**
 * Installs the SAs of an export into `sad` at `now`, keeping their ages, idle times, soft-expiry
 * state, counters and links.
 * @throws {@link SadError} `bad-state` for records that are inconsistent or name unknown SPD
 *   entries, and the errors of {@link Sad.add}.
 * @public
 */
export function importSad<T extends DataPlaneSa, S>(
  sad: Sad<T>,
  state: SadState<S>,
  now: number,
  options: ImportOptions<T, S>,
): SadEntry<T>[] {
  if (state.version !== 1) throw new SadError("bad-state", `unknown state version ${String(state.version)}`);
  const added: SadEntry<T>[] = [];
  const earlier = (i: number | null, at: number): SadEntry<T> | undefined => {
    if (i === null || i === at) return undefined;
    if (!Number.isInteger(i) || i < 0 || i >= state.records.length)
      throw new SadError("bad-state", `record ${at} links to ${i}`);
    return i < at ? added[i] : undefined;
  };
  state.records.forEach((r, at) => {
    let policy: SaPolicy | null = null;
    if (r.policy !== null) {
      policy = options.policy(r.policy) ?? null;
      if (policy === null)
        throw new SadError("bad-state", `record ${at} names unknown SPD entry "${r.policy}"`, r.spi);
    }
    const sa = options.deserialize(r.sa);
    Object.assign(sa.counters, r.counters);
    const pair = earlier(r.pair, at);
    const bundleWith = earlier(r.bundle, at);
    const replaces = earlier(r.replaces, at);
    const init: SadEntryInit<T> = {
      sa,
      spi: r.spi,
      protocol: r.protocol,
      direction: r.direction,
      local: r.local,
      peer: r.peer,
      selectors: r.selectors.map(selectorFrom),
      policy,
      ikeSa: r.ikeSa,
      lifetime: r.lifetime,
      idleSeconds: r.idleSeconds,
      manual: r.manual,
      transform: r.transform,
      ...(pair !== undefined ? { pair } : {}),
      ...(bundleWith !== undefined ? { bundleWith } : {}),
      ...(replaces !== undefined ? { replaces } : {}),
    };
    const e = sad.add(init, now - r.ageSeconds);
    e._lastActive = now - r.idleForSeconds;
    e._lastBytes = r.counters.bytes;
    e._lastPackets = e.packets;
    e._softFired = r.softExpired;
    added.push(e);
  });
  return added;
}
