/**
 * The plain-object vocabulary of an {@link IkeSession}: its configuration, the injected
 * dependencies (crypto backend, PSK store, logger, ESP SPI allocator), and what each call returns
 * (datagrams to send, events, the next wake-up time).
 *
 * @packageDocumentation
 */
import type { CryptoBackend } from "../../crypto/backend.js";
import type { EspSaOptions } from "../../esp/options.js";
import type { TrafficSelector } from "../payloads/ts.js";
import type { EspProposalConfig, IkeProposalConfig } from "./proposal-strings.js";

/** An IP address (dotted IPv4 or IPv6 text) and a UDP port. @public */
export interface Endpoint {
  /** `"198.18.1.1"`, `"2001:db8::1"`; IPv4-mapped IPv6 (`"::ffff:198.18.1.1"`) counts as IPv4. */
  readonly address: string;
  /** UDP port. */
  readonly port: number;
}

/**
 * The local end a datagram arrived on: the socket's port, and its address when the transport
 * knows it (otherwise the configured {@link IkeSessionConfig.localAddress} is assumed).
 * @public
 */
export interface LocalEndpoint {
  /** The local UDP port the datagram arrived on (500, 4500, or the configured ones). */
  readonly port: number;
  /** The local address the datagram was sent to, when known. */
  readonly address?: string;
}

/**
 * An identity (RFC 7296 §3.5). `value` is text for FQDN, RFC822 and IP addresses; KEY_ID takes
 * raw octets or text (sent as UTF-8); `"dn"` (ID_DER_ASN1_DN) takes the DER of an X.501 Name.
 * @public
 */
export interface IdentityConfig {
  /** ID type. */
  readonly type: "fqdn" | "rfc822" | "ipv4" | "ipv6" | "key-id" | "dn";
  /** The identity. */
  readonly value: string | Uint8Array;
}

/** A traffic selector: CIDR (`"10.0.0.0/24"`), one address, a range `"a-b"`, or a decoded selector. @public */
export type TrafficSelectorConfig = string | TrafficSelector;

/**
 * Pre-shared keys by identity pair (RFC 7296 §2.15). Return `undefined` when no key exists; the
 * session then fails authentication (responder: AUTHENTICATION_FAILED; initiator: it never sends).
 * @public
 */
export interface PskStore {
  /**
   * The key shared by `localId` and `remoteId`. `remoteId` is the configured peer identity, or the
   * received one for a responder; it is `undefined` for an initiator configured without one (the
   * same key then also verifies the responder). `remoteAddress` is the peer's IP address, for
   * stores keyed by address.
   */
  getPsk(
    localId: IdentityConfig,
    remoteId: IdentityConfig | undefined,
    remoteAddress?: string,
  ): Uint8Array | undefined;
}

/**
 * How we authenticate in IKE_AUTH (RFC 7296 §2.15): with the pre-shared key from the
 * {@link PskStore}, or with a certificate and the signature of its private key (from the
 * {@link KeyStore}).
 * @public
 */
export type LocalAuthConfig =
  | { readonly method: "psk" }
  | {
      readonly method: "pubkey";
      /**
       * Our certificate first, then intermediates to send in CERT payloads (RFC 7296 §3.6): DER
       * bytes, or PEM text (every CERTIFICATE block, in order).
       */
      readonly certificates: readonly (Uint8Array | string)[];
      /**
       * RSA keys: sign RFC 7427 Digital Signatures (method 14) with RSASSA-PSS instead of
       * PKCS#1 v1.5. Default false.
       */
      readonly rsaPss?: boolean;
      /**
       * Sign with the classic method of the key type (1: RSA PKCS#1 v1.5 with SHA-1; 9/10/11:
       * ECDSA, RFC 4754) even when the peer announced SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4),
       * for peers that verify only those. Default false.
       */
      readonly classic?: boolean;
    };

/**
 * Private keys and trust anchors for certificate authentication (RFC 7296 §2.15, §3.6, §3.7).
 * @public
 */
export interface KeyStore {
  /**
   * Our PKCS#8 DER private key for `certificate` (our end-entity certificate, DER), or
   * `undefined`. The session zeroizes the returned array after signing: return a copy.
   */
  getPrivateKey(localId: IdentityConfig, certificate: Uint8Array): Uint8Array | undefined;
  /** Trusted CA certificates (DER): a peer's chain must end at one of them. */
  getTrustAnchors(): readonly Uint8Array[];
  /** More intermediate CA certificates (DER) for building peers' chains. */
  getIntermediates?(): readonly Uint8Array[];
}

/** Log sink; messages name exchanges and notifies (`IKE_AUTH`, `NO_PROPOSAL_CHOSEN`). @public */
export interface IkeLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

/** Retransmission of requests (RFC 7296 §2.1). @public */
export interface RetransmitConfig {
  /** First timeout in milliseconds; each next one is `factor` times longer. Default 1000. */
  readonly timeoutMs?: number;
  /** Growth factor of the timeout. Default 2. */
  readonly factor?: number;
  /** Retransmissions before giving up (the request is sent `tries + 1` times). Default 5. */
  readonly tries?: number;
}

/** Child SA lifetimes handed to the SAD with the Child SA (the SAD enforces them). @public */
export interface ChildLifetime {
  /** Soft lifetime (rekey) in seconds. */
  readonly softSeconds: number;
  /** Hard lifetime (expire) in seconds. */
  readonly hardSeconds: number;
}

/**
 * One IKE SA's configuration. Proposals are either structured (`IkeProposalConfig`) or
 * strongSwan-style strings (`"aes256gcm16-prfsha256-x25519"`, ESP `"aes128-sha256"`), most
 * preferred first.
 * @public
 */
export interface IkeSessionConfig {
  /** Our identity, sent in IDi / IDr. */
  readonly localId: IdentityConfig;
  /**
   * The peer's identity. Initiator: also sent as IDr. Both roles: the peer's ID payload must equal
   * it. Absent: any peer identity is accepted, and the PSK store is asked with the received one.
   */
  readonly remoteId?: IdentityConfig;
  /** Our address (for NAT detection hashes, RFC 7296 §2.23). */
  readonly localAddress: string;
  /** The peer's address and IKE port (initiator; a responder answers wherever requests come from). */
  readonly remote?: Endpoint;
  /** Our IKE port. Default 500. */
  readonly localPort?: number;
  /** Our NAT-T port (RFC 7296 §2.23). Default 4500. */
  readonly localNattPort?: number;
  /** The peer's NAT-T port. Default 4500. */
  readonly remoteNattPort?: number;
  /** IKE SA proposals. */
  readonly ikeProposals: readonly (string | IkeProposalConfig)[];
  /** ESP proposals of the first Child SA. */
  readonly espProposals: readonly (string | EspProposalConfig)[];
  /** Our end's traffic selectors. */
  readonly localTs: readonly TrafficSelectorConfig[];
  /** The peer's end's traffic selectors. */
  readonly remoteTs: readonly TrafficSelectorConfig[];
  /** Child SA mode. Default `"tunnel"`. */
  readonly mode?: "tunnel" | "transport";
  /** NAT detection and traversal (RFC 7296 §2.23). Default true. */
  readonly natTraversal?: boolean;
  /**
   * Use UDP encapsulation even without a NAT: the initiator moves to the NAT-T port after
   * IKE_SA_INIT, the responder fakes a NAT by sending a source hash for no real address.
   * Default false.
   */
  readonly forceEncapsulation?: boolean;
  /** Allow legacy algorithms (DES, 3DES, MD5, DH 1/2/5; RFC 8247, RFC 8221). Default false. */
  readonly allowLegacy?: boolean;
  /** How we authenticate. Default `{ method: "psk" }`. */
  readonly auth?: LocalAuthConfig;
  /**
   * How the peer must authenticate: `"psk"` (AUTH method 2) or `"pubkey"` (a certificate chain to
   * one of the {@link KeyStore}'s trust anchors and a signature AUTH). Default: as {@link IkeSessionConfig.auth}.
   */
  readonly remoteAuth?: "psk" | "pubkey";
  /** Request retransmission. */
  readonly retransmit?: RetransmitConfig;
  /** Responder: how long an IKE SA may wait for IKE_AUTH before it is dropped. Default 30000 ms. */
  readonly halfOpenTimeoutMs?: number;
  /**
   * Child SA lifetimes. Default soft 3300 s, hard 3600 s. Each Child SA is rekeyed (RFC 7296
   * §2.8) at its soft lifetime minus a random 0–10 %, so both ends rarely start at once.
   */
  readonly childLifetime?: ChildLifetime;
  /**
   * Rekey the IKE SA this many seconds after it was established (and after each rekey), minus a
   * random 0–10 % (RFC 7296 §2.18). Default: never (the caller may call `rekeyIke`).
   */
  readonly ikeRekeySeconds?: number;
  /**
   * Liveness check (dead peer detection, RFC 7296 §2.4): when nothing authenticated came from the
   * peer for this many seconds — no IKE message and no ESP the caller reported with
   * `IkeSession.peerAlive` — send an empty INFORMATIONAL request; if retransmission gives up, the
   * IKE SA ends with reason `"dead-peer"`. Default: off, as IOS without `crypto isakmp keepalive`.
   */
  readonly dpdSeconds?: number;
  /**
   * Initiator: send INITIAL_CONTACT in IKE_AUTH (RFC 7296 §2.4), telling the peer that this is
   * the only IKE SA between the two identities, so it may drop older ones. Default true;
   * {@link IkeEndpoint.initiate} sets it to false while another IKE SA with the same peer exists.
   */
  readonly initialContact?: boolean;
  /**
   * How many requests the peer may have outstanding towards us once the IKE SA is up (RFC 7296
   * §2.3, IOS `crypto ikev2 window`), 1 … 64; announced with SET_WINDOW_SIZE in IKE_AUTH when
   * above 1. Requests within the window are processed as they arrive and their responses kept for
   * retransmissions. Our own requests still go one at a time. Default 1.
   */
  readonly windowSize?: number;
  /**
   * IKE message fragmentation (RFC 7383), as strongSwan's `fragmentation = yes`: both roles send
   * N(IKEV2_FRAGMENTATION_SUPPORTED) in IKE_SA_INIT, and when both did, encrypted messages larger
   * than `maxDatagram` are sent as SKF fragments and fragments from the peer are reassembled.
   * `maxDatagram` is the largest IP datagram to send (IP and UDP headers and any non-ESP marker
   * included), 256 … 65535; default 1280 as strongSwan's `fragment_size` (RFC 7383 §2.5.1 names
   * 1280 for IPv6 and the more conservative 576 for IPv4). Default on; `false` turns it off.
   */
  readonly fragmentation?: boolean | { readonly maxDatagram?: number };
  /**
   * Initiator: ask the responder for a virtual IP and DNS servers with CP(CFG_REQUEST) in IKE_AUTH
   * (RFC 7296 §2.19). See {@link ConfigRequestOptions}.
   */
  readonly configRequest?: ConfigRequestOptions;
  /**
   * Responder: how CP(CFG_REQUEST) is answered (RFC 7296 §2.19); addresses come from
   * {@link IkeSessionDeps.addressPool}. See {@link ConfigReplyOptions}.
   */
  readonly configReply?: ConfigReplyOptions;
}

/**
 * What an initiator asks for in CP(CFG_REQUEST) (RFC 7296 §2.19, §3.15.1). When an address is
 * asked for, the IKE_AUTH request proposes TSi "any" of each family asked for (`0.0.0.0/0`,
 * `::/0`, as strongSwan does) instead of {@link IkeSessionConfig.localTs} (which may then be
 * empty), and the first Child SA's local selectors are the responder's TSi narrowed to the
 * assigned addresses. Assignments are in the `ike-sa-up` snapshot
 * ({@link IkeSaSnapshot.virtualIps}, {@link IkeSaSnapshot.dns}).
 * @public
 */
export interface ConfigRequestOptions {
  /** Ask for an IPv4 address (INTERNAL_IP4_ADDRESS); a string asks for that one (the responder may give another). */
  readonly ipv4?: boolean | string;
  /** Ask for an IPv6 address (INTERNAL_IP6_ADDRESS); a string asks for that one. */
  readonly ipv6?: boolean | string;
  /** Ask for DNS servers of each family asked for (INTERNAL_IP4_DNS, INTERNAL_IP6_DNS; IPv4 when no address is asked for). */
  readonly dns?: boolean;
  /**
   * When an address was asked for and the responder assigned none: true (default) deletes the IKE
   * SA with an INFORMATIONAL Delete (RFC 7296 §2.19: the initiator "MAY tear down the IKE SA");
   * false keeps it up without the first Child SA.
   */
  readonly required?: boolean;
}

/**
 * How a responder answers CP(CFG_REQUEST) (RFC 7296 §2.19): addresses from
 * {@link IkeSessionDeps.addressPool} (none or exhausted: INTERNAL_ADDRESS_FAILURE and no Child SA,
 * the IKE SA stays), DNS servers from here.
 * @public
 */
export interface ConfigReplyOptions {
  /** DNS servers (IPv4 and IPv6 text), sent for the families the initiator asks DNS for. */
  readonly dns?: readonly string[];
  /** Refuse the Child SA with FAILED_CP_REQUIRED when the IKE_AUTH request has no CFG_REQUEST (RFC 7296 §3.10.1). Default false. */
  readonly required?: boolean;
}

/**
 * Where a responder gets virtual IPs for initiators (RFC 7296 §2.19); {@link AddressPool} is a
 * simple one. An address belongs to the IKE SA it was assigned in (and its rekeyed successors,
 * §3.15.1) and is released when that ends.
 * @public
 */
export interface AddressAllocator {
  /**
   * A free address of `family` for the peer `peerId` (authenticated), preferably `requested` when
   * the initiator asked for one; `undefined` when none is left (or the family is not served).
   */
  acquire(peerId: IdentityConfig, family: "ipv4" | "ipv6", requested: string | undefined): string | undefined;
  /** Returns an address `acquire` gave out. */
  release(address: string): void;
}

/** What an {@link IkeSession} is given instead of doing I/O. @public */
export interface IkeSessionDeps {
  /** Crypto, randomness (SPIs, nonces, IVs) included. */
  readonly backend: CryptoBackend;
  /** Pre-shared keys. */
  readonly psk: PskStore;
  /** A fresh inbound ESP SPI, 256 … 2^32 − 1, unique among our inbound SAs (the SAD's job). */
  readonly allocateSpi: () => number;
  /** Optional log sink. */
  readonly logger?: IkeLogger;
  /** Responder: virtual IPs for initiators that ask for one (RFC 7296 §2.19). */
  readonly addressPool?: AddressAllocator;
  /** Private keys and trust anchors, for certificate authentication. */
  readonly keys?: KeyStore;
  /**
   * Wall-clock time, milliseconds since the Unix epoch, to check certificate validity against
   * (RFC 5280 §6.1.3). Needed when peers authenticate with certificates.
   */
  readonly wallClock?: () => number;
}

/**
 * One datagram to send. `data` is the IKE message itself; when `nonEspMarker` is true the
 * transport prepends the four zero octets of the non-ESP marker (RFC 3948 §2.2, RFC 7296 §2.23)
 * and sends from `localPort` (a NAT-T port). On receipt, the transport strips the marker from
 * datagrams on a NAT-T port before calling `receive` (and hands datagrams without it to ESP).
 * @public
 */
export interface OutboundDatagram {
  /** The IKE message. */
  readonly data: Uint8Array;
  /** Where to send it. */
  readonly remote: Endpoint;
  /** The local port to send it from. */
  readonly localPort: number;
  /** Prepend the 4-octet non-ESP marker. */
  readonly nonEspMarker: boolean;
}

/** Why an IKE SA ended. @public */
export type IkeDownReason =
  | "closed"
  | "deleted-by-peer"
  | "timeout"
  | "dead-peer"
  | "initial-contact"
  | "half-open-timeout"
  | "authentication-failed"
  | "no-proposal-chosen"
  | "invalid-syntax"
  | "negotiation-failed";

/**
 * A Child SA, ready for the data plane: `inbound` and `outbound` are the options of
 * `EspInboundSa` / `EspOutboundSa` (the SAs copy the keys; the session zeroizes its own copies
 * when the Child SA or the IKE SA is deleted).
 * @public
 */
export interface ChildSaInfo {
  /** Our inbound SPI (the one we sent) and the ESP options to receive with. */
  readonly inbound: EspSaOptions;
  /** The peer's inbound SPI and the ESP options to send with. */
  readonly outbound: EspSaOptions;
  /** Tunnel or transport. */
  readonly mode: "tunnel" | "transport";
  /** Negotiated traffic selectors of our end. */
  readonly localTs: readonly TrafficSelector[];
  /** Negotiated traffic selectors of the peer's end. */
  readonly remoteTs: readonly TrafficSelector[];
  /** Outer addresses: ours and the peer's (for tunnel mode and UDP encapsulation). */
  readonly localAddress: string;
  /** The peer's outer address. */
  readonly remoteAddress: string;
  /** False when the peer sent ESP_TFC_PADDING_NOT_SUPPORTED (RFC 7296 §3.10.1). */
  readonly peerAcceptsTfcPadding: boolean;
  /** Lifetimes from the configuration. */
  readonly lifetime: ChildLifetime;
}

/** Monitoring view of an IKE SA. @public */
export interface IkeSaSnapshot {
  /** Our role. */
  readonly role: "initiator" | "responder";
  /** Session state. */
  readonly state: IkeSessionState;
  /** SPIi, hex. */
  readonly spiI: string;
  /** SPIr, hex (zeros until known). */
  readonly spiR: string;
  /** The peer's current address and port. */
  readonly remote: Endpoint;
  /** Our identity. */
  readonly localId: IdentityConfig;
  /** The peer's authenticated identity, once known. */
  readonly remoteId: IdentityConfig | undefined;
  /** Negotiated algorithms (registry names), once IKE_SA_INIT completed. */
  readonly algorithms:
    | {
        readonly encryption: string;
        readonly keyBits: number | undefined;
        readonly integrity: string | undefined;
        readonly prf: string;
        readonly keGroup: string;
      }
    | undefined;
  /** True when IKE and ESP use UDP encapsulation (NAT detected or forced). */
  readonly natTraversal: boolean;
  /** `now` when the session was created. */
  readonly createdAt: number;
  /** Number of installed Child SAs. */
  readonly childSas: number;
  /**
   * The initiator's virtual IPs (RFC 7296 §2.19): assigned to us (initiator) or by us to the peer
   * (responder). Empty when none.
   */
  readonly virtualIps: readonly string[];
  /** DNS servers the responder sent (initiator) or sent to the peer (responder). Empty when none. */
  readonly dns: readonly string[];
}

/** Session states. @public */
export type IkeSessionState = "init-sent" | "auth-sent" | "init-done" | "established" | "deleting" | "closed";

/** Something that happened, for the caller to act on. @public */
export type IkeEvent =
  | {
      readonly type: "ike-sa-up";
      readonly snapshot: IkeSaSnapshot;
      /**
       * The peer sent INITIAL_CONTACT (RFC 7296 §3.10.1): this is the only IKE SA between the
       * two identities, so older ones with the same peer identity are stale. An
       * {@link IkeEndpoint} ends them.
       */
      readonly initialContact: boolean;
    }
  | { readonly type: "ike-sa-down"; readonly reason: IkeDownReason }
  | { readonly type: "child-sa-up"; readonly child: ChildSaInfo }
  | {
      readonly type: "child-sa-down";
      readonly inboundSpi: number;
      readonly outboundSpi: number;
      /**
       * `"rekeyed"`: the old SA of a rekey, deleted once its replacement is up (RFC 7296 §2.8);
       * `"redundant"`: the surplus new SA of a simultaneous rekey (§2.8.1).
       */
      readonly reason: "deleted-by-peer" | "ike-sa-down" | "rekeyed" | "redundant";
    }
  | {
      /**
       * A Child SA was rekeyed (RFC 7296 §2.8): install `child`; keep the old inbound SA until the
       * `child-sa-down` with reason `"rekeyed"` for `oldInboundSpi` (traffic may still arrive on it).
       * When both ends rekeyed at once (RFC 7296 §2.8.1), both new SAs are reported; the surplus
       * one then goes down with reason `"redundant"`.
       */
      readonly type: "child-sa-rekeyed";
      readonly oldInboundSpi: number;
      readonly oldOutboundSpi: number;
      readonly child: ChildSaInfo;
    }
  | {
      /**
       * The IKE SA was rekeyed (RFC 7296 §2.18) and the old one deleted: the session now speaks
       * for the new SPIs (and may have swapped roles); update the SPI dispatch table.
       */
      readonly type: "ike-sa-rekeyed";
      readonly oldSpiI: Uint8Array;
      readonly oldSpiR: Uint8Array;
      readonly spiI: Uint8Array;
      readonly spiR: Uint8Array;
    }
  | {
      /** An error notify received from the peer (RFC 7296 §3.10.1). */
      readonly type: "error";
      readonly exchange: string;
      readonly notifyType: number;
      readonly notifyName: string;
    };

/** What a call to an {@link IkeSession} asks the caller to do. @public */
export interface IkeOutput {
  /** Datagrams to send, in order. */
  readonly datagrams: readonly OutboundDatagram[];
  /** Events, in order. */
  readonly events: readonly IkeEvent[];
  /** When to call `tick` next (the caller's clock, milliseconds); `undefined`: no timer needed. */
  readonly nextTick: number | undefined;
}
