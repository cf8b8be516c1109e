/**
 * MODP Diffie-Hellman (key exchange methods 1, 2, 5, 14–18, 22–24) on bigint, and the peer-value
 * tests of RFC 6989 §2.1–2.2. The `node:crypto` backend reuses {@link modpPeerValue} and
 * {@link modpPrivateValue} so that both backends accept and refuse exactly the same values.
 *
 * JavaScript bigints are immutable: `destroy()` drops the private exponent but cannot overwrite
 * the memory that held it.
 *
 * @packageDocumentation
 */
import { pow } from "@noble/curves/abstract/modular.js";
import { bytesToNumberBE, numberToBytesBE } from "@noble/curves/utils.js";
import { zeroize } from "../../wire/bytes.js";
import { CryptoError, type KeyExchange } from "../backend.js";
import type { ModpGroup } from "../groups.js";

/**
 * Decodes and checks the peer's public value y.
 * @throws {@link CryptoError} `invalid-public-key` when y has the wrong length, is outside
 *   (1, p−1), or (groups 22–24) lies outside the subgroup of order q.
 * @internal
 */
export function modpPeerValue(group: ModpGroup, peer: Uint8Array): bigint {
  // RFC 7296 §3.4: the KE data is the prime's length, left-padded (CVE-2023-41913: never more).
  if (peer.length !== group.length) {
    throw new CryptoError(
      "invalid-public-key",
      `MODP ${group.id}: ${peer.length} bytes, want ${group.length}`,
    );
  }
  const y = bytesToNumberBE(peer);
  // RFC 6989 §2.1: the recipient MUST check 1 < y < p−1 (rules out 0, 1 and p−1, CVE-2015-3240).
  if (y <= 1n || y >= group.p - 1n) {
    throw new CryptoError("invalid-public-key", `MODP ${group.id}: public value out of range`);
  }
  // RFC 6989 §2.2: for the RFC 5114 groups also y^q = 1 mod p (membership in the subgroup).
  if (group.q !== undefined && pow(y, group.q, group.p) !== 1n) {
    throw new CryptoError("invalid-public-key", `MODP ${group.id}: public value not in the subgroup`);
  }
  return y;
}

/**
 * Our private exponent x: `fixed` (big-endian) when given, otherwise fresh.
 * Fresh exponents have exactly `group.exponentBits` bits (RFC 3526 §8); for groups with a
 * subgroup they are uniform in [1, q−1] (NIST SP 800-56A §5.6.1.1, as RFC 6989 §2.2 assumes).
 * @param randomBytes - the backend's CSPRNG.
 * @throws {@link CryptoError} `invalid-key` when `fixed` is longer than p or not in [1, p−2]
 *   (groups 22–24: [1, q−1]).
 * @internal
 */
export function modpPrivateValue(
  group: ModpGroup,
  randomBytes: (length: number) => Uint8Array,
  fixed?: Uint8Array,
): bigint {
  const limit = group.q ?? group.p - 1n;
  if (fixed !== undefined) {
    const x = bytesToNumberBE(fixed);
    if (fixed.length > group.length || x < 1n || x >= limit) {
      throw new CryptoError("invalid-key", `MODP ${group.id}: private value out of range`);
    }
    return x;
  }
  const bits = group.exponentBits;
  const excess = BigInt(8 * Math.ceil(bits / 8) - bits);
  for (;;) {
    const bytes = randomBytes(Math.ceil(bits / 8));
    let x = bytesToNumberBE(bytes) >> excess;
    zeroize(bytes);
    if (group.q === undefined) x |= 1n << BigInt(bits - 1);
    if (x >= 1n && x < limit) return x;
  }
}

/**
 * A MODP key exchange.
 * @param privateKey - fixes the private exponent (test vectors only).
 * @internal
 */
export function modpKeyExchange(
  group: ModpGroup,
  randomBytes: (length: number) => Uint8Array,
  privateKey?: Uint8Array,
): KeyExchange {
  let x: bigint | undefined = modpPrivateValue(group, randomBytes, privateKey);
  const { p, g, length } = group;
  return {
    group: group.id,
    // RFC 7296 §3.4: g^x mod p, left-padded to the prime's length.
    publicKey: numberToBytesBE(pow(g, x, p), length),
    computeSharedSecret(peerPublicKey: Uint8Array): Uint8Array {
      if (x === undefined) throw new CryptoError("invalid-key", "key exchange already destroyed");
      const y = modpPeerValue(group, peerPublicKey);
      // RFC 7296 §2.14 / RFC 2409 §5: g^xy mod p, left-padded to the prime's length.
      return numberToBytesBE(pow(y, x, p), length);
    },
    destroy(): void {
      x = undefined;
    },
  };
}
