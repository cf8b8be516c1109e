/**
 * `ike-ts/sad`: the security association database (RFC 4301 §4.4.2) — lookup by SPI, lifetimes
 * on an injected clock, counters, bulk removal for `clear`, SPI allocation, state export for HA —
 * and the RFC 6479 anti-replay window.
 *
 * @packageDocumentation
 */
export { newSaCounters, type SaCounters } from "./counters.js";
export { isSadError, SadError, type SadErrorCode } from "./errors.js";
export {
  checkLifetime,
  ciscoLifetime,
  DEFAULT_LIFETIME_KILOBYTES,
  DEFAULT_LIFETIME_SECONDS,
  DEFAULT_SOFT_FRACTION,
  formatRemainingLifetime,
  type LifetimeLimits,
  type LifetimeReason,
  NO_LIFETIME,
  type RemainingLifetime,
  reachedLimit,
  remainingLifetime,
  type SaLifetime,
} from "./lifetime.js";
export { ReplayVerdict, ReplayWindow, type ReplayWindowOptions } from "./replay.js";
export {
  type DataPlaneSa,
  IDLE_SECONDS_RANGE,
  type IpsecProtocol,
  Sad,
  SadEntry,
  type SadEntryInit,
  type SadEvent,
  type SadOptions,
  type SaPolicy,
} from "./sad.js";
export { checkSpi, isValidSpi, MAX_SPI, MIN_SPI, randomSpi } from "./spi.js";
export {
  exportSad,
  type ImportOptions,
  importSad,
  type SadState,
  type SaRecord,
  type SelectorSetState,
} from "./state.js";
