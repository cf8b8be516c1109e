/**
 * The session's small modules: proposal strings, proposal selection (RFC 7296 §2.7, §3.3.6),
 * traffic-selector narrowing (§2.9), address parsing, NAT detection hashes (§2.23), cookies
 * (§2.6) and PSK AUTH (§2.15).
 */
import { describe, expect, it } from "vitest";
import { nobleBackend } from "../../../src/crypto/noble/index.js";
import { ProtocolId, prfByName, TransformType } from "../../../src/crypto/registry.js";
import { parseIpAddress } from "../../../src/ikev2/session/address.js";
import { IkeResponderGuard } from "../../../src/ikev2/session/cookie.js";
import { natHash } from "../../../src/ikev2/session/nat.js";
import { parseEspProposal, parseIkeProposal } from "../../../src/ikev2/session/proposal-strings.js";
import {
  acceptIke,
  espSaPayload,
  ikeSaPayload,
  selectEsp,
  selectIke,
} from "../../../src/ikev2/session/proposals.js";
import { pskAuth } from "../../../src/ikev2/session/psk-auth.js";
import { isNarrowingOf, narrow, trafficSelector } from "../../../src/ikev2/session/traffic-selectors.js";
import { fromHex, toHex, utf8 } from "../../../src/wire/bytes.js";

describe("proposal strings", () => {
  it("parses the interop suites", () => {
    expect(parseIkeProposal("aes256gcm16-prfsha256-x25519")).toEqual({
      encryption: [{ id: 20, keyBits: 256 }],
      integrity: [],
      prf: [5],
      ke: [31],
    });
    expect(parseIkeProposal("aes128-sha256-modp2048")).toEqual({
      encryption: [{ id: 12, keyBits: 128 }],
      integrity: [12],
      prf: [5],
      ke: [14],
    });
    expect(parseIkeProposal("chacha20poly1305-prfsha384-curve25519-ecp256").ke).toEqual([31, 19]);
    expect(parseEspProposal("aes256gcm16")).toEqual({
      encryption: [{ id: 20, keyBits: 256 }],
      integrity: [],
      ke: [],
      esn: false,
    });
    expect(parseEspProposal("aes128-aes256-sha256-sha1-modp2048-esn")).toEqual({
      encryption: [
        { id: 12, keyBits: 128 },
        { id: 12, keyBits: 256 },
      ],
      integrity: [12, 2],
      ke: [14],
      esn: true,
    });
    expect(parseEspProposal("aes128gcm128").encryption).toEqual([{ id: 20, keyBits: 128 }]);
    expect(parseEspProposal("aes192gcm8").encryption).toEqual([{ id: 18, keyBits: 192 }]);
    expect(parseEspProposal("aes128ctr-aesxcbc").integrity).toEqual([5]);
  });

  it.each([
    ["IKE", "aes128-sha256"], // no key exchange
    ["IKE", "aes128-modp2048"], // no integrity
    ["IKE", "aes256gcm16-x25519"], // no PRF
    ["IKE", "aes256gcm16-sha256-prfsha256-x25519"], // AEAD with integrity
    ["IKE", "aes256gcm16-aes128-sha256-x25519"], // mixed
    ["IKE", "blowfish-sha256-modp2048"], // unknown
    ["IKE", "aes128-sha256-modp2048-esn"],
    ["ESP", "aes128"], // no integrity
    ["ESP", "aes128-prfsha256-sha256"],
    ["ESP", "aes512-sha256"],
  ])("rejects %s %s", (kind, text) => {
    expect(() => (kind === "IKE" ? parseIkeProposal(text) : parseEspProposal(text))).toThrow(RangeError);
  });
});

describe("proposal selection", () => {
  const gcm = parseIkeProposal("aes256gcm16-prfsha256-x25519");
  const cbc = parseIkeProposal("aes128-sha256-modp2048");

  it("takes the initiator's first acceptable proposal, transforms in its order", () => {
    const offered = ikeSaPayload([parseIkeProposal("aes128-aes256-sha1-sha256-modp2048-ecp256"), gcm]);
    const choice = selectIke(offered, [gcm, parseIkeProposal("aes256-sha256-sha1-ecp256")]);
    expect(choice?.proposal.number).toBe(1);
    expect(choice?.encryption.name).toBe("aes-cbc");
    expect(choice?.keyBits).toBe(256);
    expect(choice?.integrity?.name).toBe("hmac-sha1-96");
    expect(choice?.ke.name).toBe("ecp256");
    expect(choice?.proposal.transforms.map((t) => t.transformType).sort()).toEqual([1, 2, 3, 4]);
  });

  it("the initiator accepts only an answer it proposed, with one transform per type", () => {
    const ours = [gcm, cbc];
    const answer = selectIke(ikeSaPayload(ours), ours)!;
    expect(acceptIke({ type: "SA", proposals: [answer.proposal] }, ours)?.encryption.name).toBe("aes-gcm-16");
    const renumbered = { ...answer.proposal, number: 2 };
    expect(acceptIke({ type: "SA", proposals: [renumbered] }, ours)).toBeUndefined();
    const doubled = {
      ...answer.proposal,
      transforms: [...answer.proposal.transforms, answer.proposal.transforms[0]!],
    };
    expect(acceptIke({ type: "SA", proposals: [doubled] }, ours)).toBeUndefined();
    expect(acceptIke({ type: "SA", proposals: [answer.proposal, answer.proposal] }, ours)).toBeUndefined();
  });

  it("refuses a wrong key length, a missing ESN, ESP for IKE", () => {
    const aes128 = ikeSaPayload([cbc]);
    expect(selectIke(aes128, [parseIkeProposal("aes256-sha256-modp2048")])).toBeUndefined();
    const esp = espSaPayload([parseEspProposal("aes128-sha256")], Uint8Array.of(0, 0, 1, 0));
    expect(selectEsp(esp, [parseEspProposal("aes128-sha256")])?.esn).toBe(false);
    expect(selectEsp(esp, [parseEspProposal("aes128-sha256-esn")])).toBeUndefined();
    const noEsn = {
      type: "SA" as const,
      proposals: esp.proposals.map((p) => ({
        ...p,
        transforms: p.transforms.filter((t) => t.transformType !== TransformType.ESN),
      })),
    };
    expect(selectEsp(noEsn, [parseEspProposal("aes128-sha256")])).toBeUndefined();
    expect(selectIke({ type: "SA", proposals: esp.proposals }, [cbc])).toBeUndefined();
    expect(esp.proposals[0]?.protocolId).toBe(ProtocolId.ESP);
  });
});

describe("traffic selectors", () => {
  it("parses CIDR, single addresses, ranges and IPv6", () => {
    const s = trafficSelector("10.1.2.3/23");
    expect([...s.startAddress, ...s.endAddress]).toEqual([10, 1, 2, 0, 10, 1, 3, 255]);
    expect(trafficSelector("198.19.0.1").endAddress).toEqual(Uint8Array.of(198, 19, 0, 1));
    expect(trafficSelector("10.0.0.5-10.0.0.9").endAddress).toEqual(Uint8Array.of(10, 0, 0, 9));
    const v6 = trafficSelector("2001:db8::/32");
    expect(toHex(v6.endAddress)).toBe("20010db8ffffffffffffffffffffffff");
    expect(() => trafficSelector("10.0.0.9-10.0.0.5")).toThrow(TypeError);
    expect(() => trafficSelector("10.0.0.0/33")).toThrow(TypeError);
  });

  it("narrows to the intersection, ports and protocol included", () => {
    const proposed = [{ ...trafficSelector("10.0.0.0/16"), ipProtocol: 6, startPort: 1000, endPort: 2000 }];
    const n = narrow(proposed, [{ ...trafficSelector("10.0.5.0/24"), startPort: 1500, endPort: 65535 }]);
    expect(n).toHaveLength(1);
    expect([...n[0]!.startAddress, n[0]!.ipProtocol, n[0]!.startPort, n[0]!.endPort]).toEqual([
      10, 0, 5, 0, 6, 1500, 2000,
    ]);
    expect(narrow(proposed, [trafficSelector("192.168.0.0/16")])).toEqual([]);
    expect(narrow(proposed, [trafficSelector("2001:db8::/32")])).toEqual([]);
    expect(isNarrowingOf(n, proposed)).toBe(true);
    expect(isNarrowingOf(proposed, n)).toBe(false);
    expect(isNarrowingOf([], proposed)).toBe(false);
  });
});

describe("addresses", () => {
  it("parses IPv4, IPv6 and IPv4-mapped IPv6", () => {
    expect(parseIpAddress("198.18.1.2")).toEqual(Uint8Array.of(198, 18, 1, 2));
    expect(toHex(parseIpAddress("2001:db8::1"))).toBe("20010db8000000000000000000000001");
    expect(toHex(parseIpAddress("::"))).toBe("0".repeat(32));
    expect(toHex(parseIpAddress("fe80::1:2:3:4:5"))).toBe("fe800000000000010002000300040005");
    expect(parseIpAddress("::ffff:198.18.1.2")).toEqual(Uint8Array.of(198, 18, 1, 2));
    expect(parseIpAddress("0.0.0.0")).toEqual(new Uint8Array(4));
    expect(parseIpAddress("255.255.255.255")).toEqual(Uint8Array.of(255, 255, 255, 255));
    expect(parseIpAddress("010.001.0.9")).toEqual(Uint8Array.of(10, 1, 0, 9));
    const bad4 = [
      "1.2.3.4.5",
      ".1.2.3",
      "1..2.3",
      "1.2.3.",
      "1.2.3.0256",
      "1.2.3.-1",
      " 1.2.3.4",
      "1.2.3.4 ",
    ];
    for (const bad of ["1.2.3", "256.1.1.1", "1::2::3", "12345::", "example.com", "", ...bad4]) {
      expect(() => parseIpAddress(bad)).toThrow(TypeError);
    }
  });
});

describe("NAT detection and cookies", () => {
  it("hashes SPIs, address and port with SHA-1 (RFC 7296 §2.23)", () => {
    const spiI = fromHex("0001020304050607");
    const spiR = new Uint8Array(8);
    const h = natHash(nobleBackend, spiI, spiR, { address: "192.0.2.1", port: 500 });
    const expected = nobleBackend.hash("sha1", fromHex("0001020304050607 0000000000000000 c0000201 01f4"));
    expect(toHex(h)).toBe(toHex(expected));
  });

  it("verifies its cookies across one secret rotation, not two, and not for another initiator", () => {
    const guard = new IkeResponderGuard({ backend: nobleBackend, secretLifetimeMs: 1000 });
    const ni = new Uint8Array(32).fill(7);
    const spi = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const cookie = guard.cookie(ni, "192.0.2.1", spi, 0);
    expect(guard.verify(cookie, ni, "192.0.2.1", spi, 500)).toBe(true);
    expect(guard.verify(cookie, ni, "192.0.2.2", spi, 500)).toBe(false);
    expect(
      guard.verify(
        cookie,
        ni.map((b) => b ^ 1),
        "192.0.2.1",
        spi,
        500,
      ),
    ).toBe(false);
    expect(guard.verify(cookie, ni, "192.0.2.1", spi, 1500)).toBe(true);
    expect(guard.verify(cookie, ni, "192.0.2.1", spi, 2600)).toBe(false);
    expect(guard.verify(cookie.subarray(1), ni, "192.0.2.1", spi, 2600)).toBe(false);
  });
});

describe("PSK AUTH (RFC 7296 §2.15)", () => {
  it("is prf(prf(PSK, 'Key Pad for IKEv2'), message | nonce | prf(SK_p, ID body))", () => {
    const prf = prfByName("hmac-sha256")!;
    const psk = utf8("secret");
    const message = fromHex("aabbcc");
    const nonce = fromHex("1122");
    const skP = fromHex("33".repeat(32));
    const idBody = fromHex("02000000 6869");
    const hmac = (key: Uint8Array, data: Uint8Array) => {
      const m = nobleBackend.mac("hmac-sha256", key);
      const out = new Uint8Array(32);
      m.compute([data], out);
      return out;
    };
    const expected = hmac(
      hmac(psk, utf8("Key Pad for IKEv2")),
      new Uint8Array([...message, ...nonce, ...hmac(skP, idBody)]),
    );
    const got = pskAuth({ backend: nobleBackend, prf, psk, message, peerNonce: nonce, skP, idBody });
    expect(toHex(got)).toBe(toHex(expected));
  });
});
