/**
 * Failed and retried negotiations (RFC 7296 §1.2, §2.6, §2.7, §2.15, §2.21), retransmission
 * (§2.1), deletion and liveness (§1.4), all between two in-process sessions with a fake clock.
 */
import { describe, expect, it } from "vitest";
import { nobleBackend } from "../../../src/crypto/noble/index.js";
import { ProtocolId } from "../../../src/crypto/registry.js";
import { ExchangeType, NotifyType } from "../../../src/ikev2/constants.js";
import { decodeMessage, encodeMessage } from "../../../src/ikev2/message.js";
import type { KePayload } from "../../../src/ikev2/payloads/ke.js";
import type { NotifyPayload } from "../../../src/ikev2/payloads/notify.js";
import { nodeBackend } from "../../../src/node/backend.js";
import { utf8 } from "../../../src/wire/bytes.js";
import {
  deps,
  events,
  type Flight,
  Harness,
  initiatorConfig,
  newGuard,
  pskStore,
  R_ADDRESS,
  responderConfig,
} from "./harness.js";

const backend = nobleBackend;

function exchangeOf(f: Flight): number {
  return decodeMessage(f.datagram.data).header.exchangeType;
}

function notifyTypes(f: Flight): number[] {
  return decodeMessage(f.datagram.data)
    .payloads.filter((p): p is NotifyPayload => p.type === "N")
    .map((p) => p.notifyType);
}

function downReasons(h: Harness): { i: string[]; r: string[] } {
  const reasons = (list: typeof h.iEvents) =>
    list.flatMap((e) => (e.type === "ike-sa-down" ? [e.reason] : []));
  return { i: reasons(h.iEvents), r: reasons(h.rEvents) };
}

describe("authentication", () => {
  it("a wrong PSK gives AUTHENTICATION_FAILED and no SAs on either side", () => {
    const h = new Harness({
      backend,
      responderDeps: deps(backend, pskStore(utf8("another secret"))),
    }).start();
    h.run();
    expect(h.initiator.state).toBe("closed");
    expect(h.responder?.state).toBe("closed");
    expect(downReasons(h)).toEqual({ i: ["authentication-failed"], r: ["authentication-failed"] });
    expect(events(h.iEvents, "error")).toMatchObject([{ notifyName: "AUTHENTICATION_FAILED" }]);
    expect(events(h.iEvents, "ike-sa-up")).toHaveLength(0);
    expect(events(h.rEvents, "ike-sa-up")).toHaveLength(0);
    expect(events(h.iEvents, "child-sa-up")).toHaveLength(0);
    expect(events(h.rEvents, "child-sa-up")).toHaveLength(0);
    expect(h.initiator.ikeKeys()).toBeUndefined();
  });

  it("a failed IKE_AUTH releases the responder's half-open slot", () => {
    const guard = newGuard(backend, 10);
    const h = new Harness({ backend, guard, responderDeps: deps(backend, pskStore(utf8("other"))) }).start();
    h.step();
    expect(guard.halfOpen).toBe(1);
    h.run();
    expect(h.responder?.state).toBe("closed");
    expect(guard.halfOpen).toBe(0);
  });

  it("a responder whose configured peer identity differs refuses the initiator", () => {
    const h = new Harness({
      backend,
      responder: responderConfig({ remoteId: { type: "fqdn", value: "someone.else" } }),
    }).start();
    h.run();
    expect(downReasons(h)).toEqual({ i: ["authentication-failed"], r: ["authentication-failed"] });
  });

  it("an initiator without a PSK sends no IKE_AUTH and tears the SA down", () => {
    const h = new Harness({ backend, initiatorDeps: deps(backend, pskStore(null)) }).start();
    h.run();
    expect(h.initiator.state).toBe("closed");
    expect(downReasons(h).i).toEqual(["authentication-failed"]);
    expect(h.wire.filter((f) => exchangeOf(f) === ExchangeType.IKE_AUTH)).toHaveLength(0);
  });

  it("KEY_ID, IPv4 and RFC822 identities authenticate", () => {
    for (const localId of [
      { type: "key-id", value: "cclient" },
      { type: "ipv4", value: "198.18.1.1" },
      { type: "rfc822", value: "alice@ikei.test" },
    ] as const) {
      const h = new Harness({ backend, initiator: initiatorConfig({ localId }) }).start();
      h.run();
      expect(h.responder?.state).toBe("established");
      expect(h.responder?.snapshot().remoteId?.type).toBe(localId.type);
    }
  });
});

describe("proposals", () => {
  it("no common IKE proposal: NO_PROPOSAL_CHOSEN, and the responder keeps no state", () => {
    const h = new Harness({
      backend,
      responder: responderConfig({ ikeProposals: ["aes128-sha1-ecp256"] }),
    }).start();
    h.run();
    expect(h.responderSessions).toBe(0);
    expect(notifyTypes(h.wire[1]!)).toEqual([NotifyType.NO_PROPOSAL_CHOSEN]);
    expect(h.initiator.state).toBe("closed");
    expect(downReasons(h).i).toEqual(["no-proposal-chosen"]);
  });

  it("INVALID_KE_PAYLOAD: the initiator retries with the group the responder wants", () => {
    const h = new Harness({
      backend,
      initiator: initiatorConfig({ ikeProposals: ["aes256gcm16-prfsha256-x25519-ecp256"] }),
      responder: responderConfig({ ikeProposals: ["aes256gcm16-prfsha256-ecp256"] }),
    }).start();
    h.run();
    expect(notifyTypes(h.wire[1]!)).toEqual([NotifyType.INVALID_KE_PAYLOAD]);
    const retry = decodeMessage(h.wire[2]!.datagram.data);
    expect(retry.header.messageId).toBe(0);
    expect(retry.payloads.find((p): p is KePayload => p.type === "KE")?.group).toBe(19);
    expect(h.responderSessions).toBe(1);
    expect(h.initiator.state).toBe("established");
    expect(h.initiator.snapshot().algorithms?.keGroup).toBe("ecp256");
  });

  it("INVALID_KE_PAYLOAD for a group we did not propose ends the attempt", () => {
    const h = new Harness({
      backend,
      initiator: initiatorConfig({ ikeProposals: ["aes256gcm16-prfsha256-x25519"] }),
    }).start();
    const request = h.step(() => null)!;
    const m = decodeMessage(request.datagram.data);
    const answer = encodeMessage({
      header: { ...m.header, response: true, initiator: false },
      payloads: [
        {
          type: "N",
          protocolId: 0,
          spi: new Uint8Array(0),
          notifyType: NotifyType.INVALID_KE_PAYLOAD,
          data: Uint8Array.of(0, 14),
        },
      ],
    });
    h.absorb(h.initiator.receive(answer, { address: R_ADDRESS, port: 500 }, { port: 500 }, 0), false);
    expect(h.initiator.state).toBe("closed");
    expect(h.pending).toBe(0);
    expect(events(h.iEvents, "error")).toMatchObject([{ notifyName: "INVALID_KE_PAYLOAD" }]);
  });

  it("an initiator on one backend and a responder on the other agree", () => {
    const h = new Harness({
      backend,
      initiatorDeps: deps(nobleBackend),
      responderDeps: deps(nodeBackend),
      initiator: initiatorConfig({
        ikeProposals: ["aes128-sha256-modp2048"],
        espProposals: ["aes128-sha256"],
      }),
    }).start();
    h.run();
    const ci = events(h.iEvents, "child-sa-up")[0];
    const cr = events(h.rEvents, "child-sa-up")[0];
    if (ci?.type !== "child-sa-up" || cr?.type !== "child-sa-up") throw new Error("no child");
    expect(ci.child.outbound.integrityKey).toEqual(cr.child.inbound.integrityKey);
  });

  it("logs exchanges and notifies by name", () => {
    const lines: string[] = [];
    const logger = {
      debug: (m: string) => lines.push(m),
      info: (m: string) => lines.push(m),
      warn: (m: string) => lines.push(m),
    };
    const h = new Harness({
      backend,
      responder: responderConfig({ ikeProposals: ["aes128-sha1-ecp256"] }),
      responderDeps: { ...deps(backend), logger },
      initiatorDeps: { ...deps(backend), logger },
    }).start();
    h.run();
    expect(lines.some((l) => l.includes("IKE_SA_INIT") && l.includes("NO_PROPOSAL_CHOSEN"))).toBe(true);
  });

  it("the responder takes the first of the initiator's proposals it accepts", () => {
    const h = new Harness({
      backend,
      initiator: initiatorConfig({
        ikeProposals: ["aes128-sha256-modp2048", "aes256gcm16-prfsha256-x25519"],
        espProposals: ["aes128-sha256", "aes256gcm16"],
      }),
    }).start();
    h.run();
    const s = h.responder!.snapshot();
    expect(s.algorithms).toEqual({
      encryption: "aes-cbc",
      keyBits: 128,
      integrity: "hmac-sha256-128",
      prf: "hmac-sha256",
      keGroup: "modp2048",
    });
  });

  it("no common ESP proposal: the IKE SA comes up without a Child SA (NO_PROPOSAL_CHOSEN)", () => {
    const h = new Harness({ backend, responder: responderConfig({ espProposals: ["aes128gcm16"] }) }).start();
    h.run();
    expect(h.initiator.state).toBe("established");
    expect(h.responder?.state).toBe("established");
    expect(events(h.iEvents, "child-sa-up")).toHaveLength(0);
    expect(events(h.rEvents, "child-sa-up")).toHaveLength(0);
    expect(events(h.iEvents, "error")).toMatchObject([{ notifyName: "NO_PROPOSAL_CHOSEN" }]);
  });

  it("disjoint traffic selectors: TS_UNACCEPTABLE, the IKE SA survives", () => {
    const h = new Harness({ backend, responder: responderConfig({ remoteTs: ["10.0.0.0/8"] }) }).start();
    h.run();
    expect(h.initiator.state).toBe("established");
    expect(events(h.iEvents, "error")).toMatchObject([{ notifyName: "TS_UNACCEPTABLE" }]);
    expect(h.initiator.snapshot().childSas).toBe(0);
  });

  it("the responder narrows wide selectors to its policy", () => {
    const h = new Harness({
      backend,
      initiator: initiatorConfig({ localTs: ["198.19.0.0/16"], remoteTs: ["0.0.0.0/0"] }),
    }).start();
    h.run();
    const up = events(h.iEvents, "child-sa-up")[0];
    if (up?.type !== "child-sa-up") throw new Error("no child");
    expect(up.child.localTs[0]?.startAddress).toEqual(Uint8Array.of(198, 19, 0, 0));
    expect(up.child.localTs[0]?.endAddress).toEqual(Uint8Array.of(198, 19, 0, 255));
    expect(up.child.remoteTs[0]?.startAddress).toEqual(Uint8Array.of(198, 19, 0, 2));
    expect(up.child.remoteTs[0]?.endAddress).toEqual(Uint8Array.of(198, 19, 0, 2));
  });
});

describe("cookies (RFC 7296 §2.6)", () => {
  it("under load the responder asks for a cookie statelessly, and the retry succeeds", () => {
    const guard = newGuard(backend, 0);
    const h = new Harness({ backend, guard }).start();
    h.step();
    expect(h.responderSessions).toBe(0);
    expect(notifyTypes(h.step()!)).toEqual([NotifyType.COOKIE]);
    const retry = decodeMessage(h.step()!.datagram.data);
    const first = retry.payloads[0];
    expect(first?.type === "N" && first.notifyType).toBe(NotifyType.COOKIE);
    h.run();
    expect(h.initiator.state).toBe("established");
    expect(h.responder?.state).toBe("established");
    expect(guard.halfOpen).toBe(0);
  });

  it("a wrong cookie is answered with a fresh one, and no state", () => {
    const guard = newGuard(backend, 0);
    const h = new Harness({ backend, guard }).start();
    h.step();
    h.step();
    h.step((f) => {
      const data = f.datagram.data.slice();
      data[36 + 8] = (data[36 + 8] ?? 0) ^ 1; // inside the COOKIE's data (header 28, generic 4, notify 4)
      return { ...f, datagram: { ...f.datagram, data } };
    });
    expect(h.responderSessions).toBe(0);
    expect(notifyTypes(h.step()!)).toEqual([NotifyType.COOKIE]);
  });

  it("counts half-open SAs and releases them when established or timed out", () => {
    const guard = newGuard(backend, 5);
    const h = new Harness({ backend, guard }).start();
    h.step();
    expect(guard.halfOpen).toBe(1);
    expect(h.responder?.state).toBe("init-done");
    // The IKE_SA_INIT response and the IKE_AUTH request are lost: the responder gives up.
    while (h.responder?.state === "init-done") {
      h.run(() => null);
      h.advance();
    }
    expect(h.responder?.state).toBe("closed");
    expect(downReasons(h).r).toEqual(["half-open-timeout"]);
    expect(guard.halfOpen).toBe(0);
  });
});

describe("retransmission (RFC 7296 §2.1)", () => {
  it("a lost response makes the initiator resend; the responder answers from its cache", () => {
    const h = new Harness({ backend }).start();
    h.step(); // IKE_SA_INIT request
    h.step(); // response
    h.step(); // IKE_AUTH request reaches the responder
    expect(h.responder?.state).toBe("established");
    h.step(() => null); // its response is lost
    expect(h.initiator.state).toBe("auth-sent");
    const before = h.rEvents.length;
    h.advance(); // the initiator's timer fires
    expect(h.now).toBe(1000);
    const resent = h.step()!;
    expect(exchangeOf(resent)).toBe(ExchangeType.IKE_AUTH);
    const answer = h.step()!;
    expect(h.initiator.state).toBe("established");
    // Answered from the cache: the same bytes as the lost response, no new events.
    expect(answer.datagram.data).toEqual(h.wire.at(-3)?.datagram.data);
    expect(h.rEvents.length).toBe(before);
    expect(events(h.rEvents, "child-sa-up")).toHaveLength(1);
  });

  it("a retransmitted IKE_SA_INIT request gets the cached response", () => {
    const h = new Harness({ backend }).start();
    const request = h.step()!;
    const first = h.step(() => null)!;
    h.deliver(request);
    expect(h.responderSessions).toBe(1);
    expect(h.step()?.datagram.data).toEqual(first.datagram.data);
  });

  it("backs off exponentially and gives up after the configured tries", () => {
    const h = new Harness({ backend, initiator: initiatorConfig({ retransmit: { tries: 3 } }) }).start();
    const sent: number[] = [];
    while (h.initiator.state !== "closed") {
      while (h.pending > 0) h.step(() => null);
      sent.push(h.now);
      h.advance();
    }
    expect(sent).toEqual([0, 1000, 3000, 7000]);
    expect(h.now).toBe(15000);
    expect(downReasons(h).i).toEqual(["timeout"]);
  });
});

describe("INFORMATIONAL (RFC 7296 §1.4)", () => {
  function established(): Harness {
    const h = new Harness({ backend }).start();
    h.run();
    expect(h.initiator.state).toBe("established");
    return h;
  }

  it.each([
    "initiator",
    "responder",
  ] as const)("a Delete of the IKE SA from the %s ends both sessions", (side) => {
    const h = established();
    const closer = side === "initiator" ? h.initiator : h.responder!;
    h.absorb(closer.close(h.now), side === "responder");
    expect(closer.state).toBe("deleting");
    h.run();
    expect(h.initiator.state).toBe("closed");
    expect(h.responder?.state).toBe("closed");
    const reasons = downReasons(h);
    expect(side === "initiator" ? reasons : { i: reasons.r, r: reasons.i }).toEqual({
      i: ["closed"],
      r: ["deleted-by-peer"],
    });
    expect(events(h.iEvents, "child-sa-down")).toHaveLength(1);
    expect(events(h.rEvents, "child-sa-down")).toHaveLength(1);
  });

  it("zeroizes the IKE SA and Child SA keys when the SA is deleted", () => {
    const h = established();
    const up = events(h.iEvents, "child-sa-up")[0];
    if (up?.type !== "child-sa-up") throw new Error("no child");
    const childKey = up.child.outbound.encryptionKey!;
    const skD = h.initiator.ikeKeys()!.keys.skD;
    expect(childKey.some((b) => b !== 0)).toBe(true);
    expect(skD.some((b) => b !== 0)).toBe(true);
    h.absorb(h.initiator.close(h.now), false);
    h.run();
    expect(childKey.every((b) => b === 0)).toBe(true);
    expect(skD.every((b) => b === 0)).toBe(true);
    expect(h.initiator.ikeKeys()).toBeUndefined();
  });

  it("an empty INFORMATIONAL request (liveness check) is answered", () => {
    const h = established();
    h.inject("initiator", h.craft("initiator", ExchangeType.INFORMATIONAL, 2, []));
    const answer = h.step()!;
    const m = decodeMessage(answer.datagram.data);
    expect(m.header.response).toBe(true);
    expect(m.header.messageId).toBe(2);
    expect(h.responder?.state).toBe("established");
  });

  it("a Delete of a Child SA is answered with our SPI of the pair and removes it", () => {
    const h = established();
    const up = events(h.iEvents, "child-sa-up")[0];
    if (up?.type !== "child-sa-up") throw new Error("no child");
    const spi = up.child.inbound.spi;
    const bytes = Uint8Array.of(spi >>> 24, (spi >>> 16) & 0xff, (spi >>> 8) & 0xff, spi & 0xff);
    h.inject(
      "initiator",
      h.craft("initiator", ExchangeType.INFORMATIONAL, 2, [
        { type: "D", protocolId: ProtocolId.ESP, spis: [bytes] },
      ]),
    );
    expect(events(h.rEvents, "child-sa-down")).toMatchObject([
      { outboundSpi: spi, reason: "deleted-by-peer" },
    ]);
    expect(h.responder?.snapshot().childSas).toBe(0);
    expect(h.responder?.state).toBe("established");
    h.step();
    expect(h.initiator.state).toBe("established");
  });

  it("an error notify in an INFORMATIONAL request is reported", () => {
    const h = established();
    h.inject(
      "initiator",
      h.craft("initiator", ExchangeType.INFORMATIONAL, 2, [
        {
          type: "N",
          protocolId: 0,
          spi: new Uint8Array(0),
          notifyType: NotifyType.TEMPORARY_FAILURE,
          data: new Uint8Array(0),
        },
      ]),
    );
    expect(events(h.rEvents, "error")).toMatchObject([
      { notifyName: "TEMPORARY_FAILURE", exchange: "INFORMATIONAL" },
    ]);
  });
});
