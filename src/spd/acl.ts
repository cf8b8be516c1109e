/**
 * Cisco IOS extended access lists as crypto ACLs (the SPD selectors of a crypto map).
 *
 * The grammar covered is what the guides' crypto ACL examples use (seeds/004:563, 004:982-984,
 * 004:4755, 004:4892, seeds/001:1012-1014, seeds/002:5296-5316):
 *
 * ```
 * access-list 101 permit ip 10.0.68.0 0.0.0.255 10.1.1.0 0.0.0.255
 * access-list 110 permit gre host 192.168.0.16 host 172.16.0.12
 * access-list 120 permit tcp host 1.2.3.4 eq 80 any
 * ip access-list extended vpn-tunnel
 *  permit ip host 10.0.0.1 host 10.5.0.1
 * ipv6 access-list v6-tunnel
 *  permit ipv6 2001:db8:1::/48 2001:db8:2::/48
 * ```
 *
 * Source is the local side and destination the remote side: a crypto ACL is written for outbound
 * traffic and applied mirrored to inbound traffic (seeds/002:5251-5266). Port operators `eq`,
 * `neq`, `lt`, `gt` and `range` (with IOS port names), ICMP types and codes, and `log` are
 * understood; options a selector cannot express (`established`, `fragments`, `precedence`, `tos`,
 * `dscp`, `time-range`, `option`, `ttl`) are refused rather than silently widened.
 *
 * @packageDocumentation
 */

import { IpProtocol } from "../ip/header.js";
import {
  type AddressRange,
  anyAddress,
  hostRange,
  parseAddressRange,
  parseIp,
  wildcardRange,
} from "./address.js";
import { PolicyError, withLocation } from "./errors.js";
import {
  checkSelectorSet,
  hasPorts,
  PORT_ANY,
  type PortRange,
  PROTOCOL_ANY,
  type SelectorSet,
} from "./selector.js";

/**
 * One access control entry, expanded into the selector sets it stands for (`neq` and multi-port
 * `eq` give several).
 * @public
 */
export interface AccessListEntry {
  readonly action: "permit" | "deny";
  readonly selectors: readonly SelectorSet[];
  /** The entry as written. */
  readonly text: string;
  /** 1-based line of the configuration text, when parsed from text. */
  readonly line?: number;
}

/**
 * A named or numbered extended access list.
 * @public
 */
export interface AccessList {
  readonly name: string;
  readonly family: 4 | 6;
  readonly entries: readonly AccessListEntry[];
}

const PROTOCOLS: Readonly<Record<string, number>> = {
  ip: PROTOCOL_ANY,
  ipv6: PROTOCOL_ANY,
  icmp: IpProtocol.ICMP,
  igmp: 2,
  ipinip: 4,
  tcp: IpProtocol.TCP,
  udp: IpProtocol.UDP,
  gre: IpProtocol.GRE,
  esp: IpProtocol.ESP,
  ahp: IpProtocol.AH,
  eigrp: 88,
  ospf: 89,
  nos: 94,
  pim: 103,
  pcp: 108,
  sctp: IpProtocol.SCTP,
};

/** IOS port names (TCP and UDP), including `isakmp` and `non500-isakmp` (seeds/004:2085). */
const PORT_NAMES: Readonly<Record<string, number>> = {
  bgp: 179,
  biff: 512,
  bootpc: 68,
  bootps: 67,
  chargen: 19,
  cmd: 514,
  daytime: 13,
  discard: 9,
  domain: 53,
  echo: 7,
  exec: 512,
  finger: 79,
  ftp: 21,
  "ftp-data": 20,
  gopher: 70,
  hostname: 101,
  ident: 113,
  irc: 194,
  isakmp: 500,
  klogin: 543,
  kshell: 544,
  login: 513,
  lpd: 515,
  "mobile-ip": 434,
  nameserver: 42,
  "netbios-dgm": 138,
  "netbios-ns": 137,
  "netbios-ss": 139,
  "non500-isakmp": 4500,
  nntp: 119,
  ntp: 123,
  pop2: 109,
  pop3: 110,
  rip: 520,
  smtp: 25,
  snmp: 161,
  snmptrap: 162,
  sunrpc: 111,
  syslog: 514,
  tacacs: 49,
  talk: 517,
  telnet: 23,
  tftp: 69,
  time: 37,
  who: 513,
  whois: 43,
  www: 80,
  xdmcp: 177,
};

/** IOS ICMP message names: type, and code when the name implies one. */
const ICMP_NAMES: Readonly<Record<string, readonly [number, number?]>> = {
  "echo-reply": [0],
  unreachable: [3],
  "net-unreachable": [3, 0],
  "host-unreachable": [3, 1],
  "protocol-unreachable": [3, 2],
  "port-unreachable": [3, 3],
  "packet-too-big": [3, 4],
  "administratively-prohibited": [3, 13],
  "source-quench": [4],
  redirect: [5],
  "alternate-address": [6],
  echo: [8],
  "router-advertisement": [9],
  "router-solicitation": [10],
  "time-exceeded": [11],
  "ttl-exceeded": [11, 0],
  "parameter-problem": [12],
  "timestamp-request": [13],
  "timestamp-reply": [14],
  "information-request": [15],
  "information-reply": [16],
  "mask-request": [17],
  "mask-reply": [18],
  traceroute: [30],
};

/** ICMPv6 message names for `ipv6 access-list` entries (RFC 4443). */
const ICMPV6_NAMES: Readonly<Record<string, readonly [number, number?]>> = {
  unreachable: [1],
  "packet-too-big": [2],
  "time-exceeded": [3],
  "parameter-problem": [4],
  "echo-request": [128],
  "echo-reply": [129],
  "nd-ns": [135],
  "nd-na": [136],
};

const UNSUPPORTED = new Set([
  "established",
  "fragments",
  "precedence",
  "tos",
  "dscp",
  "time-range",
  "option",
  "ttl",
  "reflect",
  "evaluate",
  "dynamic",
  "object-group",
]);

class Tokens {
  private i = 0;
  constructor(private readonly t: readonly string[]) {}
  peek(): string | undefined {
    return this.t[this.i];
  }
  next(what: string): string {
    const v = this.t[this.i++];
    if (v === undefined) throw new PolicyError("bad-acl", `missing ${what}`);
    return v;
  }
  get done(): boolean {
    return this.i >= this.t.length;
  }
}

function address(t: Tokens, family: 4 | 6): AddressRange {
  const w = t.next("address");
  if (w === "any") return anyAddress(family);
  if (w === "host") {
    const a = parseIp(t.next("host address"));
    if (a.family !== family)
      throw new PolicyError(
        "mixed-family",
        `${a.family === 4 ? "IPv4" : "IPv6"} host in an IPv${family} list`,
      );
    return hostRange(a);
  }
  if (w.includes("/")) {
    const r = parseAddressRange(w);
    if (r.family !== family) throw new PolicyError("mixed-family", `"${w}" in an IPv${family} list`);
    return r;
  }
  if (family === 6) throw new PolicyError("bad-acl", `IPv6 entries use prefixes (a::/n), not "${w}"`);
  return wildcardRange(w, t.next("wildcard mask"));
}

function port(word: string): number {
  const n = /^\d+$/.test(word) ? Number(word) : PORT_NAMES[word];
  if (n === undefined || n > 65535) throw new PolicyError("bad-port", `unknown port "${word}"`);
  return n;
}

const PORT_OPERATORS = new Set(["eq", "neq", "lt", "gt", "range"]);

/** Reads an optional port operator; returns the port ranges it allows. */
function ports(t: Tokens): PortRange[] {
  const op = t.peek();
  if (op === undefined || !PORT_OPERATORS.has(op)) return [PORT_ANY];
  t.next("operator");
  switch (op) {
    case "eq": {
      // IOS accepts several ports after `eq`: one range each.
      const out: PortRange[] = [];
      do {
        const p = port(t.next("port"));
        out.push({ start: p, end: p });
      } while (t.peek() !== undefined && isPortWord(t.peek()!));
      return out;
    }
    case "neq": {
      const p = port(t.next("port"));
      return [
        ...(p > 0 ? [{ start: 0, end: p - 1 }] : []),
        ...(p < 65535 ? [{ start: p + 1, end: 65535 }] : []),
      ];
    }
    case "lt": {
      const p = port(t.next("port"));
      if (p === 0) throw new PolicyError("unmatchable", "lt 0 matches no port");
      return [{ start: 0, end: p - 1 }];
    }
    case "gt": {
      const p = port(t.next("port"));
      if (p === 65535) throw new PolicyError("unmatchable", "gt 65535 matches no port");
      return [{ start: p + 1, end: 65535 }];
    }
    default: {
      const a = port(t.next("range start"));
      const b = port(t.next("range end"));
      if (a > b) throw new PolicyError("bad-range", `port range ${a} ${b} has start above end`);
      return [{ start: a, end: b }];
    }
  }
}

function isPortWord(w: string): boolean {
  return /^\d+$/.test(w) || PORT_NAMES[w] !== undefined;
}

/** Reads an optional ICMP type (name or number) and code into a type·256+code range. */
function icmpType(t: Tokens, names: Readonly<Record<string, readonly [number, number?]>>): PortRange {
  const w = t.peek();
  if (w === undefined) return PORT_ANY;
  let type: number;
  let code: number | undefined;
  if (/^\d+$/.test(w)) {
    t.next("ICMP type");
    type = Number(w);
    const c = t.peek();
    if (c !== undefined && /^\d+$/.test(c)) {
      t.next("ICMP code");
      code = Number(c);
    }
  } else if (names[w] !== undefined) {
    t.next("ICMP message");
    [type, code] = names[w]!;
  } else {
    return PORT_ANY;
  }
  if (type > 255 || (code !== undefined && code > 255))
    throw new PolicyError("bad-port", "ICMP type and code are 0-255");
  return code === undefined
    ? { start: type * 256, end: type * 256 + 255 }
    : { start: type * 256 + code, end: type * 256 + code };
}

/**
 * Parses the body of one extended ACE, without the `access-list N` prefix or sequence number:
 * `{permit|deny} PROTOCOL SRC [PORTS] DST [PORTS] [ICMP] [log]`.
 * @throws {@link PolicyError} `bad-acl`, `unsupported`, and address/port errors.
 * @public
 */
export function parseAccessListEntry(text: string, family: 4 | 6 = 4): AccessListEntry {
  const t = new Tokens(text.trim().toLowerCase().split(/\s+/));
  const action = t.next("permit or deny");
  if (action !== "permit" && action !== "deny")
    throw new PolicyError("bad-acl", `expected permit or deny, not "${action}"`);
  const protoWord = t.next("protocol");
  let protocol = /^\d+$/.test(protoWord) ? Number(protoWord) : PROTOCOLS[protoWord];
  if (protocol === undefined || protocol > 255)
    throw new PolicyError("bad-protocol", `unknown protocol "${protoWord}"`);
  // In an IPv6 list `icmp` means ICMPv6.
  if (family === 6 && protocol === IpProtocol.ICMP) protocol = IpProtocol.ICMPV6;
  if (protoWord === "ipv6" && family === 4) throw new PolicyError("bad-acl", "ipv6 in an IPv4 list");
  const local = address(t, family);
  const localPorts = hasPorts(protocol) ? ports(t) : [PORT_ANY];
  const remote = address(t, family);
  const remotePorts = hasPorts(protocol) ? ports(t) : [PORT_ANY];
  const isIcmp = protocol === IpProtocol.ICMP || protocol === IpProtocol.ICMPV6;
  // An ACL's ICMP type applies to packets in both directions (the list is mirrored for inbound
  // traffic, seeds/002:5251), so both "port" selectors carry it (RFC 4301 §4.4.1.3).
  const icmp = isIcmp ? icmpType(t, protocol === IpProtocol.ICMPV6 ? ICMPV6_NAMES : ICMP_NAMES) : PORT_ANY;
  while (!t.done) {
    const w = t.next("option");
    if (w === "log" || w === "log-input") {
      // An optional log cookie may follow; it changes nothing for IPsec.
      if (t.peek() !== undefined && !UNSUPPORTED.has(t.peek()!)) t.next("log cookie");
      continue;
    }
    if (UNSUPPORTED.has(w))
      throw new PolicyError("unsupported", `"${w}" cannot be expressed as an IPsec selector`);
    throw new PolicyError("bad-acl", `unexpected "${w}"`);
  }
  const selectors: SelectorSet[] = [];
  for (const lp of localPorts) {
    for (const rp of remotePorts) {
      selectors.push(
        checkSelectorSet({
          local,
          remote,
          protocol,
          localPort: isIcmp ? icmp : lp,
          remotePort: isIcmp ? icmp : rp,
        }),
      );
    }
  }
  return { action, selectors, text: text.trim() };
}

/**
 * A mutable access list under construction (used by {@link parseAccessLists} and the crypto
 * configuration parser).
 * @internal
 */
export class AccessListBuilder {
  private readonly entries: AccessListEntry[] = [];
  constructor(
    readonly name: string,
    readonly family: 4 | 6,
  ) {}

  /** Adds an ACE (`permit …`, `deny …`, `remark …`, optionally after a sequence number). */
  add(text: string, line?: number): void {
    let body = text.trim();
    const seq = /^(?:sequence\s+)?\d+\s+(.*)$/i.exec(body);
    if (seq !== null) body = seq[1]!;
    if (/^remark\b/i.test(body)) return;
    const where = {
      entry: `access-list ${this.name}`,
      index: this.entries.length,
      ...(line !== undefined ? { line } : {}),
    };
    const e = withLocation(where, () => parseAccessListEntry(body, this.family));
    this.entries.push(line === undefined ? e : { ...e, line });
  }

  build(): AccessList {
    return { name: this.name, family: this.family, entries: [...this.entries] };
  }
}

/**
 * Parses access lists from configuration text: numbered `access-list N …` lines and
 * `ip access-list extended NAME` / `ipv6 access-list NAME` blocks. Other lines are ignored.
 * @throws {@link PolicyError} naming the list, entry index and line.
 * @public
 */
export function parseAccessLists(text: string): Map<string, AccessList> {
  const lists = new Map<string, AccessListBuilder>();
  let open: AccessListBuilder | null = null;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\S*\(config[^)]*\)#\s*/, "").trim();
    const lineNo = i + 1;
    if (line === "" || line.startsWith("!")) return;
    const numbered = /^access-list\s+(\S+)\s+(.*)$/i.exec(line);
    if (numbered !== null) {
      open = null;
      const name = numbered[1]!;
      const list = lists.get(name) ?? new AccessListBuilder(name, 4);
      lists.set(name, list);
      list.add(numbered[2]!, lineNo);
      return;
    }
    const named = /^(ip access-list extended|ipv6 access-list)\s+(\S+)$/i.exec(line);
    if (named !== null) {
      const name = named[2]!;
      open =
        lists.get(name) ?? new AccessListBuilder(name, named[1]!.toLowerCase().startsWith("ipv6") ? 6 : 4);
      lists.set(name, open);
      return;
    }
    if (open !== null && /^(?:(?:sequence\s+)?\d+\s+)?(permit|deny|remark)\b/i.test(line)) {
      (open as AccessListBuilder).add(line, lineNo);
      return;
    }
    open = null;
  });
  return new Map([...lists].map(([k, v]) => [k, v.build()]));
}
