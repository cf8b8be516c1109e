/**
 * Declarative message rules: for each exchange and direction, which payloads must, may and must
 * not appear, how often, and whether inside the Encrypted payload (RFC 7296 §1.2–§1.5, §2.16).
 * A message is checked against its table before any handler reads it, so a withheld or repeated
 * payload is one typed violation instead of a missing-field crash in some handler (the
 * CVE-2013-6467 class; strongSwan's `payload_rule_t`, Libreswan's `message_payloads`).
 *
 * Some exchanges have several legitimate forms (IKE_AUTH with EAP, RFC 7296 §2.16); each form is a
 * {@link MessageShape} and a message must satisfy one of them. A response that carries only
 * notifies and vendor IDs, one of them an error (or a stand-alone status such as COOKIE), is an
 * error reply: minimum counts are waived for it (RFC 7296 §2.21), every other rule still holds.
 *
 * @packageDocumentation
 */
import type { Payload } from "./chain.js";
import { ExchangeType, isErrorNotify, NotifyType, type PayloadName } from "./constants.js";

/** One row of a rule table. @public */
export interface PayloadRule {
  /** The payload type, in RFC 7296 §3.2 notation. */
  readonly payload: PayloadName;
  /** Fewest occurrences (waived for error replies). */
  readonly min: number;
  /** Most occurrences; `Infinity` for "0..n" (the decoder's payload cap still applies). */
  readonly max: number;
  /** True: must be inside SK. False: must be in the clear. */
  readonly encrypted: boolean;
}

/** One legitimate form of a message. @public */
export interface MessageShape {
  /** Name for diagnostics, e.g. `"eap"`. */
  readonly name: string;
  /** Rows; a payload type with no row must not appear. */
  readonly rules: readonly PayloadRule[];
  /** Groups of payload types that appear all together or not at all (e.g. SA, TSi, TSr). */
  readonly together: readonly (readonly PayloadName[])[];
}

/** The rules of one exchange in one direction. @public */
export interface ExchangeRules {
  /** An {@link ExchangeType}. */
  readonly exchangeType: number;
  /** True for the response. */
  readonly response: boolean;
  /** True when the message carries exactly one SK or SKF payload (RFC 7296 §3.14, RFC 7383 §2.5). */
  readonly encrypted: boolean;
  /** The accepted forms, the main one first; violations are reported against the first. */
  readonly shapes: readonly [MessageShape, ...MessageShape[]];
  /** Status notifies that make a notify-only response legitimate on their own (e.g. COOKIE). */
  readonly standaloneNotifies: readonly number[];
}

/** Why a message breaks its exchange's rules; every kind is answered with INVALID_SYNTAX. @public */
export type RuleViolation =
  | { readonly kind: "unknown-exchange"; readonly exchangeType: number }
  | {
      readonly kind: "missing";
      readonly payload: PayloadName;
      readonly min: number;
      readonly found: number;
      readonly shape: string;
    }
  | {
      readonly kind: "too-many";
      readonly payload: PayloadName;
      readonly max: number;
      readonly found: number;
      readonly shape: string;
    }
  | { readonly kind: "not-allowed"; readonly payload: PayloadName; readonly shape: string }
  | { readonly kind: "must-be-encrypted"; readonly payload: PayloadName; readonly shape: string }
  | { readonly kind: "must-be-cleartext"; readonly payload: PayloadName; readonly shape: string }
  | { readonly kind: "not-together"; readonly payloads: readonly PayloadName[]; readonly shape: string };

/** Result of {@link checkRules}. @public */
export type RuleCheck =
  | {
      readonly ok: true;
      /** The message is a notify-only error reply (minimum counts were waived). */
      readonly errorReply: boolean;
    }
  | { readonly ok: false; readonly violation: RuleViolation };

const MANY = Number.POSITIVE_INFINITY;

function clear(payload: PayloadName, min: number, max: number): PayloadRule {
  return { payload, min, max, encrypted: false };
}

function enc(payload: PayloadName, min: number, max: number): PayloadRule {
  return { payload, min, max, encrypted: true };
}

function shape(
  name: string,
  rules: readonly PayloadRule[],
  together: readonly (readonly PayloadName[])[] = [],
): MessageShape {
  return { name, rules, together };
}

// RFC 7296 §3.10 / §3.12: notifies and vendor IDs may be added to any message.
const CLEAR_EXTRAS = [clear("N", 0, MANY), clear("V", 0, MANY)] as const;
const ENC_EXTRAS = [enc("N", 0, MANY), enc("V", 0, MANY)] as const;
/** RFC 7296 §1.2, §2.9: a Child SA's SA, TSi and TSr travel together; RFC 6023 omits all three. */
const CHILD_SA_GROUP: readonly PayloadName[] = ["SA", "TSi", "TSr"];
/** RFC 7296 §1.3: CREATE_CHILD_SA always has SA; TSi and TSr together make it a Child SA. */
const TS_GROUP: readonly PayloadName[] = ["TSi", "TSr"];

/** Every exchange's rules, requests and responses. @public */
export const MESSAGE_RULES: readonly ExchangeRules[] = [
  {
    // RFC 7296 §1.2: HDR, SAi1, KEi, Ni -->
    exchangeType: ExchangeType.IKE_SA_INIT,
    response: false,
    encrypted: false,
    shapes: [
      shape("ike-sa-init", [clear("SA", 1, 1), clear("KE", 1, 1), clear("Nonce", 1, 1), ...CLEAR_EXTRAS]),
    ],
    standaloneNotifies: [],
  },
  {
    // RFC 7296 §1.2: <-- HDR, SAr1, KEr, Nr, [CERTREQ]
    exchangeType: ExchangeType.IKE_SA_INIT,
    response: true,
    encrypted: false,
    shapes: [
      shape("ike-sa-init", [
        clear("SA", 1, 1),
        clear("KE", 1, 1),
        clear("Nonce", 1, 1),
        clear("CERTREQ", 0, MANY),
        ...CLEAR_EXTRAS,
      ]),
    ],
    // RFC 7296 §2.6: <-- HDR, N(COOKIE); RFC 5685 §3: <-- HDR, N(REDIRECT, …).
    standaloneNotifies: [NotifyType.COOKIE, NotifyType.REDIRECT],
  },
  {
    // RFC 7296 §1.2: HDR, SK {IDi, [CERT,] [CERTREQ,] [IDr,] AUTH, SAi2, TSi, TSr} -->
    exchangeType: ExchangeType.IKE_AUTH,
    response: false,
    encrypted: true,
    shapes: [
      shape(
        "ike-auth",
        [
          enc("IDi", 1, 1),
          enc("CERT", 0, MANY),
          enc("CERTREQ", 0, MANY),
          enc("IDr", 0, 1),
          enc("AUTH", 0, 1), // RFC 7296 §2.16: omitted when the initiator wants EAP
          enc("CP", 0, 1), // RFC 7296 §2.19
          enc("SA", 0, 1), // RFC 6023: childless IKE_AUTH has no SA, TSi, TSr
          enc("TSi", 0, 1),
          enc("TSr", 0, 1),
          ...ENC_EXTRAS,
        ],
        [CHILD_SA_GROUP],
      ),
      // RFC 7296 §2.16: HDR, SK {EAP} -->
      shape("eap", [enc("EAP", 1, 1), ...ENC_EXTRAS]),
      // RFC 7296 §2.16: HDR, SK {AUTH} --> after EAP success
      shape("eap-auth", [enc("AUTH", 1, 1), ...ENC_EXTRAS]),
    ],
    standaloneNotifies: [],
  },
  {
    // RFC 7296 §1.2: <-- HDR, SK {IDr, [CERT,] AUTH, SAr2, TSi, TSr}
    exchangeType: ExchangeType.IKE_AUTH,
    response: true,
    encrypted: true,
    shapes: [
      shape(
        "ike-auth",
        [
          enc("IDr", 1, 1),
          enc("CERT", 0, MANY),
          enc("AUTH", 0, 1), // RFC 5998 §4: an EAP-only responder sends IDr and EAP without AUTH
          enc("EAP", 0, 1), // RFC 7296 §2.16: <-- HDR, SK {IDr, [CERT,] AUTH, EAP}
          enc("CP", 0, 1),
          enc("SA", 0, 1),
          enc("TSi", 0, 1),
          enc("TSr", 0, 1),
          ...ENC_EXTRAS,
        ],
        [CHILD_SA_GROUP],
      ),
      // RFC 7296 §2.16: <-- HDR, SK {EAP}
      shape("eap", [enc("EAP", 1, 1), ...ENC_EXTRAS]),
      // RFC 7296 §2.16: <-- HDR, SK {AUTH, SAr2, TSi, TSr}
      shape(
        "eap-auth",
        [
          enc("AUTH", 1, 1),
          enc("CP", 0, 1),
          enc("SA", 0, 1),
          enc("TSi", 0, 1),
          enc("TSr", 0, 1),
          ...ENC_EXTRAS,
        ],
        [CHILD_SA_GROUP],
      ),
    ],
    standaloneNotifies: [],
  },
  {
    // RFC 7296 §1.3.1: HDR, SK {SA, Ni, [KEi,] TSi, TSr} -->; §1.3.2: HDR, SK {SA, Ni, KEi} -->
    exchangeType: ExchangeType.CREATE_CHILD_SA,
    response: false,
    encrypted: true,
    shapes: [
      shape(
        "create-child-sa",
        [
          enc("SA", 1, 1),
          enc("Nonce", 1, 1),
          enc("KE", 0, 1),
          enc("TSi", 0, 1),
          enc("TSr", 0, 1),
          ...ENC_EXTRAS,
        ],
        [TS_GROUP],
      ),
    ],
    standaloneNotifies: [],
  },
  {
    // RFC 7296 §1.3.1: <-- HDR, SK {SA, Nr, [KEr,] TSi, TSr}; §1.3.2: <-- HDR, SK {SA, Nr, KEr}
    exchangeType: ExchangeType.CREATE_CHILD_SA,
    response: true,
    encrypted: true,
    shapes: [
      shape(
        "create-child-sa",
        [
          enc("SA", 1, 1),
          enc("Nonce", 1, 1),
          enc("KE", 0, 1),
          enc("TSi", 0, 1),
          enc("TSr", 0, 1),
          ...ENC_EXTRAS,
        ],
        [TS_GROUP],
      ),
    ],
    standaloneNotifies: [],
  },
  ...([false, true] as const).map(
    (response): ExchangeRules => ({
      // RFC 7296 §1.4: HDR, SK {[N,] [D,] [CP,] ...}, both directions.
      exchangeType: ExchangeType.INFORMATIONAL,
      response,
      encrypted: true,
      shapes: [
        shape("informational", [enc("N", 0, MANY), enc("D", 0, MANY), enc("CP", 0, 1), enc("V", 0, MANY)]),
      ],
      standaloneNotifies: [],
    }),
  ),
  ...([false, true] as const).map(
    (response): ExchangeRules => ({
      // RFC 9242 §3: contents defined by extensions; RFC 9370 §2.2.2: HDR, SK {KEi(n)} / SK {KEr(n)}.
      exchangeType: ExchangeType.IKE_INTERMEDIATE,
      response,
      encrypted: true,
      shapes: [shape("ike-intermediate", [enc("KE", 0, 1), ...ENC_EXTRAS])],
      standaloneNotifies: [],
    }),
  ),
  ...([false, true] as const).map(
    (response): ExchangeRules => ({
      // RFC 9370 §2.2.4: HDR(IKE_FOLLOWUP_KE), SK {KEi(n), N(ADDITIONAL_KEY_EXCHANGE)} and reply.
      exchangeType: ExchangeType.IKE_FOLLOWUP_KE,
      response,
      encrypted: true,
      shapes: [shape("ike-followup-ke", [enc("KE", 1, 1), ...ENC_EXTRAS])],
      standaloneNotifies: [],
    }),
  ),
];

/** The rules for an exchange and direction, or `undefined` for an exchange without a table. @public */
export function rulesFor(exchangeType: number, response: boolean): ExchangeRules | undefined {
  return MESSAGE_RULES.find((x) => x.exchangeType === exchangeType && x.response === response);
}

/** Payloads the rules look at: not unknown payloads (skipped, RFC 7296 §2.5), not the SK/SKF container. */
function ruled(p: Payload): p is Exclude<Payload, { type: "unknown" | "SK" | "SKF" }> {
  return p.type !== "unknown" && p.type !== "SK" && p.type !== "SKF";
}

function isErrorReply(rules: ExchangeRules, payloads: readonly Payload[]): boolean {
  if (!rules.response) return false;
  let reason = false;
  for (const p of payloads) {
    if (!ruled(p) || p.type === "V") continue;
    if (p.type !== "N") return false;
    if (isErrorNotify(p.notifyType) || rules.standaloneNotifies.includes(p.notifyType)) reason = true;
  }
  return reason;
}

/** Each shape's rules by payload type (the first row of a type, as a search in order finds it). */
const ruleIndexes = new WeakMap<MessageShape, ReadonlyMap<PayloadName, PayloadRule>>();

function ruleIndex(s: MessageShape): ReadonlyMap<PayloadName, PayloadRule> {
  let index = ruleIndexes.get(s);
  if (index === undefined) {
    const m = new Map<PayloadName, PayloadRule>();
    for (const rule of s.rules) if (!m.has(rule.payload)) m.set(rule.payload, rule);
    ruleIndexes.set(s, m);
    index = m;
  }
  return index;
}

/** Counts `list`'s ruled payloads into `counts`; the first one misplaced by `s`, if any. */
function placement(
  s: MessageShape,
  index: ReadonlyMap<PayloadName, PayloadRule>,
  list: readonly Payload[],
  inside: boolean,
  counts: Map<PayloadName, number>,
): RuleViolation | undefined {
  for (const p of list) {
    if (!ruled(p)) continue;
    counts.set(p.type, (counts.get(p.type) ?? 0) + 1);
    const rule = index.get(p.type);
    if (rule === undefined) return { kind: "not-allowed", payload: p.type, shape: s.name };
    if (rule.encrypted && !inside) return { kind: "must-be-encrypted", payload: p.type, shape: s.name };
    if (!rule.encrypted && inside) return { kind: "must-be-cleartext", payload: p.type, shape: s.name };
  }
  return undefined;
}

function checkShape(
  s: MessageShape,
  outer: readonly Payload[],
  inner: readonly Payload[],
  complete: boolean,
  errorReply: boolean,
): RuleViolation | undefined {
  const counts = new Map<PayloadName, number>();
  const index = ruleIndex(s);
  const misplaced = placement(s, index, outer, false, counts) ?? placement(s, index, inner, true, counts);
  if (misplaced !== undefined) return misplaced;
  // Without the decrypted inner payloads only placement can be judged.
  if (!complete) return undefined;
  for (const rule of s.rules) {
    const found = counts.get(rule.payload) ?? 0;
    if (found > rule.max)
      return { kind: "too-many", payload: rule.payload, max: rule.max, found, shape: s.name };
    if (found < rule.min && !errorReply) {
      return { kind: "missing", payload: rule.payload, min: rule.min, found, shape: s.name };
    }
  }
  for (const group of s.together) {
    const present = group.filter((name) => counts.has(name)).length;
    if (present !== 0 && present !== group.length)
      return { kind: "not-together", payloads: group, shape: s.name };
  }
  return undefined;
}

/**
 * Checks a message against the rules of its exchange and direction.
 *
 * @param message - the decoded message (its outer payloads).
 * @param exchangeType - the header's exchange type.
 * @param isResponse - the header's R flag.
 * @param inner - the payloads decrypted from SK (or reassembled SKF). Omit before decryption to
 *   check only the outer layout (an SK/SKF present and nothing that belongs inside it outside).
 * @returns `ok`, or the first violated rule of the exchange's main shape when no shape fits.
 * @public
 */
export function checkRules(
  message: { readonly payloads: readonly Payload[] },
  exchangeType: number,
  isResponse: boolean,
  inner?: readonly Payload[],
): RuleCheck {
  const rules = rulesFor(exchangeType, isResponse);
  if (rules === undefined) return { ok: false, violation: { kind: "unknown-exchange", exchangeType } };
  const main = rules.shapes[0];
  const container = message.payloads.find((p) => p.type === "SK" || p.type === "SKF");
  if (rules.encrypted && container === undefined) {
    // RFC 7296 §3.14: every message after IKE_SA_INIT is protected by SK (or SKF, RFC 7383).
    return { ok: false, violation: { kind: "missing", payload: "SK", min: 1, found: 0, shape: main.name } };
  }
  if (!rules.encrypted && container !== undefined) {
    return { ok: false, violation: { kind: "not-allowed", payload: container.type, shape: main.name } };
  }
  const innerList = inner ?? [];
  const complete = !rules.encrypted || inner !== undefined;
  const errorReply = complete && isErrorReply(rules, [...message.payloads, ...innerList]);
  let first: RuleViolation | undefined;
  for (const s of rules.shapes) {
    const v = checkShape(s, message.payloads, innerList, complete, errorReply);
    if (v === undefined) return { ok: true, errorReply };
    first ??= v;
  }
  return { ok: false, violation: first! };
}

/** A one-line description of a violation for logs. @public */
export function describeViolation(v: RuleViolation): string {
  switch (v.kind) {
    case "unknown-exchange":
      return `no rules for exchange type ${v.exchangeType}`;
    case "missing":
      return `${v.payload} missing (${v.found} of at least ${v.min}) in ${v.shape}`;
    case "too-many":
      return `${v.payload} repeated (${v.found}, at most ${v.max}) in ${v.shape}`;
    case "not-allowed":
      return `${v.payload} not allowed in ${v.shape}`;
    case "must-be-encrypted":
      return `${v.payload} sent outside SK in ${v.shape}`;
    case "must-be-cleartext":
      return `${v.payload} sent inside SK in ${v.shape}`;
    case "not-together":
      return `${v.payloads.join(", ")} must appear together in ${v.shape}`;
  }
}
