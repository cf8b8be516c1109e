/**
 * Configuration shared by the outbound and inbound AH SA, and its validation.
 *
 * @packageDocumentation
 */
import type { IntegritySpec } from "../crypto/registry.js";
import type { AhDropReason } from "./drop-reason.js";

/**
 * What both directions of an AH SA are built from.
 * @public
 */
export interface AhSaOptions {
  /**
   * The SPI, chosen by the receiver. RFC 4302 §2.4 (and RFC 4301 §4.4.2.1): 0 is reserved and
   * 1–255 are reserved by IANA, so it must be 256 … 2^32 − 1.
   */
  readonly spi: number;
  /**
   * The integrity algorithm: a name from the registry's `INTEGRITY` table (`"hmac-sha1-96"`,
   * `"hmac-sha256-128"`, `"hmac-sha384-192"`, `"hmac-sha512-256"`, `"aes-xcbc-96"`,
   * `"aes-cmac-96"`, `"aes-gmac-128"`/`-192`/`-256`, legacy `"hmac-md5-96"`) or its spec.
   */
  readonly integrity: string | IntegritySpec;
  /**
   * The integrity key, exactly the algorithm's key length; for AES-GMAC the AES key followed by
   * the 4-byte salt (RFC 4543 §5.4). The SA keeps no reference to it: the caller zeroizes it.
   */
  readonly key: Uint8Array;
  /**
   * `transport` (AH after the IP header, RFC 4302 §3.1.1) or `tunnel` (a new outer header in
   * front of AH and the whole inner packet, RFC 4302 §3.1.2).
   */
  readonly mode: "transport" | "tunnel";
  /** Extended (64-bit) sequence numbers (RFC 4302 §2.5.1). Default false. */
  readonly esn?: boolean;
  /** Allow HMAC-MD5-96 (RFC 8221 §6: MUST NOT for AH). Default false. */
  readonly allowLegacy?: boolean;
}

/**
 * Where a protected or unprotected packet now starts inside the caller's buffer (its end never
 * moves), or why the SA refused it. A plain number or string, so that no object is allocated
 * per packet.
 * @public
 */
export type AhResult = number | AhDropReason;

/** RFC 4302 §2.4: SPIs 0–255 are reserved. */
const MIN_SPI = 256;

/**
 * Checks the SPI.
 * @throws `RangeError` for an SPI outside 256 … 2^32 − 1.
 * @internal
 */
export function checkSpi(spi: number): number {
  if (!Number.isInteger(spi) || spi < MIN_SPI || spi > 0xffffffff) {
    throw new RangeError(`AH SPI must be 256..2^32-1 (RFC 4302 §2.4), got ${spi}`);
  }
  return spi;
}

/**
 * Checks the caller's packet bounds (a programmer error, not a packet error, when wrong).
 * @throws `RangeError` when `0 ≤ start ≤ end ≤ buf.length` does not hold.
 * @internal
 */
export function checkBounds(buf: Uint8Array, start: number, end: number): void {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || end > buf.length) {
    throw new RangeError(`packet bounds [${start}, ${end}) outside a buffer of ${buf.length} bytes`);
  }
}
