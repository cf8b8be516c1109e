/**
 * ECP Diffie-Hellman on the NIST curves (key exchange methods 19, 20, 21; RFC 5903) with
 * @noble/curves.
 *
 * @packageDocumentation
 */
import type { ECDSA } from "@noble/curves/abstract/weierstrass.js";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { zeroize } from "../../wire/bytes.js";
import { CryptoError, type KeyExchange } from "../backend.js";

/** One RFC 5903 group: the noble curve and its field size. */
interface EcpGroup {
  readonly curve: ECDSA;
  /** Field element length in bytes (RFC 5903 §7: 256, 384 and 528 bits). */
  readonly size: number;
}

const GROUPS: Readonly<Record<number, EcpGroup>> = {
  19: { curve: p256, size: 32 },
  20: { curve: p384, size: 48 },
  21: { curve: p521, size: 66 },
};

/** Left-pads a big-endian scalar to `size` bytes; undefined when it is longer. */
function padScalar(bytes: Uint8Array, size: number): Uint8Array | undefined {
  if (bytes.length > size) return undefined;
  const out = new Uint8Array(size);
  out.set(bytes, size - bytes.length);
  return out;
}

/**
 * An ECP key exchange.
 * @param privateKey - fixes the private scalar, big-endian, at most the field size (test vectors
 *   only).
 * @throws {@link CryptoError} `unsupported` for another group, `invalid-key` for a private scalar
 *   outside [1, n−1].
 * @internal
 */
export function ecpKeyExchange(id: number, privateKey?: Uint8Array): KeyExchange {
  const spec = GROUPS[id];
  if (spec === undefined) throw new CryptoError("unsupported", `ECP group ${id}`);
  const { curve, size } = spec;
  let scalar = privateKey === undefined ? curve.utils.randomSecretKey() : padScalar(privateKey, size);
  if (scalar === undefined || !curve.utils.isValidSecretKey(scalar)) {
    throw new CryptoError("invalid-key", `ECP group ${id}: private scalar out of range`);
  }
  return {
    group: id,
    // RFC 5903 §7: the KE data is x ‖ y, each padded to the field size, without the SEC1 0x04.
    publicKey: curve.getPublicKey(scalar, false).subarray(1),
    computeSharedSecret(peerPublicKey: Uint8Array): Uint8Array {
      if (scalar === undefined) throw new CryptoError("invalid-key", "key exchange already destroyed");
      // RFC 5903 §7: x ‖ y, exactly twice the field size (CVE-2023-41913: never more).
      if (peerPublicKey.length !== 2 * size) {
        throw new CryptoError(
          "invalid-public-key",
          `ECP ${id}: ${peerPublicKey.length} bytes, want ${2 * size}`,
        );
      }
      const encoded = new Uint8Array(1 + 2 * size);
      encoded[0] = 0x04;
      encoded.set(peerPublicKey, 1);
      let shared: Uint8Array;
      try {
        // RFC 6989 §2.3: the point must satisfy the curve equation (fromBytes checks it, and that
        // x, y < p); the identity has no x ‖ y encoding (RFC 6989 §2.3, RFC 5903 §7).
        shared = curve.getSharedSecret(scalar, encoded, true);
      } catch {
        throw new CryptoError("invalid-public-key", `ECP ${id}: point not on the curve`);
      }
      // RFC 5903 §7: the shared secret is the x coordinate of the common point.
      return shared.subarray(1);
    },
    destroy(): void {
      zeroize(scalar);
      scalar = undefined;
    },
  };
}
