/**
 * IKE SA and first Child SA establishment with PSK between two in-process sessions (RFC 7296
 * §1.2), for several suites on both backends, then real ESP traffic through the result.
 */
import { describe, expect, it } from "vitest";
import type { CryptoBackend } from "../../../src/crypto/backend.js";
import { nobleBackend } from "../../../src/crypto/noble/index.js";
import { ExchangeType, NotifyType } from "../../../src/ikev2/constants.js";
import { decodeMessage } from "../../../src/ikev2/message.js";
import type { ChildSaInfo, IkeEvent } from "../../../src/ikev2/session/types.js";
import { nodeBackend } from "../../../src/node/backend.js";
import { toHex } from "../../../src/wire/bytes.js";
import { espRoundTrip, events, Harness, I_ADDRESS, initiatorConfig, responderConfig } from "./harness.js";

const BACKENDS: CryptoBackend[] = [nobleBackend, nodeBackend];
const SUITES = [
  { ike: "aes256gcm16-prfsha256-x25519", esp: "aes256gcm16" },
  { ike: "aes128-sha256-modp2048", esp: "aes128-sha256" },
  { ike: "chacha20poly1305-prfsha256-x25519", esp: "chacha20poly1305" },
] as const;

function child(list: readonly IkeEvent[]): ChildSaInfo {
  const e = list.find((x) => x.type === "child-sa-up");
  if (e?.type !== "child-sa-up") throw new Error("no child-sa-up");
  return e.child;
}

describe.each(BACKENDS)("establishment on the $name backend", (backend) => {
  describe.each(SUITES)("$ike / $esp", ({ ike, esp }) => {
    it("brings up the IKE SA and a Child SA with matching keys, and ESP flows both ways", () => {
      const h = new Harness({
        backend,
        initiator: initiatorConfig({ ikeProposals: [ike], espProposals: [esp] }),
        responder: responderConfig({ ikeProposals: [ike], espProposals: [esp] }),
      }).start();
      h.run();
      expect(h.initiator.state).toBe("established");
      expect(h.responder?.state).toBe("established");
      expect(events(h.iEvents, "ike-sa-up")).toHaveLength(1);
      expect(events(h.rEvents, "ike-sa-up")).toHaveLength(1);
      const ci = child(h.iEvents);
      const cr = child(h.rEvents);
      expect(ci.outbound.spi).toBe(cr.inbound.spi);
      expect(ci.inbound.spi).toBe(cr.outbound.spi);
      expect(toHex(ci.outbound.encryptionKey!)).toBe(toHex(cr.inbound.encryptionKey!));
      expect(toHex(ci.inbound.encryptionKey!)).toBe(toHex(cr.outbound.encryptionKey!));
      expect(toHex(ci.outbound.encryptionKey!)).not.toBe(toHex(ci.inbound.encryptionKey!));
      expect(ci.mode).toBe("tunnel");
      expect(ci.localTs[0]?.startAddress).toEqual(Uint8Array.of(198, 19, 0, 1));
      expect(cr.remoteTs[0]?.startAddress).toEqual(Uint8Array.of(198, 19, 0, 1));
      espRoundTrip(backend, ci, cr);
      espRoundTrip(backend, cr, ci);
      const si = h.initiator.snapshot();
      expect(si.spiI).toBe(h.responder!.snapshot().spiI);
      expect(si.spiR).toBe(h.responder!.snapshot().spiR);
      expect(si.remoteId).toEqual({ type: "fqdn", value: "responder.ikei.test" });
      expect(h.responder!.snapshot().remoteId).toEqual({ type: "fqdn", value: "initiator.ikei.test" });
      expect(si.childSas).toBe(1);
      // No NAT between the two: everything stays on port 500 without the non-ESP marker.
      expect(h.wire.every((f) => !f.datagram.nonEspMarker && f.datagram.localPort === 500)).toBe(true);
      expect(ci.outbound.udpEncapsulation).toBeUndefined();
    });
  });
});

describe("NAT traversal", () => {
  it("forced encapsulation moves IKE_AUTH to port 4500 with the non-ESP marker, ESP in UDP", () => {
    const h = new Harness({
      backend: nobleBackend,
      initiator: initiatorConfig({ forceEncapsulation: true }),
    }).start();
    h.run();
    expect(h.initiator.state).toBe("established");
    const auth = h.wire.filter(
      (f) => decodeMessage(f.datagram.data).header.exchangeType === ExchangeType.IKE_AUTH,
    );
    expect(auth).toHaveLength(2);
    for (const f of auth) {
      expect(f.datagram.nonEspMarker).toBe(true);
      expect(f.datagram.localPort).toBe(4500);
      expect(f.datagram.remote.port).toBe(4500);
    }
    const ci = child(h.iEvents);
    const cr = child(h.rEvents);
    expect(ci.outbound.udpEncapsulation).toEqual({ sourcePort: 4500, destinationPort: 4500 });
    expect(cr.outbound.udpEncapsulation).toEqual({ sourcePort: 4500, destinationPort: 4500 });
    expect(h.initiator.snapshot().natTraversal).toBe(true);
    espRoundTrip(nobleBackend, ci, cr);
    espRoundTrip(nobleBackend, cr, ci);
  });

  it("a responder that forces encapsulation makes the initiator see a NAT", () => {
    const h = new Harness({
      backend: nobleBackend,
      responder: responderConfig({ forceEncapsulation: true }),
    }).start();
    h.run();
    expect(h.initiator.state).toBe("established");
    expect(h.initiator.snapshot().natTraversal).toBe(true);
    expect(h.wire.at(-1)?.datagram.localPort).toBe(4500);
  });

  it("a NAT that rewrites the initiator's address is detected and followed", () => {
    const natted = { address: "203.0.113.7", port: 31000 };
    const h = new Harness({ backend: nobleBackend }).start();
    // The NAT maps the initiator's port p to natted.port + p, and back.
    h.run((f) =>
      f.toResponder
        ? { ...f, from: { ...natted, port: natted.port + f.from.port } }
        : {
            ...f,
            datagram: {
              ...f.datagram,
              remote: { address: I_ADDRESS, port: f.datagram.remote.port - natted.port },
            },
          },
    );
    expect(h.responder?.state).toBe("established");
    expect(h.responder?.snapshot().natTraversal).toBe(true);
    expect(h.responder?.snapshot().remote).toEqual({ address: natted.address, port: natted.port + 4500 });
    expect(child(h.rEvents).outbound.udpEncapsulation).toEqual({ sourcePort: 4500, destinationPort: 35500 });
  });

  it("without NAT-T the initiator sends no NAT-D and stays on port 500", () => {
    const h = new Harness({
      backend: nobleBackend,
      initiator: initiatorConfig({ natTraversal: false }),
    }).start();
    const init = decodeMessage(
      h.initiator ? (h.step()?.datagram.data ?? new Uint8Array(0)) : new Uint8Array(0),
    );
    // No NAT_DETECTION_*: the only notify is RFC 7383's fragmentation support.
    const notifies = init.payloads.flatMap((p) => (p.type === "N" ? [p.notifyType] : []));
    expect(notifies).toEqual([NotifyType.IKEV2_FRAGMENTATION_SUPPORTED]);
    h.run();
    expect(h.initiator.state).toBe("established");
    expect(h.initiator.snapshot().natTraversal).toBe(false);
  });
});

describe("transport mode", () => {
  it("is used when both ends configure it", () => {
    const h = new Harness({
      backend: nobleBackend,
      initiator: initiatorConfig({ mode: "transport" }),
      responder: responderConfig({ mode: "transport" }),
    }).start();
    h.run();
    expect(child(h.iEvents).mode).toBe("transport");
    expect(child(h.rEvents).mode).toBe("transport");
  });

  it("falls back to tunnel mode when the responder wants tunnel mode", () => {
    const h = new Harness({
      backend: nobleBackend,
      initiator: initiatorConfig({ mode: "transport" }),
    }).start();
    h.run();
    expect(child(h.iEvents).mode).toBe("tunnel");
    expect(child(h.rEvents).mode).toBe("tunnel");
  });
});
