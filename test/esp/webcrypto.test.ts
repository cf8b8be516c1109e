/**
 * ESP over a real asynchronous backend: the WebCrypto data plane (Node's globalThis.crypto.subtle).
 * Packets protected asynchronously must be unprotected by the synchronous noble path and the other
 * way round, for the suites WebCrypto offers.
 */
import { describe, expect, it } from "vitest";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import { createWebCryptoDataPlane, type WebCryptoSubtle } from "../../src/crypto/webcrypto.js";
import { EspInboundSa } from "../../src/esp/inbound.js";
import type { EspSaOptions } from "../../src/esp/options.js";
import { EspOutboundSa } from "../../src/esp/outbound.js";
import { toHex } from "../../src/wire/bytes.js";
import { ipv4Packet } from "./helpers.js";

const webcrypto = createWebCryptoDataPlane(globalThis.crypto.subtle as unknown as WebCryptoSubtle);
const key = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (seed + i * 13) & 0xff);

const SUITES: readonly EspSaOptions[] = [
  { spi: 0x4001, encryption: "aes-gcm-16", encryptionKey: key(36, 1), mode: "tunnel" },
  { spi: 0x4002, encryption: "aes-gcm-12", encryptionKey: key(20, 2), mode: "tunnel", esn: true },
  {
    spi: 0x4003,
    encryption: "aes-cbc",
    encryptionKey: key(16, 3),
    integrity: "hmac-sha256-128",
    integrityKey: key(32, 4),
    mode: "tunnel",
  },
  {
    spi: 0x4004,
    encryption: "aes-ctr",
    encryptionKey: key(36, 5),
    integrity: "hmac-sha1-96",
    integrityKey: key(20, 6),
    mode: "transport",
  },
];

describe.each(SUITES.map((s) => ({ s, name: `${s.encryption} ${s.mode}` })))("ESP with WebCrypto: $name", ({
  s,
}) => {
  it("async protect -> sync unprotect, sync protect -> async unprotect, tampering dropped", async () => {
    const asyncOut = new EspOutboundSa(webcrypto, s);
    const syncIn = new EspInboundSa(nobleBackend, { ...s, replayWindow: 64 });
    const syncOut = new EspOutboundSa(nobleBackend, s);
    const asyncIn = new EspInboundSa(webcrypto, { ...s, replayWindow: 64 });
    for (let n = 0; n < 5; n++) {
      const inner = ipv4Packet(17, key(8 + n * 9, n));
      const wire = new Uint8Array(asyncOut.maxOutputLength(inner.length));
      const len = await asyncOut.protectAsync(inner, 0, inner.length, wire, 0);
      expect(typeof len).toBe("number");
      const r = syncIn.unprotect(wire, 0, len as number);
      expect(r.status).toBe("packet");
      expect(toHex(wire.subarray(r.offset, r.offset + r.length))).toBe(toHex(inner));

      const wire2 = new Uint8Array(syncOut.maxOutputLength(inner.length));
      const len2 = syncOut.protect(inner, 0, inner.length, wire2, 0) as number;
      const tampered = wire2.slice(0, len2);
      tampered[len2 - 1]! ^= 1;
      const bad = await asyncIn.unprotectAsync(tampered, 0, len2);
      expect(bad.status).toBe("dropped");
      expect(bad.reason).toBe("icv-mismatch");
      const r2 = await asyncIn.unprotectAsync(wire2, 0, len2);
      expect(r2.status).toBe("packet");
      expect(toHex(wire2.subarray(r2.offset, r2.offset + r2.length))).toBe(toHex(inner));
    }
    expect(asyncIn.counters.authFailures).toBe(5);
    for (const sa of [asyncOut, syncOut, syncIn, asyncIn]) sa.destroy();
  });
});
