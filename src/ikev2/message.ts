/**
 * A whole IKEv2 message: IKE header (RFC 7296 §3.1) and payload chain (§3.2).
 *
 * {@link decodeMessage} throws only {@link WireError} (or its subclasses
 * {@link InvalidMajorVersionError} and {@link UnsupportedCriticalPayloadError}) for any input, so a
 * receive path needs one `catch` and {@link errorNotify} to know what to answer.
 *
 * @packageDocumentation
 */
import { WireError } from "../wire/errors.js";
import { Reader } from "../wire/reader.js";
import { Writer } from "../wire/writer.js";
import {
  type ChainOptions,
  decodePayloadChain,
  encodePayloadChain,
  type Payload,
  payloadTypeOf,
} from "./chain.js";
import { PayloadType } from "./constants.js";
import { decodeHeader, encodeHeader, HEADER_LENGTH_OFFSET, type IkeHeader } from "./header.js";

/** A decoded or to-be-encoded IKEv2 message. @public */
export interface IkeMessage {
  /** Header fields (Next Payload and Length are derived). */
  readonly header: IkeHeader;
  /**
   * The payloads in order. An SK or SKF payload, if any, is last and opaque; its contents are
   * decoded after decryption with {@link decodeInnerPayloads}.
   */
  readonly payloads: readonly Payload[];
}

/**
 * Decodes one IKEv2 message from a datagram (for UDP 4500, after the non-ESP marker is removed).
 *
 * Checks, in order: at least 28 octets; major version 2 ({@link InvalidMajorVersionError},
 * RFC 7296 §2.5); header Length equal to the datagram length (§3.1 "Length of the total message
 * (header + payloads)"); initiator SPI not zero (§3.1); then the payload chain, with at most
 * `options.maxPayloads` payloads, unknown non-critical payloads kept as {@link UnknownPayload} and
 * unknown critical ones rejected ({@link UnsupportedCriticalPayloadError}, §2.5).
 *
 * Byte fields of the result are views into `datagram`.
 *
 * @throws `WireError` (or a subclass) and nothing else.
 * @public
 */
export function decodeMessage(datagram: Uint8Array, options: ChainOptions = {}): IkeMessage {
  const r = new Reader(datagram);
  const { header, nextPayload, length } = decodeHeader(r);
  if (length !== datagram.length) {
    throw new WireError(
      "bad-length",
      `IKE header length ${length}, datagram ${datagram.length} octets`,
      HEADER_LENGTH_OFFSET,
    );
  }
  const payloads = decodePayloadChain(r, nextPayload, true, options);
  return { header, payloads };
}

/**
 * Encodes a message, computing the header's Next Payload and Length and every payload header.
 * @throws `RangeError` / `TypeError` for values that cannot be encoded (see each payload encoder).
 * @public
 */
export function encodeMessage(message: IkeMessage): Uint8Array {
  const w = new Writer();
  const first = message.payloads[0];
  const lengthAt = encodeHeader(
    w,
    message.header,
    first === undefined ? PayloadType.NONE : payloadTypeOf(first),
  );
  encodePayloadChain(w, message.payloads);
  w.patchU32(lengthAt, w.length);
  return w.finish();
}
