/**
 * ESP throughput against the bare cost of its cryptography, per backend.
 *
 * For each backend, suite and inner packet size: `pps` is protect + unprotect of one tunnel-mode
 * packet through a pair of ESP SAs; `floorPps` is the same backend's bare seal + open (or
 * encrypt + MAC, MAC + decrypt) of the same number of payload bytes with prepared keys, measured
 * in the same run, interleaved round by round; `ratio` is the median over rounds of
 * pps / floorPps measured back to back. `heapBytesPerMillion` is the heap
 * retained after a run of packets (forced GC before and after), scaled to a million packets.
 */
import type { CryptoBackend } from "../src/crypto/backend.js";
import { nobleBackend } from "../src/crypto/noble/index.js";
import { encryptionByName, integrityByName } from "../src/crypto/registry.js";
import { EspInboundSa } from "../src/esp/inbound.js";
import { EspOutboundSa } from "../src/esp/outbound.js";
import { nodeBackend } from "../src/node/backend.js";
import { heapGrowth, opsPerSecond } from "./measure.js";
import { ipv4Packet } from "./packets.js";

interface Suite {
  readonly label: string;
  readonly encryption: string;
  readonly keyBytes: number;
  readonly integrity?: string;
}

const SUITES: readonly Suite[] = [
  { label: "aes128gcm16", encryption: "aes-gcm-16", keyBytes: 16 },
  { label: "aes256gcm16", encryption: "aes-gcm-16", keyBytes: 32 },
  { label: "chacha20poly1305", encryption: "chacha20-poly1305", keyBytes: 32 },
  { label: "aes128-sha256", encryption: "aes-cbc", keyBytes: 16, integrity: "hmac-sha256-128" },
];
const SIZES = [64, 512, 1400, 8192] as const;
const BACKENDS: readonly CryptoBackend[] = [nodeBackend, nobleBackend];

/** One result row (bench/results/esp.json). */
export interface EspBenchRow {
  algorithm: string;
  backend: string;
  size: number;
  pps: number;
  floorPps: number;
  ratio: number;
  heapBytesPerMillion: number | null;
}

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** protect + unprotect of one packet through an SA pair; returns a loop over n packets. */
function espLoop(backend: CryptoBackend, suite: Suite, size: number): (n: number) => void {
  const enc = encryptionByName(suite.encryption)!;
  const integ = suite.integrity ? integrityByName(suite.integrity) : undefined;
  const options = {
    spi: 0x1000,
    encryption: enc,
    encryptionKey: bytes(suite.keyBytes + enc.saltLength, 1),
    mode: "tunnel" as const,
    ...(integ ? { integrity: integ, integrityKey: bytes(integ.keyLength, 2) } : {}),
  };
  const out = new EspOutboundSa(backend, options);
  const inb = new EspInboundSa(backend, { ...options, replayWindow: 64 });
  const inner = ipv4Packet(size);
  const wire = new Uint8Array(out.maxOutputLength(size));
  return (n) => {
    for (let i = 0; i < n; i++) {
      const len = out.protect(inner, 0, size, wire, 0);
      if (typeof len !== "number") throw new Error(`protect: ${len}`);
      const r = inb.unprotect(wire, 0, len);
      if (r.status !== "packet") throw new Error(`unprotect: ${r.reason}`);
    }
  };
}

/** The bare crypto of the same payload: encrypt + authenticate, then verify + decrypt. */
function floorLoop(backend: CryptoBackend, suite: Suite, size: number): (n: number) => void {
  const enc = encryptionByName(suite.encryption)!;
  const align = Math.max(enc.blockSize, 4);
  const payload = size + ((align - ((size + 2) % align)) % align) + 2; // RFC 4303 §2.4 padding
  const data = bytes(payload, 3);
  const header = bytes(8 + enc.ivLength, 4);
  if (enc.kind === "aead") {
    const key = backend.aead(enc.primitive as "aes-gcm", bytes(suite.keyBytes, 1), enc.icvLength);
    const nonce = bytes(12, 5);
    const aad = header.subarray(0, 8);
    const tag = new Uint8Array(enc.icvLength);
    return (n) => {
      for (let i = 0; i < n; i++) {
        key.seal(nonce, aad, data, tag);
        if (!key.open(nonce, aad, data, tag)) throw new Error("floor: open failed");
      }
    };
  }
  const integ = integrityByName(suite.integrity!)!;
  const cipher = backend.cipher(enc.primitive as "aes-cbc", bytes(suite.keyBytes, 1));
  const mac = backend.mac(integ.mac!, bytes(integ.keyLength, 2));
  const iv = header.subarray(8);
  const parts = [header, data];
  const icv = new Uint8Array(integ.icvLength);
  const check = new Uint8Array(integ.icvLength);
  return (n) => {
    for (let i = 0; i < n; i++) {
      cipher.encrypt(iv, data);
      mac.compute(parts, icv);
      mac.compute(parts, check);
      cipher.decrypt(iv, data);
    }
  };
}

/** Runs the ESP benchmark. */
export async function run({ quick }: { quick: boolean }): Promise<EspBenchRow[]> {
  const minMs = quick ? 25 : 150;
  const rounds = quick ? 7 : 15;
  const rows: EspBenchRow[] = [];
  for (const backend of BACKENDS) {
    for (const suite of SUITES) {
      for (const size of SIZES) {
        const esp = espLoop(backend, suite, size);
        const floor = floorLoop(backend, suite, size);
        esp(200); // warm up both paths before measuring
        floor(200);
        // Interleave so that machine load affects both figures alike.
        const espRates: number[] = [];
        const floorRates: number[] = [];
        for (let r = 0; r < rounds; r++) {
          floorRates.push(opsPerSecond(floor, minMs, 1));
          espRates.push(opsPerSecond(esp, minMs, 1));
        }
        const pps = median(espRates);
        const floorPps = median(floorRates);
        // Each ESP round runs right after its floor round: the median of the per-pair ratios is
        // far less sensitive to load from other processes than a ratio of medians.
        const ratio = median(espRates.map((e, i) => e / floorRates[i]!));
        const heapPackets = Math.min(quick ? 20_000 : 200_000, Math.ceil(pps * (quick ? 0.3 : 2)));
        const growth = heapGrowth(esp, heapPackets);
        rows.push({
          algorithm: suite.label,
          backend: backend.name,
          size,
          pps: Math.round(pps),
          floorPps: Math.round(floorPps),
          ratio: Number(ratio.toFixed(3)),
          heapBytesPerMillion: growth === null ? null : Math.round((growth / heapPackets) * 1e6),
        });
      }
    }
  }
  return rows;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
