/**
 * NAT detection (RFC 7296 §2.23): NAT_DETECTION_SOURCE_IP / _DESTINATION_IP carry
 * SHA-1(SPIi | SPIr | IP address | port), with the SPIs as they appear in the message header.
 *
 * @packageDocumentation
 */
import type { ControlPlaneCrypto } from "../../crypto/backend.js";
import { concat } from "../../wire/bytes.js";
import { parseIpAddress } from "./address.js";
import type { Endpoint } from "./types.js";

/** The NAT detection hash of an endpoint for a message with these SPIs. @internal */
export function natHash(
  backend: Pick<ControlPlaneCrypto, "hash">,
  spiI: Uint8Array,
  spiR: Uint8Array,
  endpoint: Endpoint,
): Uint8Array {
  const port = Uint8Array.of(endpoint.port >>> 8, endpoint.port & 0xff);
  return backend.hash("sha1", concat(spiI, spiR, parseIpAddress(endpoint.address), port));
}
