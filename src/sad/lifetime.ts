/**
 * SA lifetimes (RFC 4301 §4.4.2.1 "Lifetime of this SA"): soft and hard limits by time, bytes and
 * packets, "the first lifetime to expire taking precedence". A soft limit warns that a replacement
 * SA is needed (rekey); a hard limit ends the SA.
 *
 * Time is always passed in, in **seconds** (fractions allowed); nothing here reads a clock.
 *
 * Defaults follow the IOS guides: 3600 s and 4 608 000 KB for IPsec SAs (seeds/002:10908
 * "lifedur= 3600s and 4608000kb", seeds/002:21317); `kilobytes disable` turns the volume limit
 * off (seeds/004:750). The guides do not say when IOS rekeys before expiry, so ike-ts puts the
 * soft limits at 90 % of the hard ones unless told otherwise.
 *
 * @packageDocumentation
 */
import { SadError } from "./errors.js";

/**
 * Limits of one kind (soft or hard). An absent field means no limit of that kind.
 * @public
 */
export interface LifetimeLimits {
  /** Seconds after the SA was installed. */
  readonly seconds?: number;
  /** Bytes counted by the SA counters (`SaCounters.bytes`). */
  readonly bytes?: number;
  /** Packets protected (outbound) or accepted (inbound). */
  readonly packets?: number;
}

/**
 * Soft and hard lifetime of one SA. Each soft limit must be below its hard limit.
 * @public
 */
export interface SaLifetime {
  readonly soft: LifetimeLimits;
  readonly hard: LifetimeLimits;
}

/** IPsec SA lifetime in seconds when none is configured (seeds/002:10908, 002:21317). @public */
export const DEFAULT_LIFETIME_SECONDS = 3600;
/** IPsec SA volume lifetime in kilobytes when none is configured (seeds/001:1162, 004:2752). @public */
export const DEFAULT_LIFETIME_KILOBYTES = 4_608_000;
/** Fraction of each hard limit at which the soft limit fires, unless configured. @public */
export const DEFAULT_SOFT_FRACTION = 0.9;

/** A lifetime with no limits at all: manually keyed SAs "never time out" (seeds/003:251). @public */
export const NO_LIFETIME: SaLifetime = Object.freeze({ soft: Object.freeze({}), hard: Object.freeze({}) });

/**
 * The IOS lifetime command (seeds/004:750) as soft and hard limits:
 * `set security-association lifetime {seconds N | kilobytes N | kilobytes disable}`;
 * `kilobytes: null` is `kilobytes disable`.
 * @throws {@link SadError} `bad-lifetime` for non-positive values or a fraction outside (0, 1).
 * @public
 */
export function ciscoLifetime(
  options: { seconds?: number; kilobytes?: number | null; softFraction?: number } = {},
): SaLifetime {
  const seconds = options.seconds ?? DEFAULT_LIFETIME_SECONDS;
  const kilobytes = options.kilobytes === undefined ? DEFAULT_LIFETIME_KILOBYTES : options.kilobytes;
  const f = options.softFraction ?? DEFAULT_SOFT_FRACTION;
  if (!(f > 0 && f < 1)) throw new SadError("bad-lifetime", `soft fraction ${f} is not in (0, 1)`);
  const hard: { seconds: number; bytes?: number } = { seconds };
  const soft: { seconds: number; bytes?: number } = { seconds: seconds * f };
  if (kilobytes !== null) {
    hard.bytes = kilobytes * 1024;
    soft.bytes = Math.floor(kilobytes * 1024 * f);
  }
  return checkLifetime({ soft, hard });
}

const KINDS = ["seconds", "bytes", "packets"] as const;

/**
 * Validates a lifetime: every limit a positive finite number, every soft limit below the hard
 * limit of its kind when both exist.
 * @throws {@link SadError} `bad-lifetime`.
 * @public
 */
export function checkLifetime(l: SaLifetime): SaLifetime {
  for (const k of KINDS) {
    const s = l.soft[k];
    const h = l.hard[k];
    for (const v of [s, h]) {
      if (v !== undefined && !(Number.isFinite(v) && v > 0)) {
        throw new SadError("bad-lifetime", `${k} limit ${v} is not a positive number`);
      }
    }
    if (s !== undefined && h !== undefined && s >= h) {
      throw new SadError("bad-lifetime", `soft ${k} limit ${s} is not below the hard limit ${h}`);
    }
  }
  return l;
}

/**
 * Which limit an SA has reached.
 * @public
 */
export type LifetimeReason = "seconds" | "bytes" | "packets";

/**
 * The first limit of `limits` that the usage reaches, or null.
 * @public
 */
export function reachedLimit(
  limits: LifetimeLimits,
  age: number,
  bytes: number,
  packets: number,
): LifetimeReason | null {
  if (limits.seconds !== undefined && age >= limits.seconds) return "seconds";
  if (limits.bytes !== undefined && bytes >= limits.bytes) return "bytes";
  if (limits.packets !== undefined && packets >= limits.packets) return "packets";
  return null;
}

/**
 * Remaining hard lifetime as `show crypto ipsec sa` prints it: whole kilobytes and whole seconds,
 * `null` where there is no limit of that kind.
 * @public
 */
export interface RemainingLifetime {
  readonly kilobytes: number | null;
  readonly seconds: number | null;
}

/** Remaining hard lifetime after `age` seconds and `bytes` bytes. @public */
export function remainingLifetime(l: SaLifetime, age: number, bytes: number): RemainingLifetime {
  const hb = l.hard.bytes;
  const hs = l.hard.seconds;
  return {
    kilobytes: hb === undefined ? null : Math.max(0, Math.floor((hb - bytes) / 1024)),
    seconds: hs === undefined ? null : Math.max(0, Math.floor(hs - age)),
  };
}

/**
 * IOS "remaining key lifetime (k/sec)" text, e.g. `(4607999/90)` (seeds/002:7972); a missing
 * limit prints as `-`.
 * @public
 */
export function formatRemainingLifetime(r: RemainingLifetime): string {
  return `(${r.kilobytes ?? "-"}/${r.seconds ?? "-"})`;
}
