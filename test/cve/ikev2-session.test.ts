/**
 * ANCHORS.md §4, the rows about IKEv2 negotiation and state, end to end through
 * `IkeSession.respond` / `IkeSession.receive` with the in-process harness (real keys, real SK
 * protection). Each `describe` names the CVE and its triggering input; each test asserts the
 * table's last column: the RFC 7296 notify or a silent drop, no throw, and no state left.
 *
 * Rows and where they are:
 * - here: CVE-2009-0790, CVE-2014-2338, CVE-2014-9221, CVE-2015-3240, CVE-2016-5391,
 *   CVE-2018-10811, CVE-2019-12312, CVE-2023-38710, CVE-2023-41913, CVE-2024-2357,
 *   CVE-2026-14957 (CERT payload path), CVE-2025-39965 (peer-chosen Child SA SPIs).
 * - ikev2-codecs.test.ts: CVE-2013-4564, CVE-2013-5018, CVE-2013-6075, CVE-2013-6467,
 *   CVE-2015-3204, CVE-2015-3991, CVE-2023-23009, CVE-2026-12413, the EAP rows.
 * - signatures.test.ts: CVE-2017-9022/11185/9023, CVE-2018-16151/16152/17540, CVE-2018-6459,
 *   CVE-2021-41990, CVE-2026-50721/50722, CVE-2026-14957 (key parsing).
 * - algorithms.test.ts: CVE-2016-3071 / CVE-2024-3652 (every negotiable transform works).
 * - sad.test.ts: CVE-2025-39965 (SAD), the Linux ESN replay commit.
 * - ikev2-states.test.ts: OpenBSD 7.8 errata 027 (unexpected order per state).
 *
 * IKEv1 rows: covered by the IKEv1 issue (CVE-2013-6076, CVE-2019-10155, CVE-2020-1763,
 * CVE-2022-23094, CVE-2023-30570, CVE-2023-38711, CVE-2023-38712, CVE-2016-10396, racoon-fork
 * 0.9.1 attribute parsing, the IKEv1 half of CVE-2015-3991 and CVE-2013-5018's XAuth names).
 * Out of scope (no such code in ike-ts): CVE-2022-40617 (revocation fetching), CVE-2023-26463
 * (EAP-TLS), CVE-2015-4047 (GSSAPI). EAP state machine rows (CVE-2015-4171, CVE-2015-8023,
 * CVE-2021-45079, CVE-2025-62291, CVE-2026-35330/35333): EAP is not implemented; the IKE_AUTH
 * EAP forms fail closed (below) and the EAP payload codec is tested in ikev2-codecs.test.ts.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type CryptoBackend, CryptoError } from "../../src/crypto/backend.js";
import { modpGroup } from "../../src/crypto/groups.js";
import { pemToDer } from "../../src/crypto/keys.js";
import { ProtocolId, TransformType } from "../../src/crypto/registry.js";
import { EspInboundSa } from "../../src/esp/inbound.js";
import { EspOutboundSa } from "../../src/esp/outbound.js";
import type { Payload } from "../../src/ikev2/chain.js";
import { ExchangeType, NotifyType, PayloadType } from "../../src/ikev2/constants.js";
import { decodeMessage, encodeMessage } from "../../src/ikev2/message.js";
import type { SaPayload } from "../../src/ikev2/payloads/sa.js";
import { IkeSession } from "../../src/ikev2/session/ike-session.js";
import type { KeyStore } from "../../src/ikev2/session/types.js";
import { nodeBackend } from "../../src/node/backend.js";
import {
  deps,
  events,
  Harness,
  I_ADDRESS,
  initiatorConfig,
  pskStore,
  responderConfig,
} from "../ikev2/session/harness.js";
import { der, EXAMPLES, indexOf, NOW, splice } from "../pki/helpers.js";
import {
  authHeld,
  BACKENDS,
  cat,
  clearNotifies,
  craftRaw,
  established,
  hold,
  initAnswer,
  initHeld,
  notifies,
  open,
  rawChain,
  toInitiator,
  toResponder,
  u16,
  u32,
  withData,
} from "./helpers.js";

const backend = nodeBackend;

/** An empty INFORMATIONAL request (liveness, RFC 7296 §1.4, the IKEv2 form of R_U_THERE). */
function liveness(h: Harness, side: "initiator" | "responder", messageId: number, response = false) {
  return h.craft(side, ExchangeType.INFORMATIONAL, messageId, [], response);
}

/** An SA payload that rekeys the IKE SA (RFC 7296 §1.3.2): an IKE proposal with a new SPI. */
function ikeRekeyPayloads(b: CryptoBackend, group = 31, keGroup = group): Payload[] {
  const ke = b.keyExchange(keGroup === 1025 ? 31 : keGroup);
  const payloads: Payload[] = [
    {
      type: "SA",
      proposals: [
        {
          number: 1,
          protocolId: ProtocolId.IKE,
          spi: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
          transforms: [
            { transformType: 1, id: 20, attributes: [{ format: "tv", attrType: 14, value: 256 }] },
            { transformType: 2, id: 5, attributes: [] },
            { transformType: 4, id: group, attributes: [] },
          ],
        },
      ],
    },
    { type: "Nonce", data: b.randomBytes(32) },
    { type: "KE", group: keGroup, data: ke.publicKey },
  ];
  ke.destroy();
  return payloads;
}

/** A Child SA request for CREATE_CHILD_SA (RFC 7296 §1.3.1), ESP SPI `spi`. */
function childPayloads(spi: Uint8Array, extra: readonly Payload[] = []): Payload[] {
  return [
    ...extra,
    {
      type: "SA",
      proposals: [
        {
          number: 1,
          protocolId: ProtocolId.ESP,
          spi,
          transforms: [
            { transformType: 1, id: 20, attributes: [{ format: "tv", attrType: 14, value: 256 }] },
            { transformType: 5, id: 0, attributes: [] },
          ],
        },
      ],
    },
    { type: "Nonce", data: new Uint8Array(32).fill(3) },
    {
      type: "TSi",
      selectors: [
        {
          tsType: 7,
          ipProtocol: 0,
          startPort: 0,
          endPort: 65535,
          startAddress: Uint8Array.of(198, 19, 0, 1),
          endAddress: Uint8Array.of(198, 19, 0, 1),
        },
      ],
    },
    {
      type: "TSr",
      selectors: [
        {
          tsType: 7,
          ipProtocol: 0,
          startPort: 0,
          endPort: 65535,
          startAddress: Uint8Array.of(198, 19, 0, 2),
          endAddress: Uint8Array.of(198, 19, 0, 2),
        },
      ],
    },
  ];
}

/** The responder's decrypted answer to the next request (held off the wire). */
function responderAnswer(h: Harness): Payload[] | undefined {
  if (h.pending === 0) return undefined;
  return open(h, "initiator", hold(h).datagram.data);
}

describe("CVE-2009-0790: liveness (R_U_THERE) for an unknown or expired SA", () => {
  it("control: an empty INFORMATIONAL on the live SA is answered with an empty response", () => {
    const h = established({ backend });
    h.inject("initiator", liveness(h, "initiator", 2));
    const answer = hold(h);
    expect(decodeMessage(answer.datagram.data).header).toMatchObject({ response: true, messageId: 2 });
    expect(open(h, "initiator", answer.datagram.data)).toEqual([]);
  });

  it("to an endpoint with no such SA (IkeSession.respond): dropped, no session, nothing sent", () => {
    const h = established({ backend });
    const request = liveness(h, "initiator", 2);
    for (const data of [request, liveness(h, "initiator", 2, true), liveness(h, "responder", 0)]) {
      const res = IkeSession.respond(
        data,
        { address: I_ADDRESS, port: 500 },
        { port: 500 },
        responderConfig(),
        deps(backend),
        0,
      );
      expect(res.session).toBeUndefined();
      expect(res.output.datagrams).toHaveLength(0);
      expect(res.output.events).toHaveLength(0);
    }
  });

  it("after the IKE SA was deleted (expired state): receive returns nothing and does not throw", () => {
    const h = established({ backend });
    const lateI = liveness(h, "initiator", 2);
    const lateR = liveness(h, "responder", 0);
    h.absorb(h.initiator.close(h.now), false);
    h.run();
    expect([h.initiator.state, h.responder?.state]).toEqual(["closed", "closed"]);
    expect(h.initiator.ikeKeys()).toBeUndefined();
    for (const out of [toResponder(h, lateI), toInitiator(h, lateR)]) {
      expect(out).toEqual({ datagrams: [], events: [], nextTick: undefined });
    }
  });

  it("on another SPI pair (the peer's SA is unknown here): dropped, the SA stays", () => {
    const h = established({ backend });
    const good = liveness(h, "initiator", 2);
    for (const offset of [0, 8]) {
      const other = good.slice();
      other[offset + 3]! ^= 0x5a;
      h.inject("initiator", other);
      expect(h.pending).toBe(0);
    }
    expect(h.responder?.state).toBe("established");
    h.inject("initiator", good);
    expect(h.pending).toBe(1);
  });

  it("an unsolicited liveness answer (R_U_THERE_ACK): dropped on both ends", () => {
    const h = established({ backend });
    h.inject("responder", liveness(h, "responder", 1, true));
    h.inject("initiator", liveness(h, "initiator", 0, true));
    expect(h.pending).toBe(0);
    expect([h.initiator.state, h.responder?.state]).toEqual(["established", "established"]);
    expect(
      [...h.iEvents, ...h.rEvents].filter((e) => e.type !== "ike-sa-up" && e.type !== "child-sa-up"),
    ).toEqual([]);
  });

  it("on the SPIs of an IKE SA replaced by a rekey: dropped (only its Delete is re-answered)", () => {
    const h = established({ backend });
    const old = liveness(h, "initiator", 5);
    h.absorb(h.initiator.rekeyIke(h.now), false);
    h.run();
    expect(events(h.iEvents, "ike-sa-rekeyed")).toHaveLength(1);
    expect(events(h.rEvents, "ike-sa-rekeyed")).toHaveLength(1);
    h.inject("initiator", old);
    expect(h.pending).toBe(0);
    expect(h.responder?.state).toBe("established");
    // The new SA answers liveness.
    h.inject("initiator", liveness(h, "initiator", 0));
    expect(h.pending).toBe(1);
  });
});

describe("CVE-2014-2338: rekeying an IKE SA before IKE_AUTH completed", () => {
  it("responder in init-done: CREATE_CHILD_SA(rekey IKE) is dropped, no key, no state change", () => {
    const { h, request, inner } = authHeld({ backend });
    const spis = h.responder!.spis();
    h.deliver(
      withData(request, h.craft("initiator", ExchangeType.CREATE_CHILD_SA, 1, ikeRekeyPayloads(backend))),
    );
    expect(h.pending).toBe(0);
    expect(h.responder?.state).toBe("init-done");
    expect(h.responder?.spis()).toEqual(spis);
    expect(h.rEvents).toEqual([]);
    // Then an IKE_AUTH whose AUTH does not verify: AUTHENTICATION_FAILED, never established.
    const forged = inner.map((p) => (p.type === "AUTH" ? { ...p, data: new Uint8Array(p.data.length) } : p));
    h.deliver(withData(request, h.craft("initiator", ExchangeType.IKE_AUTH, 1, forged)));
    expect(notifies(responderAnswer(h))).toEqual([NotifyType.AUTHENTICATION_FAILED]);
    expect(h.responder?.state).toBe("closed");
    expect(events(h.rEvents, "ike-sa-up")).toHaveLength(0);
    expect(events(h.rEvents, "ike-sa-rekeyed")).toHaveLength(0);
  });

  it("responder in init-done: the same rekey with message ID 2 or 2^32-1 is dropped too", () => {
    const { h, request } = authHeld({ backend });
    for (const id of [2, 0xffffffff]) {
      h.deliver(
        withData(request, h.craft("initiator", ExchangeType.CREATE_CHILD_SA, id, ikeRekeyPayloads(backend))),
      );
    }
    expect(h.pending).toBe(0);
    expect(h.responder?.state).toBe("init-done");
  });

  it("responder in init-done: with message ID 0 it is not answered with the cached IKE_SA_INIT response", () => {
    // RFC 7296 §2.1: only a retransmission (same exchange) gets the cached response.
    const { h, request } = authHeld({ backend });
    h.deliver(
      withData(request, h.craft("initiator", ExchangeType.CREATE_CHILD_SA, 0, ikeRekeyPayloads(backend))),
    );
    expect(h.pending).toBe(0);
    expect(h.responder?.state).toBe("init-done");
  });

  it("initiator in auth-sent: the responder's rekey request is dropped; a bad IKE_AUTH answer then fails", () => {
    const { h, request } = authHeld({ backend });
    h.deliver(request);
    hold(h);
    expect(h.initiator.state).toBe("auth-sent");
    h.inject("responder", h.craft("responder", ExchangeType.CREATE_CHILD_SA, 0, ikeRekeyPayloads(backend)));
    expect(h.pending).toBe(0);
    expect(h.initiator.state).toBe("auth-sent");
    h.inject(
      "responder",
      h.craft(
        "responder",
        ExchangeType.IKE_AUTH,
        1,
        [
          { type: "IDr", idType: 2, data: new TextEncoder().encode("responder.ikei.test") },
          { type: "AUTH", method: 2, data: new Uint8Array(32) },
        ],
        true,
      ),
    );
    expect(h.initiator.state).toBe("closed");
    expect(events(h.iEvents, "ike-sa-up")).toHaveLength(0);
    expect(events(h.iEvents, "ike-sa-rekeyed")).toHaveLength(0);
  });

  it("the local API refuses too: rekeyIke, createChild and rekeyChild before establishment send nothing", () => {
    const h = new Harness({ backend }).start();
    hold(h);
    for (const out of [
      h.initiator.rekeyIke(0),
      h.initiator.createChild(["198.19.0.1/32"], ["198.19.0.2/32"], 0),
      h.initiator.rekeyChild(0x1234, 0),
    ]) {
      expect(out.datagrams).toHaveLength(0);
    }
    expect(h.initiator.state).toBe("init-sent");
  });
});

describe("CVE-2014-9221: KE payloads naming private-use or unassigned groups", () => {
  // 1025 is the id strongSwan used internally; 1024-65535 are private use (IANA), the rest unassigned.
  const GROUPS = [0, 3, 4, 6, 13, 25, 30, 33, 1024, 1025, 32768, 65535];

  it.each(GROUPS)("IKE_SA_INIT KE group %i: INVALID_KE_PAYLOAD naming x25519, no state", (group) => {
    const { h, request, message } = initHeld({ backend });
    const payloads = message.payloads.map((p) => (p.type === "KE" ? { ...p, group } : p));
    const answer = decodeMessage(initAnswer(h, request, payloads)!);
    expect(answer.payloads).toEqual([
      {
        type: "N",
        protocolId: 0,
        spi: new Uint8Array(0),
        notifyType: NotifyType.INVALID_KE_PAYLOAD,
        data: u16(31),
      },
    ]);
    expect(h.responderSessions).toBe(0);
  });

  it("a proposal whose only KE transform is group 1025 (matching KE): NO_PROPOSAL_CHOSEN", () => {
    const { h, request, message } = initHeld({ backend });
    const payloads = message.payloads.map((p): Payload => {
      if (p.type === "KE") return { ...p, group: 1025 };
      if (p.type !== "SA") return p;
      return {
        type: "SA",
        proposals: p.proposals.map((x) => ({
          ...x,
          transforms: x.transforms.map((t) =>
            t.transformType === TransformType.KE ? { ...t, id: 1025 } : t,
          ),
        })),
      };
    });
    expect(clearNotifies(initAnswer(h, request, payloads)!)).toEqual([NotifyType.NO_PROPOSAL_CHOSEN]);
    expect(h.responderSessions).toBe(0);
  });

  it("an initiator told INVALID_KE_PAYLOAD(1025) does not retry with it and fails cleanly", () => {
    const h = new Harness({ backend }).start();
    const request = hold(h);
    const spiI = decodeMessage(request.datagram.data).header.spiI;
    const reply = encodeMessage({
      header: {
        spiI,
        spiR: new Uint8Array(8),
        minorVersion: 0,
        exchangeType: ExchangeType.IKE_SA_INIT,
        initiator: false,
        response: true,
        higherVersion: false,
        messageId: 0,
      },
      payloads: [
        {
          type: "N",
          protocolId: 0,
          spi: new Uint8Array(0),
          notifyType: NotifyType.INVALID_KE_PAYLOAD,
          data: u16(1025),
        },
      ],
    });
    toInitiator(h, reply);
    expect(h.pending).toBe(0);
    expect(h.initiator.state).toBe("closed");
    expect(events(h.iEvents, "ike-sa-down")).toMatchObject([{ reason: "negotiation-failed" }]);
  });

  it("CREATE_CHILD_SA rekeying the IKE SA with KE group 1025: INVALID_KE_PAYLOAD, the SA stays", () => {
    const h = established({ backend });
    h.inject(
      "initiator",
      h.craft("initiator", ExchangeType.CREATE_CHILD_SA, 2, ikeRekeyPayloads(backend, 31, 1025)),
    );
    const answer = responderAnswer(h)!;
    expect(notifies(answer)).toEqual([NotifyType.INVALID_KE_PAYLOAD]);
    const n = answer[0];
    expect(n?.type === "N" && [...n.data]).toEqual([0, 31]);
    expect(h.responder?.state).toBe("established");
    expect(h.responder?.spis()).toHaveLength(1);
  });
});

describe("CVE-2023-41913: KE data longer or shorter than the group's", () => {
  it.each([
    ["x25519", 31, 32],
    ["modp2048", 14, 256],
    ["ecp256", 19, 64],
  ] as const)("%s: INVALID_SYNTAX for every wrong length, no state", (name, _group, size) => {
    const ike = name === "x25519" ? "aes256gcm16-prfsha256-x25519" : `aes128-sha256-${name}`;
    for (const length of [0, 1, size - 1, size + 1, 2 * size, 4000]) {
      const { h, request, message } = initHeld({
        backend,
        initiator: initiatorConfig({ ikeProposals: [ike] }),
        responder: responderConfig({ ikeProposals: [ike] }),
      });
      const payloads = message.payloads.map((p) =>
        p.type === "KE" ? { ...p, data: new Uint8Array(length).fill(7) } : p,
      );
      expect(clearNotifies(initAnswer(h, request, payloads)!)).toEqual([NotifyType.INVALID_SYNTAX]);
      expect(h.responderSessions).toBe(0);
    }
  });

  it("in CREATE_CHILD_SA (IKE SA rekey) an oversized KE is refused and the SA stays", () => {
    const h = established({ backend });
    const payloads = ikeRekeyPayloads(backend).map((p) =>
      p.type === "KE" ? { ...p, data: new Uint8Array(4096).fill(1) } : p,
    );
    h.inject("initiator", h.craft("initiator", ExchangeType.CREATE_CHILD_SA, 2, payloads));
    const answer = responderAnswer(h);
    expect(answer).toHaveLength(1);
    expect([NotifyType.INVALID_SYNTAX, NotifyType.NO_PROPOSAL_CHOSEN]).toContain(notifies(answer)[0]);
    expect(h.responder?.spis()).toHaveLength(1);
  });
});

describe("CVE-2015-3240: weak or invalid g^x in IKE_SA_INIT", () => {
  const p = modpGroup(14)!.p;
  const be = (v: bigint, n: number) =>
    Uint8Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * (n - 1 - i))) & 0xffn));
  const le = (v: bigint, n: number) => be(v, n).reverse();
  const P25519 = 2n ** 255n - 19n;
  const CASES: readonly (readonly [string, string, readonly (readonly [string, Uint8Array])[]])[] = [
    [
      "modp2048",
      "aes128-sha256-modp2048",
      [
        ["0", be(0n, 256)],
        ["1", be(1n, 256)],
        ["p-1", be(p - 1n, 256)],
        ["p", be(p, 256)],
        ["p+1", be(p + 1n, 256)],
        ["2^2048-1", new Uint8Array(256).fill(0xff)],
      ],
    ],
    [
      "ecp256",
      "aes128-sha256-ecp256",
      [
        ["(0,0)", new Uint8Array(64)],
        ["(1,1) off the curve", cat(be(1n, 32), be(1n, 32))],
        ["x = p", cat(new Uint8Array(32).fill(0xff), be(1n, 32))],
        ["all 0xff", new Uint8Array(64).fill(0xff)],
      ],
    ],
    [
      "x25519",
      "aes256gcm16-prfsha256-x25519",
      [
        ["u = 0", le(0n, 32)],
        ["u = 1", le(1n, 32)],
        ["u = p-1", le(P25519 - 1n, 32)],
        ["u = p", le(P25519, 32)],
        ["u = p+1", le(P25519 + 1n, 32)],
        [
          "order-8 point",
          le(325606250916557431795983626356110631294008115727848805560023387167927233504n, 32),
        ],
      ],
    ],
  ];

  describe.each(BACKENDS)("%s backend", (_, b) => {
    for (const [group, ike, values] of CASES) {
      it.each(values)(`${group}: %s → INVALID_SYNTAX from the responder, no state`, (_v, data) => {
        const config = { ikeProposals: [ike] };
        const { h, request, message } = initHeld({
          backend: b,
          initiator: initiatorConfig(config),
          responder: responderConfig(config),
        });
        const payloads = message.payloads.map((x) => (x.type === "KE" ? { ...x, data } : x));
        expect(clearNotifies(initAnswer(h, request, payloads)!)).toEqual([NotifyType.INVALID_SYNTAX]);
        expect(h.responderSessions).toBe(0);
      });
    }

    it("the initiator given a weak g^r in the response fails the negotiation, never sends IKE_AUTH", () => {
      const config = { ikeProposals: ["aes128-sha256-modp2048"] };
      const h = new Harness({
        backend: b,
        initiator: initiatorConfig(config),
        responder: responderConfig(config),
      });
      h.start();
      h.step();
      h.step((f) => {
        const m = decodeMessage(f.datagram.data);
        const payloads = m.payloads.map((x) => (x.type === "KE" ? { ...x, data: be(p - 1n, 256) } : x));
        return withData(f, encodeMessage({ header: m.header, payloads }));
      });
      expect(h.pending).toBe(0);
      expect(h.initiator.state).toBe("closed");
      expect(h.initiator.ikeKeys()).toBeUndefined();
    });
  });
});

describe("CVE-2016-5391: IKE_SA_INIT proposals without a KE transform", () => {
  function withoutKe(sa: SaPayload, keep?: (index: number) => boolean): SaPayload {
    return {
      type: "SA",
      proposals: sa.proposals.map((x, i) => ({
        ...x,
        transforms:
          keep?.(i) === true
            ? x.transforms
            : x.transforms.filter((t) => t.transformType !== TransformType.KE),
      })),
    };
  }

  it("several proposals, none with KE (or KE NONE = 0): NO_PROPOSAL_CHOSEN, no state", () => {
    const { message } = initHeld({ backend });
    const sa = message.payloads.find((x): x is SaPayload => x.type === "SA")!;
    const proposal = sa.proposals[0]!;
    const many: SaPayload = {
      type: "SA",
      proposals: [1, 2, 3].map((number) => ({ ...proposal, number })),
    };
    const keNone: SaPayload = {
      type: "SA",
      proposals: [
        {
          ...proposal,
          transforms: proposal.transforms.map((t) =>
            t.transformType === TransformType.KE ? { ...t, id: 0 } : t,
          ),
        },
      ],
    };
    for (const bad of [withoutKe(many), keNone]) {
      const { h, request, message: m } = initHeld({ backend });
      const payloads = m.payloads.map((x) => (x.type === "SA" ? bad : x));
      expect(clearNotifies(initAnswer(h, request, payloads)!)).toEqual([NotifyType.NO_PROPOSAL_CHOSEN]);
      expect(h.responderSessions).toBe(0);
    }
  });

  it("the initiator given a chosen proposal without KE fails, never derives keys", () => {
    const h = new Harness({ backend }).start();
    h.step();
    h.step((f) => {
      const m = decodeMessage(f.datagram.data);
      const payloads = m.payloads.map((x) => (x.type === "SA" ? withoutKe(x) : x));
      return withData(f, encodeMessage({ header: m.header, payloads }));
    });
    expect(h.initiator.state).toBe("closed");
    expect(events(h.iEvents, "ike-sa-down")).toMatchObject([{ reason: "negotiation-failed" }]);
    expect(h.pending).toBe(0);
  });

  it("an IKE SA rekey (CREATE_CHILD_SA) whose proposal lacks KE: NO_PROPOSAL_CHOSEN, the SA stays", () => {
    const h = established({ backend });
    const payloads = ikeRekeyPayloads(backend).map((x) => (x.type === "SA" ? withoutKe(x) : x));
    h.inject("initiator", h.craft("initiator", ExchangeType.CREATE_CHILD_SA, 2, payloads));
    const answer = responderAnswer(h);
    expect(answer).toHaveLength(1);
    expect([NotifyType.NO_PROPOSAL_CHOSEN, NotifyType.INVALID_SYNTAX]).toContain(notifies(answer)[0]);
    expect(h.responder?.spis()).toHaveLength(1);
  });
});

describe("CVE-2018-10811: the negotiated PRF is missing from the backend", () => {
  /** A backend whose MACs (and so PRFs) named in `missing` throw CryptoError `unsupported`. */
  function lacking(b: CryptoBackend, ...missing: string[]): CryptoBackend {
    return {
      ...b,
      mac: (algorithm, key) => {
        if (missing.includes(algorithm)) throw new CryptoError("unsupported", `${algorithm} not here`);
        return b.mac(algorithm, key);
      },
    };
  }

  it.each(BACKENDS)("%s: the responder answers NO_PROPOSAL_CHOSEN and keeps no state", (_, b) => {
    const { h, request, message } = initHeld({ backend: b, responderDeps: deps(lacking(b, "hmac-sha256")) });
    expect(clearNotifies(initAnswer(h, request, message.payloads)!)).toEqual([NotifyType.NO_PROPOSAL_CHOSEN]);
    expect(h.responderSessions).toBe(0);
  });

  it("legacy PRF HMAC-MD5 offered to a responder that does not allow it: NO_PROPOSAL_CHOSEN", () => {
    const ike = "aes128-md5-prfmd5-modp2048";
    const h = new Harness({
      backend,
      initiator: initiatorConfig({ ikeProposals: [ike], allowLegacy: true }),
      responder: responderConfig(),
    }).start();
    h.step();
    const answer = hold(h);
    expect(clearNotifies(answer.datagram.data)).toEqual([NotifyType.NO_PROPOSAL_CHOSEN]);
    expect(h.responderSessions).toBe(0);
  });

  it("the initiator whose backend lacks the PRF fails the negotiation without throwing", () => {
    const h = new Harness({ backend, initiatorDeps: deps(lacking(backend, "hmac-sha256")) }).start();
    h.step();
    h.step();
    expect(h.initiator.state).toBe("closed");
    expect(events(h.iEvents, "ike-sa-down")).toMatchObject([{ reason: "negotiation-failed" }]);
  });

  it("ESP integrity the backend lacks: negotiated (ESP may run on another backend), then a typed refusal", () => {
    const esp = { espProposals: ["aes128-sha384"] };
    const poor = lacking(backend, "hmac-sha384");
    const h = new Harness({
      backend,
      initiator: initiatorConfig(esp),
      responder: responderConfig(esp),
      responderDeps: deps(poor),
    }).start();
    h.run();
    expect(h.responder?.state).toBe("established");
    const up = events(h.rEvents, "child-sa-up")[0];
    if (up?.type !== "child-sa-up") throw new Error("no Child SA");
    // Building the ESP SA on the backend that lacks the MAC is a CryptoError, not a crash.
    expect(() => new EspOutboundSa(poor, up.child.outbound)).toThrow(CryptoError);
    expect(() => new EspInboundSa(poor, up.child.inbound)).toThrow(CryptoError);
    expect(() => new EspOutboundSa(backend, up.child.outbound).destroy()).not.toThrow();
  });
});

describe("CVE-2019-12312: INFORMATIONAL instead of IKE_AUTH after IKE_SA_INIT", () => {
  it.each([
    ["an empty INFORMATIONAL", [] as Payload[]],
    ["a Delete of the IKE SA", [{ type: "D", protocolId: ProtocolId.IKE, spis: [] }] as Payload[]],
    [
      "an error notify",
      [
        {
          type: "N",
          protocolId: 0,
          spi: new Uint8Array(0),
          notifyType: NotifyType.AUTHENTICATION_FAILED,
          data: new Uint8Array(0),
        },
      ] as Payload[],
    ],
  ])("%s: dropped without an (encrypted) answer; the real IKE_AUTH then succeeds", (_, inner) => {
    const { h, request } = authHeld({ backend });
    h.deliver(withData(request, h.craft("initiator", ExchangeType.INFORMATIONAL, 1, inner)));
    expect(h.pending).toBe(0);
    expect(h.responder?.state).toBe("init-done");
    expect(h.rEvents).toEqual([]);
    h.deliver(request);
    h.run();
    expect(h.responder?.state).toBe("established");
  });

  it("with message ID 0: not answered with the cached (cleartext) IKE_SA_INIT response", () => {
    // RFC 7296 §2.1: only a retransmitted IKE_SA_INIT request gets the cached IKE_SA_INIT response.
    const { h, request } = authHeld({ backend });
    h.deliver(withData(request, h.craft("initiator", ExchangeType.INFORMATIONAL, 0, [])));
    expect(h.pending).toBe(0);
    expect(h.responder?.state).toBe("init-done");
  });

  it("an unprotected INFORMATIONAL (no SK payload) in init-done: dropped", () => {
    const { h, request } = authHeld({ backend });
    const spiI = h.responder!.spiI;
    const spiR = h.responder!.spiR;
    const plain = encodeMessage({
      header: {
        spiI,
        spiR,
        minorVersion: 0,
        exchangeType: ExchangeType.INFORMATIONAL,
        initiator: true,
        response: false,
        higherVersion: false,
        messageId: 1,
      },
      payloads: [{ type: "D", protocolId: ProtocolId.IKE, spis: [] }],
    });
    h.deliver(withData(request, plain));
    expect(h.pending).toBe(0);
    expect(h.responder?.state).toBe("init-done");
  });
});

describe("CVE-2023-38710: REKEY_SA notify with protocol ID 0 or 1", () => {
  /** A raw Notify body: protocol, SPI size, type, SPI. */
  const rekeySa = (protocolId: number, spi: Uint8Array) =>
    ({
      type: PayloadType.N,
      body: cat(Uint8Array.of(protocolId, spi.length), u16(NotifyType.REKEY_SA), spi),
    }) as const;

  it.each([
    0, 1,
  ])("protocol %i with a 4-octet SPI: INVALID_SYNTAX built safely (no SPI echoed), SA ends", (protocolId) => {
    const h = established({ backend });
    const inner = rawChain([rekeySa(protocolId, u32(0xc0ffee01)), ...childPayloads(u32(0x11223344))]);
    h.inject("initiator", craftRaw(h, "initiator", ExchangeType.CREATE_CHILD_SA, 2, inner));
    const answer = responderAnswer(h)!;
    expect(answer).toEqual([
      {
        type: "N",
        protocolId: 0,
        spi: new Uint8Array(0),
        notifyType: NotifyType.INVALID_SYNTAX,
        data: new Uint8Array(0),
      },
    ]);
    expect(h.responder?.state).toBe("closed");
    expect(events(h.rEvents, "ike-sa-down")).toMatchObject([{ reason: "invalid-syntax" }]);
  });

  it.each([
    0, 1, 4, 255,
  ])("protocol %i without an SPI: CHILD_SA_NOT_FOUND without an SPI, the SA stays", (protocolId) => {
    const h = established({ backend });
    const inner = rawChain([rekeySa(protocolId, new Uint8Array(0)), ...childPayloads(u32(0x11223344))]);
    h.inject("initiator", craftRaw(h, "initiator", ExchangeType.CREATE_CHILD_SA, 2, inner));
    const answer = responderAnswer(h)!;
    expect(answer).toMatchObject([{ type: "N", notifyType: NotifyType.CHILD_SA_NOT_FOUND, protocolId: 0 }]);
    expect(answer[0]?.type === "N" && answer[0].spi.length).toBe(0);
    expect(h.responder?.state).toBe("established");
    expect(h.responder?.snapshot().childSas).toBe(1);
  });

  it("AH or ESP with an unknown SPI: CHILD_SA_NOT_FOUND echoing protocol and SPI", () => {
    for (const protocolId of [ProtocolId.AH, ProtocolId.ESP]) {
      const h = established({ backend });
      const inner = rawChain([rekeySa(protocolId, u32(0xdeadbeef)), ...childPayloads(u32(0x11223344))]);
      h.inject("initiator", craftRaw(h, "initiator", ExchangeType.CREATE_CHILD_SA, 2, inner));
      expect(responderAnswer(h)).toMatchObject([
        { type: "N", notifyType: NotifyType.CHILD_SA_NOT_FOUND, protocolId, spi: u32(0xdeadbeef) },
      ]);
      expect(h.responder?.state).toBe("established");
    }
  });

  it("an INFORMATIONAL Delete with protocol 0 or 1 and SPIs: INVALID_SYNTAX, no Child SA deleted by it", () => {
    for (const protocolId of [0, 1]) {
      const h = established({ backend });
      // Delete body: protocol, SPI size, number of SPIs, SPIs (RFC 7296 §3.11).
      const body = cat(Uint8Array.of(protocolId, 4), u16(1), u32(0xc0ffee01));
      h.inject(
        "initiator",
        craftRaw(h, "initiator", ExchangeType.INFORMATIONAL, 2, rawChain([{ type: PayloadType.D, body }])),
      );
      expect(notifies(responderAnswer(h))).toEqual([NotifyType.INVALID_SYNTAX]);
      // RFC 7296 §2.21.4 as implemented: INVALID_SYNTAX in a protected request ends the IKE SA.
      expect(events(h.rEvents, "child-sa-down")).toMatchObject([{ reason: "ike-sa-down" }]);
    }
  });
});

describe("CVE-2024-2357: no PSK of our own", () => {
  it("initiator: no IKE_AUTH is sent, the SA is closed with nothing kept (no timer, no keys)", () => {
    const h = new Harness({ backend, initiatorDeps: deps(backend, pskStore(null)) }).start();
    h.step();
    const before = h.wire.length;
    h.step();
    expect(h.pending).toBe(0);
    expect(h.wire.length).toBe(before + 1);
    expect(h.initiator.state).toBe("closed");
    expect(h.initiator.ikeKeys()).toBeUndefined();
    expect(events(h.iEvents, "ike-sa-down")).toMatchObject([{ reason: "authentication-failed" }]);
    expect(h.initiator.tick(1e9)).toEqual({ datagrams: [], events: [], nextTick: undefined });
    expect(h.initiator.close(1e9).datagrams).toHaveLength(0);
  });

  it("responder: AUTHENTICATION_FAILED, the SA is closed, nothing kept, later requests dropped", () => {
    const h = new Harness({ backend, responderDeps: deps(backend, pskStore(null)) }).start();
    h.step();
    h.step();
    const request = hold(h);
    h.deliver(request);
    expect(notifies(responderAnswer(h))).toEqual([NotifyType.AUTHENTICATION_FAILED]);
    expect(h.responder?.state).toBe("closed");
    expect(h.responder?.ikeKeys()).toBeUndefined();
    expect(events(h.rEvents, "ike-sa-up")).toHaveLength(0);
    // The retransmitted request is no longer answered from any state.
    h.deliver(request);
    expect(h.pending).toBe(0);
    expect(h.responder?.tick(1e9).nextTick).toBeUndefined();
  });

  it("a PSK store that throws is a programming error that surfaces (not swallowed into a half state)", () => {
    const store = {
      getPsk: () => {
        throw new TypeError("store broken");
      },
    };
    const h = new Harness({ backend, initiatorDeps: { ...deps(backend), psk: store } }).start();
    h.step();
    expect(() => h.step()).toThrow(TypeError);
  });
});

describe("CVE-2026-14957: a CERT payload with a malformed key (RSA exponent 0) in IKE_AUTH", () => {
  // SubjectPublicKeyInfo, rsaEncryption, n = 2^2047 + 1 (odd), e = 0.
  const n = cat(Uint8Array.of(0x00, 0x80), new Uint8Array(254), Uint8Array.of(0x01));
  const rsaKey = cat(
    Uint8Array.of(0x30, 0x82, 0x01, 0x08, 0x02, 0x82, 0x01, 0x01),
    n,
    Uint8Array.of(0x02, 0x01, 0x00),
  );
  const bitString = cat(Uint8Array.of(0x03, 0x82, 0x01, 0x0d, 0x00), rsaKey);
  const algorithm = Uint8Array.of(
    0x30,
    0x0d,
    0x06,
    0x09,
    0x2a,
    0x86,
    0x48,
    0x86,
    0xf7,
    0x0d,
    0x01,
    0x01,
    0x01,
    0x05,
    0x00,
  );
  const spki = cat(Uint8Array.of(0x30, 0x82, 0x01, 0x1e), algorithm, bitString);

  it("certificates are not used for PSK authentication: the CERT is ignored, no throw", () => {
    const { h, request, inner } = authHeld({ backend });
    const withCert: Payload[] = [
      inner[0]!,
      { type: "CERT", encoding: 11, data: rsaKey },
      { type: "CERT", encoding: 4, data: spki },
      { type: "CERT", encoding: 4, data: Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff) },
      ...inner.slice(1),
    ];
    h.deliver(withData(request, h.craft("initiator", ExchangeType.IKE_AUTH, 1, withCert)));
    expect(h.responder?.state).toBe("established");
  });

  it("a signature AUTH (RSA, method 1 / 14) is refused: AUTHENTICATION_FAILED, the SA is closed", () => {
    for (const method of [1, 14]) {
      const { h, request, inner } = authHeld({ backend });
      const changed: Payload[] = inner.map((p) =>
        p.type === "AUTH"
          ? { ...p, method, data: cat(Uint8Array.of(algorithm.length), algorithm, new Uint8Array(256)) }
          : p,
      );
      changed.splice(1, 0, { type: "CERT", encoding: 4, data: spki });
      h.deliver(withData(request, h.craft("initiator", ExchangeType.IKE_AUTH, 1, changed)));
      expect(notifies(responderAnswer(h))).toEqual([NotifyType.AUTHENTICATION_FAILED]);
      expect(h.responder?.state).toBe("closed");
    }
  });
});

describe("CVE-2026-14957: certificate authentication with a CERT whose RSA exponent is 0", () => {
  const file = (name: string) => readFileSync(`${EXAMPLES}${name}`, "utf8");
  const keyStore = (who: "initiator" | "responder"): KeyStore => {
    const privateKey = pemToDer(file(`${who}-rsa.pk8.pem`), "PRIVATE KEY");
    return {
      getPrivateKey: () => privateKey.slice(),
      getTrustAnchors: () => [pemToDer(file("ca-rsa.crt"), "CERTIFICATE")],
    };
  };
  const pubkey = (who: "initiator" | "responder") => ({
    auth: { method: "pubkey", certificates: [file(`${who}-rsa.crt`)] } as const,
    remoteAuth: "pubkey" as const,
    // One IKE_AUTH datagram (RFC 7383 fragments would need reassembly here).
    fragmentation: false,
  });

  /** Both ends on RSA certificates; the initiator's IKE_AUTH request held and opened. */
  function certAuthHeld(b: CryptoBackend) {
    const h = new Harness({
      backend: b,
      initiator: initiatorConfig(pubkey("initiator")),
      responder: responderConfig(pubkey("responder")),
      initiatorDeps: { ...deps(b), keys: keyStore("initiator"), wallClock: () => NOW },
      responderDeps: { ...deps(b), keys: keyStore("responder"), wallClock: () => NOW },
    }).start();
    h.step();
    h.step();
    const request = hold(h);
    return { h, request, inner: open(h, "responder", request.datagram.data)! };
  }

  it.each(BACKENDS)("%s: control, the unchanged request establishes", (_, b) => {
    const { h, request } = certAuthHeld(b);
    h.deliver(request);
    h.run();
    expect([h.initiator.state, h.responder?.state]).toEqual(["established", "established"]);
  });

  it.each(
    BACKENDS,
  )("%s: exponent 0, 1 or -1 in the end-entity CERT: AUTHENTICATION_FAILED, no SA", (_, b) => {
    const rsa = der("ex:initiator-rsa.crt");
    const at = indexOf(rsa, [0x02, 0x03, 0x01, 0x00, 0x01]);
    expect(at).toBeGreaterThan(0);
    for (const e of [
      [0x02, 0x01, 0x00],
      [0x02, 0x01, 0x01],
      [0x02, 0x01, 0xff],
      [0x02, 0x00],
    ]) {
      const { h, request, inner } = certAuthHeld(b);
      const bad = splice(rsa, at, 5, e);
      const changed = inner.map((p): Payload => (p.type === "CERT" ? { ...p, data: bad } : p));
      expect(changed.some((p) => p.type === "CERT")).toBe(true);
      h.deliver(withData(request, h.craft("initiator", ExchangeType.IKE_AUTH, 1, changed)));
      expect(notifies(responderAnswer(h))).toEqual([NotifyType.AUTHENTICATION_FAILED]);
      expect(h.responder?.state).toBe("closed");
      expect(events(h.rEvents, "ike-sa-up")).toHaveLength(0);
    }
  });

  it("a CERT that is a bare SPKI or garbage DER in its place: AUTHENTICATION_FAILED, no throw", () => {
    for (const data of [
      Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff),
      new Uint8Array(0),
      Uint8Array.of(0x30, 0x00),
    ]) {
      const { h, request, inner } = certAuthHeld(backend);
      const changed = inner.map((p): Payload => (p.type === "CERT" ? { ...p, data } : p));
      h.deliver(withData(request, h.craft("initiator", ExchangeType.IKE_AUTH, 1, changed)));
      expect(notifies(responderAnswer(h))).toEqual([NotifyType.AUTHENTICATION_FAILED]);
      expect(h.responder?.state).toBe("closed");
    }
  });
});

describe("CVE-2025-39965 on the wire: Child SA SPIs 0 and 1-255 chosen by the peer", () => {
  it.each([0, 1, 255])("IKE_AUTH proposing ESP SPI %i: no Child SA with that SPI is installed", (spi) => {
    const { h, request, inner } = authHeld({ backend });
    const changed = inner.map(
      (p): Payload =>
        p.type === "SA" ? { ...p, proposals: p.proposals.map((x) => ({ ...x, spi: u32(spi) })) } : p,
    );
    h.deliver(withData(request, h.craft("initiator", ExchangeType.IKE_AUTH, 1, changed)));
    const answer = responderAnswer(h);
    for (const e of events(h.rEvents, "child-sa-up")) {
      expect(e.type === "child-sa-up" && e.child.outbound.spi).toBeGreaterThanOrEqual(256);
    }
    expect(
      notifies(answer).some((t) => t === NotifyType.NO_PROPOSAL_CHOSEN || t === NotifyType.INVALID_SYNTAX),
    ).toBe(true);
  });

  it.each([
    0, 1, 255,
  ])("a responder answering with ESP SPI %i: the initiator installs no such Child SA", (spi) => {
    const { h, request } = authHeld({ backend });
    h.deliver(request);
    const answer = hold(h);
    const inner = open(h, "initiator", answer.datagram.data)!;
    const changed = inner.map(
      (p): Payload =>
        p.type === "SA" ? { ...p, proposals: p.proposals.map((x) => ({ ...x, spi: u32(spi) })) } : p,
    );
    h.inject("responder", h.craft("responder", ExchangeType.IKE_AUTH, 1, changed, true));
    for (const e of events(h.iEvents, "child-sa-up")) {
      expect(e.type === "child-sa-up" && e.child.outbound.spi).toBeGreaterThanOrEqual(256);
    }
  });

  it("CREATE_CHILD_SA proposing ESP SPI 0: no Child SA with SPI 0", () => {
    const h = established({ backend });
    h.inject("initiator", h.craft("initiator", ExchangeType.CREATE_CHILD_SA, 2, childPayloads(u32(0))));
    const answer = responderAnswer(h);
    expect(answer).toBeDefined();
    for (const e of events(h.rEvents, "child-sa-up")) {
      expect(e.type === "child-sa-up" && e.child.outbound.spi).toBeGreaterThanOrEqual(256);
    }
  });
});

describe("positive control for the crafted CREATE_CHILD_SA", () => {
  it("a valid Child SA request is answered and creates the Child SA", () => {
    const h = established({ backend });
    h.inject(
      "initiator",
      h.craft("initiator", ExchangeType.CREATE_CHILD_SA, 2, childPayloads(u32(0x11223344))),
    );
    const answer = responderAnswer(h)!;
    expect(answer.map((p) => p.type)).toContain("SA");
    expect(h.responder?.snapshot().childSas).toBe(2);
  });
});
