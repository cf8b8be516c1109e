/**
 * Security Parameter Index rules (RFC 4303 §2.1, RFC 4302 §2.4): SPI 0 is never used on the
 * wire and 1–255 are reserved by IANA, so an SA's SPI is 256…2³²−1. The receiver picks inbound
 * SPIs; ike-ts picks them at random (no guessable sequence) and never twice while in use.
 *
 * @packageDocumentation
 */
import { SadError } from "./errors.js";

/** The smallest SPI an SA may use. @public */
export const MIN_SPI = 256;
/** The largest SPI. @public */
export const MAX_SPI = 0xffffffff;

/** True if `spi` is an integer in 256…2³²−1. @public */
export function isValidSpi(spi: number): boolean {
  return Number.isInteger(spi) && spi >= MIN_SPI && spi <= MAX_SPI;
}

/**
 * Throws unless `spi` is usable (RFC 4303 §2.1; the Linux xfrm SPI-0 bug, CVE-2025-39965).
 * @throws {@link SadError} `bad-spi`.
 * @public
 */
export function checkSpi(spi: number): number {
  if (!isValidSpi(spi)) throw new SadError("bad-spi", `SPI ${spi} is 0, reserved (1-255) or not 32-bit`);
  return spi;
}

/** Draws until `taken` rejects nothing; gives up after this many tries. */
const MAX_TRIES = 64;

/**
 * A random SPI in 256…2³²−1 for which `taken(spi)` is false.
 * @param randomBytes - a cryptographically secure source (e.g. the crypto backend's `randomBytes`).
 * @throws {@link SadError} `spi-exhausted` if no free SPI turned up.
 * @public
 */
export function randomSpi(
  randomBytes: (length: number) => Uint8Array,
  taken: (spi: number) => boolean,
): number {
  for (let i = 0; i < MAX_TRIES; i++) {
    const b = randomBytes(4);
    if (b.length !== 4) throw new TypeError("randomBytes returned the wrong length");
    const spi = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    if (spi >= MIN_SPI && !taken(spi)) return spi;
  }
  throw new SadError("spi-exhausted", `no free SPI after ${MAX_TRIES} random draws`);
}
