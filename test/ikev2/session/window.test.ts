/**
 * The message-ID window for the peer's requests (RFC 7296 §2.3, IOS `crypto ikev2 window`):
 * announced with SET_WINDOW_SIZE in IKE_AUTH, requests within it processed in the order they
 * arrive, their responses kept for retransmissions, anything outside it dropped.
 */
import { describe, expect, it } from "vitest";
import { nobleBackend } from "../../../src/crypto/noble/index.js";
import { ExchangeType, NotifyType } from "../../../src/ikev2/constants.js";
import { decodeMessage } from "../../../src/ikev2/message.js";
import { toHex } from "../../../src/wire/bytes.js";
import { type Flight, Harness, initiatorConfig, responderConfig } from "./harness.js";

function established(windowSize?: number): Harness {
  const responder = responderConfig(windowSize === undefined ? {} : { windowSize });
  const h = new Harness({ backend: nobleBackend, responder }).start().run();
  expect(h.responder?.state).toBe("established");
  return h;
}

/** Delivers the initiator's crafted INFORMATIONAL request `id` and returns the responder's answers. */
function request(h: Harness, id: number): Flight[] {
  h.inject("initiator", h.craft("initiator", ExchangeType.INFORMATIONAL, id, []));
  const answers: Flight[] = [];
  while (h.pending > 0) answers.push(h.step(() => null)!);
  return answers;
}

describe("message-ID window (RFC 7296 §2.3)", () => {
  it("announces SET_WINDOW_SIZE in the IKE_AUTH response when above one", () => {
    const h = established(5);
    const response = h.wire.find((f) => {
      const m = decodeMessage(f.datagram.data);
      return !f.toResponder && m.header.exchangeType === ExchangeType.IKE_AUTH;
    })!;
    const inner = h.innerOf(response);
    const n = inner.find((p) => p.type === "N" && p.notifyType === NotifyType.SET_WINDOW_SIZE);
    expect(n?.type === "N" ? toHex(n.data) : undefined).toBe("00000005");
  });

  it("with a window of 5, takes requests out of order and answers a retransmission from its cache", () => {
    const h = established(5);
    // The initiator's next request would be #2; #4 and #3 overtake it.
    const four = request(h, 4);
    const three = request(h, 3);
    const two = request(h, 2);
    expect([four.length, three.length, two.length]).toEqual([1, 1, 1]);
    expect(decodeMessage(four[0]!.datagram.data).header.messageId).toBe(4);
    // #4 again: the same bytes, from the cache.
    const again = request(h, 4);
    expect(again.map((f) => toHex(f.datagram.data))).toEqual([toHex(four[0]!.datagram.data)]);
    // The window is now #5 … #9: #10 is outside it, #1 (answered long ago: IKE_AUTH) is not re-answered.
    expect(request(h, 10)).toHaveLength(0);
    expect(request(h, 9)).toHaveLength(1);
    expect(h.responder!.state).toBe("established");
  });

  it("with the default window of 1, a request that overtakes the next one is dropped", () => {
    const h = established();
    expect(request(h, 3)).toHaveLength(0);
    expect(request(h, 2)).toHaveLength(1);
    expect(request(h, 3)).toHaveLength(1);
  });

  it("refuses a window outside 1..64", () => {
    for (const windowSize of [0, 65, 1.5]) {
      expect(() =>
        new Harness({ backend: nobleBackend, initiator: initiatorConfig({ windowSize }) }).start(),
      ).toThrow(RangeError);
    }
  });
});
