/**
 * Unexpected input in every IkeSession state the harness reaches (OpenBSD 7.8 errata 027: iked's
 * out-of-bounds read, NULL dereference and inconsistent state on crafted IKEv2 messages in the
 * wrong order; the CVE-2013-6467 / CVE-2019-12312 / CVE-2014-2338 class in general).
 *
 * States: the initiator in init-sent, auth-sent, established and deleting; the responder in
 * init-done and established; and closed. Each gets, from the peer's address and with the peer's
 * real keys where the peer has them: unexpected exchange types (as requests and as responses),
 * wrong SPIs, old and future message IDs, responses to requests never sent, truncations and bad
 * length fields, flipped bits, payloads missing or repeated, bad KE values — and, as a property,
 * random mutations of the message the state does expect. RFC 7296 says what must happen:
 * §2.1–2.3 (message IDs, windows; unmatched responses dropped), §2.21 (errors), §3.1 (flags,
 * SPIs), §1.2 (IKE_AUTH first). `receive` never throws, and the session's state is unchanged
 * unless the RFC says to tear down or the message was the expected one.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeInnerPayloads, type Payload } from "../../src/ikev2/chain.js";
import { ExchangeType, NotifyType } from "../../src/ikev2/constants.js";
import { decodeMessage, encodeMessage } from "../../src/ikev2/message.js";
import type { IkeOutput, IkeSessionState } from "../../src/ikev2/session/types.js";
import { SkProtection } from "../../src/ikev2/sk-protect.js";
import { nodeBackend } from "../../src/node/backend.js";
import { Harness, I_ADDRESS, R_ADDRESS } from "../ikev2/session/harness.js";
import { established, hold, notifies, open } from "./helpers.js";

const backend = nodeBackend;
type Side = "initiator" | "responder";

/** A session in a given state, and the message it expects next from its peer. */
interface StateCase {
  readonly h: Harness;
  readonly target: Side;
  readonly state: IkeSessionState;
  /** The next message the target expects (verbatim bytes). */
  readonly legit: Uint8Array;
  readonly legitIsResponse: boolean;
  readonly legitExchange: number;
  readonly legitId: number;
  /** The message ID the target takes the peer's next request with. */
  readonly requestWindow: number;
  /** The target's state once `legit` is processed. */
  readonly progress: IkeSessionState;
  /** The peer can protect messages (it has IKE SA keys). */
  readonly peerHasKeys: boolean;
}

const peerOf = (s: Side): Side => (s === "initiator" ? "responder" : "initiator");

function session(c: StateCase) {
  return c.target === "initiator" ? c.h.initiator : c.h.responder!;
}

/** Delivers `data` to the target as from its peer; `receive` must not throw. */
function send(c: StateCase, data: Uint8Array): IkeOutput {
  const from = { address: c.target === "initiator" ? R_ADDRESS : I_ADDRESS, port: 500 };
  return session(c).receive(data, from, { port: 500 }, c.h.now);
}

function craft(
  c: StateCase,
  exchangeType: number,
  messageId: number,
  payloads: readonly Payload[],
  response: boolean,
) {
  return c.h.craft(peerOf(c.target), exchangeType, messageId, payloads, response);
}

/** Opens an SK message with `side`'s keys. */
function openWith(h: Harness, side: Side, data: Uint8Array): Payload[] {
  const session = side === "initiator" ? h.initiator : h.responder!;
  const { suite, keys } = session.ikeKeys()!;
  const sk = new SkProtection({ ...suite, backend, keys, role: side });
  const opened = sk.unprotect(data);
  sk.destroy();
  if (!opened.ok) throw new Error("cannot open");
  return decodeInnerPayloads(opened.plaintext, opened.firstPayload);
}

const STATES: Readonly<Record<string, () => StateCase>> = {
  "initiator init-sent": () => {
    const h = new Harness({ backend }).start();
    h.deliver(hold(h));
    const legit = hold(h).datagram.data;
    return {
      h,
      target: "initiator",
      state: "init-sent",
      legit,
      legitIsResponse: true,
      legitExchange: ExchangeType.IKE_SA_INIT,
      legitId: 0,
      requestWindow: 0,
      progress: "auth-sent",
      peerHasKeys: true,
    };
  },
  "initiator auth-sent": () => {
    const h = new Harness({ backend }).start();
    h.step();
    h.step();
    h.deliver(hold(h));
    const legit = hold(h).datagram.data;
    return {
      h,
      target: "initiator",
      state: "auth-sent",
      legit,
      legitIsResponse: true,
      legitExchange: ExchangeType.IKE_AUTH,
      legitId: 1,
      requestWindow: 0,
      progress: "established",
      peerHasKeys: true,
    };
  },
  "responder init-done": () => {
    const h = new Harness({ backend }).start();
    h.step();
    h.step();
    const legit = hold(h).datagram.data;
    return {
      h,
      target: "responder",
      state: "init-done",
      legit,
      legitIsResponse: false,
      legitExchange: ExchangeType.IKE_AUTH,
      legitId: 1,
      requestWindow: 1,
      progress: "established",
      peerHasKeys: true,
    };
  },
  "responder established": () => {
    const h = established({ backend });
    return {
      h,
      target: "responder",
      state: "established",
      legit: h.craft("initiator", ExchangeType.INFORMATIONAL, 2, []),
      legitIsResponse: false,
      legitExchange: ExchangeType.INFORMATIONAL,
      legitId: 2,
      requestWindow: 2,
      progress: "established",
      peerHasKeys: true,
    };
  },
  "initiator established": () => {
    const h = established({ backend });
    return {
      h,
      target: "initiator",
      state: "established",
      legit: h.craft("responder", ExchangeType.INFORMATIONAL, 0, []),
      legitIsResponse: false,
      legitExchange: ExchangeType.INFORMATIONAL,
      legitId: 0,
      requestWindow: 0,
      progress: "established",
      peerHasKeys: true,
    };
  },
  "initiator deleting": () => {
    const h = established({ backend });
    h.absorb(h.initiator.close(h.now), false);
    hold(h);
    return {
      h,
      target: "initiator",
      state: "deleting",
      legit: h.craft("responder", ExchangeType.INFORMATIONAL, 2, [], true),
      legitIsResponse: true,
      legitExchange: ExchangeType.INFORMATIONAL,
      legitId: 2,
      requestWindow: 0,
      progress: "closed",
      peerHasKeys: true,
    };
  },
};

/** Nothing sent, no event, the state as it was. */
function expectDrop(c: StateCase, out: IkeOutput): void {
  expect(out.datagrams).toHaveLength(0);
  expect(out.events).toHaveLength(0);
  expect(session(c).state).toBe(c.state);
}

function patched(data: Uint8Array, f: (b: Uint8Array, view: DataView) => void): Uint8Array {
  const b = data.slice();
  f(b, new DataView(b.buffer));
  return b;
}

const ALL_EXCHANGES = [0, 1, 33, ExchangeType.IKE_SA_INIT, 35, 36, 37, 38, 43, 44, 99, 255];

describe.each(Object.keys(STATES))("%s", (name) => {
  const make = STATES[name]!;

  it("control: the expected message moves the session on", () => {
    const c = make();
    send(c, c.legit);
    expect(session(c).state).toBe(c.progress);
  });

  it("wrong SPIs (either, or swapped): dropped", () => {
    const c = make();
    const variants = [
      patched(c.legit, (b) => {
        b[0]! ^= 0xff;
      }),
      patched(c.legit, (b) => b.copyWithin(0, 8, 16)),
    ];
    if (c.state !== "init-sent") {
      variants.push(
        patched(c.legit, (b) => {
          b[15]! ^= 0x01;
        }),
      );
    }
    for (const v of variants) expectDrop(c, send(c, v));
    send(c, c.legit);
    expect(session(c).state).toBe(c.progress);
  });

  it("truncated, padded, or with a Length field that disagrees: dropped", () => {
    const c = make();
    const n = c.legit.length;
    for (const v of [
      c.legit.subarray(0, 0),
      c.legit.subarray(0, 27),
      c.legit.subarray(0, 28),
      c.legit.subarray(0, n - 1),
      new Uint8Array([...c.legit, 0]),
      patched(c.legit, (_, d) => d.setUint32(24, n + 1)),
      patched(c.legit, (_, d) => d.setUint32(24, n - 1)),
      patched(c.legit, (_, d) => d.setUint32(24, 0xffffffff)),
      patched(c.legit, (b) => {
        b[17] = 0x30;
      }),
    ]) {
      expectDrop(c, send(c, v));
    }
  });

  it("a flipped bit in the body (the SK checksum no longer verifies): dropped", () => {
    const c = make();
    if (c.legitExchange === ExchangeType.IKE_SA_INIT) return;
    for (const at of [28 + 4, c.legit.length - 1, Math.floor(c.legit.length / 2)]) {
      expectDrop(
        c,
        send(
          c,
          patched(c.legit, (b) => {
            b[at]! ^= 0x10;
          }),
        ),
      );
    }
  });

  it("the flags: R and I bits flipped, so the message claims the wrong role or direction: dropped", () => {
    const c = make();
    for (const bit of [0x08, 0x20, 0x28]) {
      expectDrop(
        c,
        send(
          c,
          patched(c.legit, (b) => {
            b[19]! ^= bit;
          }),
        ),
      );
    }
  });

  it("future and old message IDs of the expected exchange: dropped", () => {
    const c = make();
    if (!c.peerHasKeys || c.legitExchange === ExchangeType.IKE_SA_INIT) return;
    const inner = openWith(c.h, c.target, c.legit);
    const ids = [c.legitId + 1, c.legitId + 1000, 0xffffffff];
    // An old request ID other than the last one answered (whose retransmission gets the cached answer).
    if (c.legitId >= 2 && !c.legitIsResponse) ids.push(c.legitId - 2);
    if (c.legitIsResponse && c.legitId >= 1) ids.push(c.legitId - 1);
    for (const id of ids) expectDrop(c, send(c, craft(c, c.legitExchange, id, inner, c.legitIsResponse)));
    send(c, c.legit);
    expect(session(c).state).toBe(c.progress);
  });

  it("a response to a request never sent (any exchange, any ID): dropped", () => {
    const c = make();
    if (!c.peerHasKeys) return;
    for (const exchangeType of [35, 36, 37, 99]) {
      for (const id of [0, 1, 2, 7, 0xffffffff]) {
        if (c.legitIsResponse && id === c.legitId && exchangeType === c.legitExchange) continue;
        expectDrop(c, send(c, craft(c, exchangeType, id, [], true)));
      }
    }
  });

  it("unexpected exchange types as requests in the request window: dropped (unless allowed in this state)", () => {
    const c = make();
    // RFC 7296 §1.2, §1.4: an established SA takes INFORMATIONAL and CREATE_CHILD_SA; a deleting
    // initiator still answers the peer's INFORMATIONAL.
    const allowed: Readonly<Record<IkeSessionState, readonly number[]>> = {
      "init-sent": [],
      "auth-sent": [],
      "init-done": [ExchangeType.IKE_AUTH],
      established: [ExchangeType.INFORMATIONAL, ExchangeType.CREATE_CHILD_SA],
      deleting: [ExchangeType.INFORMATIONAL],
      closed: [],
    };
    for (const exchangeType of ALL_EXCHANGES) {
      if (allowed[c.state].includes(exchangeType)) continue;
      const data =
        exchangeType === ExchangeType.IKE_SA_INIT
          ? encodeMessage({
              header: { ...decodeMessage(craft(c, 37, c.requestWindow, [], false)).header, exchangeType },
              payloads: [{ type: "Nonce", data: new Uint8Array(32) }],
            })
          : craft(c, exchangeType, c.requestWindow, [{ type: "Nonce", data: new Uint8Array(32) }], false);
      expectDrop(c, send(c, data));
    }
    send(c, c.legit);
    expect(session(c).state).toBe(c.progress);
  });

  it("unexpected exchange types as responses with the pending ID: dropped", () => {
    const c = make();
    if (!c.legitIsResponse) return;
    for (const exchangeType of ALL_EXCHANGES) {
      if (exchangeType === c.legitExchange || exchangeType === ExchangeType.IKE_SA_INIT) continue;
      expectDrop(c, send(c, craft(c, exchangeType, c.legitId, [], true)));
    }
    send(c, c.legit);
    expect(session(c).state).toBe(c.progress);
  });

  it("a request reusing the last answered message ID with another exchange type: not answered from the cache", () => {
    // RFC 7296 §2.1: the cached response answers a retransmission of the same request only.
    const c = make();
    if (c.requestWindow === 0) return;
    const last = c.requestWindow - 1;
    for (const exchangeType of [35, 36, 37].filter((x) => x !== (last === 0 ? 34 : 35))) {
      const out = send(c, craft(c, exchangeType, last, [], false));
      expect(out.datagrams, `${exchangeType} #${last}`).toHaveLength(0);
    }
  });

  it("a closed session takes nothing: every input above gets no output", () => {
    const c = make();
    session(c).close(c.h.now);
    expect(session(c).state === "closed" || session(c).state === "deleting").toBe(true);
    if (session(c).state !== "closed") return;
    for (const v of [c.legit, c.legit.subarray(0, 30), craft(c, 37, c.requestWindow, [], false)]) {
      expect(send(c, v)).toEqual({ datagrams: [], events: [], nextTick: undefined });
    }
  });

  it("random mutations of the expected message never throw; the state is kept, advanced or closed", () => {
    type Mutation =
      | { readonly kind: "flip"; readonly at: number; readonly bit: number }
      | { readonly kind: "truncate"; readonly to: number }
      | { readonly kind: "set"; readonly at: number; readonly value: number }
      | { readonly kind: "append"; readonly bytes: Uint8Array };
    const arb: fc.Arbitrary<Mutation> = fc.oneof(
      fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant("truncate" as const), to: fc.nat() }),
      fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({
        kind: fc.constant("append" as const),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
      }),
    );
    const apply = (data: Uint8Array, m: Mutation): Uint8Array => {
      const out = data.slice();
      if (m.kind === "flip") out[m.at % out.length]! ^= 1 << m.bit;
      else if (m.kind === "set") out[m.at % out.length] = m.value;
      else if (m.kind === "truncate") return out.subarray(0, m.to % out.length);
      else return new Uint8Array([...out, ...m.bytes]);
      return out;
    };
    fc.assert(
      fc.property(fc.array(arb, { minLength: 1, maxLength: 3 }), (ms) => {
        const c = make();
        const out = send(c, ms.reduce(apply, c.legit));
        expect([c.state, c.progress, "closed"]).toContain(session(c).state);
        expect(out.datagrams.length).toBeLessThanOrEqual(1);
        if (session(c).state === c.state) {
          // Kept: nothing happened, or (a request) it was answered.
          expect(out.events.filter((e) => e.type !== "error")).toHaveLength(0);
        }
      }),
      { numRuns: 25 },
    );
  });
});

describe("per-state payload and KE mistakes", () => {
  it("init-sent: IKE_SA_INIT response with a weak or wrong-group KE fails the negotiation, no IKE_AUTH sent", () => {
    for (const change of [
      (p: Payload) => (p.type === "KE" ? { ...p, data: new Uint8Array(32) } : p),
      (p: Payload) => (p.type === "KE" ? { ...p, group: 1025 } : p),
      (p: Payload) => (p.type === "KE" ? { ...p, group: 19, data: new Uint8Array(64) } : p),
    ]) {
      const c = STATES["initiator init-sent"]!();
      const m = decodeMessage(c.legit);
      const out = send(c, encodeMessage({ header: m.header, payloads: m.payloads.map(change) }));
      expect(out.datagrams).toHaveLength(0);
      expect(["init-sent", "closed"]).toContain(session(c).state);
      expect(session(c).ikeKeys()).toBeUndefined();
    }
  });

  it("auth-sent: the IKE_AUTH response with each payload missing or doubled never establishes", () => {
    const c0 = STATES["initiator auth-sent"]!();
    const names = openWith(c0.h, "initiator", c0.legit).map((p) => p.type);
    for (const name of names) {
      for (const change of ["remove", "repeat"] as const) {
        const c = STATES["initiator auth-sent"]!();
        const inner = openWith(c.h, "initiator", c.legit);
        const p = inner.find((x) => x.type === name)!;
        const changed = change === "remove" ? inner.filter((x) => x !== p) : [...inner, p];
        const out = send(c, craft(c, ExchangeType.IKE_AUTH, 1, changed, true));
        // RFC 7296 §2.21.2: an initiator that fails the responder's AUTH MAY say so in a separate
        // INFORMATIONAL (here with a Delete of the IKE SA); nothing else may go out.
        for (const d of out.datagrams) {
          expect(decodeMessage(d.data).header).toMatchObject({ exchangeType: 37, response: false });
          expect(notifies(open(c.h, "responder", d.data))).toEqual([NotifyType.AUTHENTICATION_FAILED]);
        }
        const up = out.events.some((e) => e.type === "ike-sa-up");
        // Removing an optional payload (a status notify) may still establish; anything required may not.
        if (up) expect(["N", "V"]).toContain(name);
        expect(["established", "closed"]).toContain(session(c).state);
      }
    }
  });

  it("init-done: the IKE_AUTH request with each payload missing or doubled: one error notify or established", () => {
    const c0 = STATES["responder init-done"]!();
    const names = [...new Set(openWith(c0.h, "responder", c0.legit).map((p) => p.type))];
    for (const name of names) {
      for (const change of ["remove", "repeat"] as const) {
        const c = STATES["responder init-done"]!();
        const inner = openWith(c.h, "responder", c.legit);
        const p = inner.find((x) => x.type === name)!;
        const changed = change === "remove" ? inner.filter((x) => x !== p) : [...inner, p];
        const out = send(c, craft(c, ExchangeType.IKE_AUTH, 1, changed, false));
        expect(out.datagrams).toHaveLength(1);
        const answer = open(c.h, "initiator", out.datagrams[0]!.data)!;
        if (session(c).state === "established") {
          expect(answer.map((x) => x.type)).toContain("AUTH");
        } else {
          expect(session(c).state).toBe("closed");
          expect(answer).toHaveLength(1);
          expect([NotifyType.INVALID_SYNTAX, NotifyType.AUTHENTICATION_FAILED]).toContain(
            notifies(answer)[0],
          );
        }
      }
    }
  });

  it("established: an IKE SA rekey with a low-order KE (u = 0, 1) is refused, the SA stays", () => {
    // u = 0 and u = 1: low-order X25519 points (RFC 7748 §6.1: the shared secret would be all zero).
    for (const data of [new Uint8Array(32), Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0))]) {
      const c = STATES["responder established"]!();
      const request: Payload[] = [
        {
          type: "SA",
          proposals: [
            {
              number: 1,
              protocolId: 1,
              spi: Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9),
              transforms: [
                { transformType: 1, id: 20, attributes: [{ format: "tv", attrType: 14, value: 256 }] },
                { transformType: 2, id: 5, attributes: [] },
                { transformType: 4, id: 31, attributes: [] },
              ],
            },
          ],
        },
        { type: "Nonce", data: new Uint8Array(32).fill(4) },
        { type: "KE", group: 31, data },
      ];
      const out = send(c, craft(c, ExchangeType.CREATE_CHILD_SA, 2, request, false));
      expect(out.datagrams).toHaveLength(1);
      const answer = open(c.h, "initiator", out.datagrams[0]!.data)!;
      expect(answer).toHaveLength(1);
      expect([NotifyType.INVALID_SYNTAX, NotifyType.NO_PROPOSAL_CHOSEN]).toContain(notifies(answer)[0]);
      expect(out.events.filter((e) => e.type === "ike-sa-rekeyed")).toHaveLength(0);
    }
  });

  it("deleting: the peer's own Delete crossing ours is answered; its CREATE_CHILD_SA is not", () => {
    const c = STATES["initiator deleting"]!();
    const del = send(
      c,
      craft(c, ExchangeType.INFORMATIONAL, 0, [{ type: "D", protocolId: 1, spis: [] }], false),
    );
    expect(del.datagrams).toHaveLength(1);
    expect(session(c).state).toBe("closed");
    const c2 = STATES["initiator deleting"]!();
    const child = send(
      c2,
      craft(c2, ExchangeType.CREATE_CHILD_SA, 0, [{ type: "Nonce", data: new Uint8Array(32) }], false),
    );
    expectDrop(c2, child);
  });
});
