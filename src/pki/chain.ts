/**
 * Certification path validation (RFC 5280 §6.1, the parts IKE needs; RFC 4945 §5): from the
 * peer's end-entity certificate through intermediates (the peer's CERT payloads or configured
 * ones) to a configured trust anchor. Each link: issuer name equals the subject's issuer name
 * (byte-exact DER), the signature verifies with the issuer's key through the crypto backend, the
 * issuer is a CA (basicConstraints cA, keyUsage keyCertSign when present), pathLenConstraint
 * holds, and every certificate is valid at the injected `now`.
 *
 * @packageDocumentation
 */
import type { ControlPlaneCrypto } from "../crypto/backend.js";
import { equalBytes } from "./bytes.js";
import { type Certificate, KeyUsage } from "./certificate.js";
import { PkiError } from "./errors.js";

/** What {@link verifyChain} needs. @public */
export interface ChainOptions {
  /** Verifies each link's signature (strict verification, RFC 8017 / RFC 4754 / RFC 8032). */
  readonly backend: Pick<ControlPlaneCrypto, "verify">;
  /** Trusted CA certificates: a path ends at one of them. */
  readonly trustAnchors: readonly Certificate[];
  /** Untrusted intermediates that may be used to build the path. */
  readonly intermediates?: readonly Certificate[];
  /** The time to check validity at, milliseconds since the Unix epoch (RFC 5280 §6.1.3 (a)(2)). */
  readonly now: number;
  /** Most certificates in a path, end entity and anchor included. Default 8. */
  readonly maxLength?: number;
}

/** Most intermediates considered at all (a DoS bound on the path search). */
const MAX_CANDIDATES = 16;
/** Most links checked (signatures verified) in one search: many same-named CAs cannot make it explode. */
const MAX_LINK_CHECKS = 32;

/** RFC 5280 §6.1.3 (a)(2): the certificate validity period includes `now`. */
function checkValidity(cert: Certificate, now: number): void {
  if (now < cert.notBefore) throw new PkiError("not-yet-valid", `${cert.subject.text} is not yet valid`);
  if (now > cert.notAfter) throw new PkiError("expired", `${cert.subject.text} has expired`);
}

/** RFC 5280 §6.1.4 (k), (l), (n), (m): the issuer may issue, and may issue this deep. */
function checkIssuer(issuer: Certificate, below: number): void {
  // RFC 5280 §4.2.1.9: cA must be asserted for a key that verifies certificate signatures.
  if (issuer.basicConstraints?.ca !== true)
    throw new PkiError("not-ca", `${issuer.subject.text} is not a CA`);
  // RFC 5280 §4.2.1.3: keyCertSign must be set when keyUsage is present.
  if (issuer.keyUsage !== undefined && (issuer.keyUsage & KeyUsage.keyCertSign) === 0) {
    throw new PkiError("not-ca", `${issuer.subject.text} lacks keyCertSign`);
  }
  // RFC 5280 §4.2.1.9: pathLenConstraint counts the intermediates that may follow the issuer.
  const limit = issuer.basicConstraints.pathLength;
  if (limit !== undefined && below > limit) {
    throw new PkiError(
      "path-length",
      `${issuer.subject.text} allows ${limit} intermediates, path has ${below}`,
    );
  }
}

/** RFC 5280 §6.1.3 (a)(1): the subject's signature verifies with the issuer's public key. */
function checkSignature(subject: Certificate, issuer: Certificate, options: ChainOptions): void {
  const alg = subject.signatureAlgorithm;
  // RFC 8247 / RFC 9155 spirit: SHA-1 certificate signatures are not trusted.
  if (alg.legacy) throw new PkiError("unsupported", `${subject.subject.text}: ${alg.name} signature`);
  if (alg.keyKind !== issuer.publicKey.kind) {
    throw new PkiError(
      "bad-signature",
      `${subject.subject.text}: ${alg.name} with a ${issuer.publicKey.kind} key`,
    );
  }
  if (!options.backend.verify(alg.scheme, issuer.spki, subject.tbs, subject.signature)) {
    throw new PkiError("bad-signature", `${subject.subject.text}: signature does not verify`);
  }
}

/** Checks the link subject ← issuer, where `below` intermediates sit between issuer and end entity. */
function checkLink(subject: Certificate, issuer: Certificate, below: number, options: ChainOptions): void {
  checkValidity(issuer, options.now);
  checkIssuer(issuer, below);
  checkSignature(subject, issuer, options);
}

/**
 * Validates `endEntity` to a trust anchor and returns the path (end entity first, anchor last).
 * @throws {@link PkiError}: `expired` / `not-yet-valid`, `bad-signature`, `not-ca`, `path-length`,
 *   `unsupported` (a SHA-1 signature), or `untrusted` when no path reaches an anchor.
 * @public
 */
export function verifyChain(endEntity: Certificate, options: ChainOptions): Certificate[] {
  const maxLength = options.maxLength ?? 8;
  checkValidity(endEntity, options.now);
  const intermediates = (options.intermediates ?? []).slice(0, MAX_CANDIDATES);
  let failure: PkiError | undefined;
  let budget = MAX_LINK_CHECKS;
  const tryLink = (subject: Certificate, issuer: Certificate, below: number): boolean => {
    if (budget === 0) {
      failure = new PkiError("path-length", `no path found within ${MAX_LINK_CHECKS} link checks`);
      return false;
    }
    budget--;
    try {
      checkLink(subject, issuer, below, options);
      return true;
    } catch (e) {
      if (!(e instanceof PkiError)) throw e;
      failure = e;
      return false;
    }
  };

  const extend = (path: Certificate[]): Certificate[] | undefined => {
    const last = path[path.length - 1]!;
    const below = path.length - 1;
    const issuedBy = (c: Certificate) => equalBytes(c.subject.der, last.issuer.der);
    for (const anchor of options.trustAnchors.filter(issuedBy)) {
      if (tryLink(last, anchor, below)) return [...path, anchor];
    }
    if (path.length + 1 >= maxLength) {
      failure ??= new PkiError("path-length", `no anchor within ${maxLength} certificates`);
      return undefined;
    }
    for (const next of intermediates.filter(issuedBy)) {
      if (path.some((c) => equalBytes(c.der, next.der)) || !tryLink(last, next, below)) continue;
      const found = extend([...path, next]);
      if (found !== undefined) return found;
    }
    return undefined;
  };

  const path = extend([endEntity]);
  if (path !== undefined) return path;
  throw failure ?? new PkiError("untrusted", `no trust anchor issued ${endEntity.issuer.text}`);
}
