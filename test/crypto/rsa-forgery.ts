/**
 * Tools for the RSA signature CVE tests (test/crypto/sign-cve.test.ts, test/cve/signatures.test.ts):
 * RSA keys from node:crypto, raw RSASP1 on any encoded message, and a minimal DER writer (X.690
 * §10) for hand-made public keys.
 */
import { constants, createPrivateKey, createPublicKey, type KeyObject, privateEncrypt } from "node:crypto";
import { readFileSync } from "node:fs";
import { pemToDer } from "../../src/crypto/keys.js";
import { concat, fromHex, toHex } from "../../src/wire/bytes.js";

/** An RSA key with its encodings, modulus and modulus length in bytes. */
export interface RsaKey {
  readonly privateKey: KeyObject;
  readonly spki: Uint8Array;
  readonly pkcs8: Uint8Array;
  readonly n: bigint;
  readonly k: number;
}

export function rsaKey(privateKey: KeyObject): RsaKey {
  const spki = new Uint8Array(createPublicKey(privateKey).export({ format: "der", type: "spki" }));
  const jwk = privateKey.export({ format: "jwk" });
  const n = BigInt(`0x${Buffer.from(jwk.n!, "base64url").toString("hex")}`);
  const pkcs8 = new Uint8Array(privateKey.export({ format: "der", type: "pkcs8" }));
  return { privateKey, spki, pkcs8, n, k: Math.ceil(n.toString(16).length / 2) };
}

/** A PKCS#8 PEM key from test/fixtures. */
export function rsaFixture(name: string): RsaKey {
  const pem = readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
  return rsaKey(createPrivateKey({ key: Buffer.from(pemToDer(pem)), format: "der", type: "pkcs8" }));
}

export function bytesOf(value: bigint, length: number): Uint8Array {
  return fromHex(value.toString(16).padStart(2 * length, "0"));
}

export function integerOf(bytes: Uint8Array): bigint {
  return BigInt(`0x${toHex(bytes) || "0"}`);
}

/** RSASP1 on an arbitrary k-byte encoded message: a "valid" signature over malformed padding. */
export function rawSign(key: RsaKey, em: Uint8Array): Uint8Array {
  if (em.length !== key.k) throw new RangeError(`encoded message of ${em.length} bytes, want ${key.k}`);
  return new Uint8Array(privateEncrypt({ key: key.privateKey, padding: constants.RSA_NO_PADDING }, em));
}

/** ⌊∛x⌋ by Newton's method. */
export function cubeRoot(x: bigint): bigint {
  let r = 1n << BigInt(Math.ceil(x.toString(2).length / 3) + 1);
  for (;;) {
    const next = (2n * r + x / (r * r)) / 3n;
    if (next >= r) break;
    r = next;
  }
  while (r * r * r > x) r--;
  return r;
}

/** One DER element: tag, definite length, contents. */
export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = concat(...parts);
  const n = body.length;
  const length = n < 128 ? [n] : n < 256 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return concat(new Uint8Array([tag, ...length]), body);
}

/** A minimal DER INTEGER (X.690 §8.3), two's complement for negative values. */
export function derInteger(value: bigint): Uint8Array {
  if (value < 0n) {
    let bytes = 1;
    while (value < -(1n << BigInt(8 * bytes - 1))) bytes++;
    return tlv(0x02, bytesOf((1n << BigInt(8 * bytes)) + value, bytes));
  }
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (Number.parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  return tlv(0x02, fromHex(hex));
}

/** rsaEncryption AlgorithmIdentifier with NULL parameters (RFC 3279 §2.3.1). */
export const RSA_ALGORITHM = fromHex("300d06092a864886f70d0101010500");

/** SubjectPublicKeyInfo for rsaEncryption with the given DER-encoded n and e, as they are. */
export function rsaSpkiRaw(n: Uint8Array, e: Uint8Array): Uint8Array {
  return tlv(0x30, RSA_ALGORITHM, tlv(0x03, new Uint8Array([0]), tlv(0x30, n, e)));
}

/** SubjectPublicKeyInfo for rsaEncryption (RFC 3279 §2.3.1) with any n and e. */
export function rsaSpki(n: bigint, e: bigint): Uint8Array {
  return rsaSpkiRaw(derInteger(n), derInteger(e));
}
