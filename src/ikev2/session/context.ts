/**
 * The state one IKE SA's tasks share: role, configuration, SPIs, nonces, negotiated transforms,
 * keys, where the peer is, and the Child SAs. The session owns it; tasks read and fill it in.
 *
 * @packageDocumentation
 */
import type { ChildSaKeys, IkeSaKeys } from "../keys.js";
import type { NotifyPayload } from "../payloads/notify.js";
import type { IkeRole, SkProtection } from "../sk-protect.js";
import type { ResolvedConfig } from "./config.js";
import type { IkeChoice } from "./proposals.js";
import type { ConfigAssignment } from "./tasks/config-payload.js";
import type { ChildSaInfo, Endpoint, IdentityConfig, IkeLogger, IkeSessionDeps } from "./types.js";

/** A Child SA as the IKE SA keeps it: SPIs, the keys to zeroize, and what was reported. @internal */
export interface ChildSa {
  readonly inboundSpi: number;
  readonly outboundSpi: number;
  readonly keys: ChildSaKeys;
  readonly info: ChildSaInfo;
}

/** The shared state of one IKE SA. @internal */
export interface IkeSaContext {
  /** Our role in the IKE SA; a rekey of the IKE SA can swap it (RFC 7296 §2.18). */
  role: IkeRole;
  readonly config: ResolvedConfig;
  readonly deps: IkeSessionDeps;
  readonly log: IkeLogger;
  readonly createdAt: number;
  spiI: Uint8Array;
  spiR: Uint8Array;
  ni: Uint8Array | undefined;
  nr: Uint8Array | undefined;
  /** The IKE_SA_INIT request and response as sent: RealMessage1 and RealMessage2 (RFC 7296 §2.15). */
  initRequest: Uint8Array | undefined;
  initResponse: Uint8Array | undefined;
  ike: IkeChoice | undefined;
  keys: IkeSaKeys | undefined;
  sk: SkProtection | undefined;
  /** Where requests go and answers come from (updated from authenticated messages, RFC 7296 §2.23). */
  remote: Endpoint;
  /** Our port for this IKE SA (the IKE port, or the NAT-T port after the move). */
  localPort: number;
  /** IKE and ESP use UDP encapsulation: NAT detected (or forced) and both sent NAT-D. */
  natT: boolean;
  /** RFC 7383 §2.3: both ends sent N(IKEV2_FRAGMENTATION_SUPPORTED) in IKE_SA_INIT. */
  fragmentation: boolean;
  /** RFC 7427 §4: the hashes of the peer's SIGNATURE_HASH_ALGORITHMS; undefined: none sent. */
  peerSignatureHashes: readonly number[] | undefined;
  /** The peer's authenticated identity. */
  peerId: IdentityConfig | undefined;
  children: ChildSa[];
  /** The initiator's virtual IPs and DNS servers from the CP exchange (RFC 7296 §2.19). */
  assigned: ConfigAssignment | undefined;
}

const SILENT: IkeLogger = { debug() {}, info() {}, warn() {} };

/** A fresh context; SPIs are filled in by IKE_SA_INIT. @internal */
export function newContext(
  role: IkeRole,
  config: ResolvedConfig,
  deps: IkeSessionDeps,
  remote: Endpoint,
  localPort: number,
  now: number,
): IkeSaContext {
  return {
    role,
    config,
    deps,
    log: deps.logger ?? SILENT,
    createdAt: now,
    spiI: new Uint8Array(8),
    spiR: new Uint8Array(8),
    ni: undefined,
    nr: undefined,
    initRequest: undefined,
    initResponse: undefined,
    ike: undefined,
    keys: undefined,
    sk: undefined,
    remote,
    localPort,
    natT: false,
    fragmentation: false,
    peerSignatureHashes: undefined,
    peerId: undefined,
    children: [],
    assigned: undefined,
  };
}

/** A Notify payload about the IKE SA (no SPI, RFC 7296 §3.10). @internal */
export function notify(notifyType: number, data: Uint8Array = new Uint8Array(0)): NotifyPayload {
  return { type: "N", protocolId: 0, spi: new Uint8Array(0), notifyType, data };
}

/** A nonzero 8-octet IKE SPI (RFC 7296 §3.1: "This value MUST NOT be zero"). @internal */
export function randomIkeSpi(deps: IkeSessionDeps): Uint8Array {
  for (;;) {
    const spi = deps.backend.randomBytes(8);
    if (spi.some((b) => b !== 0)) return spi;
  }
}

/** A 4-octet ESP SPI as a number (RFC 7296 §3.3.1, §3.11). @internal */
export function childSpiNumber(b: Uint8Array): number {
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

/** An ESP SPI as its 4 octets. @internal */
export function childSpiBytes(spi: number): Uint8Array {
  return Uint8Array.of(spi >>> 24, (spi >>> 16) & 0xff, (spi >>> 8) & 0xff, spi & 0xff);
}

/** Nonce size: 32 octets, at least half the PRF key size of every PRF we offer (RFC 7296 §2.10). @internal */
export const NONCE_LENGTH = 32;
