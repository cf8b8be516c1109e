/**
 * IKE pseudo-random functions and prf+ (RFC 7296 §2.13), on any synchronous backend's MACs.
 *
 * HMAC PRFs take keys of any length as they are. The AES PRFs take variable-length keys by
 * normalising them to 128 bits first: AES-XCBC-PRF-128 (RFC 4434 §2) and AES-CMAC-PRF-128
 * (RFC 4615 §3).
 *
 * @packageDocumentation
 */

import { zeroize } from "../wire/bytes.js";
import type { DataPlaneCrypto, MacKey } from "./backend.js";
import type { PrfSpec } from "./registry.js";

/**
 * A PRF keyed once, e.g. SKEYSEED's prf(Ni | Nr, g^ir) or SK_d for prf+.
 * @public
 */
export interface Prf {
  /** Output length in bytes (the PRF's full output; IKE never truncates a PRF). */
  readonly outputLength: number;
  /**
   * PRF of `data` (or of the concatenation of its parts), written to `out` when given (it must be
   * exactly {@link Prf.outputLength} bytes) and otherwise to a new array. Returns the output.
   */
  compute(data: Uint8Array | readonly Uint8Array[], out?: Uint8Array): Uint8Array;
  /** Zeroizes the key material. */
  destroy(): void;
}

const BLOCK = 16;

/** The 128-bit key of an AES PRF (RFC 4434 §2, RFC 4615 §3), in a new array. */
function aesPrfKey(
  backend: DataPlaneCrypto<false>,
  mac: "aes-xcbc" | "aes-cmac",
  key: Uint8Array,
): Uint8Array {
  const k = new Uint8Array(BLOCK);
  if (key.length === BLOCK) {
    k.set(key); // both: "If the key is exactly 128 bits long, use it as-is."
  } else if (mac === "aes-xcbc" && key.length < BLOCK) {
    k.set(key); // RFC 4434 §2: shorter keys are padded on the right with zero bits
  } else {
    // RFC 4434 §2: longer keys become AES-XCBC-PRF-128 with a zero key over the key;
    // RFC 4615 §3 step 1b: any other length becomes AES-CMAC(0^128, VK).
    const zero = backend.mac(mac, new Uint8Array(BLOCK));
    zero.compute([key], k);
    zero.destroy();
  }
  return k;
}

/**
 * Prepares a PRF from its registry entry and a key.
 * @throws `CryptoError` as {@link DataPlaneCrypto.mac} does (e.g. `unsupported`).
 * @public
 */
export function createPrf(backend: DataPlaneCrypto<false>, spec: PrfSpec, key: Uint8Array): Prf {
  let mac: MacKey<false>;
  if (spec.mac === "aes-xcbc" || spec.mac === "aes-cmac") {
    const k = aesPrfKey(backend, spec.mac, key);
    mac = backend.mac(spec.mac, k);
    zeroize(k);
  } else {
    mac = backend.mac(spec.mac, key);
  }
  const outputLength = mac.outputLength;
  return {
    outputLength,
    compute(data, out) {
      const result = out ?? new Uint8Array(outputLength);
      if (result.length !== outputLength) {
        throw new RangeError(`${spec.name}: output must be ${outputLength} bytes, got ${result.length}`);
      }
      mac.compute(data instanceof Uint8Array ? [data] : data, result);
      return result;
    },
    destroy() {
      mac.destroy();
    },
  };
}

/**
 * prf+ (RFC 7296 §2.13): T1 = prf(K, S | 0x01), Tn = prf(K, T(n-1) | S | n), output
 * T1 | T2 | … cut to `length` bytes.
 * @throws `RangeError` when `length` exceeds 255 times the PRF output ("The prf+ function is not
 *   defined beyond 255 times the size of the prf function output").
 * @public
 */
export function prfPlus(prf: Prf, seed: Uint8Array, length: number): Uint8Array {
  const n = prf.outputLength;
  if (!Number.isInteger(length) || length < 0 || length > 255 * n) {
    throw new RangeError(`prf+: ${length} bytes requested, at most ${255 * n} for this PRF`);
  }
  // T1 | T2 | … computed in place: each T(i) is a view of `blocks`, and T(i-1) its neighbour.
  const count = Math.ceil(length / n);
  const blocks = new Uint8Array(count * n);
  const counter = new Uint8Array(1);
  const parts = [blocks, seed, counter];
  for (let i = 1; i <= count; i++) {
    counter[0] = i;
    const t = blocks.subarray((i - 1) * n, i * n);
    if (i === 1) {
      prf.compute([seed, counter], t);
    } else {
      parts[0] = blocks.subarray((i - 2) * n, (i - 1) * n);
      prf.compute(parts, t);
    }
  }
  if (blocks.length === length) return blocks;
  const out = blocks.slice(0, length);
  zeroize(blocks);
  return out;
}
