/**
 * IKEv2 decode and rule errors, and the one place that maps each to the notify to answer with.
 *
 * Every IKEv2 decoder throws {@link WireError} (or a subclass below) and nothing else for any input;
 * {@link checkRules} returns a {@link RuleViolation}. {@link errorNotify} turns either into the
 * Notify payload type and data the caller sends (RFC 7296 §2.21), so the choice lives here only.
 *
 * @packageDocumentation
 */
import { WireError, type WireErrorCode } from "../wire/errors.js";
import { NotifyType } from "./constants.js";
import type { RuleViolation } from "./rules.js";

/**
 * A payload the decoder does not understand had its critical bit set. RFC 7296 §2.5: the message
 * MUST be rejected and the response carries UNSUPPORTED_CRITICAL_PAYLOAD with the one-octet
 * payload type as data.
 * @public
 */
export class UnsupportedCriticalPayloadError extends WireError {
  /** The unrecognized payload type number. */
  readonly payloadType: number;

  /**
   * @param payloadType - the unrecognized payload type.
   * @param offset - offset of the payload's generic header in the datagram.
   */
  constructor(payloadType: number, offset: number) {
    super("unsupported", `unsupported critical payload type ${payloadType}`, offset);
    this.name = "UnsupportedCriticalPayloadError";
    this.payloadType = payloadType;
  }
}

/**
 * The IKE header's major version is not 2. RFC 7296 §2.5: drop the message and send an
 * unauthenticated INVALID_MAJOR_VERSION carrying the version spoken (2) in its header.
 * @public
 */
export class InvalidMajorVersionError extends WireError {
  /** The major version the message claimed. */
  readonly majorVersion: number;

  /**
   * @param majorVersion - the major version found.
   * @param offset - offset of the version octet in the datagram.
   */
  constructor(majorVersion: number, offset: number) {
    super("unsupported", `IKE major version ${majorVersion}, expected 2`, offset);
    this.name = "InvalidMajorVersionError";
    this.majorVersion = majorVersion;
  }
}

/**
 * The Notify payload to answer an error with: its type and Notification Data.
 * @public
 */
export interface ErrorNotify {
  /** A {@link NotifyType} error type. */
  readonly notifyType: number;
  /** Notification Data (empty unless the type defines some). */
  readonly data: Uint8Array;
}

/**
 * RFC 7296 §3.10.1 INVALID_SYNTAX "MUST be sent in response to any error not covered by one of
 * the other status types", which is every generic decode failure.
 */
const NOTIFY_FOR_CODE: Readonly<Record<WireErrorCode, number>> = {
  truncated: NotifyType.INVALID_SYNTAX,
  "trailing-data": NotifyType.INVALID_SYNTAX,
  "bad-length": NotifyType.INVALID_SYNTAX,
  "bad-value": NotifyType.INVALID_SYNTAX,
  unsupported: NotifyType.INVALID_SYNTAX,
};

const EMPTY = new Uint8Array(0);

/**
 * The notify answering a decode error or a rule violation.
 *
 * - {@link UnsupportedCriticalPayloadError}: UNSUPPORTED_CRITICAL_PAYLOAD with the one-octet
 *   payload type as data (RFC 7296 §2.5).
 * - {@link InvalidMajorVersionError}: INVALID_MAJOR_VERSION (RFC 7296 §2.5).
 * - any other {@link WireError}: INVALID_SYNTAX (RFC 7296 §3.10.1).
 * - a {@link RuleViolation} (missing, duplicated or misplaced payload): INVALID_SYNTAX
 *   (RFC 7296 §2.21.2: a malformed request "MUST only lead to an UNSUPPORTED_CRITICAL_PAYLOAD or
 *   INVALID_SYNTAX Notification").
 *
 * Whether to send it at all (never for a response, only protected once an IKE SA exists) is the
 * caller's decision, RFC 7296 §2.21.
 * @public
 */
export function errorNotify(problem: WireError | RuleViolation): ErrorNotify {
  if (problem instanceof UnsupportedCriticalPayloadError) {
    return { notifyType: NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD, data: Uint8Array.of(problem.payloadType) };
  }
  if (problem instanceof InvalidMajorVersionError) {
    return { notifyType: NotifyType.INVALID_MAJOR_VERSION, data: EMPTY };
  }
  if (problem instanceof WireError) return { notifyType: NOTIFY_FOR_CODE[problem.code], data: EMPTY };
  return { notifyType: NotifyType.INVALID_SYNTAX, data: EMPTY };
}
