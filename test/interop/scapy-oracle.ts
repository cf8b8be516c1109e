/**
 * Calls scapy (test/interop/scapy/ipsec_oracle.py, run by Debian's /usr/bin/python3 with
 * python3-scapy) on a batch of ESP/AH cases: one process per batch keeps the suite fast.
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checksumAdd, finishChecksum } from "../../src/ip/header.js";
import { toHex } from "../../src/wire/bytes.js";

const ORACLE = join(dirname(fileURLToPath(import.meta.url)), "scapy", "ipsec_oracle.py");
/** Debian's python (pyenv's python3 on PATH does not see Debian's scapy). */
const PYTHON = process.env.SCAPY_PYTHON ?? "/usr/bin/python3";

/** One case for the oracle; see ipsec_oracle.py for the fields. */
export interface OracleCase {
  readonly op: "encrypt" | "decrypt" | "checksum";
  readonly proto: "ESP" | "AH";
  readonly spi: number;
  readonly seq: number;
  readonly esn_en?: boolean;
  readonly esn?: number;
  readonly crypt_algo?: string;
  readonly crypt_key?: string;
  readonly crypt_icv_size?: number;
  readonly auth_algo?: string;
  readonly auth_key?: string;
  readonly tunnel: { readonly src: string; readonly dst: string } | null;
  readonly nat_t?: boolean;
  readonly iv?: string;
  readonly packet: string;
}

/** The oracle's answer for one case. */
export interface OracleResult {
  readonly ok: boolean;
  readonly packet?: string;
  readonly error?: string;
}

/** Runs a batch of cases through scapy. */
export function runOracle(cases: readonly OracleCase[]): OracleResult[] {
  const r = spawnSync(PYTHON, [ORACLE], {
    input: JSON.stringify(cases),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`scapy oracle failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as OracleResult[];
}

/** The packets with correct IP and UDP checksums, computed by scapy. */
export function withChecksums(packets: readonly Uint8Array[]): Uint8Array[] {
  const results = runOracle(
    packets.map((p) => ({ op: "checksum", proto: "ESP", spi: 0, seq: 0, tunnel: null, packet: toHex(p) })),
  );
  return results.map((r) => {
    if (!r.ok) throw new Error(`scapy checksum: ${r.error}`);
    return fromHexString(r.packet!);
  });
}

/** Hex to bytes. */
export function fromHexString(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

/** Outer tunnel endpoints used with the oracle (documentation and ULA ranges, never routed). */
export const V4_OUTER = { src: "192.0.2.10", dst: "192.0.2.20" } as const;
export const V6_OUTER = { src: "fd00::10", dst: "fd00::20" } as const;

const V4_SRC = [192, 0, 2, 10];
const V4_DST = [192, 0, 2, 20];
const V6_SRC = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10];
const V6_DST = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20];

/** Wraps `payload` (ESP, or UDP+ESP) in the outer header matching V4_OUTER / V6_OUTER. */
export function outerPacket(family: 4 | 6, protocol: number, payload: Uint8Array): Uint8Array {
  if (family === 4) {
    const p = new Uint8Array(20 + payload.length);
    p.set([0x45, 0, p.length >>> 8, p.length & 0xff, 0, 1, 0, 0, 64, protocol, 0, 0, ...V4_SRC, ...V4_DST]);
    const c = finishChecksum(checksumAdd(p, 0, 20, 0));
    p[10] = c >>> 8;
    p[11] = c & 0xff;
    p.set(payload, 20);
    return p;
  }
  const p = new Uint8Array(40 + payload.length);
  p.set([0x60, 0, 0, 0, payload.length >>> 8, payload.length & 0xff, protocol, 64, ...V6_SRC, ...V6_DST]);
  p.set(payload, 40);
  return p;
}
