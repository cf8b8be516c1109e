/**
 * Proposals given as Cisco IOS text (the body of `crypto ikev2 proposal`, seeds/004:632-650, and
 * the transforms of `crypto ipsec transform-set`, seeds/004:498-511) next to strongSwan strings.
 */
import { describe, expect, it } from "vitest";
import { nobleBackend } from "../../../src/crypto/noble/index.js";
import { resolveConfig } from "../../../src/ikev2/session/config.js";
import {
  IOS_DEFAULT_IKE_PROPOSAL,
  parseEspProposal,
  parseIkeProposal,
} from "../../../src/ikev2/session/proposal-strings.js";
import { events, Harness, initiatorConfig, responderConfig } from "./harness.js";

// RFC 7296 §3.3.2 transform IDs.
const ENCR_3DES = 3;
const ENCR_NULL = 11;
const ENCR_AES_CBC = 12;
const ENCR_AES_GCM_16 = 20;
const ENCR_NULL_AUTH_AES_GMAC = 21;
const INTEG = { md5: 1, sha1: 2, sha256: 12, sha384: 13, sha512: 14 } as const;
const PRF = { md5: 1, sha1: 2, sha256: 5, sha384: 6, sha512: 7 } as const;

describe("IOS IKEv2 proposal text", () => {
  it("reads the brief's examples, alternatives in order", () => {
    expect(parseIkeProposal("encryption aes-cbc-256 aes-cbc-128 integrity sha256 sha1 group 19 14")).toEqual({
      encryption: [
        { id: ENCR_AES_CBC, keyBits: 256 },
        { id: ENCR_AES_CBC, keyBits: 128 },
      ],
      integrity: [INTEG.sha256, INTEG.sha1],
      prf: [PRF.sha256, PRF.sha1],
      ke: [19, 14],
    });
    expect(parseIkeProposal("encryption aes-gcm-256 prf sha384 group 20")).toEqual({
      encryption: [{ id: ENCR_AES_GCM_16, keyBits: 256 }],
      integrity: [],
      prf: [PRF.sha384],
      ke: [20],
    });
  });

  it("reads the seeds examples (seeds/004:661-664, 671-674)", () => {
    expect(parseIkeProposal("encryption aes-cbc-128 integrity sha1 group 14")).toEqual({
      encryption: [{ id: ENCR_AES_CBC, keyBits: 128 }],
      integrity: [INTEG.sha1],
      prf: [PRF.sha1],
      ke: [14],
    });
    expect(parseIkeProposal("encryption aes-cbc-128 aes-cbc-192 integrity sha1 sha256 group 14 15")).toEqual({
      encryption: [
        { id: ENCR_AES_CBC, keyBits: 128 },
        { id: ENCR_AES_CBC, keyBits: 192 },
      ],
      integrity: [INTEG.sha1, INTEG.sha256],
      prf: [PRF.sha1, PRF.sha256],
      ke: [14, 15],
    });
  });

  it.each([
    ["aes-cbc-128", { id: ENCR_AES_CBC, keyBits: 128 }],
    ["aes-cbc-192", { id: ENCR_AES_CBC, keyBits: 192 }],
    ["aes-cbc-256", { id: ENCR_AES_CBC, keyBits: 256 }],
    ["3des", { id: ENCR_3DES }],
    ["AES-CBC-256", { id: ENCR_AES_CBC, keyBits: 256 }],
  ])("encryption %s", (word, choice) => {
    expect(parseIkeProposal(`encryption ${word} integrity sha256 group 14`).encryption).toEqual([choice]);
  });

  it.each([
    ["aes-gcm-128", 128],
    ["aes-gcm-256", 256],
  ])("encryption %s (AEAD, with prf)", (word, keyBits) => {
    expect(parseIkeProposal(`encryption ${word} prf sha256 group 19`).encryption).toEqual([
      { id: ENCR_AES_GCM_16, keyBits },
    ]);
  });

  it.each(Object.entries(INTEG))("integrity %s, PRF derived from it", (word, id) => {
    const p = parseIkeProposal(`encryption aes-cbc-256 integrity ${word} group 14`);
    expect(p.integrity).toEqual([id]);
    expect(p.prf).toEqual([PRF[word as keyof typeof PRF]]);
  });

  it.each(Object.entries(PRF))("prf %s", (word, id) => {
    expect(parseIkeProposal(`encryption aes-gcm-128 prf ${word} group 14`).prf).toEqual([id]);
  });

  it("an explicit prf overrides the derived one; keywords in any order and case", () => {
    const p = parseIkeProposal("GROUP 21 prf sha512 sha384 Integrity sha256 encryption aes-cbc-128");
    expect(p).toEqual({
      encryption: [{ id: ENCR_AES_CBC, keyBits: 128 }],
      integrity: [INTEG.sha256],
      prf: [PRF.sha512, PRF.sha384],
      ke: [21],
    });
  });

  it("derived PRFs drop duplicates, extra whitespace is fine", () => {
    const p = parseIkeProposal("  encryption\taes-cbc-128   integrity sha256 sha256\n group 14 ");
    expect(p.prf).toEqual([PRF.sha256]);
  });

  it.each([1, 2, 5, 14, 15, 16, 19, 20, 21, 24])("group %d (seeds/004:650) is the KE ID", (g) => {
    expect(parseIkeProposal(`encryption aes-cbc-128 integrity sha256 group ${g}`).ke).toEqual([g]);
  });

  it("the IOS default proposal (seeds/004:469-473) parses; it needs allowLegacy", () => {
    expect(IOS_DEFAULT_IKE_PROPOSAL).toBe("encryption aes-cbc-128 3des integrity sha1 md5 group 5 2");
    expect(parseIkeProposal(IOS_DEFAULT_IKE_PROPOSAL)).toEqual({
      encryption: [{ id: ENCR_AES_CBC, keyBits: 128 }, { id: ENCR_3DES }],
      integrity: [INTEG.sha1, INTEG.md5],
      prf: [PRF.sha1, PRF.md5],
      ke: [5, 2],
    });
    const config = initiatorConfig({ ikeProposals: [IOS_DEFAULT_IKE_PROPOSAL] });
    expect(() => resolveConfig(config)).toThrow(/legacy/);
    expect(resolveConfig({ ...config, allowLegacy: true }).ikeProposals[0]?.ke).toEqual([5, 2]);
  });

  it.each([
    ["hash sha256 encryption aes-cbc-128 group 14", /unknown keyword "hash"/],
    ["aes-cbc-128 integrity sha1", /unknown keyword "aes-cbc-128"/],
    ["encryption aes-cbc-128 integrity group 14", /"integrity" without a value/],
    ["encryption aes-cbc-128 integrity sha1 group", /"group" without a value/],
    ["encryption aes-cbc-128 encryption 3des integrity sha1 group 14", /"encryption" given twice/],
    ["encryption aes-cbc integrity sha1 group 14", /"aes-cbc" needs a key size: aes-cbc-128, aes-cbc-192/],
    ["encryption aes-gcm prf sha256 group 14", /"aes-gcm" needs a key size: aes-gcm-128, aes-gcm-256/],
    ["encryption aes integrity sha1 group 14", /"aes" needs a key size/],
    // The "aes-cbc-196" typo of seeds/004:685 is not a key size.
    ["encryption aes-cbc-196 integrity sha1 group 14", /"aes-cbc-196" has no 196-bit key size/],
    ["encryption aes-gcm-192 prf sha256 group 14", /"aes-gcm-192" has no 192-bit key size/],
    ["encryption blowfish integrity sha1 group 14", /unknown encryption "blowfish"/],
    ["encryption constructor integrity sha1 group 14", /unknown encryption "constructor"/],
    ["encryption aes-cbc-128 integrity toString group 14", /unknown integrity "toString"/],
    ["encryption aes-cbc-128 integrity sha3 group 14", /unknown integrity "sha3"/],
    ["encryption aes-gcm-128 prf aes-xcbc group 14", /unknown prf "aes-xcbc"/],
    ["encryption aes-cbc-128 integrity sha1 group 3", /unknown group "3"/],
    ["encryption aes-cbc-128 integrity sha1 group ecp256", /unknown group "ecp256"/],
    ["integrity sha1 group 14", /no encryption/],
    ["encryption aes-cbc-128 group 14", /no integrity/],
    ["encryption aes-cbc-128 integrity sha1", /no group/],
    ["encryption aes-gcm-256 group 20", /AEAD cipher needs "prf"/],
    ["encryption aes-gcm-256 integrity sha256 group 20", /combined-mode cipher with an integrity/],
    ["encryption aes-gcm-256 aes-cbc-256 prf sha256 integrity sha256 group 20", /mixes combined-mode/],
  ])("refuses %j", (text, message) => {
    expect(() => parseIkeProposal(text)).toThrow(RangeError);
    expect(() => parseIkeProposal(text)).toThrow(message);
  });

  it("names the proposal in the message", () => {
    expect(() => parseIkeProposal("encryption aes-cbc-128 integrity sha9 group 14")).toThrow(
      'IKE proposal "encryption aes-cbc-128 integrity sha9 group 14": unknown integrity "sha9"',
    );
  });
});

describe("IOS transform-set text as an ESP proposal", () => {
  it.each([
    ["esp-aes 256 esp-sha256-hmac", [{ id: ENCR_AES_CBC, keyBits: 256 }], [INTEG.sha256]],
    ["esp-aes esp-sha-hmac", [{ id: ENCR_AES_CBC, keyBits: 128 }], [INTEG.sha1]],
    ["esp-aes 192 esp-sha384-hmac", [{ id: ENCR_AES_CBC, keyBits: 192 }], [INTEG.sha384]],
    ["esp-aes 256 esp-sha512-hmac", [{ id: ENCR_AES_CBC, keyBits: 256 }], [INTEG.sha512]],
    ["esp-gcm 256", [{ id: ENCR_AES_GCM_16, keyBits: 256 }], []],
    ["esp-gcm 128", [{ id: ENCR_AES_GCM_16, keyBits: 128 }], []],
    ["esp-gcm", [{ id: ENCR_AES_GCM_16, keyBits: 128 }], []],
    ["esp-gmac 256", [{ id: ENCR_NULL_AUTH_AES_GMAC, keyBits: 256 }], []],
    ["esp-null esp-sha256-hmac", [{ id: ENCR_NULL }], [INTEG.sha256]],
    ["esp-3des esp-md5-hmac", [{ id: ENCR_3DES }], [INTEG.md5]],
    ["esp-des esp-md5-hmac", [{ id: 2 }], [INTEG.md5]],
    ["ESP-AES 256 ESP-SHA-HMAC", [{ id: ENCR_AES_CBC, keyBits: 256 }], [INTEG.sha1]],
  ])("%s", (text, encryption, integrity) => {
    // PFS (`set pfs`) is not part of a transform set; ESN is off.
    expect(parseEspProposal(text)).toEqual({ encryption, integrity, ke: [], esn: false });
  });

  it("legacy transforms parse but the session config needs allowLegacy", () => {
    const config = initiatorConfig({ espProposals: ["esp-3des esp-md5-hmac"] });
    expect(() => resolveConfig(config)).toThrow(/legacy/);
    expect(resolveConfig({ ...config, allowLegacy: true }).espProposals[0]?.encryption).toEqual([
      { id: ENCR_3DES },
    ]);
  });

  it.each([
    ["ah-sha-hmac esp-aes 256 esp-sha-hmac", /"ah-sha-hmac" is AH/],
    ["ah-sha256-hmac", /"ah-sha256-hmac" is AH/],
    ["esp-aes comp-lzs esp-sha-hmac", /"comp-lzs" is IPComp/],
    ["esp-aes 256", /"esp-aes 256" without an ESP authentication/],
    ["esp-3des", /"esp-3des" without an ESP authentication/],
    ["esp-null", /esp-null needs an authentication/],
    ["esp-aes 512 esp-sha-hmac", /esp-aes takes a key size of 128, 192, 256/],
    ["esp-blowfish esp-sha-hmac", /unknown transform "esp-blowfish"/],
    ["esp-aes esp-3des esp-sha-hmac", /two transforms of type esp-encryption/],
    ["esp-gcm 256 esp-sha-hmac", /provides integrity/],
    ["esp-sha-hmac", /needs an ESP encryption/],
    ["esp-seal esp-sha-hmac", /esp-seal is Cisco-only/],
  ])("refuses %j", (text, message) => {
    expect(() => parseEspProposal(text)).toThrow(RangeError);
    expect(() => parseEspProposal(text)).toThrow(message);
  });

  it("names the proposal and the token in the message", () => {
    expect(() => parseEspProposal("esp-aes esp-sha1-hmac")).toThrow(
      'ESP proposal "esp-aes esp-sha1-hmac": unknown transform "esp-sha1-hmac"',
    );
  });
});

describe("detection", () => {
  it("strongSwan strings keep their meaning, with or without surrounding space", () => {
    const ike = {
      encryption: [{ id: ENCR_AES_CBC, keyBits: 128 }],
      integrity: [INTEG.sha256],
      prf: [PRF.sha256],
      ke: [14],
    };
    expect(parseIkeProposal("aes128-sha256-modp2048")).toEqual(ike);
    expect(parseIkeProposal(" aes128-sha256-modp2048 ")).toEqual(ike);
    expect(parseEspProposal("aes256gcm16")).toEqual({
      encryption: [{ id: ENCR_AES_GCM_16, keyBits: 256 }],
      integrity: [],
      ke: [],
      esn: false,
    });
  });

  it("IOS and strongSwan text for the same suite give the same proposal", () => {
    expect(parseIkeProposal("encryption aes-cbc-256 integrity sha256 group 19")).toEqual(
      parseIkeProposal("aes256-sha256-ecp256"),
    );
    expect(parseIkeProposal("encryption aes-gcm-256 prf sha384 group 20")).toEqual(
      parseIkeProposal("aes256gcm16-prfsha384-ecp384"),
    );
    expect(parseEspProposal("esp-aes 256 esp-sha256-hmac")).toEqual(parseEspProposal("aes256-sha256"));
    expect(parseEspProposal("esp-gcm 256")).toEqual(parseEspProposal("aes256gcm16"));
    expect(parseEspProposal("esp-3des esp-md5-hmac")).toEqual(parseEspProposal("3des-md5"));
  });

  it("a strongSwan token list with spaces goes to the IOS parser and fails there", () => {
    expect(() => parseIkeProposal("aes128 sha256 modp2048")).toThrow(/unknown keyword "aes128"/);
    expect(() => parseEspProposal("aes128 sha256")).toThrow(/unknown transform "aes128"/);
  });

  it("an IOS IKE word without a space goes to the strongSwan parser and fails there", () => {
    expect(() => parseIkeProposal("aes-cbc-128")).toThrow(/unknown algorithm "aes"/);
    expect(() => parseIkeProposal("encryption")).toThrow(/unknown algorithm "encryption"/);
  });

  it("a one-transform IOS set has no space but its esp-/ah-/comp- prefix marks it as IOS", () => {
    expect(parseEspProposal("esp-gcm").encryption).toEqual([{ id: ENCR_AES_GCM_16, keyBits: 128 }]);
    expect(parseEspProposal(" ESP-GMAC ").encryption).toEqual([
      { id: ENCR_NULL_AUTH_AES_GMAC, keyBits: 128 },
    ]);
    expect(() => parseEspProposal("ah-sha-hmac")).toThrow(/"ah-sha-hmac" is AH/);
    expect(() => parseEspProposal("comp-lzs")).toThrow(/needs AH or ESP/);
    // strongSwan never starts with these: `esp` alone or `aes128-esp` stay strongSwan.
    expect(() => parseEspProposal("esp")).toThrow(/unknown algorithm "esp"/);
    expect(() => parseEspProposal("aes128-esp")).toThrow(/unknown algorithm "esp"/);
  });

  it("mixed lists resolve in a session config", () => {
    const r = resolveConfig(
      initiatorConfig({
        ikeProposals: ["encryption aes-gcm-256 prf sha384 group 20", "aes128-sha256-modp2048"],
        espProposals: ["aes256gcm16", "esp-aes 256 esp-sha256-hmac"],
      }),
    );
    expect(r.ikeProposals.map((p) => p.ke)).toEqual([[20], [14]]);
    expect(r.espProposals.map((p) => p.integrity)).toEqual([[], [INTEG.sha256]]);
  });
});

describe("IOS-configured session against a strongSwan-configured one", () => {
  function establish(iIke: string[], iEsp: string[], rIke: string[], rEsp: string[]): Harness {
    const h = new Harness({
      backend: nobleBackend,
      initiator: initiatorConfig({ ikeProposals: iIke, espProposals: iEsp }),
      responder: responderConfig({ ikeProposals: rIke, espProposals: rEsp }),
    })
      .start()
      .run();
    expect(h.initiator.state).toBe("established");
    expect(h.responder?.state).toBe("established");
    expect(events(h.iEvents, "child-sa-up")).toHaveLength(1);
    return h;
  }

  it("IOS initiator (AES-GCM), strongSwan responder", () => {
    establish(
      ["encryption aes-gcm-256 prf sha384 group 20"],
      ["esp-gcm 256"],
      ["aes256gcm16-prfsha384-ecp384"],
      ["aes256gcm16"],
    );
  });

  it("strongSwan initiator, IOS responder (AES-CBC + HMAC, several alternatives)", () => {
    establish(
      ["aes256-sha256-ecp256"],
      ["aes256-sha256"],
      ["encryption aes-cbc-128 aes-cbc-256 integrity sha1 sha256 group 14 19"],
      ["esp-aes esp-sha-hmac", "esp-aes 256 esp-sha256-hmac"],
    );
  });

  it("a mixed list on one side, IOS on the other", () => {
    establish(
      ["aes128-sha256-modp2048", "encryption aes-cbc-256 integrity sha512 group 14"],
      ["aes128gcm16", "esp-aes 256 esp-sha512-hmac"],
      ["encryption aes-cbc-256 integrity sha512 group 14"],
      ["esp-aes 256 esp-sha512-hmac"],
    );
  });
});
