/**
 * Real IKEv2 messages from public sources, decoded to their known fields and re-encoded
 * byte-exactly.
 *
 * - rusticata/ipsec-parser `tests/ikev2.rs` `IKEV2_MSG`: an IKE_SA_INIT request as captured on UDP
 *   4500, i.e. behind a 4-octet non-ESP marker (RFC 3948 §2.2).
 * - hyavari/node-ikev2 `tests/Message.test.ts`: IKE_SA_INIT request and response and the IKE_AUTH
 *   request and response of one Windows-initiated exchange (SK contents opaque).
 */
import { describe, expect, it } from "vitest";
import { ProtocolId, TransformType } from "../../src/crypto/registry.js";
import {
  CertEncoding,
  checkRules,
  decodeMessage,
  decodeSignatureHashAlgorithms,
  ExchangeType,
  encodeMessage,
  HashAlgorithm,
  keyLength,
  NotifyType,
  type Payload,
  PayloadType,
} from "../../src/ikev2/index.js";
import { fromHex, Reader, toHex } from "../../src/wire/index.js";

const RUSTICATA_UDP4500 = fromHex(
  "00000000bca1937a7c2ff5b9000000000000000021202208000000000000012c220000a402000024010100030300000c" +
    "01000014800e00800300000802000005000000080400001c02000024020100030300000c01000014800e008003000008" +
    "0200000500000008040000130200002c030100040300000c0100000d800e0080030000080300000c0300000802000005" +
    "000000080400001c0000002c040100040300000c0100000d800e0080030000080300000c030000080200000500000008" +
    "0400001328000048001c00004d23b8f22c03ae3ab40af9fa76c23c7ba6c56981e13c32fbc36954c87a96cbfa34637c6f" +
    "31b650ce5d8717005ce793c2eeaff1c566280811d942d1b8e80268bb0000002499e2a373cc44ad10fb78dda25206a4a9" +
    "b7558e0d8269799c6800362c46a0bf7b",
);

const WINDOWS_INIT_REQ = fromHex(
  "89922c915f35570e000000000000000021202208000000000000012c2200002800000024010100030300000c01000014800e0100" +
    "030000080200000500000008040000132800004800130000db253178440ce776a794133cb8b69e5eb074733536570c64d7b6" +
    "30549c899c0712d828b37168500885e051024578afc75c101f73b8943cad62d74a30f2be1fca2b00002c09cb538b2c3dbd4d" +
    "0bb0eec8d318cb801a9b4715b207828d9b5ff1f4ec64ed58863707bcf14ccf052b000014eb4c1b788afd4a9cb7730a68d56c" +
    "53212b000014c61baca1f1a60cc108000000000000002b0000184048b7d56ebce88525e7de7f00d6c2d3c000000029000014" +
    "4048b7d56ebce88525e7de7f00d6c2d3290000080000402e2900000800004016000000100000402f0001000200030004",
);

const WINDOWS_INIT_RESP = fromHex(
  "89922c915f35570e98d56d32e2a047422120222000000000000001312200002800000024010100030300000c01000014800e01" +
    "000300000802000005000000080400001328000048001300001d9cd5974c950c95e0544483fb1f7a9132f5fe8959c09ab3a5" +
    "4c779ff2bcf4522a030dc33b9d5ddfeb99e028c0e8ba7d80dfdcf12b1516dbe180e6aec664428b2600002c1d107dc5a7463d" +
    "a7d761014139fb381af9cd3b8c0181e6cd36a8ae105e55aa7fe71f5db1d36c29152b000005042b0000184048b7d56ebce885" +
    "25e7de7f00d6c2d3c00000002b0000144048b7d56ebce88525e7de7f00d6c2d32b000014c6f57ac398f493208145b7581e87" +
    "89832900001485817703c6e320d2ae5a4dd02056c6d7290000080000402e290000100000402f000100020003000400000008" +
    "00004014",
);

/** The first 64 octets of node-ikev2's IKE_AUTH request (1280 octets), enough for header and SK header. */
const WINDOWS_AUTH_REQ_HEAD = fromHex(
  "89922c915f35570e98d56d32e2a047422e2023080000000100000500230004e4be1114ab1abe02954640ce512b03d6527a50dd17707ff420b9b5b02d2874c5",
);

function types(payloads: readonly Payload[]): string[] {
  return payloads.map((p) => p.type);
}

describe("rusticata ipsec-parser IKE_SA_INIT request (UDP 4500)", () => {
  const datagram = RUSTICATA_UDP4500.subarray(4); // strip the non-ESP marker
  const m = decodeMessage(datagram);

  it("header", () => {
    expect(toHex(m.header.spiI)).toBe("bca1937a7c2ff5b9");
    expect(toHex(m.header.spiR)).toBe("0000000000000000");
    expect(m.header).toMatchObject({
      exchangeType: ExchangeType.IKE_SA_INIT,
      initiator: true,
      response: false,
      higherVersion: false,
      minorVersion: 0,
      messageId: 0,
    });
    expect(datagram.length).toBe(300);
  });

  it("payloads: SA with 4 proposals of 3, 3, 4, 4 transforms, KE group 28, 32-octet nonce", () => {
    expect(types(m.payloads)).toEqual(["SA", "KE", "Nonce"]);
    const [sa, ke, nonce] = m.payloads;
    if (sa?.type !== "SA" || ke?.type !== "KE" || nonce?.type !== "Nonce") throw new Error("shape");
    expect(sa.proposals.map((p) => p.number)).toEqual([1, 2, 3, 4]);
    expect(sa.proposals.map((p) => p.transforms.length)).toEqual([3, 3, 4, 4]);
    expect(sa.proposals.every((p) => p.protocolId === ProtocolId.IKE && p.spi.length === 0)).toBe(true);
    const p1 = sa.proposals[0]!;
    expect(p1.transforms.map((t) => [t.transformType, t.id])).toEqual([
      [TransformType.ENCR, 20],
      [TransformType.PRF, 5],
      [TransformType.KE, 28],
    ]);
    expect(keyLength(p1.transforms[0]!)).toBe(128);
    expect(sa.proposals[3]!.transforms.map((t) => [t.transformType, t.id])).toEqual([
      [TransformType.ENCR, 13],
      [TransformType.INTEG, 12],
      [TransformType.PRF, 5],
      [TransformType.KE, 19],
    ]);
    expect(ke.group).toBe(28);
    expect(ke.data.length).toBe(64);
    expect(toHex(ke.data.subarray(0, 4))).toBe("4d23b8f2");
    expect(nonce.data.length).toBe(32);
    expect(toHex(nonce.data.subarray(0, 4))).toBe("99e2a373");
  });

  it("re-encodes byte-exactly and satisfies the IKE_SA_INIT request rules", () => {
    expect(encodeMessage(m)).toEqual(datagram);
    expect(checkRules(m, m.header.exchangeType, m.header.response)).toEqual({ ok: true, errorReply: false });
  });
});

describe("node-ikev2 Windows IKE_SA_INIT request", () => {
  const m = decodeMessage(WINDOWS_INIT_REQ);

  it("header and payload sequence", () => {
    expect(toHex(m.header.spiI)).toBe("89922c915f35570e");
    expect(m.header).toMatchObject({ exchangeType: 34, initiator: true, response: false, messageId: 0 });
    expect(types(m.payloads)).toEqual(["SA", "KE", "Nonce", "V", "V", "V", "V", "N", "N", "N"]);
  });

  it("SA: AES-GCM-16 256 / PRF_HMAC_SHA2_256 / ECP-256; KE group 19; 40-octet nonce", () => {
    const [sa, ke, nonce] = m.payloads;
    if (sa?.type !== "SA" || ke?.type !== "KE" || nonce?.type !== "Nonce") throw new Error("shape");
    const t = sa.proposals[0]!.transforms;
    expect(t.map((x) => [x.transformType, x.id])).toEqual([
      [1, 20],
      [2, 5],
      [4, 19],
    ]);
    expect(keyLength(t[0]!)).toBe(256);
    expect(ke.group).toBe(19);
    expect(ke.data.length).toBe(64);
    expect(nonce.data.length).toBe(40);
  });

  it("notifies: IKEV2_FRAGMENTATION_SUPPORTED, REDIRECT_SUPPORTED, SIGNATURE_HASH_ALGORITHMS [1,2,3,4]", () => {
    const notifies = m.payloads.filter((p) => p.type === "N");
    expect(notifies.map((n) => n.notifyType)).toEqual([
      NotifyType.IKEV2_FRAGMENTATION_SUPPORTED,
      NotifyType.REDIRECT_SUPPORTED,
      NotifyType.SIGNATURE_HASH_ALGORITHMS,
    ]);
    expect(decodeSignatureHashAlgorithms(new Reader(notifies[2]!.data))).toEqual([
      HashAlgorithm.SHA1,
      HashAlgorithm.SHA2_256,
      HashAlgorithm.SHA2_384,
      HashAlgorithm.SHA2_512,
    ]);
    const vendors = m.payloads.filter((p) => p.type === "V");
    expect(vendors.map((v) => v.data.length)).toEqual([16, 16, 20, 16]);
  });

  it("re-encodes byte-exactly and satisfies the rules", () => {
    expect(encodeMessage(m)).toEqual(WINDOWS_INIT_REQ);
    expect(checkRules(m, 34, false).ok).toBe(true);
  });
});

describe("node-ikev2 IKE_SA_INIT response", () => {
  const m = decodeMessage(WINDOWS_INIT_RESP);

  it("header, payloads, and an empty X.509 CERTREQ", () => {
    expect(toHex(m.header.spiR)).toBe("98d56d32e2a04742");
    expect(m.header).toMatchObject({ exchangeType: 34, initiator: false, response: true, messageId: 0 });
    expect(types(m.payloads)).toEqual(["SA", "KE", "Nonce", "CERTREQ", "V", "V", "V", "V", "N", "N", "N"]);
    expect(m.payloads[3]).toEqual({
      type: "CERTREQ",
      encoding: CertEncoding.X509_SIGNATURE,
      authorities: new Uint8Array(0),
    });
    expect(m.payloads.filter((p) => p.type === "N").map((n) => n.notifyType)).toEqual([
      NotifyType.IKEV2_FRAGMENTATION_SUPPORTED,
      NotifyType.SIGNATURE_HASH_ALGORITHMS,
      NotifyType.MULTIPLE_AUTH_SUPPORTED,
    ]);
  });

  it("re-encodes byte-exactly and satisfies the IKE_SA_INIT response rules", () => {
    expect(encodeMessage(m)).toEqual(WINDOWS_INIT_RESP);
    expect(checkRules(m, 34, true)).toEqual({ ok: true, errorReply: false });
  });
});

describe("node-ikev2 IKE_AUTH request (SK opaque)", () => {
  it("SK is the only payload, its Next Payload is IDi, content is the rest of the 1280 octets", () => {
    // Complete the datagram's length with the SK content length the header promises.
    const datagram = new Uint8Array(1280);
    datagram.set(WINDOWS_AUTH_REQ_HEAD);
    const m = decodeMessage(datagram);
    expect(m.header).toMatchObject({ exchangeType: ExchangeType.IKE_AUTH, initiator: true, messageId: 1 });
    const sk = m.payloads[0];
    expect(m.payloads.length).toBe(1);
    if (sk?.type !== "SK") throw new Error("shape");
    expect(sk.firstPayload).toBe(PayloadType.IDi);
    expect(sk.content.length).toBe(0x4e4 - 4);
    expect(toHex(sk.content.subarray(0, 4))).toBe("be1114ab");
    // Outer layout only: the inner payloads are still encrypted.
    expect(checkRules(m, ExchangeType.IKE_AUTH, false).ok).toBe(true);
    expect(encodeMessage(m)).toEqual(datagram);
  });
});
