/** IKE suites and key pairs shared by the SK payload tests. */
import type { CryptoBackend } from "../../src/crypto/backend.js";
import { encryptionByName, integrityByName, prfByName } from "../../src/crypto/registry.js";
import { deriveIkeSaKeys, type IkeSaKeys, type IkeSuite } from "../../src/ikev2/keys.js";
import type { SkIvSource } from "../../src/ikev2/sk-iv.js";
import { SkProtection } from "../../src/ikev2/sk-protect.js";

function suite(
  encryption: string,
  keyBits: number | undefined,
  integrity?: string,
  allowLegacy = false,
): IkeSuite {
  return {
    prf: prfByName("hmac-sha256")!,
    encryption: encryptionByName(encryption)!,
    ...(keyBits === undefined ? {} : { keyBits }),
    ...(integrity === undefined ? {} : { integrity: integrityByName(integrity)! }),
    ...(allowLegacy ? { allowLegacy } : {}),
  };
}

/** Every kind of transform the SK payload is protected with. */
export const SK_SUITES: { label: string; suite: IkeSuite }[] = [
  { label: "AES-CBC-128 + HMAC-SHA1-96", suite: suite("aes-cbc", 128, "hmac-sha1-96") },
  { label: "AES-CBC-256 + HMAC-SHA256-128", suite: suite("aes-cbc", 256, "hmac-sha256-128") },
  { label: "AES-CBC-192 + HMAC-SHA384-192", suite: suite("aes-cbc", 192, "hmac-sha384-192") },
  { label: "AES-CBC-128 + HMAC-SHA512-256", suite: suite("aes-cbc", 128, "hmac-sha512-256") },
  { label: "AES-CBC-128 + AES-XCBC-96", suite: suite("aes-cbc", 128, "aes-xcbc-96") },
  { label: "AES-CTR-256 + HMAC-SHA256-128", suite: suite("aes-ctr", 256, "hmac-sha256-128") },
  { label: "AES-GCM-8-128", suite: suite("aes-gcm-8", 128) },
  { label: "AES-GCM-12-192", suite: suite("aes-gcm-12", 192) },
  { label: "AES-GCM-16-256", suite: suite("aes-gcm-16", 256) },
  { label: "AES-CCM-8-128", suite: suite("aes-ccm-8", 128) },
  { label: "AES-CCM-12-256", suite: suite("aes-ccm-12", 256) },
  { label: "AES-CCM-16-128", suite: suite("aes-ccm-16", 128) },
  { label: "ChaCha20-Poly1305", suite: suite("chacha20-poly1305", undefined) },
  { label: "3DES + HMAC-SHA1-96 (allowLegacy)", suite: suite("3des-cbc", undefined, "hmac-sha1-96", true) },
];

/** Keys of an IKE SA for `suite`, from fixed IKE_SA_INIT values. */
export function keysFor(backend: CryptoBackend, s: IkeSuite): IkeSaKeys {
  return deriveIkeSaKeys({
    ...s,
    backend,
    ni: new Uint8Array(32).fill(0x4e),
    nr: new Uint8Array(32).fill(0x72),
    sharedSecret: new Uint8Array(32).fill(0x67),
    spiI: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
    spiR: Uint8Array.of(9, 10, 11, 12, 13, 14, 15, 16),
  });
}

/** The initiator's and the responder's protection of one IKE SA. */
export function pair(
  backend: CryptoBackend,
  s: IkeSuite,
  iv?: SkIvSource,
): { initiator: SkProtection; responder: SkProtection; keys: IkeSaKeys } {
  const keys = keysFor(backend, s);
  const extra = iv === undefined ? {} : { iv };
  return {
    initiator: new SkProtection({ ...s, backend, keys, role: "initiator", ...extra }),
    responder: new SkProtection({ ...s, backend, keys, role: "responder", ...extra }),
    keys,
  };
}
