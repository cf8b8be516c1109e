/**
 * The one error type of `src/pki`: every problem with a certificate, a chain or an identity is a
 * {@link PkiError} with a code, whatever the input was.
 *
 * @packageDocumentation
 */

/**
 * Why a certificate or chain was refused.
 * - `malformed`: not DER, bad structure, out-of-range lengths, trailing data, input too large.
 * - `unsupported`: a version, algorithm, curve or critical extension ike-ts does not implement.
 * - `invalid-key`: the SubjectPublicKeyInfo is malformed or weak (e.g. RSA exponent 0).
 * - `expired` / `not-yet-valid`: outside the validity period at the given time.
 * - `untrusted`: no path to a trust anchor.
 * - `bad-signature`: a link's signature does not verify.
 * - `not-ca`: an issuer lacks the CA flag or keyCertSign.
 * - `path-length`: a pathLenConstraint or the depth limit was exceeded.
 * @public
 */
export type PkiErrorCode =
  | "malformed"
  | "unsupported"
  | "invalid-key"
  | "expired"
  | "not-yet-valid"
  | "untrusted"
  | "bad-signature"
  | "not-ca"
  | "path-length";

/** Typed PKI error. @public */
export class PkiError extends Error {
  readonly code: PkiErrorCode;
  constructor(code: PkiErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = "PkiError";
    this.code = code;
  }
}

/** Throws a `malformed` {@link PkiError}. @internal */
export function malformed(message: string): never {
  throw new PkiError("malformed", message);
}
