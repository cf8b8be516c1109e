/**
 * Typed errors of the SA database.
 *
 * @packageDocumentation
 */

/**
 * Why the SAD refused an operation.
 *
 * - `bad-spi`: SPI 0 or a reserved SPI 1–255 (RFC 4303 §2.1), or not a 32-bit integer.
 * - `duplicate-spi`: an inbound SA with the same SPI and protocol to the same destination exists.
 * - `spi-exhausted`: no free SPI found.
 * - `bad-lifetime`: a lifetime or idle time outside its range.
 * - `unknown-sa`: the SA is not (or no longer) in the database.
 * - `bad-state`: imported state that is inconsistent.
 *
 * @public
 */
export type SadErrorCode =
  | "bad-spi"
  | "duplicate-spi"
  | "spi-exhausted"
  | "bad-lifetime"
  | "unknown-sa"
  | "bad-state";

/**
 * The error the SAD throws for bad input.
 * @public
 */
export class SadError extends Error {
  readonly code: SadErrorCode;
  /** SPI of the offending SA, when there is one. */
  readonly spi: number | undefined;

  constructor(code: SadErrorCode, message: string, spi?: number) {
    super(spi === undefined ? `${code}: ${message}` : `${code} (spi 0x${spi.toString(16)}): ${message}`);
    this.name = "SadError";
    this.code = code;
    this.spi = spi;
  }
}

/** Type guard for {@link SadError}. @public */
export function isSadError(e: unknown): e is SadError {
  return e instanceof SadError;
}
