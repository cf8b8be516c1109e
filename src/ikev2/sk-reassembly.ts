/**
 * Reassembly of IKE Fragment messages (RFC 7383 §2.6) for one message at a time.
 *
 * Every fragment costs O(1) (a bitmap marks what arrived, a counter says when all did) and the
 * final join O(total bytes); the number of fragments and the bytes held are capped before
 * anything is stored. The lesson of CVE-2016-10396 (racoon's IKEv1 fragment reassembly, where
 * crafted fragments cost quadratic work and unbounded lists) is to keep both bounded.
 *
 * @packageDocumentation
 */
import { WireError } from "../wire/errors.js";
import type { Payload } from "./chain.js";
import type { IkeHeader } from "./header.js";
import { decodeMessage, type IkeMessage } from "./message.js";
import type { SkOpenFailure, SkProtection } from "./sk-protect.js";

/**
 * Bounds of a {@link FragmentReassembler}.
 * @public
 */
export interface ReassemblyOptions {
  /**
   * Most fragments one message may be split into; a larger Total Fragments is refused before
   * anything is stored. Default 128: at 576-octet IPv4 datagrams about 460 octets travel per
   * fragment, so 128 carry about 58 KB, near the 64 KB cap below.
   */
  readonly maxFragments?: number;
  /**
   * Most decrypted octets held for one message. RFC 7383 §5: the sum of stored fragment contents
   * should stay below a limit, which it is "NOT RECOMMENDED … to exceed 64 KB". Default 65535.
   */
  readonly maxBytes?: number;
}

/** Default {@link ReassemblyOptions.maxFragments}. @public */
export const DEFAULT_MAX_FRAGMENTS = 128;
/** Default {@link ReassemblyOptions.maxBytes}. @public */
export const DEFAULT_MAX_REASSEMBLY_BYTES = 0xffff;

/**
 * Why a fragment was discarded (RFC 7383 §2.6: "the message MUST be silently discarded").
 * - `fragment-number-zero`, `fragment-number-exceeds-total`: the numbers RFC 7383 §2.5 forbids;
 * - `too-many-fragments`: Total Fragments above {@link ReassemblyOptions.maxFragments};
 * - `stale-total`: Total Fragments below that of the fragments already stored (an older set);
 * - `other-message`: a fragment of another Message ID while one is being reassembled;
 * - `too-large`: storing it would exceed {@link ReassemblyOptions.maxBytes}; everything held for
 *   the message is discarded too (RFC 7383 §5);
 * - `not-fragment`: the message's last payload is not SKF.
 * @public
 */
export type FragmentReject =
  | "fragment-number-zero"
  | "fragment-number-exceeds-total"
  | "too-many-fragments"
  | "stale-total"
  | "other-message"
  | "too-large"
  | "not-fragment";

/**
 * One decrypted fragment.
 * @public
 */
export interface DecryptedFragment {
  /** The IKE header's Message ID. */
  readonly messageId: number;
  /** Fragment Number. */
  readonly fragmentNumber: number;
  /** Total Fragments. */
  readonly totalFragments: number;
  /** The SKF header's Next Payload (the first inner payload's type in fragment 1). */
  readonly firstPayload: number;
  /** The decrypted chunk, padding removed. Kept by reference until the message completes. */
  readonly chunk: Uint8Array;
  /** Unprotected payloads in front of SKF (RFC 7383 §2.5.3: fragment 1 only). */
  readonly unprotected?: readonly Payload[];
}

/**
 * What adding a fragment did.
 * @public
 */
export type ReassemblyResult =
  | {
      /** Stored; more fragments are needed. */
      readonly status: "incomplete";
      /** Fragments held so far. */
      readonly received: number;
      /** Total Fragments of the set being reassembled. */
      readonly totalFragments: number;
    }
  | {
      /**
       * Already held (RFC 7383 §2.6: same Message ID, Fragment Number and Total Fragments is a
       * retransmission or replay, discarded); reassembly goes on unchanged.
       */
      readonly status: "duplicate";
    }
  | {
      /** The last missing fragment arrived; the reassembler is empty again. */
      readonly status: "complete";
      /** The Message ID. */
      readonly messageId: number;
      /** The first inner payload's type (fragment 1's Next Payload). */
      readonly firstPayload: number;
      /** The whole inner payload chain: the chunks joined in order. */
      readonly bytes: Uint8Array;
      /** Fragment 1's unprotected payloads, if any. */
      readonly unprotected: readonly Payload[];
    }
  | { readonly status: "rejected"; readonly reason: FragmentReject };

/**
 * What {@link FragmentReassembler.receive} did with a datagram.
 * @public
 */
export type FragmentReceiveResult =
  | (ReassemblyResult & { readonly header?: IkeHeader })
  | {
      /** {@link SkProtection.unprotect} refused the fragment. */
      readonly status: "refused";
      readonly reason: SkOpenFailure;
      readonly error?: WireError;
    };

const EMPTY: readonly Payload[] = [];
/** The fragment bitmap while none is held (`#start` allocates the real one before any write). */
const NO_FRAGMENTS = new Uint32Array(0);

/**
 * Collects the fragments of one IKE message (RFC 7383 §2.6) until all arrived.
 *
 * Feed it decrypted fragments with {@link FragmentReassembler.add}, or whole datagrams with
 * {@link FragmentReassembler.receive}, which checks the fragment numbers before spending a
 * decryption on them, as RFC 7383 §2.6 orders. Unsafe for concurrent use; one per direction of
 * an IKE SA is the intended shape. Call {@link FragmentReassembler.reset} when the reassembly
 * times out (RFC 7383 §2.6: discard everything received so far).
 *
 * A fragment retransmitted after its message completed starts a new reassembly: telling
 * retransmitted requests apart (RFC 7383 §2.6.1) is the IKE SA's job, by Message ID.
 * @public
 */
export class FragmentReassembler {
  readonly #maxFragments: number;
  readonly #maxBytes: number;
  #messageId = -1;
  #total = 0;
  #received = 0;
  #bytes = 0;
  #seen = NO_FRAGMENTS;
  #chunks: (Uint8Array | undefined)[] = [];
  #firstPayload = 0;
  #unprotected: readonly Payload[] = EMPTY;

  /** @throws `RangeError` for limits that are not positive integers (`maxFragments` ≤ 65535). */
  constructor(options: ReassemblyOptions = {}) {
    const maxFragments = options.maxFragments ?? DEFAULT_MAX_FRAGMENTS;
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_REASSEMBLY_BYTES;
    if (!Number.isInteger(maxFragments) || maxFragments < 1 || maxFragments > 0xffff) {
      throw new RangeError(`maxFragments must be 1..65535, got ${maxFragments}`);
    }
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
      throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
    }
    this.#maxFragments = maxFragments;
    this.#maxBytes = maxBytes;
  }

  /** True while fragments of a message are held. */
  get inProgress(): boolean {
    return this.#total > 0;
  }

  /**
   * The checks RFC 7383 §2.6 runs before the ICV: the numbers are valid, the set is not older
   * than the one held, and the fragment is new. Returns why it would be discarded, `duplicate`,
   * or undefined when {@link FragmentReassembler.add} would take it.
   */
  check(
    messageId: number,
    fragmentNumber: number,
    totalFragments: number,
  ): FragmentReject | "duplicate" | undefined {
    // RFC 7383 §2.6: "check that the Fragment Number and the Total Fragments fields contain
    // non-zero values" and "that the value in the Fragment Number field is less than or equal to
    // the value in the Total Fragments field".
    if (fragmentNumber < 1) return "fragment-number-zero";
    if (fragmentNumber > totalFragments) return "fragment-number-exceeds-total";
    if (totalFragments > this.#maxFragments) return "too-many-fragments";
    if (this.#total === 0) return undefined;
    if (messageId !== this.#messageId) return "other-message";
    // RFC 7383 §2.6: Total Fragments must be "equal to or greater than" that of the stored ones.
    if (totalFragments < this.#total) return "stale-total";
    if (totalFragments === this.#total && this.#has(fragmentNumber)) return "duplicate";
    return undefined;
  }

  /**
   * Stores a fragment whose ICV verified, and returns the whole inner chain once every fragment
   * is in. A fragment of a larger Total Fragments replaces the set held (RFC 7383 §2.6: "discard
   * all received fragments and start the reassembly process over"; PMTU discovery, §2.5.2).
   */
  add(fragment: DecryptedFragment): ReassemblyResult {
    const { messageId, fragmentNumber: n, totalFragments: total } = fragment;
    const problem = this.check(messageId, n, total);
    if (problem === "duplicate") return { status: "duplicate" };
    if (problem !== undefined) return { status: "rejected", reason: problem };
    if (total !== this.#total) this.#start(messageId, total);
    if (this.#bytes + fragment.chunk.length > this.#maxBytes) {
      this.reset();
      return { status: "rejected", reason: "too-large" };
    }
    this.#seen[(n - 1) >>> 5]! |= 1 << ((n - 1) & 31);
    this.#chunks[n - 1] = fragment.chunk;
    this.#received++;
    this.#bytes += fragment.chunk.length;
    if (n === 1) {
      // RFC 7383 §2.5: only fragment 1's Next Payload names the first inner payload.
      this.#firstPayload = fragment.firstPayload;
      this.#unprotected = fragment.unprotected ?? EMPTY;
    }
    if (this.#received < total)
      return { status: "incomplete", received: this.#received, totalFragments: total };
    const bytes = new Uint8Array(this.#bytes);
    let at = 0;
    for (const chunk of this.#chunks) {
      bytes.set(chunk!, at);
      at += chunk!.length;
    }
    const complete = {
      status: "complete",
      messageId,
      firstPayload: this.#firstPayload,
      bytes,
      unprotected: this.#unprotected,
    } as const;
    this.reset();
    return complete;
  }

  /**
   * Checks, verifies, decrypts and stores one IKE Fragment message from the peer, in RFC 7383
   * §2.6's order: numbers and replay first, then the ICV, then storage. `header` is set on every
   * result but a refusal. Never throws for any `datagram`.
   *
   * @param message - `decodeMessage(datagram)`, when the caller has it already.
   */
  receive(sk: SkProtection, datagram: Uint8Array, message?: IkeMessage): FragmentReceiveResult {
    let decoded = message;
    if (decoded === undefined) {
      try {
        decoded = decodeMessage(datagram);
      } catch (e) {
        if (e instanceof WireError) return { status: "refused", reason: "malformed", error: e };
        throw e;
      }
    }
    const header = decoded.header;
    const last = decoded.payloads[decoded.payloads.length - 1];
    if (last?.type !== "SKF") return { status: "rejected", reason: "not-fragment", header };
    const problem = this.check(header.messageId, last.fragmentNumber, last.totalFragments);
    if (problem === "duplicate") return { status: "duplicate", header };
    if (problem !== undefined) return { status: "rejected", reason: problem, header };
    const opened = sk.unprotect(datagram, decoded);
    if (!opened.ok) return { status: "refused", reason: opened.reason };
    const result = this.add({
      messageId: header.messageId,
      fragmentNumber: last.fragmentNumber,
      totalFragments: last.totalFragments,
      firstPayload: opened.firstPayload,
      chunk: opened.plaintext,
      unprotected: opened.unprotected,
    });
    return { ...result, header };
  }

  /** Discards everything held (a reassembly timeout, RFC 7383 §2.6). */
  reset(): void {
    this.#messageId = -1;
    this.#total = 0;
    this.#received = 0;
    this.#bytes = 0;
    this.#seen = NO_FRAGMENTS;
    this.#chunks = [];
    this.#firstPayload = 0;
    this.#unprotected = EMPTY;
  }

  #has(n: number): boolean {
    return (this.#seen[(n - 1) >>> 5]! & (1 << ((n - 1) & 31))) !== 0;
  }

  #start(messageId: number, total: number): void {
    this.reset();
    this.#messageId = messageId;
    this.#total = total;
    this.#seen = new Uint32Array(Math.ceil(total / 32));
    this.#chunks = new Array<Uint8Array | undefined>(total);
  }
}
