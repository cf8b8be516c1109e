/**
 * The inbound anti-replay window shared by ESP and AH: RFC 4303 §3.4.3 (ESP), RFC 4302 §3.4.3
 * (AH), the extended sequence number (ESN) rules of RFC 4303 Appendix A, and the ring-of-blocks
 * bitmap of RFC 6479, which slides the window by clearing whole blocks instead of shifting bits.
 *
 * Use it in three steps, so that an unauthenticated packet never moves the window
 * (RFC 4303 §3.4.3: "the receiver cannot yet modify its local counter, because the integrity of
 * the Sequence Number has not been verified at this point"):
 *
 * ```ts
 * const seqHi = window.check(seqLo);             // pure; negative = reject
 * if (seqHi < 0) return drop(seqHi);
 * if (!verifyIcv(seqHi, seqLo)) return drop();   // ESN: seqHi enters the ICV
 * if (!window.update(seqHi, seqLo)) return drop(); // after an await: the recheck
 * ```
 *
 * Sequence numbers are plain numbers: the transmitted low 32 bits and, with ESN, the inferred
 * high 32 bits. No call allocates.
 *
 * @packageDocumentation
 */

/**
 * Negative results of {@link ReplayWindow.check}. Any result ≥ 0 is the inferred high-order
 * 32 bits of the sequence number (always 0 without ESN).
 * @public
 */
export const ReplayVerdict = {
  /** The sequence number was already authenticated (RFC 4303 §3.4.3 "duplicate"). */
  REPLAYED: -1,
  /** The sequence number lies left of the window, or is the never-sent number 0. */
  TOO_OLD: -2,
} as const;

/**
 * Options of a {@link ReplayWindow}.
 * @public
 */
export interface ReplayWindowOptions {
  /**
   * Window size W in packets: 0 disables anti-replay (manually keyed SAs, RFC 4303 §3.3.3),
   * otherwise {@link ReplayWindow.MIN_SIZE} to {@link ReplayWindow.MAX_SIZE}.
   * Default {@link ReplayWindow.DEFAULT_SIZE} (64, the Cisco IOS default).
   */
  readonly size?: number;
  /** Extended (64-bit) sequence numbers, RFC 4303 §2.2.1 and Appendix A. Default false. */
  readonly esn?: boolean;
}

const TWO_32 = 4294967296;
/** 2^27: one unit of the high word, counted in 32-bit blocks. */
const BLOCKS_PER_SUBSPACE = 134217728;
const BLOCK_SHIFT = 5;
const BLOCK_BITS = 31;
/** Seqh inference without a bitmap (anti-replay disabled with ESN): the nearest subspace. */
const INFERENCE_ONLY_WINDOW = 2147483648;

/**
 * An anti-replay window for one inbound SA.
 *
 * The bitmap is a ring of M 32-bit blocks, M a power of two with (M − 1)·32 ≥ W (RFC 6479 §2):
 * the bit of sequence number S is bit `S mod 32` of block `(S / 32) mod M`, so a check never
 * depends on the window's lower edge and sliding clears blocks instead of shifting.
 *
 * Not safe for concurrent use from several threads (like all of ike-ts); an asynchronous caller
 * gets its recheck from {@link ReplayWindow.update}'s return value.
 * @public
 */
export class ReplayWindow {
  /** Default window size: 64 packets (RFC 4303 §3.4.3 "SHOULD be employed as the default"; Cisco IOS). */
  static readonly DEFAULT_SIZE = 64;
  /** Smallest enabled window: 32 packets (RFC 4303 §3.4.3 "A minimum window size of 32 packets"). */
  static readonly MIN_SIZE = 32;
  /** Largest window: 65 536 packets (an 8 KiB bitmap). */
  static readonly MAX_SIZE = 65536;

  /** Window size W; 0 when anti-replay is disabled. */
  readonly size: number;
  /** Whether sequence numbers are 64-bit (ESN). */
  readonly esn: boolean;

  readonly #bitmap: Uint32Array;
  readonly #mask: number;
  /** W used for the Appendix A2.2 inference (the real W, or 2^31 when disabled). */
  readonly #w: number;
  /** T, the highest authenticated sequence number (RFC 4303 App. A2): high and low words. */
  #th = 0;
  #tl = 0;

  /**
   * @throws `RangeError` when `size` is not 0 or an integer in [MIN_SIZE, MAX_SIZE].
   */
  constructor(options: ReplayWindowOptions = {}) {
    const size = options.size ?? ReplayWindow.DEFAULT_SIZE;
    if (
      !Number.isInteger(size) ||
      (size !== 0 && (size < ReplayWindow.MIN_SIZE || size > ReplayWindow.MAX_SIZE))
    ) {
      throw new RangeError(
        `replay window size must be 0 or ${ReplayWindow.MIN_SIZE}..${ReplayWindow.MAX_SIZE}, got ${size}`,
      );
    }
    this.size = size;
    this.esn = options.esn ?? false;
    // RFC 6479 §2: M blocks, a power of two, one more than the window needs (the redundant block).
    let blocks = 1;
    while ((blocks - 1) * 32 < size) blocks <<= 1;
    this.#bitmap = new Uint32Array(size === 0 ? 0 : blocks);
    this.#mask = blocks - 1;
    this.#w = size === 0 ? INFERENCE_ONLY_WINDOW : size;
  }

  /** False when anti-replay is disabled (size 0): every number passes, only Seqh is inferred. */
  get enabled(): boolean {
    return this.size !== 0;
  }

  /** High 32 bits of the highest authenticated sequence number T (0 without ESN). */
  get highestHi(): number {
    return this.#th;
  }

  /** Low 32 bits of the highest authenticated sequence number T (0 before the first packet). */
  get highestLo(): number {
    return this.#tl;
  }

  /**
   * The preliminary check (RFC 4303 §3.4.3), run before the ICV: does not change the window.
   *
   * @param seqLo - The Sequence Number field of the packet (unsigned 32-bit).
   * @returns The high-order 32 bits to use for this packet's ICV and for {@link ReplayWindow.update}
   *   (RFC 4303 App. A2.2; always 0 without ESN), or a negative {@link ReplayVerdict}.
   */
  check(seqLo: number): number {
    const lo = seqLo >>> 0;
    const tl = this.#tl;
    if (!this.esn) {
      if (this.size === 0) return 0; // §3.4.3: "no inbound checks are performed"
      if (lo > tl) return 0;
      // §3.3.3: the first packet carries 1, so 0 is never sent without ESN.
      if (lo === 0 || tl - lo >= this.size) return ReplayVerdict.TOO_OLD;
      return this.#seen(lo) ? ReplayVerdict.REPLAYED : 0;
    }
    const th = this.#th;
    const w = this.#w;
    let hi: number;
    if (tl >= w - 1) {
      // App. A2.2 Case A: the window lies within one subspace.
      if (lo >= tl - w + 1) {
        if (lo > tl) return th;
        hi = th;
      } else {
        // Seqh = Th + 1; past 2^64 − 1 nothing is valid (the sender stops first, §3.3.3).
        return th === 0xffffffff ? ReplayVerdict.TOO_OLD : th + 1;
      }
    } else if (lo >= (tl - w + 1) >>> 0) {
      // Case B, Seql ≥ Bl: the part of the window in the previous subspace (Seqh = Th − 1),
      // which does not exist while Th = 0 (sequence numbers below 1 are never sent).
      if (th === 0) return ReplayVerdict.TOO_OLD;
      hi = th - 1;
    } else {
      // Case B, Seql < Bl: Seqh = Th.
      if (lo > tl) return th;
      hi = th;
    }
    if (hi === 0 && lo === 0) return ReplayVerdict.TOO_OLD; // the 64-bit number 0 is never sent
    if (this.size === 0) return hi;
    return this.#seen(lo) ? ReplayVerdict.REPLAYED : hi;
  }

  /**
   * Records an authenticated sequence number, sliding the window when it is the new highest
   * (RFC 4303 App. A2.1). Call it only after the ICV verified.
   *
   * It re-validates against the current state, so a caller whose verification awaited (while
   * other packets advanced the window) uses its return value as the recheck.
   *
   * @returns false, changing nothing, when the number is already recorded or now too old.
   */
  update(seqHi: number, seqLo: number): boolean {
    const lo = seqLo >>> 0;
    const hi = this.esn ? seqHi >>> 0 : 0;
    const dHi = hi - this.#th;
    const d = dHi * TWO_32 + (lo - this.#tl);
    if (d > 0) {
      if (this.size !== 0) {
        // RFC 6479 §2: clear the blocks between T's block and the new one instead of shifting.
        const bitmap = this.#bitmap;
        const mask = this.#mask;
        const blocks = dHi * BLOCKS_PER_SUBSPACE + ((lo >>> BLOCK_SHIFT) - (this.#tl >>> BLOCK_SHIFT));
        if (blocks > mask) {
          bitmap.fill(0);
        } else {
          const from = this.#tl >>> BLOCK_SHIFT;
          for (let i = 1; i <= blocks; i++) bitmap[(from + i) & mask] = 0;
        }
        this.#mark(lo);
      }
      this.#th = hi;
      this.#tl = lo;
      return true;
    }
    if (this.size === 0) return true;
    if (-d >= this.size || (hi === 0 && lo === 0) || this.#seen(lo)) return false;
    this.#mark(lo);
    return true;
  }

  #seen(lo: number): boolean {
    return ((this.#bitmap[(lo >>> BLOCK_SHIFT) & this.#mask]! >>> (lo & BLOCK_BITS)) & 1) === 1;
  }

  #mark(lo: number): void {
    const i = (lo >>> BLOCK_SHIFT) & this.#mask;
    this.#bitmap[i] = this.#bitmap[i]! | (1 << (lo & BLOCK_BITS));
  }
}
