import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AuthMethod,
  CA_HASH_LENGTH,
  CertEncoding,
  caHashes,
  decodeAuth,
  decodeCert,
  decodeCertReq,
  decodeCp,
  decodeDelete,
  decodeEap,
  decodeId,
  decodeInnerPayloads,
  decodeKe,
  decodeMessage,
  decodeNonce,
  decodeNotify,
  decodeSa,
  decodeSignatureAuthData,
  decodeSignatureHashAlgorithms,
  decodeSk,
  decodeSkf,
  decodeTs,
  decodeVendor,
  EapCode,
  encodeAuth,
  encodeCert,
  encodeCertReq,
  encodeCp,
  encodeDelete,
  encodeEap,
  encodeId,
  encodeInnerPayloads,
  encodeKe,
  encodeMessage,
  encodeNonce,
  encodeNotify,
  encodeSa,
  encodeSignatureAuthData,
  encodeSignatureHashAlgorithms,
  encodeSk,
  encodeSkf,
  encodeTs,
  encodeVendor,
  IdType,
  type IkeHeader,
  keyLength,
  type Payload,
  PayloadType,
  payloadTypeOf,
  TsType,
} from "../../src/ikev2/index.js";
import { fromHex, isWireError, Reader, Writer } from "../../src/wire/index.js";
import {
  arbAuth,
  arbCert,
  arbCertReq,
  arbCp,
  arbDelete,
  arbEap,
  arbId,
  arbKe,
  arbMessage,
  arbNonce,
  arbNotify,
  arbPlainPayload,
  arbSa,
  arbSk,
  arbSkf,
  arbTs,
  arbVendor,
} from "./arbitraries.js";
import { header } from "./samples.js";

const RUNS = { numRuns: 300 };

const HEADER = header(34, false);

function bodyOf(write: (w: Writer) => void): Reader {
  const w = new Writer();
  write(w);
  return new Reader(w.finish());
}

/** Body codecs: decodeX(encodeX(x)) deep-equals x, and the body reader is consumed exactly. */
describe("payload body round trips", () => {
  const cases: [
    string,
    fc.Arbitrary<Payload>,
    (w: Writer, p: never) => void,
    (r: Reader, p: never) => Payload,
  ][] = [
    ["SA", arbSa, encodeSa, (r) => decodeSa(r)],
    ["KE", arbKe, encodeKe, (r) => decodeKe(r)],
    ["ID", arbId, encodeId, (r, p: { type: "IDi" | "IDr" }) => decodeId(r, p.type)],
    ["CERT", arbCert, encodeCert, (r) => decodeCert(r)],
    ["CERTREQ", arbCertReq, encodeCertReq, (r) => decodeCertReq(r)],
    ["AUTH", arbAuth, encodeAuth, (r) => decodeAuth(r)],
    ["Nonce", arbNonce, encodeNonce, (r) => decodeNonce(r)],
    ["N", arbNotify, encodeNotify, (r) => decodeNotify(r)],
    ["D", arbDelete, encodeDelete, (r) => decodeDelete(r)],
    ["V", arbVendor, encodeVendor, (r) => decodeVendor(r)],
    ["TS", arbTs, encodeTs, (r, p: { type: "TSi" | "TSr" }) => decodeTs(r, p.type)],
    ["SK", arbSk, encodeSk, (r, p: { firstPayload: number }) => decodeSk(r, p.firstPayload)],
    ["SKF", arbSkf, encodeSkf, (r, p: { firstPayload: number }) => decodeSkf(r, p.firstPayload)],
    ["CP", arbCp, encodeCp, (r) => decodeCp(r)],
    ["EAP", arbEap, encodeEap, (r) => decodeEap(r)],
  ];
  for (const [name, arb, encode, decode] of cases) {
    it(`${name}: decode(encode(x)) = x`, () => {
      fc.assert(
        fc.property(arb, (p) => {
          const r = bodyOf((w) => encode(w, p as never));
          expect(decode(r, p as never)).toEqual(p);
          expect(r.done).toBe(true);
        }),
        RUNS,
      );
    });
  }
});

describe("message round trips", () => {
  it("decode(encode(m)) = m for whole messages", () => {
    fc.assert(
      fc.property(arbMessage, (m) => {
        expect(decodeMessage(encodeMessage(m))).toEqual(m);
      }),
      RUNS,
    );
  });

  it("encode(decode(b)) = b for valid encoded messages", () => {
    fc.assert(
      fc.property(arbMessage, (m) => {
        const b = encodeMessage(m);
        expect(encodeMessage(decodeMessage(b))).toEqual(b);
      }),
      RUNS,
    );
  });

  it("header Length and Next Payload are computed", () => {
    fc.assert(
      fc.property(arbMessage, (m) => {
        const b = encodeMessage(m);
        expect(new DataView(b.buffer, b.byteOffset).getUint32(24)).toBe(b.length);
        expect(b[16]).toBe(m.payloads[0] === undefined ? 0 : payloadTypeOf(m.payloads[0]));
      }),
      RUNS,
    );
  });

  it("inner payload chains round-trip through encodeInnerPayloads/decodeInnerPayloads", () => {
    fc.assert(
      fc.property(fc.array(arbPlainPayload, { maxLength: 10 }), (payloads) => {
        const { firstPayload, bytes } = encodeInnerPayloads(payloads);
        expect(decodeInnerPayloads(bytes, firstPayload)).toEqual(payloads);
      }),
      RUNS,
    );
  });

  it("decoded byte fields are views into the datagram, not copies", () => {
    const m = { header: HEADER, payloads: [{ type: "V", data: fromHex("aabbcc") } as const] };
    const b = encodeMessage(m);
    const v = decodeMessage(b).payloads[0];
    expect(v?.type === "V" && v.data.buffer).toBe(b.buffer);
  });

  it("SK's Next Payload is the first inner payload type, and SK must be last", () => {
    const sk = { type: "SK", firstPayload: PayloadType.IDi, content: fromHex("00112233") } as const;
    const b = encodeMessage({ header: HEADER, payloads: [sk] });
    expect(b[28]).toBe(PayloadType.IDi);
    expect(() =>
      encodeMessage({ header: HEADER, payloads: [sk, { type: "V", data: new Uint8Array(0) }] }),
    ).toThrow(RangeError);
  });

  it("SK or SKF inside an inner chain is refused both ways", () => {
    fc.assert(
      fc.property(fc.oneof(arbSk, arbSkf), (enc) => {
        expect(() => encodeInnerPayloads([enc])).toThrow(RangeError);
        // The same payload bytes as they would appear in a message, handed over as plaintext.
        const nested = encodeMessage({ header: HEADER, payloads: [enc] }).subarray(28);
        expect(() => decodeInnerPayloads(nested, payloadTypeOf(enc))).toThrow(/inside an encrypted payload/);
      }),
      { numRuns: 100 },
    );
  });
});

describe("encoders refuse what decoders reject (RangeError)", () => {
  const w = () => new Writer();
  it("Nonce outside 16..256", () => {
    expect(() => encodeNonce(w(), { type: "Nonce", data: new Uint8Array(15) })).toThrow(RangeError);
    expect(() => encodeNonce(w(), { type: "Nonce", data: new Uint8Array(257) })).toThrow(RangeError);
  });
  it("SA with no proposals, misnumbered proposals, no transforms, bad SPI size", () => {
    const t = { transformType: 1, id: 12, attributes: [] };
    expect(() => encodeSa(w(), { type: "SA", proposals: [] })).toThrow(RangeError);
    expect(() =>
      encodeSa(w(), {
        type: "SA",
        proposals: [
          { number: 1, protocolId: 1, spi: new Uint8Array(0), transforms: [t] },
          { number: 3, protocolId: 1, spi: new Uint8Array(0), transforms: [t] },
        ],
      }),
    ).toThrow(/does not follow/);
    expect(() =>
      encodeSa(w(), {
        type: "SA",
        proposals: [{ number: 1, protocolId: 3, spi: new Uint8Array(0), transforms: [t] }],
      }),
    ).toThrow(/SPI size/);
    expect(() =>
      encodeSa(w(), {
        type: "SA",
        proposals: [{ number: 1, protocolId: 1, spi: new Uint8Array(0), transforms: [] }],
      }),
    ).toThrow(/without transforms/);
  });
  it("Key Length in TLV form and duplicate attributes", () => {
    const sa = (attributes: never[]) => ({
      type: "SA" as const,
      proposals: [
        {
          number: 1,
          protocolId: 1,
          spi: new Uint8Array(0),
          transforms: [{ transformType: 1, id: 12, attributes }],
        },
      ],
    });
    expect(() =>
      encodeSa(w(), sa([{ format: "tlv", attrType: 14, value: fromHex("0100") }] as never[])),
    ).toThrow(/TV format/);
    expect(() =>
      encodeSa(
        w(),
        sa([
          { format: "tv", attrType: 14, value: 128 },
          { format: "tv", attrType: 14, value: 256 },
        ] as never[]),
      ),
    ).toThrow(/duplicate/);
    // Many attributes (duplicates are then found with a set, not pairwise).
    const many = (types: number[]) =>
      sa(types.map((attrType) => ({ format: "tlv", attrType, value: new Uint8Array(0) })) as never[]);
    const distinct = Array.from({ length: 20 }, (_, i) => 100 + i);
    expect(() => encodeSa(w(), many(distinct))).not.toThrow();
    expect(() => encodeSa(w(), many([...distinct, 107]))).toThrow(/duplicate attribute type 107/);
    expect(() => encodeSa(w(), many([100, 101, 102, 101]))).toThrow(/duplicate attribute type 101/);
  });
  it("TS with start above end, wrong address size, no selectors", () => {
    const sel = {
      tsType: TsType.TS_IPV4_ADDR_RANGE,
      ipProtocol: 0,
      startPort: 0,
      endPort: 65535,
      startAddress: fromHex("0a000002"),
      endAddress: fromHex("0a000001"),
    } as const;
    expect(() => encodeTs(w(), { type: "TSi", selectors: [sel] })).toThrow(/starting address/);
    expect(() =>
      encodeTs(w(), { type: "TSi", selectors: [{ ...sel, endAddress: fromHex("0a00000200") }] }),
    ).toThrow(/address length/);
    expect(() => encodeTs(w(), { type: "TSi", selectors: [] })).toThrow(RangeError);
  });
  it("Notify SPI with protocol IKE, Delete IKE with SPIs, SKF fragment 0, EAP Success with data", () => {
    expect(() =>
      encodeNotify(w(), {
        type: "N",
        protocolId: 1,
        spi: new Uint8Array(4),
        notifyType: 16393,
        data: new Uint8Array(0),
      }),
    ).toThrow(RangeError);
    expect(() => encodeDelete(w(), { type: "D", protocolId: 1, spis: [new Uint8Array(0)] })).toThrow(
      RangeError,
    );
    expect(() => encodeDelete(w(), { type: "D", protocolId: 3, spis: [new Uint8Array(8)] })).toThrow(
      RangeError,
    );
    expect(() =>
      encodeSkf(w(), {
        type: "SKF",
        firstPayload: 0,
        fragmentNumber: 0,
        totalFragments: 1,
        content: new Uint8Array(0),
      }),
    ).toThrow(RangeError);
    expect(() =>
      encodeEap(w(), {
        type: "EAP",
        code: EapCode.SUCCESS,
        identifier: 1,
        eapType: 1,
        data: new Uint8Array(0),
      }),
    ).toThrow(RangeError);
    expect(() =>
      encodeEap(w(), { type: "EAP", code: EapCode.REQUEST, identifier: 1, data: new Uint8Array(0) }),
    ).toThrow(RangeError);
  });
  it("ID data its type forbids", () => {
    expect(() =>
      encodeId(w(), { type: "IDi", idType: IdType.ID_IPV4_ADDR, data: new Uint8Array(5) }),
    ).toThrow(RangeError);
    expect(() => encodeId(w(), { type: "IDi", idType: IdType.ID_NULL, data: new Uint8Array(1) })).toThrow(
      RangeError,
    );
  });
  it("unknown payloads with a known or zero type number", () => {
    const unknown = (payloadType: number) =>
      ({ type: "unknown", payloadType, critical: false, body: new Uint8Array(0) }) as const;
    expect(() => encodeInnerPayloads([unknown(PayloadType.SA)])).toThrow(RangeError);
    expect(() => encodeInnerPayloads([unknown(0)])).toThrow(RangeError);
  });
  it("payloads over 65535 octets", () => {
    expect(() => encodeInnerPayloads([{ type: "V", data: new Uint8Array(65532) }])).toThrow(RangeError);
    expect(encodeInnerPayloads([{ type: "V", data: new Uint8Array(65531) }]).bytes.length).toBe(65535);
  });
  it("header: zero initiator SPI, SPI of wrong size, field out of range", () => {
    const m = (header: Partial<IkeHeader>) => ({ header: { ...HEADER, ...header }, payloads: [] });
    expect(() => encodeMessage(m({ spiI: new Uint8Array(8) }))).toThrow(RangeError);
    expect(() => encodeMessage(m({ spiR: new Uint8Array(4) }))).toThrow(RangeError);
    expect(() => encodeMessage(m({ messageId: 2 ** 32 }))).toThrow(RangeError);
    expect(() => encodeMessage(m({ minorVersion: 16 }))).toThrow(RangeError);
  });
});

describe("payload decoders reject malformed bodies", () => {
  const r = (hex: string) => new Reader(fromHex(hex));
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      if (isWireError(e)) return e.code;
      throw e;
    }
    return "ok";
  };
  it("SA: lengths and counts must agree (RFC 7296 §3.3)", () => {
    // One proposal, one transform (ENCR 12, Key Length 128).
    expect(code(() => decodeSa(r("00000014010100010000000c0100000c800e0080")))).toBe("ok");
    // Num Transforms says 2, only one present.
    expect(code(() => decodeSa(r("00000014010100020000000c0100000c800e0080")))).toBe("bad-value");
    // Proposal length covers bytes after its last counted transform.
    expect(code(() => decodeSa(r("00000016010100010000000c0100000c800e0080abcd")))).toBe("trailing-data");
    // Bytes after the last proposal.
    expect(code(() => decodeSa(r("00000014010100010000000c0100000c800e0080abcd")))).toBe("trailing-data");
    // Proposal length larger than the payload.
    expect(code(() => decodeSa(r("00000018010100010000000c0100000c800e0080")))).toBe("truncated");
    // Proposal length below its header.
    expect(code(() => decodeSa(r("00000004")))).toBe("bad-length");
    // Last Substruc says more proposals but none follow.
    expect(code(() => decodeSa(r("02000014010100010000000c0100000c800e0080")))).toBe("truncated");
    // Last Substruc value 3 on a proposal.
    expect(code(() => decodeSa(r("03000014010100010000000c0100000c800e0080")))).toBe("bad-value");
    // Transform Last Substruc 3 on the last transform.
    expect(code(() => decodeSa(r("00000014010100010300000c0100000c800e0080")))).toBe("bad-value");
    // TLV attribute whose length runs past the transform.
    expect(code(() => decodeSa(r("00000014010100010000000c0100000c00010009")))).toBe("truncated");
    // Proposal number 0.
    expect(code(() => decodeSa(r("00000014000100010000000c0100000c800e0080")))).toBe("bad-value");
    // Empty SA payload.
    expect(code(() => decodeSa(r("")))).toBe("truncated");
  });
  it("Nonce below 16 and above 256 octets (RFC 7296 §3.9)", () => {
    expect(code(() => decodeNonce(new Reader(new Uint8Array(15))))).toBe("bad-length");
    expect(code(() => decodeNonce(new Reader(new Uint8Array(16))))).toBe("ok");
    expect(code(() => decodeNonce(new Reader(new Uint8Array(256))))).toBe("ok");
    expect(code(() => decodeNonce(new Reader(new Uint8Array(257))))).toBe("bad-length");
  });
  it("Notify SPI rules (RFC 7296 §3.10)", () => {
    expect(code(() => decodeNotify(r("030440090000000a")))).toBe("ok");
    expect(code(() => decodeNotify(r("010440090000000a")))).toBe("bad-value");
    expect(code(() => decodeNotify(r("0308400900000000000000000a")))).toBe("bad-value");
    expect(code(() => decodeNotify(r("03044009000000")))).toBe("truncated");
    // Protocol ID with an empty SPI is ignored, and kept as received.
    expect(decodeNotify(r("01004009"))).toMatchObject({ protocolId: 1, notifyType: 0x4009 });
  });
  it("Delete SPI rules (RFC 7296 §3.11)", () => {
    expect(code(() => decodeDelete(r("01000000")))).toBe("ok");
    expect(code(() => decodeDelete(r("01000001")))).toBe("bad-value");
    expect(code(() => decodeDelete(r("030400020000000100000002")))).toBe("ok");
    expect(code(() => decodeDelete(r("0304000200000001")))).toBe("truncated");
    expect(code(() => decodeDelete(r("03040001000000010000")))).toBe("trailing-data");
    expect(code(() => decodeDelete(r("030800010000000000000001")))).toBe("bad-value");
    expect(code(() => decodeDelete(r("0404000100000001")))).toBe("bad-value");
  });
  it("EAP Length must match the payload (RFC 7296 §3.16)", () => {
    expect(decodeEap(r("0105000601aa"))).toEqual({
      type: "EAP",
      code: 1,
      identifier: 5,
      eapType: 1,
      data: fromHex("aa"),
    });
    expect(code(() => decodeEap(r("0105000701aa")))).toBe("bad-length");
    expect(code(() => decodeEap(r("0105000501aa")))).toBe("bad-length");
    expect(code(() => decodeEap(r("03050004")))).toBe("ok");
    expect(code(() => decodeEap(r("0305000501")))).toBe("bad-length");
    expect(code(() => decodeEap(r("07050004")))).toBe("bad-value");
    expect(code(() => decodeEap(r("010500")))).toBe("truncated");
  });
  it("SKF fragment numbers (RFC 7383 §2.5)", () => {
    expect(code(() => decodeSkf(r("00010001"), 35))).toBe("ok");
    expect(code(() => decodeSkf(r("00000001"), 35))).toBe("bad-value");
    expect(code(() => decodeSkf(r("00030002"), 0))).toBe("bad-value");
    expect(code(() => decodeSkf(r("00010000"), 35))).toBe("bad-value");
  });
  it("CP attribute lengths (RFC 7296 §3.15.1)", () => {
    expect(code(() => decodeCp(r("01000000 00010000 00010004c0000201 00030000".replace(/ /g, ""))))).toBe(
      "ok",
    );
    expect(code(() => decodeCp(r("0100000000010003c00002")))).toBe("bad-length");
    expect(code(() => decodeCp(r("01000000000e0003000102")))).toBe("bad-length");
    expect(code(() => decodeCp(r("010000000001")))).toBe("truncated");
    // The R bit is ignored on receipt.
    expect(decodeCp(r("0200000080010000")).attributes[0]?.attrType).toBe(1);
  });
  it("ID types fix their data (RFC 7296 §3.5, RFC 7619 §3)", () => {
    expect(code(() => decodeId(r("01000000c0000201"), "IDi"))).toBe("ok");
    expect(code(() => decodeId(r("01000000c00002"), "IDi"))).toBe("bad-value");
    expect(code(() => decodeId(r("05000000c0000201"), "IDi"))).toBe("bad-value");
    expect(code(() => decodeId(r("02000000616200"), "IDi"))).toBe("bad-value");
    expect(code(() => decodeId(r("0d000000"), "IDi"))).toBe("ok");
    expect(code(() => decodeId(r("0d00000000"), "IDi"))).toBe("bad-value");
    // DER Name: SEQUENCE whose length matches, overruns, underruns; non-minimal length; wrong tag.
    expect(code(() => decodeId(r("090000003003020100"), "IDi"))).toBe("ok");
    expect(code(() => decodeId(r("090000003004020100"), "IDi"))).toBe("bad-value");
    expect(code(() => decodeId(r("09000000300202010000"), "IDi"))).toBe("bad-value");
    expect(code(() => decodeId(r("09000000308103020100"), "IDi"))).toBe("bad-value");
    expect(code(() => decodeId(r("090000003180"), "IDi"))).toBe("bad-value");
    expect(code(() => decodeId(r("09000000"), "IDi"))).toBe("bad-value");
    // GeneralName: dNSName [2] IA5String.
    expect(code(() => decodeId(r("0a000000820161"), "IDi"))).toBe("ok");
    expect(code(() => decodeId(r("0a000000300161"), "IDi"))).toBe("bad-value");
  });
});

describe("helpers", () => {
  it("keyLength reads the TV Key Length attribute", () => {
    const sa = decodeSa(new Reader(fromHex("00000014010100010000000c0100000c800e0080")));
    expect(keyLength(sa.proposals[0]!.transforms[0]!)).toBe(128);
    expect(keyLength({ transformType: 2, id: 5, attributes: [] })).toBeUndefined();
  });

  it("SIGNATURE_HASH_ALGORITHMS data round-trips and rejects odd lengths (RFC 7427 §4)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 10 }), (hashes) => {
        expect(
          decodeSignatureHashAlgorithms(bodyOf((w) => encodeSignatureHashAlgorithms(w, hashes))),
        ).toEqual(hashes);
      }),
      RUNS,
    );
    expect(() => decodeSignatureHashAlgorithms(new Reader(fromHex("000200")))).toThrow(/trailing-data/);
  });

  it("RFC 7427 Appendix B.1: method 14 AUTH with sha1WithRSAEncryption", () => {
    // "0e00 0000 0f30 0d06 092a 8648 86f7 0d01 0105 0500 ...", signature appended.
    const body = fromHex("0e0000000f300d06092a864886f70d0101050500" + "deadbeef");
    const auth = decodeAuth(new Reader(body));
    expect(auth.method).toBe(AuthMethod.DIGITAL_SIGNATURE);
    const sig = decodeSignatureAuthData(new Reader(auth.data));
    expect(sig.algorithmIdentifier).toEqual(fromHex("300d06092a864886f70d0101050500"));
    expect(sig.signature).toEqual(fromHex("deadbeef"));
    expect(bodyOf((w) => encodeSignatureAuthData(w, sig)).rest()).toEqual(auth.data);
    expect(() => decodeSignatureAuthData(new Reader(fromHex("10300d")))).toThrow(/truncated/);
    expect(() => decodeSignatureAuthData(new Reader(fromHex("00")))).toThrow(/bad-length/);
    expect(() =>
      encodeSignatureAuthData(new Writer(), {
        algorithmIdentifier: new Uint8Array(0),
        signature: sig.signature,
      }),
    ).toThrow(RangeError);
  });

  it("caHashes splits X.509 CERTREQ authorities into 20-octet hashes", () => {
    const two = new Uint8Array(2 * CA_HASH_LENGTH).map((_, i) => i);
    const hashes = caHashes({ type: "CERTREQ", encoding: CertEncoding.X509_SIGNATURE, authorities: two });
    expect(hashes).toEqual([two.subarray(0, 20), two.subarray(20)]);
    expect(
      caHashes({ type: "CERTREQ", encoding: CertEncoding.X509_SIGNATURE, authorities: two.subarray(1) }),
    ).toBeUndefined();
    expect(caHashes({ type: "CERTREQ", encoding: CertEncoding.PGP, authorities: two })).toBeUndefined();
  });
});
