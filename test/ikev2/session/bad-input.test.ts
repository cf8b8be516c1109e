/**
 * Hostile and broken input against the sessions (RFC 7296 §2.21; ANCHORS §4): every message of
 * the exchange with payloads removed or repeated, bytes flipped, truncated, wrong SPIs and
 * message IDs, exchanges out of order, and the peers' CVE inputs. Each gets the RFC's notify or
 * a silent drop, the session stays consistent, and `receive` never throws.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TransformType } from "../../../src/crypto/registry.js";
import { decodeInnerPayloads, type Payload } from "../../../src/ikev2/chain.js";
import { ExchangeType, NotifyType } from "../../../src/ikev2/constants.js";
import { decodeMessage, encodeMessage, type IkeMessage } from "../../../src/ikev2/message.js";
import type { NotifyPayload } from "../../../src/ikev2/payloads/notify.js";
import type { SaPayload } from "../../../src/ikev2/payloads/sa.js";
import { SkProtection } from "../../../src/ikev2/sk-protect.js";
import { nodeBackend } from "../../../src/node/backend.js";
import { events, type Flight, Harness } from "./harness.js";

const backend = nodeBackend;

function withData(f: Flight, data: Uint8Array): Flight {
  return { ...f, datagram: { ...f.datagram, data } };
}

function notifyTypes(data: Uint8Array): number[] {
  return decodeMessage(data)
    .payloads.filter((p): p is NotifyPayload => p.type === "N")
    .map((p) => p.notifyType);
}

/** A harness with the initiator's IKE_SA_INIT request taken off the wire (not delivered). */
function initRequest(): { h: Harness; request: Flight; message: IkeMessage } {
  const h = new Harness({ backend }).start();
  const request = h.step(() => null)!;
  return { h, request, message: decodeMessage(request.datagram.data) };
}

/** Delivers a changed IKE_SA_INIT request; returns the responder's answer bytes, if any. */
function answerTo(h: Harness, request: Flight, payloads: readonly Payload[]): Uint8Array | undefined {
  const message = decodeMessage(request.datagram.data);
  h.deliver(withData(request, encodeMessage({ header: message.header, payloads })));
  return h.step(() => null)?.datagram.data;
}

/**
 * A harness after IKE_SA_INIT, with the initiator's IKE_AUTH request taken off the wire, and its
 * decrypted inner payloads (opened with the responder's keys).
 */
function authRequest(): { h: Harness; request: Flight; inner: Payload[] } {
  const h = new Harness({ backend }).start();
  h.step();
  h.step();
  const request = h.step(() => null)!;
  const { suite, keys } = h.responder!.ikeKeys()!;
  const sk = new SkProtection({ ...suite, backend, keys, role: "responder" });
  const opened = sk.unprotect(request.datagram.data);
  sk.destroy();
  if (!opened.ok) throw new Error("cannot open IKE_AUTH");
  return { h, request, inner: decodeInnerPayloads(opened.plaintext, opened.firstPayload) };
}

/** The responder's decrypted answer to a crafted IKE_AUTH request. */
function authAnswer(h: Harness, request: Flight, inner: readonly Payload[]): Payload[] | undefined {
  h.deliver(withData(request, h.craft("initiator", ExchangeType.IKE_AUTH, 1, inner)));
  const answer = h.step(() => null);
  if (answer === undefined) return undefined;
  const { suite, keys } = h.initiator.ikeKeys()!;
  const sk = new SkProtection({ ...suite, backend, keys, role: "initiator" });
  const opened = sk.unprotect(answer.datagram.data);
  sk.destroy();
  if (!opened.ok) throw new Error("cannot open the answer");
  return decodeInnerPayloads(opened.plaintext, opened.firstPayload);
}

describe("IKE_SA_INIT request (responder keeps no state)", () => {
  for (const name of ["SA", "KE", "Nonce"] as const) {
    it(`without ${name}: INVALID_SYNTAX`, () => {
      const { h, request, message } = initRequest();
      const answer = answerTo(
        h,
        request,
        message.payloads.filter((p) => p.type !== name),
      );
      expect(notifyTypes(answer!)).toEqual([NotifyType.INVALID_SYNTAX]);
      expect(decodeMessage(answer!).header.spiR).toEqual(new Uint8Array(8));
      expect(h.responderSessions).toBe(0);
    });

    it(`with ${name} twice: INVALID_SYNTAX`, () => {
      const { h, request, message } = initRequest();
      const p = message.payloads.find((x) => x.type === name)!;
      const answer = answerTo(h, request, [...message.payloads, p]);
      expect(notifyTypes(answer!)).toEqual([NotifyType.INVALID_SYNTAX]);
      expect(h.responderSessions).toBe(0);
    });
  }

  it("KE for group 1025 (CVE-2014-9221): INVALID_KE_PAYLOAD naming the chosen group", () => {
    const { h, request, message } = initRequest();
    const payloads = message.payloads.map((p) => (p.type === "KE" ? { ...p, group: 1025 } : p));
    const answer = decodeMessage(answerTo(h, request, payloads)!);
    const n = answer.payloads[0];
    expect(n?.type === "N" && n.notifyType).toBe(NotifyType.INVALID_KE_PAYLOAD);
    expect(n?.type === "N" && [...n.data]).toEqual([0, 31]);
    expect(h.responderSessions).toBe(0);
  });

  it("KE data of the wrong length (CVE-2023-41913): INVALID_SYNTAX", () => {
    for (const length of [0, 31, 33, 600]) {
      const { h, request, message } = initRequest();
      const payloads = message.payloads.map((p) =>
        p.type === "KE" ? { ...p, data: new Uint8Array(length) } : p,
      );
      expect(notifyTypes(answerTo(h, request, payloads)!)).toEqual([NotifyType.INVALID_SYNTAX]);
      expect(h.responderSessions).toBe(0);
    }
  });

  it("an all-zero X25519 public value: INVALID_SYNTAX", () => {
    const { h, request, message } = initRequest();
    const payloads = message.payloads.map((p) => (p.type === "KE" ? { ...p, data: new Uint8Array(32) } : p));
    expect(notifyTypes(answerTo(h, request, payloads)!)).toEqual([NotifyType.INVALID_SYNTAX]);
    expect(h.responderSessions).toBe(0);
  });

  it("a proposal without a KE transform (CVE-2016-5391): NO_PROPOSAL_CHOSEN", () => {
    const { h, request, message } = initRequest();
    const payloads = message.payloads.map((p): Payload => {
      if (p.type !== "SA") return p;
      const sa: SaPayload = {
        type: "SA",
        proposals: p.proposals.map((x) => ({
          ...x,
          transforms: x.transforms.filter((t) => t.transformType !== TransformType.KE),
        })),
      };
      return sa;
    });
    expect(notifyTypes(answerTo(h, request, payloads)!)).toEqual([NotifyType.NO_PROPOSAL_CHOSEN]);
    expect(h.responderSessions).toBe(0);
  });

  it("a proposal with an unknown transform type is unacceptable (RFC 7296 §3.3.6)", () => {
    const { h, request, message } = initRequest();
    const payloads = message.payloads.map(
      (p): Payload =>
        p.type === "SA"
          ? {
              type: "SA",
              proposals: p.proposals.map((x) => ({
                ...x,
                transforms: [...x.transforms, { transformType: 250, id: 1, attributes: [] }],
              })),
            }
          : p,
    );
    expect(notifyTypes(answerTo(h, request, payloads)!)).toEqual([NotifyType.NO_PROPOSAL_CHOSEN]);
  });

  it("truncated: INVALID_SYNTAX while the header is readable, nothing below 28 octets", () => {
    const { h, request } = initRequest();
    h.deliver(withData(request, request.datagram.data.subarray(0, 60)));
    expect(notifyTypes(h.step(() => null)!.datagram.data)).toEqual([NotifyType.INVALID_SYNTAX]);
    h.deliver(withData(request, request.datagram.data.subarray(0, 27)));
    expect(h.pending).toBe(0);
    expect(h.responderSessions).toBe(0);
  });

  it("a critical unknown payload: UNSUPPORTED_CRITICAL_PAYLOAD", () => {
    const { h, request, message } = initRequest();
    const answer = answerTo(h, request, [
      ...message.payloads,
      { type: "unknown", payloadType: 200, critical: true, body: new Uint8Array(4) },
    ]);
    const n = decodeMessage(answer!).payloads[0];
    expect(n?.type === "N" && [n.notifyType, ...n.data]).toEqual([
      NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD,
      200,
    ]);
  });

  it("not an IKE_SA_INIT request, a response, or a nonzero message ID: dropped", () => {
    const { h, request, message } = initRequest();
    for (const header of [
      { ...message.header, exchangeType: ExchangeType.INFORMATIONAL },
      { ...message.header, response: true },
      { ...message.header, messageId: 1 },
      { ...message.header, spiR: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) },
    ]) {
      h.deliver(withData(request, encodeMessage({ header, payloads: message.payloads })));
      expect(h.pending).toBe(0);
    }
    expect(h.responderSessions).toBe(0);
  });
});

describe("IKE_SA_INIT response (initiator)", () => {
  for (const name of ["SA", "KE", "Nonce"] as const) {
    it(`without or with two ${name}: dropped, the initiator keeps waiting`, () => {
      for (const change of ["remove", "repeat"] as const) {
        const h = new Harness({ backend }).start();
        h.step();
        h.step((f) => {
          const m = decodeMessage(f.datagram.data);
          const p = m.payloads.find((x) => x.type === name)!;
          const payloads = change === "remove" ? m.payloads.filter((x) => x !== p) : [...m.payloads, p];
          return withData(f, encodeMessage({ header: m.header, payloads }));
        });
        expect(h.pending).toBe(0);
        expect(h.initiator.state).toBe("init-sent");
      }
    });
  }

  it("is dropped when it breaks the rules, and the request is retransmitted", () => {
    const h = new Harness({ backend }).start();
    h.step();
    h.step((f) => {
      const m = decodeMessage(f.datagram.data);
      return withData(
        f,
        encodeMessage({ header: m.header, payloads: m.payloads.filter((p) => p.type !== "Nonce") }),
      );
    });
    expect(h.initiator.state).toBe("init-sent");
    h.advance();
    h.run();
    expect(h.initiator.state).toBe("established");
  });

  it("with KE data of the wrong length fails the negotiation", () => {
    const h = new Harness({ backend }).start();
    h.step();
    h.step((f) => {
      const m = decodeMessage(f.datagram.data);
      const payloads = m.payloads.map((p) => (p.type === "KE" ? { ...p, data: new Uint8Array(33) } : p));
      return withData(f, encodeMessage({ header: m.header, payloads }));
    });
    expect(h.initiator.state).toBe("closed");
  });
});

describe("IKE_AUTH request (responder after IKE_SA_INIT)", () => {
  for (const name of ["IDi", "SA", "TSi"] as const) {
    it(`without ${name}: INVALID_SYNTAX, and the IKE SA is not created`, () => {
      const { h, request, inner } = authRequest();
      const answer = authAnswer(
        h,
        request,
        inner.filter((p) => p.type !== name),
      );
      expect(answer).toMatchObject([{ type: "N", notifyType: NotifyType.INVALID_SYNTAX }]);
      expect(h.responder?.state).toBe("closed");
      expect(events(h.rEvents, "ike-sa-up")).toHaveLength(0);
    });
  }

  for (const name of ["IDi", "AUTH", "SA", "TSr"] as const) {
    it(`with ${name} twice: INVALID_SYNTAX`, () => {
      const { h, request, inner } = authRequest();
      const p = inner.find((x) => x.type === name)!;
      expect(authAnswer(h, request, [...inner, p])).toMatchObject([
        { notifyType: NotifyType.INVALID_SYNTAX },
      ]);
      expect(h.responder?.state).toBe("closed");
    });
  }

  it("without AUTH (an EAP request): AUTHENTICATION_FAILED", () => {
    const { h, request, inner } = authRequest();
    const answer = authAnswer(
      h,
      request,
      inner.filter((p) => p.type !== "AUTH"),
    );
    expect(answer).toMatchObject([{ notifyType: NotifyType.AUTHENTICATION_FAILED }]);
    expect(h.responder?.state).toBe("closed");
  });

  it.each([
    ["only EAP", [{ type: "EAP", code: 2, identifier: 1, eapType: 1, data: Uint8Array.of(98, 111, 98) }]],
    ["only AUTH", [{ type: "AUTH", method: 2, data: new Uint8Array(32) }]],
  ] as const)("in an EAP form (%s): AUTHENTICATION_FAILED, no EAP in this version", (_, inner) => {
    const { h, request } = authRequest();
    expect(authAnswer(h, request, inner as readonly Payload[])).toMatchObject([
      { notifyType: NotifyType.AUTHENTICATION_FAILED },
    ]);
    expect(h.responder?.state).toBe("closed");
  });

  it("with a changed AUTH value: AUTHENTICATION_FAILED", () => {
    const { h, request, inner } = authRequest();
    const changed = inner.map((p) =>
      p.type === "AUTH" ? { ...p, data: p.data.map((b, i) => (i === 0 ? b ^ 1 : b)) } : p,
    );
    expect(authAnswer(h, request, changed)).toMatchObject([{ notifyType: NotifyType.AUTHENTICATION_FAILED }]);
  });

  it("a flipped byte or truncation: dropped silently, the real request still succeeds", () => {
    const { h, request } = authRequest();
    const data = request.datagram.data;
    for (const bad of [
      data.map((b, i) => (i === data.length - 5 ? b ^ 0x40 : b)),
      data.map((b, i) => (i === 40 ? b ^ 1 : b)),
      data.subarray(0, data.length - 1),
      data.subarray(0, 30),
    ]) {
      h.deliver(withData(request, bad));
      expect(h.pending).toBe(0);
      expect(h.responder?.state).toBe("init-done");
    }
    h.deliver(request);
    h.run();
    expect(h.initiator.state).toBe("established");
  });

  it("wrong SPIs or message IDs: dropped", () => {
    const { h, request, inner } = authRequest();
    const good = h.craft("initiator", ExchangeType.IKE_AUTH, 1, inner);
    const wrongSpiR = good.slice();
    wrongSpiR[8] = (wrongSpiR[8] ?? 0) ^ 0xff;
    const wrongSpiI = good.slice();
    wrongSpiI[0] = (wrongSpiI[0] ?? 0) ^ 0xff;
    for (const bad of [wrongSpiR, wrongSpiI, h.craft("initiator", ExchangeType.IKE_AUTH, 2, inner)]) {
      h.deliver(withData(request, bad));
      expect(h.pending).toBe(0);
    }
    expect(h.responder?.state).toBe("init-done");
    h.deliver(withData(request, good));
    expect(h.responder?.state).toBe("established");
  });

  it.each([
    ["INFORMATIONAL instead of IKE_AUTH (CVE-2019-12312)", ExchangeType.INFORMATIONAL],
    ["CREATE_CHILD_SA before IKE_AUTH (CVE-2014-2338)", ExchangeType.CREATE_CHILD_SA],
    ["an unknown exchange type", 99],
  ])("%s: dropped, the SA stays unauthenticated", (_, exchangeType) => {
    const { h, request, inner } = authRequest();
    const rekey: Payload[] = [{ type: "Nonce", data: new Uint8Array(32) }];
    h.deliver(withData(request, h.craft("initiator", exchangeType, 1, exchangeType === 37 ? [] : rekey)));
    expect(h.pending).toBe(0);
    expect(h.responder?.state).toBe("init-done");
    expect(h.rEvents.filter((e) => e.type !== "error")).toHaveLength(0);
    h.deliver(withData(request, h.craft("initiator", ExchangeType.IKE_AUTH, 1, inner)));
    expect(h.responder?.state).toBe("established");
  });

  it("a response instead of a request: dropped", () => {
    const { h, request, inner } = authRequest();
    h.deliver(withData(request, h.craft("initiator", ExchangeType.IKE_AUTH, 1, inner, true)));
    expect(h.pending).toBe(0);
    expect(h.responder?.state).toBe("init-done");
  });
});

/** After IKE_SA_INIT and the IKE_AUTH request: the responder's IKE_AUTH answer, off the wire, opened. */
function authResponse(): { h: Harness; inner: Payload[] } {
  const { h, request } = authRequest();
  h.deliver(request);
  const answer = h.step(() => null)!;
  const { suite, keys } = h.initiator.ikeKeys()!;
  const sk = new SkProtection({ ...suite, backend, keys, role: "initiator" });
  const opened = sk.unprotect(answer.datagram.data);
  sk.destroy();
  if (!opened.ok) throw new Error("cannot open IKE_AUTH response");
  return { h, inner: decodeInnerPayloads(opened.plaintext, opened.firstPayload) };
}

describe("IKE_AUTH response (initiator)", () => {
  for (const name of ["IDr", "AUTH", "SA", "TSi", "TSr"] as const) {
    it(`without or with two ${name}: the IKE SA is not established`, () => {
      for (const change of ["remove", "repeat"] as const) {
        const { h, inner } = authResponse();
        const p = inner.find((x) => x.type === name)!;
        const changed = change === "remove" ? inner.filter((x) => x !== p) : [...inner, p];
        h.inject("responder", h.craft("responder", ExchangeType.IKE_AUTH, 1, changed, true));
        expect(h.initiator.state).toBe("closed");
        expect(events(h.iEvents, "ike-sa-up")).toHaveLength(0);
        const down = events(h.iEvents, "ike-sa-down")[0];
        expect(["invalid-syntax", "authentication-failed"]).toContain(
          down?.type === "ike-sa-down" && down.reason,
        );
      }
    });
  }

  it("the unchanged answer establishes", () => {
    const { h, inner } = authResponse();
    h.inject("responder", h.craft("responder", ExchangeType.IKE_AUTH, 1, inner, true));
    expect(h.initiator.state).toBe("established");
  });

  it.each([
    ["only AUTH", [{ type: "AUTH", method: 2, data: new Uint8Array(32) }]],
    ["IDr without AUTH", [{ type: "IDr", idType: 2, data: Uint8Array.of(0x72) }]],
  ] as const)("%s: authentication fails", (_, inner) => {
    const { h, request } = authRequest();
    h.deliver(request);
    h.step(() => null);
    h.inject("responder", h.craft("responder", ExchangeType.IKE_AUTH, 1, inner as readonly Payload[], true));
    expect(h.initiator.state).toBe("closed");
    expect(events(h.iEvents, "ike-sa-down")).toMatchObject([{ reason: "authentication-failed" }]);
  });
});

describe("requests the initiator does not expect", () => {
  it("in init-sent (no keys yet): an INFORMATIONAL request is dropped", () => {
    const h = new Harness({ backend }).start();
    const request = h.step(() => null)!;
    const m = decodeMessage(request.datagram.data);
    const forged = encodeMessage({
      header: {
        ...m.header,
        exchangeType: ExchangeType.INFORMATIONAL,
        initiator: false,
        spiR: new Uint8Array(8).fill(1),
      },
      payloads: [{ type: "SK", firstPayload: 0, content: new Uint8Array(40) }],
    });
    h.absorb(h.initiator.receive(forged, { address: "198.18.1.2", port: 500 }, { port: 500 }, 0), false);
    expect(h.pending).toBe(0);
    expect(h.initiator.state).toBe("init-sent");
  });

  it.each([
    ["INFORMATIONAL", ExchangeType.INFORMATIONAL],
    ["CREATE_CHILD_SA", ExchangeType.CREATE_CHILD_SA],
    ["IKE_AUTH", ExchangeType.IKE_AUTH],
  ])("in auth-sent: a %s request from the responder is dropped", (_, exchangeType) => {
    const { h, request } = authRequest();
    h.deliver(request);
    h.step(() => null);
    h.inject("responder", h.craft("responder", exchangeType, 0, []));
    expect(h.pending).toBe(0);
    expect(h.initiator.state).toBe("auth-sent");
  });
});

describe("established IKE SA", () => {
  it("a CREATE_CHILD_SA without traffic selectors or KE is answered and the SA stays", () => {
    const h = new Harness({ backend }).start();
    h.run();
    h.inject(
      "initiator",
      h.craft("initiator", ExchangeType.CREATE_CHILD_SA, 2, [
        {
          type: "SA",
          proposals: [
            {
              number: 1,
              protocolId: 3,
              spi: new Uint8Array(4).fill(9),
              transforms: [
                { transformType: 1, id: 20, attributes: [{ format: "tv", attrType: 14, value: 256 }] },
                { transformType: 5, id: 0, attributes: [] },
              ],
            },
          ],
        },
        { type: "Nonce", data: new Uint8Array(32) },
      ]),
    );
    expect(h.pending).toBe(1);
    expect(h.responder?.state).toBe("established");
  });

  it("an INFORMATIONAL request with a payload it must not carry: INVALID_SYNTAX, and the SA ends", () => {
    const h = new Harness({ backend }).start();
    h.run();
    h.inject(
      "initiator",
      h.craft("initiator", ExchangeType.INFORMATIONAL, 2, [
        { type: "IDi", idType: 2, data: Uint8Array.of(0x68, 0x69) },
      ]),
    );
    expect(h.responder?.state).toBe("closed");
    expect(events(h.rEvents, "ike-sa-down")).toMatchObject([{ reason: "invalid-syntax" }]);
    expect(h.pending).toBe(1);
  });

  it("an unsolicited response is dropped", () => {
    const h = new Harness({ backend }).start();
    h.run();
    h.inject("responder", h.craft("responder", ExchangeType.INFORMATIONAL, 7, [], true));
    expect(h.pending).toBe(0);
    expect(h.initiator.state).toBe("established");
  });
});

type Mutation =
  | { readonly kind: "flip"; readonly at: number; readonly bit: number }
  | { readonly kind: "truncate"; readonly to: number }
  | { readonly kind: "set"; readonly at: number; readonly value: number }
  | { readonly kind: "append"; readonly bytes: Uint8Array };

const arbMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("truncate" as const), to: fc.nat() }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("append" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
);

function mutate(data: Uint8Array, m: Mutation): Uint8Array {
  const out = data.slice();
  switch (m.kind) {
    case "flip":
      out[m.at % out.length]! ^= 1 << m.bit;
      return out;
    case "truncate":
      return out.subarray(0, m.to % out.length);
    case "set":
      out[m.at % out.length] = m.value;
      return out;
    case "append":
      return new Uint8Array([...out, ...m.bytes]);
  }
}

describe("random mutations (property)", () => {
  it("never throw, and the sessions stay consistent", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.array(arbMutation, { minLength: 1, maxLength: 3 }),
        (k, ms) => {
          const h = new Harness({ backend }).start();
          let n = 0;
          h.run((f) => {
            const index = n++;
            if (index !== k) return f;
            return withData(f, ms.reduce(mutate, f.datagram.data));
          });
          // Whatever happened, a lost message is recovered by retransmission or the SA ends.
          for (
            let i = 0;
            i < 8 && h.initiator.state !== "established" && h.initiator.state !== "closed";
            i++
          ) {
            h.advance();
            h.run();
          }
          const states = [h.initiator.state, h.responder?.state ?? "closed"];
          for (const s of states) expect(["established", "closed", "init-done"]).toContain(s);
          if (h.initiator.state === "established") {
            expect(h.responder?.state).toBe("established");
            const ci = events(h.iEvents, "child-sa-up")[0];
            const cr = events(h.rEvents, "child-sa-up")[0];
            if (ci?.type === "child-sa-up" && cr?.type === "child-sa-up") {
              expect(ci.child.outbound.encryptionKey).toEqual(cr.child.inbound.encryptionKey);
            }
          }
          const ups = events(h.iEvents, "ike-sa-up").length;
          expect(ups).toBeLessThanOrEqual(1);
          expect(events(h.iEvents, "ike-sa-down").length).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 150 },
    );
  });
});

/** Some of `list`'s payloads, some repeated, in a shuffled order. */
function arbReshuffle<T>(list: readonly T[]): fc.Arbitrary<T[]> {
  return fc
    .array(fc.nat({ max: list.length - 1 }), { maxLength: list.length + 2 })
    .map((picks) => picks.map((i) => list[i]!));
}

describe("reshuffled payload lists (property)", () => {
  it("IKE_SA_INIT: either a session with SA, KE and Nr, or one error notify and no state", () => {
    const { message } = initRequest();
    fc.assert(
      fc.property(arbReshuffle(message.payloads), (payloads) => {
        const { h, request } = initRequest();
        const answer = answerTo(h, request, payloads);
        const m = decodeMessage(answer!);
        if (h.responderSessions === 1) {
          expect(m.payloads.map((p) => p.type).slice(0, 3)).toEqual(["SA", "KE", "Nonce"]);
        } else {
          expect(m.payloads).toHaveLength(1);
          expect([NotifyType.INVALID_SYNTAX, NotifyType.NO_PROPOSAL_CHOSEN]).toContain(
            notifyTypes(answer!)[0],
          );
        }
      }),
      { numRuns: 60 },
    );
  });

  it("IKE_AUTH: either established with IDr and AUTH, or one error notify and the SA gone", () => {
    const { inner } = authRequest();
    fc.assert(
      fc.property(arbReshuffle(inner), (payloads) => {
        const { h, request } = authRequest();
        const answer = authAnswer(h, request, payloads)!;
        if (h.responder?.state === "established") {
          expect(answer.map((p) => p.type).slice(0, 2)).toEqual(["IDr", "AUTH"]);
          expect(events(h.rEvents, "ike-sa-up")).toHaveLength(1);
        } else {
          expect(h.responder?.state).toBe("closed");
          expect(answer).toHaveLength(1);
          const n = answer[0];
          expect([NotifyType.INVALID_SYNTAX, NotifyType.AUTHENTICATION_FAILED]).toContain(
            n?.type === "N" ? n.notifyType : -1,
          );
        }
      }),
      { numRuns: 60 },
    );
  });
});
