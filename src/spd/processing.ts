/**
 * IPsec traffic processing decisions (RFC 4301 §5): what to do with an outbound packet, a
 * cleartext inbound packet, and a packet that arrived decrypted on an SA, given the SPD and SAD.
 *
 * - Outbound (§5.1): the first matching SPD entry decides BYPASS, DISCARD or PROTECT; PROTECT
 *   uses the newest usable SA of the entry, and without one asks key management for an SA (an
 *   "acquire", once per flow until it completes or times out) while the packet is dropped
 *   (seeds/001:1024: "Outbound packets that match a permit statement without an existing
 *   corresponding IPSec SA are also dropped"). Manual and responder-only entries never acquire.
 * - Inbound cleartext (§5.2 step 3b): a packet matching a PROTECT entry arrived unprotected and
 *   is dropped (seeds/002:5190, seeds/001:1024).
 * - Inbound on an SA (§5.2 steps 4-5): the decrypted packet must match the SA's selectors.
 *
 * Decisions allocate nothing on the paths taken by established traffic.
 *
 * @packageDocumentation
 */
import type { DataPlaneSa, Sad, SadEntry } from "../sad/sad.js";
import { type AddressRange, wordsToAddress } from "./address.js";
import { Direction, type PacketFields } from "./packet.js";
import type { PortRange, SelectorSet } from "./selector.js";
import type { Spd, SpdEntry } from "./spd.js";

/** What to do with a packet. @public */
export const Verdict = {
  /** Forward without IPsec. */
  BYPASS: 0,
  /** Drop (policy says so, or a field the policy needs is missing). */
  DISCARD: 1,
  /** Apply the SA in {@link OutboundResult.sa}. */
  PROTECT: 2,
  /** Drop, and ask key management for the SA in {@link OutboundResult.acquire}. */
  ACQUIRE: 3,
  /** Drop: an acquire for this flow is already under way. */
  PENDING: 4,
  /** Drop: the entry's SAs are manual or responder-only and none is installed. */
  NO_SA: 5,
} as const;
/** {@link (Verdict:variable)} value. @public */
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/**
 * An acquire: negotiate an SA for `entry` with these selectors (RFC 4301 §5.1 step 3b; the
 * PF_KEY SADB_ACQUIRE of RFC 7296 §2.9).
 * @public
 */
export interface AcquireRequest {
  readonly entry: SpdEntry;
  /** The SA's selectors: the entry's matching set, populated from the packet per its PFP flags. */
  readonly selectors: SelectorSet;
  /** The packet's own selectors, to send as the first (most specific) traffic selectors (RFC 7296 §2.9). */
  readonly packet: SelectorSet;
}

/**
 * The outcome of {@link IpsecProcessor.outbound}; one object, reused for every call.
 * @public
 */
export interface OutboundResult<T extends DataPlaneSa> {
  verdict: Verdict;
  /** The matching SPD entry, or null when none matched. */
  entry: SpdEntry | null;
  /** For PROTECT: the SA (head of its bundle) to apply. */
  sa: SadEntry<T> | null;
  /** For ACQUIRE: what to negotiate. */
  acquire: AcquireRequest | null;
}

/**
 * Options of an {@link IpsecProcessor}.
 * @public
 */
export interface ProcessorOptions {
  /**
   * Seconds after which an unanswered acquire may be raised again for the same flow. Default 30
   * (an ike-ts choice; the guides and RFC 4301 leave it open).
   */
  readonly acquireTimeout?: number;
}

function host(family: 4 | 6, words: Uint32Array): AddressRange {
  const v = wordsToAddress(family, words);
  return { family, start: v, end: v };
}

function port(v: number): PortRange {
  return v < 0 ? { start: 65535, end: 0 } : { start: v, end: v };
}

/**
 * Packet-level decisions over one SPD and one SAD.
 * @public
 */
export class IpsecProcessor<T extends DataPlaneSa> {
  private readonly result: OutboundResult<T> = {
    verdict: Verdict.BYPASS,
    entry: null,
    sa: null,
    acquire: null,
  };
  private readonly pending = new Map<string, number>();
  private readonly acquireTimeout: number;

  constructor(
    readonly spd: Spd,
    readonly sad: Sad<T>,
    options: ProcessorOptions = {},
  ) {
    this.acquireTimeout = options.acquireTimeout ?? 30;
  }

  /**
   * Decides an outbound packet at `now` (seconds). The returned object is reused by the next
   * call.
   */
  outbound(packet: PacketFields, now: number): OutboundResult<T> {
    const r = this.result;
    r.sa = null;
    r.acquire = null;
    const entry = this.spd.lookup(packet, Direction.OUTBOUND);
    r.entry = entry;
    if (entry === null) {
      r.verdict = this.spd.defaultAction === "bypass" ? Verdict.BYPASS : Verdict.DISCARD;
      return r;
    }
    if (entry.action !== "protect") {
      r.verdict = entry.action === "bypass" ? Verdict.BYPASS : Verdict.DISCARD;
      return r;
    }
    const sa = this.sad.lookupOutbound(entry, packet, now);
    if (sa !== undefined) {
      r.verdict = Verdict.PROTECT;
      r.sa = sa;
      return r;
    }
    if (entry.template!.origin !== "ike") {
      r.verdict = Verdict.NO_SA;
      return r;
    }
    const selectors = this.derive(entry, entry.selectors[this.spd.matchedSelector]!, packet);
    if (selectors === null) {
      r.verdict = Verdict.DISCARD;
      return r;
    }
    const key = `${entry.id} ${selectorKey(selectors)}`;
    const until = this.pending.get(key);
    if (until !== undefined && now < until) {
      r.verdict = Verdict.PENDING;
      return r;
    }
    this.pending.set(key, now + this.acquireTimeout);
    r.verdict = Verdict.ACQUIRE;
    r.acquire = { entry, selectors, packet: this.packetSelectors(packet) };
    return r;
  }

  /**
   * Forgets the pending acquires of `entry` (call when its SAs are installed or the negotiation
   * failed), so the next packet may acquire again at once.
   */
  acquireDone(entry: SpdEntry): void {
    const prefix = `${entry.id} `;
    for (const k of [...this.pending.keys()]) if (k.startsWith(prefix)) this.pending.delete(k);
  }

  /**
   * Decides a packet that arrived without IPsec protection (RFC 4301 §5.2 step 3b): BYPASS or
   * DISCARD. A packet matching a PROTECT entry should have been protected and is discarded.
   */
  inboundCleartext(packet: PacketFields): Verdict {
    const entry = this.spd.lookup(packet, Direction.INBOUND);
    if (entry === null) return this.spd.defaultAction === "bypass" ? Verdict.BYPASS : Verdict.DISCARD;
    return entry.action === "bypass" ? Verdict.BYPASS : Verdict.DISCARD;
  }

  /**
   * True if a packet decrypted on `sa` is consistent with the SA's selectors (RFC 4301 §5.2
   * steps 4-5); false means discard it (and possibly notify INVALID_SELECTORS).
   */
  inboundProtected(sa: SadEntry<T>, decrypted: PacketFields): boolean {
    return sa.matches(decrypted, Direction.INBOUND);
  }

  /** The packet's own flow from this side's point of view (outbound: local = source). */
  private packetSelectors(p: PacketFields): SelectorSet {
    return {
      local: host(p.family, p.src),
      remote: host(p.family, p.dst),
      protocol: p.protocol < 0 ? 0 : p.protocol,
      localPort: port(p.srcPort),
      remotePort: port(p.dstPort),
    };
  }

  /**
   * The SA selectors per RFC 4301 §4.4.2.2: each PFP field taken from the packet, the others
   * from the entry. A PFP field the packet does not have means discard.
   */
  private derive(entry: SpdEntry, s: SelectorSet, p: PacketFields): SelectorSet | null {
    const pfp = entry.template!.pfp;
    if (
      (pfp.protocol && p.protocol < 0) ||
      (pfp.localPort && p.srcPort < 0) ||
      (pfp.remotePort && p.dstPort < 0)
    ) {
      return null;
    }
    return {
      local: pfp.localAddress ? host(p.family, p.src) : s.local,
      remote: pfp.remoteAddress ? host(p.family, p.dst) : s.remote,
      protocol: pfp.protocol ? p.protocol : s.protocol,
      localPort: pfp.localPort ? port(p.srcPort) : s.localPort,
      remotePort: pfp.remotePort ? port(p.dstPort) : s.remotePort,
    };
  }
}

function selectorKey(s: SelectorSet): string {
  return `${s.local.start}-${s.local.end} ${s.remote.start}-${s.remote.end} ${s.protocol} ${s.localPort.start}-${s.localPort.end} ${s.remotePort.start}-${s.remotePort.end}`;
}
