/**
 * Why the ESP data plane refused a packet.
 *
 * Every bad input gives one of these strings, never an exception, so a hostile packet costs no
 * more than the checks it fails and the caller can count and audit drops by reason (RFC 4303
 * §3.4.2, §3.4.3 and §3.4.4 call them auditable events). The names match the AH data plane's
 * where the meaning is the same.
 *
 * @packageDocumentation
 */

/**
 * Why an ESP SA dropped a packet (inbound) or refused to protect one (outbound).
 *
 * Inbound, before the ICV is checked:
 * - `truncated`: too short for an ESP header, IV, the trailer and the ICV, or the packet ends
 *   inside an IPv6 extension header (transport mode).
 * - `bad-ip-header`: transport mode: the IP header is not a valid IPv4/IPv6 header, its length
 *   field exceeds the data, or the header chain does not lead to ESP (or UDP when encapsulated).
 * - `fragment`: transport mode: an IP fragment; ESP is verified on whole datagrams only
 *   (RFC 4303 §3.4.1).
 * - `bad-udp-header`: transport mode with UDP encapsulation: the UDP length does not match
 *   (RFC 3948 §2.1).
 * - `wrong-spi`: the SPI is not this SA's (RFC 4303 §3.4.2).
 * - `bad-length`: the ciphertext is not a whole number of cipher blocks, or not a multiple of 4
 *   bytes (RFC 4303 §2.4).
 * - `replayed`: the sequence number was already authenticated (RFC 4303 §3.4.3).
 * - `too-old`: the sequence number is left of the anti-replay window, or is the never-sent 0.
 * - `icv-mismatch`: the ICV does not verify (RFC 4303 §3.4.4).
 *
 * Inbound, after the ICV verified:
 * - `bad-padding`: the Pad Length exceeds the payload, or the padding is not 1, 2, 3, …
 *   (RFC 4303 §2.4).
 * - `bad-next-header`: tunnel mode, and the Next Header is not 4 (IPv4), 41 (IPv6) or 59 (dummy),
 *   or does not match the inner packet's IP version.
 * - `bad-inner-packet`: tunnel mode, and the decrypted payload is not a well-formed IP packet
 *   (its length field exceeds the payload).
 *
 * Outbound:
 * - `bad-inner-packet`: the packet handed in is not one well-formed IPv4/IPv6 packet whose length
 *   field matches its size.
 * - `fragment`: transport mode and an IP fragment (RFC 4303 §3.3.4: transport-mode ESP is applied
 *   to whole datagrams).
 * - `too-big`: the protected packet would exceed the IP length field (65535 bytes).
 * - `sequence-exhausted`: the next sequence number would cycle; the SA must be rekeyed
 *   (RFC 4303 §3.3.3).
 *
 * Either direction:
 * - `no-room`: the caller's output buffer is too small (or, in place, lacks headroom/tailroom).
 * - `sa-destroyed`: the SA was destroyed (possibly while an asynchronous operation was pending).
 *
 * @public
 */
export type EspDropReason =
  | "truncated"
  | "bad-ip-header"
  | "fragment"
  | "bad-udp-header"
  | "wrong-spi"
  | "bad-length"
  | "replayed"
  | "too-old"
  | "icv-mismatch"
  | "bad-padding"
  | "bad-next-header"
  | "bad-inner-packet"
  | "too-big"
  | "sequence-exhausted"
  | "no-room"
  | "sa-destroyed";
