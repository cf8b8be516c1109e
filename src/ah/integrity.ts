/**
 * AH's integrity algorithms on a prepared backend key: an HMAC/XCBC/CMAC {@link MacKey} truncated to
 * the ICV length, or AES-GMAC (RFC 4543 §4) on an AES-GCM {@link AeadKey} with empty plaintext.
 *
 * None of the algorithms here needs the implicit zero padding of RFC 4302 §3.3.3.2.2: HMAC
 * (RFC 2104) and GMAC (RFC 4543 §3.3, any AAD length) take any length, and AES-XCBC-MAC-96
 * (RFC 3566 §2) and AES-CMAC-96 (RFC 4494 §2) pad inside the algorithm.
 *
 * @packageDocumentation
 */
import type { AeadKey, DataPlaneCrypto, MacKey, MaybeAsync } from "../crypto/backend.js";
import { CryptoError } from "../crypto/backend.js";
import type { IntegritySpec } from "../crypto/registry.js";
import { integrityByName } from "../crypto/registry.js";
import { zeroize } from "../wire/bytes.js";
import { Workspace } from "./workspace.js";

/** RFC 4543 §3.1, §4: the AES-GMAC IV carried in front of the ICV is 8 bytes. */
const GMAC_IV = 8;
/** RFC 4543 §5.4: the last 4 bytes of the keying material are the salt. */
const GMAC_SALT = 4;
const EMPTY = new Uint8Array(0);

/**
 * An AH integrity transform with its key prepared.
 * @internal
 */
export class AhIntegrity<A extends boolean> {
  readonly spec: IntegritySpec;
  /** Bytes of IV in front of the ICV in the AH header: 8 for AES-GMAC, else 0. */
  readonly ivLength: number;
  /** ICV length in bytes. */
  readonly icvLength: number;
  readonly #mac: MacKey<A> | undefined;
  readonly #gmac: AeadKey<A> | undefined;
  readonly #salt: Uint8Array;

  /**
   * @throws `CryptoError` `legacy-not-allowed` for HMAC-MD5-96 without `allowLegacy`,
   *   `unsupported` for an unknown name; `RangeError` for a key of the wrong length.
   */
  constructor(
    backend: DataPlaneCrypto<A>,
    integrity: string | IntegritySpec,
    key: Uint8Array,
    allowLegacy: boolean,
  ) {
    const spec = typeof integrity === "string" ? integrityByName(integrity) : integrity;
    if (spec === undefined)
      throw new CryptoError("unsupported", `unknown integrity algorithm ${String(integrity)}`);
    // RFC 8221 §6: HMAC-MD5-96 is MUST NOT for AH; kept for interop behind an explicit allowance.
    if (spec.legacy && !allowLegacy) throw new CryptoError("legacy-not-allowed", `${spec.name} is legacy`);
    if (key.length !== spec.keyLength) {
      throw new RangeError(`${spec.name} needs a ${spec.keyLength}-byte key, got ${key.length}`);
    }
    this.spec = spec;
    this.icvLength = spec.icvLength;
    if (spec.mac !== undefined) {
      this.ivLength = 0;
      this.#salt = EMPTY;
      this.#mac = backend.mac(spec.mac, key);
      this.#gmac = undefined;
    } else {
      // RFC 4543 §5.4: KEYMAT is the AES key followed by the 4-byte salt.
      const aesLength = key.length - GMAC_SALT;
      this.ivLength = GMAC_IV;
      this.#salt = key.slice(aesLength);
      this.#gmac = backend.aead("aes-gcm", key.subarray(0, aesLength), spec.icvLength);
      this.#mac = undefined;
    }
  }

  /** A workspace sized for this transform. */
  workspace(): Workspace {
    return new Workspace(this.icvLength, this.#salt);
  }

  /**
   * Computes the ICV over the concatenation of `w.parts` into `out` (`icvLength` bytes).
   * For AES-GMAC, `iv` is the packet's 8-byte IV: RFC 4543 §4, the nonce is salt ‖ IV and the AAD
   * is the whole ICV input.
   */
  compute(w: Workspace, iv: Uint8Array, out: Uint8Array): MaybeAsync<void, A> {
    if (this.#mac !== undefined) return this.#mac.compute(w.parts, out);
    const gmac = this.#gmac!;
    let n = 0;
    for (const p of w.parts) n += p.length;
    if (w.aad.length < n) w.aad = new Uint8Array(Math.max(n, w.aad.length * 2));
    let at = 0;
    for (const p of w.parts) {
      w.aad.set(p, at);
      at += p.length;
    }
    w.nonce.set(iv, GMAC_SALT);
    return gmac.seal(w.nonce, w.aad.subarray(0, n), EMPTY, out);
  }

  /** Zeroizes the key material. */
  destroy(): void {
    this.#mac?.destroy();
    this.#gmac?.destroy();
    zeroize(this.#salt);
  }
}
