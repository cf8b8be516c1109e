/**
 * The configuration payload in IKE_AUTH (RFC 7296 §2.19, §3.15): the initiator's CP(CFG_REQUEST)
 * for a virtual IP and DNS servers and its reading of CP(CFG_REPLY), and the responder's answer
 * from an {@link AddressAllocator}. The assigned addresses narrow the first Child SA's TSi
 * (§2.19: "TSi = (0, 0-65535, 192.0.2.202-192.0.2.202)").
 *
 * A CP whose attribute lengths §3.15.1 forbids never gets here: the codec refuses it and the
 * message is answered or dropped as malformed. What does get here is still the peer's choice:
 * attributes we did not ask for, unknown types, empty values and unspecified addresses are
 * ignored, and no more addresses are taken than were asked for (§3.15.1: "The responder MAY only
 * send up to the number of addresses requested").
 *
 * @packageDocumentation
 */
import { formatIp } from "../../../spd/address.js";
import type { Payload } from "../../chain.js";
import { CfgType, ConfigAttributeType, isErrorNotify, NotifyType, notifyName } from "../../constants.js";
import type { ConfigAttribute, CpPayload } from "../../payloads/cp.js";
import type { TrafficSelector } from "../../payloads/ts.js";
import { parseIpAddress } from "../address.js";
import { type IkeSaContext, notify } from "../context.js";
import { trafficSelector } from "../traffic-selectors.js";
import type { ConfigReplyOptions, ConfigRequestOptions } from "../types.js";
import { acceptChild, type ChildOutcome, type ChildRequest } from "./child-sa.js";

const IPV4_LENGTH = 4;
const IPV6_LENGTH = 16;
/** INTERNAL_IP6_ADDRESS: 16 octets of address and a prefix length (RFC 7296 §3.15.1). */
const IPV6_ADDRESS_ATTRIBUTE_LENGTH = 17;
const IPV6_HOST_PREFIX = 128;
const EMPTY = new Uint8Array(0);

/** A configuration request with its addresses parsed. @internal */
export interface ResolvedConfigRequest {
  /** The INTERNAL_IP4_ADDRESS value to send (empty: any address); undefined: none asked for. */
  readonly ipv4: Uint8Array | undefined;
  /** The INTERNAL_IP6_ADDRESS value to send (empty or 17 octets); undefined: none asked for. */
  readonly ipv6: Uint8Array | undefined;
  readonly dns: boolean;
  readonly required: boolean;
}

/** A configuration reply policy with its DNS servers parsed. @internal */
export interface ResolvedConfigReply {
  readonly dns4: readonly Uint8Array[];
  readonly dns6: readonly Uint8Array[];
  readonly required: boolean;
}

/** What the IKE SA's CP exchange assigned: the initiator's addresses and the DNS servers. @internal */
export interface ConfigAssignment {
  readonly virtualIps: readonly string[];
  readonly dns: readonly string[];
  /** True on the responder: the addresses came from `deps.addressPool` and go back to it. */
  readonly leased: boolean;
}

function addressValue(family: "ipv4" | "ipv6", option: boolean | string | undefined): Uint8Array | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return EMPTY;
  const octets = parseIpAddress(option);
  const length = family === "ipv4" ? IPV4_LENGTH : IPV6_LENGTH;
  if (octets.length !== length) throw new TypeError(`configRequest.${family}: "${option}" is not ${family}`);
  return family === "ipv4" ? octets : Uint8Array.of(...octets, IPV6_HOST_PREFIX);
}

/**
 * Parses {@link ConfigRequestOptions}.
 * @throws `TypeError` for a requested address that does not parse or is of the other family.
 * @internal
 */
export function resolveConfigRequest(o: ConfigRequestOptions | undefined): ResolvedConfigRequest | undefined {
  if (o === undefined) return undefined;
  return {
    ipv4: addressValue("ipv4", o.ipv4),
    ipv6: addressValue("ipv6", o.ipv6),
    dns: o.dns ?? false,
    required: o.required ?? true,
  };
}

/**
 * Parses {@link ConfigReplyOptions}.
 * @throws `TypeError` for a DNS server that is not an address.
 * @internal
 */
export function resolveConfigReply(o: ConfigReplyOptions | undefined): ResolvedConfigReply | undefined {
  if (o === undefined) return undefined;
  const dns = (o.dns ?? []).map(parseIpAddress);
  return {
    dns4: dns.filter((a) => a.length === IPV4_LENGTH),
    dns6: dns.filter((a) => a.length === IPV6_LENGTH),
    required: o.required ?? false,
  };
}

/** True when the request asks for an address of any family. @internal */
export function asksForAddress(r: ResolvedConfigRequest | undefined): boolean {
  return r !== undefined && (r.ipv4 !== undefined || r.ipv6 !== undefined);
}

/**
 * TSi "any" of each family the request asks an address for: what the initiator proposes when
 * its own address is still to be assigned (RFC 7296 §2.19).
 * @internal
 */
export function anySelectors(r: ResolvedConfigRequest): TrafficSelector[] {
  const out: TrafficSelector[] = [];
  if (r.ipv4 !== undefined) out.push(trafficSelector("0.0.0.0/0"));
  if (r.ipv6 !== undefined) out.push(trafficSelector("::/0"));
  return out;
}

/** Address octets as text (dotted quad, RFC 5952 IPv6). */
function addressText(octets: Uint8Array): string {
  let value = 0n;
  for (const b of octets) value = (value << 8n) | BigInt(b);
  return formatIp(octets.length === IPV4_LENGTH ? 4 : 6, value);
}

function unspecified(octets: Uint8Array): boolean {
  return octets.every((b) => b === 0);
}

/** The address an INTERNAL_IPx_ADDRESS value names, or undefined for an empty or unspecified one. */
function addressOf(a: ConfigAttribute): Uint8Array | undefined {
  const octets =
    a.attrType === ConfigAttributeType.INTERNAL_IP6_ADDRESS
      ? a.value.length === IPV6_ADDRESS_ATTRIBUTE_LENGTH
        ? a.value.subarray(0, IPV6_LENGTH)
        : undefined
      : a.value.length === IPV4_LENGTH
        ? a.value
        : undefined;
  return octets === undefined || unspecified(octets) ? undefined : octets;
}

function attribute(attrType: number, value: Uint8Array): ConfigAttribute {
  return { attrType, value };
}

/** The initiator's CP(CFG_REQUEST) (RFC 7296 §2.19, §3.15.1: a zero-length value asks for one). @internal */
export function configRequestPayload(r: ResolvedConfigRequest): CpPayload {
  const attributes: ConfigAttribute[] = [];
  if (r.ipv4 !== undefined) attributes.push(attribute(ConfigAttributeType.INTERNAL_IP4_ADDRESS, r.ipv4));
  if (r.ipv6 !== undefined) attributes.push(attribute(ConfigAttributeType.INTERNAL_IP6_ADDRESS, r.ipv6));
  if (r.dns) {
    // DNS servers of the families we ask addresses of; IPv4 when we ask for none.
    if (r.ipv4 !== undefined || r.ipv6 === undefined) {
      attributes.push(attribute(ConfigAttributeType.INTERNAL_IP4_DNS, EMPTY));
    }
    if (r.ipv6 !== undefined) attributes.push(attribute(ConfigAttributeType.INTERNAL_IP6_DNS, EMPTY));
  }
  return { type: "CP", cfgType: CfgType.CFG_REQUEST, attributes };
}

/** The initiator's reading of the responder's CP(CFG_REPLY). @internal */
export interface ConfigReplyResult {
  readonly assignment: ConfigAssignment;
  /** One-address selectors for the assigned addresses, to narrow our TSi to. */
  readonly selectors: readonly TrafficSelector[];
}

/**
 * Reads the CP(CFG_REPLY) of an IKE_AUTH response: at most one address of each family we asked
 * for, and DNS servers if we asked for them. Anything else is ignored (RFC 7296 §3.15.1).
 * @internal
 */
export function acceptConfigReply(
  ctx: IkeSaContext,
  response: readonly Payload[],
  r: ResolvedConfigRequest,
): ConfigReplyResult {
  const cp = response.find((p): p is CpPayload => p.type === "CP");
  const virtualIps: string[] = [];
  const dns = new Set<string>();
  if (cp !== undefined && cp.cfgType !== CfgType.CFG_REPLY) {
    ctx.log.warn(`IKE_AUTH response: ignoring a CP of type ${cp.cfgType}, not CFG_REPLY`);
  } else if (cp !== undefined) {
    let ipv4 = r.ipv4 !== undefined;
    let ipv6 = r.ipv6 !== undefined;
    for (const a of cp.attributes) {
      switch (a.attrType) {
        case ConfigAttributeType.INTERNAL_IP4_ADDRESS:
        case ConfigAttributeType.INTERNAL_IP6_ADDRESS: {
          const v4 = a.attrType === ConfigAttributeType.INTERNAL_IP4_ADDRESS;
          const octets = addressOf(a);
          if (octets === undefined || !(v4 ? ipv4 : ipv6)) break;
          virtualIps.push(addressText(octets));
          if (v4) ipv4 = false;
          else ipv6 = false;
          break;
        }
        case ConfigAttributeType.INTERNAL_IP4_DNS:
        case ConfigAttributeType.INTERNAL_IP6_DNS:
          // Zero-length (an echo of the request) or unspecified values name no server.
          if (r.dns && a.value.length > 0 && !unspecified(a.value)) dns.add(addressText(a.value));
          break;
        default:
          // RFC 7296 §3.15.1: attributes we did not ask for, known or not, are not used.
          break;
      }
    }
  }
  if (virtualIps.length > 0) ctx.log.info(`assigned virtual IP ${virtualIps.join(", ")}`);
  return {
    assignment: { virtualIps, dns: [...dns], leased: false },
    selectors: virtualIps.map(trafficSelector),
  };
}

/** The responder's answer to the CP of an IKE_AUTH request. @internal */
export interface ConfigAnswer {
  /** CP(CFG_REPLY), or the error notify. */
  readonly payloads: readonly Payload[];
  /** The notify that refuses the first Child SA (RFC 7296 §2.19, §3.10.1), if any. */
  readonly refuse: number | undefined;
  /** One-address selectors for the assigned addresses, to narrow the peer's TSi to. */
  readonly peerSelectors: readonly TrafficSelector[] | undefined;
}

const NO_ANSWER: ConfigAnswer = { payloads: [], refuse: undefined, peerSelectors: undefined };

/**
 * Answers CP(CFG_REQUEST) after the initiator authenticated (RFC 7296 §2.19): an address of each
 * family it asks for from `deps.addressPool` (the one it names, if free), DNS servers of the
 * families it asks for. The assignment is kept in `ctx.assigned` until the IKE SA ends.
 * @internal
 */
export function answerConfigRequest(ctx: IkeSaContext, request: readonly Payload[]): ConfigAnswer {
  const policy = ctx.config.configReply;
  const cp = request.find((p): p is CpPayload => p.type === "CP");
  if (cp === undefined || cp.cfgType !== CfgType.CFG_REQUEST) {
    if (cp !== undefined) ctx.log.warn(`IKE_AUTH: ignoring a CP of type ${cp.cfgType}, not CFG_REQUEST`);
    if (policy?.required !== true) return NO_ANSWER;
    // RFC 7296 §3.10.1: FAILED_CP_REQUIRED, "CP(CFG_REQUEST) was expected but not received".
    ctx.log.warn("IKE_AUTH: no CFG_REQUEST, but policy requires one");
    const refuse = NotifyType.FAILED_CP_REQUIRED;
    return { payloads: [notify(refuse)], refuse, peerSelectors: undefined };
  }
  const wanted = new Map<"ipv4" | "ipv6", string | undefined>();
  let dns4 = false;
  let dns6 = false;
  for (const a of cp.attributes) {
    if (
      a.attrType === ConfigAttributeType.INTERNAL_IP4_ADDRESS ||
      a.attrType === ConfigAttributeType.INTERNAL_IP6_ADDRESS
    ) {
      const family = a.attrType === ConfigAttributeType.INTERNAL_IP4_ADDRESS ? "ipv4" : "ipv6";
      // One address of each family: the first request of it counts (§3.15.1 allows fewer).
      if (wanted.has(family)) continue;
      const octets = addressOf(a);
      wanted.set(family, octets === undefined ? undefined : addressText(octets));
    }
    if (a.attrType === ConfigAttributeType.INTERNAL_IP4_DNS) dns4 = true;
    if (a.attrType === ConfigAttributeType.INTERNAL_IP6_DNS) dns6 = true;
  }
  const pool = ctx.deps.addressPool;
  const attributes: ConfigAttribute[] = [];
  const virtualIps: string[] = [];
  for (const [family, requested] of wanted) {
    const address = pool?.acquire(ctx.peerId!, family, requested);
    if (address === undefined) continue;
    virtualIps.push(address);
    const octets = parseIpAddress(address);
    attributes.push(
      family === "ipv4"
        ? attribute(ConfigAttributeType.INTERNAL_IP4_ADDRESS, octets)
        : attribute(ConfigAttributeType.INTERNAL_IP6_ADDRESS, Uint8Array.of(...octets, IPV6_HOST_PREFIX)),
    );
  }
  if (wanted.size > 0 && virtualIps.length === 0) {
    // RFC 7296 §3.10.1: INTERNAL_ADDRESS_FAILURE; "If this error is generated within an IKE_AUTH
    // exchange, no Child SA will be created" — the IKE SA stays (§2.19).
    ctx.log.warn(`IKE_AUTH: no ${[...wanted.keys()].join("/")} address to assign`);
    const refuse = NotifyType.INTERNAL_ADDRESS_FAILURE;
    return { payloads: [notify(refuse)], refuse, peerSelectors: undefined };
  }
  const servers = [...(dns4 ? (policy?.dns4 ?? []) : []), ...(dns6 ? (policy?.dns6 ?? []) : [])];
  for (const s of servers) {
    const attrType =
      s.length === IPV4_LENGTH ? ConfigAttributeType.INTERNAL_IP4_DNS : ConfigAttributeType.INTERNAL_IP6_DNS;
    attributes.push(attribute(attrType, s));
  }
  ctx.assigned = { virtualIps, dns: servers.map(addressText), leased: true };
  if (virtualIps.length > 0) ctx.log.info(`assigning virtual IP ${virtualIps.join(", ")}`);
  return {
    payloads: [{ type: "CP", cfgType: CfgType.CFG_REPLY, attributes }],
    refuse: undefined,
    peerSelectors: wanted.size > 0 ? virtualIps.map(trafficSelector) : undefined,
  };
}

/**
 * Returns the responder's leased addresses to the pool: an address lives as long as the IKE SA
 * that requested it (RFC 7296 §3.15.1). Idempotent.
 * @internal
 */
export function releaseAssignment(ctx: IkeSaContext): void {
  const assigned = ctx.assigned;
  if (assigned === undefined || !assigned.leased) return;
  ctx.assigned = { ...assigned, leased: false };
  for (const address of assigned.virtualIps) ctx.deps.addressPool?.release(address);
}

/**
 * The initiator's first Child SA from the IKE_AUTH response, read with the CFG_REPLY when we sent
 * a CFG_REQUEST: our selectors become the assigned addresses (RFC 7296 §2.19). When we asked for
 * an address and got none there is no Child SA, and `deleteIke` says whether policy wants the
 * IKE SA deleted (§2.19: the initiator "MAY keep the IKE SA up … or it MAY tear down the IKE SA").
 * @internal
 */
export function acceptFirstChild(
  ctx: IkeSaContext,
  response: readonly Payload[],
  request: ChildRequest,
): { readonly child: ChildOutcome; readonly deleteIke: boolean } {
  const cfg = ctx.config.configRequest;
  if (cfg === undefined) return { child: acceptChild(ctx, response, request), deleteIke: false };
  const reply = acceptConfigReply(ctx, response, cfg);
  ctx.assigned = reply.assignment;
  if (!asksForAddress(cfg)) return { child: acceptChild(ctx, response, request), deleteIke: false };
  if (reply.selectors.length === 0) {
    const error = response.find((p) => p.type === "N" && isErrorNotify(p.notifyType));
    const notifyType = error?.type === "N" ? error.notifyType : NotifyType.INTERNAL_ADDRESS_FAILURE;
    ctx.log.warn(`IKE_AUTH response: no virtual IP assigned (${notifyName(notifyType)})`);
    return { child: { kind: "refused", notifyType }, deleteIke: cfg.required };
  }
  return { child: acceptChild(ctx, response, request, reply.selectors), deleteIke: false };
}
