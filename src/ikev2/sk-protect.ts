/**
 * Protection of the Encrypted payload SK (RFC 7296 §3.14) and the Encrypted Fragment payload SKF
 * (RFC 7383 §2.5) with the keys of an IKE SA.
 *
 * ```text
 *  IKE header | [unprotected payloads] | SK(F) header [| Frag# | Total] | IV | E(P) | ICV
 *  P = inner payloads | Padding | Pad Length
 * ```
 *
 * - CBC or CTR cipher with a MAC (RFC 7296 §3.14): the ICV is the MAC of the whole message from
 *   the IKE header through the Pad Length, computed over the ciphertext and truncated to the
 *   integrity transform's ICV length; the receiver checks it (in constant time) before decrypting.
 * - AEAD (RFC 5282 §3, §5; RFC 7634 §3): the nonce is salt ‖ IV, the associated data is the
 *   message from the IKE header through the SK(F) payload's header (for SKF that includes the
 *   Fragment Number and Total Fragments), and the tag is the ICV.
 *
 * Everything a receiver can be sent gives a typed {@link SkOpenResult}, never an exception.
 *
 * @packageDocumentation
 */
import type {
  AeadAlgorithm,
  AeadKey,
  CipherAlgorithm,
  CipherKey,
  ControlPlaneCrypto,
  DataPlaneCrypto,
  MacKey,
} from "../crypto/backend.js";
import { concat, equalConstantTime, zeroize } from "../wire/bytes.js";
import { WireError } from "../wire/errors.js";
import type { InnerPayloads, Payload } from "./chain.js";
import { HEADER_LENGTH, type IkeHeader } from "./header.js";
import { type IkeSaKeys, type IkeSuite, ikeKeyLengths } from "./keys.js";
import { decodeMessage, encodeMessage, type IkeMessage } from "./message.js";
import { GENERIC_HEADER_LENGTH } from "./payloads/generic.js";
import { counterIvSource, randomIvSource, type SkIvSource } from "./sk-iv.js";

/** Which end of the IKE SA we are: the original initiator or responder (RFC 7296 §2.14). @public */
export type IkeRole = "initiator" | "responder";

/** SKF's Fragment Number and Total Fragments after its generic header (RFC 7383 §2.5). */
const SKF_FIELDS_LENGTH = 4;
/** The Pad Length octet. */
const PAD_LENGTH_OCTET = 1;
/** RFC 3686 §4 (used for IKE by RFC 5930): the block counter of the first block is 1. */
const CTR_INITIAL_COUNTER = Uint8Array.of(0, 0, 0, 1);

/**
 * Options of an {@link SkProtection}: the IKE SA's suite, keys and our role.
 * @public
 */
export interface SkProtectionOptions extends IkeSuite {
  /** Backend for the cipher, MAC or AEAD, and for random CBC IVs. */
  readonly backend: DataPlaneCrypto<false> & Pick<ControlPlaneCrypto, "randomBytes">;
  /** SK_ai, SK_ar, SK_ei, SK_er (an {@link IkeSaKeys}); the protection copies what it needs. */
  readonly keys: Pick<IkeSaKeys, "skAi" | "skAr" | "skEi" | "skEr">;
  /** Our role: the initiator sends with SK_ei/SK_ai and receives with SK_er/SK_ar. */
  readonly role: IkeRole;
  /**
   * Outbound IVs. Default: for CBC random bytes from `backend.randomBytes` (RFC 7296 §3.14); for
   * AEAD and CTR a per-SA 64-bit counter ({@link counterIvSource}), which never repeats under
   * this SA's key (RFC 5282 §3.1, RFC 7634 §2).
   */
  readonly iv?: SkIvSource;
}

/**
 * One fragment to protect as an SKF payload (RFC 7383 §2.5).
 * @public
 */
export interface SkFragment {
  /** The first inner payload's type in fragment 1, zero in the others (RFC 7383 §2.5). */
  readonly firstPayload: number;
  /** Fragment Number, 1 … totalFragments. */
  readonly fragmentNumber: number;
  /** Total Fragments. */
  readonly totalFragments: number;
  /** This fragment's part of the inner payload bytes. */
  readonly chunk: Uint8Array;
}

/**
 * Sizes that bound each fragment's IP datagram (RFC 7383 §2.5.1, Appendix B).
 * @public
 */
export interface FragmentLimits {
  /**
   * The largest IP datagram to send: the path MTU if known, else 1280 for IPv6 and 576 for IPv4
   * (RFC 7383 §2.5.1).
   */
  readonly maxDatagramSize: number;
  /** IP header octets: 20 for IPv4 without options, 40 for IPv6 plus any extension headers. */
  readonly ipHeaderLength: number;
  /** True when the message goes to port 4500 behind the four-octet non-ESP marker (RFC 3948 §2.2). */
  readonly nonEspMarker: boolean;
}

/** UDP header octets (RFC 768). */
const UDP_HEADER_LENGTH = 8;
/** The non-ESP marker (RFC 3948 §2.2). */
const NON_ESP_MARKER_LENGTH = 4;
/** RFC 7383 §2.5: Fragment Number and Total Fragments are 16-bit. */
const MAX_FRAGMENTS = 0xffff;

/**
 * Why a protected message was refused.
 * - `malformed`: the message does not decode (`error` says why);
 * - `not-encrypted`: its last payload is not SK or SKF;
 * - `truncated`: the payload is too short for IV, Pad Length and ICV;
 * - `bad-length`: the ciphertext is not a whole number of cipher blocks;
 * - `icv-mismatch`: the integrity check or AEAD tag does not verify (RFC 7296 §2.21.2: drop);
 * - `bad-padding`: the Pad Length reaches beyond the decrypted data.
 * @public
 */
export type SkOpenFailure =
  | "malformed"
  | "not-encrypted"
  | "truncated"
  | "bad-length"
  | "icv-mismatch"
  | "bad-padding";

/**
 * The result of {@link SkProtection.unprotect}.
 * @public
 */
export type SkOpenResult =
  | {
      readonly ok: true;
      /** The IKE header. */
      readonly header: IkeHeader;
      /** Payloads in front of SK/SKF (none in any exchange RFC 7296 defines). */
      readonly unprotected: readonly Payload[];
      /** The SK/SKF header's Next Payload: the first inner payload (zero in SKF fragments after the first). */
      readonly firstPayload: number;
      /** The decrypted inner payloads (or fragment chunk) without padding: a view of a new array. */
      readonly plaintext: Uint8Array;
      /** Fragment Number and Total Fragments, for an SKF payload. */
      readonly fragment?: { readonly fragmentNumber: number; readonly totalFragments: number };
    }
  | {
      readonly ok: false;
      readonly reason: SkOpenFailure;
      /** The decoding error, for `malformed`. */
      readonly error?: WireError;
    };

/** The prepared keys of one direction. */
interface Direction {
  readonly aead: AeadKey | undefined;
  readonly cipher: CipherKey | undefined;
  readonly mac: MacKey | undefined;
  readonly salt: Uint8Array;
}

type Mode = "aead" | "cbc" | "ctr";

const fail = (reason: SkOpenFailure): SkOpenResult => ({ ok: false, reason });

/**
 * The SK/SKF protection of one IKE SA in both directions: {@link SkProtection.protect} and
 * {@link SkProtection.protectFragments} for what we send, {@link SkProtection.unprotect} for what
 * the peer sends.
 * @public
 */
export class SkProtection {
  /** Explicit IV octets per message. */
  readonly ivLength: number;
  /** ICV octets per message (AEAD tag or truncated MAC). */
  readonly icvLength: number;
  /** The plaintext is padded to a multiple of this: the CBC block size, else 1 (no padding). */
  readonly alignment: number;
  readonly #mode: Mode;
  readonly #out: Direction;
  readonly #in: Direction;
  readonly #iv: SkIvSource;

  /**
   * @throws as the suite's validation in {@link deriveIkeSaKeys} (`CryptoError`, `RangeError`);
   *   `RangeError` for keys of the wrong length; `CryptoError` from the backend.
   */
  constructor(options: SkProtectionOptions) {
    const lengths = ikeKeyLengths(options);
    const { encryption: enc, integrity: integ, keys, backend } = options;
    for (const k of [keys.skEi, keys.skEr]) {
      if (k.length !== lengths.encryption) {
        throw new RangeError(`${enc.name}: SK_e must be ${lengths.encryption} octets, got ${k.length}`);
      }
    }
    for (const k of [keys.skAi, keys.skAr]) {
      if (k.length !== lengths.integrity) {
        throw new RangeError(`SK_a must be ${lengths.integrity} octets, got ${k.length}`);
      }
    }
    this.#mode = enc.kind === "aead" ? "aead" : enc.primitive === "aes-ctr" ? "ctr" : "cbc";
    this.ivLength = enc.ivLength;
    this.icvLength = enc.kind === "aead" ? enc.icvLength : (integ?.icvLength ?? 0);
    // RFC 7296 §3.14: padding to "a multiple of the encryption block size"; counter modes and
    // AEADs have none to respect (RFC 5282 §3: "no alignment requirements"), so none is sent.
    this.alignment = this.#mode === "cbc" ? enc.blockSize : 1;
    const prepare = (encKey: Uint8Array, integKey: Uint8Array): Direction => {
      const keyLength = encKey.length - lengths.salt;
      const key = encKey.subarray(0, keyLength);
      const salt = encKey.slice(keyLength);
      let aead: AeadKey | undefined;
      let cipher: CipherKey | undefined;
      try {
        if (this.#mode === "aead") aead = backend.aead(enc.primitive as AeadAlgorithm, key, enc.icvLength);
        else cipher = backend.cipher(enc.primitive as CipherAlgorithm, key);
        const mac = integ?.mac === undefined ? undefined : backend.mac(integ.mac, integKey);
        return { aead, cipher, mac, salt };
      } catch (e) {
        aead?.destroy();
        cipher?.destroy();
        zeroize(salt);
        throw e;
      }
    };
    const initiator = options.role === "initiator";
    // RFC 7296 §2.14: "The keys used to protect messages from the original initiator are SK_ai
    // and SK_ei. The keys used to protect messages in the other direction are SK_ar and SK_er."
    this.#out = prepare(initiator ? keys.skEi : keys.skEr, initiator ? keys.skAi : keys.skAr);
    try {
      this.#in = prepare(initiator ? keys.skEr : keys.skEi, initiator ? keys.skAr : keys.skAi);
    } catch (e) {
      destroyDirection(this.#out);
      throw e;
    }
    this.#iv =
      options.iv ??
      (this.#mode === "cbc" ? randomIvSource((n) => backend.randomBytes(n)) : counterIvSource());
  }

  /**
   * The protected message `HDR, [unprotected,] SK {inner}` (RFC 7296 §3.14): header Length and
   * every payload header computed, a fresh IV, minimal padding, and the ICV or tag.
   * @throws `RangeError` for header fields or payloads that cannot be encoded.
   */
  protect(header: IkeHeader, inner: InnerPayloads, unprotected: readonly Payload[] = []): Uint8Array {
    const pad = this.#padLength(inner.bytes.length);
    const content = new Uint8Array(
      this.ivLength + inner.bytes.length + pad + PAD_LENGTH_OCTET + this.icvLength,
    );
    const message = encodeMessage({
      header,
      payloads: [...unprotected, { type: "SK", firstPayload: inner.firstPayload, content }],
    });
    this.#seal(message, message.length - content.length, inner.bytes, pad);
    return message;
  }

  /**
   * One IKE Fragment message `HDR, [unprotected,] SKF {chunk}` (RFC 7383 §2.5), encrypted and
   * authenticated on its own like an SK payload.
   * @throws `RangeError` for fragment numbers RFC 7383 forbids or values that cannot be encoded.
   */
  protectFragment(header: IkeHeader, fragment: SkFragment, unprotected: readonly Payload[] = []): Uint8Array {
    const pad = this.#padLength(fragment.chunk.length);
    const content = new Uint8Array(
      this.ivLength + fragment.chunk.length + pad + PAD_LENGTH_OCTET + this.icvLength,
    );
    const message = encodeMessage({
      header,
      payloads: [
        ...unprotected,
        {
          type: "SKF",
          firstPayload: fragment.firstPayload,
          fragmentNumber: fragment.fragmentNumber,
          totalFragments: fragment.totalFragments,
          content,
        },
      ],
    });
    this.#seal(message, message.length - content.length, fragment.chunk, pad);
    return message;
  }

  /**
   * Splits inner payload bytes into chunks (views of `inner`) so that every IKE Fragment message
   * built from them fits `limits.maxDatagramSize` as an IP datagram (RFC 7383 §2.5.1, Appendix B:
   * IP and UDP headers, non-ESP marker, IKE header, SKF header, IV, padding, Pad Length, ICV).
   * `unprotectedLength` octets of unprotected payloads travel in the first fragment (§2.5.3).
   * @throws `RangeError` when the limit leaves no room for content, or more than 65535
   *   fragments would be needed.
   */
  fragment(inner: Uint8Array, limits: FragmentLimits, unprotectedLength = 0): Uint8Array[] {
    const fixed =
      limits.ipHeaderLength +
      UDP_HEADER_LENGTH +
      (limits.nonEspMarker ? NON_ESP_MARKER_LENGTH : 0) +
      HEADER_LENGTH +
      GENERIC_HEADER_LENGTH +
      SKF_FIELDS_LENGTH +
      this.ivLength +
      this.icvLength;
    // The largest chunk whose padded plaintext (chunk ‖ padding ‖ Pad Length) fits `room`.
    const capacity = (room: number): number => Math.floor(room / this.alignment) * this.alignment - 1;
    const first = capacity(limits.maxDatagramSize - fixed - unprotectedLength);
    const rest = capacity(limits.maxDatagramSize - fixed);
    if (first < 0 || rest < 1) {
      throw new RangeError(`a ${limits.maxDatagramSize}-octet datagram leaves no room for fragment content`);
    }
    const count = inner.length <= first ? 1 : 1 + Math.ceil((inner.length - first) / rest);
    if (count > MAX_FRAGMENTS) throw new RangeError(`${count} fragments exceed the 16-bit Total Fragments`);
    const chunks = [inner.subarray(0, first)];
    for (let at = first; at < inner.length; at += rest) chunks.push(inner.subarray(at, at + rest));
    return chunks;
  }

  /**
   * The IKE Fragment messages carrying `HDR, [unprotected,] SK {inner}` (RFC 7383 §2.5): the
   * header is kept but for Next Payload and Length, fragment 1 carries the first inner payload
   * type and any unprotected payloads (§2.5.3), the others Next Payload zero.
   * @throws as {@link SkProtection.fragment} and {@link SkProtection.protectFragment}.
   */
  protectFragments(
    header: IkeHeader,
    inner: InnerPayloads,
    limits: FragmentLimits,
    unprotected: readonly Payload[] = [],
  ): Uint8Array[] {
    const unprotectedLength =
      unprotected.length === 0 ? 0 : encodeMessage({ header, payloads: unprotected }).length - HEADER_LENGTH;
    const chunks = this.fragment(inner.bytes, limits, unprotectedLength);
    return chunks.map((chunk, i) =>
      this.protectFragment(
        header,
        {
          firstPayload: i === 0 ? inner.firstPayload : 0,
          fragmentNumber: i + 1,
          totalFragments: chunks.length,
          chunk,
        },
        i === 0 ? unprotected : [],
      ),
    );
  }

  /**
   * Verifies and decrypts a message from the peer whose last payload is SK or SKF: first the
   * lengths, then the ICV in constant time (or the AEAD tag), and only then the decryption and
   * the Pad Length (RFC 7296 §3.14). `datagram` is not modified.
   *
   * @param message - `decodeMessage(datagram)`, when the caller has it already.
   * @throws `RangeError` only when `message` was not decoded from `datagram`.
   */
  unprotect(datagram: Uint8Array, message?: IkeMessage): SkOpenResult {
    let decoded = message;
    if (decoded === undefined) {
      try {
        decoded = decodeMessage(datagram);
      } catch (e) {
        if (e instanceof WireError) return { ok: false, reason: "malformed", error: e };
        throw e;
      }
    }
    const last = decoded.payloads[decoded.payloads.length - 1];
    if (last?.type !== "SK" && last?.type !== "SKF") return fail("not-encrypted");
    const content = last.content;
    if (
      content.buffer !== datagram.buffer ||
      content.byteOffset + content.length !== datagram.byteOffset + datagram.length
    ) {
      throw new RangeError("unprotect: message was not decoded from this datagram");
    }
    const ivAt = datagram.length - content.length;
    const opened = this.#open(datagram, ivAt);
    if (!(opened instanceof Uint8Array)) return fail(opened);
    return {
      ok: true,
      header: decoded.header,
      unprotected: decoded.payloads.slice(0, -1),
      firstPayload: last.firstPayload,
      plaintext: opened,
      ...(last.type === "SKF"
        ? { fragment: { fragmentNumber: last.fragmentNumber, totalFragments: last.totalFragments } }
        : {}),
    };
  }

  /** Zeroizes and releases the keys of both directions. */
  destroy(): void {
    destroyDirection(this.#out);
    destroyDirection(this.#in);
  }

  /** Minimal padding for `length` octets of content plus the Pad Length octet. */
  #padLength(length: number): number {
    const a = this.alignment;
    return (a - ((length + PAD_LENGTH_OCTET) % a)) % a;
  }

  /**
   * Fills the payload content of `message` (zeroed, starting at `ivAt`, ending with the ICV):
   * IV, `plaintext`, zero padding, Pad Length; then encrypts and authenticates.
   */
  #seal(message: Uint8Array, ivAt: number, plaintext: Uint8Array, pad: number): void {
    const { aead, cipher, mac, salt } = this.#out;
    const dataAt = ivAt + this.ivLength;
    const icvAt = message.length - this.icvLength;
    const iv = message.subarray(ivAt, dataAt);
    this.#iv(iv);
    message.set(plaintext, dataAt);
    // RFC 7296 §3.14: "Padding MAY contain any value"; zeros here. Pad Length is its length.
    message[icvAt - 1] = pad;
    const data = message.subarray(dataAt, icvAt);
    const icv = message.subarray(icvAt);
    if (aead !== undefined) {
      // RFC 5282 §5.1: the associated data runs from the IKE header through the SK(F) header.
      aead.seal(concat(salt, iv), message.subarray(0, ivAt), data, icv);
      return;
    }
    cipher!.encrypt(this.#mode === "ctr" ? concat(salt, iv, CTR_INITIAL_COUNTER) : iv, data);
    // RFC 7296 §3.14: the checksum covers the message "starting with the Fixed IKE header
    // through the Pad Length", computed over the encrypted message.
    mac!.compute([message.subarray(0, icvAt)], icv);
  }

  /** Verifies and decrypts; returns the plaintext without padding, or why it was refused. */
  #open(datagram: Uint8Array, ivAt: number): Uint8Array | SkOpenFailure {
    const { aead, cipher, mac, salt } = this.#in;
    const dataAt = ivAt + this.ivLength;
    const icvAt = datagram.length - this.icvLength;
    const dataLength = icvAt - dataAt;
    // At least the Pad Length octet; CBC at least one block and whole blocks (RFC 7296 §3.14).
    if (dataLength < Math.max(PAD_LENGTH_OCTET, this.alignment)) return "truncated";
    if (dataLength % this.alignment !== 0) return "bad-length";
    const iv = datagram.subarray(ivAt, dataAt);
    const icv = datagram.subarray(icvAt);
    const data = datagram.slice(dataAt, icvAt);
    if (aead !== undefined) {
      if (!aead.open(concat(salt, iv), datagram.subarray(0, ivAt), data, icv)) {
        zeroize(data);
        return "icv-mismatch";
      }
    } else {
      const expected = new Uint8Array(this.icvLength);
      mac!.compute([datagram.subarray(0, icvAt)], expected);
      if (!equalConstantTime(expected, icv)) return "icv-mismatch";
      cipher!.decrypt(this.#mode === "ctr" ? concat(salt, iv, CTR_INITIAL_COUNTER) : iv, data);
    }
    // RFC 7296 §3.14: the recipient "MUST accept any length that results in proper alignment";
    // it still cannot exceed what was decrypted.
    const pad = data[data.length - 1]!;
    if (pad + PAD_LENGTH_OCTET > data.length) {
      zeroize(data);
      return "bad-padding";
    }
    return data.subarray(0, data.length - pad - PAD_LENGTH_OCTET);
  }
}

function destroyDirection(d: Direction): void {
  d.aead?.destroy();
  d.cipher?.destroy();
  d.mac?.destroy();
  zeroize(d.salt);
}
