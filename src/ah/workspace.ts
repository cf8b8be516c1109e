/**
 * Per-packet working memory of an AH SA: the ICV input pieces and where AH sits in the packet.
 *
 * The synchronous path of an SA reuses one workspace for every packet, so it allocates nothing but
 * the `subarray` views handed to the MAC. The asynchronous path takes a fresh workspace per call,
 * because operations on one SA may overlap while a backend awaits.
 *
 * @packageDocumentation
 */
import { zeroize } from "../wire/bytes.js";
import type { Ipv6Chain } from "./ipv6-mutable.js";

/** Room for an IPv4 header with options, or an IPv6 header with a few extension headers. */
const INITIAL_HEADER = 128;

/**
 * The ICV input and AH's position for one packet in flight.
 * @internal
 */
export class Workspace implements Ipv6Chain {
  /** The IP header chain in front of AH with the mutable fields zeroed (grows, doubling). */
  header: Uint8Array;
  /** AES-GMAC only: the ICV input made contiguous for the AEAD's single AAD argument. */
  aad: Uint8Array;
  /** AES-GMAC: salt ‖ IV (RFC 4543 §3.2); the salt is set once. */
  readonly nonce: Uint8Array;
  /** The ICV computed for an inbound packet, compared with the received one. */
  readonly icv: Uint8Array;
  /** The high-order 32 bits of the ESN, appended to the ICV input (RFC 4302 §3.3.3.2.2). */
  readonly seqHiBytes: Uint8Array;
  /** The ICV input as a reusable list of views. */
  readonly parts: Uint8Array[] = [];

  /** Offset of AH from the start of the IP packet (outbound: of the protected packet). */
  ahOffset = 0;
  /** Offset of the Next Header / Protocol field that names AH. */
  nextHeaderAt = 0;
  /** Length of the AH header for this packet's IP version. */
  ahLength = 0;
  /** High and low 32 bits of this packet's sequence number. */
  seqHi = 0;
  seqLo = 0;

  constructor(icvLength: number, salt: Uint8Array) {
    this.header = new Uint8Array(INITIAL_HEADER);
    this.aad = new Uint8Array(0);
    this.nonce = new Uint8Array(12);
    this.nonce.set(salt);
    this.icv = new Uint8Array(icvLength);
    this.seqHiBytes = new Uint8Array(4);
  }

  /** {@link Workspace.header}, made at least `n` bytes long. */
  headerRoom(n: number): Uint8Array {
    if (this.header.length < n) this.header = new Uint8Array(Math.max(n, this.header.length * 2));
    return this.header;
  }

  /** Zeroizes the buffers: they held packet data and the GMAC salt. */
  clear(): void {
    zeroize(this.header, this.aad, this.nonce, this.icv, this.seqHiBytes);
    this.parts.length = 0;
  }
}
