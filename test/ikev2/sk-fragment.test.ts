/**
 * IKE fragmentation (RFC 7383): splitting so every datagram fits the limit, per-fragment
 * protection, and reassembly with fragments out of order, retransmitted, forged or hostile.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import { encodeInnerPayloads } from "../../src/ikev2/chain.js";
import { HEADER_LENGTH, type IkeHeader } from "../../src/ikev2/header.js";
import { decodeMessage } from "../../src/ikev2/message.js";
import type { SkfPayload } from "../../src/ikev2/payloads/skf.js";
import type { FragmentLimits } from "../../src/ikev2/sk-protect.js";
import {
  DEFAULT_MAX_FRAGMENTS,
  FragmentReassembler,
  type FragmentReceiveResult,
} from "../../src/ikev2/sk-reassembly.js";
import { nodeBackend } from "../../src/node/backend.js";
import { toHex } from "../../src/wire/bytes.js";
import { arbHeader, arbPlainPayload, bytes } from "./arbitraries.js";
import { header as sampleHeader } from "./samples.js";
import { pair, SK_SUITES } from "./sk-suites.js";

const UDP = 8;
const HEADER: IkeHeader = sampleHeader(35, false, 1); // IKE_AUTH request
const V4: FragmentLimits = { maxDatagramSize: 576, ipHeaderLength: 20, nonEspMarker: true };

/** The IP datagram size a protected IKE message becomes. */
const datagramSize = (message: Uint8Array, limits: FragmentLimits): number =>
  limits.ipHeaderLength + UDP + (limits.nonEspMarker ? 4 : 0) + message.length;

const skfOf = (message: Uint8Array): SkfPayload => {
  const last = decodeMessage(message).payloads.at(-1);
  if (last?.type !== "SKF") throw new Error("not an SKF message");
  return last;
};

const arbLimits: fc.Arbitrary<FragmentLimits> = fc.record({
  maxDatagramSize: fc.integer({ min: 200, max: 1500 }),
  ipHeaderLength: fc.constantFrom(20, 40, 60),
  nonEspMarker: fc.boolean(),
});

/** Fragment indices in a random order, some of them twice, cut where the last new one arrives. */
const arbArrival = (count: number): fc.Arbitrary<number[]> =>
  fc
    .tuple(
      fc.shuffledSubarray([...Array(count).keys()], { minLength: count, maxLength: count }),
      fc.array(fc.nat({ max: count - 1 }), { maxLength: 4 }),
      fc.array(fc.nat(), { maxLength: 4 }),
    )
    .map(([order, dups, positions]) => {
      const seq = [...order];
      dups.forEach((d, i) => {
        seq.splice((positions[i] ?? 0) % (seq.length + 1), 0, d);
      });
      const seen = new Set<number>();
      const cut = seq.findIndex((n) => {
        seen.add(n);
        return seen.size === count;
      });
      return seq.slice(0, cut + 1);
    });

describe.each([nobleBackend, nodeBackend])("IKE fragmentation on the $name backend", (backend) => {
  describe.each([SK_SUITES[1]!, SK_SUITES[8]!, SK_SUITES[12]!, SK_SUITES[13]!])("$label", ({ suite }) => {
    const { initiator, responder } = pair(backend, suite);

    it("split + protect + reassemble = identity, out of order and with duplicates", () => {
      fc.assert(
        fc.property(
          arbHeader,
          fc.array(arbPlainPayload, { maxLength: 12 }),
          arbLimits,
          fc.nat(),
          (header, payloads, limits, seed) => {
            const inner = encodeInnerPayloads(payloads);
            const messages = initiator.protectFragments(header, inner, limits);
            messages.forEach((m, i) => {
              expect(datagramSize(m, limits)).toBeLessThanOrEqual(limits.maxDatagramSize);
              const skf = skfOf(m);
              expect([skf.fragmentNumber, skf.totalFragments]).toEqual([i + 1, messages.length]);
              expect(skf.firstPayload).toBe(i === 0 ? inner.firstPayload : 0);
            });
            const arrival = fc.sample(arbArrival(messages.length), { numRuns: 1, seed })[0]!;
            const reassembler = new FragmentReassembler({ maxFragments: 1000 });
            const results = arrival.map((i) => reassembler.receive(responder, messages[i]!));
            const last = results.pop()!;
            for (const r of results) expect(["incomplete", "duplicate"]).toContain(r.status);
            if (last.status !== "complete") throw new Error(`last fragment gave ${last.status}`);
            expect(toHex(last.bytes)).toBe(toHex(inner.bytes));
            expect(last.firstPayload).toBe(inner.firstPayload);
            expect(last.messageId).toBe(header.messageId);
            expect(last.header).toEqual(header);
            expect(reassembler.inProgress).toBe(false);
          },
        ),
        { numRuns: 12 },
      );
    });
  });
});

describe("splitting (RFC 7383 §2.5.1)", () => {
  const { initiator } = pair(nobleBackend, SK_SUITES[1]!.suite); // AES-CBC-256 + HMAC-SHA256-128

  it("fills every datagram but the last up to the limit's last cipher block", () => {
    const inner = encodeInnerPayloads(
      Array.from({ length: 20 }, () => ({ type: "V", data: new Uint8Array(200) })),
    );
    const messages = initiator.protectFragments(HEADER, inner, V4);
    // 576 − 20 (IPv4) − 8 (UDP) − 4 (marker) − 28 (IKE) − 8 (SKF) − 16 (IV) − 16 (ICV) = 476
    // octets for chunk ‖ padding ‖ Pad Length: 29 blocks of 16 = 464, so 463-octet chunks.
    expect(initiator.fragment(inner.bytes, V4)[0]).toHaveLength(463);
    for (const m of messages.slice(0, -1)) expect(datagramSize(m, V4)).toBe(564);
    expect(messages).toHaveLength(Math.ceil(inner.bytes.length / 463));
  });

  it("puts unprotected payloads in fragment 1 only, within the limit (§2.5.3)", () => {
    const { responder } = pair(nobleBackend, SK_SUITES[1]!.suite);
    const inner = encodeInnerPayloads([{ type: "V", data: new Uint8Array(1500) }]);
    const vendor = { type: "V", data: new Uint8Array(100).fill(7) } as const;
    const messages = initiator.protectFragments(HEADER, inner, V4, [vendor]);
    expect(decodeMessage(messages[0]!).payloads.map((p) => p.type)).toEqual(["V", "SKF"]);
    expect(decodeMessage(messages[1]!).payloads.map((p) => p.type)).toEqual(["SKF"]);
    for (const m of messages) expect(datagramSize(m, V4)).toBeLessThanOrEqual(576);
    const reassembler = new FragmentReassembler();
    const results = messages.map((m) => reassembler.receive(responder, m));
    const last = results.at(-1)!;
    if (last.status !== "complete") throw new Error(last.status);
    expect(last.unprotected).toEqual([vendor]);
    expect(toHex(last.bytes)).toBe(toHex(inner.bytes));
  });

  it("sends one empty fragment for an empty chain, and refuses impossible limits", () => {
    expect(initiator.fragment(new Uint8Array(0), V4)).toEqual([new Uint8Array(0)]);
    // 20 + 8 + 4 + 28 + 8 (SKF) + 16 (IV) + 16 (ICV) = 100: 15 octets hold no AES block.
    expect(() => initiator.fragment(new Uint8Array(10), { ...V4, maxDatagramSize: 115 })).toThrow(RangeError);
    const { initiator: chacha } = pair(nobleBackend, SK_SUITES[12]!.suite);
    // 20 + 8 + 28 + 8 + 8 (IV) + 16 (ICV) = 88: two octets left carry a 1-octet chunk each.
    const tiny = { maxDatagramSize: 90, ipHeaderLength: 20, nonEspMarker: false };
    expect(chacha.fragment(new Uint8Array(3), tiny)).toHaveLength(3);
    expect(() => chacha.fragment(new Uint8Array(70000), tiny)).toThrow(RangeError);
  });
});

describe("reassembly (RFC 7383 §2.6)", () => {
  const { initiator, responder } = pair(nobleBackend, SK_SUITES[8]!.suite); // AES-GCM-16-256
  const inner = encodeInnerPayloads(
    Array.from({ length: 6 }, () => ({ type: "V", data: new Uint8Array(300) })),
  );
  const fragments = initiator.protectFragments(HEADER, inner, V4); // 4 fragments
  const chunk = new Uint8Array(10);
  const frag = (fragmentNumber: number, totalFragments: number, messageId = 1) => ({
    messageId,
    fragmentNumber,
    totalFragments,
    firstPayload: fragmentNumber === 1 ? 43 : 0,
    chunk,
  });

  it("holds the expected number of fragments", () => expect(fragments).toHaveLength(4));

  it("rejects fragment number 0 and numbers above the total", () => {
    const r = new FragmentReassembler();
    expect(r.add(frag(0, 3))).toEqual({ status: "rejected", reason: "fragment-number-zero" });
    expect(r.add(frag(0, 0))).toEqual({ status: "rejected", reason: "fragment-number-zero" });
    expect(r.add(frag(4, 3))).toEqual({ status: "rejected", reason: "fragment-number-exceeds-total" });
    expect(r.inProgress).toBe(false);
    // On the wire the SKF decoder already refuses them: the datagram does not decode.
    const bad = fragments[1]!.slice();
    bad[HEADER_LENGTH + 4] = 0;
    bad[HEADER_LENGTH + 5] = 0; // Fragment Number 0
    const result = r.receive(responder, bad);
    expect(result.status === "refused" && result.reason === "malformed").toBe(true);
    bad[HEADER_LENGTH + 5] = 9; // Fragment Number 9 of 4
    expect(r.receive(responder, bad).status).toBe("refused");
  });

  it("rejects a smaller total, and restarts on a larger one (§2.5.2 PMTU sets)", () => {
    const r = new FragmentReassembler();
    expect(r.add(frag(1, 3))).toEqual({ status: "incomplete", received: 1, totalFragments: 3 });
    expect(r.add(frag(2, 3))).toEqual({ status: "incomplete", received: 2, totalFragments: 3 });
    expect(r.add(frag(1, 2))).toEqual({ status: "rejected", reason: "stale-total" });
    expect(r.add(frag(2, 5))).toEqual({ status: "incomplete", received: 1, totalFragments: 5 });
    expect(r.add(frag(1, 3))).toEqual({ status: "rejected", reason: "stale-total" });
  });

  it("rejects fragments of another message while one is in progress, until reset()", () => {
    const r = new FragmentReassembler();
    r.add(frag(1, 3, 7));
    expect(r.add(frag(2, 3, 8))).toEqual({ status: "rejected", reason: "other-message" });
    r.reset();
    expect(r.add(frag(2, 3, 8)).status).toBe("incomplete");
  });

  it("caps the number of fragments before storing any, and the bytes held", () => {
    const r = new FragmentReassembler();
    expect(r.add(frag(1, DEFAULT_MAX_FRAGMENTS + 1))).toEqual({
      status: "rejected",
      reason: "too-many-fragments",
    });
    expect(r.inProgress).toBe(false);
    const small = new FragmentReassembler({ maxFragments: 4, maxBytes: 25 });
    expect(small.add(frag(1, 5))).toEqual({ status: "rejected", reason: "too-many-fragments" });
    expect(small.add(frag(1, 4)).status).toBe("incomplete");
    expect(small.add(frag(2, 4)).status).toBe("incomplete");
    expect(small.add(frag(3, 4))).toEqual({ status: "rejected", reason: "too-large" });
    expect(small.inProgress).toBe(false); // RFC 7383 §5: everything held is discarded
    expect(() => new FragmentReassembler({ maxFragments: 0 })).toThrow(RangeError);
    expect(() => new FragmentReassembler({ maxFragments: 65536 })).toThrow(RangeError);
    expect(() => new FragmentReassembler({ maxBytes: 0 })).toThrow(RangeError);
  });

  it("treats a retransmitted fragment as a duplicate, checked before the ICV", () => {
    const r = new FragmentReassembler();
    expect(r.receive(responder, fragments[2]!).status).toBe("incomplete");
    expect(r.receive(responder, fragments[2]!).status).toBe("duplicate");
    const forged = fragments[2]!.slice();
    forged[forged.length - 1]! ^= 1;
    expect(r.receive(responder, forged).status).toBe("duplicate"); // §2.6: replay check first
    const forgedNew = fragments[3]!.slice();
    forgedNew[forgedNew.length - 1]! ^= 1;
    expect(r.receive(responder, forgedNew)).toEqual({ status: "refused", reason: "icv-mismatch" });
    for (const i of [0, 1]) expect(r.receive(responder, fragments[i]!).status).toBe("incomplete");
    const done = r.receive(responder, fragments[3]!);
    if (done.status !== "complete") throw new Error(done.status);
    expect(toHex(done.bytes)).toBe(toHex(inner.bytes));
  });

  it("gives typed results for anything else it is handed", () => {
    fc.assert(
      fc.property(bytes(0, 200), (junk) => {
        const r = new FragmentReassembler();
        const result: FragmentReceiveResult = r.receive(responder, junk);
        expect(["refused", "rejected"]).toContain(result.status);
      }),
      { numRuns: 50 },
    );
    const r = new FragmentReassembler();
    const sk = initiator.protect(HEADER, inner);
    expect(r.receive(responder, sk)).toMatchObject({ status: "rejected", reason: "not-fragment" });
    expect(r.receive(responder, fragments[0]!, decodeMessage(fragments[0]!)).status).toBe("incomplete");
  });

  it("reassembles 65535 fragments in linear time (CVE-2016-10396)", () => {
    const n = 0xffff;
    const r = new FragmentReassembler({ maxFragments: n, maxBytes: n });
    const one = Uint8Array.of(0x5a);
    const order = [...Array(n).keys()].reverse();
    let last: ReturnType<FragmentReassembler["add"]> | undefined;
    for (const i of order) {
      last = r.add({ messageId: 2, fragmentNumber: i + 1, totalFragments: n, firstPayload: 0, chunk: one });
      if (i === n - 1)
        expect(
          r.add({ messageId: 2, fragmentNumber: n, totalFragments: n, firstPayload: 0, chunk: one }).status,
        ).toBe("duplicate");
    }
    if (last?.status !== "complete") throw new Error(String(last?.status));
    expect(last.bytes).toHaveLength(n);
  });
});
