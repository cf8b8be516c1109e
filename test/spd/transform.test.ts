import { describe, expect, it } from "vitest";
import { isPolicyError } from "../../src/spd/errors.js";
import { formatTransformSet, parseTransformSet } from "../../src/spd/transform.js";

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isPolicyError(e)) return `${e.code} ${e.entry ?? ""}`.trim();
    throw e;
  }
  return "no error";
}

describe("IOS transform sets", () => {
  it("maps `esp-aes 256 esp-sha-hmac` (seeds/004:616, 004:936) onto the registry", () => {
    const t = parseTransformSet("aasset", "esp-aes 256 esp-sha-hmac", { mode: "transport" });
    expect(t.espCipher?.spec.name).toBe("aes-cbc");
    expect(t.espCipher?.keyBits).toBe(256);
    expect(t.espIntegrity?.name).toBe("hmac-sha1-96");
    expect(t.ah).toBeNull();
    expect(t.mode).toBe("transport");
    expect(t.legacy).toBe(false);
    expect(formatTransformSet(t)).toBe("esp-aes 256 esp-sha-hmac");
  });

  it("defaults esp-aes to 128 bits and tunnel mode (seeds/004:505, 004:617)", () => {
    const t = parseTransformSet("t", ["esp-aes", "esp-sha256-hmac"]);
    expect(t.espCipher?.keyBits).toBe(128);
    expect(t.espIntegrity?.name).toBe("hmac-sha256-128");
    expect(t.mode).toBe("tunnel");
  });

  it("accepts AH with ESP (`ah-sha-hmac esp-3des`, seeds/004:4891) when legacy is allowed", () => {
    const t = parseTransformSet("myset0", "ah-sha-hmac esp-3des", { allowLegacy: true });
    expect(t.ah?.name).toBe("hmac-sha1-96");
    expect(t.espCipher?.spec.name).toBe("3des-cbc");
    expect(t.espIntegrity).toBeNull();
    expect(t.legacy).toBe(true);
    expect(code(() => parseTransformSet("myset0", "ah-sha-hmac esp-3des"))).toBe("legacy-not-allowed myset0");
  });

  it("knows combined mode and NULL encryption", () => {
    expect(parseTransformSet("g", "esp-gcm 256").espCipher?.spec.name).toBe("aes-gcm-16");
    expect(parseTransformSet("m", "esp-gmac").espCipher?.spec.kind).toBe("gmac");
    expect(parseTransformSet("n", "esp-null esp-sha-hmac").espCipher?.spec.kind).toBe("null");
    expect(parseTransformSet("c", "esp-aes comp-lzs").compression).toBe("lzs");
  });

  it("enforces the IOS combination rules with errors naming the set", () => {
    expect(code(() => parseTransformSet("a", "esp-aes esp-3des"))).toBe("bad-transform a"); // one per row
    expect(code(() => parseTransformSet("b", "esp-sha-hmac"))).toBe("bad-transform b"); // auth without cipher
    expect(code(() => parseTransformSet("c", "esp-gcm esp-sha-hmac"))).toBe("bad-transform c");
    expect(code(() => parseTransformSet("d", "esp-null"))).toBe("bad-transform d"); // RFC 4303 §3.2
    expect(code(() => parseTransformSet("e", "esp-aes 512"))).toBe("bad-transform e");
    expect(code(() => parseTransformSet("f", "esp-seal"))).toBe("unsupported f"); // seeds/004:592
    expect(code(() => parseTransformSet("g", "esp-foo"))).toBe("bad-transform g");
    expect(code(() => parseTransformSet("h", ""))).toBe("bad-transform h");
  });

  it("allows at most four transforms (seeds/004:4754)", () => {
    const five = ["ah-sha-hmac", "esp-aes", "esp-sha-hmac", "comp-lzs", "ah-md5-hmac"];
    expect(code(() => parseTransformSet("x", five, { allowLegacy: true }))).toBe("bad-transform x");
    expect(parseTransformSet("y", five.slice(0, 4)).transforms).toHaveLength(4);
  });
});
