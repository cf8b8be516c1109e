/**
 * The IOS crypto configuration that defines an SPD: transform sets, crypto access lists, crypto
 * map entries (static, dynamic and manual) and the global IPsec SA settings, as plain data, with
 * a parser for the IOS configuration text the guides show.
 *
 * Commands understood (seeds/004:727-734, 004:787-797, 004:844-853, 004:4754-4759,
 * seeds/001:888-892, seeds/002:9879-9901, 002:12002-12026):
 *
 * ```
 * crypto ipsec transform-set NAME t1 [t2 [t3 [t4]]]      (+ mode tunnel|transport)
 * access-list N {permit|deny} …  |  ip access-list extended NAME  |  ipv6 access-list NAME
 * crypto map [ipv6] MAP SEQ [ipsec-isakmp [dynamic DYN [discover]] | ipsec-manual]
 * crypto dynamic-map DYN SEQ
 *   match address ACL
 *   set peer ADDRESS|HOSTNAME [dynamic] [default]
 *   set transform-set T1 [… T6]
 *   set security-association lifetime {seconds N | kilobytes N | kilobytes disable}
 *   set security-association level per-host
 *   set security-association idle-time N
 *   set security-association replay {window-size N | disable}
 *   set pfs [groupN]
 *   set session-key {inbound|outbound} ah SPI HEX
 *   set session-key {inbound|outbound} esp SPI cipher HEX [authenticator HEX]
 * crypto ipsec security-association {lifetime … | idle-time N | replay …}
 * ```
 *
 * Lines outside these (interfaces, ISAKMP policies, keys …) are returned as `ignored`; router
 * prompts such as `Router(config-crypto-map)# ` are stripped so guide excerpts parse as printed.
 *
 * @packageDocumentation
 */
import { fromHex } from "../wire/bytes.js";
import { type AccessList, AccessListBuilder } from "./acl.js";
import { PolicyError } from "./errors.js";
import { type IpsecMode, parseTransformSet, type TransformSet } from "./transform.js";

/**
 * A peer of a crypto map entry, in failover order (seeds/004:745, 004:4757).
 * @public
 */
export interface CryptoPeer {
  /** IP address or host name. */
  readonly address: string;
  /** `default`: the peer to return to after a failover (seeds/002:9398-9414). */
  readonly default?: boolean;
  /** `dynamic`: a host name resolved when the SA is set up (seeds/002:9626-9642). */
  readonly dynamic?: boolean;
}

/**
 * A manually keyed SA of an `ipsec-manual` entry (seeds/004:849-853).
 * @public
 */
export interface SessionKey {
  readonly direction: "inbound" | "outbound";
  readonly protocol: "ah" | "esp";
  readonly spi: number;
  /** AH key, or ESP cipher key. */
  readonly key?: Uint8Array;
  /** ESP authenticator key. */
  readonly authenticator?: Uint8Array;
}

/**
 * The settings a crypto map entry or dynamic map entry may carry (seeds/004:745-752).
 * @public
 */
export interface CryptoMapSettings {
  /** `match address`: the crypto ACL name or number. */
  readonly acl?: string;
  readonly peers: readonly CryptoPeer[];
  /** `set transform-set`, highest priority first. */
  readonly transformSets: readonly string[];
  readonly lifetimeSeconds?: number;
  /** `kilobytes N`, or null for `kilobytes disable`. */
  readonly lifetimeKilobytes?: number | null;
  /** `level per-host`. */
  readonly perHost?: boolean;
  /** `set pfs`: the DH group (`set pfs` alone means group 1, seeds/004:816). */
  readonly pfsGroup?: number;
  readonly idleSeconds?: number;
  /** `replay window-size N`, or 0 for `replay disable`. */
  readonly replayWindow?: number;
  /** 1-based configuration line of the entry, when parsed from text. */
  readonly line?: number;
}

/**
 * One entry of a crypto map set.
 * @public
 */
export interface CryptoMapEntryConfig extends CryptoMapSettings {
  readonly map: string;
  readonly seq: number;
  readonly kind: "ipsec-isakmp" | "ipsec-manual" | "dynamic";
  /** For `dynamic`: the dynamic crypto map set this entry refers to. */
  readonly dynamicMap?: string;
  /** `discover` (Tunnel Endpoint Discovery). */
  readonly discover?: boolean;
  /** `crypto map ipv6 …`. */
  readonly ipv6?: boolean;
  readonly sessionKeys?: readonly SessionKey[];
}

/**
 * One entry of a dynamic crypto map set (`crypto dynamic-map NAME SEQ`).
 * @public
 */
export interface DynamicMapEntryConfig extends CryptoMapSettings {
  readonly map: string;
  readonly seq: number;
}

/**
 * Global IPsec SA settings (`crypto ipsec security-association …`).
 * @public
 */
export interface CryptoGlobals {
  readonly lifetimeSeconds?: number;
  readonly lifetimeKilobytes?: number;
  readonly idleSeconds?: number;
  /** Window size, or 0 for `replay disable`. */
  readonly replayWindow?: number;
}

/**
 * A whole crypto configuration.
 * @public
 */
export interface CryptoConfig {
  readonly transformSets: ReadonlyMap<string, TransformSet>;
  readonly accessLists: ReadonlyMap<string, AccessList>;
  /** Crypto map sets by name, entries sorted by sequence number. */
  readonly cryptoMaps: ReadonlyMap<string, readonly CryptoMapEntryConfig[]>;
  /** Dynamic crypto map sets by name, entries sorted by sequence number. */
  readonly dynamicMaps: ReadonlyMap<string, readonly DynamicMapEntryConfig[]>;
  readonly globals: CryptoGlobals;
  /** Lines that are not crypto map configuration. */
  readonly ignored: readonly { readonly line: number; readonly text: string }[];
}

/**
 * Options of {@link parseCryptoConfig}.
 * @public
 */
export interface CryptoConfigOptions {
  /** Accept legacy transforms (DES, 3DES, MD5), as many guide examples use. Default false. */
  readonly allowLegacy?: boolean;
}

/** `crypto map NAME <option> …` commands that configure the whole set, not an entry. */
const MAP_OPTIONS = new Set([
  "local-address",
  "client",
  "isakmp",
  "isakmp-profile",
  "redundancy",
  "gdoi",
  "accounting",
]);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type MapDraft = Mutable<CryptoMapEntryConfig> & { peers: CryptoPeer[]; sessionKeys: SessionKey[] };
type DynDraft = Mutable<DynamicMapEntryConfig> & { peers: CryptoPeer[] };
type Mode =
  | { kind: "none" }
  | { kind: "transform"; name: string; transforms: string[]; line: number }
  | { kind: "acl"; acl: AccessListBuilder }
  | { kind: "map"; entry: MapDraft }
  | { kind: "dynamic"; entry: DynDraft };

function int(word: string | undefined, what: string, line: number): number {
  if (word === undefined || !/^\d+$/.test(word))
    throw new PolicyError("bad-crypto-map", `${what} must be a number`, { line });
  return Number(word);
}

/**
 * Parses IOS crypto configuration text (see the module comment for the commands).
 * @throws {@link PolicyError} with the line number for malformed or unsupported crypto lines.
 * @public
 */
export function parseCryptoConfig(text: string, options: CryptoConfigOptions = {}): CryptoConfig {
  const transformSets = new Map<string, TransformSet>();
  const acls = new Map<string, AccessListBuilder>();
  const maps = new Map<string, MapDraft[]>();
  const dynamics = new Map<string, DynDraft[]>();
  const globals: Mutable<CryptoGlobals> = {};
  const ignored: { line: number; text: string }[] = [];
  let mode: Mode = { kind: "none" };

  /** Ends a `crypto ipsec transform-set` block, with its `mode` line if there was one. */
  const closeTransform = (m: Mode, ipsecMode?: IpsecMode) => {
    if (m.kind !== "transform") return;
    const set = withLine(m.line, () =>
      parseTransformSet(m.name, m.transforms, {
        ...(ipsecMode !== undefined ? { mode: ipsecMode } : {}),
        ...(options.allowLegacy !== undefined ? { allowLegacy: options.allowLegacy } : {}),
      }),
    );
    transformSets.set(m.name, set);
  };
  const aclFor = (name: string, family: 4 | 6) => {
    const a = acls.get(name) ?? new AccessListBuilder(name, family);
    acls.set(name, a);
    return a;
  };

  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.replace(/^\S*\(config[^)]*\)#\s*/, "").trim();
    if (line === "" || line.startsWith("!")) return;
    const w = line.split(/\s+/);
    const lw = w.map((x) => x.toLowerCase());
    // Sub-mode commands first.
    if (mode.kind === "transform" && lw[0] === "mode") {
      if (lw[1] !== "tunnel" && lw[1] !== "transport") {
        throw new PolicyError("bad-transform", "mode is tunnel or transport", {
          line: lineNo,
          entry: mode.name,
        });
      }
      closeTransform(mode, lw[1]);
      mode = { kind: "none" };
      return;
    }
    if (mode.kind === "acl" && /^(?:(?:sequence\s+)?\d+\s+)?(permit|deny|remark)\b/i.test(line)) {
      mode.acl.add(line, lineNo);
      return;
    }
    if (
      (mode.kind === "map" || mode.kind === "dynamic") &&
      (lw[0] === "set" || lw[0] === "set-peer" || lw[0] === "match")
    ) {
      const entry = mode.entry;
      if (!subCommand(entry, lw, w, lineNo, mode.kind === "map")) ignored.push({ line: lineNo, text: line });
      return;
    }
    // A new top-level command ends any sub-mode.
    closeTransform(mode);
    mode = { kind: "none" };
    if (
      lw[0] === "crypto" &&
      (lw[1] === "ipsec" || lw[1] === "transform-set") &&
      (lw[1] === "transform-set" || lw[2] === "transform-set")
    ) {
      const at = lw[1] === "transform-set" ? 2 : 3;
      const name = w[at];
      if (name === undefined)
        throw new PolicyError("bad-transform", "transform-set needs a name", { line: lineNo });
      mode = { kind: "transform", name, transforms: w.slice(at + 1), line: lineNo };
      return;
    }
    if (lw[0] === "crypto" && lw[1] === "ipsec" && lw[2] === "security-association") {
      globalCommand(globals, lw.slice(3), lineNo);
      return;
    }
    if (lw[0] === "access-list" && w[1] !== undefined && w.length > 2) {
      aclFor(w[1], 4).add(w.slice(2).join(" "), lineNo);
      return;
    }
    if (
      (lw[0] === "ip" && lw[1] === "access-list" && lw[2] === "extended") ||
      (lw[0] === "ipv6" && lw[1] === "access-list")
    ) {
      const name = w[lw[0] === "ip" ? 3 : 2];
      if (name === undefined) throw new PolicyError("bad-acl", "access-list needs a name", { line: lineNo });
      mode = { kind: "acl", acl: aclFor(name, lw[0] === "ipv6" ? 6 : 4) };
      return;
    }
    if (lw[0] === "crypto" && lw[1] === "dynamic-map") {
      const entry: DynDraft = {
        map: w[2] ?? "",
        seq: int(w[3], "dynamic-map sequence", lineNo),
        peers: [],
        transformSets: [],
        line: lineNo,
      };
      if (entry.map === "")
        throw new PolicyError("bad-crypto-map", "dynamic-map needs a name", { line: lineNo });
      const list = dynamics.get(entry.map) ?? [];
      const existing = list.find((e) => e.seq === entry.seq);
      if (existing === undefined) list.push(entry);
      dynamics.set(entry.map, list);
      mode = { kind: "dynamic", entry: existing ?? entry };
      return;
    }
    if (lw[0] === "crypto" && lw[1] === "map") {
      const ipv6 = lw[2] === "ipv6";
      const rest = w.slice(ipv6 ? 3 : 2);
      const lrest = lw.slice(ipv6 ? 3 : 2);
      const name = rest[0];
      if (name === undefined || rest.length === 1 || MAP_OPTIONS.has(lrest[1]!)) {
        // Interface bindings and map-wide options (local-address, client accounting, isakmp …).
        ignored.push({ line: lineNo, text: line });
        return;
      }
      if (!/^\d+$/.test(rest[1]!))
        throw new PolicyError("bad-crypto-map", "sequence must be a number", { line: lineNo });
      const seq = Number(rest[1]);
      let kind: CryptoMapEntryConfig["kind"] = "ipsec-isakmp";
      const entry: MapDraft = {
        map: name,
        seq,
        kind,
        peers: [],
        transformSets: [],
        sessionKeys: [],
        line: lineNo,
        ...(ipv6 ? { ipv6 } : {}),
      };
      for (let k = 2; k < lrest.length; k++) {
        const word = lrest[k];
        if (word === "ipsec-isakmp") continue;
        if (word === "ipsec-manual") kind = "ipsec-manual";
        else if (word === "dynamic") {
          kind = "dynamic";
          const dyn = rest[++k];
          if (dyn === undefined)
            throw new PolicyError("bad-crypto-map", "dynamic needs a map name", { line: lineNo });
          entry.dynamicMap = dyn;
        } else if (word === "discover") entry.discover = true;
        else if (word === "profile") {
          throw new PolicyError("unsupported", "crypto map profiles (L2TP) are not supported", {
            line: lineNo,
          });
        } else throw new PolicyError("bad-crypto-map", `unexpected "${rest[k]}"`, { line: lineNo });
      }
      entry.kind = kind;
      const list = maps.get(name) ?? [];
      const existing = list.find((e) => e.seq === seq);
      if (existing === undefined) list.push(entry);
      maps.set(name, list);
      mode = { kind: "map", entry: existing ?? entry };
      return;
    }
    ignored.push({ line: lineNo, text: line });
  });
  closeTransform(mode);

  const bySeq = <T extends { seq: number }>(xs: T[]) => xs.sort((a, b) => a.seq - b.seq);
  return {
    transformSets,
    accessLists: new Map([...acls].map(([k, v]) => [k, v.build()])),
    cryptoMaps: new Map([...maps].map(([k, v]) => [k, bySeq(v)])),
    dynamicMaps: new Map([...dynamics].map(([k, v]) => [k, bySeq(v)])),
    globals,
    ignored,
  };
}

function withLine<T>(line: number, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof PolicyError) throw e.locate({ line });
    throw e;
  }
}

function globalCommand(g: Mutable<CryptoGlobals>, lw: readonly string[], line: number): void {
  if (lw[0] === "lifetime" && lw[1] === "seconds") g.lifetimeSeconds = int(lw[2], "lifetime seconds", line);
  else if (lw[0] === "lifetime" && lw[1] === "kilobytes")
    g.lifetimeKilobytes = int(lw[2], "lifetime kilobytes", line);
  else if (lw[0] === "idle-time") g.idleSeconds = int(lw[1], "idle-time", line);
  else if (lw[0] === "replay" && lw[1] === "disable") g.replayWindow = 0;
  else if (lw[0] === "replay" && lw[1] === "window-size") g.replayWindow = int(lw[2], "window-size", line);
  else throw new PolicyError("unsupported", `crypto ipsec security-association ${lw.join(" ")}`, { line });
}

/** Applies one `set …` / `match …` line; returns false for commands that do not affect the SPD. */
function subCommand(
  e: MapDraft | DynDraft,
  lw: readonly string[],
  w: readonly string[],
  line: number,
  isMap: boolean,
): boolean {
  const where = { line, entry: `${e.map} ${e.seq}` };
  if (lw[0] === "match") {
    if (lw[1] !== "address" || w[2] === undefined) return false;
    e.acl = w[2];
    return true;
  }
  // `set-peer` is how one guide prints the command (seeds/004:745).
  const cmd = lw[0] === "set-peer" ? ["set", "peer", ...lw.slice(1)] : lw;
  const raw = lw[0] === "set-peer" ? ["set", "peer", ...w.slice(1)] : w;
  switch (cmd[1]) {
    case "peer": {
      const address = raw[2];
      if (address === undefined) throw new PolicyError("bad-crypto-map", "set peer needs an address", where);
      const flags = cmd.slice(3);
      e.peers.push({
        address,
        ...(flags.includes("default") ? { default: true } : {}),
        ...(flags.includes("dynamic") ? { dynamic: true } : {}),
      });
      return true;
    }
    case "transform-set":
      e.transformSets = raw.slice(2);
      return true;
    case "pfs": {
      const g = cmd[2];
      if (g === undefined) e.pfsGroup = 1;
      else {
        const m = /^(?:group)?(\d+)$/.exec(g);
        if (m === null) throw new PolicyError("bad-crypto-map", `unknown PFS group "${g}"`, where);
        e.pfsGroup = Number(m[1]);
      }
      return true;
    }
    case "security-association":
      return saCommand(e, cmd.slice(2), where);
    case "session-key": {
      if (!isMap)
        throw new PolicyError("bad-crypto-map", "session keys belong to ipsec-manual entries", where);
      (e as MapDraft).sessionKeys.push(sessionKey(cmd.slice(2), raw.slice(2), where));
      return true;
    }
    default:
      return false;
  }
}

function saCommand(
  e: MapDraft | DynDraft,
  a: readonly string[],
  where: { line: number; entry: string },
): boolean {
  if (a[0] === "lifetime" && a[1] === "seconds")
    e.lifetimeSeconds = int(a[2], "lifetime seconds", where.line);
  else if (a[0] === "lifetime" && a[1] === "kilobytes" && a[2] === "disable") e.lifetimeKilobytes = null;
  else if (a[0] === "lifetime" && a[1] === "kilobytes")
    e.lifetimeKilobytes = int(a[2], "lifetime kilobytes", where.line);
  else if (a[0] === "level" && a[1] === "per-host") e.perHost = true;
  else if (a[0] === "idle-time") e.idleSeconds = int(a[1], "idle-time", where.line);
  else if (a[0] === "replay" && a[1] === "disable") e.replayWindow = 0;
  else if (a[0] === "replay" && a[1] === "window-size") e.replayWindow = int(a[2], "window-size", where.line);
  else return false;
  return true;
}

function hex(word: string | undefined, where: { line: number; entry: string }): Uint8Array {
  try {
    return fromHex(word ?? "");
  } catch {
    throw new PolicyError("bad-crypto-map", `"${word ?? ""}" is not a hex key`, where);
  }
}

function sessionKey(
  a: readonly string[],
  raw: readonly string[],
  where: { line: number; entry: string },
): SessionKey {
  const direction = a[0];
  const protocol = a[1];
  if ((direction !== "inbound" && direction !== "outbound") || (protocol !== "ah" && protocol !== "esp")) {
    throw new PolicyError("bad-crypto-map", "set session-key {inbound|outbound} {ah|esp} …", where);
  }
  const spi = int(a[2], "SPI", where.line);
  if (protocol === "ah") return { direction, protocol, spi, key: hex(raw[3], where) };
  let key: Uint8Array | undefined;
  let authenticator: Uint8Array | undefined;
  for (let k = 3; k < a.length; k += 2) {
    if (a[k] === "cipher") key = hex(raw[k + 1], where);
    else if (a[k] === "authenticator") authenticator = hex(raw[k + 1], where);
    else throw new PolicyError("bad-crypto-map", `unexpected "${raw[k]}" in session-key`, where);
  }
  return { direction, protocol, spi, ...(key ? { key } : {}), ...(authenticator ? { authenticator } : {}) };
}
