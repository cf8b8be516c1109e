/**
 * Per-SA traffic counters: what lifetimes by volume are checked against and what IOS prints in
 * `show crypto ipsec sa` (#pkts encaps/encrypt/digest, #pkts decaps/decrypt/verify, send and
 * receive errors, replay failures).
 *
 * The data plane (ESP, AH) increments these in place; they are plain numbers so one object per SA
 * is allocated once and never per packet.
 *
 * @packageDocumentation
 */

/**
 * Counters of one SA (one direction).
 * @public
 */
export interface SaCounters {
  /** Packets successfully protected (IOS "#pkts encaps"). */
  packetsEncapsulated: number;
  /** Packets encrypted (IOS "#pkts encrypt"; equals encaps for ESP with a cipher). */
  packetsEncrypted: number;
  /** Packets given an ICV (IOS "#pkts digest"). */
  packetsDigested: number;
  /** Packets successfully verified and decapsulated (IOS "#pkts decaps"). */
  packetsDecapsulated: number;
  /** Packets decrypted (IOS "#pkts decrypt"). */
  packetsDecrypted: number;
  /** Packets whose ICV verified (IOS "#pkts verify"). */
  packetsVerified: number;
  /**
   * Bytes counted for lifetimes: the IP packet before protection outbound and after
   * decapsulation inbound (RFC 4301 §4.4.2.1 "byte count").
   */
  bytes: number;
  /** Outbound failures (no room, sequence number exhausted …) (IOS "#send errors"). */
  sendErrors: number;
  /** Inbound failures of any kind except replay (IOS "#recv errors"). */
  receiveErrors: number;
  /** Inbound packets whose ICV did not verify (IOS "#pkts verify failed"). */
  authFailures: number;
  /** Inbound packets rejected as replayed or too old (IOS "replay failures"). */
  replayFailures: number;
  /** Inbound packets with bad padding, length or next-header after verification. */
  malformed: number;
}

/** A new zeroed counter set. @public */
export function newSaCounters(): SaCounters {
  return {
    packetsEncapsulated: 0,
    packetsEncrypted: 0,
    packetsDigested: 0,
    packetsDecapsulated: 0,
    packetsDecrypted: 0,
    packetsVerified: 0,
    bytes: 0,
    sendErrors: 0,
    receiveErrors: 0,
    authFailures: 0,
    replayFailures: 0,
    malformed: 0,
  };
}
