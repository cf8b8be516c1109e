/**
 * Simultaneous IKE SA rekeying (RFC 7296 §2.8.2), scripted: both ends rekey the IKE SA at once and
 * the new SA holding the lowest of the four nonces is deleted by the end that made it, on that SA;
 * the other new SA takes over the Child SAs and its maker deletes the old SA. Nonces are chosen
 * (a backend whose 32-octet random values come from a list) so each outcome is fixed. And the
 * special case where only one end notices the collision: the other answers TEMPORARY_FAILURE and
 * deletes the old SA, and the first "can forget its own rekey attempt".
 */
import { describe, expect, it } from "vitest";
import { ExchangeType } from "../../../src/ikev2/constants.js";
import { decodeMessage } from "../../../src/ikev2/message.js";
import type { IkeEvent } from "../../../src/ikev2/session/types.js";
import { toHex } from "../../../src/wire/bytes.js";
import { deps, events, type Flight, Harness, withNonces } from "./harness.js";

type IkeRekeyed = Extract<IkeEvent, { type: "ike-sa-rekeyed" }>;

function ikeRekeyed(list: readonly IkeEvent[]): IkeRekeyed[] {
  return list.filter((e): e is IkeRekeyed => e.type === "ike-sa-rekeyed");
}

/** An established pair; `a` and `b` receive the nonces the initiator and responder use next. */
function pair(): { h: Harness; a: number[]; b: number[] } {
  const a: number[] = [];
  const b: number[] = [];
  const h = new Harness({
    backend: withNonces([]),
    initiatorDeps: deps(withNonces(a)),
    responderDeps: deps(withNonces(b)),
  })
    .start()
    .run();
  expect(h.responder?.state).toBe("established");
  return { h, a, b };
}

/** Both ends start an IKE SA rekey at the same moment: req1 (A's) and req2 (B's) cross. */
function bothRekey(h: Harness): void {
  h.absorb(h.initiator.rekeyIke(h.now), false);
  h.absorb(h.responder!.rekeyIke(h.now), true);
}

/** Both ends speak for the same single IKE SA, kept their Child SA, and can still use it. */
function settled(h: Harness, oldSpiI: string): void {
  const i = h.initiator;
  const r = h.responder!;
  expect(i.state).toBe("established");
  expect(r.state).toBe("established");
  expect(toHex(i.spiI)).not.toBe(oldSpiI);
  expect(toHex(i.spiI)).toBe(toHex(r.spiI));
  expect(toHex(i.spiR)).toBe(toHex(r.spiR));
  expect(ikeRekeyed(h.iEvents)).toHaveLength(1);
  expect(ikeRekeyed(h.rEvents)).toHaveLength(1);
  expect(i.snapshot().childSas).toBe(1);
  expect(r.snapshot().childSas).toBe(1);
  expect(events(h.iEvents, "ike-sa-down")).toHaveLength(0);
  expect(events(h.rEvents, "ike-sa-down")).toHaveLength(0);
  // The surviving SA works: a Child SA rekey over it, and afterwards only its SPIs are in use.
  const up = events(h.iEvents, "child-sa-up")[0];
  if (up?.type !== "child-sa-up") throw new Error("no child-sa-up");
  h.absorb(i.rekeyChild(up.child.inbound.spi, h.now), false);
  h.run();
  expect(events(h.iEvents, "child-sa-rekeyed")).toHaveLength(1);
  expect(events(h.rEvents, "child-sa-rekeyed")).toHaveLength(1);
  expect(i.spis()).toHaveLength(1);
  expect(r.spis()).toHaveLength(1);
}

/** The SPI pair and direction of an INFORMATIONAL flight, for following the Deletes. */
function informational(f: Flight): { spiI: string; response: boolean } | undefined {
  const m = decodeMessage(f.datagram.data);
  if (m.header.exchangeType !== ExchangeType.INFORMATIONAL) return undefined;
  return { spiI: toHex(m.header.spiI), response: m.header.response };
}

describe("simultaneous IKE SA rekey (RFC 7296 §2.8.2)", () => {
  it("A's exchange holds the lowest nonce: A deletes the SA it made, B's survives, B deletes the old", () => {
    const { h, a, b } = pair();
    const oldSpiI = toHex(h.initiator.spiI);
    // A's Ni1 (first) and Nr2 (second) are lowest, and Ni1 < Nr2: exchange 1's SA is redundant.
    a.push(0x01, 0x02);
    b.push(0xf1, 0xf2);
    bothRekey(h);
    h.run();
    // Two INFORMATIONAL requests: A's Delete on the redundant SA and B's Delete of the old SA;
    // nobody deletes the surviving SA.
    const requests = h.wire.map(informational).filter((x) => x !== undefined && !x.response);
    expect(requests).toHaveLength(2);
    expect(requests.map((x) => x!.spiI)).toContain(oldSpiI);
    expect(requests.map((x) => x!.spiI)).not.toContain(toHex(h.initiator.spiI));
    // The new IKE SA is B's (B initiated exchange 2): B is its initiator.
    expect(h.responder!.role).toBe("initiator");
    expect(h.initiator.role).toBe("responder");
    settled(h, oldSpiI);
  });

  it("B's exchange holds the lowest nonce: B deletes the SA it made, A's survives, A deletes the old", () => {
    const { h, a, b } = pair();
    const oldSpiI = toHex(h.initiator.spiI);
    // B's Ni2 (its first) and Nr1 (second) are lowest, and Ni2 < Nr1: exchange 2's SA is redundant.
    a.push(0xf1, 0xf2);
    b.push(0x01, 0x02);
    bothRekey(h);
    h.run();
    settled(h, oldSpiI);
    expect(h.initiator.role).toBe("initiator");
    expect(h.responder!.role).toBe("responder");
  });

  it("only A notices: B answers TEMPORARY_FAILURE and deletes the old SA, A forgets its own rekey", () => {
    const { h } = pair();
    const oldSpiI = toHex(h.initiator.spiI);
    bothRekey(h);
    // Hold A's req1 back; B's req2 reaches A, which answers it (it is rekeying too: it notices).
    const req1 = h.step(() => null)!;
    h.step(); // req2 -> A
    h.step(); // resp2 -> B: B has its new SA and sends the Delete of the old one
    h.deliver(req1); // req1 reaches B, which is closing the old SA: TEMPORARY_FAILURE
    const answers = h.run().wire.filter((f) => {
      const m = decodeMessage(f.datagram.data);
      return m.header.exchangeType === ExchangeType.CREATE_CHILD_SA && m.header.response;
    });
    // resp2 and B's refusal of req1; A had moved to B's SA by then and drops the refusal.
    expect(answers).toHaveLength(2);
    expect(events(h.iEvents, "error")).toHaveLength(0);
    settled(h, oldSpiI);
    expect(h.responder!.role).toBe("initiator");
  });

  it("nothing of the colliding SAs is left after either end goes down", () => {
    const { h, a, b } = pair();
    a.push(0x01, 0x02);
    b.push(0xf1, 0xf2);
    bothRekey(h);
    // Deliver the crossing requests and A's answer only, then close A mid-collision.
    h.step();
    h.step();
    expect(h.initiator.spis().length).toBeGreaterThan(1);
    h.absorb(h.initiator.close(h.now), false);
    h.run();
    for (let i = 0; i < 12 && h.initiator.state !== "closed"; i++) h.advance().run();
    expect(h.initiator.state).toBe("closed");
    expect(h.initiator.spis()).toHaveLength(1);
  });
});
