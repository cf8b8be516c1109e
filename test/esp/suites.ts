import { ENCRYPTION, INTEGRITY } from "../../src/crypto/registry.js";
import type { EspSaOptions } from "../../src/esp/options.js";

/** One algorithm combination ESP can be configured with. */
export interface Suite {
  readonly encryption: string;
  readonly keyBytes: number;
  readonly integrity?: string;
  readonly legacy?: boolean;
  readonly confidentialityOnly?: boolean;
}

/** Every encryption transform (each key size) with a representative integrity transform. */
export const SUITES: readonly Suite[] = [
  ...[16, 24, 32].flatMap((k) =>
    ["aes-gcm-8", "aes-gcm-12", "aes-gcm-16", "aes-ccm-8", "aes-ccm-12", "aes-ccm-16", "aes-gmac"].map(
      (encryption) => ({ encryption, keyBytes: k }),
    ),
  ),
  { encryption: "chacha20-poly1305", keyBytes: 32 },
  { encryption: "aes-cbc", keyBytes: 16, integrity: "hmac-sha1-96" },
  { encryption: "aes-cbc", keyBytes: 24, integrity: "hmac-sha384-192" },
  { encryption: "aes-cbc", keyBytes: 32, integrity: "hmac-sha256-128" },
  { encryption: "aes-ctr", keyBytes: 16, integrity: "aes-xcbc-96" },
  { encryption: "aes-ctr", keyBytes: 32, integrity: "aes-cmac-96" },
  { encryption: "null", keyBytes: 0, integrity: "hmac-sha512-256" },
  { encryption: "3des-cbc", keyBytes: 24, integrity: "hmac-md5-96", legacy: true },
  { encryption: "des-cbc", keyBytes: 8, integrity: "hmac-sha1-96", legacy: true },
  { encryption: "aes-cbc", keyBytes: 16, confidentialityOnly: true },
];

/** Deterministic key material for `suite` (key ‖ salt, integrity key). */
export function keysFor(suite: Suite, seed = 1): Pick<EspSaOptions, "encryptionKey" | "integrityKey"> {
  const enc = ENCRYPTION.find((e) => e.name === suite.encryption)!;
  const encryptionKey = new Uint8Array(suite.keyBytes + enc.saltLength).map((_, i) => (i * 7 + seed) & 0xff);
  if (suite.integrity === undefined) return { encryptionKey };
  const integ = INTEGRITY.find((e) => e.name === suite.integrity)!;
  return {
    encryptionKey,
    integrityKey: new Uint8Array(integ.keyLength).map((_, i) => (i * 13 + seed) & 0xff),
  };
}

/** The options of `suite` minus mode and SPI. */
export function suiteOptions(suite: Suite, seed = 1) {
  return {
    encryption: suite.encryption,
    ...(suite.integrity !== undefined && { integrity: suite.integrity }),
    ...keysFor(suite, seed),
    ...(suite.legacy === true && { allowLegacy: true }),
    ...(suite.confidentialityOnly === true && { allowConfidentialityOnly: true }),
  };
}
