/**
 * Shared AH test fixtures: the algorithms, SA pairs, and an asynchronous wrapper around the noble
 * data plane (a stand-in for WebCrypto or a hardware engine).
 */
import fc from "fast-check";
import { AhInboundSa } from "../../src/ah/inbound.js";
import { AhOutboundSa } from "../../src/ah/outbound.js";
import type { AhTunnel } from "../../src/ah/tunnel.js";
import type { AeadKey, CipherKey, DataPlaneCrypto, MacKey } from "../../src/crypto/backend.js";
import { nobleDataPlane } from "../../src/crypto/noble/data-plane.js";
import { INTEGRITY } from "../../src/crypto/registry.js";

/** Every integrity transform AH offers, by registry name. */
export const ALGORITHMS = INTEGRITY.map((s) => s.name);

export function keyLength(name: string): number {
  return INTEGRITY.find((s) => s.name === name)!.keyLength;
}

export function testKey(name: string, seed = 1): Uint8Array {
  return Uint8Array.from({ length: keyLength(name) }, (_, i) => (i * 29 + seed) & 0xff);
}

export const SPI = 0x1000_0001;

export const TUNNEL4: AhTunnel = {
  source: Uint8Array.of(192, 0, 2, 1),
  destination: Uint8Array.of(192, 0, 2, 2),
};
export const TUNNEL6: AhTunnel = {
  source: Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 0x20 : i === 15 ? 1 : 0)),
  destination: Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 0x20 : i === 15 ? 2 : 0)),
};

export interface PairOptions {
  mode?: "transport" | "tunnel";
  esn?: boolean;
  tunnel?: AhTunnel;
  lastSequence?: bigint;
  replayWindow?: number;
}

/** A matching outbound/inbound pair on the synchronous noble backend. */
export function pair(
  algorithm: string,
  o: PairOptions = {},
  backend: DataPlaneCrypto<false> = nobleDataPlane,
): [AhOutboundSa, AhInboundSa] {
  const mode = o.mode ?? "transport";
  const common = {
    spi: SPI,
    integrity: algorithm,
    key: testKey(algorithm),
    mode,
    esn: o.esn ?? false,
    allowLegacy: true,
  };
  return [
    new AhOutboundSa(backend, {
      ...common,
      ...(mode === "tunnel" && { tunnel: o.tunnel ?? TUNNEL4 }),
      ...(o.lastSequence !== undefined && { lastSequence: o.lastSequence }),
    }),
    new AhInboundSa(backend, {
      ...common,
      ...(o.replayWindow !== undefined && { replayWindow: o.replayWindow }),
    }),
  ];
}

/** Protects `p` into a fresh buffer; returns the protected packet (a copy) or the drop reason. */
export function protect(out: AhOutboundSa, p: Uint8Array): Uint8Array | string {
  const buf = new Uint8Array(out.headroom + p.length);
  buf.set(p, out.headroom);
  const r = out.protect(buf, out.headroom, buf.length);
  return typeof r === "string" ? r : buf.slice(r);
}

/** Unprotects a copy of `p`; returns the result packet or the drop reason. */
export function unprotect(inb: AhInboundSa, p: Uint8Array): Uint8Array | string {
  const buf = p.slice();
  const r = inb.unprotect(buf, 0, buf.length);
  return typeof r === "string" ? r : buf.slice(r);
}

/** Yields to the event loop, so that concurrent operations interleave. */
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * The noble data plane behind promises (for AH, and ESP in bundles): each operation waits a
 * macrotask, then runs. Inputs are read only after the wait, like a backend that copies lazily, so
 * a caller that reuses buffers across overlapping operations would be caught.
 */
export function asyncBackend(inner: DataPlaneCrypto<false> = nobleDataPlane): DataPlaneCrypto<true> & {
  destroyed: number;
} {
  const backend = {
    name: "async-noble",
    async: true as const,
    destroyed: 0,
    aead(algorithm, key, tagLength): AeadKey<true> {
      const k = inner.aead(algorithm, key, tagLength);
      return {
        algorithm,
        tagLength,
        async seal(nonce, aad, data, tag) {
          await tick();
          k.seal(nonce, aad, data, tag);
        },
        async open(nonce, aad, data, tag) {
          await tick();
          return k.open(nonce, aad, data, tag);
        },
        destroy() {
          backend.destroyed++;
          k.destroy();
        },
      };
    },
    cipher(algorithm, key): CipherKey<true> {
      const k = inner.cipher(algorithm, key);
      return {
        algorithm,
        blockSize: k.blockSize,
        async encrypt(iv, data) {
          await tick();
          k.encrypt(iv, data);
        },
        async decrypt(iv, data) {
          await tick();
          k.decrypt(iv, data);
        },
        destroy() {
          backend.destroyed++;
          k.destroy();
        },
      };
    },
    mac(algorithm, key): MacKey<true> {
      const k = inner.mac(algorithm, key);
      return {
        algorithm,
        outputLength: k.outputLength,
        async compute(parts, out) {
          await tick();
          k.compute(parts, out);
        },
        destroy() {
          backend.destroyed++;
          k.destroy();
        },
      };
    },
  } satisfies DataPlaneCrypto<true> & { destroyed: number };
  return backend;
}

/** fast-check settings: the shared 2-core CI budget. */
export const RUNS = { numRuns: 60 };

export const algorithm = fc.constantFrom(...ALGORITHMS);
