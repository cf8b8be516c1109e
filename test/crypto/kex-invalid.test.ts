/**
 * Invalid peer key exchange values (RFC 6989 §2, RFC 5903 §7, RFC 8031 §3, RFC 7748 §6;
 * CVE-2015-3240, CVE-2023-41913): both backends refuse them with CryptoError
 * "invalid-public-key" and nothing else, and agree on every random input.
 */
import { p256, p384, p521 } from "@noble/curves/nist.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ControlPlaneCrypto, CryptoError } from "../../src/crypto/backend.js";
import { modpGroup } from "../../src/crypto/groups.js";
import { nobleControlPlane } from "../../src/crypto/noble/control-plane.js";
import { KE_GROUPS } from "../../src/crypto/registry.js";
import { nodeControlPlane } from "../../src/node/crypto-control-plane.js";
import { toHex } from "../../src/wire/bytes.js";

const BACKENDS: readonly (readonly [string, ControlPlaneCrypto])[] = [
  ["noble", nobleControlPlane],
  ["node", nodeControlPlane],
];

const MODP_IDS = KE_GROUPS.filter((g) => g.kind === "modp").map((g) => g.id);
const ECP = [
  [19, p256, 32],
  [20, p384, 48],
  [21, p521, 66],
] as const;

/** A fixed private key valid in every group: short enough for q (groups 22–24) and for n. */
function fixedPrivateKey(group: number): Uint8Array {
  const spec = KE_GROUPS.find((g) => g.id === group)!;
  const length =
    spec.kind === "modp" ? 20 : spec.kind === "ecp" ? spec.publicKeyLength / 2 : spec.publicKeyLength;
  // Leading byte 1: below every q and n (P-521 n starts 0x01ff).
  return Uint8Array.from({ length }, (_, i) => (i === 0 ? 1 : (i * 37 + group) & 0xff));
}

function bigintBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

function littleEndian(value: bigint, length: number): Uint8Array {
  return bigintBytes(value, length).reverse();
}

/** The peer value's fate: the secret in hex, or "invalid-public-key". Any other throw fails the test. */
function outcome(run: () => Uint8Array): string {
  try {
    return toHex(run());
  } catch (e) {
    if (e instanceof CryptoError && e.code === "invalid-public-key") return e.code;
    throw e;
  }
}

function expectRefused(cp: ControlPlaneCrypto, group: number, peer: Uint8Array): void {
  const kx = cp.keyExchange(group, fixedPrivateKey(group));
  expect(outcome(() => kx.computeSharedSecret(peer))).toBe("invalid-public-key");
}

/** Curve25519 u-coordinates of small order (Bernstein, "How do I validate Curve25519 public keys?"). */
const X25519_LOW_ORDER = [
  0n,
  1n,
  325606250916557431795983626356110631294008115727848805560023387167927233504n,
  39382357235489614581723060781553021112529911719440698176882885853963445705823n,
];
const P25519 = 2n ** 255n - 19n;
const P448 = 2n ** 448n - 2n ** 224n - 1n;

describe.each(BACKENDS)("%s backend refuses invalid peer values", (_, cp) => {
  it.each(MODP_IDS)("MODP %i: wrong lengths, 0, 1, p − 1, p and all-ones", (id) => {
    const { p, length } = modpGroup(id)!;
    for (const peer of [
      new Uint8Array(0),
      new Uint8Array(length - 1).fill(0x11),
      new Uint8Array(length + 1).fill(0x11),
      bigintBytes(0n, length),
      bigintBytes(1n, length),
      bigintBytes(p - 1n, length),
      bigintBytes(p, length),
      new Uint8Array(length).fill(0xff),
    ]) {
      expectRefused(cp, id, peer);
    }
  });

  it.each([22, 23, 24])("MODP %i: values outside the order-q subgroup (RFC 6989 §2.2)", (id) => {
    const { p, g, length } = modpGroup(id)!;
    // −g has order 2q (q is odd), and 2 lies outside the subgroup too.
    expectRefused(cp, id, bigintBytes(p - g, length));
    expectRefused(cp, id, bigintBytes(2n, length));
  });

  it.each(ECP)("ECP %i: wrong lengths, (0, 0), points off the curve, coordinates ≥ p", (id, curve, size) => {
    const valid = curve.getPublicKey(curve.utils.randomSecretKey(), false).subarray(1);
    const offCurve = valid.slice();
    offCurve[2 * size - 1]! ^= 0x01;
    // A point with a small x, encoded with x + p (still within the field size).
    const { Fp } = curve.Point;
    let x = 0n;
    let y: bigint | undefined;
    for (;;) {
      try {
        // y² = x³ − 3x + b (RFC 5903 §3).
        y = Fp.sqrt(Fp.create(x * x * x - 3n * x + curve.Point.CURVE().b));
        break;
      } catch {
        x++;
      }
    }
    const nonCanonical = new Uint8Array(2 * size);
    nonCanonical.set(bigintBytes(x + Fp.ORDER, size));
    nonCanonical.set(bigintBytes(y, size), size);
    for (const peer of [
      new Uint8Array(0),
      valid.subarray(1),
      new Uint8Array([...valid, 0]),
      new Uint8Array([0x04, ...valid]),
      new Uint8Array(2 * size),
      offCurve,
      nonCanonical,
    ]) {
      expectRefused(cp, id, peer);
    }
  });

  it("X25519: wrong lengths and every low-order u, also non-canonical and with the top bit set", () => {
    expectRefused(cp, 31, new Uint8Array(31).fill(9));
    expectRefused(cp, 31, new Uint8Array(33).fill(9));
    for (const u of [...X25519_LOW_ORDER, P25519 - 1n, P25519, P25519 + 1n]) {
      expectRefused(cp, 31, littleEndian(u, 32));
      const topBit = littleEndian(u, 32);
      topBit[31]! |= 0x80;
      expectRefused(cp, 31, topBit);
    }
  });

  it("X448: wrong lengths and the low-order u 0, 1, p − 1 (and p, p + 1)", () => {
    expectRefused(cp, 32, new Uint8Array(55).fill(5));
    expectRefused(cp, 32, new Uint8Array(57).fill(5));
    for (const u of [0n, 1n, P448 - 1n, P448, P448 + 1n]) expectRefused(cp, 32, littleEndian(u, 56));
  });

  it("refuses unknown groups with 'unsupported' and bad private keys with 'invalid-key'", () => {
    for (const id of [0, 3, 4, 25, 1025]) {
      expect(() => cp.keyExchange(id)).toThrow(expect.objectContaining({ code: "unsupported" }));
    }
    const p14 = modpGroup(14)!.p;
    const q24 = modpGroup(24)!.q!;
    for (const [id, key] of [
      [14, new Uint8Array(256)],
      [14, bigintBytes(p14 - 1n, 256)],
      [14, new Uint8Array(257).fill(1)],
      [24, bigintBytes(q24, 32)],
      [19, new Uint8Array(32)],
      [19, new Uint8Array(33).fill(1)],
      [19, bigintBytes(p256.Point.Fn.ORDER, 32)],
      [31, new Uint8Array(31)],
      [32, new Uint8Array(57)],
    ] as const) {
      expect(() => cp.keyExchange(id, key)).toThrow(expect.objectContaining({ code: "invalid-key" }));
    }
  });

  it.each([2, 19, 31])("group %i: computeSharedSecret after destroy() throws", (id) => {
    const kx = cp.keyExchange(id);
    const peer = cp.keyExchange(id).publicKey;
    kx.destroy();
    expect(() => kx.computeSharedSecret(peer)).toThrow(CryptoError);
  });
});

/** Random peer values: mostly of random length, sometimes of the right length. */
function peerValues(length: number): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.uint8Array({ maxLength: 2 * length + 2 }) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: length, maxLength: length }) },
  );
}

describe("random peer values: a secret or CryptoError 'invalid-public-key', the same in both backends", () => {
  it.each(KE_GROUPS.map((g) => [g.id, g.publicKeyLength] as const))("group %i", (id, length) => {
    const noble = nobleControlPlane.keyExchange(id, fixedPrivateKey(id));
    const node = nodeControlPlane.keyExchange(id, fixedPrivateKey(id));
    // The large MODP groups cost a modular exponentiation per in-range value: fewer runs.
    const numRuns = length >= 512 ? 15 : 60;
    fc.assert(
      fc.property(peerValues(length), (peer) => {
        const result = outcome(() => noble.computeSharedSecret(peer));
        expect(outcome(() => node.computeSharedSecret(peer))).toBe(result);
        if (result !== "invalid-public-key") {
          const secretLength = KE_GROUPS.find((g) => g.id === id)!.kind === "ecp" ? length / 2 : length;
          expect(result).toHaveLength(2 * secretLength);
        }
      }),
      { numRuns },
    );
  });
});
