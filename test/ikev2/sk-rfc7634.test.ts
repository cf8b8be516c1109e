/**
 * RFC 7634 Appendix B: an IKEv2 INFORMATIONAL request carrying N(SET_WINDOW_SIZE) = 10 in an SK
 * payload protected with ChaCha20-Poly1305, reproduced byte for byte on both backends and opened
 * again. All values below are copied from the RFC's text.
 */
import { describe, expect, it } from "vitest";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import { encryptionByName, prfByName } from "../../src/crypto/registry.js";
import { decodeInnerPayloads, encodeInnerPayloads } from "../../src/ikev2/chain.js";
import { ExchangeType, NotifyType, PayloadType } from "../../src/ikev2/constants.js";
import type { IkeHeader } from "../../src/ikev2/header.js";
import { SkProtection } from "../../src/ikev2/sk-protect.js";
import { nodeBackend } from "../../src/node/backend.js";
import { concat, fromHex, toHex } from "../../src/wire/bytes.js";

// "The key is 0x80..0x9f, the same as in Appendix A." / "The Salt is 0xa0 0xa1 0xa2 0xa3."
const KEY = fromHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
const SALT = fromHex("a0a1a2a3");
// The IV is "the same as in the previous example" (Appendix A): it appears in the Encrypted Payload.
const IV = fromHex("1011121314151617");
const NOTIFY = fromHex("00 00 00 0c 00 00 40 01 00 00 00 0a");
const CIPHERTEXT = fromHex("61 03 94 70 1f 8d 01 7f 7c 12 92 48 89");
const AAD = fromHex(`
  c0 c1 c2 c3 c4 c5 c6 c7 d0 d1 d2 d3 d4 d5 d6 d7
  2e 20 25 00 00 00 00 09 00 00 00 45 29 00 00 29`);
const TAG = fromHex("6b 71 bf e2 52 36 ef d7 cd c6 70 66 90 63 15 b2");
const ENCRYPTED_PAYLOAD = fromHex(`
  29 00 00 29 10 11 12 13 14 15 16 17 61 03 94 70
  1f 8d 01 7f 7c 12 92 48 89 6b 71 bf e2 52 36 ef
  d7 cd c6 70 66 90 63 15 b2`);
const MESSAGE = fromHex(`
  c0 c1 c2 c3 c4 c5 c6 c7 d0 d1 d2 d3 d4 d5 d6 d7
  2e 20 25 00 00 00 00 09 00 00 00 45 29 00 00 29
  10 11 12 13 14 15 16 17 61 03 94 70 1f 8d 01 7f
  7c 12 92 48 89 6b 71 bf e2 52 36 ef d7 cd c6 70
  66 90 63 15 b2`);

// iSPI c0…c7, rSPI d0…d7, INFORMATIONAL, Message ID 9; the flags octet in the AAD is 0x00.
const HEADER: IkeHeader = {
  spiI: fromHex("c0c1c2c3c4c5c6c7"),
  spiR: fromHex("d0d1d2d3d4d5d6d7"),
  minorVersion: 0,
  exchangeType: ExchangeType.INFORMATIONAL,
  initiator: false,
  response: false,
  higherVersion: false,
  messageId: 9,
};

const chacha = encryptionByName("chacha20-poly1305")!;
const skE = concat(KEY, SALT);
const otherSkE = new Uint8Array(36).fill(0x55);
const EMPTY = new Uint8Array(0);
const keys = { skAi: EMPTY, skAr: EMPTY, skEi: skE, skEr: otherSkE };
const suite = { prf: prfByName("hmac-sha256")!, encryption: chacha };

describe.each([nobleBackend, nodeBackend])("RFC 7634 Appendix B on the $name backend", (backend) => {
  it("the message is 69 octets, as its header says", () => {
    expect(MESSAGE.length).toBe(69);
    expect(MESSAGE.subarray(0, AAD.length)).toEqual(AAD);
    expect(MESSAGE.subarray(28)).toEqual(ENCRYPTED_PAYLOAD);
    expect(ENCRYPTED_PAYLOAD).toEqual(concat(AAD.subarray(28), IV, CIPHERTEXT, TAG));
  });

  it("protects N(SET_WINDOW_SIZE) into the RFC's message, byte for byte", () => {
    const inner = encodeInnerPayloads([
      {
        type: "N",
        protocolId: 0,
        spi: EMPTY,
        notifyType: NotifyType.SET_WINDOW_SIZE,
        data: fromHex("0000000a"),
      },
    ]);
    expect(toHex(inner.bytes)).toBe(toHex(NOTIFY));
    expect(inner.firstPayload).toBe(PayloadType.N);
    const sk = new SkProtection({ ...suite, backend, keys, role: "initiator", iv: (iv) => iv.set(IV) });
    expect(toHex(sk.protect(HEADER, inner))).toBe(toHex(MESSAGE));
    sk.destroy();
  });

  it("opens the RFC's message: zero pad length, the notify back", () => {
    const sk = new SkProtection({ ...suite, backend, keys, role: "responder" });
    const opened = sk.unprotect(MESSAGE);
    if (!opened.ok) throw new Error(`refused: ${opened.reason}`);
    expect(opened.header).toEqual(HEADER);
    expect(opened.firstPayload).toBe(PayloadType.N);
    expect(toHex(opened.plaintext)).toBe(toHex(NOTIFY));
    expect(decodeInnerPayloads(opened.plaintext, opened.firstPayload)).toEqual([
      {
        type: "N",
        protocolId: 0,
        spi: EMPTY,
        notifyType: NotifyType.SET_WINDOW_SIZE,
        data: fromHex("0000000a"),
      },
    ]);
    sk.destroy();
  });

  it("refuses the message with a tag bit flipped, and under the wrong direction's key", () => {
    const sk = new SkProtection({ ...suite, backend, keys, role: "responder" });
    const bad = MESSAGE.slice();
    bad[bad.length - 1]! ^= 0x01;
    expect(sk.unprotect(bad)).toEqual({ ok: false, reason: "icv-mismatch" });
    const wrongRole = new SkProtection({ ...suite, backend, keys, role: "initiator" });
    expect(wrongRole.unprotect(MESSAGE)).toEqual({ ok: false, reason: "icv-mismatch" });
    sk.destroy();
    wrongRole.destroy();
  });
});
