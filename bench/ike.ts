/**
 * IKEv2 SA setup rate against the bare cost of its cryptography (node backend).
 *
 * One setup: a fresh initiator and a fresh responder `IkeSession` in process, PSK, X25519,
 * AES-256-GCM (IKE and ESP), PRF HMAC-SHA256; IKE_SA_INIT and IKE_AUTH with one Child SA,
 * datagrams passed from one session's output to the other's input. Every setup is checked: both
 * sides must report `ike-sa-up` and `child-sa-up` (else the benchmark throws, so a broken setup
 * cannot be measured as a fast one).
 *
 * The floor is the same backend's bare cost of the cryptography both sides perform, done
 * directly on the primitives, per setup: two random nonces and two random IKE SPIs, two X25519
 * key generations and two DH computations, SKEYSEED = prf(Ni | Nr, g^ir) and prf+ for the IKE SA
 * keys (twice), the four PSK AUTH values (RFC 7296 §2.15; each side computes its own and the
 * peer's), AES-256-GCM key preparation and SK seal + open of the two IKE_AUTH messages at the
 * sizes the real exchange produced, and Child SA KEYMAT prf+ (twice). NAT detection hashes
 * (SHA-1 of SPIs and addresses) are not in the floor: they count as protocol overhead.
 *
 * Setup and floor run in short alternating slices (about 100 ms each with `--quick`, 150 ms
 * otherwise; each holds some 100 setups, so its share of garbage collection), in pairs whose order
 * alternates (floor then setup, setup then floor: ABBA), so that load from other processes and
 * drift affect both alike; on a shared machine whose speed changes within seconds, many short
 * pairs match better than a few long rounds. `setupsPerSec` and `floorSetupsPerSec` are medians
 * over slices, `ratioToFloor` the median of the per-pair ratios, `cpuMsPerSetup` the process CPU
 * time (user + system, `process.cpuUsage`) over all measured setup slices divided by the setups
 * they did.
 */
import type { CryptoBackend } from "../src/crypto/backend.js";
import { createPrf, prfPlus } from "../src/crypto/prf.js";
import { encryptionByName, prfByName } from "../src/crypto/registry.js";
import { IkeSession } from "../src/ikev2/session/ike-session.js";
import type {
  IdentityConfig,
  IkeEvent,
  IkeOutput,
  IkeSessionConfig,
  IkeSessionDeps,
} from "../src/ikev2/session/types.js";
import { nodeBackend } from "../src/node/backend.js";
import { concat, utf8 } from "../src/wire/bytes.js";
import { batchFor, median } from "./measure.js";

const PSK = utf8("bench-psk-0123456789abcdef");
const I_ADDRESS = "198.18.1.1";
const R_ADDRESS = "198.18.1.2";
const I_ID: IdentityConfig = { type: "fqdn", value: "initiator.bench.test" };
const R_ID: IdentityConfig = { type: "fqdn", value: "responder.bench.test" };
const IKE_PROPOSAL = "aes256gcm16-prfsha256-x25519";
const ESP_PROPOSAL = "aes256gcm16";

const initiatorConfig: IkeSessionConfig = {
  localId: I_ID,
  remoteId: R_ID,
  localAddress: I_ADDRESS,
  remote: { address: R_ADDRESS, port: 500 },
  ikeProposals: [IKE_PROPOSAL],
  espProposals: [ESP_PROPOSAL],
  localTs: ["198.19.0.1/32"],
  remoteTs: ["198.19.0.2/32"],
  natTraversal: true,
};

const responderConfig: IkeSessionConfig = {
  localId: R_ID,
  localAddress: R_ADDRESS,
  ikeProposals: [IKE_PROPOSAL],
  espProposals: [ESP_PROPOSAL],
  localTs: ["198.19.0.2/32"],
  remoteTs: ["198.19.0.0/24"],
};

let nextSpi = 0x1000;
function sessionDeps(backend: CryptoBackend): IkeSessionDeps {
  return {
    backend,
    psk: { getPsk: () => PSK.slice() },
    allocateSpi: () => {
      nextSpi = nextSpi >= 0x7fff_ffff ? 0x1000 : nextSpi + 1;
      return nextSpi;
    },
  };
}

/** The datagrams of one setup, for sizing the floor. */
export interface Trace {
  initRequest: number;
  initResponse: number;
  authRequest: number;
  authResponse: number;
}

function has(events: readonly IkeEvent[], type: IkeEvent["type"]): boolean {
  for (const e of events) if (e.type === type) return true;
  return false;
}

/** The only datagram of an output (each step of a setup sends exactly one). */
function only(out: IkeOutput, step: string): Uint8Array {
  if (out.datagrams.length !== 1) throw new Error(`${step}: ${out.datagrams.length} datagrams`);
  return out.datagrams[0]!.data;
}

/** One complete setup between fresh sessions; throws unless both sides are up. */
export function setup(deps: IkeSessionDeps, now: number, trace?: Trace): void {
  const iFrom = { address: I_ADDRESS, port: 500 };
  const rFrom = { address: R_ADDRESS, port: 500 };
  const { session: initiator, output: o1 } = IkeSession.initiate(initiatorConfig, deps, now);
  const m1 = only(o1, "IKE_SA_INIT request");
  const r1 = IkeSession.respond(m1, iFrom, { port: 500, address: R_ADDRESS }, responderConfig, deps, now);
  const responder = r1.session;
  if (responder === undefined) throw new Error("responder refused IKE_SA_INIT");
  const m2 = only(r1.output, "IKE_SA_INIT response");
  const o3 = initiator.receive(m2, rFrom, { port: 500, address: I_ADDRESS }, now);
  const d3 = o3.datagrams[0];
  if (o3.datagrams.length !== 1 || d3 === undefined) throw new Error("no IKE_AUTH request");
  // After NAT-D both sides may have moved to port 4500; deliver on the ports the datagram names.
  const r3 = responder.receive(
    d3.data,
    { address: I_ADDRESS, port: d3.localPort },
    { port: d3.remote.port, address: R_ADDRESS },
    now,
  );
  const d4 = r3.datagrams[0];
  if (r3.datagrams.length !== 1 || d4 === undefined) throw new Error("no IKE_AUTH response");
  const o4 = initiator.receive(
    d4.data,
    { address: R_ADDRESS, port: d4.localPort },
    { port: d4.remote.port, address: I_ADDRESS },
    now,
  );
  if (
    !has(o4.events, "ike-sa-up") ||
    !has(o4.events, "child-sa-up") ||
    !has(r3.events, "ike-sa-up") ||
    !has(r3.events, "child-sa-up")
  ) {
    throw new Error("setup did not bring up both IKE SAs and Child SAs");
  }
  if (trace !== undefined) {
    trace.initRequest = m1.length;
    trace.initResponse = m2.length;
    trace.authRequest = d3.data.length;
    trace.authResponse = d4.data.length;
  }
}

/** IKE header (28) plus SK payload header (4): the AEAD's associated data (RFC 5282 §5.1). */
const SK_AAD = 28 + 4;
const NONCE = 32;

/** The bare cryptography of one setup, both sides, on the backend's primitives. */
function floorSetup(backend: CryptoBackend, sizes: Trace): () => void {
  const prf = prfByName("hmac-sha256")!;
  const gcm = encryptionByName("aes-gcm-16")!;
  const keyLen = 32; // AES-256
  const p = prf.keyLength;
  const e = keyLen + gcm.saltLength;
  const ikeKeymat = 3 * p + 2 * e; // SK_d | SK_ei | SK_er | SK_pi | SK_pr (no SK_a with an AEAD)
  const childKeymat = 2 * e;
  const keyPad = utf8("Key Pad for IKEv2");
  const idI = concat(Uint8Array.of(2, 0, 0, 0), utf8(I_ID.value as string));
  const idR = concat(Uint8Array.of(2, 0, 0, 0), utf8(R_ID.value as string));
  const message1 = new Uint8Array(sizes.initRequest);
  const message2 = new Uint8Array(sizes.initResponse);
  // The two IKE_AUTH messages: AAD, then IV | plaintext | Pad Length, then the ICV.
  const auth = [sizes.authRequest, sizes.authResponse].map((len) => {
    const wire = new Uint8Array(len);
    return {
      aad: wire.subarray(0, SK_AAD),
      data: wire.subarray(SK_AAD + gcm.ivLength, len - gcm.icvLength),
      tag: wire.subarray(len - gcm.icvLength),
    };
  });
  const nonce12 = new Uint8Array(12);

  const psKAuth = (skP: Uint8Array, message: Uint8Array, peerNonce: Uint8Array, id: Uint8Array) => {
    const padded = createPrf(backend, prf, PSK).compute(keyPad);
    const macedId = createPrf(backend, prf, skP).compute(id);
    return createPrf(backend, prf, padded).compute([message, peerNonce, macedId]);
  };

  return () => {
    // IKE_SA_INIT: SPIs, nonces, key pairs, DH on both sides.
    const spiI = backend.randomBytes(8);
    const spiR = backend.randomBytes(8);
    const ni = backend.randomBytes(NONCE);
    const nr = backend.randomBytes(NONCE);
    const kI = backend.keyExchange(31);
    const kR = backend.keyExchange(31);
    const gI = kI.computeSharedSecret(kR.publicKey);
    const gR = kR.computeSharedSecret(kI.publicKey);
    kI.destroy();
    kR.destroy();
    // SKEYSEED and the IKE SA keys, each side.
    const sides = [gI, gR].map((g) => {
      const skeyseed = createPrf(backend, prf, concat(ni, nr)).compute(g);
      const keymat = prfPlus(createPrf(backend, prf, skeyseed), concat(ni, nr, spiI, spiR), ikeKeymat);
      const skD = keymat.subarray(0, p);
      const skEi = keymat.subarray(p, p + keyLen); // the salt follows the key
      const skEr = keymat.subarray(p + e, p + e + keyLen);
      const skPi = keymat.subarray(p + 2 * e, 2 * p + 2 * e);
      const skPr = keymat.subarray(2 * p + 2 * e, 3 * p + 2 * e);
      return {
        skD,
        skPi,
        skPr,
        ei: backend.aead("aes-gcm", skEi, gcm.icvLength),
        er: backend.aead("aes-gcm", skEr, gcm.icvLength),
      };
    });
    const [i, r] = sides as [(typeof sides)[0], (typeof sides)[0]];
    // IKE_AUTH request: initiator signs and seals; responder opens and verifies.
    psKAuth(i.skPi, message1, nr, idI);
    i.ei.seal(nonce12, auth[0]!.aad, auth[0]!.data, auth[0]!.tag);
    if (!r.ei.open(nonce12, auth[0]!.aad, auth[0]!.data, auth[0]!.tag)) throw new Error("floor: open");
    psKAuth(r.skPi, message1, nr, idI);
    // IKE_AUTH response: responder signs and seals; initiator opens and verifies.
    psKAuth(r.skPr, message2, ni, idR);
    r.er.seal(nonce12, auth[1]!.aad, auth[1]!.data, auth[1]!.tag);
    if (!i.er.open(nonce12, auth[1]!.aad, auth[1]!.data, auth[1]!.tag)) throw new Error("floor: open");
    psKAuth(i.skPr, message2, ni, idR);
    // Child SA KEYMAT, each side.
    prfPlus(createPrf(backend, prf, i.skD), concat(ni, nr), childKeymat);
    prfPlus(createPrf(backend, prf, r.skD), concat(ni, nr), childKeymat);
    for (const s of sides) {
      s.ei.destroy();
      s.er.destroy();
    }
  };
}

/** Result written to bench/results/ike.json. */
export interface IkeBenchResult {
  /** Complete setups (IKE_SA_INIT + IKE_AUTH with one Child SA, both ends) per second. */
  setupsPerSec: number;
  /** The bare cryptography of a setup (both ends) per second, same run. */
  floorSetupsPerSec: number;
  /** Median over slice pairs of setupsPerSec / floorSetupsPerSec measured back to back. */
  ratioToFloor: number;
  /** Process CPU time (user + system) per setup over the measured setup rounds. */
  cpuMsPerSetup: number;
  /** Process CPU time per floor setup over the measured floor rounds. */
  floorCpuMsPerSetup: number;
  /** Datagram sizes of one setup (octets), which the floor's AUTH and SK work is sized by. */
  messageBytes: Trace;
  backend: string;
  suite: string;
  /** Slice pairs measured (one setup slice and one floor slice each). */
  rounds: number;
  /** Target duration of one slice, in milliseconds. */
  sliceMs: number;
}

/** Runs the IKE setup benchmark (node backend). */
export async function run({ quick }: { quick: boolean }): Promise<IkeBenchResult> {
  return measure(nodeBackend, quick);
}

/** Setup rate and floor on any synchronous backend. */
export function measure(backend: CryptoBackend, quick: boolean): IkeBenchResult {
  const sliceMs = quick ? 100 : 150;
  const pairs = quick ? 40 : 120;
  const deps = sessionDeps(backend);
  let now = 0;
  const trace: Trace = { initRequest: 0, initResponse: 0, authRequest: 0, authResponse: 0 };
  setup(deps, now, trace);
  const floorOne = floorSetup(backend, trace);
  const setupLoop = (n: number) => {
    now += 1000;
    for (let k = 0; k < n; k++) setup(deps, now);
  };
  const floorLoop = (n: number) => {
    for (let k = 0; k < n; k++) floorOne();
  };
  // Warm up both paths (JIT, OpenSSL caches) before measuring.
  for (let w = 0; w < 3; w++) {
    setupLoop(100);
    floorLoop(100);
  }
  const setupBatch = batchFor(setupLoop, sliceMs);
  const floorBatch = batchFor(floorLoop, sliceMs);
  const setupRates: number[] = [];
  const floorRates: number[] = [];
  const ratios: number[] = [];
  let setupCpu = 0;
  let floorCpu = 0;
  const slice = (loop: (n: number) => void, n: number): { rate: number; cpu: number } => {
    const c = process.cpuUsage();
    const t0 = performance.now();
    loop(n);
    const rate = n / ((performance.now() - t0) / 1000);
    const used = process.cpuUsage(c);
    return { rate, cpu: used.user + used.system };
  };
  for (let p = 0; p < pairs; p++) {
    const floorFirst = p % 2 === 0;
    const first = floorFirst ? slice(floorLoop, floorBatch) : slice(setupLoop, setupBatch);
    const second = floorFirst ? slice(setupLoop, setupBatch) : slice(floorLoop, floorBatch);
    const s = floorFirst ? second : first;
    const f = floorFirst ? first : second;
    setupRates.push(s.rate);
    floorRates.push(f.rate);
    ratios.push(s.rate / f.rate);
    setupCpu += s.cpu;
    floorCpu += f.cpu;
  }
  return {
    setupsPerSec: Math.round(median(setupRates)),
    floorSetupsPerSec: Math.round(median(floorRates)),
    ratioToFloor: Number(median(ratios).toFixed(3)),
    cpuMsPerSetup: Number((setupCpu / 1000 / (pairs * setupBatch)).toFixed(4)),
    floorCpuMsPerSetup: Number((floorCpu / 1000 / (pairs * floorBatch)).toFixed(4)),
    messageBytes: { ...trace },
    backend: backend.name,
    suite: `psk ike=${IKE_PROPOSAL} esp=${ESP_PROPOSAL}`,
    rounds: pairs,
    sliceMs,
  };
}
