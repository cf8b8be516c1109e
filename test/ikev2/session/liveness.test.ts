/**
 * Liveness checks (dead peer detection, RFC 7296 §2.4) between two in-process sessions: the empty
 * INFORMATIONAL request after `dpdSeconds` without authenticated traffic, postponed by any IKE
 * message or ESP the caller reports with `peerAlive`, and the IKE SA ending as `"dead-peer"`
 * when the check goes unanswered.
 */
import { describe, expect, it } from "vitest";
import { nobleBackend } from "../../../src/crypto/noble/index.js";
import { ExchangeType } from "../../../src/ikev2/constants.js";
import { decodeMessage } from "../../../src/ikev2/message.js";
import { events, type Flight, Harness, initiatorConfig } from "./harness.js";

const DPD_S = 10;

function established(dpdSeconds?: number): Harness {
  const initiator = initiatorConfig(dpdSeconds === undefined ? {} : { dpdSeconds });
  const h = new Harness({ backend: nobleBackend, initiator }).start().run();
  expect(h.initiator.state).toBe("established");
  expect(h.responder?.state).toBe("established");
  return h;
}

/** The exchange type, direction and payload count of a flight's message. */
function describeFlight(f: Flight): { exchange: number; response: boolean; length: number } {
  const m = decodeMessage(f.datagram.data);
  return { exchange: m.header.exchangeType, response: m.header.response, length: m.payloads.length };
}

describe("liveness checks (RFC 7296 §2.4)", () => {
  it("sends an empty INFORMATIONAL after dpdSeconds of silence, and the answer keeps the SA", () => {
    const h = established(DPD_S);
    const sentBefore = h.wire.length;
    h.advance();
    expect(h.now).toBe(DPD_S * 1000);
    h.run();
    const flights = h.wire.slice(sentBefore).map(describeFlight);
    // The request carries only an empty SK payload; so does the answer (§1.4).
    expect(flights).toEqual([
      { exchange: ExchangeType.INFORMATIONAL, response: false, length: 1 },
      { exchange: ExchangeType.INFORMATIONAL, response: true, length: 1 },
    ]);
    expect(h.initiator.state).toBe("established");
    expect(events(h.iEvents, "ike-sa-down")).toHaveLength(0);
    // The next check is one interval after the answer.
    h.advance();
    expect(h.now).toBe(2 * DPD_S * 1000);
  });

  it("postpones the check while the caller reports ESP from the peer", () => {
    const h = established(DPD_S);
    h.initiator.peerAlive(7000);
    const out = h.initiator.tick(DPD_S * 1000);
    expect(out.datagrams).toHaveLength(0);
    expect(out.nextTick).toBe(7000 + DPD_S * 1000);
  });

  it("ends the IKE SA as dead-peer when the check is never answered, with its Child SAs", () => {
    const h = established(DPD_S);
    for (let i = 0; i < 20 && h.initiator.state !== "closed"; i++) {
      h.advance();
      h.run(() => null);
    }
    expect(h.initiator.state).toBe("closed");
    expect(events(h.iEvents, "ike-sa-down")).toEqual([{ type: "ike-sa-down", reason: "dead-peer" }]);
    expect(events(h.iEvents, "child-sa-down")).toHaveLength(1);
    // Six copies of the request: the first and five retransmissions (the default).
    const informational = h.wire.filter(
      (f) => f.toResponder && describeFlight(f).exchange === ExchangeType.INFORMATIONAL,
    );
    expect(informational).toHaveLength(6);
  });

  it("is off by default: no wake-up before the Child SA's rekey time", () => {
    const h = established();
    const out = h.initiator.tick(60_000);
    expect(out.datagrams).toHaveLength(0);
    expect(out.nextTick).toBeGreaterThan(2_900_000);
  });

  it("rejects a non-positive interval", () => {
    expect(() =>
      new Harness({ backend: nobleBackend, initiator: initiatorConfig({ dpdSeconds: 0 }) }).start(),
    ).toThrow(RangeError);
  });
});
