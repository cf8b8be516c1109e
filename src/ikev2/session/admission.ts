/**
 * Admission of new IKE SAs at a responder (RFC 7296 §2.21, §2.6): a datagram that may open an
 * IKE SA is decoded and checked — header, payload rules, cookie, proposals, KE — before any
 * state exists. The outcome is a drop, a stateless error reply, or the context of a new IKE SA.
 *
 * @packageDocumentation
 */
import { equalConstantTime } from "../../wire/bytes.js";
import { WireError } from "../../wire/errors.js";
import { ExchangeType, exchangeName, NotifyType, notifyName } from "../constants.js";
import { errorNotify } from "../errors.js";
import { HEADER_LENGTH } from "../header.js";
import { decodeMessage, type IkeMessage } from "../message.js";
import { checkRules, describeViolation } from "../rules.js";
import type { ResolvedConfig } from "./config.js";
import type { IkeSaContext } from "./context.js";
import type { IkeResponderGuard } from "./cookie.js";
import { answerIkeSaInit, initErrorResponse } from "./tasks/ike-sa-init.js";
import type { Endpoint, IkeSessionDeps, LocalEndpoint } from "./types.js";

/** What to do with a datagram that may open an IKE SA. @internal */
export type Admission =
  | { readonly kind: "drop" }
  | { readonly kind: "reply"; readonly response: Uint8Array }
  | { readonly kind: "accept"; readonly ctx: IkeSaContext; readonly response: Uint8Array };

const ZERO_SPI = new Uint8Array(8);
/** RFC 7296 §3.1: offsets of Exchange Type, Flags and Message ID in the fixed header. */
const EXCHANGE_OFFSET = 18;
const FLAGS_OFFSET = 19;
const MESSAGE_ID_OFFSET = 20;
const RESPONSE_FLAG = 0x20;

/**
 * The unprotected error answer to an IKE_SA_INIT request that does not decode, when its fixed
 * header is readable and names an IKE_SA_INIT request (RFC 7296 §2.21.1, §2.5); else nothing.
 */
function malformedInitResponse(raw: Uint8Array, error: WireError): Uint8Array | undefined {
  if (raw.length < HEADER_LENGTH) return undefined;
  const spiI = raw.subarray(0, 8);
  const isRequest = (raw[FLAGS_OFFSET]! & RESPONSE_FLAG) === 0;
  const messageIdZero = raw.subarray(MESSAGE_ID_OFFSET, MESSAGE_ID_OFFSET + 4).every((b) => b === 0);
  if (
    raw[EXCHANGE_OFFSET] !== ExchangeType.IKE_SA_INIT ||
    !isRequest ||
    !messageIdZero ||
    spiI.every((b) => b === 0)
  ) {
    return undefined;
  }
  const n = errorNotify(error);
  return initErrorResponse(spiI.slice(), n.notifyType, n.data);
}

/**
 * Screens a datagram that may open an IKE SA: decode errors are answered with the notify they
 * map to, anything but an IKE_SA_INIT request with message ID 0 and a zero SPIr is dropped, a
 * rule violation is INVALID_SYNTAX, and the rest goes to {@link answerIkeSaInit}.
 * @internal
 */
export function admitIkeSaInit(
  datagram: Uint8Array,
  from: Endpoint,
  to: LocalEndpoint,
  config: ResolvedConfig,
  deps: IkeSessionDeps,
  now: number,
  guard: IkeResponderGuard | undefined,
): Admission {
  const log = deps.logger;
  let message: IkeMessage;
  try {
    message = decodeMessage(datagram);
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    log?.debug(`IKE_SA_INIT from ${from.address}: ${e.message}`);
    const response = malformedInitResponse(datagram, e);
    return response === undefined ? { kind: "drop" } : { kind: "reply", response };
  }
  const h = message.header;
  if (
    h.exchangeType !== ExchangeType.IKE_SA_INIT ||
    h.response ||
    !h.initiator ||
    h.messageId !== 0 ||
    !equalConstantTime(h.spiR, ZERO_SPI)
  ) {
    log?.debug(
      `dropping ${exchangeName(h.exchangeType)} from ${from.address}: not a new IKE_SA_INIT request`,
    );
    return { kind: "drop" };
  }
  const rules = checkRules(message, ExchangeType.IKE_SA_INIT, false);
  if (!rules.ok) {
    log?.info(`IKE_SA_INIT from ${from.address}: ${describeViolation(rules.violation)}`);
    return { kind: "reply", response: initErrorResponse(h.spiI, NotifyType.INVALID_SYNTAX) };
  }
  const answer = answerIkeSaInit(message, datagram, from, to, config, deps, now, guard);
  if (answer.kind === "reject") {
    log?.info(`IKE_SA_INIT from ${from.address}: answering ${notifyName(answer.notifyType)}`);
    return { kind: "reply", response: answer.response };
  }
  return answer;
}
