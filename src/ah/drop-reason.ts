/**
 * Why the AH data plane refused a packet.
 *
 * Every bad input gives one of these strings and never an exception, so a hostile packet costs
 * no more than a comparison and the caller can count and audit drops by reason (RFC 4302 §3.4.2,
 * §3.4.3 and §3.4.4 call each of them "an auditable event").
 *
 * The names match the ESP data plane's (`EspDropReason`) where the meaning is the same.
 *
 * @packageDocumentation
 */

/**
 * Why an AH SA dropped a packet (inbound) or refused to protect one (outbound).
 *
 * Inbound, before the ICV is checked:
 * - `truncated`: the packet ends inside the IP header, an extension header or the AH header.
 * - `bad-ip-header`: wrong IP version, IPv4 header length below 20, or a length field that does
 *   not match the packet (the caller passes exactly one IP packet).
 * - `bad-ip-options`: an IPv4 option whose length is below 2 or runs past the header, or a source
 *   route option too short to hold its final destination (RFC 4302 §3.3.3.1.1).
 * - `bad-extension-header`: an IPv6 Hop-by-Hop/Destination Options header whose options overrun
 *   it, a malformed Routing header, or an extension header AH cannot be placed after
 *   (RFC 4302 §3.1.1, §3.3.3.1.2).
 * - `unsupported-routing-header`: a Routing header other than type 0 or 2 with segments left, whose
 *   appearance at the destination AH cannot predict (RFC 4302 §3.3.3.1.2.2, Appendix A2).
 * - `fragment`: an IPv4 fragment (MF set or offset non-zero) or an IPv6 Fragment header; AH is
 *   applied to and verified on whole datagrams only (RFC 4302 §3.3.4, §3.4.1).
 * - `not-ah`: the header chain does not lead to an AH header (protocol/next header 51).
 * - `bad-ah-length`: the AH Payload Length does not match this SA's ICV length and alignment
 *   (RFC 4302 §2.2, §2.6).
 * - `wrong-spi`: the SPI is not this SA's (RFC 4302 §3.4.2).
 * - `replayed`: the sequence number was already authenticated (RFC 4302 §3.4.3; also after the
 *   ICV, when a concurrent packet with the same number got there first).
 * - `too-old`: the sequence number is left of the anti-replay window, or is the never-sent 0.
 * - `icv-mismatch`: the ICV does not verify (RFC 4302 §3.4.4).
 *
 * Inbound, after the ICV verified:
 * - `bad-inner-packet`: tunnel mode, and what follows AH is not a well-formed IPv4/IPv6 packet.
 *
 * Outbound:
 * - `no-room`: the caller's buffer lacks the room in front of the packet that
 *   `AhOutboundSa.headroom` announces.
 * - `too-big`: the protected packet would exceed the IP length field (65535).
 * - `sequence-exhausted`: the next sequence number would cycle; the SA must be rekeyed
 *   (RFC 4302 §2.5, §3.3.2).
 *
 * Either direction:
 * - `sa-destroyed`: the SA was destroyed (possibly while an asynchronous operation was pending).
 *
 * @public
 */
export type AhDropReason =
  | "truncated"
  | "bad-ip-header"
  | "bad-ip-options"
  | "bad-extension-header"
  | "unsupported-routing-header"
  | "fragment"
  | "not-ah"
  | "bad-ah-length"
  | "wrong-spi"
  | "replayed"
  | "too-old"
  | "icv-mismatch"
  | "bad-inner-packet"
  | "no-room"
  | "too-big"
  | "sequence-exhausted"
  | "sa-destroyed";
