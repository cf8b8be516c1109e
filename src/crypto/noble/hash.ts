/**
 * Hash functions of the pure backend, on @noble/hashes.
 *
 * @packageDocumentation
 */
import { md5, sha1 } from "@noble/hashes/legacy.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import type { HashAlgorithm } from "../backend.js";

const HASHES: Readonly<Record<HashAlgorithm, (data: Uint8Array) => Uint8Array>> = {
  md5,
  sha1,
  sha256,
  sha384,
  sha512,
};

/**
 * Hashes `data` with `algorithm` (MD5 RFC 1321, SHA-1 and SHA-2 FIPS 180-4).
 * @internal
 */
export function nobleHash(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array {
  return HASHES[algorithm](data);
}
