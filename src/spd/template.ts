/**
 * The SA template of a PROTECT entry (RFC 4301 §4.4.1.2 "Processing info"): how SAs for the
 * entry come to exist, which algorithms to offer in what order, to which peers, with which
 * lifetimes, and how the SA's selectors derive from the triggering packet (PFP flags,
 * RFC 4301 §4.4.1 "How to Derive the Values for an SAD Entry").
 *
 * @packageDocumentation
 */
import type { SaLifetime } from "../sad/lifetime.js";
import type { TransformSet } from "./transform.js";

/**
 * How SAs for a PROTECT entry are created, which decides what happens to an outbound packet
 * that finds no SA:
 *
 * - `ike`: key management is asked to negotiate one (an acquire); the packet is dropped meanwhile
 *   (seeds/001:1024, RFC 4301 §5.1 step 3b);
 * - `manual`: the SAs are configured with fixed keys; without them the packet is dropped
 *   (seeds/002:5183);
 * - `responder`: a template for peers that initiate (dynamic crypto maps are "never used to
 *   initiate", seeds/002:5569); the packet is dropped.
 *
 * @public
 */
export type SaOrigin = "ike" | "manual" | "responder";

/**
 * "Populate from packet" flags (RFC 4301 §4.4.1.2): each true flag makes a new SA take that
 * selector from the triggering packet instead of from the SPD entry. The IOS command
 * `set security-association level per-host` (seeds/004:751) sets both address flags.
 * @public
 */
export interface PfpFlags {
  readonly localAddress: boolean;
  readonly remoteAddress: boolean;
  readonly protocol: boolean;
  readonly localPort: boolean;
  readonly remotePort: boolean;
}

/** All PFP flags off. @public */
export const PFP_NONE: PfpFlags = Object.freeze({
  localAddress: false,
  remoteAddress: false,
  protocol: false,
  localPort: false,
  remotePort: false,
});

/** PFP on both addresses: one SA per host pair (`level per-host`, seeds/004:751). @public */
export const PFP_PER_HOST: PfpFlags = Object.freeze({ ...PFP_NONE, localAddress: true, remoteAddress: true });

/**
 * What a PROTECT entry asks of its SAs.
 * @public
 */
export interface SaTemplate {
  readonly origin: SaOrigin;
  /** Acceptable transform sets, highest priority first (seeds/004:749: up to 6 in crypto maps). */
  readonly proposals: readonly TransformSet[];
  /**
   * Remote tunnel endpoints in failover order (seeds/002:5489); empty when the peer is not known
   * in advance (dynamic crypto maps).
   */
  readonly peers: readonly string[];
  readonly pfp: PfpFlags;
  /** PFS Diffie-Hellman group to request and require (seeds/004:752), or null for no PFS. */
  readonly pfsGroup: number | null;
  readonly lifetime: SaLifetime;
  /** Idle timeout in seconds (60–86 400, seeds/002:12009), or null for none. */
  readonly idleSeconds: number | null;
  /** Anti-replay window in packets; 0 disables it (manual SAs, seeds/004:1049). */
  readonly replayWindow: number;
}
