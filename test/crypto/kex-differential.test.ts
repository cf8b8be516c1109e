/**
 * Differential key exchange: the pure backend and the `node:crypto` backend derive the same
 * public values and shared secrets in every group, from fixed private keys and from fresh ones.
 */
import { describe, expect, it } from "vitest";
import { nobleControlPlane as noble } from "../../src/crypto/noble/control-plane.js";
import { KE_GROUPS } from "../../src/crypto/registry.js";
import { nodeControlPlane as node } from "../../src/node/crypto-control-plane.js";
import { toHex } from "../../src/wire/bytes.js";

/** Private keys: MODP exponents of 20 bytes (below every q), ECP the field size, X25519/X448 raw. */
function privateKey(group: number, seed: number): Uint8Array {
  const spec = KE_GROUPS.find((g) => g.id === group)!;
  const length =
    spec.kind === "modp" ? 20 : spec.kind === "ecp" ? spec.publicKeyLength / 2 : spec.publicKeyLength;
  // Leading byte 1 keeps the value below every subgroup order q and curve order n.
  return Uint8Array.from({ length }, (_, i) => (i === 0 ? 1 : (i * 131 + seed * 17 + group) & 0xff));
}

function secretLength(group: number): number {
  const spec = KE_GROUPS.find((g) => g.id === group)!;
  return spec.kind === "ecp" ? spec.publicKeyLength / 2 : spec.publicKeyLength;
}

describe("noble and node backends agree", () => {
  it.each(
    KE_GROUPS.map((g) => g.id),
  )("group %i: same public values and secrets from fixed private keys", (id) => {
    const a = privateKey(id, 1);
    const b = privateKey(id, 2);
    const nobleA = noble.keyExchange(id, a);
    const nodeA = node.keyExchange(id, a);
    const nobleB = noble.keyExchange(id, b);
    const nodeB = node.keyExchange(id, b);
    expect(toHex(nodeA.publicKey)).toBe(toHex(nobleA.publicKey));
    expect(toHex(nodeB.publicKey)).toBe(toHex(nobleB.publicKey));
    expect(nobleA.publicKey).toHaveLength(KE_GROUPS.find((g) => g.id === id)!.publicKeyLength);
    const secret = toHex(nobleA.computeSharedSecret(nobleB.publicKey));
    expect(secret).toHaveLength(2 * secretLength(id));
    expect(toHex(nodeA.computeSharedSecret(nodeB.publicKey))).toBe(secret);
    expect(toHex(nobleB.computeSharedSecret(nodeA.publicKey))).toBe(secret);
    expect(toHex(nodeB.computeSharedSecret(nobleA.publicKey))).toBe(secret);
  });

  it.each(KE_GROUPS.map((g) => g.id))("group %i: fresh key pairs interoperate across backends", (id) => {
    const a = noble.keyExchange(id);
    const b = node.keyExchange(id);
    expect(a.group).toBe(id);
    expect(b.group).toBe(id);
    expect(toHex(a.publicKey)).not.toBe(toHex(b.publicKey));
    expect(toHex(a.computeSharedSecret(b.publicKey))).toBe(toHex(b.computeSharedSecret(a.publicKey)));
    a.destroy();
    b.destroy();
  });
});
