import type { DataPlaneCrypto } from "../../src/crypto/backend.js";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import { checksumAdd, finishChecksum } from "../../src/ip/header.js";
import { nodeDataPlane } from "../../src/node/crypto-data-plane.js";
import { fromHex } from "../../src/wire/bytes.js";

/** Both shipped synchronous backends: every ESP test runs against each. */
export const BACKENDS: readonly DataPlaneCrypto<false>[] = [nobleBackend, nodeDataPlane];

/** Hex with spaces/newlines allowed. */
export const hex = (s: string): Uint8Array => fromHex(s);

/** A fixed IV source for reproducing published packets. */
export const fixedIv =
  (iv: Uint8Array) =>
  (out: Uint8Array): void => {
    out.set(iv);
  };

/** An IPv4 header (no options) with a correct checksum, followed by `payload`. */
export function ipv4Packet(protocol: number, payload: Uint8Array, id = 0x1234): Uint8Array {
  const p = new Uint8Array(20 + payload.length);
  p.set([0x45, 0, (p.length >>> 8) & 0xff, p.length & 0xff, id >>> 8, id & 0xff, 0, 0, 64, protocol]);
  p.set([192, 0, 2, 1, 198, 51, 100, 2], 12);
  const c = finishChecksum(checksumAdd(p, 0, 20, 0));
  p[10] = c >>> 8;
  p[11] = c & 0xff;
  p.set(payload, 20);
  return p;
}

/** An IPv6 header, optional extension headers (already chained by the caller), then `payload`. */
export function ipv6Packet(nextHeader: number, rest: Uint8Array): Uint8Array {
  const p = new Uint8Array(40 + rest.length);
  p[0] = 0x60;
  p[4] = rest.length >>> 8;
  p[5] = rest.length & 0xff;
  p[6] = nextHeader;
  p[7] = 64;
  p.set([0x20, 0x01, 0x0d, 0xb8], 8);
  p[23] = 1;
  p.set([0x20, 0x01, 0x0d, 0xb8], 24);
  p[39] = 2;
  p.set(rest, 40);
  return p;
}

/** The ESN-aware "last sequence sent" that makes the next packet carry `seq`. */
export const before = (seq: bigint): bigint => seq - 1n;
