/**
 * The NAT-keepalive schedule of RFC 3948 §4: while a peer behind (or in front of) a NAT is
 * registered, send it a NAT-keepalive when nothing else went to it from the NAT-T port during the
 * last interval (default 20 s), so the NAT keeps the mapping.
 *
 * @packageDocumentation
 */
import type { UdpPeer } from "./udp-types.js";

/** RFC 3948 §4: "M is a locally configurable parameter with a default value of 20 seconds." @public */
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 20_000;

interface KeepalivePeer {
  readonly to: UdpPeer;
  /** Something was sent to the peer from the NAT-T port since the last interval began. */
  sent: boolean;
}

/**
 * One `unref()`'d interval timer for all registered peers, running only while there is at least
 * one: the process can exit with keepalives scheduled.
 * @internal
 */
export class KeepaliveScheduler {
  readonly #peers = new Map<string, KeepalivePeer>();
  readonly #send: (to: UdpPeer) => void;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;

  /**
   * @param send - sends one NAT-keepalive; must not throw (the caller reports errors).
   * @param intervalMs - RFC 3948 §4's M, in milliseconds.
   */
  constructor(send: (to: UdpPeer) => void, intervalMs: number) {
    if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) {
      throw new RangeError(`keepalive interval must be a positive number of ms, got ${intervalMs}`);
    }
    this.#send = send;
    this.#intervalMs = intervalMs;
  }

  /** Number of peers kept alive. */
  get size(): number {
    return this.#peers.size;
  }

  /** Starts keeping `to` alive (idempotent). */
  add(to: UdpPeer): void {
    const key = peerKey(to);
    if (this.#peers.has(key)) return;
    this.#peers.set(key, { to: { address: to.address, port: to.port }, sent: false });
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#tick(), this.#intervalMs);
      this.#timer.unref();
    }
  }

  /** Stops keeping `to` alive; the timer stops with the last peer. */
  remove(to: UdpPeer): void {
    this.#peers.delete(peerKey(to));
    if (this.#peers.size === 0) this.#stopTimer();
  }

  /** Records that a datagram went to `to` from the NAT-T port (no keepalive needed this interval). */
  noteSent(to: UdpPeer): void {
    if (this.#peers.size === 0) return;
    const peer = this.#peers.get(peerKey(to));
    if (peer !== undefined) peer.sent = true;
  }

  /** Forgets all peers and stops the timer. */
  close(): void {
    this.#peers.clear();
    this.#stopTimer();
  }

  /** RFC 3948 §4: keepalive only "if no other packet to the peer has been sent in M seconds". */
  #tick(): void {
    for (const peer of this.#peers.values()) {
      if (!peer.sent) this.#send(peer.to);
      peer.sent = false;
    }
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

function peerKey(to: UdpPeer): string {
  return `${to.address}|${to.port}`;
}
