/**
 * IKE SA rekeying with CREATE_CHILD_SA (RFC 7296 §1.3.2, §2.18) between two in-process sessions:
 * started by either end (the rekey initiator becomes the new SA's initiator), Child SAs kept,
 * message IDs from 0, the old SA deleted, its Delete's retransmission answered, and the
 * responder's refusals.
 */
import { describe, expect, it } from "vitest";
import type { CryptoBackend } from "../../../src/crypto/backend.js";
import { nobleBackend } from "../../../src/crypto/noble/index.js";
import type { Payload } from "../../../src/ikev2/chain.js";
import { ExchangeType, NotifyType } from "../../../src/ikev2/constants.js";
import { decodeMessage } from "../../../src/ikev2/message.js";
import type { SaPayload } from "../../../src/ikev2/payloads/sa.js";
import type { ChildSaInfo, IkeEvent } from "../../../src/ikev2/session/types.js";
import { nodeBackend } from "../../../src/node/backend.js";
import { toHex } from "../../../src/wire/bytes.js";
import { espRoundTrip, events, Harness, initiatorConfig, responderConfig } from "./harness.js";

const BACKENDS: CryptoBackend[] = [nobleBackend, nodeBackend];

type IkeRekeyed = Extract<IkeEvent, { type: "ike-sa-rekeyed" }>;
type ChildRekeyed = Extract<IkeEvent, { type: "child-sa-rekeyed" }>;

function ikeRekeyed(list: readonly IkeEvent[]): IkeRekeyed[] {
  return list.filter((e): e is IkeRekeyed => e.type === "ike-sa-rekeyed");
}

function childRekeyed(list: readonly IkeEvent[]): ChildRekeyed[] {
  return list.filter((e): e is ChildRekeyed => e.type === "child-sa-rekeyed");
}

function firstChild(list: readonly IkeEvent[]): ChildSaInfo {
  const e = list.find((x) => x.type === "child-sa-up");
  if (e?.type !== "child-sa-up") throw new Error("no child-sa-up");
  return e.child;
}

function established(options: ConstructorParameters<typeof Harness>[0]): Harness {
  const h = new Harness(options).start();
  h.run();
  expect(h.responder?.state).toBe("established");
  return h;
}

describe.each(BACKENDS)("IKE SA rekey on the $name backend", (backend) => {
  it.each([
    "initiator",
    "responder",
  ] as const)("started by the original %s: new SPIs and keys, roles from the rekey, Child SA kept", (side) => {
    const h = established({ backend });
    const r = h.responder!;
    const starter = side === "initiator" ? h.initiator : r;
    const other = side === "initiator" ? r : h.initiator;
    const old = { spiI: toHex(h.initiator.spiI), spiR: toHex(h.initiator.spiR) };
    const oldSkD = toHex(h.initiator.ikeKeys()!.keys.skD);
    h.absorb(starter.rekeyIke(h.now), side === "responder");
    h.run();

    const [ei] = ikeRekeyed(h.iEvents);
    const [er] = ikeRekeyed(h.rEvents);
    expect(ikeRekeyed(h.iEvents)).toHaveLength(1);
    expect(ikeRekeyed(h.rEvents)).toHaveLength(1);
    expect(toHex(ei!.oldSpiI)).toBe(old.spiI);
    expect(toHex(ei!.oldSpiR)).toBe(old.spiR);
    expect(toHex(er!.spiI)).toBe(toHex(ei!.spiI));
    expect(toHex(er!.spiR)).toBe(toHex(ei!.spiR));
    expect(toHex(ei!.spiI)).not.toBe(old.spiI);
    expect(toHex(ei!.spiR)).not.toBe(old.spiR);
    // RFC 7296 §2.18: the initiator of the rekey is the initiator of the new IKE SA.
    expect(starter.role).toBe("initiator");
    expect(other.role).toBe("responder");
    expect(toHex(starter.spiI)).toBe(toHex(ei!.spiI));
    expect(toHex(h.initiator.ikeKeys()!.keys.skD)).not.toBe(oldSkD);
    expect(toHex(h.initiator.ikeKeys()!.keys.skEi)).toBe(toHex(r.ikeKeys()!.keys.skEi));
    // The Child SA moved to the new IKE SA; nothing went down.
    expect(h.initiator.snapshot().childSas).toBe(1);
    expect(r.snapshot().childSas).toBe(1);
    expect(events([...h.iEvents, ...h.rEvents], "child-sa-down")).toHaveLength(0);
    expect(events([...h.iEvents, ...h.rEvents], "ike-sa-down")).toHaveLength(0);
    expect(h.initiator.state).toBe("established");
    expect(r.state).toBe("established");
    // The side that answered the old SA's Delete keeps answering for it until the peer moves on.
    expect(starter.spis()).toHaveLength(1);
    expect(other.spis()).toHaveLength(2);

    // The new SA works, from message ID 0: rekey the Child SA through it (with the new SK_d).
    const before = h.wire.length;
    h.absorb(h.initiator.rekeyChild(firstChild(h.iEvents).inbound.spi, h.now), false);
    h.run();
    const first = decodeMessage(h.wire[before]!.datagram.data).header;
    expect(first.exchangeType).toBe(ExchangeType.CREATE_CHILD_SA);
    expect(first.messageId).toBe(0);
    expect(toHex(first.spiI)).toBe(toHex(ei!.spiI));
    expect(first.initiator).toBe(side === "initiator");
    const ci = childRekeyed(h.iEvents)[0]!.child;
    const cr = childRekeyed(h.rEvents)[0]!.child;
    espRoundTrip(backend, ci, cr);
    espRoundTrip(backend, cr, ci);
    expect(events(h.rEvents, "child-sa-down")).toMatchObject([{ reason: "rekeyed" }]);

    // And it can be rekeyed again, then closed.
    h.absorb(other.rekeyIke(h.now), side === "initiator");
    h.run();
    expect(ikeRekeyed(h.iEvents)).toHaveLength(2);
    h.absorb(h.initiator.close(h.now), false);
    h.run();
    expect(h.initiator.state).toBe("closed");
    expect(r.state).toBe("closed");
    expect(events(h.rEvents, "ike-sa-down")).toMatchObject([{ reason: "deleted-by-peer" }]);
  });
});

describe("IKE SA rekey, responder side", () => {
  it("routes old and new SPIs while the old SA's Delete is due, answers its retransmission from the cache", () => {
    const h = established({ backend: nobleBackend });
    const r = h.responder!;
    h.absorb(h.initiator.rekeyIke(h.now), false);
    h.step(); // rekey request
    expect(r.spis()).toHaveLength(2);
    h.step(); // rekey response
    h.step(); // the Delete of the old IKE SA
    expect(ikeRekeyed(h.rEvents)).toHaveLength(1);
    // Moved, and still answering for the old SA's Delete.
    expect(r.spis()).toHaveLength(2);
    const answer = h.step(() => null)!; // its answer is lost
    expect(ikeRekeyed(h.iEvents)).toHaveLength(0);
    h.advance();
    const again = h.step()!;
    expect(again.toResponder).toBe(true);
    const cached = h.step()!;
    expect(toHex(cached.datagram.data)).toBe(toHex(answer.datagram.data));
    expect(ikeRekeyed(h.iEvents)).toHaveLength(1);
    expect(h.initiator.state).toBe("established");
    // The first message on the new SA retires the old one.
    h.absorb(h.initiator.rekeyChild(firstChild(h.iEvents).inbound.spi, h.now), false);
    h.run();
    expect(r.spis()).toHaveLength(1);
    expect(childRekeyed(h.rEvents)).toHaveLength(1);
  });

  it("INVALID_KE_PAYLOAD: the rekey initiator asks again with the group named (RFC 7296 §1.3.2, §1.2)", () => {
    // IKE_SA_INIT settles on x25519 (the initiator's order); B's rekey proposes modp2048 first,
    // which A picks, while B's KEi is still for x25519.
    const h = established({
      backend: nobleBackend,
      initiator: initiatorConfig({ ikeProposals: ["aes256gcm16-prfsha256-x25519-modp2048"] }),
      responder: responderConfig({ ikeProposals: ["aes256gcm16-prfsha256-modp2048-x25519"] }),
    });
    expect(h.initiator.snapshot().algorithms?.keGroup).toBe("x25519");
    h.absorb(h.responder!.rekeyIke(h.now), true);
    h.run();
    expect(events(h.rEvents, "error")).toMatchObject([{ notifyType: NotifyType.INVALID_KE_PAYLOAD }]);
    expect(ikeRekeyed(h.iEvents)).toHaveLength(1);
    expect(ikeRekeyed(h.rEvents)).toHaveLength(1);
    expect(h.initiator.snapshot().algorithms?.keGroup).toBe("modp2048");
    expect(h.responder!.snapshot().algorithms?.keGroup).toBe("modp2048");
  });

  it("a retransmitted rekey request is answered from the cache; one new IKE SA results", () => {
    const h = established({ backend: nobleBackend });
    h.absorb(h.initiator.rekeyIke(h.now), false);
    h.step();
    const lost = h.step(() => null)!;
    const next = h.responder!.spis()[1]!;
    h.advance();
    h.step();
    expect(toHex(h.step()!.datagram.data)).toBe(toHex(lost.datagram.data));
    expect(toHex(h.responder!.spis()[1]!.spiR)).toBe(toHex(next.spiR));
    h.run();
    expect(ikeRekeyed(h.iEvents)).toHaveLength(1);
    expect(toHex(h.initiator.spiR)).toBe(toHex(next.spiR));
  });

  it("rekeys at ikeRekeySeconds minus at most 10 %", () => {
    const h = established({
      backend: nobleBackend,
      initiator: initiatorConfig({ ikeRekeySeconds: 1000 }),
    });
    for (let i = 0; i < 8 && ikeRekeyed(h.iEvents).length === 0; i++) h.advance().run();
    expect(ikeRekeyed(h.iEvents)).toHaveLength(1);
    expect(ikeRekeyed(h.rEvents)).toHaveLength(1);
    expect(h.now).toBeGreaterThanOrEqual(900_000);
    expect(h.now).toBeLessThanOrEqual(1_000_000);
  });

  it("without ikeRekeySeconds there is no IKE SA rekey timer", () => {
    const h = established({
      backend: nobleBackend,
      responder: responderConfig({ childLifetime: { softSeconds: 50, hardSeconds: 60 } }),
      initiator: initiatorConfig({ childLifetime: { softSeconds: 50, hardSeconds: 60 } }),
    });
    for (let i = 0; i < 6; i++) h.advance().run();
    expect(ikeRekeyed(h.iEvents)).toHaveLength(0);
    expect(childRekeyed(h.iEvents).length).toBeGreaterThan(0);
  });

  it("an IKE SA rekey crossing a Child SA rekey: both get TEMPORARY_FAILURE (§2.25.1, §2.25.2), both succeed later", () => {
    const h = established({ backend: nobleBackend });
    const r = h.responder!;
    h.absorb(h.initiator.rekeyIke(h.now), false);
    h.absorb(r.rekeyChild(firstChild(h.rEvents).inbound.spi, h.now), true);
    h.run();
    expect(events(h.iEvents, "error")).toMatchObject([{ notifyType: NotifyType.TEMPORARY_FAILURE }]);
    expect(events(h.rEvents, "error")).toMatchObject([{ notifyType: NotifyType.TEMPORARY_FAILURE }]);
    expect(ikeRekeyed(h.iEvents)).toHaveLength(0);
    expect(childRekeyed(h.iEvents)).toHaveLength(0);
    const failedAt = h.now;
    for (
      let i = 0;
      i < 8 && (ikeRekeyed(h.iEvents).length === 0 || childRekeyed(h.iEvents).length === 0);
      i++
    ) {
      h.advance().run();
    }
    // RFC 7296 §2.25: "it MUST NOT immediately retry".
    expect(h.now - failedAt).toBeGreaterThan(0);
    expect(ikeRekeyed(h.iEvents)).toHaveLength(1);
    expect(ikeRekeyed(h.rEvents)).toHaveLength(1);
    expect(childRekeyed(h.iEvents)).toHaveLength(1);
    expect(childRekeyed(h.rEvents)).toHaveLength(1);
    expect(h.initiator.snapshot().childSas).toBe(1);
    expect(r.snapshot().childSas).toBe(1);
    espRoundTrip(nobleBackend, childRekeyed(h.iEvents)[0]!.child, childRekeyed(h.rEvents)[0]!.child);
  });

  const ikeSa = (spi: Uint8Array, group = 31): SaPayload => ({
    type: "SA",
    proposals: [
      {
        number: 1,
        protocolId: 1,
        spi,
        transforms: [
          { transformType: 1, id: 20, attributes: [{ format: "tv", attrType: 14, value: 256 }] },
          { transformType: 2, id: 5, attributes: [] },
          { transformType: 4, id: group, attributes: [] },
        ],
      },
    ],
  });
  const nonce: Payload = { type: "Nonce", data: new Uint8Array(32).fill(3) };
  const spi = new Uint8Array(8).fill(0x42);

  it.each([
    [
      "KEi for another group: INVALID_KE_PAYLOAD with the chosen one",
      [ikeSa(spi), nonce, { type: "KE", group: 14, data: new Uint8Array(256) }],
      { notifyType: NotifyType.INVALID_KE_PAYLOAD, data: Uint8Array.of(0, 31) },
    ],
    ["no KEi: INVALID_SYNTAX", [ikeSa(spi), nonce], { notifyType: NotifyType.INVALID_SYNTAX }],
    [
      "a zero SPI: NO_PROPOSAL_CHOSEN",
      [ikeSa(new Uint8Array(8)), nonce, { type: "KE", group: 31, data: new Uint8Array(32).fill(9) }],
      { notifyType: NotifyType.NO_PROPOSAL_CHOSEN },
    ],
    [
      "a KE value of the wrong length: INVALID_SYNTAX (CVE-2023-41913)",
      [ikeSa(spi), nonce, { type: "KE", group: 31, data: new Uint8Array(33) }],
      { notifyType: NotifyType.INVALID_SYNTAX },
    ],
  ] as const)("%s; nothing changes", (_, payloads, expected) => {
    const h = established({ backend: nobleBackend });
    h.inject(
      "initiator",
      h.craft("initiator", ExchangeType.CREATE_CHILD_SA, 2, payloads as readonly Payload[]),
    );
    const f = h.step()!;
    expect(f.toResponder).toBe(false);
    expect(h.innerOf(f)).toMatchObject([{ type: "N", ...expected }]);
    expect(h.responder!.spis()).toHaveLength(1);
    expect(h.responder!.state).toBe("established");
  });
});
