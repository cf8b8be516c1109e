/**
 * A timer for driving a sans-I/O session on Node: after each call into the session, hand its
 * next wake-up time to {@link SessionClock.schedule}; the clock calls `tick(now)` then.
 *
 * @packageDocumentation
 */

/** `setTimeout` takes at most a signed 32-bit number of milliseconds (about 24.8 days). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Options of a {@link SessionClock}. @public */
export interface SessionClockOptions {
  /** The clock `wakeAt` and `tick(now)` are on, in milliseconds; default `Date.now`. */
  readonly now?: () => number;
  /** Receives what `tick` throws (which then never escapes the timer); without it, it is rethrown. */
  readonly onError?: (error: unknown) => void;
}

/**
 * One pending wake-up at a time, rescheduled by every {@link SessionClock.schedule} call. The
 * timer is `unref()`'d: a pending wake-up does not keep the process alive. Wake-ups further away
 * than `setTimeout` can wait are reached in steps.
 * @public
 */
export class SessionClock {
  readonly #tick: (now: number) => void;
  readonly #now: () => number;
  readonly #onError: ((error: unknown) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #wakeAt: number | null = null;
  #closed = false;

  /** @param tick - called with `now()` at (or just after) the scheduled time. */
  constructor(tick: (now: number) => void, options: SessionClockOptions = {}) {
    this.#tick = tick;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError;
  }

  /** The pending wake-up time, or null. */
  get wakeAt(): number | null {
    return this.#wakeAt;
  }

  /**
   * Replaces the pending wake-up with `wakeAt` (a time on the `now` clock; in the past means as
   * soon as possible); `null` or `undefined` cancels it. Ignored after {@link SessionClock.close}.
   */
  schedule(wakeAt: number | null | undefined): void {
    this.#cancel();
    if (this.#closed || wakeAt === null || wakeAt === undefined) return;
    if (Number.isNaN(wakeAt)) throw new RangeError("SessionClock: wakeAt is NaN");
    this.#wakeAt = wakeAt;
    this.#arm();
  }

  /** Cancels the pending wake-up for good. */
  close(): void {
    this.#closed = true;
    this.#cancel();
  }

  #arm(): void {
    const delay = Math.min(Math.max(this.#wakeAt! - this.#now(), 0), MAX_TIMEOUT_MS);
    this.#timer = setTimeout(() => this.#fire(), delay);
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    const now = this.#now();
    // Early: a far wake-up reached in steps, or a clock that is not the timer's (e.g. adjusted).
    if (now < this.#wakeAt!) {
      this.#arm();
      return;
    }
    this.#wakeAt = null;
    try {
      this.#tick(now);
    } catch (e) {
      if (this.#onError === undefined) throw e;
      this.#onError(e);
    }
  }

  #cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#wakeAt = null;
  }
}
