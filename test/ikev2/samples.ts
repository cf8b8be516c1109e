/** One small valid payload of each decoded type, for rule and CVE tests. */
import { ProtocolId } from "../../src/crypto/registry.js";
import type { Payload } from "../../src/ikev2/chain.js";
import type { PayloadName } from "../../src/ikev2/constants.js";
import { AuthMethod, CfgType, EapCode, IdType, TsType } from "../../src/ikev2/constants.js";
import type { IkeHeader } from "../../src/ikev2/header.js";
import type { NotifyPayload } from "../../src/ikev2/payloads/notify.js";
import { fromHex } from "../../src/wire/index.js";

const EMPTY = new Uint8Array(0);

export function header(exchangeType: number, response: boolean, messageId = 0): IkeHeader {
  return {
    spiI: fromHex("0011223344556677"),
    spiR: response || exchangeType !== 34 ? fromHex("8899aabbccddeeff") : new Uint8Array(8),
    minorVersion: 0,
    exchangeType,
    initiator: !response,
    response,
    higherVersion: false,
    messageId,
  };
}

export function notify(notifyType: number, data: Uint8Array = EMPTY): NotifyPayload {
  return { type: "N", protocolId: 0, spi: EMPTY, notifyType, data };
}

const ts = (type: "TSi" | "TSr"): Payload => ({
  type,
  selectors: [
    {
      tsType: TsType.TS_IPV4_ADDR_RANGE,
      ipProtocol: 0,
      startPort: 0,
      endPort: 65535,
      startAddress: fromHex("0a000000"),
      endAddress: fromHex("0a0000ff"),
    },
  ],
});

/** A sample payload per name. */
export const SAMPLE: Readonly<Record<PayloadName, Payload>> = {
  SA: {
    type: "SA",
    proposals: [
      {
        number: 1,
        protocolId: ProtocolId.ESP,
        spi: fromHex("c0ffee01"),
        transforms: [{ transformType: 1, id: 20, attributes: [{ format: "tv", attrType: 14, value: 256 }] }],
      },
    ],
  },
  KE: { type: "KE", group: 31, data: new Uint8Array(32).fill(7) },
  IDi: { type: "IDi", idType: IdType.ID_FQDN, data: fromHex("6d6f6f6e2e6578616d706c65") },
  IDr: { type: "IDr", idType: IdType.ID_IPV4_ADDR, data: fromHex("c0000201") },
  CERT: { type: "CERT", encoding: 4, data: fromHex("3000") },
  CERTREQ: { type: "CERTREQ", encoding: 4, authorities: new Uint8Array(20) },
  AUTH: { type: "AUTH", method: AuthMethod.SHARED_KEY_MIC, data: new Uint8Array(32).fill(1) },
  Nonce: { type: "Nonce", data: new Uint8Array(32).fill(9) },
  N: notify(16384),
  D: { type: "D", protocolId: ProtocolId.ESP, spis: [fromHex("c0ffee01")] },
  V: { type: "V", data: fromHex("4048b7d56ebce88525e7de7f00d6c2d3") },
  TSi: ts("TSi"),
  TSr: ts("TSr"),
  SK: { type: "SK", firstPayload: 0, content: new Uint8Array(48) },
  SKF: { type: "SKF", firstPayload: 0, fragmentNumber: 1, totalFragments: 2, content: new Uint8Array(48) },
  CP: { type: "CP", cfgType: CfgType.CFG_REQUEST, attributes: [{ attrType: 1, value: EMPTY }] },
  EAP: { type: "EAP", code: EapCode.RESPONSE, identifier: 1, eapType: 1, data: fromHex("75736572") },
};

/** Sample payloads for a list of names. */
export function samples(...names: PayloadName[]): Payload[] {
  return names.map((n) => SAMPLE[n]);
}
