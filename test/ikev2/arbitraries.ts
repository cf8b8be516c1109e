/**
 * fast-check arbitraries for every IKEv2 payload and for whole messages. Each generates only values
 * the encoders accept, so `decode(encode(x))` must give `x` back. Reusable by later tests (and
 * meant for `ike-ts/testing`).
 */
import fc from "fast-check";
import { ProtocolId } from "../../src/crypto/registry.js";
import type { Payload, UnknownPayload } from "../../src/ikev2/chain.js";
import {
  CfgType,
  ConfigAttributeType,
  EapCode,
  IdType,
  payloadNameOf,
  TransformAttributeType,
  TsType,
} from "../../src/ikev2/constants.js";
import type { IkeHeader } from "../../src/ikev2/header.js";
import type { IkeMessage } from "../../src/ikev2/message.js";
import type { AuthPayload } from "../../src/ikev2/payloads/auth.js";
import type { CertPayload } from "../../src/ikev2/payloads/cert.js";
import type { CertReqPayload } from "../../src/ikev2/payloads/certreq.js";
import type { ConfigAttribute, CpPayload } from "../../src/ikev2/payloads/cp.js";
import type { DeletePayload } from "../../src/ikev2/payloads/delete.js";
import type { EapPayload } from "../../src/ikev2/payloads/eap.js";
import type { IdPayload } from "../../src/ikev2/payloads/id.js";
import type { KePayload } from "../../src/ikev2/payloads/ke.js";
import type { NoncePayload } from "../../src/ikev2/payloads/nonce.js";
import type { NotifyPayload } from "../../src/ikev2/payloads/notify.js";
import type { Proposal, SaPayload, Transform, TransformAttribute } from "../../src/ikev2/payloads/sa.js";
import type { SkPayload } from "../../src/ikev2/payloads/sk.js";
import type { SkfPayload } from "../../src/ikev2/payloads/skf.js";
import type { TrafficSelector, TsPayload } from "../../src/ikev2/payloads/ts.js";
import type { VendorPayload } from "../../src/ikev2/payloads/vendor.js";

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
/** Byte strings of `min`…`max` octets. */
export const bytes = (min: number, max: number): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ minLength: min, maxLength: max });

// ---- SA (RFC 7296 §3.3) ----

function attributeFor(attrType: number): fc.Arbitrary<TransformAttribute> {
  const tv = u16.map((value): TransformAttribute => ({ format: "tv", attrType, value }));
  if (attrType === TransformAttributeType.KEY_LENGTH) return tv;
  return fc.oneof(
    tv,
    bytes(0, 12).map((value): TransformAttribute => ({ format: "tlv", attrType, value })),
  );
}

/** A transform with at most one attribute per type. */
export const arbTransform: fc.Arbitrary<Transform> = fc
  .record({
    transformType: fc.oneof(fc.integer({ min: 1, max: 5 }), u8),
    id: u16,
    attrTypes: fc.uniqueArray(
      fc.oneof(fc.constant(TransformAttributeType.KEY_LENGTH), fc.integer({ min: 0, max: 0x7fff })),
      { maxLength: 3 },
    ),
  })
  .chain(({ transformType, id, attrTypes }) =>
    fc
      .tuple(...attrTypes.map(attributeFor))
      .map((attributes): Transform => ({ transformType, id, attributes })),
  );

const arbProtocolAndSpi: fc.Arbitrary<{ protocolId: number; spi: Uint8Array }> = fc.oneof(
  fc.record({ protocolId: fc.constant(ProtocolId.IKE), spi: fc.oneof(bytes(0, 0), bytes(8, 8)) }),
  fc.record({ protocolId: fc.constantFrom(ProtocolId.AH, ProtocolId.ESP), spi: bytes(4, 4) }),
  fc.record({ protocolId: fc.integer({ min: 4, max: 0xff }), spi: bytes(0, 8) }),
);

/** An SA payload with consecutively numbered proposals. */
export const arbSa: fc.Arbitrary<SaPayload> = fc
  .record({
    first: fc.integer({ min: 1, max: 200 }),
    proposals: fc.array(fc.tuple(arbProtocolAndSpi, fc.array(arbTransform, { minLength: 1, maxLength: 5 })), {
      minLength: 1,
      maxLength: 4,
    }),
  })
  .map(
    ({ first, proposals }): SaPayload => ({
      type: "SA",
      proposals: proposals.map(([ps, transforms], i): Proposal => ({ number: first + i, ...ps, transforms })),
    }),
  );

// ---- KE, Nonce, V, CERT, CERTREQ, AUTH ----

export const arbKe: fc.Arbitrary<KePayload> = fc.record({
  type: fc.constant("KE"),
  group: u16,
  data: bytes(0, 64),
});
export const arbNonce: fc.Arbitrary<NoncePayload> = fc.record({
  type: fc.constant("Nonce"),
  data: bytes(16, 256),
});
export const arbVendor: fc.Arbitrary<VendorPayload> = fc.record({
  type: fc.constant("V"),
  data: bytes(0, 32),
});
export const arbCert: fc.Arbitrary<CertPayload> = fc.record({
  type: fc.constant("CERT"),
  encoding: u8,
  data: bytes(0, 64),
});
export const arbCertReq: fc.Arbitrary<CertReqPayload> = fc.record({
  type: fc.constant("CERTREQ"),
  encoding: u8,
  authorities: bytes(0, 60),
});
export const arbAuth: fc.Arbitrary<AuthPayload> = fc.record({
  type: fc.constant("AUTH"),
  method: u8,
  data: bytes(0, 64),
});

// ---- ID (RFC 7296 §3.5) ----

/** DER length octets (X.690 §8.1.3), minimal form. */
export function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x100) return [0x81, n];
  return [0x82, n >>> 8, n & 0xff];
}

const derTlv = (tag: number, content: Uint8Array): Uint8Array =>
  Uint8Array.from([tag, ...derLength(content.length), ...content]);

const nameBytes = bytes(0, 40).map((b) => b.map((x) => (x === 0 || x === 10 || x === 13 ? 0x41 : x)));

const arbIdData: fc.Arbitrary<{ idType: number; data: Uint8Array }> = fc.oneof(
  fc.record({ idType: fc.constant(IdType.ID_IPV4_ADDR), data: bytes(4, 4) }),
  fc.record({ idType: fc.constant(IdType.ID_IPV6_ADDR), data: bytes(16, 16) }),
  fc.record({ idType: fc.constantFrom(IdType.ID_FQDN, IdType.ID_RFC822_ADDR), data: nameBytes }),
  fc.record({ idType: fc.constant(IdType.ID_DER_ASN1_DN), data: bytes(0, 300).map((c) => derTlv(0x30, c)) }),
  fc.record({
    idType: fc.constant(IdType.ID_DER_ASN1_GN),
    data: fc
      .tuple(fc.integer({ min: 0, max: 8 }), fc.boolean(), bytes(0, 40))
      .map(([tag, constructed, c]) => derTlv(0x80 | (constructed ? 0x20 : 0) | tag, c)),
  }),
  fc.record({ idType: fc.constant(IdType.ID_KEY_ID), data: bytes(0, 40) }),
  fc.record({ idType: fc.constant(IdType.ID_NULL), data: bytes(0, 0) }),
  fc.record({ idType: fc.constantFrom(0, 4, 6, 7, 8, 12, 200), data: bytes(0, 20) }),
);

export const arbId: fc.Arbitrary<IdPayload> = fc
  .tuple(fc.constantFrom("IDi" as const, "IDr" as const), arbIdData)
  .map(([type, d]) => ({ type, ...d }));

// ---- N, D (RFC 7296 §3.10, §3.11) ----

export const arbNotify: fc.Arbitrary<NotifyPayload> = fc
  .tuple(
    fc.oneof(
      fc.record({ protocolId: u8, spi: bytes(0, 0) }),
      fc.record({ protocolId: fc.constantFrom(ProtocolId.AH, ProtocolId.ESP), spi: bytes(4, 4) }),
    ),
    u16,
    bytes(0, 40),
  )
  .map(([ps, notifyType, data]) => ({ type: "N", ...ps, notifyType, data }));

export const arbDelete: fc.Arbitrary<DeletePayload> = fc.oneof(
  fc.constant<DeletePayload>({ type: "D", protocolId: ProtocolId.IKE, spis: [] }),
  fc.record({
    type: fc.constant("D"),
    protocolId: fc.constantFrom(ProtocolId.AH, ProtocolId.ESP),
    spis: fc.array(bytes(4, 4), { maxLength: 5 }),
  }),
);

// ---- TS (RFC 7296 §3.13) ----

function ordered(a: Uint8Array, b: Uint8Array): [Uint8Array, Uint8Array] {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! !== b[i]!) return a[i]! < b[i]! ? [a, b] : [b, a];
  }
  return [a, b];
}

const arbPorts = fc.oneof(
  fc.tuple(u16, u16).map(([a, b]) => (a <= b ? [a, b] : [b, a])),
  fc.constant([0xffff, 0]), // OPAQUE
  fc.constant([0, 0xffff]), // ANY
);

export const arbSelector: fc.Arbitrary<TrafficSelector> = fc
  .constantFrom(TsType.TS_IPV4_ADDR_RANGE, TsType.TS_IPV6_ADDR_RANGE)
  .chain((tsType) => {
    const n = tsType === TsType.TS_IPV4_ADDR_RANGE ? 4 : 16;
    return fc
      .tuple(u8, arbPorts, bytes(n, n), bytes(n, n))
      .map(([ipProtocol, [startPort, endPort], a, b]) => {
        const [startAddress, endAddress] = ordered(a, b);
        return { tsType, ipProtocol, startPort: startPort!, endPort: endPort!, startAddress, endAddress };
      });
  });

export const arbTs: fc.Arbitrary<TsPayload> = fc.record({
  type: fc.constantFrom("TSi" as const, "TSr" as const),
  selectors: fc.array(arbSelector, { minLength: 1, maxLength: 4 }),
});

// ---- SK, SKF (RFC 7296 §3.14, RFC 7383 §2.5) ----

export const arbSk: fc.Arbitrary<SkPayload> = fc.record({
  type: fc.constant("SK"),
  firstPayload: u8,
  content: bytes(0, 80),
});

export const arbSkf: fc.Arbitrary<SkfPayload> = fc
  .tuple(fc.integer({ min: 1, max: 0xffff }), fc.integer({ min: 1, max: 0xffff }), u8, bytes(0, 80))
  .map(([a, b, firstPayload, content]) => ({
    type: "SKF",
    firstPayload,
    fragmentNumber: Math.min(a, b),
    totalFragments: Math.max(a, b),
    content,
  }));

// ---- CP (RFC 7296 §3.15) ----

const KNOWN_CP_LENGTHS: readonly [number, readonly number[]][] = [
  [ConfigAttributeType.INTERNAL_IP4_ADDRESS, [0, 4]],
  [ConfigAttributeType.INTERNAL_IP4_NETMASK, [0, 4]],
  [ConfigAttributeType.INTERNAL_IP4_DNS, [0, 4]],
  [ConfigAttributeType.INTERNAL_IP4_NBNS, [0, 4]],
  [ConfigAttributeType.INTERNAL_IP4_DHCP, [0, 4]],
  [ConfigAttributeType.INTERNAL_IP6_ADDRESS, [0, 17]],
  [ConfigAttributeType.INTERNAL_IP6_DNS, [0, 16]],
  [ConfigAttributeType.INTERNAL_IP6_DHCP, [0, 16]],
  [ConfigAttributeType.INTERNAL_IP4_SUBNET, [0, 8]],
  [ConfigAttributeType.INTERNAL_IP6_SUBNET, [0, 17]],
];

export const arbConfigAttribute: fc.Arbitrary<ConfigAttribute> = fc.oneof(
  fc
    .constantFrom(...KNOWN_CP_LENGTHS)
    .chain(([attrType, lengths]) =>
      fc.constantFrom(...lengths).chain((n) => bytes(n, n).map((value) => ({ attrType, value }))),
    ),
  fc.record({ attrType: fc.constant(ConfigAttributeType.APPLICATION_VERSION), value: bytes(0, 30) }),
  fc.record({
    attrType: fc.constant(ConfigAttributeType.SUPPORTED_ATTRIBUTES),
    value: fc
      .array(u16, { maxLength: 8 })
      .map((ids) => Uint8Array.from(ids.flatMap((i) => [i >>> 8, i & 0xff]))),
  }),
  fc.record({ attrType: fc.integer({ min: 16, max: 0x7fff }), value: bytes(0, 20) }),
);

export const arbCp: fc.Arbitrary<CpPayload> = fc.record({
  type: fc.constant("CP"),
  cfgType: fc.oneof(fc.constantFrom(...Object.values(CfgType)), u8),
  attributes: fc.array(arbConfigAttribute, { maxLength: 6 }),
});

// ---- EAP (RFC 7296 §3.16) ----

export const arbEap: fc.Arbitrary<EapPayload> = fc.oneof(
  fc.record({
    type: fc.constant("EAP"),
    code: fc.constantFrom(EapCode.SUCCESS, EapCode.FAILURE),
    identifier: u8,
    data: bytes(0, 0),
  }),
  fc.record({
    type: fc.constant("EAP"),
    code: fc.constantFrom(EapCode.REQUEST, EapCode.RESPONSE, EapCode.INITIATE, EapCode.FINISH),
    identifier: u8,
    eapType: u8,
    data: bytes(0, 60),
  }),
);

// ---- unknown payloads (RFC 7296 §2.5) ----

/** A payload type number ike-ts does not decode: IKEv1's 1–32, and unassigned or later IKEv2 ones. */
export const arbUnknownType: fc.Arbitrary<number> = fc
  .integer({ min: 1, max: 0xff })
  .filter((n) => payloadNameOf(n) === undefined);

export const arbUnknown: fc.Arbitrary<UnknownPayload> = fc.record({
  type: fc.constant("unknown"),
  payloadType: arbUnknownType,
  critical: fc.constant(false),
  body: bytes(0, 40),
});

// ---- chains and messages ----

/** Every payload that may appear anywhere but last (all but SK and SKF). */
export const arbPlainPayload: fc.Arbitrary<Payload> = fc.oneof(
  arbSa,
  arbKe,
  arbId,
  arbCert,
  arbCertReq,
  arbAuth,
  arbNonce,
  arbNotify,
  arbDelete,
  arbVendor,
  arbTs,
  arbCp,
  arbEap,
  arbUnknown,
);

/** A payload chain as it can appear in a message: plain payloads, then optionally SK or SKF. */
export const arbChain: fc.Arbitrary<Payload[]> = fc
  .tuple(fc.array(arbPlainPayload, { maxLength: 8 }), fc.option(fc.oneof(arbSk, arbSkf), { nil: undefined }))
  .map(([plain, last]) => (last === undefined ? plain : [...plain, last]));

/** Eight non-zero-SPI octets. */
const arbSpiI = bytes(8, 8).filter((b) => b.some((x) => x !== 0));

export const arbHeader: fc.Arbitrary<IkeHeader> = fc.record({
  spiI: arbSpiI,
  spiR: bytes(8, 8),
  minorVersion: fc.integer({ min: 0, max: 15 }),
  exchangeType: u8,
  initiator: fc.boolean(),
  response: fc.boolean(),
  higherVersion: fc.boolean(),
  messageId: u32,
});

export const arbMessage: fc.Arbitrary<IkeMessage> = fc.record({ header: arbHeader, payloads: arbChain });
