/**
 * `ike-ts/wire`: the bounded Reader/Writer and typed errors every codec in ike-ts is built on.
 *
 * @packageDocumentation
 */
export { concat, equalConstantTime, fromHex, toHex, utf8, zeroize } from "./bytes.js";
export { isWireError, WireError, type WireErrorCode } from "./errors.js";
export { Reader } from "./reader.js";
export { Writer } from "./writer.js";
