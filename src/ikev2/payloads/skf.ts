/**
 * Encrypted Fragment payload SKF (RFC 7383 §2.5).
 *
 * ```text
 *  Fragment Number (2) | Total Fragments (2) | IV ‖ encrypted content ‖ ICV
 * ```
 *
 * Like SK it is the last payload of its message and stays opaque here; reassembly and decryption
 * are the IKE SA's.
 *
 * @packageDocumentation
 */
import type { Reader } from "../../wire/reader.js";
import type { Writer } from "../../wire/writer.js";
import { checkRule, checkUint } from "./generic.js";

const MAX_U16 = 0xffff;

/** The Encrypted Fragment payload. @public */
export interface SkfPayload {
  /** Payload discriminant. */
  readonly type: "SKF";
  /**
   * The header's Next Payload: the first inner payload type in fragment 1, zero in the others
   * (RFC 7383 §2.5).
   */
  readonly firstPayload: number;
  /** Fragment Number, 1 … totalFragments. */
  readonly fragmentNumber: number;
  /** Total Fragments, at least 1. */
  readonly totalFragments: number;
  /** IV ‖ encrypted chunk ‖ ICV (zero-copy view on decode). */
  readonly content: Uint8Array;
}

function fragmentProblem(fragmentNumber: number, totalFragments: number): string | undefined {
  // RFC 7383 §2.5: Fragment Number "MUST NOT be zero" and "MUST be less than or equal to" Total
  // Fragments, which "MUST NOT be zero".
  if (fragmentNumber === 0) return "fragment number 0";
  if (fragmentNumber > totalFragments) return `fragment ${fragmentNumber} of ${totalFragments}`;
  return undefined;
}

/** Decodes an SKF payload body given its header's Next Payload. @public */
export function decodeSkf(r: Reader, firstPayload: number): SkfPayload {
  const fragmentNumber = r.u16("fragment number");
  const totalFragments = r.u16("total fragments");
  const problem = fragmentProblem(fragmentNumber, totalFragments);
  if (problem !== undefined) r.fail("bad-value", problem);
  return { type: "SKF", firstPayload, fragmentNumber, totalFragments, content: r.rest() };
}

/** Encodes an SKF payload body. @throws `RangeError` for fragment numbers RFC 7383 forbids. @public */
export function encodeSkf(w: Writer, skf: SkfPayload): void {
  checkUint("fragment number", skf.fragmentNumber, MAX_U16);
  checkUint("total fragments", skf.totalFragments, MAX_U16);
  checkRule("SKF payload", fragmentProblem(skf.fragmentNumber, skf.totalFragments));
  w.u16(skf.fragmentNumber).u16(skf.totalFragments).bytes(skf.content);
}
