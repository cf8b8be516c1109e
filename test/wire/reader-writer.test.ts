import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  equalConstantTime,
  fromHex,
  isWireError,
  Reader,
  toHex,
  WireError,
  Writer,
} from "../../src/wire/index.js";

type Field =
  | { t: "u8"; v: number }
  | { t: "u16"; v: number }
  | { t: "u24"; v: number }
  | { t: "u32"; v: number }
  | { t: "u64"; v: bigint }
  | { t: "bytes"; v: Uint8Array };

const field: fc.Arbitrary<Field> = fc.oneof(
  fc.integer({ min: 0, max: 0xff }).map((v) => ({ t: "u8", v }) as const),
  fc.integer({ min: 0, max: 0xffff }).map((v) => ({ t: "u16", v }) as const),
  fc.integer({ min: 0, max: 0xffffff }).map((v) => ({ t: "u24", v }) as const),
  fc.integer({ min: 0, max: 0xffffffff }).map((v) => ({ t: "u32", v }) as const),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => ({ t: "u64", v }) as const),
  fc.uint8Array({ maxLength: 40 }).map((v) => ({ t: "bytes", v }) as const),
);

function write(w: Writer, f: Field): void {
  switch (f.t) {
    case "u8":
      w.u8(f.v);
      break;
    case "u16":
      w.u16(f.v);
      break;
    case "u24":
      w.u24(f.v);
      break;
    case "u32":
      w.u32(f.v);
      break;
    case "u64":
      w.u64(f.v);
      break;
    case "bytes":
      w.u16(f.v.length).bytes(f.v);
      break;
  }
}

function read(r: Reader, t: Field["t"]): Field {
  switch (t) {
    case "u8":
      return { t, v: r.u8() };
    case "u16":
      return { t, v: r.u16() };
    case "u24":
      return { t, v: r.u24() };
    case "u32":
      return { t, v: r.u32() };
    case "u64":
      return { t, v: r.u64() };
    case "bytes":
      return { t, v: r.sub(r.u16()).rest() };
  }
}

describe("Reader/Writer", () => {
  it("decode(encode(fields)) is the identity and consumes every byte", () => {
    fc.assert(
      fc.property(fc.array(field, { maxLength: 30 }), (fields) => {
        const w = new Writer();
        for (const f of fields) write(w, f);
        const r = new Reader(w.finish());
        const back = fields.map((f) => read(r, f.t));
        r.expectEnd();
        expect(back).toEqual(fields);
      }),
    );
  });

  it("reading a random schema over random bytes throws only WireError", () => {
    const kinds = fc.constantFrom<Field["t"]>("u8", "u16", "u24", "u32", "u64", "bytes");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(kinds, { maxLength: 20 }), (bytes, schema) => {
        const r = new Reader(bytes);
        try {
          for (const t of schema) read(r, t);
          r.expectEnd();
        } catch (e) {
          expect(isWireError(e)).toBe(true);
        }
      }),
    );
  });

  it("a sub-reader cannot read past its own bound even when the parent has more", () => {
    const r = new Reader(fromHex("0102030405060708"));
    r.u8();
    const sub = r.sub(2);
    expect(sub.u16()).toBe(0x0203);
    expect(() => sub.u8()).toThrow(WireError);
    expect(r.u8()).toBe(4);
  });

  it("reports the absolute offset and code of a truncation inside a sub-reader", () => {
    const r = new Reader(new Uint8Array(10));
    r.skip(4);
    const sub = r.sub(3);
    sub.u16();
    try {
      sub.u16();
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(WireError);
      expect((e as WireError).code).toBe("truncated");
      expect((e as WireError).offset).toBe(6);
    }
  });

  it("expectEnd reports trailing data", () => {
    const r = new Reader(new Uint8Array(3));
    r.u16();
    expect(() => r.expectEnd("x")).toThrow(/trailing-data/);
  });

  it("bytes() returns a view, copy() an independent array", () => {
    const buf = fromHex("aabbcc");
    const view = new Reader(buf).bytes(2);
    const copy = new Reader(buf).copy(2);
    buf[0] = 0;
    expect(view[0]).toBe(0);
    expect(copy[0]).toBe(0xaa);
  });

  it("a fixed-target Writer refuses to overflow with RangeError and patches lengths", () => {
    const target = new Uint8Array(6);
    const w = new Writer(target);
    const at = w.reserveU16();
    w.u32(0xdeadbeef);
    w.patchU16(at, w.length);
    expect(toHex(target)).toBe("0006deadbeef");
    expect(() => w.u8(1)).toThrow(RangeError);
  });

  it("constant-time equality agrees with plain equality", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 32 }), fc.uint8Array({ maxLength: 32 }), (a, b) => {
        expect(equalConstantTime(a, b)).toBe(toHex(a) === toHex(b));
        expect(equalConstantTime(a, a.slice())).toBe(true);
      }),
    );
  });
});
