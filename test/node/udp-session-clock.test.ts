/**
 * SessionClock under fake timers: one pending wake-up, replaced by each schedule() call, ticks
 * with the clock's `now`, steps through wake-ups beyond setTimeout's range, unref'd timers.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SessionClock } from "../../src/node/udp-session-clock.js";

const T0 = 1_700_000_000_000;

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

function recorder(): { ticks: number[]; clock: SessionClock } {
  const ticks: number[] = [];
  const clock = new SessionClock((now) => ticks.push(now));
  return { ticks, clock };
}

describe("SessionClock", () => {
  it("ticks once at the requested time with now()", () => {
    const { ticks, clock } = recorder();
    clock.schedule(T0 + 1000);
    expect(clock.wakeAt).toBe(T0 + 1000);
    vi.advanceTimersByTime(999);
    expect(ticks).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ticks).toEqual([T0 + 1000]);
    expect(clock.wakeAt).toBeNull();
    vi.advanceTimersByTime(10_000);
    expect(ticks).toEqual([T0 + 1000]);
  });

  it("replaces the pending wake-up on each schedule(), earlier or later", () => {
    const { ticks, clock } = recorder();
    clock.schedule(T0 + 1000);
    clock.schedule(T0 + 500);
    vi.advanceTimersByTime(2000);
    expect(ticks).toEqual([T0 + 500]);
    clock.schedule(T0 + 3000);
    clock.schedule(T0 + 5000);
    vi.advanceTimersByTime(3000);
    expect(ticks).toEqual([T0 + 500, T0 + 5000]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("cancels on null and undefined", () => {
    const { ticks, clock } = recorder();
    clock.schedule(T0 + 1000);
    clock.schedule(null);
    expect(clock.wakeAt).toBeNull();
    clock.schedule(T0 + 1000);
    clock.schedule(undefined);
    vi.advanceTimersByTime(5000);
    expect(ticks).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("ticks as soon as possible for a time in the past", () => {
    const { ticks, clock } = recorder();
    clock.schedule(T0 - 60_000);
    expect(ticks).toEqual([]); // never synchronously inside schedule()
    vi.advanceTimersByTime(0);
    expect(ticks).toEqual([T0]);
  });

  it("follows the session's answers when tick() reschedules itself", () => {
    const ticks: number[] = [];
    const clock = new SessionClock((now) => {
      ticks.push(now);
      clock.schedule(ticks.length < 3 ? now + 100 : null);
    });
    clock.schedule(T0 + 100);
    vi.advanceTimersByTime(1000);
    expect(ticks).toEqual([T0 + 100, T0 + 200, T0 + 300]);
  });

  it("reaches a wake-up beyond setTimeout's 2^31-1 ms limit in steps", () => {
    const { ticks, clock } = recorder();
    const fortyDays = 40 * 24 * 3600 * 1000;
    clock.schedule(T0 + fortyDays);
    vi.advanceTimersByTime(2 ** 31 - 1);
    expect(ticks).toEqual([]);
    vi.advanceTimersByTime(fortyDays - (2 ** 31 - 1) - 1);
    expect(ticks).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ticks).toEqual([T0 + fortyDays]);
  });

  it("uses an injected clock and waits again when the timer fires before it", () => {
    let now = 0;
    const ticks: number[] = [];
    const clock = new SessionClock((n) => ticks.push(n), { now: () => now });
    clock.schedule(1000);
    now = 500; // the injected clock lags behind the timer
    vi.advanceTimersByTime(1000);
    expect(ticks).toEqual([]);
    now = 1000;
    vi.advanceTimersByTime(500);
    expect(ticks).toEqual([1000]);
  });

  it("hands what tick() throws to onError", () => {
    const errors: unknown[] = [];
    const clock = new SessionClock(
      () => {
        throw new Error("session failed");
      },
      { onError: (e) => errors.push(e) },
    );
    clock.schedule(T0 + 10);
    vi.advanceTimersByTime(10);
    expect(errors).toEqual([new Error("session failed")]);
  });

  it("does nothing after close()", () => {
    const { ticks, clock } = recorder();
    clock.schedule(T0 + 10);
    clock.close();
    clock.schedule(T0 + 20);
    vi.advanceTimersByTime(100);
    expect(ticks).toEqual([]);
    expect(clock.wakeAt).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("refuses NaN", () => {
    const { clock } = recorder();
    expect(() => clock.schedule(Number.NaN)).toThrow(RangeError);
  });
});

describe("SessionClock timers", () => {
  it("does not keep the process alive (unref'd timer)", () => {
    vi.useRealTimers();
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    const clock = new SessionClock(() => {});
    clock.schedule(Date.now() + 60_000);
    expect(timers()).toBe(before);
    clock.close();
  });
});
