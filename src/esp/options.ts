/**
 * Configuration shared by the outbound and inbound ESP SA, and its validation into the numbers
 * the per-packet path uses.
 *
 * @packageDocumentation
 */
import { CryptoError } from "../crypto/backend.js";
import type { EncryptionSpec, IntegritySpec } from "../crypto/registry.js";
import { encryptionByName, integrityByName } from "../crypto/registry.js";
import { espAlignment } from "./padding.js";

/**
 * UDP encapsulation of ESP for NAT traversal (RFC 3948 §2.1).
 * @public
 */
export interface EspUdpEncapsulation {
  /** Source port of the UDP header written outbound (the IKE port, normally 4500). */
  readonly sourcePort: number;
  /** Destination port of the UDP header written outbound (the peer's IKE port, possibly NAT-mapped). */
  readonly destinationPort: number;
}

/**
 * What both directions of an ESP SA are built from.
 * @public
 */
export interface EspSaOptions {
  /**
   * The SPI, chosen by the receiver: 256 … 2^32 − 1. RFC 4303 §2.1: 0 "MUST NOT be sent on the
   * wire" and 1–255 are reserved by IANA (CVE-2025-39965 is an SPI-0 SA being looked up).
   */
  readonly spi: number;
  /**
   * The encryption transform: a name from the registry's `ENCRYPTION` table (`"aes-gcm-16"`,
   * `"aes-cbc"`, `"chacha20-poly1305"`, `"aes-gmac"`, `"null"` …) or its spec.
   */
  readonly encryption: string | EncryptionSpec;
  /**
   * The encryption keying material: the key followed by the salt (`saltLength` bytes: 4 for
   * GCM/GMAC/ChaCha20-Poly1305/CTR, 3 for CCM; RFC 4106 §8.1, RFC 4309 §7.1, RFC 4543 §5.4,
   * RFC 7634 §4, RFC 3686 §5.1). Empty or absent for `"null"`. The SA copies what it needs; the
   * caller zeroizes its own copy.
   */
  readonly encryptionKey?: Uint8Array;
  /**
   * The integrity transform (`"hmac-sha256-128"`, `"hmac-sha1-96"`, `"aes-xcbc-96"` …). Required
   * unless the encryption is a combined mode (AEAD or AES-GMAC), where it must be absent
   * (RFC 4303 §3.2.3). `"null"` encryption needs one (RFC 4303 §3.2: one service at least).
   */
  readonly integrity?: string | IntegritySpec;
  /** The integrity key, exactly the transform's key length. */
  readonly integrityKey?: Uint8Array;
  /**
   * `tunnel`: ESP carries a whole IP packet (RFC 4303 §3.1.2); `transport`: ESP goes between the
   * IP header and its payload (RFC 4303 §3.1.1).
   */
  readonly mode: "transport" | "tunnel";
  /** Extended (64-bit) sequence numbers (RFC 4303 §2.2.1). Default false. */
  readonly esn?: boolean;
  /** ESP in UDP (RFC 3948). Default none. */
  readonly udpEncapsulation?: EspUdpEncapsulation;
  /** Allow DES, 3DES and HMAC-MD5 (RFC 8221 §5, §6: MUST NOT / SHOULD NOT). Default false. */
  readonly allowLegacy?: boolean;
  /**
   * Allow encryption without integrity (RFC 4303 §3.2: confidentiality-only "MAY be supported";
   * it resists only passive attackers). Anti-replay is then impossible (RFC 4303 §3.4.3).
   * Default false.
   */
  readonly allowConfidentialityOnly?: boolean;
}

/** How an SA protects packets, reduced to what the per-packet path needs. @internal */
export interface EspParams {
  readonly spi: number;
  readonly encryption: EncryptionSpec;
  readonly integrity: IntegritySpec | undefined;
  readonly tunnel: boolean;
  readonly esn: boolean;
  readonly udp: EspUdpEncapsulation | undefined;
  /** Explicit IV bytes per packet. */
  readonly ivLength: number;
  /** ICV bytes per packet (AEAD tag or truncated MAC), 0 for confidentiality-only. */
  readonly icvLength: number;
  /** Payload alignment (RFC 4303 §2.4): the block size, at least 4; a power of two (4, 8, 16). */
  readonly align: number;
  /** The encryption key without salt, the salt and the integrity key: the SA's own copies. */
  readonly cipherKey: Uint8Array;
  readonly salt: Uint8Array;
  readonly integrityKey: Uint8Array;
}

/** RFC 4303 §2.1: SPIs 0–255 are reserved. */
const MIN_SPI = 256;

/**
 * Validates the options shared by both directions.
 * @throws `RangeError` for a reserved SPI, a bad port, or a wrong key length;
 *   `CryptoError` `unsupported` for an unknown algorithm or a combination ESP does not allow,
 *   `legacy-not-allowed` for DES/3DES/MD5 without `allowLegacy`.
 * @internal
 */
export function resolveEspOptions(o: EspSaOptions): EspParams {
  if (!Number.isInteger(o.spi) || o.spi < MIN_SPI || o.spi > 0xffffffff) {
    throw new RangeError(`ESP SPI must be 256..2^32-1 (RFC 4303 §2.1), got ${o.spi}`);
  }
  const enc = typeof o.encryption === "string" ? encryptionByName(o.encryption) : o.encryption;
  if (enc === undefined)
    throw new CryptoError("unsupported", `unknown ESP encryption ${String(o.encryption)}`);
  const integ = typeof o.integrity === "string" ? integrityByName(o.integrity) : o.integrity;
  if (o.integrity !== undefined && integ === undefined) {
    throw new CryptoError("unsupported", `unknown ESP integrity ${String(o.integrity)}`);
  }
  const allowLegacy = o.allowLegacy ?? false;
  if (!allowLegacy && (enc.legacy || integ?.legacy === true)) {
    throw new CryptoError(
      "legacy-not-allowed",
      `${enc.legacy ? enc.name : integ?.name} is refused unless allowLegacy is set (RFC 8221)`,
    );
  }
  const combined = enc.kind === "aead" || enc.kind === "gmac";
  if (combined && integ !== undefined) {
    // RFC 4303 §3.2.3 / RFC 7296 §3.3: a combined-mode algorithm has no separate integrity.
    throw new CryptoError("unsupported", `${enc.name} is a combined mode: no integrity transform allowed`);
  }
  if (integ !== undefined && integ.mac === undefined) {
    // RFC 4543 §3: ESP integrity transforms cannot carry an IV; AES-GMAC in ESP is "aes-gmac".
    throw new CryptoError(
      "unsupported",
      `${integ.name} is for AH; ESP uses the aes-gmac encryption transform`,
    );
  }
  if (enc.kind === "null" && integ === undefined) {
    throw new CryptoError(
      "unsupported",
      "NULL encryption without integrity protects nothing (RFC 4303 §3.2)",
    );
  }
  if (enc.kind === "cipher" && integ === undefined && o.allowConfidentialityOnly !== true) {
    throw new CryptoError(
      "unsupported",
      `${enc.name} without integrity needs allowConfidentialityOnly (RFC 4303 §3.2)`,
    );
  }

  const material = o.encryptionKey ?? new Uint8Array(0);
  const keyLength = material.length - enc.saltLength;
  if (keyLength < 0 || !enc.keyBits.includes(keyLength * 8)) {
    throw new RangeError(
      `${enc.name}: encryption key must be ${enc.keyBits.map((b) => b / 8).join("/")} bytes plus ` +
        `${enc.saltLength} bytes of salt, got ${material.length}`,
    );
  }
  if (integ !== undefined && o.integrityKey?.length !== integ.keyLength) {
    throw new RangeError(
      `${integ.name}: integrity key must be ${integ.keyLength} bytes, got ${o.integrityKey?.length ?? 0}`,
    );
  }
  const udp = o.udpEncapsulation;
  if (udp !== undefined && (!isPort(udp.sourcePort) || !isPort(udp.destinationPort))) {
    throw new RangeError(`UDP encapsulation ports must be 1..65535`);
  }
  return {
    spi: o.spi,
    encryption: enc,
    integrity: integ,
    tunnel: o.mode === "tunnel",
    esn: o.esn ?? false,
    udp,
    ivLength: enc.ivLength,
    icvLength: combined ? enc.icvLength : (integ?.icvLength ?? 0),
    align: espAlignment(enc),
    cipherKey: material.slice(0, keyLength),
    salt: material.slice(keyLength),
    integrityKey: (o.integrityKey ?? new Uint8Array(0)).slice(),
  };
}

function isPort(p: number): boolean {
  return Number.isInteger(p) && p >= 1 && p <= 0xffff;
}
