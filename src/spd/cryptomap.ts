/**
 * Cisco crypto map sets compiled into an SPD, and the crypto-map decisions IKE needs.
 *
 * Semantics (seeds/001:957-967, 001:1022-1024, seeds/002:5228-5339, 002:5563-5587,
 * seeds/004:745-880):
 *
 * - entries are evaluated in ascending sequence number; the first matching `permit` decides, and
 *   each permit line is its own SA scope, so each ACE becomes one SPD entry in order;
 * - `deny` means "not protected by this entry" and traffic no entry protects goes in the clear,
 *   so a deny becomes BYPASS and the SPD's default is BYPASS; a deny that overlaps a permit of a
 *   later entry is refused, as IOS does not support it (seeds/002:5301-5317);
 * - `ipsec-isakmp` entries acquire SAs through IKE; `ipsec-manual` entries carry fixed SPIs and
 *   keys and drop traffic until those SAs are installed (seeds/002:5181-5183);
 * - dynamic map entries are responder-only templates at the lowest priority: no ACL accepts any
 *   flow the peer proposes and does not filter traffic; a configured but missing or empty ACL
 *   drops everything; an accepted peer gets a temporary entry that lives until its SAs are gone
 *   (seeds/004:770, 004:810, seeds/002:5573);
 * - as responder, a peer's proposed flow must lie inside one permit of an entry naming that
 *   peer (seeds/002:5327-5331); for IKEv2 the proposal may instead be narrowed (RFC 7296 §2.9).
 *
 * @packageDocumentation
 */
import { keGroupById } from "../crypto/registry.js";
import { IpProtocol } from "../ip/header.js";
import { ciscoLifetime, NO_LIFETIME } from "../sad/lifetime.js";
import { IDLE_SECONDS_RANGE } from "../sad/sad.js";
import type { AccessList } from "./acl.js";
import { type AddressRange, anyAddress } from "./address.js";
import type {
  CryptoConfig,
  CryptoMapEntryConfig,
  CryptoMapSettings,
  DynamicMapEntryConfig,
} from "./cryptoconfig.js";
import { PolicyError } from "./errors.js";
import { checkPeers } from "./peers.js";
import { PORT_ANY, portRange, type SelectorSet, selectorContains, selectorsOverlap } from "./selector.js";
import { Spd, type SpdEntry, type SpdEntryInit } from "./spd.js";
import { PFP_NONE, PFP_PER_HOST, type SaTemplate } from "./template.js";
import type { TransformSet } from "./transform.js";
import {
  MAX_TRAFFIC_SELECTORS,
  narrowTrafficSelectors,
  type TrafficSelector,
  type TsProposal,
  tsToSelectorSets,
} from "./ts.js";

/** At most six transform sets per crypto map entry (seeds/004:749). @public */
export const MAX_TRANSFORM_SETS = 6;
/** Anti-replay window range (seeds/002:9807: default 64, expandable to 1024). @public */
export const REPLAY_WINDOW_RANGE = Object.freeze([32, 1024] as const);
/** Default anti-replay window (seeds/002:9807). @public */
export const DEFAULT_REPLAY_WINDOW = 64;

/**
 * One resolved crypto map entry (a dynamic map set contributes one per dynamic entry).
 * @public
 */
export interface CryptoMapEntry {
  /** `"mymap 10"`, or `"mymap 30 mydynamicmap 10"` for a dynamic map entry. */
  readonly name: string;
  readonly kind: "ipsec-isakmp" | "ipsec-manual" | "dynamic";
  readonly settings: CryptoMapSettings;
  /** The crypto ACL, or null when the entry has none (a dynamic entry accepting any flow). */
  readonly acl: AccessList | null;
  /** A dynamic entry whose ACL is configured but missing or empty: all traffic is dropped. */
  readonly dropAll: boolean;
  readonly template: SaTemplate;
  /** The SPD entries this map entry produced, in order (one per ACE). */
  readonly spdEntries: readonly SpdEntry[];
}

/**
 * A manually keyed SA to install (seeds/004:836-880): fixed SPI and keys, no anti-replay
 * (seeds/004:1049), no lifetime (seeds/003:251).
 * @public
 */
export interface ManualSa {
  readonly entry: CryptoMapEntry;
  /** The PROTECT entry of the entry's single permit. */
  readonly spdEntry: SpdEntry;
  readonly peer: string;
  readonly transformSet: TransformSet;
  readonly direction: "inbound" | "outbound";
  /** ESP (50) or AH (51). */
  readonly protocol: 50 | 51;
  readonly spi: number;
  /** ESP cipher key (with salt where the cipher has one). */
  readonly encryptionKey?: Uint8Array;
  /** AH key, or ESP authenticator key. */
  readonly integrityKey?: Uint8Array;
}

/**
 * A configuration that compiles but that the guides advise against.
 * @public
 */
export interface CryptoMapWarning {
  /**
   * - `shadowed`: an ACE no packet can reach, because earlier ones cover it;
   * - `permit-any-any`: drops all unprotected inbound traffic (seeds/002:5339);
   * - `dynamic-not-last`: a dynamic entry above static ones (seeds/001:965-967).
   */
  readonly code: "shadowed" | "permit-any-any" | "dynamic-not-last";
  readonly entry: string;
  readonly message: string;
}

/**
 * Options of {@link compileCryptoMap}.
 * @public
 */
export interface CryptoMapOptions {
  /**
   * Put BYPASS entries for IKE (UDP 500 and 4500) first, so that IKE itself is never caught by a
   * broad permit (RFC 4301 §5.2 step 2: "IKE traffic MUST have an explicit BYPASS entry").
   * Default true.
   */
  readonly bypassIke?: boolean;
}

/**
 * A responder-side match of a proposed flow against the crypto map.
 * @public
 */
export interface FlowMatch {
  readonly entry: CryptoMapEntry;
  /** Index of the permit ACE that contains the flow, or −1 (dynamic entry without ACL). */
  readonly ace: number;
  /** The selectors of the SA to create, from this side's point of view. */
  readonly selectors: readonly SelectorSet[];
  /**
   * The SPD entry the SA belongs to; null for a dynamic entry, which needs a temporary entry
   * from {@link CryptoMapPolicy.instantiate}.
   */
  readonly spdEntry: SpdEntry | null;
}

/**
 * A responder-side match of IKEv2 traffic selectors.
 * @public
 */
export type TsMatch =
  | (FlowMatch & {
      readonly ok: true;
      /** Traffic selectors to answer with. */
      readonly tsi: readonly TrafficSelector[];
      readonly tsr: readonly TrafficSelector[];
      readonly additionalTsPossible: boolean;
    })
  | { readonly ok: false; readonly reason: "too-many-selectors" | "no-overlap" };

function check(cond: boolean, code: "bad-crypto-map" | "bad-lifetime", message: string, entry: string): void {
  if (!cond) throw new PolicyError(code, message, { entry });
}

function template(
  settings: CryptoMapSettings,
  kind: CryptoMapEntry["kind"],
  config: CryptoConfig,
  name: string,
): SaTemplate {
  const g = config.globals;
  check(settings.transformSets.length >= 1, "bad-crypto-map", "needs set transform-set", name);
  check(
    settings.transformSets.length <= MAX_TRANSFORM_SETS,
    "bad-crypto-map",
    `${settings.transformSets.length} transform sets; at most 6 (seeds/004:749)`,
    name,
  );
  const proposals = settings.transformSets.map((t) => {
    const set = config.transformSets.get(t);
    if (set === undefined)
      throw new PolicyError("bad-crypto-map", `unknown transform set "${t}"`, { entry: name });
    return set;
  });
  const idle = settings.idleSeconds ?? g.idleSeconds;
  if (idle !== undefined) {
    check(
      idle >= IDLE_SECONDS_RANGE[0] && idle <= IDLE_SECONDS_RANGE[1],
      "bad-lifetime",
      `idle time ${idle} is not 60-86400 seconds (seeds/002:12009)`,
      name,
    );
  }
  const replay = settings.replayWindow ?? g.replayWindow ?? DEFAULT_REPLAY_WINDOW;
  check(
    replay === 0 || (replay >= REPLAY_WINDOW_RANGE[0] && replay <= REPLAY_WINDOW_RANGE[1]),
    "bad-lifetime",
    `replay window ${replay} is not 32-1024 (seeds/002:9807)`,
    name,
  );
  if (settings.pfsGroup !== undefined && keGroupById(settings.pfsGroup) === undefined) {
    throw new PolicyError("bad-crypto-map", `unknown PFS group ${settings.pfsGroup}`, { entry: name });
  }
  const manual = kind === "ipsec-manual";
  const seconds = settings.lifetimeSeconds ?? g.lifetimeSeconds;
  const kilobytes =
    settings.lifetimeKilobytes === undefined ? g.lifetimeKilobytes : settings.lifetimeKilobytes;
  check(seconds === undefined || seconds > 0, "bad-lifetime", "lifetime seconds must be positive", name);
  check(
    kilobytes === undefined || kilobytes === null || kilobytes > 0,
    "bad-lifetime",
    "lifetime kilobytes must be positive",
    name,
  );
  const lifetime = manual
    ? NO_LIFETIME // manual SAs "never time out" (seeds/003:251)
    : ciscoLifetime({
        ...(seconds !== undefined ? { seconds } : {}),
        ...(kilobytes !== undefined ? { kilobytes } : {}),
      });
  return {
    origin: kind === "ipsec-isakmp" ? "ike" : manual ? "manual" : "responder",
    proposals,
    peers: checkPeers(settings.peers, name).map((p) => p.address),
    pfp: settings.perHost === true ? PFP_PER_HOST : PFP_NONE,
    pfsGroup: settings.pfsGroup ?? null,
    lifetime,
    idleSeconds: manual ? null : (idle ?? null),
    // Anti-replay is never offered on manually keyed SAs (seeds/004:1049).
    replayWindow: manual ? 0 : replay,
  };
}

function isAny(r: AddressRange): boolean {
  return r.start === 0n && r.end === anyAddress(r.family).end;
}

function ikeBypass(): SpdEntryInit {
  const selectors: SelectorSet[] = [];
  for (const family of [4, 6] as const) {
    for (const port of [500, 4500]) {
      const p = portRange(port);
      const any = anyAddress(family);
      selectors.push({
        local: any,
        remote: any,
        protocol: IpProtocol.UDP,
        localPort: p,
        remotePort: PORT_ANY,
      });
      selectors.push({
        local: any,
        remote: any,
        protocol: IpProtocol.UDP,
        localPort: PORT_ANY,
        remotePort: p,
      });
    }
  }
  return { name: "ike bypass", action: "bypass", selectors };
}

interface Draft {
  name: string;
  kind: CryptoMapEntry["kind"];
  settings: CryptoMapSettings;
  acl: AccessList | null;
  dropAll: boolean;
  template: SaTemplate;
  inits: SpdEntryInit[];
  config: CryptoMapEntryConfig | DynamicMapEntryConfig;
}

/**
 * Compiles crypto map set `mapName` of `config` into a {@link CryptoMapPolicy}.
 * @throws {@link PolicyError} naming the entry: incomplete entries, unknown ACLs or transform
 *   sets, more than six transform sets, one ACL in two entries (seeds/002:5251), a deny
 *   overlapping a later permit (seeds/002:5301-5317), manual entries that are not one permit,
 *   one peer and one transform set with matching keys (seeds/004:866-870), out-of-range
 *   lifetimes, idle times and replay windows.
 * @public
 */
export function compileCryptoMap(
  config: CryptoConfig,
  mapName: string,
  options: CryptoMapOptions = {},
): CryptoMapPolicy {
  const set = config.cryptoMaps.get(mapName);
  if (set === undefined)
    throw new PolicyError("unknown-entry", `no crypto map "${mapName}"`, { entry: mapName });
  const drafts: Draft[] = [];
  const warnings: CryptoMapWarning[] = [];
  const aclOwner = new Map<string, string>();
  let seenDynamic = false;
  for (const e of set) {
    const name = `${e.map} ${e.seq}`;
    if (e.kind === "dynamic") {
      seenDynamic = true;
      const dyn = config.dynamicMaps.get(e.dynamicMap ?? "");
      if (dyn === undefined) {
        throw new PolicyError("bad-crypto-map", `no dynamic map "${e.dynamicMap ?? ""}"`, { entry: name });
      }
      for (const d of dyn) {
        const dname = `${name} ${d.map} ${d.seq}`;
        const acl = d.acl === undefined ? null : (config.accessLists.get(d.acl) ?? null);
        drafts.push({
          name: dname,
          kind: "dynamic",
          settings: d,
          acl: acl !== null && acl.entries.length > 0 ? acl : null,
          // seeds/004:810: a configured ACL that is missing or empty drops everything.
          dropAll: d.acl !== undefined && (acl === null || acl.entries.length === 0),
          template: template(d, "dynamic", config, dname),
          inits: [],
          config: d,
        });
      }
      continue;
    }
    if (seenDynamic) {
      warnings.push({
        code: "dynamic-not-last",
        entry: name,
        message: "dynamic map entries should have the highest sequence numbers (seeds/001:965-967)",
      });
    }
    check(e.acl !== undefined, "bad-crypto-map", "incomplete: needs match address", name);
    check(
      e.kind === "ipsec-manual" || (e.sessionKeys ?? []).length === 0,
      "bad-crypto-map",
      "session keys belong to ipsec-manual entries",
      name,
    );
    const acl = config.accessLists.get(e.acl!);
    if (acl === undefined)
      throw new PolicyError("bad-crypto-map", `unknown access list "${e.acl!}"`, { entry: name });
    if (e.kind === "ipsec-isakmp")
      check(e.peers.length >= 1, "bad-crypto-map", "incomplete: needs set peer", name);
    drafts.push({
      name,
      kind: e.kind,
      settings: e,
      acl,
      dropAll: false,
      template: template(e, e.kind, config, name),
      inits: [],
      config: e,
    });
  }
  for (const d of drafts) {
    if (d.acl === null) continue;
    // seeds/002:5251: "Different access lists must be used in different entries".
    const owner = aclOwner.get(d.acl.name);
    if (owner !== undefined) {
      throw new PolicyError("bad-crypto-map", `access list "${d.acl.name}" is already used by "${owner}"`, {
        entry: d.name,
      });
    }
    aclOwner.set(d.acl.name, d.name);
  }
  checkDenies(drafts);
  for (const d of drafts) {
    if (d.kind === "ipsec-manual") checkManual(d);
    if (d.dropAll) {
      d.inits.push({
        name: `${d.name} drop`,
        action: "discard",
        selectors: [4, 6].map((f) => ({
          local: anyAddress(f as 4 | 6),
          remote: anyAddress(f as 4 | 6),
          protocol: 0,
          localPort: PORT_ANY,
          remotePort: PORT_ANY,
        })),
      });
      continue;
    }
    d.acl?.entries.forEach((ace, i) => {
      const spdName = `${d.name} acl ${d.acl!.name} #${i + 1}`;
      if (
        ace.action === "permit" &&
        ace.selectors.some((s) => s.protocol === 0 && isAny(s.local) && isAny(s.remote))
      ) {
        warnings.push({
          code: "permit-any-any",
          entry: spdName,
          message: "permit any any drops all unprotected inbound traffic (seeds/002:5339)",
        });
      }
      d.inits.push(
        ace.action === "permit"
          ? { name: spdName, action: "protect", selectors: ace.selectors, template: d.template }
          : { name: spdName, action: "bypass", selectors: ace.selectors },
      );
    });
  }
  warnings.push(...shadowWarnings(drafts.flatMap((d) => d.inits)));
  const spd = new Spd({ defaultAction: "bypass" });
  const bypass = options.bypassIke !== false ? [ikeBypass()] : [];
  // One bulk load for the whole set, then each map entry takes its share.
  const added = spd.addAll([...bypass, ...drafts.flatMap((d) => d.inits)]);
  let at = bypass.length;
  const entries: CryptoMapEntry[] = drafts.map((d) => {
    const spdEntries = added.slice(at, at + d.inits.length);
    at += d.inits.length;
    return {
      name: d.name,
      kind: d.kind,
      settings: d.settings,
      acl: d.acl,
      dropAll: d.dropAll,
      template: d.template,
      spdEntries,
    };
  });
  return new CryptoMapPolicy(mapName, spd, entries, manualSas(entries, drafts), warnings);
}

/** seeds/002:5301-5317: a deny in one entry and a permit for the same traffic in a later one. */
function checkDenies(drafts: readonly Draft[]): void {
  drafts.forEach((d, i) => {
    for (const deny of d.acl?.entries ?? []) {
      if (deny.action !== "deny") continue;
      for (const later of drafts.slice(i + 1)) {
        for (const permit of later.acl?.entries ?? []) {
          if (permit.action !== "permit") continue;
          if (deny.selectors.some((a) => permit.selectors.some((b) => selectorsOverlap(a, b)))) {
            throw new PolicyError(
              "deny-overlaps-permit",
              `"${deny.text}" overlaps "${permit.text}" of "${later.name}"; IOS does not support a deny in one entry and a permit for the same traffic in another (seeds/002:5301)`,
              { entry: d.name },
            );
          }
        }
      }
    }
  });
}

/** Entries whose every selector set lies inside one selector set of an earlier entry. */
function shadowWarnings(inits: readonly SpdEntryInit[]): CryptoMapWarning[] {
  const out: CryptoMapWarning[] = [];
  inits.forEach((e, i) => {
    const by = inits
      .slice(0, i)
      .find((p) => e.selectors.every((s) => p.selectors.some((q) => selectorContains(q, s))));
    if (by !== undefined) {
      out.push({
        code: "shadowed",
        entry: e.name,
        message: `no packet can reach it: "${by.name}" covers it`,
      });
    }
  });
  return out;
}

function checkManual(d: Draft): void {
  const permits = d.acl?.entries.filter((e) => e.action === "permit") ?? [];
  // seeds/004:866-868: one permit, one peer, one transform set when IKE is not used.
  check(permits.length === 1, "bad-crypto-map", "a manual entry's ACL must have exactly one permit", d.name);
  check(d.settings.peers.length === 1, "bad-crypto-map", "a manual entry has exactly one peer", d.name);
  check(
    d.settings.transformSets.length === 1,
    "bad-crypto-map",
    "a manual entry has exactly one transform set",
    d.name,
  );
}

function manualSas(entries: readonly CryptoMapEntry[], drafts: readonly Draft[]): ManualSa[] {
  const out: ManualSa[] = [];
  entries.forEach((entry, i) => {
    if (entry.kind !== "ipsec-manual") return;
    const config = drafts[i]!.config as CryptoMapEntryConfig;
    const set = entry.template.proposals[0]!;
    const permit = entry.acl!.entries.findIndex((e) => e.action === "permit");
    const spdEntry = entry.spdEntries[permit]!;
    const keys = config.sessionKeys ?? [];
    const where = { entry: entry.name };
    for (const direction of ["inbound", "outbound"] as const) {
      for (const protocol of ["ah", "esp"] as const) {
        const needed = protocol === "ah" ? set.ah !== null : set.espCipher !== null;
        const found = keys.filter((k) => k.direction === direction && k.protocol === protocol);
        if (!needed) {
          if (found.length > 0)
            throw new PolicyError(
              "bad-crypto-map",
              `${protocol} key but no ${protocol} in "${set.name}"`,
              where,
            );
          continue;
        }
        if (found.length !== 1) {
          throw new PolicyError(
            "bad-crypto-map",
            `needs exactly one ${direction} ${protocol} session key`,
            where,
          );
        }
        const k = found[0]!;
        // RFC 4303 §2.1: SPIs 1-255 are reserved, 0 is never used.
        if (k.spi < 256 || k.spi > 0xffffffff) {
          throw new PolicyError("bad-crypto-map", `SPI ${k.spi} is reserved (RFC 4303 §2.1)`, where);
        }
        const sa = manualKeys(set, protocol, k.key, k.authenticator, entry.name);
        out.push({
          entry,
          spdEntry,
          peer: entry.template.peers[0]!,
          transformSet: set,
          direction,
          protocol: protocol === "ah" ? IpProtocol.AH : IpProtocol.ESP,
          spi: k.spi,
          ...sa,
        });
      }
    }
  });
  return out;
}

function manualKeys(
  set: TransformSet,
  protocol: "ah" | "esp",
  key: Uint8Array | undefined,
  authenticator: Uint8Array | undefined,
  entry: string,
): { encryptionKey?: Uint8Array; integrityKey?: Uint8Array } {
  const expect = (k: Uint8Array | undefined, length: number, what: string) => {
    if (k === undefined || k.length !== length) {
      throw new PolicyError("bad-crypto-map", `${what} must be ${length} bytes`, { entry });
    }
    return k;
  };
  if (protocol === "ah") return { integrityKey: expect(key, set.ah!.keyLength, "the AH key") };
  const cipher = set.espCipher!;
  const out: { encryptionKey?: Uint8Array; integrityKey?: Uint8Array } = {};
  if (cipher.spec.kind !== "null") {
    out.encryptionKey = expect(key, cipher.keyBits / 8 + cipher.spec.saltLength, "the ESP cipher key");
  } else if (key !== undefined && key.length > 0) {
    throw new PolicyError("bad-crypto-map", "esp-null takes no cipher key", { entry });
  }
  if (set.espIntegrity !== null) {
    out.integrityKey = expect(authenticator, set.espIntegrity.keyLength, "the ESP authenticator key");
  } else if (authenticator !== undefined) {
    throw new PolicyError("bad-crypto-map", `"${set.name}" has no ESP authentication`, { entry });
  }
  return out;
}

/**
 * A compiled crypto map set: its SPD, its entries, the manual SAs to install, and the responder
 * decisions (which entry accepts a peer's proposal, temporary entries for dynamic maps).
 * @public
 */
export class CryptoMapPolicy {
  private readonly temporary = new Map<SpdEntry, CryptoMapEntry>();
  private counter = 0;

  constructor(
    /** Crypto map set name. */
    readonly name: string,
    /** The SPD: IKE bypass, then one entry per ACE in sequence order; unmatched traffic bypasses. */
    readonly spd: Spd,
    /** Entries in evaluation order (dynamic map entries expanded in their place). */
    readonly entries: readonly CryptoMapEntry[],
    /** Manually keyed SAs to install. */
    readonly manualSas: readonly ManualSa[],
    /** Advice about the configuration. */
    readonly warnings: readonly CryptoMapWarning[],
  ) {}

  /** Entries that may negotiate with `peer`, in order. */
  private candidates(peer: string): CryptoMapEntry[] {
    return this.entries.filter((e) => {
      if (e.kind === "ipsec-manual" || e.dropAll) return false;
      // Static entries must name the peer (seeds/002:5481-5485); dynamic ones usually name none.
      return e.template.peers.length === 0 ? e.kind === "dynamic" : e.template.peers.includes(peer);
    });
  }

  /**
   * The entry that accepts flow `flow` (this side's point of view: local = our proxy) proposed
   * by `peer`, as IKEv1 Quick Mode does: the flow must lie inside one permit of the entry's ACL
   * and overlap no deny before it (seeds/002:5233-5234, 002:5327-5331). `accept` lets the caller
   * skip entries whose transform sets or PFS do not fit the proposal.
   */
  matchFlow(
    peer: string,
    flow: SelectorSet,
    accept: (entry: CryptoMapEntry) => boolean = () => true,
  ): FlowMatch | null {
    for (const entry of this.candidates(peer)) {
      if (entry.acl === null) {
        if (accept(entry)) return { entry, ace: -1, selectors: [flow], spdEntry: null };
        continue;
      }
      let ace = -1;
      for (const [i, e] of entry.acl.entries.entries()) {
        if (!e.selectors.some((s) => selectorsOverlap(s, flow))) continue;
        if (e.action === "deny") break;
        if (e.selectors.some((s) => selectorContains(s, flow))) {
          ace = i;
          break;
        }
      }
      if (ace >= 0 && accept(entry)) {
        return {
          entry,
          ace,
          selectors: [flow],
          spdEntry: entry.kind === "dynamic" ? null : entry.spdEntries[ace]!,
        };
      }
    }
    return null;
  }

  /**
   * The entry that accepts IKEv2 traffic selectors from `peer` (TSi = the peer's side). By
   * default the proposal must lie inside one permit, as for IKEv1; with `narrow` it is narrowed
   * to the first permit it overlaps (RFC 7296 §2.9). More than 16 selectors on a side are refused
   * (seeds/004:1205). A failure maps to TS_UNACCEPTABLE.
   */
  matchTrafficSelectors(
    peer: string,
    proposal: TsProposal,
    options: { narrow?: boolean } = {},
    accept: (entry: CryptoMapEntry) => boolean = () => true,
  ): TsMatch {
    let reason: "too-many-selectors" | "no-overlap" = "no-overlap";
    for (const entry of this.candidates(peer)) {
      // Permit selector sets in order, with the ACE each one comes from.
      const policy: SelectorSet[] = [];
      const policyAce: number[] = [];
      entry.acl?.entries.forEach((e, i) => {
        if (e.action !== "permit") return;
        for (const s of e.selectors) {
          policy.push(s);
          policyAce.push(i);
        }
      });
      const whole =
        entry.acl === null
          ? acceptAsProposed(proposal)
          : narrowTrafficSelectors(proposal, policy, { exact: options.narrow !== true });
      if (!whole.ok) {
        if (whole.reason === "too-many-selectors") reason = whole.reason;
        continue;
      }
      if (!accept(entry)) continue;
      const selectors = tsToSelectorSets(whole.tsr, whole.tsi);
      const ace = entry.acl === null ? -1 : policyAce[whole.policy]!;
      const spdEntry = entry.kind === "dynamic" ? null : entry.spdEntries[ace]!;
      return {
        ok: true,
        entry,
        ace,
        selectors,
        spdEntry,
        tsi: whole.tsi,
        tsr: whole.tsr,
        additionalTsPossible: whole.additionalTsPossible,
      };
    }
    return { ok: false, reason };
  }

  /**
   * Installs the temporary entry of an accepted dynamic-map peer (seeds/002:5573): a PROTECT
   * entry for the accepted selectors, at the dynamic entry's place, with the peer as its only
   * peer so that rekeys can be initiated. Remove it with {@link CryptoMapPolicy.release} when its
   * SAs are gone.
   */
  instantiate(match: FlowMatch, peer: string): SpdEntry {
    const entry = match.entry;
    if (entry.kind !== "dynamic")
      throw new PolicyError("bad-entry", "only dynamic entries are instantiated", { entry: entry.name });
    const at = this.entries.indexOf(entry);
    const before = this.entries
      .slice(at)
      .flatMap((e) => e.spdEntries)
      .find((e) => this.spd.has(e));
    const spdEntry = this.spd.add(
      {
        name: `${entry.name} peer ${peer} #${++this.counter}`,
        action: "protect",
        selectors: match.selectors,
        template: { ...entry.template, origin: "ike", peers: [peer] },
      },
      before === undefined ? {} : { before },
    );
    this.temporary.set(spdEntry, entry);
    return spdEntry;
  }

  /** The temporary entries now installed. */
  temporaryEntries(): SpdEntry[] {
    return [...this.temporary.keys()];
  }

  /**
   * Removes temporary entries that `inUse` says have no SAs left (seeds/002:5573: removed "when
   * its SAs expire"); returns the removed entries.
   */
  release(inUse: (entry: SpdEntry) => boolean): SpdEntry[] {
    const out: SpdEntry[] = [];
    for (const e of this.temporary.keys()) {
      if (inUse(e)) continue;
      this.spd.remove(e);
      this.temporary.delete(e);
      out.push(e);
    }
    return out;
  }
}

/** A dynamic entry without ACL accepts the proposal as it is (up to 16 selectors per side). */
function acceptAsProposed(proposal: TsProposal) {
  return proposal.tsi.length > MAX_TRAFFIC_SELECTORS || proposal.tsr.length > MAX_TRAFFIC_SELECTORS
    ? { ok: false as const, reason: "too-many-selectors" as const }
    : proposal.tsi.length === 0 || proposal.tsr.length === 0
      ? { ok: false as const, reason: "no-overlap" as const }
      : {
          ok: true as const,
          tsi: [...proposal.tsi],
          tsr: [...proposal.tsr],
          policy: -1,
          additionalTsPossible: false,
        };
}
