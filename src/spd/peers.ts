/**
 * Which of a crypto map entry's peers to negotiate with: the failover order of `set peer`
 * (seeds/002:5489: traffic goes to "the last peer that the router heard from"; if a peer fails,
 * IKE tries the next one) and the preferred `default` peer (seeds/002 "IPsec Preferred Peer":
 * after a connection timeout or idle expiry the next connection goes to the default peer; if it
 * does not answer, the next peer in the list becomes current).
 *
 * Sans-I/O: the caller reports events; nothing here reads a clock.
 *
 * @packageDocumentation
 */
import type { CryptoPeer } from "./cryptoconfig.js";
import { PolicyError } from "./errors.js";

/**
 * Checks a peer list: at most one `default` peer, and it is the first ("Only one peer can be
 * designated as the default peer"; "The default peer must be the first peer in the peer list").
 * @throws {@link PolicyError} `bad-crypto-map` naming `entry`.
 * @public
 */
export function checkPeers(peers: readonly CryptoPeer[], entry = ""): readonly CryptoPeer[] {
  const defaults = peers.filter((p) => p.default === true).length;
  if (defaults > 1 || (defaults === 1 && peers[0]?.default !== true)) {
    throw new PolicyError("bad-crypto-map", "only the first peer may be the default peer", { entry });
  }
  return peers;
}

/**
 * The peer selection state of one crypto map entry.
 * @public
 */
export class PeerList {
  private readonly peers: readonly CryptoPeer[];
  private index = 0;

  /** @throws {@link PolicyError} as {@link checkPeers}. */
  constructor(peers: readonly CryptoPeer[], entry = "") {
    this.peers = [...checkPeers(peers, entry)];
  }

  /** The peer the next negotiation goes to, or undefined when the list is empty. */
  get current(): string | undefined {
    return this.peers[this.index]?.address;
  }

  /** The current peer did not answer (IKE timeout, DPD): the next peer in order becomes current. */
  failed(): string | undefined {
    if (this.peers.length > 0) this.index = (this.index + 1) % this.peers.length;
    return this.current;
  }

  /** Traffic or a negotiation came from `address`: it becomes the current peer. */
  heardFrom(address: string): void {
    const i = this.peers.findIndex((p) => p.address === address);
    if (i >= 0) this.index = i;
  }

  /**
   * The connection to the current peer was closed by a timeout (idle timer, DPD): with a default
   * peer the next connection goes to it; without one the current peer stays.
   */
  connectionClosed(): string | undefined {
    if (this.peers[0]?.default === true) this.index = 0;
    return this.current;
  }
}
