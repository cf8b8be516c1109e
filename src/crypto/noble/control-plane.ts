/**
 * The control-plane half of the pure backend: hashes, key exchange, signatures, randomness.
 *
 * @packageDocumentation
 */
import { type ControlPlaneCrypto, CryptoError, type KeyExchange } from "../backend.js";
import { modpGroup } from "../groups.js";
import { keGroupById } from "../registry.js";
import { ecpKeyExchange } from "./ecp.js";
import { nobleHash } from "./hash.js";
import { modpKeyExchange } from "./modp.js";
import { montgomeryKeyExchange } from "./montgomery.js";
import { nobleRandomBytes } from "./random.js";
import { nobleSign, nobleVerify } from "./sign.js";

function keyExchange(group: number, privateKey?: Uint8Array): KeyExchange {
  switch (keGroupById(group)?.kind) {
    case "modp": {
      const params = modpGroup(group);
      if (params !== undefined) return modpKeyExchange(params, nobleRandomBytes, privateKey);
      break;
    }
    case "ecp":
      return ecpKeyExchange(group, privateKey);
    case "montgomery":
      return montgomeryKeyExchange(group, privateKey);
  }
  throw new CryptoError("unsupported", `key exchange method ${group}`);
}

/**
 * Hashes, key exchange (MODP, ECP, Curve25519/448), signatures and randomness in pure
 * TypeScript on \@noble/curves and \@noble/hashes. Spread into `nobleBackend`.
 * @public
 */
export const nobleControlPlane: ControlPlaneCrypto = {
  hash: nobleHash,
  keyExchange,
  sign: nobleSign,
  verify: nobleVerify,
  randomBytes: nobleRandomBytes,
};
