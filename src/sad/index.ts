/**
 * `ike-ts/sad`: the security association database pieces — per-SA counters and the RFC 6479
 * anti-replay window.
 *
 * @packageDocumentation
 */
export { newSaCounters, type SaCounters } from "./counters.js";
export { ReplayVerdict, ReplayWindow, type ReplayWindowOptions } from "./replay.js";
