import { describe, expect, it } from "vitest";
import {
  ExchangeType,
  errorNotify,
  exchangeName,
  isErrorNotify,
  NotifyType,
  notifyName,
  PayloadType,
  payloadNameOf,
  payloadTypeName,
} from "../../src/ikev2/index.js";
import { WireError } from "../../src/wire/index.js";

describe("IKEv2 numbers", () => {
  it("notify types the brief and the RFCs fix", () => {
    expect(NotifyType).toMatchObject({
      UNSUPPORTED_CRITICAL_PAYLOAD: 1,
      INVALID_MAJOR_VERSION: 5,
      INVALID_SYNTAX: 7,
      CHILD_SA_NOT_FOUND: 44,
      UNACCEPTABLE_ADDRESSES: 40,
      INITIAL_CONTACT: 16384,
      COOKIE: 16390,
      REKEY_SA: 16393,
      NON_FIRST_FRAGMENTS_ALSO: 16395,
      MOBIKE_SUPPORTED: 16396,
      NO_NATS_ALLOWED: 16402,
      REDIRECT_SUPPORTED: 16406,
      REDIRECTED_FROM: 16408,
      CHILDLESS_IKEV2_SUPPORTED: 16418,
      IKEV2_FRAGMENTATION_SUPPORTED: 16430,
      SIGNATURE_HASH_ALGORITHMS: 16431,
      USE_PPK: 16435,
      INTERMEDIATE_EXCHANGE_SUPPORTED: 16438,
      ADDITIONAL_KEY_EXCHANGE: 16441,
    });
    expect(new Set(Object.values(NotifyType)).size).toBe(Object.keys(NotifyType).length);
  });

  it("notifyName names known types and labels unknown ones by range", () => {
    expect(notifyName(7)).toBe("INVALID_SYNTAX");
    expect(notifyName(16431)).toBe("SIGNATURE_HASH_ALGORITHMS");
    expect(notifyName(8)).toBe("ERROR_8");
    expect(notifyName(16383)).toBe("ERROR_16383");
    expect(notifyName(16384)).toBe("INITIAL_CONTACT");
    expect(notifyName(40000)).toBe("STATUS_40000");
    expect(isErrorNotify(16383)).toBe(true);
    expect(isErrorNotify(16384)).toBe(false);
  });

  it("payload and exchange names", () => {
    expect(PayloadType.SKF).toBe(53);
    expect(payloadNameOf(46)).toBe("SK");
    expect(payloadNameOf(0)).toBeUndefined();
    expect(payloadNameOf(1)).toBeUndefined();
    expect(payloadTypeName(40)).toBe("Nonce");
    expect(payloadTypeName(13)).toBe("PAYLOAD_13");
    expect(exchangeName(ExchangeType.IKE_INTERMEDIATE)).toBe("IKE_INTERMEDIATE");
    expect(exchangeName(ExchangeType.IKE_FOLLOWUP_KE)).toBe("IKE_FOLLOWUP_KE");
    expect(exchangeName(99)).toBe("EXCHANGE_99");
  });

  it("every generic WireError code maps to INVALID_SYNTAX", () => {
    for (const code of ["truncated", "trailing-data", "bad-length", "bad-value", "unsupported"] as const) {
      expect(errorNotify(new WireError(code, "x", 0))).toEqual({
        notifyType: NotifyType.INVALID_SYNTAX,
        data: new Uint8Array(0),
      });
    }
  });
});
