/**
 * IVs of the IKEv2 Encrypted payload (RFC 7296 §3.14, RFC 5282 §3.1, RFC 7634 §2, RFC 5930).
 *
 * CBC needs an unpredictable IV per message; the counter modes (GCM, CCM, ChaCha20-Poly1305,
 * CTR) need an IV that never repeats under one key, for which a counter is the recommended way.
 *
 * @packageDocumentation
 */

/**
 * Writes the next IV into `iv` (all of its bytes). Injectable so tests can fix IVs.
 * @public
 */
export type SkIvSource = (iv: Uint8Array) => void;

const COUNTER_BYTES = 8;
const COUNTER_MAX = (1n << 64n) - 1n;

/**
 * A 64-bit big-endian message counter as IV (RFC 5282 §3.1: "incrementing a counter for each
 * packet"; RFC 7634 §2: "The use of a counter … is RECOMMENDED"), starting at `start`. Bytes in
 * front of the last eight are zero. Use one source per key: it never repeats a value, and throws
 * `RangeError` rather than wrap after 2^64 IVs.
 * @throws `RangeError` for a `start` outside 0 … 2^64 − 1.
 * @public
 */
export function counterIvSource(start = 0n): SkIvSource {
  if (start < 0n || start > COUNTER_MAX)
    throw new RangeError(`IV counter start ${start} is not a 64-bit value`);
  let next: bigint | undefined = start;
  return (iv) => {
    if (next === undefined) throw new RangeError("SK IV counter exhausted: the IKE SA must be rekeyed");
    iv.fill(0);
    let v = next;
    for (let i = iv.length - 1; i >= Math.max(0, iv.length - COUNTER_BYTES); i--) {
      iv[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    next = next === COUNTER_MAX ? undefined : next + 1n;
  };
}

/**
 * Unpredictable IVs from a CSPRNG, as CBC requires (RFC 7296 §3.14: "Senders MUST select a new
 * unpredictable IV for every message").
 * @public
 */
export function randomIvSource(randomBytes: (length: number) => Uint8Array): SkIvSource {
  return (iv) => {
    iv.set(randomBytes(iv.length));
  };
}
