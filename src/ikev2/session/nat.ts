/**
 * NAT detection (RFC 7296 §2.23): NAT_DETECTION_SOURCE_IP / _DESTINATION_IP carry
 * SHA-1(SPIi | SPIr | IP address | port), with the SPIs as they appear in the message header.
 *
 * @packageDocumentation
 */
import type { ControlPlaneCrypto } from "../../crypto/backend.js";
import { parseIpAddress } from "./address.js";
import type { Endpoint } from "./types.js";

/** The NAT detection hash of an endpoint for a message with these SPIs. @internal */
export function natHash(
  backend: Pick<ControlPlaneCrypto, "hash">,
  spiI: Uint8Array,
  spiR: Uint8Array,
  endpoint: Endpoint,
): Uint8Array {
  const address = parseIpAddress(endpoint.address);
  const data = new Uint8Array(spiI.length + spiR.length + address.length + 2);
  data.set(spiI);
  data.set(spiR, spiI.length);
  data.set(address, spiI.length + spiR.length);
  data[data.length - 2] = endpoint.port >>> 8;
  data[data.length - 1] = endpoint.port & 0xff;
  return backend.hash("sha1", data);
}
