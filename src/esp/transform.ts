/**
 * The cryptographic half of ESP: given a packet laid out in a buffer (positions in an
 * {@link EspWorkspace}), encrypt and compute the ICV, or verify and decrypt, with the prepared
 * keys of one SA. The framing (headers, padding, sequence numbers) is the SA's job.
 *
 * Each step returns the backend's result unchanged, a value or a promise of one, so the SA's
 * synchronous path calls the steps in a row and its asynchronous path awaits each.
 *
 * @packageDocumentation
 */
import type {
  AeadAlgorithm,
  AeadKey,
  CipherAlgorithm,
  CipherKey,
  DataPlaneCrypto,
  MacKey,
  MaybeAsync,
} from "../crypto/backend.js";
import { setU32 } from "../ip/header.js";
import { equalConstantTime, zeroize } from "../wire/bytes.js";
import type { EspParams } from "./options.js";
import { EspWorkspace } from "./workspace.js";

/** What the encryption transform is, for dispatch without string compares. */
const Kind = {
  /** GCM, CCM, ChaCha20-Poly1305: encrypts the payload, authenticates SPI ‖ seq. */
  Aead: 0,
  /** ENCR_NULL_AUTH_AES_GMAC: authenticates everything, encrypts nothing (RFC 4543 §3). */
  Gmac: 1,
  /** CBC or CTR, with a separate MAC (or none). */
  Cipher: 2,
  /** ENCR_NULL with a MAC. */
  Null: 3,
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];

const EMPTY = new Uint8Array(0);

/** Copies `n` bytes (a few: a loop beats `set` + `subarray` at this size). */
function copy(src: Uint8Array, from: number, dst: Uint8Array, to: number, n: number): void {
  for (let i = 0; i < n; i++) dst[to + i] = src[from + i]!;
}

/** @internal */
export class EspTransform<A extends boolean> {
  readonly #kind: Kind;
  readonly #p: EspParams;
  readonly #aead: AeadKey<A> | undefined;
  readonly #cipher: CipherKey<A> | undefined;
  readonly #mac: MacKey<A> | undefined;

  /** True when the payload is encrypted (IOS "#pkts encrypt"). */
  readonly encrypts: boolean;
  /** True when packets carry an ICV (IOS "#pkts digest"). */
  readonly authenticates: boolean;
  /** True when {@link EspTransform.verify} may overwrite the payload even if the ICV fails (AEAD open). */
  readonly verifyWrites: boolean;

  /** @throws `CryptoError` from the backend (`unsupported`, `invalid-key`). */
  constructor(backend: DataPlaneCrypto<A>, p: EspParams) {
    this.#p = p;
    const enc = p.encryption;
    this.#kind =
      enc.kind === "aead"
        ? Kind.Aead
        : enc.kind === "gmac"
          ? Kind.Gmac
          : enc.kind === "cipher"
            ? Kind.Cipher
            : Kind.Null;
    this.encrypts = this.#kind === Kind.Aead || this.#kind === Kind.Cipher;
    this.authenticates = p.icvLength > 0;
    this.verifyWrites = this.#kind === Kind.Aead;
    // The backend gets the SA's private key copies, which destroy() zeroizes after the keys.
    try {
      this.#aead =
        this.#kind === Kind.Aead || this.#kind === Kind.Gmac
          ? backend.aead(enc.primitive as AeadAlgorithm, p.cipherKey, p.icvLength)
          : undefined;
      this.#cipher =
        this.#kind === Kind.Cipher
          ? backend.cipher(enc.primitive as CipherAlgorithm, p.cipherKey)
          : undefined;
      this.#mac = p.integrity?.mac === undefined ? undefined : backend.mac(p.integrity.mac, p.integrityKey);
    } catch (e) {
      this.destroy();
      throw e;
    }
  }

  /** A new workspace for this SA (one for the synchronous path, one per asynchronous call). */
  workspace(): EspWorkspace {
    return new EspWorkspace(this.#p);
  }

  /**
   * Outbound, after the packet is laid out with its IV (and the IV is in `ws.nonce` where used):
   * encrypts the payload (AEAD: and writes the tag into the packet's ICV field; GMAC: only the tag).
   */
  encrypt(ws: EspWorkspace, b: Uint8Array): MaybeAsync<void, A> | undefined {
    switch (this.#kind) {
      case Kind.Aead:
        this.#fillAad(ws);
        return this.#aead!.seal(ws.nonce, ws.aad, ws.payload(b), ws.icvField(b));
      case Kind.Gmac:
        return this.#aead!.seal(ws.nonce, this.#gmacAad(ws, b), EMPTY, ws.icvField(b));
      case Kind.Cipher:
        return this.#cipher!.encrypt(ws.cipherIv(b), ws.payload(b));
      default:
        return undefined;
    }
  }

  /**
   * Outbound, after {@link EspTransform.encrypt}: the separate MAC over SPI … Next Header, plus the
   * high-order sequence bits with ESN (RFC 4303 §2.8, §3.3.2.1), into the packet's ICV field.
   */
  sign(ws: EspWorkspace, b: Uint8Array): MaybeAsync<void, A> | undefined {
    if (this.#mac === undefined) return undefined;
    this.#fillParts(ws, b);
    return this.#mac.compute(ws.parts, ws.icvField(b));
  }

  /**
   * Inbound, after the anti-replay check: starts verifying the ICV. AEAD/GMAC: opens (and, for
   * AEAD, decrypts) and resolves to whether the tag verified; MAC: computes the expected ICV into
   * `ws.icv`. Pass the result to {@link EspTransform.verified}.
   */
  verify(ws: EspWorkspace, b: Uint8Array): MaybeAsync<boolean, A> | MaybeAsync<void, A> | undefined {
    switch (this.#kind) {
      case Kind.Aead:
        this.#fillAad(ws);
        return this.#aead!.open(ws.nonce, ws.aad, ws.payload(b), ws.icvField(b));
      case Kind.Gmac:
        return this.#aead!.open(ws.nonce, this.#gmacAad(ws, b), EMPTY, ws.icvField(b));
      default:
        if (this.#mac === undefined) return undefined;
        this.#fillParts(ws, b);
        return this.#mac.compute(ws.parts, ws.icv);
    }
  }

  /** Whether the ICV verified, from {@link EspTransform.verify}'s (awaited) result. */
  verified(ws: EspWorkspace, b: Uint8Array, result: unknown): boolean {
    if (this.#aead !== undefined) return result === true;
    // RFC 4303 §3.4.4.1: compare the computed and received ICVs, in constant time.
    return this.#mac === undefined || equalConstantTime(ws.icv, ws.icvField(b));
  }

  /** Inbound, after the ICV verified and the window moved: decrypts CBC/CTR in place. */
  decrypt(ws: EspWorkspace, b: Uint8Array): MaybeAsync<void, A> | undefined {
    if (this.#cipher === undefined) return undefined;
    return this.#cipher.decrypt(ws.cipherIv(b), ws.payload(b));
  }

  /** Zeroizes the prepared keys. */
  destroy(): void {
    this.#aead?.destroy();
    this.#cipher?.destroy();
    this.#mac?.destroy();
    zeroize(this.#p.cipherKey, this.#p.salt, this.#p.integrityKey);
  }

  /** RFC 4106 §5, RFC 4309 §5, RFC 7634 §3: SPI ‖ Sequence Number, or SPI ‖ seq-hi ‖ seq-lo. */
  #fillAad(ws: EspWorkspace): void {
    if (this.#p.esn) {
      setU32(ws.aad, 4, ws.seqHi);
      setU32(ws.aad, 8, ws.seqLo);
    } else {
      setU32(ws.aad, 4, ws.seqLo);
    }
  }

  /**
   * RFC 4543 §3.3 and Figure 4: the GMAC AAD is SPI, (extended) sequence number, IV, payload,
   * padding, Pad Length and Next Header. Without ESN that is the packet from the SPI up to the ICV;
   * with ESN the high-order bits go between SPI and the low-order ones, so the AAD is gathered.
   */
  #gmacAad(ws: EspWorkspace, b: Uint8Array): Uint8Array {
    if (!this.#p.esn) return ws.authenticated(b);
    const n = ws.icvAt - ws.espAt + 4;
    const g = ws.gatherRoom(n);
    copy(b, ws.espAt, g, 0, 4);
    setU32(g, 4, ws.seqHi);
    g.set(b.subarray(ws.espAt + 4, ws.icvAt), 8);
    return g.subarray(0, n);
  }

  /** The MAC input: SPI … Next Header, then seq-hi with ESN (RFC 4303 §3.3.2.1). */
  #fillParts(ws: EspWorkspace, b: Uint8Array): void {
    ws.parts[0] = ws.authenticated(b);
    if (this.#p.esn) setU32(ws.seqHiBytes, 0, ws.seqHi);
  }
}
