/**
 * ANCHORS.md §4, the Linux xfrm rows:
 * - CVE-2025-39965: `xfrm_alloc_spi` handed out SPI 0 (use after free). The SAD, the SPI
 *   allocator, SAD state import, the ESP SAs and the IKE session must never take SPI 0 or the
 *   reserved 1–255 (RFC 4303 §2.1), and a refused SA leaves nothing behind. (The SPIs a peer picks
 *   on the wire are in ikev2-session.test.ts.)
 * - The xfrm ESN commit (high-order bits guessed before the ICV was checked): with ESN, forged
 *   packets never move the window, and the window is rechecked after an asynchronous ICV check.
 */
import { describe, expect, it } from "vitest";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import { EspInboundSa } from "../../src/esp/inbound.js";
import { EspOutboundSa } from "../../src/esp/outbound.js";
import { isSadError } from "../../src/sad/errors.js";
import { ciscoLifetime } from "../../src/sad/lifetime.js";
import { Sad, type SadEntryInit } from "../../src/sad/sad.js";
import { exportSad, importSad } from "../../src/sad/state.js";
import { parseAddressRange } from "../../src/spd/address.js";
import { selectorSet } from "../../src/spd/selector.js";
import { Spd } from "../../src/spd/spd.js";
import { PFP_PER_HOST, type SaTemplate } from "../../src/spd/template.js";
import { ipv4Packet } from "../esp/helpers.js";
import { deps, Harness } from "../ikev2/session/harness.js";
import { FakeSa, scriptedRandom } from "../sad/fake-sa.js";
import { BACKENDS } from "./helpers.js";

const SELECTORS = [
  selectorSet({ local: parseAddressRange("10.1.0.0/16"), remote: parseAddressRange("10.2.0.0/16") }),
];
const TEMPLATE: SaTemplate = {
  origin: "ike",
  proposals: [],
  peers: ["192.0.2.2"],
  pfp: PFP_PER_HOST,
  pfsGroup: null,
  lifetime: ciscoLifetime(),
  idleSeconds: null,
  replayWindow: 64,
};
const spd = new Spd();
const policy = spd.add({ name: "site", action: "protect", selectors: SELECTORS, template: TEMPLATE });

function init(spi: number, extra: Partial<SadEntryInit<FakeSa>> = {}): SadEntryInit<FakeSa> {
  return {
    sa: new FakeSa(),
    spi,
    protocol: 50,
    direction: "inbound",
    local: "192.0.2.1",
    peer: "192.0.2.2",
    selectors: SELECTORS,
    policy,
    ikeSa: 1,
    ...extra,
  };
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isSadError(e)) return e.code;
    return (e as Error).name;
  }
  return "ok";
}

const RESERVED = [0, 1, 2, 100, 254, 255];
const NOT_U32 = [-1, 2 ** 32, 1.5, Number.NaN, Number.POSITIVE_INFINITY];

describe("CVE-2025-39965: the SAD never holds SPI 0 or 1-255", () => {
  it.each([
    ["ESP inbound", { protocol: 50, direction: "inbound" }],
    ["ESP outbound", { protocol: 50, direction: "outbound" }],
    ["AH inbound", { protocol: 51, direction: "inbound" }],
    ["AH outbound", { protocol: 51, direction: "outbound" }],
  ] as const)("%s: add refuses 0, 1-255 and non-32-bit SPIs (bad-spi), nothing kept", (_, extra) => {
    const db = new Sad<FakeSa>({ randomBytes: scriptedRandom([]) });
    for (const spi of [...RESERVED, ...NOT_U32]) {
      const sa = new FakeSa();
      expect(code(() => db.add(init(spi, { ...extra, sa }), 0))).toBe("bad-spi");
      expect(db.size).toBe(0);
    }
    expect(db.lookupInbound(0, extra.protocol)).toBeUndefined();
    for (const spi of [256, 0xffffffff]) expect(db.add(init(spi, extra), 0).spi).toBe(spi);
    expect(db.size).toBe(2);
  });

  it("a refused SA is not linked to its would-be pair", () => {
    const db = new Sad<FakeSa>({ randomBytes: scriptedRandom([]) });
    const inbound = db.add(init(0x1000), 0);
    expect(code(() => db.add(init(0, { direction: "outbound", pair: inbound }), 0))).toBe("bad-spi");
    expect(db.size).toBe(1);
    // The pair can still be completed properly.
    db.add(init(0x1001, { direction: "outbound", pair: inbound }), 0);
    expect(db.size).toBe(2);
  });

  it("allocateSpi skips 0-255 from any random source and gives up (spi-exhausted) rather than return one", () => {
    const db = new Sad<FakeSa>({ randomBytes: scriptedRandom([0, 1, 255, 0, 256]) });
    expect(db.allocateSpi()).toBe(256);
    const zeros = new Sad<FakeSa>({ randomBytes: (n) => new Uint8Array(n) });
    expect(code(() => zeros.allocateSpi())).toBe("spi-exhausted");
    const small = new Sad<FakeSa>({
      randomBytes: (n) => Uint8Array.from({ length: n }, (_, i) => (i === n - 1 ? 0xff : 0)),
    });
    expect(code(() => small.allocateSpi())).toBe("spi-exhausted");
    for (let i = 0; i < 500; i++) expect(db.allocateSpi()).toBeGreaterThanOrEqual(256);
  });

  it("importSad refuses a record with SPI 0 or 255 and installs nothing", () => {
    const source = new Sad<FakeSa>({ randomBytes: scriptedRandom([]) });
    source.add(init(0x2000), 0);
    const state = exportSad(source, 0, () => null);
    for (const spi of [0, 255]) {
      const target = new Sad<FakeSa>({ randomBytes: scriptedRandom([]) });
      const bad = { ...state, records: state.records.map((r) => ({ ...r, spi })) };
      const opts = { deserialize: () => new FakeSa(), policy: (name: string) => spd.get(name) };
      expect(code(() => importSad(target, bad, 0, opts))).toBe("bad-spi");
      expect(target.size).toBe(0);
    }
  });

  it.each(BACKENDS)("%s: ESP SAs refuse SPI 0-255 at construction (RangeError)", (_, b) => {
    const base = { encryption: "aes-gcm-16", encryptionKey: new Uint8Array(36), mode: "tunnel" } as const;
    for (const spi of RESERVED) {
      expect(() => new EspOutboundSa(b, { ...base, spi })).toThrow(RangeError);
      expect(() => new EspInboundSa(b, { ...base, spi })).toThrow(RangeError);
    }
  });

  it("an IKE session whose SPI allocator returns 0 fails loudly before any SPI is sent", () => {
    const h = new Harness({
      backend: nobleBackend,
      initiatorDeps: { ...deps(nobleBackend), allocateSpi: () => 0 },
    }).start();
    h.step();
    expect(() => h.step()).toThrow(RangeError);
    // Nothing but the IKE_SA_INIT exchange went on the wire.
    expect(h.wire).toHaveLength(2);
  });
});

describe("xfrm ESN commit: forged packets never move the window (check → verify ICV → recheck + advance)", () => {
  function pair(lastSequence: bigint): { out: EspOutboundSa; inb: EspInboundSa } {
    const key = Uint8Array.from({ length: 36 }, (_, i) => i + 1);
    const options = {
      spi: 0x4242,
      encryption: "aes-gcm-16",
      encryptionKey: key,
      mode: "tunnel",
      esn: true,
    } as const;
    return {
      out: new EspOutboundSa(nobleBackend, { ...options, lastSequence }),
      inb: new EspInboundSa(nobleBackend, { ...options, replayWindow: 64 }),
    };
  }

  function packet(out: EspOutboundSa): Uint8Array {
    const inner = ipv4Packet(17, new Uint8Array(24).fill(7));
    const buf = new Uint8Array(out.maxOutputLength(inner.length));
    const n = out.protect(inner, 0, inner.length, buf, 0);
    if (typeof n !== "number") throw new Error(String(n));
    return buf.subarray(0, n);
  }

  it("forged packets whose low sequence number implies the next high-order value leave the window alone", () => {
    const { out, inb } = pair(0n);
    for (let i = 0; i < 100; i++) {
      const p = packet(out).slice();
      expect(inb.unprotect(p, 0, p.length).status).toBe("packet");
    }
    const before = [inb.replay.highestHi, inb.replay.highestLo];
    expect(before).toEqual([0, 100]);
    // RFC 4303 App. A2.1: below the window's bottom (37) a receiver infers Seqh = 1.
    for (const seqLo of [0, 1, 5, 36, 101, 0x7fffffff, 0xffffffff]) {
      const forged = packet(out).slice();
      new DataView(forged.buffer).setUint32(4, seqLo);
      forged[forged.length - 1]! ^= 1;
      expect(inb.unprotect(forged, 0, forged.length).status).toBe("dropped");
      expect([inb.replay.highestHi, inb.replay.highestLo]).toEqual(before);
    }
    // The genuine stream continues (the forgeries used up sender numbers 101-107).
    for (let i = 0; i < 40; i++) {
      const p = packet(out).slice();
      expect(inb.unprotect(p, 0, p.length).status).toBe("packet");
    }
  });

  it("the same packet verified twice concurrently (async path) is accepted once", async () => {
    const { out, inb } = pair(0n);
    const p = packet(out);
    const results = await Promise.all([
      inb.unprotectAsync(p.slice(), 0, p.length),
      inb.unprotectAsync(p.slice(), 0, p.length),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["dropped", "packet"].sort());
  });
});
