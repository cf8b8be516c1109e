/**
 * Additional Child SAs with CREATE_CHILD_SA (RFC 7296 §1.3.1) between two in-process sessions:
 * requested by either end, with and without PFS, on both backends, with ESP through them; the
 * responder's TS_UNACCEPTABLE; and the new SA living its own life (rekeyed alone).
 */
import { describe, expect, it } from "vitest";
import type { CryptoBackend } from "../../../src/crypto/backend.js";
import { nobleBackend } from "../../../src/crypto/noble/index.js";
import { NotifyType } from "../../../src/ikev2/constants.js";
import type { ChildSaInfo, IkeEvent } from "../../../src/ikev2/session/types.js";
import { nodeBackend } from "../../../src/node/backend.js";
import { toHex } from "../../../src/wire/bytes.js";
import { espRoundTrip, events, Harness, initiatorConfig, responderConfig } from "./harness.js";

const BACKENDS: CryptoBackend[] = [nobleBackend, nodeBackend];

function ups(list: readonly IkeEvent[]): ChildSaInfo[] {
  return list.flatMap((e) => (e.type === "child-sa-up" ? [e.child] : []));
}

function established(options: ConstructorParameters<typeof Harness>[0]): Harness {
  const h = new Harness(options).start();
  h.run();
  expect(h.responder?.state).toBe("established");
  return h;
}

describe.each(BACKENDS)("another Child SA on the $name backend", (backend) => {
  it.each([
    ["the original initiator, without PFS", "initiator", "aes256gcm16"],
    ["the original initiator, with PFS", "initiator", "aes256gcm16-x25519"],
    ["the original responder, with PFS", "responder", "aes128-sha256-modp2048"],
  ] as const)("asked for by %s: up on both ends, ESP both ways", (_, side, esp) => {
    const h = established({
      backend,
      initiator: initiatorConfig({ espProposals: [esp] }),
      responder: responderConfig({ espProposals: [esp] }),
    });
    const out =
      side === "initiator"
        ? h.initiator.createChild(["198.19.0.1/32"], ["198.19.0.2/32"], h.now)
        : h.responder!.createChild(["198.19.0.2/32"], ["198.19.0.1/32"], h.now);
    h.absorb(out, side === "responder");
    h.run();
    const [firstI, secondI] = ups(h.iEvents);
    const [firstR, secondR] = ups(h.rEvents);
    expect(ups(h.iEvents)).toHaveLength(2);
    expect(ups(h.rEvents)).toHaveLength(2);
    expect(secondI!.outbound.spi).toBe(secondR!.inbound.spi);
    expect(secondI!.inbound.spi).toBe(secondR!.outbound.spi);
    expect(toHex(secondI!.outbound.encryptionKey!)).not.toBe(toHex(firstI!.outbound.encryptionKey!));
    expect(secondI!.localTs[0]?.startAddress).toEqual(Uint8Array.of(198, 19, 0, 1));
    expect(secondR!.localTs[0]?.startAddress).toEqual(Uint8Array.of(198, 19, 0, 2));
    espRoundTrip(backend, secondI!, secondR!);
    espRoundTrip(backend, secondR!, secondI!);
    // The first Child SA is untouched and still works.
    espRoundTrip(backend, firstI!, firstR!);
    expect(h.initiator.snapshot().childSas).toBe(2);
    expect(h.responder!.snapshot().childSas).toBe(2);
  });
});

describe("another Child SA", () => {
  it("selectors the peer does not allow: TS_UNACCEPTABLE, nothing created", () => {
    const h = established({ backend: nobleBackend });
    // The initiator's policy covers 198.19.0.1 only on its side.
    h.absorb(h.responder!.createChild(["198.19.0.2/32"], ["198.19.0.7/32"], h.now), true);
    h.run();
    expect(events(h.rEvents, "error")).toMatchObject([{ notifyType: NotifyType.TS_UNACCEPTABLE }]);
    expect(ups(h.iEvents)).toHaveLength(1);
    expect(ups(h.rEvents)).toHaveLength(1);
    expect(h.initiator.snapshot().childSas).toBe(1);
    expect(h.responder!.state).toBe("established");
  });

  it("is narrowed by the responder to its policy, here a /16 to a /24 (RFC 7296 §2.9)", () => {
    const h = established({
      backend: nobleBackend,
      initiator: initiatorConfig({ localTs: ["198.19.0.0/16"] }),
    });
    h.absorb(h.initiator.createChild(["198.19.0.0/16"], ["198.19.0.2/32"], h.now), false);
    h.run();
    const second = ups(h.iEvents)[1]!;
    expect(second.localTs[0]?.startAddress).toEqual(Uint8Array.of(198, 19, 0, 0));
    expect(second.localTs[0]?.endAddress).toEqual(Uint8Array.of(198, 19, 0, 255));
    expect(ups(h.rEvents)[1]!.remoteTs).toEqual(second.localTs);
  });

  it("is rekeyed on its own, leaving the first Child SA alone", () => {
    const h = established({ backend: nobleBackend });
    h.absorb(h.initiator.createChild(["198.19.0.1/32"], ["198.19.0.2/32"], h.now), false);
    h.run();
    const second = ups(h.iEvents)[1]!;
    h.absorb(h.responder!.rekeyChild(ups(h.rEvents)[1]!.inbound.spi, h.now), true);
    h.run();
    expect(events(h.iEvents, "child-sa-rekeyed")).toMatchObject([{ oldInboundSpi: second.inbound.spi }]);
    expect(events(h.iEvents, "child-sa-down")).toMatchObject([
      { inboundSpi: second.inbound.spi, reason: "rekeyed" },
    ]);
    expect(h.initiator.snapshot().childSas).toBe(2);
    expect(h.responder!.snapshot().childSas).toBe(2);
  });

  it("is not asked for before the IKE SA is established, and selectors must parse", () => {
    const h = new Harness({ backend: nobleBackend }).start();
    expect(h.initiator.createChild(["198.19.0.1/32"], ["198.19.0.2/32"], 0).datagrams).toHaveLength(0);
    expect(() => h.initiator.createChild(["not-an-address"], ["198.19.0.2/32"], 0)).toThrow();
    expect(() => h.initiator.createChild([], ["198.19.0.2/32"], 0)).toThrow(RangeError);
  });
});
