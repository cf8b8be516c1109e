/**
 * Published signature vectors, run against both backends: RFC 4754 §8 (IKEv2 ECDSA-256/384/521,
 * r ‖ s and the same values in DER) and RFC 8032 §7.1 / §7.4 (Ed25519, Ed448).
 */
import { describe, expect, it } from "vitest";
import type { ControlPlaneCrypto, HashAlgorithm } from "../../src/crypto/backend.js";
import { nobleControlPlane } from "../../src/crypto/noble/control-plane.js";
import { nodeControlPlane } from "../../src/node/crypto-control-plane.js";
import { concat, fromHex, toHex, utf8 } from "../../src/wire/bytes.js";

const BACKENDS: readonly (readonly [string, ControlPlaneCrypto])[] = [
  ["noble", nobleControlPlane],
  ["node", nodeControlPlane],
];

// A minimal DER writer (X.690 §10) for the key and signature containers.
function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = concat(...parts);
  const n = body.length;
  const length = n < 128 ? [n] : n < 256 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return concat(new Uint8Array([tag, ...length]), body);
}
const seq = (...parts: Uint8Array[]) => tlv(0x30, ...parts);
const bitString = (bytes: Uint8Array) => tlv(0x03, new Uint8Array([0]), bytes);
const octetString = (bytes: Uint8Array) => tlv(0x04, bytes);
function integer(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const minimal = bytes.subarray(i);
  return tlv(0x02, minimal[0]! >= 0x80 ? concat(new Uint8Array([0]), minimal) : minimal);
}
const VERSION_0 = fromHex("020100");
const VERSION_1 = fromHex("020101");

/** RFC 5480 §2.1.1 id-ecPublicKey with the named curve. */
const EC_ALGORITHM: Readonly<Record<string, Uint8Array>> = {
  "P-256": fromHex("301306072a8648ce3d020106082a8648ce3d030107"),
  "P-384": fromHex("301006072a8648ce3d020106052b81040022"),
  "P-521": fromHex("301006072a8648ce3d020106052b81040023"),
};

interface EcdsaVector {
  readonly name: string;
  readonly curve: string;
  readonly hash: HashAlgorithm;
  readonly w: string;
  readonly gwx: string;
  readonly gwy: string;
  readonly r: string;
  readonly s: string;
}

const RFC4754: readonly EcdsaVector[] = [
  // RFC 4754 §8.1 (ECDSA-256)
  {
    name: "ECDSA-256",
    curve: "P-256",
    hash: "sha256",
    w: `
      DC51D386 6A15BACD E33D96F9 92FCA99D A7E6EF09 34E70975 59C27F16 14C88A7F
    `,
    gwx: `
      2442A5CC 0ECD015F A3CA31DC 8E2BBC70 BF42D60C BCA20085 E0822CB0 4235E970
    `,
    gwy: `
      6FC98BD7 E50211A4 A27102FA 3549DF79 EBCB4BF2 46B80945 CDDFE7D5 09BBFD7D
    `,
    r: `
      CB28E099 9B9C7715 FD0A80D8 E47A7707 9716CBBF 917DD72E 97566EA1 C066957C
    `,
    s: `
      86FA3BB4 E26CAD5B F90B7F81 899256CE 7594BB1E A0C89212 748BFF3B 3D5B0315
    `,
  },
  // RFC 4754 §8.2 (ECDSA-384)
  {
    name: "ECDSA-384",
    curve: "P-384",
    hash: "sha384",
    w: `
      0BEB6466 34BA8773 5D77AE48 09A0EBEA 865535DE 4C1E1DCB 692E8470 8E81A5AF
      62E528C3 8B2A81B3 5309668D 73524D9F
    `,
    gwx: `
      96281BF8 DD5E0525 CA049C04 8D345D30 82968D10 FEDF5C5A CA0C64E6 465A97EA
      5CE10C9D FEC21797 41571072 1F437922
    `,
    gwy: `
      447688BA 94708EB6 E2E4D59F 6AB6D7ED FF9301D2 49FE49C3 3096655F 5D502FAD
      3D383B91 C5E7EDAA 2B714CC9 9D5743CA
    `,
    r: `
      FB017B91 4E291494 32D8BAC2 9A514640 B46F53DD AB2C6994 8084E293 0F1C8F7E
      08E07C9C 63F2D21A 07DCB56A 6AF56EB3
    `,
    s: `
      B263A130 5E057F98 4D38726A 1B468741 09F417BC A112674C 528262A4 0A629AF1
      CBB9F516 CE0FA7D2 FF630863 A00E8B9F
    `,
  },
  // RFC 4754 §8.3 (ECDSA-521)
  {
    name: "ECDSA-521",
    curve: "P-521",
    hash: "sha512",
    w: `
      0065FDA3 409451DC AB0A0EAD 45495112 A3D813C1 7BFD34BD F8C1209D 7DF58491
      20597779 060A7FF9 D704ADF7 8B570FFA D6F062E9 5C7E0C5D 5481C5B1 53B48B37
      5FA1
    `,
    gwx: `
      0151518F 1AF0F563 517EDD54 85190DF9 5A4BF57B 5CBA4CF2 A9A3F647 4725A35F
      7AFE0A6D DEB8BEDB CD6A197E 592D4018 8901CECD 650699C9 B5E456AE A5ADD190
      52A8
    `,
    gwy: `
      006F3B14 2EA1BFFF 7E2837AD 44C9E4FF 6D2D34C7 3184BBAD 90026DD5 E6E85317
      D9DF45CA D7803C6C 20035B2F 3FF63AFF 4E1BA64D 1C077577 DA3F4286 C58F0AEA
      E643
    `,
    r: `
      0154FD38 36AF92D0 DCA57DD5 341D3053 988534FD E8318FC6 AAAAB68E 2E6F4339
      B19F2F28 1A7E0B22 C269D93C F8794A92 78880ED7 DBB8D936 2CAEACEE 54432055
      2251
    `,
    s: `
      017705A7 030290D1 CEB605A9 A1BB03FF 9CDD521E 87A696EC 926C8C10 C8362DF4
      97536710 1F67D1CF 9BCCBF2F 3D239534 FA509E70 AAC851AE 01AAC68D 62F86647
      2660
    `,
  },
];

interface EddsaVector {
  readonly name: string;
  readonly secret: string;
  readonly public: string;
  readonly message: string;
  readonly signature: string;
}

/** RFC 8410 §3 algorithm identifiers: id-Ed25519 and id-Ed448, parameters absent. */
const ED_ALGORITHM = { 32: fromHex("300506032b6570"), 57: fromHex("300506032b6571") } as const;

const RFC8032: readonly EddsaVector[] = [
  {
    name: "§7.1 Ed25519 TEST 1",
    secret: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    public: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    message: "",
    signature:
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155" +
      "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    name: "§7.1 Ed25519 TEST 2",
    secret: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    public: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    message: "72",
    signature:
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da" +
      "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
  {
    name: "§7.1 Ed25519 TEST 3",
    secret: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    public: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    message: "af82",
    signature:
      "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac" +
      "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
  },
  {
    name: "§7.4 Ed448 Blank",
    secret:
      "6c82a562cb808d10d632be89c8513ebf6c929f34ddfa8c9f63c9960ef6e348a3" +
      "528c8a3fcc2f044e39a3fc5b94492f8f032e7549a20098f95b",
    public:
      "5fd7449b59b461fd2ce787ec616ad46a1da1342485a70e1f8a0ea75d80e96778" +
      "edf124769b46c7061bd6783df1e50f6cd1fa1abeafe8256180",
    message: "",
    signature:
      "533a37f6bbe457251f023c0d88f976ae2dfb504a843e34d2074fd823d41a591f" +
      "2b233f034f628281f2fd7a22ddd47d7828c59bd0a21bfd3980ff0d2028d4b18a" +
      "9df63e006c5d1c2d345b925d8dc00b4104852db99ac5c7cdda8530a113a0f4db" +
      "b61149f05a7363268c71d95808ff2e652600",
  },
  {
    name: "§7.4 Ed448 1 octet",
    secret:
      "c4eab05d357007c632f3dbb48489924d552b08fe0c353a0d4a1f00acda2c463a" +
      "fbea67c5e8d2877c5e3bc397a659949ef8021e954e0a12274e",
    public:
      "43ba28f430cdff456ae531545f7ecd0ac834a55d9358c0372bfa0c6c6798c086" +
      "6aea01eb00742802b8438ea4cb82169c235160627b4c3a9480",
    message: "03",
    signature:
      "26b8f91727bd62897af15e41eb43c377efb9c610d48f2335cb0bd0087810f435" +
      "2541b143c4b981b7e18f62de8ccdf633fc1bf037ab7cd779805e0dbcc0aae1cb" +
      "cee1afb2e027df36bc04dcecbf154336c19f0af7e0a6472905e799f1953d2a0f" +
      "f3348ab21aa4adafd1d234441cf807c03a00",
  },
];

function flipLastBit(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  copy[copy.length - 1]! ^= 1;
  return copy;
}

describe.each(BACKENDS)("%s backend: published signature vectors", (_, cp) => {
  describe.each(RFC4754)("RFC 4754 $name", (v) => {
    const point = concat(new Uint8Array([4]), fromHex(v.gwx), fromHex(v.gwy));
    const spki = seq(EC_ALGORITHM[v.curve]!, bitString(point));
    const message = utf8("abc");
    const p1363 = fromHex(v.r + v.s);
    const der = seq(integer(fromHex(v.r)), integer(fromHex(v.s)));

    it("verifies r ‖ s (IKEv2 methods 9–11) and its DER form (RFC 7427)", () => {
      expect(cp.verify({ kind: "ecdsa", hash: v.hash, encoding: "p1363" }, spki, message, p1363)).toBe(true);
      expect(cp.verify({ kind: "ecdsa", hash: v.hash, encoding: "der" }, spki, message, der)).toBe(true);
    });

    it("refuses a changed signature, message, encoding or hash", () => {
      const scheme = { kind: "ecdsa", hash: v.hash, encoding: "p1363" } as const;
      expect(cp.verify(scheme, spki, message, flipLastBit(p1363))).toBe(false);
      expect(cp.verify(scheme, spki, utf8("abd"), p1363)).toBe(false);
      expect(cp.verify(scheme, spki, message, der)).toBe(false);
      expect(cp.verify({ ...scheme, encoding: "der" }, spki, message, p1363)).toBe(false);
      expect(cp.verify({ ...scheme, hash: "sha1" }, spki, message, p1363)).toBe(false);
    });
  });

  it.each(RFC8032)("RFC 8032 $name: signs byte-for-byte and verifies", (v) => {
    const secret = fromHex(v.secret);
    const algorithm = ED_ALGORITHM[secret.length as 32 | 57];
    const pkcs8 = seq(VERSION_0, algorithm, octetString(octetString(secret)));
    const spki = seq(algorithm, bitString(fromHex(v.public)));
    const message = fromHex(v.message);
    expect(toHex(cp.sign({ kind: "eddsa" }, pkcs8, message))).toBe(v.signature);
    expect(cp.verify({ kind: "eddsa" }, spki, message, fromHex(v.signature))).toBe(true);
    expect(cp.verify({ kind: "eddsa" }, spki, message, flipLastBit(fromHex(v.signature)))).toBe(false);
    expect(
      cp.verify({ kind: "eddsa" }, spki, concat(message, new Uint8Array([0])), fromHex(v.signature)),
    ).toBe(false);
  });
});

describe("RFC 4754 static key pairs sign in one backend and verify in the other", () => {
  it.each(RFC4754)("$name", (v) => {
    const point = concat(new Uint8Array([4]), fromHex(v.gwx), fromHex(v.gwy));
    // RFC 5915 §3 with the [1] public key: parsePkcs8 checks it is w·G, so g^w matches w.
    const ecPrivateKey = seq(VERSION_1, octetString(fromHex(v.w)), tlv(0xa1, bitString(point)));
    const pkcs8 = seq(VERSION_0, EC_ALGORITHM[v.curve]!, octetString(ecPrivateKey));
    const spki = seq(EC_ALGORITHM[v.curve]!, bitString(point));
    const message = utf8("abc");
    for (const encoding of ["p1363", "der"] as const) {
      const scheme = { kind: "ecdsa", hash: v.hash, encoding } as const;
      expect(
        nodeControlPlane.verify(scheme, spki, message, nobleControlPlane.sign(scheme, pkcs8, message)),
      ).toBe(true);
      expect(
        nobleControlPlane.verify(scheme, spki, message, nodeControlPlane.sign(scheme, pkcs8, message)),
      ).toBe(true);
    }
  });
});
