/**
 * The responder's protection against IKE_SA_INIT floods (RFC 7296 §2.6): it counts half-open
 * IKE SAs and, above a threshold, answers requests without a valid COOKIE with a stateless
 * `N(COOKIE)`. The cookie is `<VersionIDofSecret> | SHA-256(Ni | IPi | SPIi | <secret>)`; the
 * secret is random and replaced every `secretLifetimeMs`, the previous one still accepted.
 *
 * @packageDocumentation
 */
import type { ControlPlaneCrypto } from "../../crypto/backend.js";
import { concat, equalConstantTime, zeroize } from "../../wire/bytes.js";
import { parseIpAddress } from "./address.js";

/** Options of an {@link IkeResponderGuard}. @public */
export interface IkeResponderGuardOptions {
  /** Hash and randomness for the cookie secret. */
  readonly backend: Pick<ControlPlaneCrypto, "hash" | "randomBytes">;
  /** Cookies are required while this many IKE SAs or more are half-open. Default 20. */
  readonly cookieThreshold?: number;
  /** Lifetime of a cookie secret in milliseconds. Default 60000. */
  readonly secretLifetimeMs?: number;
}

const SECRET_LENGTH = 32;
const VERSION_LENGTH = 4;
const DIGEST_LENGTH = 32;

interface Secret {
  readonly version: number;
  readonly bytes: Uint8Array;
}

/**
 * Shared by every responder session of one endpoint: the half-open count and the cookie secret.
 * @public
 */
export class IkeResponderGuard {
  readonly #backend: Pick<ControlPlaneCrypto, "hash" | "randomBytes">;
  readonly #threshold: number;
  readonly #lifetime: number;
  #halfOpen = 0;
  #current: Secret | undefined;
  #previous: Secret | undefined;
  #since = 0;

  constructor(options: IkeResponderGuardOptions) {
    this.#backend = options.backend;
    this.#threshold = options.cookieThreshold ?? 20;
    this.#lifetime = options.secretLifetimeMs ?? 60_000;
  }

  /** IKE SAs that answered IKE_SA_INIT and wait for IKE_AUTH. */
  get halfOpen(): number {
    return this.#halfOpen;
  }

  /** True when new IKE_SA_INIT requests must carry a valid cookie. */
  get cookieRequired(): boolean {
    return this.#halfOpen >= this.#threshold;
  }

  /**
   * Counts one more half-open IKE SA; the returned function ends it (calling it again does nothing).
   * @internal
   */
  open(): () => void {
    this.#halfOpen++;
    let done = false;
    return () => {
      if (!done) this.#halfOpen--;
      done = true;
    };
  }

  /** The cookie for an initiator (RFC 7296 §2.6). @internal */
  cookie(ni: Uint8Array, address: string, spiI: Uint8Array, now: number): Uint8Array {
    const secret = this.#secret(now);
    const version = Uint8Array.of(
      secret.version >>> 24,
      (secret.version >>> 16) & 0xff,
      (secret.version >>> 8) & 0xff,
      secret.version & 0xff,
    );
    return concat(version, this.#digest(secret, ni, address, spiI));
  }

  /** True when `cookie` is one this guard issued to this initiator with a current secret. @internal */
  verify(cookie: Uint8Array, ni: Uint8Array, address: string, spiI: Uint8Array, now: number): boolean {
    if (cookie.length !== VERSION_LENGTH + DIGEST_LENGTH) return false;
    this.#secret(now);
    const version = ((cookie[0]! << 24) | (cookie[1]! << 16) | (cookie[2]! << 8) | cookie[3]!) >>> 0;
    const secret = [this.#current, this.#previous].find((s) => s?.version === version);
    if (secret === undefined) return false;
    return equalConstantTime(cookie.subarray(VERSION_LENGTH), this.#digest(secret, ni, address, spiI));
  }

  #digest(secret: Secret, ni: Uint8Array, address: string, spiI: Uint8Array): Uint8Array {
    return this.#backend.hash("sha256", concat(ni, parseIpAddress(address), spiI, secret.bytes));
  }

  /** The current secret, replaced when its lifetime is over (RFC 7296 §2.6 "regenerated periodically"). */
  #secret(now: number): Secret {
    if (this.#current === undefined || now - this.#since >= this.#lifetime) {
      if (this.#previous !== undefined) zeroize(this.#previous.bytes);
      this.#previous = this.#current;
      const version = this.#current === undefined ? 1 : (this.#current.version + 1) >>> 0;
      this.#current = { version, bytes: this.#backend.randomBytes(SECRET_LENGTH) };
      this.#since = now;
    }
    return this.#current;
  }
}
