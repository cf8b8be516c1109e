/**
 * IKE message fragmentation (RFC 7383) between two in-process sessions: negotiation in
 * IKE_SA_INIT (§2.3), SKF fragments sent for large encrypted messages (§2.5), reassembly with
 * each fragment verified (§2.6), loss, reordering, duplicates and tampering (§2.6.1), and ESP
 * over the Child SAs that result.
 */
import { describe, expect, it } from "vitest";
import type { CryptoBackend } from "../../../src/crypto/backend.js";
import { nobleBackend } from "../../../src/crypto/noble/index.js";
import { encodeInnerPayloads, type Payload } from "../../../src/ikev2/chain.js";
import { ExchangeType, NotifyType, PayloadType } from "../../../src/ikev2/constants.js";
import { decodeMessage } from "../../../src/ikev2/message.js";
import type {
  ChildSaInfo,
  IdentityConfig,
  IkeEvent,
  IkeSessionConfig,
} from "../../../src/ikev2/session/types.js";
import { nodeBackend } from "../../../src/node/backend.js";
import { espRoundTrip, events, type Flight, Harness, initiatorConfig, responderConfig } from "./harness.js";

const BACKENDS: CryptoBackend[] = [nobleBackend, nodeBackend];
const SUITES = [
  { ike: "aes256gcm16-prfsha256-x25519", esp: "aes256gcm16" },
  { ike: "aes128-sha256-modp2048", esp: "aes128-sha256" },
] as const;
/** IPv4 and UDP headers: the harness's peers are IPv4 on port 500 (no non-ESP marker). */
const IP_UDP = 28;
const SMALL = 300;
/** Identities long enough that IKE_AUTH needs several 300-octet datagrams each way. */
const BIG_I: IdentityConfig = { type: "fqdn", value: `${"initiator-".repeat(60)}ikei.test` };
const BIG_R: IdentityConfig = { type: "fqdn", value: `${"responder-".repeat(60)}ikei.test` };

interface Options {
  readonly backend?: CryptoBackend;
  readonly ike?: string;
  readonly esp?: string;
  readonly iFrag?: boolean | { readonly maxDatagram?: number };
  readonly rFrag?: boolean | { readonly maxDatagram?: number };
  readonly big?: boolean;
  readonly initiator?: Partial<IkeSessionConfig>;
}

function harness(o: Options = {}): Harness {
  const ike = [o.ike ?? SUITES[0].ike];
  const esp = [o.esp ?? SUITES[0].esp];
  const big = o.big ?? true;
  return new Harness({
    backend: o.backend ?? nobleBackend,
    initiator: initiatorConfig({
      ikeProposals: ike,
      espProposals: esp,
      fragmentation: o.iFrag ?? { maxDatagram: SMALL },
      ...(big ? { localId: BIG_I, remoteId: BIG_R } : {}),
      ...o.initiator,
    }),
    responder: responderConfig({
      ikeProposals: ike,
      espProposals: esp,
      fragmentation: o.rFrag ?? { maxDatagram: SMALL },
      ...(big ? { localId: BIG_R } : {}),
    }),
  });
}

/** The SKF payload of a datagram, if it is an IKE Fragment message. */
function skf(
  f: Flight,
): { fragmentNumber: number; totalFragments: number; firstPayload: number } | undefined {
  const last = decodeMessage(f.datagram.data).payloads.at(-1);
  return last?.type === "SKF" ? last : undefined;
}

function exchangeOf(f: Flight): number {
  return decodeMessage(f.datagram.data).header.exchangeType;
}

function notifyTypes(f: Flight): number[] {
  return decodeMessage(f.datagram.data).payloads.flatMap((p) => (p.type === "N" ? [p.notifyType] : []));
}

function lastChild(list: readonly IkeEvent[]): ChildSaInfo {
  const e = list.filter((x) => x.type === "child-sa-up").at(-1);
  if (e?.type !== "child-sa-up") throw new Error("no child-sa-up");
  return e.child;
}

function established(h: Harness): void {
  expect(h.initiator.state).toBe("established");
  expect(h.responder?.state).toBe("established");
  expect(events(h.iEvents, "child-sa-up")).toHaveLength(1);
  expect(events(h.rEvents, "child-sa-up")).toHaveLength(1);
}

/** Delivers IKE_SA_INIT both ways; the IKE_AUTH request is then queued. */
function throughInit(h: Harness): void {
  h.start();
  h.step();
  h.step();
}

/** Takes every queued flight off the wire without delivering it. */
function hold(h: Harness): Flight[] {
  const held: Flight[] = [];
  while (h.pending > 0) {
    h.step((f) => {
      held.push(f);
      return null;
    });
  }
  return held;
}

/**
 * IKE Fragment messages as `side` would send them with its IKE SA keys: `payloads` split for a
 * `maxDatagram`-octet IPv4 datagram.
 */
function craftFragments(
  h: Harness,
  side: "initiator" | "responder",
  exchangeType: number,
  messageId: number,
  payloads: readonly Payload[],
  maxDatagram: number,
  response = false,
): Uint8Array[] {
  return h.protectAs(side, exchangeType, messageId, response, (sk, header) =>
    sk.protectFragments(header, encodeInnerPayloads(payloads), {
      maxDatagramSize: maxDatagram,
      ipHeaderLength: 20,
      nonEspMarker: false,
    }),
  );
}

/** A status notify no one acts on, with `size` octets of data: bulk for an INFORMATIONAL request. */
function bulk(size: number): Payload {
  return { type: "N", protocolId: 0, spi: new Uint8Array(0), notifyType: 40_000, data: new Uint8Array(size) };
}

describe("negotiation (RFC 7383 §2.3)", () => {
  it("both ends announce IKEV2_FRAGMENTATION_SUPPORTED by default; small messages go whole", () => {
    const h = new Harness({ backend: nobleBackend }).start().run();
    expect(h.initiator.state).toBe("established");
    const [request, response] = h.wire;
    expect(notifyTypes(request!)).toContain(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED);
    expect(notifyTypes(response!)).toContain(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED);
    expect(h.wire.filter((f) => skf(f) !== undefined)).toHaveLength(0);
  });

  it("an initiator without fragmentation gets no announcement and no fragments", () => {
    const h = harness({ iFrag: false });
    h.start().run();
    established(h);
    expect(notifyTypes(h.wire[0]!)).not.toContain(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED);
    expect(notifyTypes(h.wire[1]!)).not.toContain(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED);
    expect(h.wire.filter((f) => skf(f) !== undefined)).toHaveLength(0);
    // IKE_AUTH went whole both ways, larger than the configured 300 octets.
    const auth = h.wire.filter((f) => exchangeOf(f) === ExchangeType.IKE_AUTH);
    expect(auth).toHaveLength(2);
    for (const f of auth) expect(f.datagram.data.length + IP_UDP).toBeGreaterThan(SMALL);
  });

  it("a responder without fragmentation does not announce it; the initiator sends whole messages", () => {
    const h = harness({ rFrag: false });
    h.start().run();
    established(h);
    expect(notifyTypes(h.wire[0]!)).toContain(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED);
    expect(notifyTypes(h.wire[1]!)).not.toContain(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED);
    expect(h.wire.filter((f) => skf(f) !== undefined)).toHaveLength(0);
  });

  it("refuses a maximum datagram size too small for a fragment", () => {
    expect(() => harness({ iFrag: { maxDatagram: 100 } }).start()).toThrow(RangeError);
    expect(() => harness({ iFrag: { maxDatagram: 70_000 } }).start()).toThrow(RangeError);
  });
});

describe.each(BACKENDS)("fragmented IKE_AUTH on the $name backend", (backend) => {
  it.each(SUITES)("$ike: both directions fragmented, reassembled, ESP flows", ({ ike, esp }) => {
    const h = harness({ backend, ike, esp });
    h.start().run();
    established(h);
    // RFC 7383 §2.5: IKE_SA_INIT is never fragmented, however large.
    const init = h.wire.filter((f) => exchangeOf(f) === ExchangeType.IKE_SA_INIT);
    expect(init).toHaveLength(2);
    expect(init.every((f) => skf(f) === undefined)).toBe(true);
    for (const toResponder of [true, false]) {
      const auth = h.wire.filter(
        (f) => f.toResponder === toResponder && exchangeOf(f) === ExchangeType.IKE_AUTH,
      );
      const fragments = auth.map(skf);
      expect(fragments.length).toBeGreaterThan(2);
      fragments.forEach((frag, i) => {
        expect(frag?.fragmentNumber).toBe(i + 1);
        expect(frag?.totalFragments).toBe(auth.length);
        // §2.5: fragment 1's Next Payload is the first inner payload, the others' zero.
        expect(frag?.firstPayload).toBe(i > 0 ? 0 : toResponder ? PayloadType.IDi : PayloadType.IDr);
      });
      for (const f of auth) expect(f.datagram.data.length + IP_UDP).toBeLessThanOrEqual(SMALL);
    }
    expect(h.initiator.snapshot().remoteId).toEqual(BIG_R);
    expect(h.responder!.snapshot().remoteId).toEqual(BIG_I);
    espRoundTrip(backend, lastChild(h.iEvents), lastChild(h.rEvents));
    espRoundTrip(backend, lastChild(h.rEvents), lastChild(h.iEvents));
  });

  it("on the NAT-T port each fragment leaves room for the non-ESP marker", () => {
    const h = harness({ backend, initiator: { forceEncapsulation: true } });
    h.start().run();
    established(h);
    const auth = h.wire.filter((f) => exchangeOf(f) === ExchangeType.IKE_AUTH);
    expect(auth.length).toBeGreaterThan(4);
    for (const f of auth) {
      expect(f.datagram.nonEspMarker).toBe(true);
      expect(f.datagram.data.length + IP_UDP + 4).toBeLessThanOrEqual(SMALL);
    }
    expect(Math.max(...auth.map((f) => f.datagram.data.length)) + IP_UDP + 4).toBeGreaterThan(SMALL - 16);
  });

  it("takes fragments out of order and duplicated, both directions", () => {
    const h = harness({ backend });
    throughInit(h);
    const request = hold(h);
    expect(request.length).toBeGreaterThan(2);
    // Last fragment first, each twice; fragment 1 (the last delivered) completes the request.
    for (const f of request.slice(1).reverse()) {
      h.deliver(f);
      h.deliver(f);
    }
    expect(h.pending).toBe(0);
    h.deliver(request[0]!);
    expect(h.responder?.state).toBe("established");
    const response = hold(h);
    expect(response.length).toBeGreaterThan(2);
    for (const f of [...response].reverse()) {
      h.deliver(f);
      h.deliver(response.at(-1)!);
    }
    h.run();
    established(h);
  });

  it("a lost request fragment: the whole request is retransmitted and completes", () => {
    const h = harness({ backend });
    throughInit(h);
    let dropped = false;
    h.run((f) => {
      if (!dropped && skf(f)?.fragmentNumber === 2) {
        dropped = true;
        return null;
      }
      return f;
    });
    expect(h.responder?.state).toBe("init-done");
    expect(h.initiator.state).toBe("auth-sent");
    h.advance().run();
    established(h);
    const requests = h.wire.filter((f) => f.toResponder && skf(f) !== undefined);
    const total = skf(requests[0]!)!.totalFragments;
    // §2.6.1: the retransmission resends every fragment.
    expect(requests).toHaveLength(2 * total);
  });

  it("a lost response fragment: fragment 1 of the retransmitted request brings the whole cached response", () => {
    const h = harness({ backend });
    throughInit(h);
    let dropped = false;
    h.run((f) => {
      if (!dropped && !f.toResponder && skf(f)?.fragmentNumber === 2) {
        dropped = true;
        return null;
      }
      return f;
    });
    expect(h.responder?.state).toBe("established");
    expect(h.initiator.state).toBe("auth-sent");
    const responsesBefore = h.wire.filter((f) => !f.toResponder && skf(f) !== undefined).length;
    h.advance().run();
    established(h);
    const responses = h.wire.filter((f) => !f.toResponder && skf(f) !== undefined);
    // Answered once, for fragment 1 only, with all fragments of the cached response.
    expect(responses).toHaveLength(2 * responsesBefore);
    expect(responses.slice(responsesBefore).map((f) => skf(f)!.fragmentNumber)).toEqual(
      responses.slice(0, responsesBefore).map((f) => skf(f)!.fragmentNumber),
    );
  });

  it("a tampered fragment is dropped before it is stored; the retransmission completes", () => {
    const h = harness({ backend });
    throughInit(h);
    const request = hold(h);
    for (const [i, f] of request.entries()) {
      if (i !== 1) {
        h.deliver(f);
        continue;
      }
      const data = f.datagram.data.slice();
      data[data.length - 1]! ^= 1;
      h.deliver({ ...f, datagram: { ...f.datagram, data } });
    }
    expect(h.responder?.state).toBe("init-done");
    expect(h.pending).toBe(0);
    h.advance().run();
    established(h);
  });
});

describe.each(BACKENDS)("after establishment on the $name backend", (backend) => {
  it("CREATE_CHILD_SA goes in fragments both ways; the new Child SA carries ESP", () => {
    const h = harness({ backend, big: false });
    h.start().run();
    established(h);
    const start = h.wire.length;
    const many = Array.from({ length: 24 }, (_, i) => `198.19.0.${i + 10}/32`);
    h.absorb(h.initiator.createChild(many, ["198.19.0.2/32"], h.now), false);
    h.run();
    const exchange = h.wire.slice(start);
    const requests = exchange.filter((f) => f.toResponder);
    const responses = exchange.filter((f) => !f.toResponder);
    expect(requests.length).toBeGreaterThan(1);
    expect(responses.length).toBeGreaterThan(1);
    expect([...requests, ...responses].every((f) => exchangeOf(f) === ExchangeType.CREATE_CHILD_SA)).toBe(
      true,
    );
    expect([...requests, ...responses].every((f) => skf(f) !== undefined)).toBe(true);
    expect(events(h.iEvents, "child-sa-up")).toHaveLength(2);
    expect(events(h.rEvents, "child-sa-up")).toHaveLength(2);
    const ci = lastChild(h.iEvents);
    expect(ci.localTs).toHaveLength(24);
    espRoundTrip(backend, ci, lastChild(h.rEvents));
    espRoundTrip(backend, lastChild(h.rEvents), ci);
  });
});

describe("hostile and unexpected fragments", () => {
  /** An established pair; the initiator's next request is message ID 2. */
  function up(o: Options = {}): Harness {
    const h = harness({ big: false, ...o });
    h.start().run();
    established(h);
    return h;
  }

  function answers(h: Harness, data: readonly Uint8Array[]): number {
    for (const d of data) h.inject("initiator", d);
    const n = h.pending;
    h.run();
    return n;
  }

  it("a single-fragment message is a message; without negotiation SKF is dropped", () => {
    const h = up();
    expect(answers(h, craftFragments(h, "initiator", ExchangeType.INFORMATIONAL, 2, [], SMALL))).toBe(1);
    const off = up({ rFrag: false });
    expect(answers(off, craftFragments(off, "initiator", ExchangeType.INFORMATIONAL, 2, [], SMALL))).toBe(0);
  });

  it("fragments of a message other than the expected one are dropped", () => {
    const h = up();
    const later = craftFragments(h, "initiator", ExchangeType.INFORMATIONAL, 3, [bulk(600)], SMALL);
    expect(answers(h, later)).toBe(0);
    // A response to a request the initiator never sent.
    const response = craftFragments(h, "responder", ExchangeType.INFORMATIONAL, 2, [bulk(600)], SMALL, true);
    for (const d of response) h.inject("responder", d);
    expect(h.pending).toBe(0);
    expect(h.initiator.state).toBe("established");
  });

  it("a set with more Total Fragments starts the reassembly over (§2.6)", () => {
    const h = up();
    const fewer = craftFragments(h, "initiator", ExchangeType.INFORMATIONAL, 2, [bulk(400)], SMALL);
    const more = craftFragments(h, "initiator", ExchangeType.INFORMATIONAL, 2, [bulk(400)], 256);
    expect(more.length).toBeGreaterThan(fewer.length);
    // All but the last of the smaller set, then the larger set's first: reassembly starts over.
    expect(answers(h, [...fewer.slice(0, -1), more[0]!])).toBe(0);
    // The smaller set's last fragment is stale now.
    expect(answers(h, [fewer.at(-1)!])).toBe(0);
    expect(answers(h, more.slice(1))).toBe(1);
  });

  it("more fragments than the reassembly limit are refused; garbage SKF never throws", () => {
    const h = up();
    const big = craftFragments(h, "initiator", ExchangeType.INFORMATIONAL, 2, [bulk(60_000)], 400);
    expect(big.length).toBeGreaterThan(128);
    expect(answers(h, big)).toBe(0);
    const one = craftFragments(h, "initiator", ExchangeType.INFORMATIONAL, 2, [bulk(400)], SMALL)[0]!;
    for (let i = 0; i < one.length; i++) {
      const bad = one.slice();
      bad[i]! ^= 0xff;
      h.inject("initiator", bad);
    }
    expect(h.pending).toBe(0);
    expect(h.responder?.state).toBe("established");
  });
});
