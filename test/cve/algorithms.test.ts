/**
 * CVE-2016-3071 / CVE-2024-3652 (Libreswan): negotiation reached an algorithm the backend could
 * not run (AES-XCBC), or one whose key length entry was wrong (AES-GMAC with 0 octets of KEYMAT).
 * Here the registry is iterated: every transform a configuration accepts must negotiate end to end
 * on both backends (IKE SA up; Child SA up with keys of the registry's length; ESP packets flow),
 * and every transform it does not accept must be refused when the configuration is made, never
 * half-way through an exchange.
 */
import { describe, expect, it } from "vitest";
import type { CryptoBackend } from "../../src/crypto/backend.js";
import { ENCRYPTION, type EncryptionSpec, INTEGRITY, KE_GROUPS, PRF } from "../../src/crypto/registry.js";
import { EspInboundSa } from "../../src/esp/inbound.js";
import { EspOutboundSa } from "../../src/esp/outbound.js";
import { IkeSession } from "../../src/ikev2/session/ike-session.js";
import type { EspProposalConfig, IkeProposalConfig } from "../../src/ikev2/session/proposal-strings.js";
import type { ChildSaInfo } from "../../src/ikev2/session/types.js";
import { toHex } from "../../src/wire/bytes.js";
import { ipv4Packet } from "../esp/helpers.js";
import { deps, events, Harness, initiatorConfig, responderConfig } from "../ikev2/session/harness.js";
import { BACKENDS } from "./helpers.js";

const HMAC_SHA256 = 12;
const PRF_SHA256 = 5;
const X25519 = 31;
const AES_GCM_16 = 20;
const AES_CBC = 12;

/** "accepted" when a session can be configured with these proposals, else the error's name. */
function configurable(ike: IkeProposalConfig, esp: EspProposalConfig, b: CryptoBackend): string {
  try {
    const legacy = { allowLegacy: true };
    IkeSession.initiate(initiatorConfig({ ikeProposals: [ike], espProposals: [esp], ...legacy }), deps(b), 0);
    return "accepted";
  } catch (e) {
    return (e as Error).name;
  }
}

function child(h: Harness, side: "i" | "r"): ChildSaInfo | undefined {
  const e = events(side === "i" ? h.iEvents : h.rEvents, "child-sa-up")[0];
  return e?.type === "child-sa-up" ? e.child : undefined;
}

function espFlows(b: CryptoBackend, from: ChildSaInfo, to: ChildSaInfo): void {
  const out = new EspOutboundSa(b, { ...from.outbound, allowLegacy: true });
  const inb = new EspInboundSa(b, { ...to.inbound, allowLegacy: true });
  const inner = ipv4Packet(
    17,
    Uint8Array.from({ length: 33 }, (_, i) => i),
  );
  const buf = new Uint8Array(out.maxOutputLength(inner.length));
  const n = out.protect(inner, 0, inner.length, buf, 0);
  if (typeof n !== "number") throw new Error(`protect refused: ${n}`);
  const r = inb.unprotect(buf, 0, n);
  expect(r.status).toBe("packet");
  expect(toHex(buf.subarray(r.offset, r.offset + r.length))).toBe(toHex(inner));
  out.destroy();
  inb.destroy();
}

/** Runs a full exchange with these proposals on both ends; returns the harness. */
function negotiate(b: CryptoBackend, ike: IkeProposalConfig, esp: EspProposalConfig): Harness {
  const over = { ikeProposals: [ike], espProposals: [esp], allowLegacy: true };
  const h = new Harness({
    backend: b,
    initiator: initiatorConfig(over),
    responder: responderConfig(over),
  }).start();
  h.run();
  return h;
}

const ike = (over: Partial<IkeProposalConfig>): IkeProposalConfig => ({
  encryption: [{ id: AES_GCM_16, keyBits: 256 }],
  integrity: [],
  prf: [PRF_SHA256],
  ke: [X25519],
  ...over,
});
const esp = (over: Partial<EspProposalConfig>): EspProposalConfig => ({
  encryption: [{ id: AES_GCM_16, keyBits: 256 }],
  integrity: [],
  ke: [],
  ...over,
});

const combined = (e: EncryptionSpec) => e.kind === "aead" || e.kind === "gmac";
const choices = (e: EncryptionSpec): { readonly id: number; readonly keyBits?: number }[] =>
  e.keyLengthAttribute ? e.keyBits.map((keyBits) => ({ id: e.ikev2, keyBits })) : [{ id: e.ikev2 }];

describe.each(BACKENDS)("CVE-2016-3071 / CVE-2024-3652 on the %s backend", (_, b) => {
  describe("IKE SA transforms", () => {
    for (const e of ENCRYPTION) {
      for (const choice of choices(e)) {
        it(`ENCR ${e.name} ${choice.keyBits ?? ""}: configurable ⇒ the IKE SA comes up`, () => {
          const proposal = ike({ encryption: [choice], integrity: combined(e) ? [] : [HMAC_SHA256] });
          if (configurable(proposal, esp({}), b) !== "accepted") return;
          const h = negotiate(b, proposal, esp({}));
          expect([h.initiator.state, h.responder?.state]).toEqual(["established", "established"]);
          expect(h.initiator.snapshot().algorithms).toMatchObject({ encryption: e.name });
        });
      }
    }

    it("NULL and GMAC encryption are refused for IKE when configured (RFC 7296 §3.3.2 / RFC 5282)", () => {
      for (const e of ENCRYPTION.filter((x) => x.kind === "null" || x.kind === "gmac")) {
        for (const choice of choices(e)) {
          expect(configurable(ike({ encryption: [choice], integrity: [HMAC_SHA256] }), esp({}), b)).not.toBe(
            "accepted",
          );
        }
      }
    });

    it.each(
      INTEGRITY.map((i) => [i.name, i] as const),
    )("INTEG %s: configurable ⇒ works for IKE", (_n, integ) => {
      const proposal = ike({ encryption: [{ id: AES_CBC, keyBits: 128 }], integrity: [integ.ikev2] });
      if (configurable(proposal, esp({}), b) !== "accepted") return;
      const h = negotiate(b, proposal, esp({}));
      // A transform the configuration accepts but no responder (ours included) will select.
      expect(h.responder?.state, `${integ.name} is accepted by the IKE configuration`).toBe("established");
      expect(h.initiator.snapshot().algorithms).toMatchObject({ integrity: integ.name });
      expect(h.initiator.ikeKeys()!.keys.skAi.length).toBe(integ.keyLength);
    });

    it.each(
      PRF.map((p) => [p.name, p] as const),
    )("PRF %s: works for IKE (SK_d of the PRF's key length)", (_n, prf) => {
      const proposal = ike({ prf: [prf.ikev2] });
      expect(configurable(proposal, esp({}), b)).toBe("accepted");
      const h = negotiate(b, proposal, esp({}));
      expect(h.responder?.state).toBe("established");
      expect(h.initiator.ikeKeys()!.keys.skD.length).toBe(prf.keyLength);
    });

    it.each(KE_GROUPS.map((g) => [g.name, g] as const))("KE %s: works for IKE", (_n, group) => {
      const proposal = ike({ ke: [group.id] });
      expect(configurable(proposal, esp({}), b)).toBe("accepted");
      const h = negotiate(b, proposal, esp({}));
      expect(h.responder?.state).toBe("established");
      expect(h.initiator.snapshot().algorithms?.keGroup).toBe(group.name);
    });
  });

  describe("ESP (Child SA) transforms: keys of the registry's length, and packets flow", () => {
    for (const e of ENCRYPTION) {
      for (const choice of choices(e)) {
        it(`ENCR ${e.name} ${choice.keyBits ?? ""}`, () => {
          const proposal = esp({ encryption: [choice], integrity: combined(e) ? [] : [HMAC_SHA256] });
          if (configurable(ike({}), proposal, b) !== "accepted") return;
          const h = negotiate(b, ike({}), proposal);
          const ci = child(h, "i");
          const cr = child(h, "r");
          expect(ci).toBeDefined();
          const keyBits = choice.keyBits ?? e.keyBits[0]!;
          // CVE-2024-3652: AES-GMAC took 0 octets of KEYMAT; every key here has the registry's length.
          const expected = keyBits / 8 + e.saltLength;
          expect(ci!.outbound.encryptionKey?.length ?? 0).toBe(expected);
          if (expected > 0) expect(ci!.outbound.encryptionKey!.some((x) => x !== 0)).toBe(true);
          expect(toHex(ci!.outbound.encryptionKey ?? new Uint8Array(0))).toBe(
            toHex(cr!.inbound.encryptionKey ?? new Uint8Array(0)),
          );
          espFlows(b, ci!, cr!);
          espFlows(b, cr!, ci!);
        });
      }
    }

    it.each(INTEGRITY.map((i) => [i.name, i] as const))("INTEG %s with AES-CBC-128", (_n, integ) => {
      const proposal = esp({ encryption: [{ id: AES_CBC, keyBits: 128 }], integrity: [integ.ikev2] });
      if (configurable(ike({}), proposal, b) !== "accepted") return;
      const h = negotiate(b, ike({}), proposal);
      const ci = child(h, "i");
      const cr = child(h, "r");
      expect(ci?.outbound.integrityKey?.length).toBe(integ.keyLength);
      espFlows(b, ci!, cr!);
      espFlows(b, cr!, ci!);
    });
  });
});

describe("the registry itself", () => {
  it("every entry has a positive key length (or is NULL) and an IV/ICV the backends can use", () => {
    for (const e of ENCRYPTION) {
      expect(e.keyBits.length).toBeGreaterThan(0);
      for (const bits of e.keyBits) expect(bits > 0 || e.kind === "null").toBe(true);
      if (e.kind === "aead" || e.kind === "gmac") expect(e.icvLength).toBeGreaterThan(0);
    }
    for (const i of INTEGRITY) {
      expect(i.keyLength).toBeGreaterThan(0);
      expect(i.icvLength).toBeGreaterThan(0);
    }
    for (const p of PRF) {
      expect(p.keyLength).toBeGreaterThan(0);
      expect(p.outputLength).toBeGreaterThan(0);
    }
    for (const g of KE_GROUPS) expect(g.publicKeyLength).toBeGreaterThan(0);
  });
});
