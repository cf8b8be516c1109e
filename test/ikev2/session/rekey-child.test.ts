/**
 * Child SA rekeying with CREATE_CHILD_SA (RFC 7296 §1.3.3, §2.8) between two in-process sessions:
 * both ends as rekey initiator, with and without PFS, on both backends; the old SA deleted by the
 * rekey initiator; ESP through the new SAs; retransmission; the responder's refusals.
 */
import { describe, expect, it } from "vitest";
import type { CryptoBackend } from "../../../src/crypto/backend.js";
import { nobleBackend } from "../../../src/crypto/noble/index.js";
import { prfByIkev2 } from "../../../src/crypto/registry.js";
import { encodeInnerPayloads, type Payload } from "../../../src/ikev2/chain.js";
import { ExchangeType, NotifyType, TsType } from "../../../src/ikev2/constants.js";
import { deriveChildSaKeys } from "../../../src/ikev2/keys.js";
import { decodeMessage } from "../../../src/ikev2/message.js";
import type { SaPayload } from "../../../src/ikev2/payloads/sa.js";
import type { TrafficSelector } from "../../../src/ikev2/payloads/ts.js";
import type { ChildSaInfo, IkeEvent } from "../../../src/ikev2/session/types.js";
import { SkProtection } from "../../../src/ikev2/sk-protect.js";
import { nodeBackend } from "../../../src/node/backend.js";
import { toHex } from "../../../src/wire/bytes.js";
import { espRoundTrip, events, type Flight, Harness, initiatorConfig, responderConfig } from "./harness.js";

const BACKENDS: CryptoBackend[] = [nobleBackend, nodeBackend];
const PRF_HMAC_SHA2_256 = 5;

type Rekeyed = Extract<IkeEvent, { type: "child-sa-rekeyed" }>;

function firstChild(list: readonly IkeEvent[]): ChildSaInfo {
  const e = list.find((x) => x.type === "child-sa-up");
  if (e?.type !== "child-sa-up") throw new Error("no child-sa-up");
  return e.child;
}

function rekeyed(list: readonly IkeEvent[]): Rekeyed[] {
  return list.filter((e): e is Rekeyed => e.type === "child-sa-rekeyed");
}

function exchangeOf(f: Flight): number {
  return decodeMessage(f.datagram.data).header.exchangeType;
}

function established(options: ConstructorParameters<typeof Harness>[0]): Harness {
  const h = new Harness(options).start();
  h.run();
  expect(h.responder?.state).toBe("established");
  return h;
}

describe.each(BACKENDS)("Child SA rekey on the $name backend", (backend) => {
  describe.each([
    ["the original initiator", "initiator"],
    ["the original responder", "responder"],
  ] as const)("started by %s", (_, side) => {
    it.each([
      ["without PFS", "aes256gcm16", "aes256gcm16"],
      ["with PFS (x25519)", "aes256gcm16-x25519", "aes256gcm16-x25519"],
      ["with PFS (modp2048), CBC + HMAC", "aes128-sha256-modp2048", "aes128-sha256-modp2048"],
    ])("%s: new SAs carry ESP both ways, the old one is deleted on both ends", (_, iEsp, rEsp) => {
      const h = established({
        backend,
        initiator: initiatorConfig({ espProposals: [iEsp] }),
        responder: responderConfig({ espProposals: [rEsp] }),
      });
      const oldI = firstChild(h.iEvents);
      const oldR = firstChild(h.rEvents);
      const starter = side === "initiator" ? h.initiator : h.responder!;
      const oldOfStarter = side === "initiator" ? oldI : oldR;
      h.absorb(starter.rekeyChild(oldOfStarter.inbound.spi, h.now), side === "responder");
      h.run();

      const [ri] = rekeyed(h.iEvents);
      const [rr] = rekeyed(h.rEvents);
      expect(rekeyed(h.iEvents)).toHaveLength(1);
      expect(rekeyed(h.rEvents)).toHaveLength(1);
      expect(ri).toMatchObject({ oldInboundSpi: oldI.inbound.spi, oldOutboundSpi: oldI.outbound.spi });
      expect(rr).toMatchObject({ oldInboundSpi: oldR.inbound.spi, oldOutboundSpi: oldR.outbound.spi });
      const ci = ri!.child;
      const cr = rr!.child;
      expect(ci.outbound.spi).toBe(cr.inbound.spi);
      expect(ci.inbound.spi).toBe(cr.outbound.spi);
      expect([ci.inbound.spi, ci.outbound.spi]).not.toContain(oldI.inbound.spi);
      expect([ci.inbound.spi, ci.outbound.spi]).not.toContain(oldI.outbound.spi);
      expect(toHex(ci.outbound.encryptionKey!)).not.toBe(toHex(oldI.outbound.encryptionKey!));
      expect(toHex(ci.inbound.encryptionKey!)).not.toBe(toHex(oldI.inbound.encryptionKey!));
      expect(ci.localTs).toEqual(oldI.localTs);
      expect(cr.remoteTs).toEqual(oldR.remoteTs);
      espRoundTrip(backend, ci, cr);
      espRoundTrip(backend, cr, ci);

      // RFC 7296 §2.8: the rekey initiator deletes the old SA; both ends report it as rekeyed.
      const downI = events(h.iEvents, "child-sa-down");
      const downR = events(h.rEvents, "child-sa-down");
      expect(downI).toEqual([
        {
          type: "child-sa-down",
          inboundSpi: oldI.inbound.spi,
          outboundSpi: oldI.outbound.spi,
          reason: "rekeyed",
        },
      ]);
      expect(downR).toEqual([
        {
          type: "child-sa-down",
          inboundSpi: oldR.inbound.spi,
          outboundSpi: oldR.outbound.spi,
          reason: "rekeyed",
        },
      ]);
      expect(h.initiator.snapshot().childSas).toBe(1);
      expect(h.responder!.snapshot().childSas).toBe(1);
      const exchanges = h.wire.map(exchangeOf).slice(4);
      expect(exchanges).toEqual([
        ExchangeType.CREATE_CHILD_SA,
        ExchangeType.CREATE_CHILD_SA,
        ExchangeType.INFORMATIONAL,
        ExchangeType.INFORMATIONAL,
      ]);
      // The Delete names the rekey initiator's old inbound SPI; the answer the peer's.
      const del = h.innerOf(h.wire[6]!).find((p) => p.type === "D");
      const ans = h.innerOf(h.wire[7]!).find((p) => p.type === "D");
      const starterOld = side === "initiator" ? oldI : oldR;
      expect(del?.type === "D" && toHex(del.spis[0]!)).toBe(
        starterOld.inbound.spi.toString(16).padStart(8, "0"),
      );
      expect(ans?.type === "D" && toHex(ans.spis[0]!)).toBe(
        starterOld.outbound.spi.toString(16).padStart(8, "0"),
      );

      // And the new SA can be rekeyed again.
      h.absorb(h.initiator.rekeyChild(ci.inbound.spi, h.now), false);
      h.run();
      expect(rekeyed(h.iEvents)).toHaveLength(2);
      expect(h.initiator.snapshot().childSas).toBe(1);
      expect(h.responder!.snapshot().childSas).toBe(1);
    });
  });
});

describe("PFS", () => {
  /** Rekeys the first Child SA, returning the nonces of the exchange and the new SA of the initiator. */
  function rekeyOnce(
    esp: string,
    side: "initiator" | "responder" = "initiator",
  ): {
    h: Harness;
    ni: Uint8Array;
    nr: Uint8Array;
    child: ChildSaInfo;
    ke: boolean;
  } {
    const h = established({
      backend: nobleBackend,
      initiator: initiatorConfig({ espProposals: [esp] }),
      responder: responderConfig({ espProposals: [esp] }),
    });
    if (side === "initiator")
      h.absorb(h.initiator.rekeyChild(firstChild(h.iEvents).inbound.spi, h.now), false);
    else h.absorb(h.responder!.rekeyChild(firstChild(h.rEvents).inbound.spi, h.now), true);
    const request = h.step()!;
    const reqInner = h.innerOf(request);
    const response = h.step()!;
    const resInner = h.innerOf(response);
    const nonce = (list: Payload[]) => {
      const n = list.find((p) => p.type === "Nonce");
      if (n?.type !== "Nonce") throw new Error("no nonce");
      return n.data.slice();
    };
    h.run();
    const child = rekeyed(side === "initiator" ? h.iEvents : h.rEvents)[0]!.child;
    const ke = reqInner.some((p) => p.type === "KE") && resInner.some((p) => p.type === "KE");
    return { h, ni: nonce(reqInner), nr: nonce(resInner), child, ke };
  }

  function withoutPfs(h: Harness, ni: Uint8Array, nr: Uint8Array): string {
    const keys = deriveChildSaKeys({
      backend: nobleBackend,
      prf: prfByIkev2(PRF_HMAC_SHA2_256)!,
      skD: h.initiator.ikeKeys()!.keys.skD,
      ni,
      nr,
      // The IKE SA and the Child SA both use AES-256-GCM-16 here.
      encryption: h.initiator.ikeKeys()!.suite.encryption,
      keyBits: 256,
    });
    return toHex(keys.encryptionI);
  }

  it.each([
    "initiator",
    "responder",
  ] as const)("without KE the keys are prf+(SK_d, Ni | Nr) of the exchange, I keys from its initiator (the IKE %s)", (side) => {
    const { h, ni, nr, child, ke } = rekeyOnce("aes256gcm16", side);
    expect(ke).toBe(false);
    // RFC 7296 §2.17: Ni, Nr and "initiator to responder" are those of the CREATE_CHILD_SA exchange.
    expect(toHex(child.outbound.encryptionKey!)).toBe(withoutPfs(h, ni, nr));
  });

  it("with KE both sides send one, and g^ir changes the keys (RFC 7296 §2.17)", () => {
    const { h, ni, nr, child, ke } = rekeyOnce("aes256gcm16-x25519");
    expect(ke).toBe(true);
    expect(toHex(child.outbound.encryptionKey!)).not.toBe(withoutPfs(h, ni, nr));
  });

  it("INVALID_KE_PAYLOAD names the responder's group; the initiator asks again with it", () => {
    const h = established({
      backend: nobleBackend,
      initiator: initiatorConfig({ espProposals: ["aes256gcm16-x25519-modp2048"] }),
      responder: responderConfig({ espProposals: ["aes256gcm16-modp2048"] }),
    });
    h.absorb(h.initiator.rekeyChild(firstChild(h.iEvents).inbound.spi, h.now), false);
    h.step();
    const refusal = h.innerOf(h.step()!);
    expect(refusal).toMatchObject([
      { type: "N", notifyType: NotifyType.INVALID_KE_PAYLOAD, data: Uint8Array.of(0, 14) },
    ]);
    expect(rekeyed(h.rEvents)).toHaveLength(0);
    const retry = h.innerOf(h.step()!);
    expect(retry.find((p) => p.type === "KE")).toMatchObject({ group: 14 });
    h.run();
    expect(events(h.iEvents, "error")).toMatchObject([{ notifyType: NotifyType.INVALID_KE_PAYLOAD }]);
    espRoundTrip(nobleBackend, rekeyed(h.iEvents)[0]!.child, rekeyed(h.rEvents)[0]!.child);
  });
});

describe("rekeying at the soft lifetime", () => {
  it("happens at the soft lifetime minus at most 10 %, and again for the new SA", () => {
    const lifetime = { softSeconds: 100, hardSeconds: 120 };
    const h = established({
      backend: nobleBackend,
      // Only one end has the short lifetime, so the two never start at the same instant.
      initiator: initiatorConfig({ childLifetime: lifetime }),
    });
    const start = h.now;
    for (let i = 0; i < 8 && rekeyed(h.iEvents).length === 0; i++) h.advance().run();
    expect(rekeyed(h.iEvents)).toHaveLength(1);
    expect(rekeyed(h.rEvents)).toHaveLength(1);
    const first = h.now;
    expect(first - start).toBeGreaterThanOrEqual(90_000);
    expect(first - start).toBeLessThanOrEqual(100_000);
    expect(h.initiator.snapshot().childSas).toBe(1);
    for (let i = 0; i < 8 && rekeyed(h.iEvents).length === 1; i++) h.advance().run();
    expect(rekeyed(h.iEvents)).toHaveLength(2);
    expect(h.now - first).toBeGreaterThanOrEqual(90_000);
    expect(h.now - first).toBeLessThanOrEqual(100_000);
    expect(events(h.rEvents, "child-sa-down")).toHaveLength(2);
    expect(h.responder!.snapshot().childSas).toBe(1);
  });
});

describe("retransmission", () => {
  it("a retransmitted CREATE_CHILD_SA request is answered from the cache, the SA made once", () => {
    const h = established({ backend: nobleBackend });
    h.absorb(h.initiator.rekeyChild(firstChild(h.iEvents).inbound.spi, h.now), false);
    h.step();
    const lost = h.step(() => null)!;
    h.advance();
    const again = h.step()!;
    expect(again.toResponder).toBe(true);
    const cached = h.step()!;
    expect(toHex(cached.datagram.data)).toBe(toHex(lost.datagram.data));
    h.run();
    expect(rekeyed(h.rEvents)).toHaveLength(1);
    expect(rekeyed(h.iEvents)).toHaveLength(1);
    espRoundTrip(nobleBackend, rekeyed(h.iEvents)[0]!.child, rekeyed(h.rEvents)[0]!.child);
  });
});

describe("rekeyChild command", () => {
  it("for an unknown SPI sends nothing", () => {
    const h = established({ backend: nobleBackend });
    const out = h.initiator.rekeyChild(0x7fff_fff0, h.now);
    expect(out.datagrams).toHaveLength(0);
  });

  it("in transport mode keeps transport mode", () => {
    const h = established({
      backend: nobleBackend,
      initiator: initiatorConfig({ mode: "transport" }),
      responder: responderConfig({ mode: "transport" }),
    });
    h.absorb(h.responder!.rekeyChild(firstChild(h.rEvents).inbound.spi, h.now), true);
    h.run();
    expect(rekeyed(h.iEvents)[0]?.child.mode).toBe("transport");
    expect(rekeyed(h.rEvents)[0]?.child.mode).toBe("transport");
  });
});

describe("the responder refuses a bad rekey request, and nothing changes", () => {
  const ESP_GCM_256: SaPayload = {
    type: "SA",
    proposals: [
      {
        number: 1,
        protocolId: 3,
        spi: Uint8Array.of(0, 0, 0x77, 0x77),
        transforms: [
          { transformType: 1, id: 20, attributes: [{ format: "tv", attrType: 14, value: 256 }] },
          { transformType: 5, id: 0, attributes: [] },
        ],
      },
    ],
  };
  const TS: Payload[] = [
    { type: "TSi", selectors: [tsOf(198, 19, 0, 1)] },
    { type: "TSr", selectors: [tsOf(198, 19, 0, 2)] },
  ];

  function tsOf(...ip: number[]): TrafficSelector {
    const a = Uint8Array.from(ip);
    return {
      tsType: TsType.TS_IPV4_ADDR_RANGE,
      ipProtocol: 0,
      startPort: 0,
      endPort: 65535,
      startAddress: a,
      endAddress: a,
    };
  }

  function rekeySa(h: Harness, protocolId = 3): Payload {
    const spi = firstChild(h.iEvents).inbound.spi;
    return {
      type: "N",
      protocolId,
      spi: Uint8Array.of(spi >>> 24, (spi >>> 16) & 0xff, (spi >>> 8) & 0xff, spi & 0xff),
      notifyType: NotifyType.REKEY_SA,
      data: new Uint8Array(0),
    };
  }

  /** Sends a crafted CREATE_CHILD_SA request as the initiator; returns the responder's answer. */
  function answer(h: Harness, payloads: (h: Harness) => Payload[], messageId = 2): Payload[] {
    h.inject("initiator", h.craft("initiator", ExchangeType.CREATE_CHILD_SA, messageId, payloads(h)));
    const f = h.step()!;
    expect(f.toResponder).toBe(false);
    return h.innerOf(f);
  }

  const nonce: Payload = { type: "Nonce", data: new Uint8Array(32).fill(5) };

  it.each([
    [
      "an unknown SPI in REKEY_SA: CHILD_SA_NOT_FOUND with that SPI (RFC 7296 §2.25)",
      () => [
        {
          type: "N",
          protocolId: 3,
          spi: Uint8Array.of(0, 0, 0, 9),
          notifyType: NotifyType.REKEY_SA,
          data: new Uint8Array(0),
        },
        ESP_GCM_256,
        nonce,
        ...TS,
      ],
      { type: "N", protocolId: 3, spi: Uint8Array.of(0, 0, 0, 9), notifyType: NotifyType.CHILD_SA_NOT_FOUND },
    ],
    [
      "REKEY_SA about the IKE SA (protocol 0, no SPI): CHILD_SA_NOT_FOUND without an SPI (CVE-2023-38710)",
      () => [
        {
          type: "N",
          protocolId: 0,
          spi: new Uint8Array(0),
          notifyType: NotifyType.REKEY_SA,
          data: new Uint8Array(0),
        },
        ESP_GCM_256,
        nonce,
        ...TS,
      ],
      { type: "N", protocolId: 0, spi: new Uint8Array(0), notifyType: NotifyType.CHILD_SA_NOT_FOUND },
    ],
    [
      "REKEY_SA naming an AH SPI: CHILD_SA_NOT_FOUND (only ESP Child SAs exist)",
      (h: Harness) => [rekeySa(h, 2), ESP_GCM_256, nonce, ...TS],
      { type: "N", protocolId: 2, notifyType: NotifyType.CHILD_SA_NOT_FOUND },
    ],
    [
      "KE for a group not chosen: INVALID_KE_PAYLOAD with the chosen group",
      (h: Harness) => [
        rekeySa(h),
        {
          ...ESP_GCM_256,
          proposals: [
            {
              ...ESP_GCM_256.proposals[0]!,
              transforms: [
                ...ESP_GCM_256.proposals[0]!.transforms,
                { transformType: 4, id: 1025, attributes: [] },
                { transformType: 4, id: 31, attributes: [] },
              ],
            },
          ],
        },
        nonce,
        { type: "KE", group: 1025, data: new Uint8Array(32) },
        ...TS,
      ],
      { type: "N", notifyType: NotifyType.INVALID_KE_PAYLOAD, data: Uint8Array.of(0, 31) },
    ],
    [
      "a KE payload with no KE method negotiated: INVALID_SYNTAX",
      (h: Harness) => [
        rekeySa(h),
        ESP_GCM_256,
        nonce,
        { type: "KE", group: 31, data: new Uint8Array(32) },
        ...TS,
      ],
      { type: "N", notifyType: NotifyType.INVALID_SYNTAX },
    ],
    [
      "no acceptable proposal: NO_PROPOSAL_CHOSEN",
      (h: Harness) => [
        rekeySa(h),
        {
          ...ESP_GCM_256,
          proposals: [
            {
              ...ESP_GCM_256.proposals[0]!,
              transforms: [
                { transformType: 1, id: 12, attributes: [{ format: "tv", attrType: 14, value: 192 }] },
                { transformType: 5, id: 0, attributes: [] },
              ],
            },
          ],
        },
        nonce,
        ...TS,
      ],
      { type: "N", notifyType: NotifyType.NO_PROPOSAL_CHOSEN },
    ],
    [
      "selectors outside the policy: TS_UNACCEPTABLE",
      (h: Harness) => [
        rekeySa(h),
        ESP_GCM_256,
        nonce,
        { type: "TSi", selectors: [tsOf(10, 9, 9, 9)] },
        { type: "TSr", selectors: [tsOf(198, 19, 0, 2)] },
      ],
      { type: "N", notifyType: NotifyType.TS_UNACCEPTABLE },
    ],
  ] as const)("%s", (_, payloads, expected) => {
    const h = established({
      backend: nobleBackend,
      responder: responderConfig({ espProposals: ["aes256gcm16-x25519", "aes256gcm16"] }),
    });
    const inner = answer(h, payloads as (h: Harness) => Payload[]);
    expect(inner).toHaveLength(1);
    expect(inner[0]).toMatchObject(expected);
    expect(h.responder!.state).toBe("established");
    expect(h.responder!.snapshot().childSas).toBe(1);
    expect(rekeyed(h.rEvents)).toHaveLength(0);
    expect(events(h.rEvents, "child-sa-down")).toHaveLength(0);
  });

  it.each([
    ["Ni", (h: Harness) => [rekeySa(h), ESP_GCM_256, ...TS]],
    ["SA", (h: Harness) => [rekeySa(h), nonce, ...TS]],
  ])("a request without %s breaks the rules: INVALID_SYNTAX, no Child SA made", (_, payloads) => {
    const h = established({ backend: nobleBackend });
    const inner = answer(h, payloads);
    expect(inner).toMatchObject([{ type: "N", notifyType: NotifyType.INVALID_SYNTAX }]);
    expect(rekeyed(h.rEvents)).toHaveLength(0);
    expect(events(h.rEvents, "child-sa-up")).toHaveLength(1);
  });

  it("REKEY_SA with protocol IKE and an SPI never echoes it: the notify is INVALID_SYNTAX (CVE-2023-38710)", () => {
    const h = established({ backend: nobleBackend });
    // The encoder refuses this notify, so the plaintext is patched: Protocol ID follows the
    // 4-octet generic header of the first inner payload (RFC 7296 §3.10).
    const plaintext = encodeInnerPayloads([rekeySa(h), ESP_GCM_256, nonce, ...TS]);
    plaintext.bytes[4] = 1;
    const material = h.initiator.ikeKeys()!;
    const sk = new SkProtection({
      ...material.suite,
      backend: nobleBackend,
      keys: material.keys,
      role: "initiator",
    });
    const header = {
      spiI: h.initiator.spiI,
      spiR: h.initiator.spiR,
      minorVersion: 0,
      exchangeType: ExchangeType.CREATE_CHILD_SA,
      initiator: true,
      response: false,
      higherVersion: false,
      messageId: 2,
    };
    h.inject("initiator", sk.protect(header, plaintext));
    sk.destroy();
    const inner = h.innerOf(h.step()!);
    expect(inner).toMatchObject([
      { type: "N", protocolId: 0, spi: new Uint8Array(0), notifyType: NotifyType.INVALID_SYNTAX },
    ]);
    expect(rekeyed(h.rEvents)).toHaveLength(0);
  });

  it("a second rekey of a Child SA already replaced (waiting for its Delete): TEMPORARY_FAILURE (§2.25.1)", () => {
    const h = established({ backend: nobleBackend });
    const old = firstChild(h.iEvents);
    h.absorb(h.initiator.rekeyChild(old.inbound.spi, h.now), false);
    h.step();
    h.step();
    // The initiator's Delete of the old SA (message ID 3) is lost; a confused peer rekeys it again.
    h.step(() => null);
    expect(h.responder!.snapshot().childSas).toBe(2);
    const inner = answer(h, (x) => [rekeySa(x), ESP_GCM_256, nonce, ...TS], 3);
    expect(inner).toMatchObject([{ type: "N", notifyType: NotifyType.TEMPORARY_FAILURE }]);
    expect(rekeyed(h.rEvents)).toHaveLength(1);
    expect(h.responder!.snapshot().childSas).toBe(2);
  });
});
