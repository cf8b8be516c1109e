/**
 * A big-endian writer: growable by default, or bounded to a caller's buffer for zero-copy output.
 *
 * @packageDocumentation
 */

/**
 * Big-endian writer with length back-patching.
 *
 * With no argument it grows as needed (for IKE messages); given a buffer it writes into that buffer
 * and throws `RangeError` rather than grow (for the data plane, where output goes to the caller's
 * memory).
 *
 * @public
 */
export class Writer {
  private buf: Uint8Array;
  private pos = 0;
  private readonly fixed: boolean;

  /**
   * @param target - write into this buffer (never grows); omit for a growable buffer.
   */
  constructor(target?: Uint8Array) {
    this.fixed = target !== undefined;
    this.buf = target ?? new Uint8Array(256);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    if (this.fixed) {
      throw new RangeError(`Writer: ${need} bytes exceed the ${this.buf.length}-byte target buffer`);
    }
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** Writes one octet. */
  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  /** Writes a big-endian 16-bit integer. */
  u16(v: number): this {
    this.ensure(2);
    const b = this.buf;
    b[this.pos++] = (v >>> 8) & 0xff;
    b[this.pos++] = v & 0xff;
    return this;
  }

  /** Writes a big-endian 24-bit integer. */
  u24(v: number): this {
    this.ensure(3);
    const b = this.buf;
    b[this.pos++] = (v >>> 16) & 0xff;
    b[this.pos++] = (v >>> 8) & 0xff;
    b[this.pos++] = v & 0xff;
    return this;
  }

  /** Writes a big-endian 32-bit integer. */
  u32(v: number): this {
    this.ensure(4);
    const b = this.buf;
    b[this.pos++] = (v >>> 24) & 0xff;
    b[this.pos++] = (v >>> 16) & 0xff;
    b[this.pos++] = (v >>> 8) & 0xff;
    b[this.pos++] = v & 0xff;
    return this;
  }

  /** Writes a big-endian 64-bit integer. */
  u64(v: bigint): this {
    this.u32(Number((v >> 32n) & 0xffffffffn));
    return this.u32(Number(v & 0xffffffffn));
  }

  /** Copies `bytes` in. */
  bytes(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** Writes `n` zero octets. */
  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
    return this;
  }

  /**
   * Reserves a 16-bit field to fill in later with {@link Writer.patchU16}; returns its offset.
   * Typical use: a payload length that is known only after the body is written.
   */
  reserveU16(): number {
    const at = this.pos;
    this.u16(0);
    return at;
  }

  /** Reserves a 32-bit field to fill in later with {@link Writer.patchU32}; returns its offset. */
  reserveU32(): number {
    const at = this.pos;
    this.u32(0);
    return at;
  }

  /** Overwrites a 16-bit field written earlier. */
  patchU16(at: number, v: number): void {
    if (at < 0 || at + 2 > this.pos) throw new RangeError(`Writer: patch at ${at} outside written data`);
    this.buf[at] = (v >>> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }

  /** Overwrites a 32-bit field written earlier. */
  patchU32(at: number, v: number): void {
    if (at < 0 || at + 4 > this.pos) throw new RangeError(`Writer: patch at ${at} outside written data`);
    this.buf[at] = (v >>> 24) & 0xff;
    this.buf[at + 1] = (v >>> 16) & 0xff;
    this.buf[at + 2] = (v >>> 8) & 0xff;
    this.buf[at + 3] = v & 0xff;
  }

  /** The bytes written so far, as a view of the internal (or target) buffer. */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
