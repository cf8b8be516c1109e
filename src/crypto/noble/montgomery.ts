/**
 * Curve25519 and Curve448 Diffie-Hellman (key exchange methods 31 and 32; RFC 8031) with
 * @noble/curves.
 *
 * @packageDocumentation
 */
import { x448 } from "@noble/curves/ed448.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { zeroize } from "../../wire/bytes.js";
import { CryptoError, type KeyExchange } from "../backend.js";

/** One RFC 8031 group: the noble function and its key size. */
interface MontgomeryGroup {
  readonly curve: typeof x25519;
  /** Key and u-coordinate length in bytes (RFC 7748 §5). */
  readonly size: number;
}

const GROUPS: Readonly<Record<number, MontgomeryGroup>> = {
  31: { curve: x25519, size: 32 },
  32: { curve: x448, size: 56 },
};

/** True when every byte is zero; the time taken depends only on the length. */
function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc === 0;
}

/**
 * An X25519 / X448 key exchange.
 * @param privateKey - fixes the 32- or 56-byte private key d, before clamping (RFC 7748 §5; test
 *   vectors only).
 * @throws {@link CryptoError} `unsupported` for another group, `invalid-key` for a private key of
 *   the wrong length.
 * @internal
 */
export function montgomeryKeyExchange(id: number, privateKey?: Uint8Array): KeyExchange {
  const spec = GROUPS[id];
  if (spec === undefined) throw new CryptoError("unsupported", `Montgomery group ${id}`);
  const { curve, size } = spec;
  if (privateKey !== undefined && privateKey.length !== size) {
    throw new CryptoError("invalid-key", `group ${id}: private key must be ${size} bytes`);
  }
  let d: Uint8Array | undefined =
    privateKey === undefined ? curve.utils.randomSecretKey() : privateKey.slice();
  return {
    group: id,
    // RFC 8031 §2: pub = X(d, G), carried raw in the KE payload (RFC 8031 §3.1).
    publicKey: curve.getPublicKey(d),
    computeSharedSecret(peerPublicKey: Uint8Array): Uint8Array {
      if (d === undefined) throw new CryptoError("invalid-key", "key exchange already destroyed");
      // RFC 8031 §3.1: the KE data is exactly 32 (X25519) or 56 (X448) bytes.
      if (peerPublicKey.length !== size) {
        throw new CryptoError(
          "invalid-public-key",
          `group ${id}: ${peerPublicKey.length} bytes, want ${size}`,
        );
      }
      let shared: Uint8Array;
      try {
        // RFC 8031 §3.2 / RFC 7748 §5: the top bit of an X25519 u is masked and non-canonical
        // values are accepted; noble refuses low-order points before the ladder.
        shared = curve.getSharedSecret(d, peerPublicKey);
      } catch {
        throw new CryptoError("invalid-public-key", `group ${id}: low-order public value`);
      }
      // RFC 7748 §6.1, §6.2: an all-zero output means a low-order point; abort.
      if (isAllZero(shared))
        throw new CryptoError("invalid-public-key", `group ${id}: all-zero shared secret`);
      return shared;
    },
    destroy(): void {
      zeroize(d);
      d = undefined;
    },
  };
}
