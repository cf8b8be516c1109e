import { describe, expect, it } from "vitest";
import {
  checkRules,
  decodeInnerPayloads,
  decodeMessage,
  describeViolation,
  type ExchangeRules,
  ExchangeType,
  encodeInnerPayloads,
  encodeMessage,
  errorNotify,
  exchangeName,
  MESSAGE_RULES,
  NotifyType,
  type Payload,
  type PayloadName,
  rulesFor,
} from "../../src/ikev2/index.js";
import { header, notify, SAMPLE, samples } from "./samples.js";

/** The message for a rule set: payloads in SK when the exchange is encrypted, else in the clear. */
function check(rules: ExchangeRules, payloads: readonly Payload[], clear: readonly Payload[] = []) {
  if (!rules.encrypted)
    return checkRules({ payloads: [...clear, ...payloads] }, rules.exchangeType, rules.response);
  return checkRules({ payloads: [...clear, SAMPLE.SK] }, rules.exchangeType, rules.response, payloads);
}

/** The smallest message of a shape: each payload at its minimum count. */
function minimal(rules: ExchangeRules): PayloadName[] {
  return rules.shapes[0].rules.flatMap((r) => Array<PayloadName>(r.min).fill(r.payload));
}

const label = (r: ExchangeRules) => `${exchangeName(r.exchangeType)} ${r.response ? "response" : "request"}`;

describe("rule tables", () => {
  it("cover IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL, IKE_INTERMEDIATE both ways", () => {
    for (const x of [
      ExchangeType.IKE_SA_INIT,
      ExchangeType.IKE_AUTH,
      ExchangeType.CREATE_CHILD_SA,
      ExchangeType.INFORMATIONAL,
      ExchangeType.IKE_INTERMEDIATE,
    ]) {
      expect(rulesFor(x, false)).toBeDefined();
      expect(rulesFor(x, true)).toBeDefined();
    }
    expect(rulesFor(ExchangeType.IKE_SA_INIT, false)?.encrypted).toBe(false);
    expect(rulesFor(ExchangeType.IKE_AUTH, true)?.encrypted).toBe(true);
  });

  for (const rules of MESSAGE_RULES) {
    describe(label(rules), () => {
      it("accepts its minimal message and the minimal message plus N and V", () => {
        expect(check(rules, samples(...minimal(rules)))).toEqual({ ok: true, errorReply: false });
        expect(check(rules, [...samples(...minimal(rules)), SAMPLE.N, SAMPLE.V, SAMPLE.N]).ok).toBe(true);
      });

      it("names each withheld required payload", () => {
        const names = minimal(rules);
        for (let i = 0; i < names.length; i++) {
          const withheld = names.filter((_, j) => j !== i);
          const result = check(rules, samples(...withheld));
          expect(result).toMatchObject({ ok: false, violation: { kind: "missing", payload: names[i] } });
        }
      });

      it("names each duplicated singleton", () => {
        for (const rule of rules.shapes[0].rules.filter((r) => r.max === 1)) {
          const group = rules.shapes[0].together.find((g) => g.includes(rule.payload)) ?? [rule.payload];
          const base = [...new Set([...minimal(rules), ...group])];
          const result = check(rules, samples(...base, rule.payload));
          expect(result).toMatchObject({
            ok: false,
            violation: { kind: "too-many", payload: rule.payload, found: 2 },
          });
        }
      });

      if (rules.encrypted) {
        it("rejects a payload that belongs in SK sent in the clear, and a missing SK", () => {
          for (const rule of rules.shapes[0].rules) {
            const result = check(rules, samples(...minimal(rules)), [SAMPLE[rule.payload]]);
            expect(result).toMatchObject({
              ok: false,
              violation: { kind: "must-be-encrypted", payload: rule.payload },
            });
          }
          const noSk = checkRules(
            { payloads: [] },
            rules.exchangeType,
            rules.response,
            samples(...minimal(rules)),
          );
          expect(noSk).toMatchObject({ ok: false, violation: { kind: "missing", payload: "SK" } });
        });

        it("accepts SKF in place of SK (RFC 7383 §2.5)", () => {
          const result = checkRules(
            { payloads: [SAMPLE.SKF] },
            rules.exchangeType,
            rules.response,
            samples(...minimal(rules)),
          );
          expect(result.ok).toBe(true);
        });
      } else {
        it("rejects SK/SKF and anything inside them", () => {
          for (const container of ["SK", "SKF"] as const) {
            const result = checkRules(
              { payloads: [...samples(...minimal(rules)), SAMPLE[container]] },
              34,
              rules.response,
            );
            expect(result).toMatchObject({
              ok: false,
              violation: { kind: "not-allowed", payload: container },
            });
          }
          const inner = checkRules({ payloads: samples("SA", "KE") }, 34, rules.response, samples("Nonce"));
          expect(inner).toMatchObject({
            ok: false,
            violation: { kind: "must-be-cleartext", payload: "Nonce" },
          });
        });
      }

      it("ignores unknown non-critical payloads, including IKEv1 payload numbers", () => {
        const unknown: Payload[] = [1, 2, 13, 49, 54, 200].map((payloadType) => ({
          type: "unknown",
          payloadType,
          critical: false,
          body: new Uint8Array(3),
        }));
        const payloads = [...unknown, ...samples(...minimal(rules))];
        expect(check(rules, payloads, rules.encrypted ? unknown : []).ok).toBe(true);
      });

      if (rules.response) {
        it("accepts an error-notify-only response (RFC 7296 §2.21)", () => {
          for (const t of [NotifyType.INVALID_SYNTAX, NotifyType.NO_PROPOSAL_CHOSEN, 12345]) {
            expect(check(rules, [notify(t)])).toEqual({ ok: true, errorReply: true });
            expect(check(rules, [notify(t), SAMPLE.V, notify(NotifyType.NAT_DETECTION_SOURCE_IP)])).toEqual({
              ok: true,
              errorReply: true,
            });
          }
        });
      }
    });
  }
});

describe("exchange-specific rules", () => {
  const INIT = ExchangeType.IKE_SA_INIT;
  const AUTH = ExchangeType.IKE_AUTH;
  const CHILD = ExchangeType.CREATE_CHILD_SA;
  const enc = (x: number, response: boolean, inner: readonly Payload[]) =>
    checkRules({ payloads: [SAMPLE.SK] }, x, response, inner);

  it("IKE_SA_INIT response: a lone COOKIE or REDIRECT is legitimate, a lone status notify is not", () => {
    expect(checkRules({ payloads: [notify(NotifyType.COOKIE)] }, INIT, true)).toEqual({
      ok: true,
      errorReply: true,
    });
    expect(checkRules({ payloads: [notify(NotifyType.REDIRECT)] }, INIT, true).ok).toBe(true);
    expect(checkRules({ payloads: [notify(NotifyType.NAT_DETECTION_SOURCE_IP)] }, INIT, true)).toMatchObject({
      ok: false,
      violation: { kind: "missing", payload: "SA" },
    });
    // COOKIE stands alone only where a rule says so.
    expect(enc(CHILD, true, [notify(NotifyType.COOKIE)])).toMatchObject({
      ok: false,
      violation: { payload: "SA" },
    });
  });

  it("an error notify in a request does not waive anything", () => {
    expect(checkRules({ payloads: [notify(NotifyType.INVALID_SYNTAX)] }, INIT, false)).toMatchObject({
      ok: false,
      violation: { kind: "missing", payload: "SA" },
    });
  });

  it("IKE_SA_INIT: CERTREQ only in the response, IDi never", () => {
    expect(checkRules({ payloads: samples("SA", "KE", "Nonce", "CERTREQ") }, INIT, true).ok).toBe(true);
    expect(checkRules({ payloads: samples("SA", "KE", "Nonce", "CERTREQ") }, INIT, false)).toMatchObject({
      ok: false,
      violation: { kind: "not-allowed", payload: "CERTREQ" },
    });
    expect(checkRules({ payloads: samples("SA", "KE", "Nonce", "IDi") }, INIT, false)).toMatchObject({
      ok: false,
      violation: { kind: "not-allowed", payload: "IDi" },
    });
  });

  it("IKE_AUTH request forms of RFC 7296 §1.2 and §2.16 and RFC 6023", () => {
    const full = samples("IDi", "CERT", "CERT", "CERTREQ", "IDr", "AUTH", "CP", "SA", "TSi", "TSr", "N");
    expect(enc(AUTH, false, full).ok).toBe(true);
    expect(enc(AUTH, false, samples("IDi", "SA", "TSi", "TSr")).ok).toBe(true); // EAP wanted: no AUTH
    expect(enc(AUTH, false, samples("IDi", "AUTH")).ok).toBe(true); // childless
    expect(enc(AUTH, false, samples("EAP")).ok).toBe(true);
    expect(enc(AUTH, false, samples("AUTH")).ok).toBe(true);
    expect(enc(AUTH, false, samples("EAP", "AUTH"))).toMatchObject({
      ok: false,
      violation: { payload: "EAP" },
    });
    expect(enc(AUTH, false, samples("IDi", "AUTH", "SA", "TSi"))).toMatchObject({
      ok: false,
      violation: { kind: "not-together", payloads: ["SA", "TSi", "TSr"] },
    });
    expect(enc(AUTH, false, samples("IDi", "AUTH", "TSi", "TSr"))).toMatchObject({
      ok: false,
      violation: { kind: "not-together" },
    });
  });

  it("IKE_AUTH response forms, including a failed child next to a good authentication (§2.21.2)", () => {
    expect(enc(AUTH, true, samples("IDr", "CERT", "AUTH", "SA", "TSi", "TSr")).ok).toBe(true);
    expect(enc(AUTH, true, samples("IDr", "AUTH", "EAP")).ok).toBe(true);
    expect(enc(AUTH, true, samples("EAP")).ok).toBe(true);
    expect(enc(AUTH, true, samples("AUTH", "SA", "TSi", "TSr")).ok).toBe(true);
    expect(enc(AUTH, true, [...samples("IDr", "AUTH"), notify(NotifyType.TS_UNACCEPTABLE)])).toEqual({
      ok: true,
      errorReply: false,
    });
    expect(enc(AUTH, true, samples("IDr", "AUTH", "CERTREQ"))).toMatchObject({
      ok: false,
      violation: { kind: "not-allowed", payload: "CERTREQ" },
    });
  });

  it("CREATE_CHILD_SA: IKE rekey without TS, child with both TS, one TS alone refused", () => {
    expect(enc(CHILD, false, samples("SA", "Nonce", "KE")).ok).toBe(true);
    expect(enc(CHILD, false, [notify(NotifyType.REKEY_SA), ...samples("SA", "Nonce", "TSi", "TSr")]).ok).toBe(
      true,
    );
    expect(enc(CHILD, false, samples("SA", "Nonce", "TSr"))).toMatchObject({
      ok: false,
      violation: { kind: "not-together", payloads: ["TSi", "TSr"] },
    });
  });

  it("INFORMATIONAL: any number of N and D, nothing else", () => {
    const x = ExchangeType.INFORMATIONAL;
    expect(enc(x, false, []).ok).toBe(true);
    expect(enc(x, false, samples("D", "D", "N", "CP")).ok).toBe(true);
    expect(enc(x, true, samples("SA"))).toMatchObject({
      ok: false,
      violation: { kind: "not-allowed", payload: "SA" },
    });
  });

  it("before decryption only the outer layout is judged", () => {
    expect(checkRules({ payloads: [SAMPLE.SK] }, AUTH, false)).toEqual({ ok: true, errorReply: false });
    expect(checkRules({ payloads: [SAMPLE.IDi, SAMPLE.SK] }, AUTH, false)).toMatchObject({
      ok: false,
      violation: { kind: "must-be-encrypted", payload: "IDi" },
    });
    expect(checkRules({ payloads: [] }, AUTH, false)).toMatchObject({
      ok: false,
      violation: { payload: "SK" },
    });
  });

  it("unknown exchange types have no table", () => {
    const r = checkRules({ payloads: [] }, 99, false);
    expect(r).toEqual({ ok: false, violation: { kind: "unknown-exchange", exchangeType: 99 } });
  });

  it("works on decoded messages: encode, decode, decrypt-equivalent inner decode, check", () => {
    const inner = encodeInnerPayloads(samples("IDi", "AUTH", "SA", "TSi", "TSr"));
    const datagram = encodeMessage({
      header: header(AUTH, false, 1),
      payloads: [{ type: "SK", firstPayload: inner.firstPayload, content: new Uint8Array(16) }],
    });
    const m = decodeMessage(datagram);
    const sk = m.payloads[0];
    if (sk?.type !== "SK") throw new Error("shape");
    const decoded = decodeInnerPayloads(inner.bytes, sk.firstPayload);
    expect(checkRules(m, m.header.exchangeType, m.header.response, decoded)).toEqual({
      ok: true,
      errorReply: false,
    });
    const withheld = decoded.filter((p) => p.type !== "IDi");
    const r = checkRules(m, m.header.exchangeType, m.header.response, withheld);
    expect(r).toMatchObject({ ok: false, violation: { kind: "missing", payload: "IDi" } });
  });
});

describe("violations map to INVALID_SYNTAX and describe themselves", () => {
  it("every kind", () => {
    const violations = [
      checkRules({ payloads: [] }, 99, false),
      checkRules({ payloads: samples("KE", "Nonce") }, 34, false),
      checkRules({ payloads: samples("SA", "SA", "KE", "Nonce") }, 34, false),
      checkRules({ payloads: samples("SA", "KE", "Nonce", "D") }, 34, false),
      checkRules({ payloads: [SAMPLE.IDi, SAMPLE.SK] }, 35, false),
      checkRules({ payloads: samples("SA", "KE") }, 34, false, samples("Nonce")),
      checkRules({ payloads: [SAMPLE.SK] }, 36, false, samples("SA", "Nonce", "TSi")),
    ];
    const kinds = violations.map((r) => (r.ok ? "ok" : r.violation.kind));
    expect(kinds).toEqual([
      "unknown-exchange",
      "missing",
      "too-many",
      "not-allowed",
      "must-be-encrypted",
      "must-be-cleartext",
      "not-together",
    ]);
    const texts = violations.map((r) => (r.ok ? "" : describeViolation(r.violation)));
    expect(texts).toEqual([
      "no rules for exchange type 99",
      "SA missing (0 of at least 1) in ike-sa-init",
      "SA repeated (2, at most 1) in ike-sa-init",
      "D not allowed in ike-sa-init",
      "IDi sent outside SK in ike-auth",
      "Nonce sent inside SK in ike-sa-init",
      "TSi, TSr must appear together in create-child-sa",
    ]);
    for (const r of violations) {
      if (r.ok) throw new Error("expected a violation");
      expect(errorNotify(r.violation)).toEqual({
        notifyType: NotifyType.INVALID_SYNTAX,
        data: new Uint8Array(0),
      });
    }
  });
});
