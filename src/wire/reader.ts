/**
 * A bounded reader over a `Uint8Array`.
 *
 * Every read is checked against the end of the region the reader was given, never against the
 * whole datagram: a payload's own length field bounds a {@link Reader.sub} reader, and reads past
 * it throw {@link WireError} `truncated`. Slices are zero-copy `subarray` views.
 *
 * @packageDocumentation
 */
import { WireError } from "./errors.js";

/**
 * Bounded, zero-copy big-endian reader.
 * @public
 */
export class Reader {
  private readonly buf: Uint8Array;
  private readonly end: number;
  private pos: number;
  /** Offset of `buf[0]` in the outermost buffer, so errors point at the real byte. */
  private readonly base: number;

  /**
   * @param bytes - the region to read; the reader never looks outside it.
   * @param base - offset of `bytes` inside an enclosing buffer, for error messages.
   */
  constructor(bytes: Uint8Array, base = 0) {
    this.buf = bytes;
    this.pos = 0;
    this.end = bytes.length;
    this.base = base;
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Current position relative to the start of this reader's region. */
  get offset(): number {
    return this.pos;
  }

  /** Current position relative to the outermost buffer. */
  get absoluteOffset(): number {
    return this.base + this.pos;
  }

  /** True when every byte has been read. */
  get done(): boolean {
    return this.pos === this.end;
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw new WireError(
        "truncated",
        `${what} needs ${n} bytes, ${this.end - this.pos} left`,
        this.base + this.pos,
      );
    }
  }

  /** Reads one octet. */
  u8(what = "u8"): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  /** Reads a big-endian 16-bit unsigned integer. */
  u16(what = "u16"): number {
    this.need(2, what);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  /** Reads a big-endian 24-bit unsigned integer. */
  u24(what = "u24"): number {
    this.need(3, what);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 3;
    return (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!;
  }

  /** Reads a big-endian 32-bit unsigned integer. */
  u32(what = "u32"): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  /** Reads a big-endian 64-bit unsigned integer as a bigint. */
  u64(what = "u64"): bigint {
    this.need(8, what);
    const hi = this.u32(what);
    const lo = this.u32(what);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Returns the next `n` bytes as a view (no copy) and advances. */
  bytes(n: number, what = "bytes"): Uint8Array {
    if (!Number.isInteger(n) || n < 0) {
      throw new WireError("bad-length", `${what}: length ${n}`, this.base + this.pos);
    }
    this.need(n, what);
    const p = this.pos;
    this.pos = p + n;
    return this.buf.subarray(p, p + n);
  }

  /** Returns the next `n` bytes as an independent copy and advances. */
  copy(n: number, what = "bytes"): Uint8Array {
    return this.bytes(n, what).slice();
  }

  /** Returns every byte left as a view and advances to the end. */
  rest(): Uint8Array {
    const p = this.pos;
    this.pos = this.end;
    return this.buf.subarray(p, this.end);
  }

  /** Skips `n` bytes. */
  skip(n: number, what = "skip"): void {
    this.bytes(n, what);
  }

  /** Reads the next byte without advancing. */
  peekU8(what = "u8"): number {
    this.need(1, what);
    return this.buf[this.pos]!;
  }

  /**
   * A reader bounded to the next `n` bytes, which this reader then skips.
   * Use it for every length-prefixed structure so an inner length cannot reach past the outer one.
   */
  sub(n: number, what = "sub"): Reader {
    const start = this.base + this.pos;
    return new Reader(this.bytes(n, what), start);
  }

  /** Throws `trailing-data` unless every byte has been read. */
  expectEnd(what = "structure"): void {
    if (this.pos !== this.end) {
      throw new WireError(
        "trailing-data",
        `${what} has ${this.end - this.pos} unread bytes`,
        this.base + this.pos,
      );
    }
  }

  /** Throws a {@link WireError} at the current position; for decoders' semantic checks. */
  fail(code: "bad-length" | "bad-value" | "unsupported", message: string): never {
    throw new WireError(code, message, this.base + this.pos);
  }
}
