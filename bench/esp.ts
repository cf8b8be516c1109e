/**
 * ESP throughput against the bare cost of its cryptography, per backend.
 *
 * For each backend, suite and inner packet size: `pps` is protect + unprotect of one tunnel-mode
 * packet through a pair of ESP SAs, in place; `floorPps` is the same backend's bare seal + open (or
 * encrypt + MAC, MAC check + decrypt) of the bytes ESP encrypts and authenticates (payload,
 * RFC 4303 padding and trailer; SPI and sequence number as AAD or MAC input), with one prepared
 * key per direction as an SA pair has, and a new nonce or IV for every packet as ESP needs (a
 * fixed nonce would let the floor run on warmer caches than any real traffic). Both are measured in the
 * same run in alternating slices of a few milliseconds: `floorPps` is the median of the floor's
 * slice rates, `ratio` the median over rounds of ESP's slice rate over the floor's in the same
 * round, and `pps = ratio × floorPps`, ESP's rate at the floor's median speed (this machine's speed
 * drifts too much for two separately taken medians to be compared; see `interleavedRounds`).
 * `heapBytesPerMillion` is the heap retained after a run of packets (forced GC before and after),
 * scaled to a million packets.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { CryptoBackend } from "../src/crypto/backend.js";
import { nobleBackend } from "../src/crypto/noble/index.js";
import { sharedRandom } from "../src/crypto/random-pool.js";
import { encryptionByName, integrityByName } from "../src/crypto/registry.js";
import { EspInboundSa } from "../src/esp/inbound.js";
import { EspOutboundSa } from "../src/esp/outbound.js";
import { espAlignment, padLength, TRAILER_LENGTH } from "../src/esp/padding.js";
import { nodeBackend } from "../src/node/backend.js";
import { equalConstantTime } from "../src/wire/bytes.js";
import { heapGrowth, interleavedRounds, median } from "./measure.js";
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
/** Slices short enough for a quick run to have dozens of rounds to take medians over. */
const SLICE_MS = 3;

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

/**
 * protect + unprotect of one packet through an SA pair, in place as a data plane with headroom
 * runs ESP (and as the floor's crypto works): the inner packet sits behind `headroom` free bytes,
 * `protect` builds the ESP packet around it in the same buffer and `unprotect` leaves the
 * decrypted inner packet where it started. Returns a loop over n packets.
 */
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
  const at = out.headroom;
  const buf = new Uint8Array(out.maxOutputLength(size));
  buf.set(ipv4Packet(size), at);
  return (n) => {
    for (let i = 0; i < n; i++) {
      const len = out.protect(buf, at, at + size, buf, 0);
      if (typeof len !== "number") throw new Error(`protect: ${len}`);
      const r = inb.unprotect(buf, 0, len);
      if (r.status !== "packet" || r.offset !== at) throw new Error(`unprotect: ${r.reason}`);
    }
  };
}

/**
 * The bare crypto of the same bytes: encrypt + authenticate with the sender's keys, then verify +
 * decrypt with the receiver's, the nonce or IV changing per packet as ESP's does (a counter for
 * the AEADs, random for CBC).
 */
function floorLoop(backend: CryptoBackend, suite: Suite, size: number): (n: number) => void {
  const enc = encryptionByName(suite.encryption)!;
  // RFC 4303 §2.4: the payload, its padding and the trailer, aligned as the SA aligns them.
  const payload = size + padLength(size, espAlignment(enc)) + TRAILER_LENGTH;
  // SPI, sequence number and IV, then the payload: contiguous as in the packet, because the MAC
  // reads them in one piece and a hash's speed depends on how its input is split.
  const packet = bytes(8 + enc.ivLength + payload, 4);
  const header = packet.subarray(0, 8 + enc.ivLength);
  const data = packet.subarray(header.length);
  const headerView = new DataView(packet.buffer);
  let seq = 0;
  if (enc.kind === "aead") {
    const prepare = () => backend.aead(enc.primitive as "aes-gcm", bytes(suite.keyBytes, 1), enc.icvLength);
    const sender = prepare();
    const receiver = prepare();
    const nonce = bytes(12, 5);
    const nonceView = new DataView(nonce.buffer);
    const aad = header.subarray(0, 8);
    const tag = new Uint8Array(enc.icvLength);
    return (n) => {
      for (let i = 0; i < n; i++) {
        seq = (seq + 1) >>> 0;
        nonceView.setUint32(8, seq); // salt ‖ IV, the IV being the sequence counter (RFC 4106 §3.1)
        headerView.setUint32(4, seq);
        sender.seal(nonce, aad, data, tag);
        if (!receiver.open(nonce, aad, data, tag)) throw new Error("floor: open failed");
      }
    };
  }
  const integ = integrityByName(suite.integrity!)!;
  const prepareCipher = () => backend.cipher(enc.primitive as "aes-cbc", bytes(suite.keyBytes, 1));
  const prepareMac = () => backend.mac(integ.mac!, bytes(integ.keyLength, 2));
  const [encryptor, decryptor] = [prepareCipher(), prepareCipher()];
  const [signer, verifier] = [prepareMac(), prepareMac()];
  const iv = header.subarray(8);
  // RFC 3602 §3: a CBC IV is unpredictable, so encryption includes drawing one, here from the
  // pooled CSPRNG an SA uses by default (a counter would not be CBC as ESP may use it).
  const parts = [packet];
  const icv = new Uint8Array(integ.icvLength);
  const check = new Uint8Array(integ.icvLength);
  return (n) => {
    for (let i = 0; i < n; i++) {
      seq = (seq + 1) >>> 0;
      headerView.setUint32(4, seq);
      sharedRandom(iv);
      encryptor.encrypt(iv, data);
      signer.compute(parts, icv);
      // Verifying a MAC is computing it and comparing in constant time, as an AEAD's open does.
      verifier.compute(parts, check);
      if (!equalConstantTime(check, icv)) throw new Error("floor: MAC mismatch");
      decryptor.decrypt(iv, data);
    }
  };
}

/** Measures every size of one backend and suite (in the current process). */
function measureGroup(backend: CryptoBackend, suite: Suite, quick: boolean): EspBenchRow[] {
  const totalMs = quick ? 500 : 2000;
  // Untimed, interleaved as measured: the JIT takes 100-200 ms of a fresh process to settle both
  // paths (the ESP path, having more functions to optimise, later than the floor's bare calls).
  const warmMs = quick ? 250 : 500;
  return SIZES.map((size) => {
    const esp = espLoop(backend, suite, size);
    const floor = floorLoop(backend, suite, size);
    interleavedRounds([floor, esp], SLICE_MS, warmMs);
    const [floorRates, espRates] = interleavedRounds([floor, esp], SLICE_MS, totalMs) as [number[], number[]];
    const floorPps = median(floorRates);
    const ratio = median(espRates.map((r, i) => r / floorRates[i]!));
    const pps = ratio * floorPps;
    const heapPackets = Math.min(quick ? 20_000 : 200_000, Math.ceil(pps * (quick ? 0.2 : 2)));
    const growth = heapGrowth(esp, heapPackets);
    return {
      algorithm: suite.label,
      backend: backend.name,
      size,
      pps: Math.round(pps),
      floorPps: Math.round(floorPps),
      ratio: Number(ratio.toFixed(3)),
      heapBytesPerMillion: growth === null ? null : Math.round((growth / heapPackets) * 1e6),
    };
  });
}

/**
 * Runs the ESP benchmark. Each backend and suite is measured in a child process of its own, as
 * JMH forks per benchmark: in one process the ESP code would have been trained on every backend
 * and algorithm before (polymorphic call sites into the backend, other inlining), unlike an SA's
 * steady state and unlike the floor's own loop, which sees only its own keys.
 */
export async function run({ quick }: { quick: boolean }): Promise<EspBenchRow[]> {
  const rows: EspBenchRow[] = [];
  for (const backend of BACKENDS) {
    for (const suite of SUITES) {
      const child = spawnSync(
        process.execPath,
        [
          ...process.execArgv,
          fileURLToPath(import.meta.url),
          backend.name,
          suite.label,
          quick ? "quick" : "full",
        ],
        { encoding: "utf8", maxBuffer: 1 << 20 },
      );
      if (child.status !== 0) throw new Error(`esp bench ${backend.name} ${suite.label}: ${child.stderr}`);
      rows.push(...(JSON.parse(child.stdout) as EspBenchRow[]));
    }
  }
  return rows;
}

// As a child process: `esp.ts <backend> <suite> quick|full` prints that group's rows as JSON.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [backendName, label, speed] = process.argv.slice(2);
  const backend = BACKENDS.find((b) => b.name === backendName);
  const suite = SUITES.find((s) => s.label === label);
  if (backend === undefined || suite === undefined) throw new Error(`unknown case ${backendName} ${label}`);
  process.stdout.write(JSON.stringify(measureGroup(backend, suite, speed === "quick")));
}
