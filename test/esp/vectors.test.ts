/**
 * Published ESP packets reproduced byte for byte: RFC 3602 §4 cases 5–8 (AES-CBC), RFC 7634
 * Appendix A (ChaCha20-Poly1305), the AES-GCM ESP packets of draft-mcgrew-gcm-test-01 (including
 * the 64-bit ESN AAD), and RFC 3686 §6 vectors #1–#2 through the ESP counter-block framing.
 */
import { describe, expect, it } from "vitest";
import { EspInboundSa } from "../../src/esp/inbound.js";
import { EspOutboundSa } from "../../src/esp/outbound.js";
import { toHex } from "../../src/wire/bytes.js";
import { BACKENDS, fixedIv, hex, ipv4Packet } from "./helpers.js";

/** Protects `inner` into a fresh buffer and returns the protected bytes. */
function protect(sa: EspOutboundSa, inner: Uint8Array): Uint8Array {
  const out = new Uint8Array(sa.maxOutputLength(inner.length));
  const n = sa.protect(inner, 0, inner.length, out, 0);
  if (typeof n === "string") throw new Error(n);
  return out.subarray(0, n);
}

/** Unprotects a copy of `packet` and returns the decapsulated bytes. */
function unprotect(sa: EspInboundSa, packet: Uint8Array): Uint8Array {
  const buf = packet.slice();
  const r = sa.unprotect(buf, 0, buf.length);
  if (r.status !== "packet") throw new Error(`${r.status} ${r.reason}`);
  return buf.slice(r.offset, r.offset + r.length);
}

describe.each(BACKENDS)("RFC 3602 §4 cases 5–8: AES-CBC ESP packets ($name)", (backend) => {
  // Cases 5–8 are confidentiality-only ESP (no ICV), so they need the explicit allowance.
  const cases = [
    {
      name: "case 5, transport",
      key: "90d382b4 10eeba7a d938c46c ec1a82bf",
      spi: 0x4321,
      seq: 1n,
      iv: "e96e8c08 ab465763 fd098d45 dd3ff893",
      mode: "transport" as const,
      original: `45000054 08f20000 4001f9fe c0a87b03 c0a87b64
        08000ebd a70a0000 8e9c083d b95b0700 08090a0b 0c0d0e0f 10111213 14151617
        18191a1b 1c1d1e1f 20212223 24252627 28292a2b 2c2d2e2f 30313233 34353637`,
      // The post-encryption packet from its IP header (the ESP packet follows it).
      protectedPacket: `4500007c 08f20000 4032f9a5 c0a87b03 c0a87b64
        00004321 00000001
        e96e8c08 ab465763 fd098d45 dd3ff893
        f663c25d 325c18c6 a9453e19 4e120849 a4870b66 cc6b9965 330013b4 898dc856
        a4699e52 3a55db08 0b59ec3a 8e4b7e52 775b07d1 db34ed9c 538ab50c 551b874a
        a269add0 47ad2d59 13ac19b7 cfbad4a6`,
    },
    {
      name: "case 6, transport",
      key: "90d382b4 10eeba7a d938c46c ec1a82bf",
      spi: 0x4321,
      seq: 8n,
      iv: "69d08df7 d203329d b093fc49 24e5bd80",
      mode: "transport" as const,
      original: `45000030 08fe0000 4001fa16 c0a87b03 c0a87b64
        0800b5e8 a80a0500 a69c083d 0b660e00 77777777 77777777 77777777`,
      protectedPacket: `4500004c 08fe0000 4032f9c9 c0a87b03 c0a87b64
        00004321 00000008
        69d08df7 d203329d b093fc49 24e5bd80
        f5199588 1ec4e0c4 488987ce 742e8109 689bb379 d2d750c0 d915dca3 46a89f75`,
    },
    {
      name: "case 7, tunnel",
      key: "01234567 89abcdef 01234567 89abcdef",
      spi: 0x8765,
      seq: 2n,
      iv: "f4e76524 4f6407ad f13dc138 0f673f37",
      mode: "tunnel" as const,
      original: `45000054 09040000 4001f988 c0a87b03 c0a87bc8
        08009f76 a90a0100 b49c083d 02a20400 08090a0b 0c0d0e0f 10111213 14151617
        18191a1b 1c1d1e1f 20212223 24252627 28292a2b 2c2d2e2f 30313233 34353637`,
      // Tunnel mode: the ESP packet (the outer header "4500008c 09050000 …" is the caller's).
      protectedPacket: `00008765 00000002
        f4e76524 4f6407ad f13dc138 0f673f37
        773b5241 a4c44922 5e4f3ce5 ed611b0c 237ca96c f74a9301 3c1b0ea1 a0cf70f8
        e4ecaec7 8ac53aad 7a0f022b 859243c6 47752e94 a859352b 8a4d4d2d ecd136e5
        c177f132 ad3fbfb2 201ac990 4c74ee0a 109e0ca1 e4dfe9d5 a100b842 f1c22f0d`,
    },
    {
      name: "case 8, tunnel",
      key: "01234567 89abcdef 01234567 89abcdef",
      spi: 0x8765,
      seq: 5n,
      iv: "85d47224 b5f3dd5d 2101d4ea 8dffab22",
      mode: "tunnel" as const,
      original: `45000044 090c0000 4001f990 c0a87b03 c0a87bc8
        0800d63c aa0a0200 c69c083d a3de0300 ffffffff ffffffff ffffffff ffffffff
        ffffffff ffffffff ffffffff ffffffff`,
      protectedPacket: `00008765 00000005
        85d47224 b5f3dd5d 2101d4ea 8dffab22
        15b92683 819596a8 047232cc 00f7048f e45318e1 1f8a0f62 ede3c3fc 61203bb5
        0f980a08 c9843fd3 a1b06d5c 07ff9639 b7eb7dfb 3512e5de 435e7207 ed971ef3
        d2726d9b 5ef6affc 6d17a0de cbb13892`,
    },
  ];

  for (const c of cases) {
    it(`${c.name}: protect and unprotect byte for byte`, () => {
      const options = {
        spi: c.spi,
        encryption: "aes-cbc",
        encryptionKey: hex(c.key),
        mode: c.mode,
        allowConfidentialityOnly: true,
      };
      const out = new EspOutboundSa(backend, {
        ...options,
        lastSequence: c.seq - 1n,
        iv: fixedIv(hex(c.iv)),
      });
      const original = hex(c.original);
      const expected = hex(c.protectedPacket);
      expect(toHex(protect(out, original))).toBe(toHex(expected));
      const inb = new EspInboundSa(backend, options);
      expect(inb.replay.enabled).toBe(false); // RFC 4303 §3.4.3: no anti-replay without integrity
      expect(toHex(unprotect(inb, expected))).toBe(toHex(original));
    });
  }
});

describe.each(BACKENDS)("RFC 7634 Appendix A: ChaCha20-Poly1305 ESP packet ($name)", (backend) => {
  it("reproduces the tunnel-mode packet and decapsulates it", () => {
    const options = {
      spi: 0x01020304,
      encryption: "chacha20-poly1305",
      encryptionKey: hex(`80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f
        90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d 9e 9f a0 a1 a2 a3`),
      mode: "tunnel" as const,
    };
    const source = hex(`45 00 00 54 a6 f2 00 00 40 01 e7 78 c6 33 64 05
      c0 00 02 05 08 00 5b 7a 3a 08 00 00 55 3b ec 10 00 07 36 27 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13
      14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33
      34 35 36 37`);
    // "ESP packet" of App. A from byte 20: the outer IPv4 header is the caller's.
    const esp = hex(`01 02 03 04 00 00 00 05 10 11 12 13
      14 15 16 17 24 03 94 28 b9 7f 41 7e 3c 13 75 3a 4f 05 08 7b 67 c3 52 e6 a7 fa b1 b9 82 d4 66 ef
      40 7a e5 c6 14 ee 80 99 d5 28 44 eb 61 aa 95 df ab 4c 02 f7 2a a7 1e 7c 4c 4f 64 c9 be fe 2f ac
      c6 38 e8 f3 cb ec 16 3f ac 46 9b 50 27 73 f6 fb 94 e6 64 da 91 65 b8 28 29 f6 41 e0 76 aa a8 26
      6b 7f b0 f7 b1 1b 36 99 07 e1 ad 43`);
    // "The next sequence number is 5; ESN is not enabled."
    const out = new EspOutboundSa(backend, {
      ...options,
      lastSequence: 4n,
      iv: fixedIv(hex("1011121314151617")),
    });
    expect(toHex(protect(out, source))).toBe(toHex(esp));
    const inb = new EspInboundSa(backend, options);
    expect(toHex(unprotect(inb, esp))).toBe(toHex(source));
    expect(inb.counters.packetsDecapsulated).toBe(1);
    expect(inb.counters.bytes).toBe(source.length);
  });
});

/**
 * draft-mcgrew-gcm-test-01, AES-GCM ESP packets. Each gives key, nonce = salt ‖ IV, AAD =
 * SPI ‖ seq (8 bytes) or SPI ‖ 64-bit ESN (12 bytes), the ESP plaintext (payload, padding, Pad
 * Length, Next Header) and the packet SPI ‖ seq ‖ IV ‖ ciphertext ‖ ICV. The payloads are not
 * tunnel-mode inner packets (Next Header 1), so they run in transport mode behind an IPv4 header
 * whose protocol is that Next Header. (The draft's case with SPI 0 is left out: RFC 4303 §2.1
 * forbids that SPI.)
 */
const GCM_CASES = [
  {
    key: "4c80cdefbb5d10da906ac73c3613a634",
    nonce: "2e443b684956ed7e3b244cfe",
    aad: "000043218765432100000000",
    plaintext: `45000048699a000080114db7c0a80102c0a801010a9bf15638d3010000010000
      00000000045f736970045f7564700373697009637962657263697479 02646b0000210001 01020201`,
    packet: `00004321000000004956ed7e3b244cfe
      fecf537e729d5b07dc30df528dd22b768d1b98736696a6fd348509fa13ceac34cfa2436f14a3f3cf65925bf1f4a13c5d
      15b21e1884f5ff6247aeabb786b93bce61bc17d768fd9732459018148f6cbe722fd04796562dfdb4`,
  },
  {
    key: "feffe9928665731c6d6a8f9467308308",
    nonce: "cafebabefacedbaddecaf888",
    aad: "0000a5f80000000a",
    plaintext: `4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d00100
      00010000000000000373697009637962 65726369747902646b00000100010001`,
    packet: `0000a5f80000000afacedbaddecaf888
      deb22cd9b07c72c16e3a65beeb8df304a5a5897d33ae530f1ba76d5d114d2a5c3de81827c10e9a4f51330d0eec416642
      cfbb85a5b47e48a4ec3b9ba95d918bd183b70d3aa8bc6ee4c309e9d85a41ad4a`,
  },
  {
    key: "abbccddef00112233445566778899aababbccddef00112233445566778899aab",
    nonce: "112233440102030405060708",
    aad: "4a2cbfe300000002",
    plaintext: `4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee000000000
      7002400020bf0000020405b40101040201020201`,
    packet: `4a2cbfe3000000020102030405060708
      ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763748a637985771d347f0545659f14e99d
      ef842d8eb335f4eecfdbf831824b4c4915956c96`,
  },
  {
    key: "3de09874b388e6491988d0c3607eae1f",
    nonce: "57690e434e280000a2fca1a3",
    aad: "42f67e3f1010101010101010",
    plaintext: "4500001c42a200008001441f406793b6e00000020a00f5ff01020201",
    packet: `42f67e3f101010104e280000a2fca1a3
      fba2ca845e5df9f0f22c3e6e86dd831e1fc65792cd1af9130e1379ed369f071f35e034be95f112e4e7d05d35`,
  },
  {
    key: "feffe9928665731c6d6a8f9467308308feffe9928665731c",
    nonce: "cafebabefacedbaddecaf888",
    aad: "0000a5f80000000a",
    plaintext: "45000028a4ad4000400678800a01038f0a010612802306b8cb712602dd6bb03e501016d075680001",
    packet: `0000a5f80000000afacedbaddecaf888
      a5b1f8066029aea40e598b8122de02420938b3ab33f828e687b8858b5bfbdbd0315b27452144cc7795457b9652037f53
      18027b5b4cd7a636`,
  },
  {
    key: "abbccddef00112233445566778899aab",
    nonce: "decaf888cafedebaceface74",
    aad: "000001000000000000000001",
    plaintext: `4500004933ba00007f119106c3fb1d10c2b1d326c02831ce0035dd7b800302d500004e20001e8c18d75b81dc91baa047
      6b91b924b280389d92c963bac046ec959b6266c04722b14923010101`,
    packet: `0000010000000001cafedebaceface74
      18a6fd42f72cbf4ab2a2ea901f73d814e3e7f243d95412e1c349c1d2fbec168f9190feebaf2cb01984e65863965d7472
      b79da345e0e780191f0d2f0e0f496c226f2127b27db35724e7845d68651f57e65f354f75ff17015769623436`,
  },
  {
    key: "abbccddef00112233445566778899aababbccddef00112233445566778899aab",
    nonce: "73616c74616e640169766563",
    aad: "17405e67156f3126dd0db99b",
    plaintext: `636973636f0172756c6573017468650 16e6574776501646566696e6501746865
      746563686e6f6c6f67696573017468617477696c6c01646566696e65746f6d6f72726f7701020201`,
    packet: `17405e67dd0db99b616e640169766563
      d4b7ed86a1777f2ea13d6973d324c69e7b43f826fb56831226508bebd2dceb18d0a6df10e5487df074113e14c641024e
      3e6773d91a62ee429b043a10e3efe6b012a49363412364f8c0cac587f249e56b11e24f30e44ccc76`,
  },
  {
    key: "7d773d00c144c525ac619d18c84a3f47",
    nonce: "d966426743457e9182443bc6",
    aad: "335467aeffffffff",
    plaintext: "01020201",
    packet: "335467aeffffffff43457e9182443bc6 437f866bcb3f699fe9b0822bac961c4504bef270",
  },
  {
    key: "6c6567616c697a656d6172696a75616e61616e64646f69746265666f72656961",
    nonce: "7475726e333021696765746d",
    aad: "796b6963ffffffffffffffff",
    plaintext: `45000030da3a00008001df3bc0a80005c0a800010800c6cd0200070061626364
      65666768696a6b6c6d6e6f707172737401020201`,
    packet: `796b6963ffffffff333021696765746d
      f97ab2aa356d8edce17644ac8c78e25dd24dedbb29ebf1b64a274b39b49c3a864cd3d78ca4ae68a32b42458fb57dbe82
      1dcc63b9d0937ba2945f669368661a329fb4c053`,
  },
];

describe.each(BACKENDS)("draft-mcgrew-gcm-test-01: AES-GCM ESP packets ($name)", (backend) => {
  for (const v of GCM_CASES) {
    const aad = hex(v.aad);
    const esn = aad.length === 12;
    it(`SPI ${v.aad.slice(0, 8)}, ${esn ? "64-bit ESN" : "32-bit"} sequence ${v.aad.slice(8)}`, () => {
      const nonce = hex(v.nonce);
      const plaintext = hex(v.plaintext);
      const nextHeader = plaintext[plaintext.length - 1]!;
      const payload = plaintext.subarray(0, plaintext.length - 2 - plaintext[plaintext.length - 2]!);
      const view = new DataView(aad.buffer);
      const seq = esn ? view.getBigUint64(4) : BigInt(view.getUint32(4));
      const options = {
        spi: view.getUint32(0),
        encryption: "aes-gcm-16",
        encryptionKey: hex(v.key + v.nonce.slice(0, 8)), // key ‖ salt (RFC 4106 §8.1)
        mode: "transport" as const,
        esn,
      };
      const inner = ipv4Packet(nextHeader, payload);
      const out = new EspOutboundSa(backend, {
        ...options,
        lastSequence: seq - 1n,
        iv: fixedIv(nonce.subarray(4)),
      });
      const protectedPacket = protect(out, inner);
      expect(protectedPacket[9]).toBe(50);
      expect(toHex(protectedPacket.subarray(20))).toBe(toHex(hex(v.packet)));

      const inb = new EspInboundSa(backend, options);
      // Bring the receiver's window to just below `seq`, so that it infers the same high bits.
      if (seq > 1n) inb.replay.update(Number((seq - 1n) >> 32n), Number((seq - 1n) & 0xffffffffn));
      expect(toHex(unprotect(inb, protectedPacket))).toBe(toHex(inner));
    });
  }

  it("ESN: the high-order bits are authenticated, not sent (RFC 4106 §5)", () => {
    const v = GCM_CASES[0]!; // SPI 0x4321, ESN 0x87654321_00000000
    const options = {
      spi: 0x4321,
      encryption: "aes-gcm-16",
      encryptionKey: hex(v.key + v.nonce.slice(0, 8)),
      mode: "transport" as const,
      esn: true,
    };
    const plaintext = hex(v.plaintext);
    const inner = ipv4Packet(1, plaintext.subarray(0, plaintext.length - 4));
    const packet = protect(
      new EspOutboundSa(backend, {
        ...options,
        lastSequence: 0x87654320ffffffffn,
        iv: fixedIv(hex(v.nonce).subarray(4)),
      }),
      inner,
    );
    // A receiver whose window infers another high half computes another AAD: ICV mismatch.
    const inb = new EspInboundSa(backend, options);
    inb.replay.update(5, 100); // T = 5‖100: low half 0 is inferred as 6‖0 (App. A2.2 case A)
    const r = inb.unprotect(packet.slice(), 0, packet.length);
    expect(r.reason).toBe("icv-mismatch");
    expect(r.seqHi).toBe(6);
    expect(inb.counters.authFailures).toBe(1);
    expect(inb.replay.highestHi).toBe(5);
  });
});

describe.each(BACKENDS)("RFC 3686 §6: the AES-CTR counter block nonce ‖ IV ‖ 1 ($name)", (backend) => {
  const vectors = [
    {
      name: "#1",
      key: "AE 68 52 F8 12 10 67 CC 4B F7 A5 76 55 77 F3 9E",
      iv: "00 00 00 00 00 00 00 00",
      nonce: "00 00 00 30",
      plaintext: "53 69 6E 67 6C 65 20 62 6C 6F 63 6B 20 6D 73 67",
      ciphertext: "E4 09 5D 4F B7 A7 B3 79 2D 61 75 A3 26 13 11 B8",
    },
    {
      name: "#2",
      key: "7E 24 06 78 17 FA E0 D7 43 D6 CE 1F 32 53 91 63",
      iv: "C0 54 3B 59 DA 48 D9 0B",
      nonce: "00 6C B6 DB",
      plaintext: `00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F
                  10 11 12 13 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F`,
      ciphertext: `51 04 A1 06 16 8A 72 D9 79 0D 41 EE 8E DA D3 88
                   EB 2E 1E FC 46 DA 57 C8 FC E6 30 DF 91 41 BE 28`,
    },
  ];
  for (const v of vectors) {
    it(`vector ${v.name}: the payload encrypts to the published ciphertext`, () => {
      const options = {
        spi: 0x1000,
        encryption: "aes-ctr",
        encryptionKey: hex(v.key + v.nonce), // RFC 3686 §5.1: the nonce is the last 4 bytes
        integrity: "hmac-sha256-128",
        integrityKey: new Uint8Array(32).fill(7),
        mode: "transport" as const,
      };
      const plaintext = hex(v.plaintext);
      const inner = ipv4Packet(17, plaintext);
      const packet = protect(new EspOutboundSa(backend, { ...options, iv: fixedIv(hex(v.iv)) }), inner);
      // IP header, SPI, sequence, IV, then the ciphertext.
      expect(toHex(packet.subarray(20 + 8, 20 + 16))).toBe(toHex(hex(v.iv)));
      expect(toHex(packet.subarray(36, 36 + plaintext.length))).toBe(toHex(hex(v.ciphertext)));
      expect(toHex(unprotect(new EspInboundSa(backend, options), packet))).toBe(toHex(inner));
    });
  }
});

describe.each(BACKENDS)("RFC 4543 §3: ENCR_NULL_AUTH_AES_GMAC framing ($name)", (backend) => {
  // No published GMAC ESP packet was available offline, so the ICV is recomputed here from the
  // RFC's layout with the bare AES-GCM primitive: nonce = salt ‖ IV (§3.2), AAD = SPI ‖ (extended)
  // sequence number ‖ IV ‖ payload ‖ padding ‖ Pad Length ‖ Next Header (§3.3, Figure 4), empty
  // plaintext, 16-byte tag (§3.4).
  for (const esn of [false, true]) {
    it(`authenticates the clear payload with ${esn ? "SPI ‖ seq-hi ‖ seq-lo" : "SPI ‖ seq"} in front`, () => {
      const key = hex("feffe9928665731c6d6a8f9467308308");
      const salt = hex("cafebabe");
      const iv = hex("facedbaddecaf888");
      const options = {
        spi: 0xa5f8,
        encryption: "aes-gmac",
        encryptionKey: hex("feffe9928665731c6d6a8f9467308308cafebabe"),
        mode: "tunnel" as const,
        esn,
      };
      const inner = ipv4Packet(17, hex("0a980035000c0000 01020304"));
      const out = new EspOutboundSa(backend, {
        ...options,
        lastSequence: esn ? 0x1_0000_0009n : 9n,
        iv: fixedIv(iv),
      });
      const packet = protect(out, inner);
      const seqLo = hex("0000000a");
      expect(toHex(packet.subarray(0, 16))).toBe(`0000a5f8${toHex(seqLo)}${toHex(iv)}`);
      const body = packet.subarray(16, packet.length - 16);
      expect(toHex(body.subarray(0, inner.length))).toBe(toHex(inner)); // no encryption
      const aad = esn
        ? new Uint8Array([...hex("0000a5f8 00000001 0000000a"), ...iv, ...body])
        : new Uint8Array([...hex("0000a5f8 0000000a"), ...iv, ...body]);
      const tag = new Uint8Array(16);
      backend.aead("aes-gcm", key, 16).seal(new Uint8Array([...salt, ...iv]), aad, new Uint8Array(0), tag);
      expect(toHex(packet.subarray(packet.length - 16))).toBe(toHex(tag));
      const inb = new EspInboundSa(backend, options);
      if (esn) inb.replay.update(1, 5);
      expect(toHex(unprotect(inb, packet))).toBe(toHex(inner));
    });
  }
});

describe.each(BACKENDS)("AEAD framing without published ESP packets ($name)", (backend) => {
  // RFC 4309 (CCM) and RFC 7634 with ESN have no ESP packet examples; the packet is rebuilt here
  // from the RFCs' layout with the bare AEAD: CCM nonce = 3-byte salt ‖ IV (RFC 4309 §4), AAD =
  // SPI ‖ seq or SPI ‖ seq-hi ‖ seq-lo (RFC 4309 §5, RFC 7634 §3), plaintext = payload ‖ padding ‖
  // Pad Length ‖ Next Header.
  const cases = [
    {
      encryption: "aes-ccm-8",
      primitive: "aes-ccm" as const,
      key: "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf",
      salt: "a0a1a2",
      tag: 8,
    },
    {
      encryption: "aes-ccm-16",
      primitive: "aes-ccm" as const,
      key: "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf",
      salt: "a0a1a2",
      tag: 16,
    },
    {
      encryption: "chacha20-poly1305",
      primitive: "chacha20-poly1305" as const,
      key: "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
      salt: "a0a1a2a3",
      tag: 16,
    },
  ];
  for (const c of cases) {
    for (const esn of [false, true]) {
      it(`${c.encryption}, ${esn ? "ESN" : "32-bit"} sequence numbers`, () => {
        const iv = hex("1011121314151617");
        const options = {
          spi: 0x01020304,
          encryption: c.encryption,
          encryptionKey: hex(c.key + c.salt),
          mode: "tunnel" as const,
          esn,
        };
        const inner = ipv4Packet(1, hex("0800f7ff0000 0000 aa"));
        const packet = protect(
          new EspOutboundSa(backend, {
            ...options,
            lastSequence: esn ? 0x2_0000_0004n : 4n,
            iv: fixedIv(iv),
          }),
          inner,
        );
        const pad = (4 - ((inner.length + 2) % 4)) % 4;
        const plaintext = new Uint8Array([...inner, ...Array.from({ length: pad }, (_, i) => i + 1), pad, 4]);
        const aad = esn ? hex("01020304 00000002 00000005") : hex("01020304 00000005");
        const tag = new Uint8Array(c.tag);
        backend
          .aead(c.primitive, hex(c.key), c.tag)
          .seal(new Uint8Array([...hex(c.salt), ...iv]), aad, plaintext, tag);
        expect(toHex(packet)).toBe(`0102030400000005${toHex(iv)}${toHex(plaintext)}${toHex(tag)}`);
        const inb = new EspInboundSa(backend, options);
        if (esn) inb.replay.update(2, 4);
        expect(toHex(unprotect(inb, packet))).toBe(toHex(inner));
      });
    }
  }
});
