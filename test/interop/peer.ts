/**
 * A typed wrapper over the strongSwan interop harness (`peer.sh`, see
 * `../shared/interop/README.md`) for vitest tests that run as root.
 *
 * Every call is asynchronous (`execFile`): a test whose library side answers charon in the same
 * process (charon initiating, `--initiate`, `wait-child`) must not block the event loop.
 *
 * - The harness comes from `$IKE_TS_SHARED/interop` (default `<repo>/../shared/interop`).
 * - Peer state goes to `<repo>/run/` (git-ignored) unless `runDir` says otherwise.
 * - Give each test file its own peer NAME and `--index` (subnet 198.18.N.0/24).
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is `test/interop/peer.ts`). */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The shared material; the harness is its `interop/` folder. */
export const SHARED_DIR = process.env.IKE_TS_SHARED ?? resolve(REPO_ROOT, "../shared");
/** The harness folder (peer.sh, examples/, tools/). */
export const HARNESS_DIR = join(SHARED_DIR, "interop");
/** `peer.sh`. */
const PEER_SH = join(HARNESS_DIR, "peer.sh");
/** Default PEER_RUN_DIR: `<repo>/run/` (git-ignored). */
export const DEFAULT_RUN_DIR = join(REPO_ROOT, "run");

/** The PSK every example uses. */
export const INTEROP_PSK = "interop-test-psk-0123456789";
/** charon's identity (FQDN) in every example. */
export const RESPONDER_ID = "responder.ikei.test";

/**
 * What `peer.sh start` / `peer.sh env` print: `PEER4 PEER6 HOST4 HOST6 IKE_PORT NATT_PORT INNER
 * VICI_URI LOG` and the rest of `run/NAME/peer.env`.
 */
export interface PeerEnv {
  /** charon's outer IPv4 address, 198.18.N.2. */
  readonly PEER4: string;
  /** charon's outer IPv6 address, fd69:6b65:69:N::2. */
  readonly PEER6: string;
  /** The library's outer IPv4 address (root namespace), 198.18.N.1. */
  readonly HOST4: string;
  /** The library's outer IPv6 address, fd69:6b65:69:N::1. */
  readonly HOST6: string;
  /** charon's IKE port (500 unless PEER_IKE_PORT was set). */
  readonly IKE_PORT: string;
  /** charon's NAT-T port (4500 unless PEER_NATT_PORT was set). */
  readonly NATT_PORT: string;
  /** charon's inner addresses, space-separated CIDRs. */
  readonly INNER: string;
  /** charon's vici socket URI. */
  readonly VICI_URI: string;
  /** charon's log file. */
  readonly LOG: string;
  /** Any other line of peer.env. */
  readonly [key: string]: string;
}

/** Options of {@link startPeer}. */
export interface StartPeerOptions {
  /** `--index N` (1–254): the subnet 198.18.N.0/24. Unique per concurrently running peer. */
  readonly index: number;
  /** PEER_RUN_DIR for this peer (default `<repo>/run`); later calls for NAME use it too. */
  readonly runDir?: string;
  /** Extra environment for peer.sh (PEER_IKE_PORT, PEER_NATT_PORT, PEER_LOG, PEER_CAPTURE …). */
  readonly env?: Readonly<Record<string, string>>;
  /** `--inner "ADDR/LEN ..."`. */
  readonly inner?: string;
}

/** One direction of a CHILD_SA as `swanctl --list-sas` shows it. */
export interface ChildSaTraffic {
  /** The SPI, hex. */
  readonly spi: string;
  readonly bytes: number;
  readonly packets: number;
}

/** A CHILD_SA from `swanctl --list-sas`. */
export interface ChildSaStatus {
  readonly name: string;
  readonly uniqueId: number;
  readonly reqid: number;
  /** INSTALLED, REKEYED, DELETING … */
  readonly state: string;
  /** TUNNEL, TRANSPORT or BEET, with `-in-UDP` when UDP-encapsulated. */
  readonly mode: string;
  /** ESP or AH. */
  readonly protocol: string;
  /** e.g. `AES_GCM_16-256` or `AES_CBC-128/HMAC_SHA2_256_128`. */
  readonly algorithms: string;
  readonly in?: ChildSaTraffic;
  readonly out?: ChildSaTraffic;
  readonly localTs: readonly string[];
  readonly remoteTs: readonly string[];
}

/** One end of an IKE_SA from `swanctl --list-sas`. */
export interface IkeSaEnd {
  /** The identity (`%any` until known). */
  readonly id: string;
  readonly address: string;
  readonly port: number;
}

/** An IKE_SA from `swanctl --list-sas`. */
export interface IkeSaStatus {
  /** The connection name, or `(unnamed)` before one is chosen. */
  readonly name: string;
  readonly uniqueId: number;
  /** CONNECTING, ESTABLISHED, REKEYING, DELETING … */
  readonly state: string;
  /** `IKEv1` or `IKEv2`. */
  readonly version: string;
  /** Initiator and responder SPIs, hex. */
  readonly spiI: string;
  readonly spiR: string;
  /** True when charon is the IKE_SA's original initiator. */
  readonly charonIsInitiator: boolean;
  readonly local?: IkeSaEnd;
  readonly remote?: IkeSaEnd;
  /** e.g. `AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519`, once negotiated. */
  readonly algorithms?: string;
  readonly children: readonly ChildSaStatus[];
}

/** `peer.sh keys NAME`: charon's logged secrets (see tools/charon-keys.py). */
export interface PeerKeys {
  readonly ike_sas: Readonly<
    Record<
      string,
      {
        readonly name: string | null;
        readonly role: "initiator" | "responder" | null;
        /** Hex values by charon's log label (`SKEYSEED`, `Sk_ei secret`, `natd_hash` …). */
        readonly keys: Readonly<Record<string, string>>;
        readonly version?: string;
        readonly spi_i?: string;
        readonly spi_r?: string;
        readonly algs?: string;
        readonly child_algs?: Readonly<Record<string, string>>;
      }
    >
  >;
  readonly child_sas: readonly {
    readonly ike_sa: number;
    readonly name: string;
    readonly id: number;
    readonly spi_in: string;
    readonly spi_out: string;
    readonly ts_local: readonly string[];
    readonly ts_remote: readonly string[];
    readonly in: { readonly spi: string; readonly src: string; readonly dst: string } | null;
    readonly out: { readonly spi: string; readonly src: string; readonly dst: string } | null;
    /** Hex values by label (`encryption initiator key` …). */
    readonly keys: Readonly<Record<string, string>>;
  }[];
}

/** PEER_RUN_DIR per started peer name. */
const runDirs = new Map<string, string>();

interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs peer.sh; resolves with its exit code and output (rejects only if it cannot start). */
function run(
  name: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<RunResult> {
  const runDir = runDirs.get(name) ?? DEFAULT_RUN_DIR;
  return new Promise((resolvePromise, reject) => {
    execFile(
      PEER_SH,
      args,
      {
        encoding: "utf8",
        env: { ...process.env, ...env, PEER_RUN_DIR: runDir },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== "number") {
          reject(error);
          return;
        }
        resolvePromise({ code: error === null ? 0 : (error.code as number), stdout, stderr });
      },
    );
  });
}

/** Runs peer.sh and returns stdout; rejects with stderr on a non-zero exit. */
async function peerSh(
  name: string,
  args: readonly string[],
  env?: Readonly<Record<string, string>>,
): Promise<string> {
  const r = await run(name, args, env);
  if (r.code !== 0) throw new Error(`peer.sh ${args.join(" ")} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Parses `KEY=VALUE` lines (values may be double-quoted); ignores `#` hints and other lines. */
export function parsePeerEnv(text: string): PeerEnv {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m !== null) env[m[1]!] = m[2]!.replace(/^"(.*)"$/, "$1");
  }
  for (const key of [
    "PEER4",
    "PEER6",
    "HOST4",
    "HOST6",
    "IKE_PORT",
    "NATT_PORT",
    "INNER",
    "VICI_URI",
    "LOG",
  ]) {
    if (env[key] === undefined) throw new Error(`peer.sh printed no ${key}`);
  }
  return env as PeerEnv;
}

/**
 * `peer.sh start NAME DIR --index N`: charon in netns `ikei-NAME`, configured from `exampleDir`
 * (a folder name under the harness's `examples/`, or a path).
 */
export async function startPeer(
  name: string,
  exampleDir: string,
  options: StartPeerOptions,
): Promise<PeerEnv> {
  runDirs.set(name, options.runDir ?? DEFAULT_RUN_DIR);
  const dir = isAbsolute(exampleDir) ? exampleDir : join(HARNESS_DIR, "examples", exampleDir);
  const args = ["start", name, dir, "--index", String(options.index)];
  if (options.inner !== undefined) args.push("--inner", options.inner);
  return parsePeerEnv(await peerSh(name, args, options.env));
}

/** strongSwan configurations of our own for charon initiating towards ike-ts (test/interop/strongswan). */
export const CHARON_CONFIGS = join(REPO_ROOT, "test", "interop", "strongswan");

/**
 * Starts a charon that initiates towards ike-ts, from `CHARON_CONFIGS/<config>/swanctl.conf` with
 * `@HOST4@` replaced by our outer address (peer.sh: 198.18.N.1 for index N); `extra` lists files
 * or folders (charon-extra.conf, certificate folders) copied beside it.
 */
export async function startInitiatingPeer(
  name: string,
  config: string,
  index: number,
  extra: readonly string[] = [],
): Promise<PeerEnv> {
  const dir = mkdtempSync(join(tmpdir(), "ike-ts-charon-"));
  try {
    const conf = readFileSync(join(CHARON_CONFIGS, config, "swanctl.conf"), "utf8");
    writeFileSync(join(dir, "swanctl.conf"), conf.replaceAll("@HOST4@", `198.18.${index}.1`));
    for (const path of extra) cpSync(path, join(dir, basename(path)), { recursive: true });
    return await startPeer(name, dir, { index });
  } finally {
    rmSync(dir, { recursive: true });
  }
}

/** `peer.sh stop NAME`: kills charon and deletes the namespace; idempotent. */
export async function stopPeer(name: string): Promise<void> {
  await peerSh(name, ["stop", name]);
}

/** `peer.sh swanctl NAME ARGS...`: swanctl against this peer's vici socket; stdout. */
export function swanctl(name: string, ...args: string[]): Promise<string> {
  return peerSh(name, ["swanctl", name, ...args]);
}

/** `swanctl --list-sas`, parsed. */
export async function listSas(name: string): Promise<IkeSaStatus[]> {
  return parseListSas(await swanctl(name, "--list-sas"));
}

/** `peer.sh keys NAME`, parsed (call while the peer runs: SPIs come from --list-sas). */
export async function peerKeys(name: string): Promise<PeerKeys> {
  return JSON.parse(await peerSh(name, ["keys", name])) as PeerKeys;
}

/** `peer.sh wait-child NAME CHILD SECONDS`: true once CHILD is INSTALLED, false after the timeout. */
export async function waitChild(name: string, child: string, seconds: number): Promise<boolean> {
  const r = await run(name, ["wait-child", name, child, String(seconds)]);
  if (r.code > 1) throw new Error(`peer.sh wait-child exited ${r.code}: ${r.stderr.trim()}`);
  return r.code === 0;
}

/** `peer.sh logs NAME`: charon's log so far (for failure messages). */
export function peerLog(name: string): Promise<string> {
  return peerSh(name, ["logs", name]);
}

// swanctl/commands/list_sas.c output, line by line.
const IKE_LINE = /^(\S.*): #(\d+), (\w+), (IKEv\d), ([0-9a-f]+)_i(\*?) ([0-9a-f]+)_r\*?$/;
const END_LINE = /^ {2}(local|remote) +'(.*)' @ (\S+)\[(\d+)\]/;
const IKE_ALGS_LINE = /^ {2}([A-Z0-9_]+(?:-\d+)?(?:\/[A-Z0-9_]+(?:-\d+)?)*)$/;
const CHILD_LINE = /^ {2}(\S+): #(\d+), reqid (\d+), (\w+), ([\w-]+), (\w+):(\S*)$/;
const TRAFFIC_LINE = /^ {4}(in|out) +([0-9a-f]+)[^,]*, +(\d+) bytes, +(\d+) packets/;
const TS_LINE = /^ {4}(local|remote) +(.+)$/;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Parses `swanctl --list-sas` text: IKE_SAs with their ends, algorithms and CHILD_SAs. */
export function parseListSas(text: string): IkeSaStatus[] {
  const sas: Mutable<IkeSaStatus>[] = [];
  for (const line of text.split("\n")) {
    const ike = IKE_LINE.exec(line);
    if (ike !== null) {
      sas.push({
        name: ike[1]!,
        uniqueId: Number(ike[2]),
        state: ike[3]!,
        version: ike[4]!,
        spiI: ike[5]!,
        spiR: ike[7]!,
        charonIsInitiator: ike[6] === "*",
        children: [],
      });
    } else {
      const current = sas.at(-1);
      if (current !== undefined) parseIkeSaLine(current, line);
    }
  }
  return sas;
}

/** One indented line of an IKE_SA's block: its ends, algorithms, or a CHILD_SA's lines. */
function parseIkeSaLine(ike: Mutable<IkeSaStatus>, line: string): void {
  const children = ike.children as Mutable<ChildSaStatus>[];
  const child = CHILD_LINE.exec(line);
  if (child !== null) {
    children.push({
      name: child[1]!,
      uniqueId: Number(child[2]),
      reqid: Number(child[3]),
      state: child[4]!,
      mode: child[5]!,
      protocol: child[6]!,
      algorithms: child[7]!,
      localTs: [],
      remoteTs: [],
    });
    return;
  }
  const current = children.at(-1);
  const traffic = TRAFFIC_LINE.exec(line);
  const ts = TS_LINE.exec(line);
  const end = END_LINE.exec(line);
  const algorithms = IKE_ALGS_LINE.exec(line);
  if (current !== undefined && traffic !== null) {
    current[traffic[1] as "in" | "out"] = {
      spi: traffic[2]!,
      bytes: Number(traffic[3]),
      packets: Number(traffic[4]),
    };
  } else if (current !== undefined && ts !== null) {
    current[ts[1] === "local" ? "localTs" : "remoteTs"] = ts[2]!.trim().split(/\s+/);
  } else if (end !== null) {
    ike[end[1] as "local" | "remote"] = { id: end[2]!, address: end[3]!, port: Number(end[4]) };
  } else if (algorithms !== null && ike.algorithms === undefined) {
    ike.algorithms = algorithms[1]!;
  }
}
