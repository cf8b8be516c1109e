/**
 * Configuration resolution: proposal strings parsed, every transform checked against the registry
 * and the legacy policy (RFC 8247, RFC 8221), selectors parsed, defaults filled in. Runs once
 * when a session starts, so negotiation only ever offers or accepts what ike-ts can do.
 *
 * @packageDocumentation
 */
import { encryptionByIkev2, integrityByIkev2, keGroupById, prfByIkev2 } from "../../crypto/registry.js";
import type { TrafficSelector } from "../payloads/ts.js";
import { type ResolvedLocalAuth, resolveLocalAuth } from "./cert-auth.js";
import { idPayload } from "./identity.js";
import {
  type EncryptionChoice,
  type EspProposalConfig,
  type IkeProposalConfig,
  parseEspProposal,
  parseIkeProposal,
} from "./proposal-strings.js";
import {
  asksForAddress,
  type ResolvedConfigReply,
  type ResolvedConfigRequest,
  resolveConfigReply,
  resolveConfigRequest,
} from "./tasks/config-payload.js";
import { trafficSelector } from "./traffic-selectors.js";
import type { ChildLifetime, IdentityConfig, IkeSessionConfig } from "./types.js";

/** The largest message-ID window we offer (responses kept per IKE SA for retransmissions). */
const MAX_WINDOW = 64;

/** A configuration with defaults applied and every value checked. @internal */
export interface ResolvedConfig {
  readonly localId: IdentityConfig;
  readonly remoteId: IdentityConfig | undefined;
  readonly localAddress: string;
  readonly localPort: number;
  readonly localNattPort: number;
  readonly remoteNattPort: number;
  readonly ikeProposals: readonly IkeProposalConfig[];
  readonly espProposals: readonly EspProposalConfig[];
  readonly localTs: readonly TrafficSelector[];
  readonly remoteTs: readonly TrafficSelector[];
  readonly mode: "tunnel" | "transport";
  readonly natTraversal: boolean;
  readonly forceEncapsulation: boolean;
  readonly allowLegacy: boolean;
  readonly retransmitTimeoutMs: number;
  readonly retransmitFactor: number;
  readonly retransmitTries: number;
  readonly halfOpenTimeoutMs: number;
  readonly childLifetime: ChildLifetime;
  /** Liveness check interval in milliseconds; undefined: off. */
  readonly dpdMs: number | undefined;
  /** Initiator: send INITIAL_CONTACT. */
  readonly initialContact: boolean;
  /** Requests of the peer we take at once (RFC 7296 §2.3). */
  readonly windowSize: number;
  readonly configRequest: ResolvedConfigRequest | undefined;
  readonly configReply: ResolvedConfigReply | undefined;
  /** RFC 7383 fragmentation: the largest IP datagram to send; undefined: not offered. */
  readonly fragmentation: { readonly maxDatagram: number } | undefined;
  /** How we authenticate (our certificate chain parsed). */
  readonly localAuth: ResolvedLocalAuth;
  /** How the peer must authenticate. */
  readonly remoteAuth: "psk" | "pubkey";
}

function checkLegacy(what: string, legacy: boolean | undefined, allowLegacy: boolean): void {
  if (legacy === undefined) throw new RangeError(`${what} is not implemented`);
  if (legacy && !allowLegacy) throw new RangeError(`${what} is legacy: set allowLegacy to use it`);
}

function checkEncryption(e: EncryptionChoice, allowLegacy: boolean, ike: boolean): void {
  const spec = encryptionByIkev2(e.id);
  checkLegacy(`ENCR ${e.id}`, spec?.legacy, allowLegacy);
  // RFC 7296 §3.3.2 / RFC 4543: NULL and AES-GMAC cannot protect IKE.
  if (ike && spec!.kind !== "aead" && spec!.kind !== "cipher") {
    throw new RangeError(`${spec!.name} cannot protect an IKE SA`);
  }
  const bits = e.keyBits ?? (spec!.keyBits.length === 1 ? spec!.keyBits[0] : undefined);
  if (bits === undefined || !spec!.keyBits.includes(bits)) {
    throw new RangeError(`${spec!.name}: key size must be one of ${spec!.keyBits.join("/")} bits`);
  }
}

function checkIke(p: IkeProposalConfig, allowLegacy: boolean): IkeProposalConfig {
  if (p.encryption.length === 0 || p.prf.length === 0 || p.ke.length === 0) {
    throw new RangeError("IKE proposal needs encryption, PRF and key exchange");
  }
  for (const e of p.encryption) checkEncryption(e, allowLegacy, true);
  for (const id of p.integrity) {
    const spec = integrityByIkev2(id);
    checkLegacy(`INTEG ${id}`, spec?.legacy, allowLegacy);
    // RFC 4543 §3: the AES-GMAC integrity transforms authenticate AH, not IKE messages.
    if (spec!.mac === undefined) throw new RangeError(`${spec!.name} is not an IKE integrity transform`);
  }
  for (const id of p.prf) checkLegacy(`PRF ${id}`, prfByIkev2(id)?.legacy, allowLegacy);
  for (const id of p.ke) checkLegacy(`KE ${id}`, keGroupById(id)?.legacy, allowLegacy);
  return p;
}

function checkEsp(p: EspProposalConfig, allowLegacy: boolean): EspProposalConfig {
  if (p.encryption.length === 0) throw new RangeError("ESP proposal needs encryption");
  for (const e of p.encryption) checkEncryption(e, allowLegacy, false);
  for (const id of p.integrity) {
    const spec = integrityByIkev2(id);
    checkLegacy(`INTEG ${id}`, spec?.legacy, allowLegacy);
    // RFC 4543 §3: the AES-GMAC integrity transforms are AH's.
    if (spec!.mac === undefined) throw new RangeError(`${spec!.name} is not an ESP integrity transform`);
  }
  for (const id of p.ke) checkLegacy(`KE ${id}`, keGroupById(id)?.legacy, allowLegacy);
  return p;
}

/** Default largest fragment datagram: strongSwan's `fragment_size` (RFC 7383 §2.5.1 names 1280 for IPv6). */
const DEFAULT_MAX_DATAGRAM = 1280;
/** Smallest `maxDatagram` accepted: room for the IP, UDP, IKE and SKF headers, IV, ICV and some content. */
const MIN_MAX_DATAGRAM = 256;

function resolveFragmentation(f: IkeSessionConfig["fragmentation"]): ResolvedConfig["fragmentation"] {
  if (f === false) return undefined;
  const maxDatagram = (f === true || f === undefined ? undefined : f.maxDatagram) ?? DEFAULT_MAX_DATAGRAM;
  if (!Number.isInteger(maxDatagram) || maxDatagram < MIN_MAX_DATAGRAM || maxDatagram > 0xffff) {
    throw new RangeError(`fragmentation.maxDatagram must be ${MIN_MAX_DATAGRAM}..65535, got ${maxDatagram}`);
  }
  return { maxDatagram };
}

/** How deep {@link fingerprint} looks into arrays and plain objects of a configuration. */
const FINGERPRINT_DEPTH = 6;

/** Every property of a configuration (the compiler checks that none is missing). */
const CONFIG_KEYS = Object.keys({
  localId: 0,
  remoteId: 0,
  localAddress: 0,
  remote: 0,
  localPort: 0,
  localNattPort: 0,
  remoteNattPort: 0,
  ikeProposals: 0,
  espProposals: 0,
  localTs: 0,
  remoteTs: 0,
  mode: 0,
  natTraversal: 0,
  forceEncapsulation: 0,
  allowLegacy: 0,
  auth: 0,
  remoteAuth: 0,
  retransmit: 0,
  halfOpenTimeoutMs: 0,
  childLifetime: 0,
  ikeRekeySeconds: 0,
  dpdSeconds: 0,
  initialContact: 0,
  windowSize: 0,
  fragmentation: 0,
  configRequest: 0,
  configReply: 0,
} satisfies Record<keyof IkeSessionConfig, 0>) as (keyof IkeSessionConfig)[];

/**
 * The values a configuration is made of, as a flat list: each own property's name and value, and
 * for arrays and plain objects (proposals, selectors, options) their contents in turn. Byte
 * arrays (certificates) count as leaves: compared by identity.
 */
function fingerprint(value: unknown, out: unknown[], depth: number): void {
  out.push(value);
  if (depth === 0 || typeof value !== "object" || value === null || ArrayBuffer.isView(value)) return;
  if (Array.isArray(value)) {
    out.push(value.length);
    for (const v of value) fingerprint(v, out, depth - 1);
    return;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    out.push(key);
    fingerprint((value as Record<string, unknown>)[key], out, depth - 1);
  }
}

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Resolved configurations by the object they were resolved from, with its fingerprint: a
 * configuration shared by many sessions (the usual case: one per peer or per endpoint) is parsed
 * and checked once, and one changed in place since (a property set, a proposal or selector added)
 * is resolved anew.
 */
const resolvedConfigs = new WeakMap<
  IkeSessionConfig,
  { readonly values: readonly unknown[]; readonly resolved: ResolvedConfig }
>();

/**
 * Applies defaults and validates. The result is shared by every session started with the same,
 * unchanged configuration object; nothing may modify it.
 * @throws `RangeError` / `TypeError` for an unusable configuration (unknown or legacy algorithm,
 *   empty proposal list, bad selector or identity).
 * @internal
 */
export function resolveConfig(c: IkeSessionConfig): ResolvedConfig {
  // Each property as resolving reads it (getters included), then what it holds.
  const values: unknown[] = [];
  for (const key of CONFIG_KEYS) fingerprint(c[key], values, FINGERPRINT_DEPTH - 1);
  const cached = resolvedConfigs.get(c);
  if (cached !== undefined && sameValues(cached.values, values)) return cached.resolved;
  const resolved = resolveUncached(c);
  resolvedConfigs.set(c, { values, resolved });
  return resolved;
}

function resolveUncached(c: IkeSessionConfig): ResolvedConfig {
  const allowLegacy = c.allowLegacy ?? false;
  if (c.ikeProposals.length === 0 || c.espProposals.length === 0) {
    throw new RangeError("at least one IKE and one ESP proposal are needed");
  }
  idPayload("IDi", c.localId);
  if (c.remoteId !== undefined) idPayload("IDr", c.remoteId);
  if (c.dpdSeconds !== undefined && !(c.dpdSeconds > 0)) throw new RangeError("dpdSeconds must be positive");
  const window = c.windowSize ?? 1;
  if (!Number.isInteger(window) || window < 1 || window > MAX_WINDOW) {
    throw new RangeError(`windowSize must be 1..${MAX_WINDOW}`);
  }
  const localTs = c.localTs.map(trafficSelector);
  const localAuth = resolveLocalAuth(c.auth);
  const remoteTs = c.remoteTs.map(trafficSelector);
  const configRequest = resolveConfigRequest(c.configRequest);
  // RFC 7296 §2.19: an initiator asking for its address proposes TSi "any", not localTs.
  if ((localTs.length === 0 && !asksForAddress(configRequest)) || remoteTs.length === 0) {
    throw new RangeError("traffic selectors are needed");
  }
  return {
    localId: c.localId,
    remoteId: c.remoteId,
    localAddress: c.localAddress,
    localPort: c.localPort ?? 500,
    localNattPort: c.localNattPort ?? 4500,
    remoteNattPort: c.remoteNattPort ?? 4500,
    ikeProposals: c.ikeProposals.map((p) =>
      checkIke(typeof p === "string" ? parseIkeProposal(p) : p, allowLegacy),
    ),
    espProposals: c.espProposals.map((p) =>
      checkEsp(typeof p === "string" ? parseEspProposal(p) : p, allowLegacy),
    ),
    localTs,
    remoteTs,
    mode: c.mode ?? "tunnel",
    natTraversal: c.natTraversal ?? true,
    forceEncapsulation: c.forceEncapsulation ?? false,
    allowLegacy,
    retransmitTimeoutMs: c.retransmit?.timeoutMs ?? 1000,
    retransmitFactor: c.retransmit?.factor ?? 2,
    retransmitTries: c.retransmit?.tries ?? 5,
    halfOpenTimeoutMs: c.halfOpenTimeoutMs ?? 30_000,
    childLifetime: c.childLifetime ?? { softSeconds: 3300, hardSeconds: 3600 },
    dpdMs: c.dpdSeconds === undefined ? undefined : c.dpdSeconds * 1000,
    initialContact: c.initialContact ?? true,
    windowSize: c.windowSize ?? 1,
    configRequest,
    configReply: resolveConfigReply(c.configReply),
    fragmentation: resolveFragmentation(c.fragmentation),
    localAuth,
    remoteAuth: c.remoteAuth ?? localAuth.method,
  };
}
