/**
 * Child SA rekey collisions (RFC 7296 §2.8.1, §2.25.1), scripted like strongSwan's
 * test_child_rekey.c `test_collision`: both ends rekey the same Child SA at once, and a rekey
 * crossing the Delete that ends the same Child SA. Nonces are chosen (a backend whose 32-octet
 * random values come from a list) so each diagram's outcome is fixed.
 */
import { describe, expect, it } from "vitest";
import { nobleBackend } from "../../../src/crypto/noble/index.js";
import { NotifyType } from "../../../src/ikev2/constants.js";
import { compareNonces, lowestNonce } from "../../../src/ikev2/session/tasks/create-child.js";
import type { ChildSaInfo, IkeEvent } from "../../../src/ikev2/session/types.js";
import { deps, espRoundTrip, events, Harness, withNonces } from "./harness.js";

type ChildRekeyed = Extract<IkeEvent, { type: "child-sa-rekeyed" }>;
type ChildDown = Extract<IkeEvent, { type: "child-sa-down" }>;

function rekeyed(list: readonly IkeEvent[]): ChildRekeyed[] {
  return list.filter((e): e is ChildRekeyed => e.type === "child-sa-rekeyed");
}

function downs(list: readonly IkeEvent[]): ChildDown[] {
  return list.filter((e): e is ChildDown => e.type === "child-sa-down");
}

function firstChild(list: readonly IkeEvent[]): ChildSaInfo {
  const e = list.find((x) => x.type === "child-sa-up");
  if (e?.type !== "child-sa-up") throw new Error("no child-sa-up");
  return e.child;
}

/** An established pair whose next nonces are `a` (initiator A) and `b` (responder B). */
function pair(a: number[], b: number[]): { h: Harness; a: number[]; b: number[] } {
  const aNonces: number[] = [];
  const bNonces: number[] = [];
  const h = new Harness({
    backend: nobleBackend,
    initiatorDeps: deps(withNonces(aNonces)),
    responderDeps: deps(withNonces(bNonces)),
  }).start();
  h.run();
  expect(h.responder?.state).toBe("established");
  aNonces.push(...a);
  bNonces.push(...b);
  return { h, a: aNonces, b: bNonces };
}

/** The one Child SA each end is left with: a matching pair that carries ESP both ways. */
function survivor(h: Harness): { a: ChildSaInfo; b: ChildSaInfo } {
  expect(h.initiator.snapshot().childSas).toBe(1);
  expect(h.responder!.snapshot().childSas).toBe(1);
  const upA = rekeyed(h.iEvents).map((e) => e.child);
  const upB = rekeyed(h.rEvents).map((e) => e.child);
  const goneA = new Set(downs(h.iEvents).map((d) => d.inboundSpi));
  const goneB = new Set(downs(h.rEvents).map((d) => d.inboundSpi));
  const a = upA.filter((c) => !goneA.has(c.inbound.spi));
  const b = upB.filter((c) => !goneB.has(c.inbound.spi));
  expect(a).toHaveLength(1);
  expect(b).toHaveLength(1);
  expect(a[0]!.outbound.spi).toBe(b[0]!.inbound.spi);
  expect(a[0]!.inbound.spi).toBe(b[0]!.outbound.spi);
  espRoundTrip(nobleBackend, a[0]!, b[0]!);
  espRoundTrip(nobleBackend, b[0]!, a[0]!);
  return { a: a[0]!, b: b[0]! };
}

describe("nonce order (RFC 7296 §2.8.1)", () => {
  it("is octet by octet, not numeric, and a prefix is the lower", () => {
    expect(compareNonces(Uint8Array.of(1, 255), Uint8Array.of(2, 0))).toBeLessThan(0);
    expect(compareNonces(Uint8Array.of(2), Uint8Array.of(1, 255, 255))).toBeGreaterThan(0);
    expect(compareNonces(Uint8Array.of(7, 7), Uint8Array.of(7, 7, 0))).toBeLessThan(0);
    expect(compareNonces(Uint8Array.of(7, 7), Uint8Array.of(7, 7))).toBe(0);
    expect(lowestNonce([Uint8Array.of(3), Uint8Array.of(1, 9), Uint8Array.of(2)])).toEqual(
      Uint8Array.of(1, 9),
    );
  });
});

describe("both ends rekey the same Child SA (RFC 7296 §2.8.1)", () => {
  /*
   *   A                                   B
   *   rekey(a1)                           rekey(b1)
   *   req1 N(REKEY_SA,a1) SA(a2) Ni1 -->
   *                                  <--  req2 N(REKEY_SA,b1) SA(b2) Ni2
   *   (rekeying a1: answer as usual)      (rekeying b1: answer as usual)
   *   resp2 SA(a3) Nr1               -->
   *                                  <--  resp1 SA(b3) Nr2
   *   Nonces decide: the SA of the exchange holding the lowest of Ni1, Nr2, Ni2, Nr1 is
   *   redundant and its initiator deletes it; the other initiator deletes a1/b1.
   */
  it.each([
    // The RFC's example: Nr1 (in resp2) is lowest, so B (the sender of req2) deletes a3/b2 as
    // redundant and A deletes the old SA.
    {
      name: "lowest nonce in B's exchange: B's new SA is redundant",
      a: [0x50, 0x10],
      b: [0x40, 0x30],
      loser: "B",
    },
    {
      name: "lowest nonce in A's exchange: A's new SA is redundant",
      a: [0x50, 0x60],
      b: [0x40, 0x30],
      loser: "A",
    },
  ])("$name", ({ a, b, loser }) => {
    const { h } = pair(a, b);
    const oldA = firstChild(h.iEvents);
    const oldB = firstChild(h.rEvents);
    h.absorb(h.initiator.rekeyChild(oldA.inbound.spi, h.now), false);
    h.absorb(h.responder!.rekeyChild(oldB.inbound.spi, h.now), true);
    h.run();

    // Each end reports both new SAs, then one goes down as redundant and the old one as rekeyed.
    expect(rekeyed(h.iEvents)).toHaveLength(2);
    expect(rekeyed(h.rEvents)).toHaveLength(2);
    const { a: keptA } = survivor(h);
    const reasons = (list: readonly IkeEvent[]) =>
      downs(list)
        .map(
          (d) =>
            `${d.inboundSpi === oldA.inbound.spi || d.inboundSpi === oldB.inbound.spi ? "old" : "new"}:${d.reason}`,
        )
        .sort();
    expect(reasons(h.iEvents)).toEqual(["new:redundant", "old:rekeyed"]);
    expect(reasons(h.rEvents)).toEqual(["new:redundant", "old:rekeyed"]);
    // The surviving SA is the one the winner's exchange made: its inbound SPI on A is the one A
    // proposed (req1) when A won, the one A answered with (resp2) when B won.
    const [fromReq2, fromReq1] = rekeyed(h.iEvents).map((e) => e.child.inbound.spi);
    expect(keptA.inbound.spi).toBe(loser === "B" ? fromReq1 : fromReq2);
  });
});

describe("a rekey crossing the Delete of the same Child SA (RFC 7296 §2.25.1)", () => {
  /*
   *   A                                   B
   *   rekey(a1)                           rekey(b1)
   *   req1 N(REKEY_SA,a1) ...        -->
   *                                  <--  resp1 (B noted the collision)
   *   D(a1)                          -->  (req2 N(REKEY_SA,b1) still on its way)
   *   req2 arrives after the Delete was sent: TEMPORARY_FAILURE (a1 is being closed), or
   *   after it was answered: CHILD_SA_NOT_FOUND (a1 is gone). Either way a1/b1 stays deleted and
   *   B's rekey makes nothing.
   */
  it.each([
    ["while the Delete is outstanding: TEMPORARY_FAILURE", false, NotifyType.TEMPORARY_FAILURE],
    ["after the Delete was answered: CHILD_SA_NOT_FOUND", true, NotifyType.CHILD_SA_NOT_FOUND],
  ])("%s", (_, deleteFirst, notifyType) => {
    const { h } = pair([], []);
    const oldA = firstChild(h.iEvents);
    const oldB = firstChild(h.rEvents);
    h.absorb(h.initiator.rekeyChild(oldA.inbound.spi, h.now), false);
    h.absorb(h.responder!.rekeyChild(oldB.inbound.spi, h.now), true);
    h.step(); // req1 to B, answered as usual
    const req2 = h.step(() => null)!; // req2 held back
    h.step(); // resp1 to A: A's rekey is done, it sends D(a1)
    expect(rekeyed(h.iEvents)).toHaveLength(1);
    if (deleteFirst) {
      h.step(); // D(a1) to B
      h.step(); // its answer to A
      expect(downs(h.iEvents)).toMatchObject([{ inboundSpi: oldA.inbound.spi, reason: "rekeyed" }]);
    }
    h.deliver(req2);
    h.run();
    expect(events(h.rEvents, "error")).toMatchObject([{ notifyType }]);
    expect(rekeyed(h.iEvents)).toHaveLength(1);
    expect(rekeyed(h.rEvents)).toHaveLength(1);
    expect(downs(h.iEvents)).toMatchObject([{ inboundSpi: oldA.inbound.spi, reason: "rekeyed" }]);
    expect(downs(h.rEvents)).toMatchObject([{ inboundSpi: oldB.inbound.spi, reason: "rekeyed" }]);
    survivor(h);
  });
});
