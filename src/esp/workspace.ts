/**
 * Per-packet working memory of an ESP SA: nonce, AAD, ICV buffers, the MAC input list, and where
 * the parts of the packet being processed sit.
 *
 * The synchronous path of an SA reuses one workspace for every packet, so it allocates nothing but
 * the `subarray` views handed to the backend, and not even those while packets keep the same place
 * in the same buffer object (a stream of equal-sized packets through one buffer; a view costs 60 to
 * 90 ns, a noticeable part of the framing of a small packet). The asynchronous path takes a fresh
 * workspace per call, because operations on one SA may overlap while a backend awaits.
 *
 * @packageDocumentation
 */

import { setU32, u32 } from "../ip/header.js";
import { zeroize } from "../wire/bytes.js";
import { IpLayout } from "./ip.js";
import type { EspParams } from "./options.js";

/** RFC 3686 §4: the counter block ends with a 32-bit block counter starting at 1. */
const CTR_BLOCK = 16;
/** The explicit IV of every transform but CBC: 8 bytes (the 64-bit counter by default). */
const COUNTER_IV = 8;

/** @internal */
export class EspWorkspace {
  /**
   * True for CBC (RFC 3602 §2.1), whose IV is the packet's IV field as it stands: the backend
   * reads it from the packet ({@link EspWorkspace.cipherIv}) and outbound it is generated there,
   * with no copy either way. The other transforms need the IV inside a nonce or counter block.
   */
  readonly ivInPacket: boolean;
  /**
   * What the AEAD backends get as nonce, and AES-CTR as initial counter block: salt ‖ IV
   * (RFC 4106 §4, RFC 4309 §4, RFC 4543 §3.2, RFC 7634 §2), nonce ‖ IV ‖ 1 (RFC 3686 §4).
   * Empty for CBC.
   */
  readonly nonce: Uint8Array;
  /** The explicit IV's place inside {@link EspWorkspace.nonce} (a view made once). */
  readonly iv: Uint8Array;
  /** Where {@link EspWorkspace.iv} starts in {@link EspWorkspace.nonce}. */
  readonly #ivAt: number;
  /** AEAD AAD: SPI ‖ Sequence Number, or SPI ‖ high ‖ low with ESN (RFC 4106 §5, RFC 7634 §3). */
  readonly aad: Uint8Array;
  /** AES-GMAC with ESN only: the AAD made contiguous (RFC 4543 §3.3 Figure 3); grows. */
  gather: Uint8Array = new Uint8Array(0);
  /** The ICV computed by a separate MAC, inbound (compared with the received one). */
  readonly icv: Uint8Array;
  /** The high-order 32 bits of the ESN, appended to the MAC input (RFC 4303 §3.3.2.1). */
  readonly seqHiBytes: Uint8Array;
  /** The MAC input as a reusable list of views: SPI … Next Header, then seq-hi with ESN. */
  readonly parts: Uint8Array[];
  /** The IP header chain of a transport-mode packet. */
  readonly layout = new IpLayout();

  /** The last views made of the packet's parts, reused while it keeps its place. */
  readonly #payload = new ViewCache();
  readonly #authenticated = new ViewCache();
  readonly #icvField = new ViewCache();
  readonly #ivField = new ViewCache();
  readonly #ivLength: number;
  readonly #icvLength: number;

  /** Offset of the SPI in the buffer being processed. */
  espAt = 0;
  /** Offset of the Payload Data (after the IV). */
  dataAt = 0;
  /** Offset of the ICV: the end of the encrypted part. */
  icvAt = 0;
  /** High and low 32 bits of this packet's sequence number. */
  seqHi = 0;
  seqLo = 0;

  constructor(p: EspParams) {
    const enc = p.encryption;
    const ctr = enc.primitive === "aes-ctr";
    this.ivInPacket = enc.kind === "cipher" && !ctr;
    if (!this.ivInPacket && p.ivLength !== 0 && p.ivLength !== COUNTER_IV) {
      throw new Error(`ESP ${enc.name}: a ${p.ivLength}-byte IV outside CBC`); // a registry error
    }
    const salt = p.salt;
    this.nonce = new Uint8Array(this.ivInPacket ? 0 : ctr ? CTR_BLOCK : salt.length + p.ivLength);
    this.#ivAt = this.ivInPacket ? 0 : salt.length;
    this.nonce.set(salt); // empty for CBC
    if (ctr) this.nonce[CTR_BLOCK - 1] = 1;
    this.iv = this.nonce.subarray(this.#ivAt, this.ivInPacket ? 0 : this.#ivAt + p.ivLength);
    this.aad = new Uint8Array(p.esn ? 12 : 8);
    setU32(this.aad, 0, p.spi);
    this.#ivLength = p.ivLength;
    this.#icvLength = p.icvLength;
    this.icv = new Uint8Array(p.icvLength);
    this.seqHiBytes = new Uint8Array(4);
    this.parts = p.esn ? [this.seqHiBytes, this.seqHiBytes] : [this.seqHiBytes];
  }

  /**
   * Copies the IV between the packet (`b[at..]`) and {@link EspWorkspace.iv}: into the packet
   * outbound, out of it inbound (not for CBC, see {@link EspWorkspace.ivInPacket}). Outside CBC
   * the IV is 8 bytes (RFC 4106 §3.1, RFC 4309 §3.1, RFC 4543 §3.1, RFC 7634 §2, RFC 3686 §3) or
   * absent (NULL), so this is two 32-bit words, without a loop.
   */
  ivToPacket(b: Uint8Array, at: number): void {
    if (this.iv.length === 0) return;
    const n = this.nonce;
    setU32(b, at, u32(n, this.#ivAt));
    setU32(b, at + 4, u32(n, this.#ivAt + 4));
  }

  /** See {@link EspWorkspace.ivToPacket}. */
  ivFromPacket(b: Uint8Array, at: number): void {
    if (this.iv.length === 0) return;
    const n = this.nonce;
    setU32(n, this.#ivAt, u32(b, at));
    setU32(n, this.#ivAt + 4, u32(b, at + 4));
  }

  /** `b[dataAt - IV length..dataAt)`: the packet's IV field. */
  ivField(b: Uint8Array): Uint8Array {
    return this.#ivField.view(b, this.dataAt - this.#ivLength, this.dataAt);
  }

  /** What a cipher key gets as IV: the packet's IV field for CBC, else the counter block. */
  cipherIv(b: Uint8Array): Uint8Array {
    return this.ivInPacket ? this.ivField(b) : this.nonce;
  }

  /** {@link EspWorkspace.gather}, made at least `n` bytes long. */
  gatherRoom(n: number): Uint8Array {
    if (this.gather.length < n) this.gather = new Uint8Array(Math.max(n, this.gather.length * 2));
    return this.gather;
  }

  /** `b[dataAt..icvAt)`: the payload, padding and trailer (what ESP encrypts). */
  payload(b: Uint8Array): Uint8Array {
    return this.#payload.view(b, this.dataAt, this.icvAt);
  }

  /** `b[espAt..icvAt)`: SPI to Next Header (what the ICV covers, RFC 4303 §3.3.2.1). */
  authenticated(b: Uint8Array): Uint8Array {
    return this.#authenticated.view(b, this.espAt, this.icvAt);
  }

  /**
   * `b[icvAt..icvAt + ICV length)`: the packet's ICV field, where the backend writes the tag or
   * MAC outbound and reads the received one inbound (no copy either way).
   */
  icvField(b: Uint8Array): Uint8Array {
    return this.#icvField.view(b, this.icvAt, this.icvAt + this.#icvLength);
  }

  /** Zeroizes the buffers: they held the salt, IVs and packet data. */
  clear(): void {
    this.#payload.clear();
    this.#authenticated.clear();
    this.#icvField.clear();
    this.#ivField.clear();
    zeroize(this.nonce, this.aad, this.gather, this.icv, this.seqHiBytes);
    this.parts[0] = this.seqHiBytes;
  }
}

/** The last `subarray` taken of a buffer, handed out again for the same buffer and bounds. */
class ViewCache {
  #source: Uint8Array | undefined;
  #from = 0;
  #to = 0;
  #view: Uint8Array | undefined;

  /** `b[from..to)`; an identity check, as `.buffer` / `.byteOffset` reads cost about as much as a new view. */
  view(b: Uint8Array, from: number, to: number): Uint8Array {
    if (b !== this.#source || from !== this.#from || to !== this.#to || this.#view === undefined) {
      this.#source = b;
      this.#from = from;
      this.#to = to;
      this.#view = b.subarray(from, to);
    }
    return this.#view;
  }

  /** Forgets the buffer (so the workspace does not keep it alive). */
  clear(): void {
    this.#source = undefined;
    this.#view = undefined;
  }
}
