/**
 * ESP overhead and the largest inner packet that fits a path MTU (what IOS prints as
 * "plaintext mtu" in `show crypto ipsec sa`).
 *
 * @packageDocumentation
 */
import { CryptoError } from "../crypto/backend.js";
import type { EncryptionSpec, IntegritySpec } from "../crypto/registry.js";
import { encryptionByName, integrityByName } from "../crypto/registry.js";
import { IPV4_MIN_HEADER, IPV6_HEADER } from "../ip/header.js";
import { ESP_HEADER_LENGTH } from "./header.js";
import { espAlignment, padLength, TRAILER_LENGTH } from "./padding.js";
import { UDP_HEADER_LENGTH } from "./udp-encap.js";

/**
 * The transforms and framing an ESP overhead depends on.
 * @public
 */
export interface EspFraming {
  /** Encryption transform name or spec. */
  readonly encryption: string | EncryptionSpec;
  /** Integrity transform name or spec (absent for combined modes). */
  readonly integrity?: string | IntegritySpec;
  /** Tunnel mode adds an outer IP header; transport mode keeps the packet's own. */
  readonly mode: "transport" | "tunnel";
  /** Address family of the outer header (tunnel mode) or of the packet itself (transport mode). */
  readonly family: "ipv4" | "ipv6";
  /** ESP in UDP (RFC 3948) adds an 8-byte UDP header. */
  readonly udpEncapsulation?: boolean;
}

interface Sizes {
  /** Outer IP header (tunnel mode) or the packet's own, unencrypted (transport mode). */
  readonly ip: number;
  /** UDP header, SPI/seq, IV and ICV: outside the padded part. */
  readonly esp: number;
  /** The encrypted part (payload, padding, trailer) is a multiple of this (RFC 4303 §2.4). */
  readonly align: number;
}

function sizes(f: EspFraming): Sizes {
  const enc = typeof f.encryption === "string" ? encryptionByName(f.encryption) : f.encryption;
  if (enc === undefined)
    throw new CryptoError("unsupported", `unknown ESP encryption ${String(f.encryption)}`);
  const integ = typeof f.integrity === "string" ? integrityByName(f.integrity) : f.integrity;
  if (f.integrity !== undefined && integ === undefined) {
    throw new CryptoError("unsupported", `unknown ESP integrity ${String(f.integrity)}`);
  }
  const icv = enc.kind === "aead" || enc.kind === "gmac" ? enc.icvLength : (integ?.icvLength ?? 0);
  const udp = f.udpEncapsulation === true ? UDP_HEADER_LENGTH : 0;
  return {
    ip: f.family === "ipv4" ? IPV4_MIN_HEADER : IPV6_HEADER,
    esp: udp + ESP_HEADER_LENGTH + enc.ivLength + icv,
    align: espAlignment(enc),
  };
}

/**
 * The bytes ESP adds to an inner IP packet of `innerLength` bytes, padding included: in tunnel
 * mode the outer header (IPv4 without options, or IPv6) too; in transport mode the packet keeps
 * its header (taken as 20 or 40 bytes, no options or extension headers) outside the encryption.
 * @throws `CryptoError` `unsupported` for an unknown transform name.
 * @public
 */
export function espOverhead(framing: EspFraming, innerLength: number): number {
  const s = sizes(framing);
  const tunnel = framing.mode === "tunnel";
  const payload = tunnel ? innerLength : innerLength - s.ip;
  return (tunnel ? s.ip : 0) + s.esp + padLength(payload, s.align) + TRAILER_LENGTH;
}

/**
 * The largest inner IP packet whose protected form fits `pathMtu` bytes: the most payload for
 * which IP header + ESP header + IV + align(payload + 2) + ICV ≤ path MTU (RFC 4303 §2.4), plus
 * the packet's own header in transport mode. Tunnel mode, AES-CBC with HMAC-SHA1-96 over IPv4
 * and a 1500-byte path gives 1438, IOS's "plaintext mtu 1438, path mtu 1500".
 * @returns The plaintext MTU, or 0 when not even an empty payload fits.
 * @throws `CryptoError` `unsupported` for an unknown transform name.
 * @public
 */
export function plaintextMtu(framing: EspFraming, pathMtu: number): number {
  const s = sizes(framing);
  const room = pathMtu - s.ip - s.esp; // for payload + padding + trailer
  const payload = room - (room % s.align) - TRAILER_LENGTH;
  if (payload < 0) return 0;
  return framing.mode === "tunnel" ? payload : s.ip + payload;
}
