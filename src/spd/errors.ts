/**
 * Typed configuration errors of the SPD and its Cisco crypto-map front end.
 *
 * Every rejection of bad policy input (an address that does not parse, a range whose start is
 * above its end, mixed address families, a selector that can never match, an unsupported crypto
 * map combination …) is a {@link PolicyError} carrying a {@link PolicyErrorCode} and, when known,
 * the name and position of the offending entry, so a management interface can point at it.
 *
 * @packageDocumentation
 */

/**
 * Why a policy could not be accepted.
 *
 * - `bad-address`: an address, prefix, wildcard mask or range does not parse.
 * - `bad-prefix`: a prefix has host bits set (`10.0.0.1/8`) or a length out of range.
 * - `discontiguous-mask`: an ACL wildcard mask is not of the form 0…01…1 (seeds/004:340).
 * - `bad-range`: start above end in an address or port range.
 * - `mixed-family`: IPv4 and IPv6 in one selector (RFC 4301 §4.4.1.1).
 * - `bad-protocol`: a protocol number out of 0–255, or OPAQUE for IPv4 (RFC 4301 §4.4.2.2 note ****).
 * - `bad-port`: a port outside 0–65535 or a malformed port range.
 * - `unmatchable`: a selector that can never match a packet (ports on a protocol without ports,
 *   ports with protocol ANY — RFC 7296 §3.13.1).
 * - `bad-entry`: an SPD entry that is structurally wrong (no selectors, PROTECT without
 *   template, PFP on an OPAQUE selector — RFC 4301 §4.4.2.2 note ***).
 * - `duplicate-name`: two SPD entries with one name.
 * - `unknown-entry`: an operation names an entry that is not in the SPD.
 * - `bad-acl`: an access-list line that does not parse.
 * - `unsupported`: valid IOS syntax that an SPD cannot express (`established`, `fragments` …).
 * - `bad-transform`: a transform set that breaks the IOS rules (seeds/004:498-511, 004:4754).
 * - `legacy-not-allowed`: a weak transform without `allowLegacy` (DESIGN principle 8).
 * - `bad-crypto-map`: a crypto map entry that breaks the IOS rules (seeds/004:749, 004:866-868).
 * - `deny-overlaps-permit`: a `deny` in one crypto map entry overlaps a `permit` of a later entry,
 *   which IOS does not support (seeds/002:5301-5317).
 * - `bad-lifetime`: a lifetime, idle time or replay window outside its range.
 * - `too-many-selectors`: more than 16 traffic selectors (seeds/004:1205).
 *
 * @public
 */
export type PolicyErrorCode =
  | "bad-address"
  | "bad-prefix"
  | "discontiguous-mask"
  | "bad-range"
  | "mixed-family"
  | "bad-protocol"
  | "bad-port"
  | "unmatchable"
  | "bad-entry"
  | "duplicate-name"
  | "unknown-entry"
  | "bad-acl"
  | "unsupported"
  | "bad-transform"
  | "legacy-not-allowed"
  | "bad-crypto-map"
  | "deny-overlaps-permit"
  | "bad-lifetime"
  | "too-many-selectors";

/**
 * Where a {@link PolicyError} was found.
 * @public
 */
export interface PolicyErrorLocation {
  /** Name of the offending SPD entry, crypto map entry (`"mymap 10"`), ACL or transform set. */
  readonly entry?: string;
  /** Position of the offending item (selector index, ACE index, transform index …). */
  readonly index?: number;
  /** 1-based line of the configuration text, when the input was text. */
  readonly line?: number;
}

/**
 * The one error type thrown for bad policy configuration.
 * @public
 */
export class PolicyError extends Error {
  /** What is wrong. */
  readonly code: PolicyErrorCode;
  /** Name of the offending entry, when known. */
  readonly entry: string | undefined;
  /** Position of the offending item inside the entry, when known. */
  readonly index: number | undefined;
  /** 1-based configuration line, when the input was text. */
  readonly line: number | undefined;

  constructor(code: PolicyErrorCode, message: string, where: PolicyErrorLocation = {}) {
    const at = [
      where.entry !== undefined ? `entry "${where.entry}"` : "",
      where.index !== undefined ? `item ${where.index}` : "",
      where.line !== undefined ? `line ${where.line}` : "",
    ]
      .filter((s) => s !== "")
      .join(", ");
    super(at === "" ? `${code}: ${message}` : `${code} (${at}): ${message}`);
    this.name = "PolicyError";
    this.code = code;
    this.entry = where.entry;
    this.index = where.index;
    this.line = where.line;
  }

  /** The same error with the location filled in where it was still unknown. */
  locate(where: PolicyErrorLocation): PolicyError {
    const message = this.message.slice(this.message.indexOf(": ") + 2);
    return new PolicyError(this.code, message, {
      ...(this.entry !== undefined
        ? { entry: this.entry }
        : where.entry !== undefined
          ? { entry: where.entry }
          : {}),
      ...(this.index !== undefined
        ? { index: this.index }
        : where.index !== undefined
          ? { index: where.index }
          : {}),
      ...(this.line !== undefined
        ? { line: this.line }
        : where.line !== undefined
          ? { line: where.line }
          : {}),
    });
  }
}

/** Type guard for {@link PolicyError}. @public */
export function isPolicyError(e: unknown): e is PolicyError {
  return e instanceof PolicyError;
}

/** Runs `fn`, attaching `where` to any {@link PolicyError} that lacks a location. @internal */
export function withLocation<T>(where: PolicyErrorLocation, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof PolicyError) throw e.locate(where);
    throw e;
  }
}
