/**
 * Resolved configurations are shared by the sessions of one configuration object, and one changed
 * in place (a property set, a proposal or selector added, a nested option changed) is resolved
 * anew; identities are encoded once per configuration object and value.
 */
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/ikev2/session/config.js";
import { idPayload } from "../../../src/ikev2/session/identity.js";
import type { IdentityConfig, IkeSessionConfig } from "../../../src/ikev2/session/types.js";
import { toHex } from "../../../src/wire/bytes.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function config(): Mutable<IkeSessionConfig> {
  return {
    localId: { type: "fqdn", value: "a.example" },
    localAddress: "192.0.2.1",
    remote: { address: "192.0.2.2", port: 500 },
    ikeProposals: ["aes256gcm16-prfsha256-x25519"],
    espProposals: ["aes256gcm16"],
    localTs: ["198.51.100.0/24"],
    remoteTs: ["203.0.113.0/24"],
    retransmit: { timeoutMs: 500, tries: 3 },
  };
}

describe("resolveConfig", () => {
  it("resolves the same, unchanged object once", () => {
    const c = config();
    expect(resolveConfig(c)).toBe(resolveConfig(c));
    // An equal but distinct object is resolved on its own.
    expect(resolveConfig({ ...c })).not.toBe(resolveConfig(c));
    expect(resolveConfig({ ...c })).toEqual(resolveConfig(c));
  });

  it("notices a property set in place", () => {
    const c = config();
    const before = resolveConfig(c);
    c.windowSize = 4;
    const after = resolveConfig(c);
    expect(after).not.toBe(before);
    expect(after.windowSize).toBe(4);
    expect(before.windowSize).toBe(1);
  });

  it("notices proposals and selectors added, and nested options changed", () => {
    const c = config();
    const ike = c.ikeProposals as string[];
    const localTs = c.localTs as string[];
    const retransmit = c.retransmit as { timeoutMs?: number; tries?: number };
    const first = resolveConfig(c);
    ike.push("aes128gcm16-prfsha256-ecp256");
    const second = resolveConfig(c);
    expect(second).not.toBe(first);
    expect(second.ikeProposals).toHaveLength(2);
    localTs.push("198.51.101.0/24");
    const third = resolveConfig(c);
    expect(third.localTs).toHaveLength(2);
    retransmit.tries = 7;
    const fourth = resolveConfig(c);
    expect(fourth).not.toBe(third);
    expect(fourth.retransmitTries).toBe(7);
    expect(resolveConfig(c)).toBe(fourth);
  });

  it("reads properties as resolving does, getters included", () => {
    let window = 2;
    const base = config();
    const c = Object.create(
      {
        get windowSize() {
          return window;
        },
      },
      Object.getOwnPropertyDescriptors(base),
    ) as IkeSessionConfig;
    expect(resolveConfig(c).windowSize).toBe(2);
    window = 3;
    expect(resolveConfig(c).windowSize).toBe(3);
  });

  it("throws for an unusable configuration every time, and resolves it once repaired", () => {
    const c = config();
    c.espProposals = [];
    expect(() => resolveConfig(c)).toThrow(RangeError);
    expect(() => resolveConfig(c)).toThrow(RangeError);
    c.espProposals = ["aes128gcm16"];
    expect(resolveConfig(c).espProposals).toHaveLength(1);
  });
});

describe("idPayload", () => {
  it("encodes a text identity again when its value changes", () => {
    const id: Mutable<IdentityConfig> = { type: "fqdn", value: "a.example" };
    expect(toHex(idPayload("IDi", id).data)).toBe(toHex(new TextEncoder().encode("a.example")));
    expect(idPayload("IDi", id).data).toBe(idPayload("IDr", id).data);
    id.value = "b.example";
    expect(toHex(idPayload("IDi", id).data)).toBe(toHex(new TextEncoder().encode("b.example")));
  });
});
