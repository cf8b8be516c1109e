/**
 * ANCHORS.md §4, the rows about malformed IKEv2 wire input, end to end: each triggering input is
 * delivered to `IkeSession.respond` or to a live session's `receive` (SK-protected with the real
 * keys where the input sits inside SK), and each test asserts the table's last column — the RFC
 * 7296 notify (INVALID_SYNTAX, INVALID_MAJOR_VERSION, UNSUPPORTED_CRITICAL_PAYLOAD,
 * TS_UNACCEPTABLE, AUTHENTICATION_FAILED) or a silent drop, no throw, and no state left. The
 * decoder-level versions of these rows are in test/ikev2/cve-codecs.test.ts.
 *
 * IKEv1 rows: covered by the IKEv1 issue (IKEv2 payload numbers inside IKEv1 messages, XAuth
 * names, IKEv1 fragments). EAP rows (CVE-2015-4171, CVE-2015-8023, CVE-2021-45079, CVE-2025-62291,
 * CVE-2026-35330/35333): EAP is not implemented; what applies is the EAP payload codec and that
 * every EAP form of IKE_AUTH fails closed (the "EAP" describe below). EAP-MSCHAPv2 / SIM / AKA /
 * RADIUS attribute parsers do not exist in ike-ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Payload } from "../../src/ikev2/chain.js";
import { EapCode, ExchangeType, IdType, NotifyType, PayloadType } from "../../src/ikev2/constants.js";
import { decodeMessage, encodeMessage } from "../../src/ikev2/message.js";
import { IkeSession } from "../../src/ikev2/session/ike-session.js";
import { nodeBackend } from "../../src/node/backend.js";
import {
  deps,
  events,
  Harness,
  I_ADDRESS,
  initiatorConfig,
  responderConfig,
} from "../ikev2/session/harness.js";
import {
  authHeld,
  cat,
  clearNotifies,
  craftRaw,
  established,
  hold,
  initHeld,
  notifies,
  open,
  type RawPayload,
  raw,
  rawChain,
  recordingLogger,
  u16,
  withData,
} from "./helpers.js";

const backend = nodeBackend;

/** Feeds a datagram to a responder endpoint with no SA: the answer's bytes, and whether a session came. */
function endpoint(data: Uint8Array): { answer: Uint8Array | undefined; session: boolean } {
  const res = IkeSession.respond(
    data,
    { address: I_ADDRESS, port: 500 },
    { port: 500 },
    responderConfig(),
    deps(backend),
    0,
  );
  return { answer: res.output.datagrams[0]?.data, session: res.session !== undefined };
}

/** A real IKE_SA_INIT request's bytes. */
function initBytes(): Uint8Array {
  return initHeld({ backend }).request.datagram.data;
}

/**
 * The responder's answer to a crafted IKE_AUTH request, opened: `edit` turns the real request's
 * inner payloads (same harness, so AUTH is valid) into the raw chain to send.
 */
function authWith(edit: (inner: Payload[]) => readonly (RawPayload | Payload)[]): {
  h: Harness;
  answer: Payload[] | undefined;
} {
  const { h, request, inner } = authHeld({ backend });
  h.deliver(withData(request, craftRaw(h, "initiator", ExchangeType.IKE_AUTH, 1, rawChain(edit(inner)))));
  const answer = h.pending > 0 ? open(h, "initiator", hold(h).datagram.data) : undefined;
  return { h, answer };
}

/** `inner` with each payload of `type` replaced by `by` (raw), or removed. */
function replaced(
  inner: readonly Payload[],
  type: Payload["type"],
  by: RawPayload | undefined,
): (RawPayload | Payload)[] {
  return inner.flatMap((p): (RawPayload | Payload)[] =>
    p.type === type ? (by === undefined ? [] : [by]) : [p],
  );
}

/** Inner payloads of an IKE_AUTH request (from another harness: fine where AUTH does not matter). */
const realAuthInner = (() => {
  let cache: Payload[] | undefined;
  return () => {
    cache ??= authHeld({ backend }).inner;
    return cache;
  };
})();

describe("CVE-2013-4564: very short packets, length mismatches, unknown major versions", () => {
  it("every datagram of 0-27 octets (a cut IKE_SA_INIT request): dropped, nothing sent, no session", () => {
    const b = initBytes();
    for (let n = 0; n < 28; n++)
      expect(endpoint(b.subarray(0, n))).toEqual({ answer: undefined, session: false });
  });

  it("header Length above or below the datagram: INVALID_SYNTAX (header readable), no session", () => {
    const b = initBytes();
    for (const claimed of [b.length + 1, b.length - 1, 28, 27, 0, 0xffffffff]) {
      const bad = b.slice();
      new DataView(bad.buffer).setUint32(24, claimed);
      const { answer, session } = endpoint(bad);
      expect(session).toBe(false);
      expect(clearNotifies(answer!)).toEqual([NotifyType.INVALID_SYNTAX]);
    }
    // A datagram longer than its header's Length (trailing octets) is refused the same way.
    const { answer } = endpoint(cat(b, Uint8Array.of(0, 0, 0, 0)));
    expect(clearNotifies(answer!)).toEqual([NotifyType.INVALID_SYNTAX]);
  });

  it.each([
    0, 1, 3, 15,
  ])("major version %i: INVALID_MAJOR_VERSION in a version-2 header, no session", (major) => {
    const bad = initBytes().slice();
    bad[17] = (major << 4) | 0;
    const { answer, session } = endpoint(bad);
    expect(session).toBe(false);
    const reply = decodeMessage(answer!);
    expect(answer![17]).toBe(0x20);
    expect(reply.header).toMatchObject({ response: true, initiator: false, messageId: 0 });
    expect(reply.header.spiR).toEqual(new Uint8Array(8));
    expect(clearNotifies(answer!)).toEqual([NotifyType.INVALID_MAJOR_VERSION]);
  });

  it("major version 3 on anything but an IKE_SA_INIT request: dropped", () => {
    const h = established({ backend });
    const liveness = h.craft("initiator", ExchangeType.INFORMATIONAL, 2, []);
    const v3 = liveness.slice();
    v3[17] = 0x30;
    expect(endpoint(v3)).toEqual({ answer: undefined, session: false });
    h.inject("initiator", v3);
    expect(h.pending).toBe(0);
    expect(h.responder?.state).toBe("established");
  });

  it("an established SA: cut, padded, length-mismatched or version-bumped copies of a real request are dropped", () => {
    const h = established({ backend });
    const good = h.craft("initiator", ExchangeType.INFORMATIONAL, 2, []);
    const variants = [
      good.subarray(0, 27),
      good.subarray(0, 28),
      good.subarray(0, good.length - 1),
      cat(good, Uint8Array.of(0)),
      ...[good.length + 4, good.length - 4, 28].map((n) => {
        const b = good.slice();
        new DataView(b.buffer).setUint32(24, n);
        return b;
      }),
      ...[0x00, 0x10, 0x30, 0xf0].map((v) => {
        const b = good.slice();
        b[17] = v;
        return b;
      }),
    ];
    for (const v of variants) {
      h.inject("initiator", v);
      expect(h.pending).toBe(0);
    }
    expect(h.responder?.state).toBe("established");
    h.inject("initiator", good);
    expect(h.pending).toBe(1);
  });
});

describe("CVE-2015-3991: IKEv1 payload numbers inside IKEv2 messages are unknown payloads", () => {
  // IKEv1 (RFC 2408 §3.1): SA 1 … VID 13, NAT-D 20, NAT-OA 21; 130 = draft NAT-D.
  const V1 = [1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 20, 21, 130];
  const v1Sa = Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 1);

  it("non-critical, in IKE_SA_INIT: skipped, the request is answered and a session made", () => {
    for (const t of V1) {
      const { h, request, message } = initHeld({ backend });
      const bytes = encodeMessage({
        header: message.header,
        payloads: [...message.payloads, { type: "unknown", payloadType: t, critical: false, body: v1Sa }],
      });
      h.deliver(withData(request, bytes));
      expect(h.responderSessions).toBe(1);
      expect(
        decodeMessage(hold(h).datagram.data)
          .payloads.map((p) => p.type)
          .slice(0, 3),
      ).toEqual(["SA", "KE", "Nonce"]);
    }
  });

  it("critical, in IKE_SA_INIT: UNSUPPORTED_CRITICAL_PAYLOAD naming the type, no session", () => {
    for (const t of V1) {
      const { h, request, message } = initHeld({ backend });
      const bytes = encodeMessage({
        header: message.header,
        payloads: [...message.payloads, { type: "unknown", payloadType: t, critical: true, body: v1Sa }],
      });
      h.deliver(withData(request, bytes));
      const reply = decodeMessage(hold(h).datagram.data);
      expect(reply.payloads).toMatchObject([
        { type: "N", notifyType: NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD, data: Uint8Array.of(t) },
      ]);
      expect(h.responderSessions).toBe(0);
    }
  });

  it("inside SK of an established SA: non-critical ignored (liveness answered); critical refused, SA kept", () => {
    const h = established({ backend });
    let id = 2;
    for (const t of V1) {
      h.inject(
        "initiator",
        craftRaw(h, "initiator", ExchangeType.INFORMATIONAL, id++, rawChain([{ type: t, body: v1Sa }])),
      );
      expect(open(h, "initiator", hold(h).datagram.data)).toEqual([]);
    }
    h.inject(
      "initiator",
      craftRaw(
        h,
        "initiator",
        ExchangeType.INFORMATIONAL,
        id++,
        rawChain([{ type: 5, critical: true, body: v1Sa }]),
      ),
    );
    const answer = open(h, "initiator", hold(h).datagram.data)!;
    expect(answer).toMatchObject([
      { type: "N", notifyType: NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD, data: Uint8Array.of(5) },
    ]);
    expect(h.responder?.state).toBe("established");
  });
});

describe("CVE-2015-3204: unassigned flag bits and numbers are safe to handle and to log", () => {
  it("reserved header flag bits and payload flag bits in IKE_SA_INIT are ignored (RFC 7296 §3.1, §3.2)", () => {
    const { h, request } = initHeld({ backend });
    const b = request.datagram.data.slice();
    b[19] = b[19]! | 0x01 | 0x02 | 0x04 | 0x40 | 0x80;
    // Every generic payload header's flags octet: set the 7 RESERVED bits.
    let at = 28;
    while (at < b.length) {
      b[at + 1] = 0x7f;
      at += (b[at + 2]! << 8) | b[at + 3]!;
    }
    h.deliver(withData(request, b));
    expect(h.responderSessions).toBe(1);
    expect(decodeMessage(hold(h).datagram.data).header.response).toBe(true);
  });

  it("unknown exchange types, notify types and payload numbers are logged as text without throwing", () => {
    const logger = recordingLogger();
    const h = established({ backend, responderDeps: { ...deps(backend), logger } });
    for (const exchangeType of [0, 33, 38, 99, 240, 255])
      h.inject("initiator", h.craft("initiator", exchangeType, 2, []));
    expect(h.pending).toBe(0);
    const strange: RawPayload[] = [8191, 16383, 40000, 65535].map((n) => ({
      type: PayloadType.N,
      body: cat(Uint8Array.of(0, 0), u16(n)),
    }));
    h.inject("initiator", craftRaw(h, "initiator", ExchangeType.INFORMATIONAL, 2, rawChain(strange)));
    expect(h.pending).toBe(1);
    expect(events(h.rEvents, "error")).toMatchObject([
      { notifyType: 8191, notifyName: "ERROR_8191" },
      { notifyType: 16383, notifyName: "ERROR_16383" },
    ]);
    expect(logger.lines.length).toBeGreaterThan(0);
    expect(logger.lines.every((l) => typeof l === "string")).toBe(true);
    expect(logger.lines.some((l) => l.includes("EXCHANGE_255") || l.includes("EXCHANGE_99"))).toBe(true);
  });
});

describe("CVE-2013-6467: withheld or renumbered payloads, per exchange, through the sessions", () => {
  it("IKE_SA_INIT request whose KE is renumbered (to 50 or to Nonce): INVALID_SYNTAX, no session", () => {
    for (const to of [50, PayloadType.Nonce]) {
      const b = initBytes().slice();
      expect(b[28]).toBe(PayloadType.KE);
      b[28] = to;
      const { answer, session } = endpoint(b);
      expect(session).toBe(false);
      expect(clearNotifies(answer!)).toEqual([NotifyType.INVALID_SYNTAX]);
    }
  });

  it("IKE_AUTH request with IDi, SA or TSr renumbered to an unassigned type: INVALID_SYNTAX, SA closed", () => {
    for (const name of ["IDi", "SA", "TSr"] as const) {
      const { h, answer } = authWith((inner) =>
        replaced(inner, name, { ...raw(inner.find((x) => x.type === name)!), type: 50 }),
      );
      expect(notifies(answer)).toEqual([NotifyType.INVALID_SYNTAX]);
      expect(h.responder?.state).toBe("closed");
      expect(events(h.rEvents, "ike-sa-up")).toHaveLength(0);
    }
  });

  it("IKE_AUTH request with TSi renumbered to TSr (two TSr, no TSi): INVALID_SYNTAX", () => {
    const { h, answer } = authWith((inner) =>
      replaced(inner, "TSi", { ...raw(inner.find((x) => x.type === "TSi")!), type: PayloadType.TSr }),
    );
    expect(notifies(answer)).toEqual([NotifyType.INVALID_SYNTAX]);
    expect(h.responder?.state).toBe("closed");
  });

  it("IKE_AUTH response with IDr or AUTH renumbered: the initiator never establishes", () => {
    for (const name of ["IDr", "AUTH"] as const) {
      const { h, request } = authHeld({ backend });
      h.deliver(request);
      const inner = open(h, "initiator", hold(h).datagram.data)!;
      const p = inner.find((x) => x.type === name)!;
      const chain = rawChain(replaced(inner, name, { ...raw(p), type: 50 }));
      h.inject("responder", craftRaw(h, "responder", ExchangeType.IKE_AUTH, 1, chain, { response: true }));
      expect(h.initiator.state).toBe("closed");
      expect(events(h.iEvents, "ike-sa-up")).toHaveLength(0);
    }
  });

  it("CREATE_CHILD_SA request without Nonce, or with TSi but no TSr: INVALID_SYNTAX", () => {
    for (const drop of ["Nonce", "TSr"] as const) {
      const h = established({ backend });
      const inner = realAuthInner()
        .filter((p) => p.type === "SA" || p.type === "TSi" || p.type === "TSr")
        .concat([{ type: "Nonce", data: new Uint8Array(32).fill(1) }])
        .filter((p) => p.type !== drop);
      h.inject("initiator", h.craft("initiator", ExchangeType.CREATE_CHILD_SA, 2, inner));
      expect(notifies(open(h, "initiator", hold(h).datagram.data))).toEqual([NotifyType.INVALID_SYNTAX]);
      expect(h.responder?.state).toBe("closed");
    }
  });

  it("CREATE_CHILD_SA response without SA or Nonce (our createChild): the initiator closes, no Child SA", () => {
    for (const drop of ["SA", "Nonce"] as const) {
      const h = established({ backend });
      h.absorb(h.initiator.createChild(["198.19.0.1/32"], ["198.19.0.2/32"], h.now), false);
      h.step();
      const answer = hold(h);
      const inner = open(h, "initiator", answer.datagram.data)!;
      const id = decodeMessage(answer.datagram.data).header.messageId;
      h.inject(
        "responder",
        h.craft(
          "responder",
          ExchangeType.CREATE_CHILD_SA,
          id,
          inner.filter((p) => p.type !== drop),
          true,
        ),
      );
      expect(events(h.iEvents, "child-sa-up")).toHaveLength(1);
      expect(h.initiator.state).toBe("closed");
    }
  });

  it("INFORMATIONAL with its Delete renumbered to an unassigned type: the Delete is ignored", () => {
    const h = established({ backend });
    const d = raw({ type: "D", protocolId: 1, spis: [] });
    h.inject(
      "initiator",
      craftRaw(h, "initiator", ExchangeType.INFORMATIONAL, 2, rawChain([{ ...d, type: 50 }])),
    );
    expect(open(h, "initiator", hold(h).datagram.data)).toEqual([]);
    expect(h.responder?.state).toBe("established");
  });
});

describe("CVE-2023-23009: malformed TS payloads through a real exchange", () => {
  const SEL = (type: number, length: number, rest: Uint8Array) =>
    cat(Uint8Array.of(type, 0), u16(length), rest);
  const V4 = (start: number[], end: number[], ports = [0, 65535]) =>
    cat(u16(ports[0]!), u16(ports[1]!), Uint8Array.from(start), Uint8Array.from(end));
  const GOOD = SEL(7, 16, V4([198, 19, 0, 1], [198, 19, 0, 1]));
  const ts = (count: number, ...selectors: Uint8Array[]) => cat(Uint8Array.of(count, 0, 0, 0), ...selectors);
  const MALFORMED: readonly (readonly [string, Uint8Array])[] = [
    ["count 2, one selector", ts(2, GOOD)],
    ["count 1, two selectors", ts(1, GOOD, GOOD)],
    ["count 0", ts(0)],
    ["count 255", ts(255, GOOD)],
    ["selector length 0", ts(1, SEL(7, 0, V4([0, 0, 0, 0], [0, 0, 0, 0])))],
    ["selector length 15", ts(1, SEL(7, 15, V4([0, 0, 0, 0], [0, 0, 0, 0])))],
    ["selector length 40 for IPv4", ts(1, SEL(7, 40, V4([0, 0, 0, 0], [0, 0, 0, 0])))],
    ["IPv6 selector of IPv4 size", ts(1, SEL(8, 16, V4([0, 0, 0, 0], [0, 0, 0, 0])))],
    ["start address above end", ts(1, SEL(7, 16, V4([198, 19, 0, 2], [198, 19, 0, 1])))],
    ["start port above end", ts(1, SEL(7, 16, V4([198, 19, 0, 1], [198, 19, 0, 1], [500, 400])))],
    ["truncated selector", ts(1, GOOD.subarray(0, 10))],
  ];
  const UNKNOWN: readonly (readonly [string, Uint8Array])[] = [
    ["TS type 0", ts(1, SEL(0, 16, V4([0, 0, 0, 0], [0, 0, 0, 0])))],
    ["TS type 9 (FC)", ts(1, SEL(9, 16, V4([0, 0, 0, 0], [0, 0, 0, 0])))],
    ["TS_SECLABEL (10)", ts(1, SEL(10, 8, Uint8Array.of(1, 2, 3, 4)))],
    ["TS type 255", ts(1, SEL(255, 16, V4([0, 0, 0, 0], [0, 0, 0, 0])))],
  ];

  it.each([...MALFORMED, ...UNKNOWN])("IKE_AUTH request, TSi %s: INVALID_SYNTAX, no SA kept", (_, body) => {
    const { h, answer } = authWith((inner) => replaced(inner, "TSi", { type: PayloadType.TSi, body }));
    expect(answer).toHaveLength(1);
    expect([NotifyType.INVALID_SYNTAX, NotifyType.TS_UNACCEPTABLE]).toContain(notifies(answer)[0]);
    if (notifies(answer)[0] === NotifyType.INVALID_SYNTAX) expect(h.responder?.state).toBe("closed");
    expect(events(h.rEvents, "child-sa-up")).toHaveLength(0);
  });

  it.each(MALFORMED)("CREATE_CHILD_SA request, TSr %s: INVALID_SYNTAX, no Child SA", (_, body) => {
    const h = established({ backend });
    const inner = realAuthInner()
      .filter((p) => p.type === "SA" || p.type === "TSi")
      .concat([{ type: "Nonce", data: new Uint8Array(32).fill(1) }]);
    h.inject(
      "initiator",
      craftRaw(
        h,
        "initiator",
        ExchangeType.CREATE_CHILD_SA,
        2,
        rawChain([...inner, { type: PayloadType.TSr, body }]),
      ),
    );
    expect(notifies(open(h, "initiator", hold(h).datagram.data))).toEqual([NotifyType.INVALID_SYNTAX]);
    expect(events(h.rEvents, "child-sa-up")).toHaveLength(1);
  });

  it("well-formed selectors outside the policy (IPv6, other hosts): TS_UNACCEPTABLE, the IKE SA is up", () => {
    const v6 = SEL(
      8,
      40,
      cat(u16(0), u16(65535), new Uint8Array(16).fill(0x20), new Uint8Array(16).fill(0x20)),
    );
    const { h, answer } = authWith((inner) =>
      replaced(inner, "TSi", { type: PayloadType.TSi, body: ts(1, v6) }),
    );
    expect(notifies(answer)).toContain(NotifyType.TS_UNACCEPTABLE);
    expect(h.responder?.state).toBe("established");
    expect(events(h.rEvents, "child-sa-up")).toHaveLength(0);
  });
});

describe("CVE-2026-12413: many unknown non-critical payloads around SK / SKF", () => {
  const unknown = (i: number): Payload => ({
    type: "unknown",
    payloadType: 100 + (i % 100),
    critical: false,
    body: new Uint8Array(i % 3),
  });

  it("up to 63 unknown payloads in the clear before SK: the liveness check is answered", () => {
    for (const n of [1, 10, 63]) {
      const h = established({ backend });
      const unprotected = Array.from({ length: n }, (_, i) => unknown(i));
      h.inject(
        "initiator",
        craftRaw(h, "initiator", ExchangeType.INFORMATIONAL, 2, rawChain([]), { unprotected }),
      );
      expect(h.pending).toBe(1);
    }
  });

  it("64 or 5000 payloads in all: dropped silently, the SA stays", () => {
    for (const n of [64, 5000]) {
      const h = established({ backend });
      const unprotected = Array.from({ length: n }, (_, i) => unknown(i));
      h.inject(
        "initiator",
        craftRaw(h, "initiator", ExchangeType.INFORMATIONAL, 2, rawChain([]), { unprotected }),
      );
      expect(h.pending).toBe(0);
      expect(h.responder?.state).toBe("established");
    }
  });

  it("more than 64 unknown payloads inside SK: INVALID_SYNTAX, no throw", () => {
    const h = established({ backend });
    const inner = Array.from(
      { length: 70 },
      (_, i): RawPayload => ({ type: 100 + (i % 100), body: new Uint8Array(0) }),
    );
    h.inject("initiator", craftRaw(h, "initiator", ExchangeType.INFORMATIONAL, 2, rawChain(inner)));
    expect(notifies(open(h, "initiator", hold(h).datagram.data))).toEqual([NotifyType.INVALID_SYNTAX]);
  });

  it("an SKF with bogus content behind 0-200 unknown payloads: dropped, no throw, no state change", () => {
    const { h, request } = authHeld({ backend });
    const spiI = h.responder!.spiI;
    const spiR = h.responder!.spiR;
    for (const n of [0, 1, 30, 63, 200]) {
      const bytes = encodeMessage({
        header: {
          spiI,
          spiR,
          minorVersion: 0,
          exchangeType: ExchangeType.IKE_AUTH,
          initiator: true,
          response: false,
          higherVersion: false,
          messageId: 1,
        },
        payloads: [
          ...Array.from({ length: n }, (_, i) => unknown(i)),
          {
            type: "SKF",
            firstPayload: 35,
            fragmentNumber: 1,
            totalFragments: 2,
            content: new Uint8Array(64),
          },
        ],
      });
      h.deliver(withData(request, bytes));
      expect(h.pending).toBe(0);
    }
    expect(h.responder?.state).toBe("init-done");
  });

  it("IKE_SA_INIT with 70 unknown payloads: INVALID_SYNTAX, no session", () => {
    const { h, request, message } = initHeld({ backend });
    const bytes = encodeMessage({
      header: message.header,
      payloads: [...Array.from({ length: 70 }, (_, i) => unknown(i)), ...message.payloads],
    });
    h.deliver(withData(request, bytes));
    expect(clearNotifies(hold(h).datagram.data)).toEqual([NotifyType.INVALID_SYNTAX]);
    expect(h.responderSessions).toBe(0);
  });
});

describe("CVE-2013-6075: ID_DER_ASN1_DN (and GN) identities with bad lengths", () => {
  const BAD_DN = [
    Uint8Array.of(0x30, 0x05, 0x02, 0x01, 0x00),
    Uint8Array.of(0x30, 0x03, 0x02, 0x01),
    Uint8Array.of(0x30, 0x83, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00),
    Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff),
    Uint8Array.of(0x30),
    new Uint8Array(0),
    Uint8Array.of(0x31, 0x00),
  ];

  it.each(
    BAD_DN.map((d) => [Array.from(d, (b) => b.toString(16).padStart(2, "0")).join(""), d] as const),
  )("IDi DN %s: INVALID_SYNTAX, the half-open SA is closed", (_, dn) => {
    const { h, answer } = authWith((inner) =>
      replaced(inner, "IDi", {
        type: PayloadType.IDi,
        body: cat(Uint8Array.of(IdType.ID_DER_ASN1_DN, 0, 0, 0), dn),
      }),
    );
    expect(notifies(answer)).toEqual([NotifyType.INVALID_SYNTAX]);
    expect(h.responder?.state).toBe("closed");
  });

  it("IDr (the requested responder identity) as a bad DN or GN: INVALID_SYNTAX", () => {
    for (const [idType, data] of [
      [IdType.ID_DER_ASN1_DN, Uint8Array.of(0x30, 0x7f, 0x00)],
      [IdType.ID_DER_ASN1_GN, Uint8Array.of(0x82, 0x05, 0x61)],
    ] as const) {
      const { answer } = authWith((inner) => {
        const parts: (RawPayload | Payload)[] = inner.filter((p) => p.type !== "IDr");
        parts.splice(inner.findIndex((p) => p.type === "IDi") + 1, 0, {
          type: PayloadType.IDr,
          body: cat(Uint8Array.of(idType, 0, 0, 0), data),
        });
        return parts;
      });
      expect(notifies(answer)).toEqual([NotifyType.INVALID_SYNTAX]);
    }
  });

  it("a well-formed DN identity (type not configurable here): AUTHENTICATION_FAILED, no throw", () => {
    const dn = Uint8Array.of(
      0x30,
      0x0d,
      0x31,
      0x0b,
      0x30,
      0x09,
      0x06,
      0x03,
      0x55,
      0x04,
      0x03,
      0x0c,
      0x02,
      0x68,
      0x69,
    );
    const { h, answer } = authWith((inner) =>
      replaced(inner, "IDi", {
        type: PayloadType.IDi,
        body: cat(Uint8Array.of(IdType.ID_DER_ASN1_DN, 0, 0, 0), dn),
      }),
    );
    expect(notifies(answer)).toEqual([NotifyType.AUTHENTICATION_FAILED]);
    expect(h.responder?.state).toBe("closed");
  });

  it("the initiator given an IDr with a bad DN: closed (invalid-syntax), never established", () => {
    const { h, request } = authHeld({ backend });
    h.deliver(request);
    const inner = open(h, "initiator", hold(h).datagram.data)!;
    const chain = rawChain(
      replaced(inner, "IDr", { type: PayloadType.IDr, body: cat(Uint8Array.of(9, 0, 0, 0), BAD_DN[0]!) }),
    );
    h.inject("responder", craftRaw(h, "responder", ExchangeType.IKE_AUTH, 1, chain, { response: true }));
    expect(h.initiator.state).toBe("closed");
    expect(events(h.iEvents, "ike-sa-down")).toMatchObject([{ reason: "invalid-syntax" }]);
  });
});

describe("CVE-2013-5018: identities whose bytes look like ASN.1 (0x30 …) with bad lengths", () => {
  const LOOKALIKES = [
    Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff),
    Uint8Array.of(0x30, 0x80),
    Uint8Array.of(0x30, 0x05, 0x01),
    Uint8Array.of(0x30),
  ];

  it.each(
    LOOKALIKES.map((v, i) => [i, v] as const),
  )("KEY_ID lookalike #%i: opaque octets, the SA establishes", (_, value) => {
    const h = new Harness({
      backend,
      initiator: initiatorConfig({ localId: { type: "key-id", value } }),
    }).start();
    h.run();
    expect(h.responder?.state).toBe("established");
    expect(h.responder?.snapshot().remoteId).toEqual({ type: "key-id", value });
  });

  it("an FQDN of 0x30 0x82 0xff …: opaque text, the SA establishes", () => {
    const value = "0\u0082\u00ff\u00ffexample";
    const h = new Harness({
      backend,
      initiator: initiatorConfig({ localId: { type: "fqdn", value } }),
    }).start();
    h.run();
    expect(h.responder?.snapshot().remoteId).toEqual({ type: "fqdn", value });
  });

  it("a lookalike that is a prefix of, or longer than, the configured identity: AUTHENTICATION_FAILED", () => {
    const configured = Uint8Array.of(0x30, 0x03, 0x01, 0x02, 0x03);
    for (const sent of [
      configured.subarray(0, 4),
      cat(configured, Uint8Array.of(0)),
      Uint8Array.of(0x30, 0x84),
    ]) {
      const h = new Harness({
        backend,
        initiator: initiatorConfig({ localId: { type: "key-id", value: sent } }),
        responder: responderConfig({ remoteId: { type: "key-id", value: configured } }),
      }).start();
      h.run();
      expect(h.responder?.state).toBe("closed");
      expect(h.initiator.state).toBe("closed");
      expect(events(h.iEvents, "ike-sa-down")).toMatchObject([{ reason: "authentication-failed" }]);
    }
  });

  it("an EAP Response/Identity of 0x30 … octets decodes as opaque data; EAP fails closed", () => {
    const identity = Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff);
    const eap: Payload = { type: "EAP", code: EapCode.RESPONSE, identifier: 1, eapType: 1, data: identity };
    const { h, answer } = authWith(() => [eap]);
    expect(notifies(answer)).toEqual([NotifyType.AUTHENTICATION_FAILED]);
    expect(h.responder?.state).toBe("closed");
  });
});

describe("EAP rows (CVE-2015-4171, CVE-2015-8023, CVE-2021-45079, CVE-2025-62291): codec and fail-closed", () => {
  const eapBody = (code: number, id: number, length: number, rest: Uint8Array = new Uint8Array(0)) =>
    cat(Uint8Array.of(code, id), u16(length), rest);
  const MALFORMED: readonly (readonly [string, Uint8Array])[] = [
    ["EAP length 0", eapBody(EapCode.RESPONSE, 1, 0, Uint8Array.of(1))],
    ["EAP length above the payload", eapBody(EapCode.RESPONSE, 1, 200, Uint8Array.of(1))],
    ["EAP length below the payload", eapBody(EapCode.RESPONSE, 1, 5, Uint8Array.of(1, 2, 3))],
    ["code 0", eapBody(0, 1, 5, Uint8Array.of(1))],
    ["code 7", eapBody(7, 1, 5, Uint8Array.of(1))],
    ["Success with data", eapBody(EapCode.SUCCESS, 1, 6, Uint8Array.of(1, 2))],
    ["Request without a type", eapBody(EapCode.REQUEST, 1, 4)],
    ["three octets", Uint8Array.of(2, 1, 0)],
  ];

  it.each(MALFORMED)("IKE_AUTH request with a malformed EAP payload (%s): INVALID_SYNTAX", (_, body) => {
    const { h, answer } = authWith((inner) => [
      ...inner.filter((p) => p.type !== "AUTH"),
      { type: PayloadType.EAP, body },
    ]);
    expect(notifies(answer)).toEqual([NotifyType.INVALID_SYNTAX]);
    expect(h.responder?.state).toBe("closed");
  });

  it("an early EAP-Success in the IKE_AUTH response (CVE-2021-45079): the initiator fails closed", () => {
    for (const inner of [
      [{ type: "EAP", code: EapCode.SUCCESS, identifier: 1, data: new Uint8Array(0) }],
      [
        { type: "IDr", idType: IdType.ID_FQDN, data: new TextEncoder().encode("responder.ikei.test") },
        { type: "EAP", code: EapCode.SUCCESS, identifier: 1, data: new Uint8Array(0) },
      ],
      [{ type: "EAP", code: EapCode.REQUEST, identifier: 1, eapType: 26, data: new Uint8Array(40) }],
    ] as Payload[][]) {
      const { h, request } = authHeld({ backend });
      h.deliver(request);
      hold(h);
      h.inject("responder", h.craft("responder", ExchangeType.IKE_AUTH, 1, inner, true));
      expect(h.initiator.state).toBe("closed");
      expect(events(h.iEvents, "ike-sa-up")).toHaveLength(0);
    }
  });

  it("random EAP bodies inside IKE_AUTH: never a throw, never established", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (body) => {
        const { h, answer } = authWith((inner) => [
          ...inner.filter((p) => p.type !== "AUTH"),
          { type: PayloadType.EAP, body },
        ]);
        expect(h.responder?.state).toBe("closed");
        expect([NotifyType.INVALID_SYNTAX, NotifyType.AUTHENTICATION_FAILED]).toContain(notifies(answer)[0]);
      }),
      { numRuns: 40 },
    );
  });
});

describe("CVE-2023-38710 (codec side): notify SPI sizes other than 0 and 4", () => {
  it.each([
    1, 3, 8, 255,
  ])("a REKEY_SA with SPI size %i in CREATE_CHILD_SA: INVALID_SYNTAX, no throw", (size) => {
    const h = established({ backend });
    const n: RawPayload = {
      type: PayloadType.N,
      body: cat(Uint8Array.of(3, size), u16(NotifyType.REKEY_SA), new Uint8Array(size)),
    };
    const rest = realAuthInner().filter((p) => p.type === "SA" || p.type === "TSi" || p.type === "TSr");
    h.inject(
      "initiator",
      craftRaw(
        h,
        "initiator",
        ExchangeType.CREATE_CHILD_SA,
        2,
        rawChain([n, ...rest, { type: "Nonce", data: new Uint8Array(32) }]),
      ),
    );
    expect(notifies(open(h, "initiator", hold(h).datagram.data))).toEqual([NotifyType.INVALID_SYNTAX]);
  });
});
