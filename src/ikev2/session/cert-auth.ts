/**
 * Certificate authentication in IKE_AUTH (RFC 7296 §2.15, §3.6, §3.7; RFC 4945): our CERT payloads
 * and signature AUTH, the CERTREQ naming our trust anchors, and the check of the peer's CERT chain,
 * identity binding and AUTH. Any failure is reported as `false` / `undefined` with a log line;
 * the caller answers AUTHENTICATION_FAILED (RFC 7296 §2.21.2).
 *
 * @packageDocumentation
 */
import { CryptoError } from "../../crypto/backend.js";
import { caKeyHash } from "../../pki/authority.js";
import { type Certificate, KeyUsage, parseCertificate } from "../../pki/certificate.js";
import { verifyChain } from "../../pki/chain.js";
import { PkiError } from "../../pki/errors.js";
import { type CertificateIdentity, certificateMatchesIdentity } from "../../pki/match.js";
import { parseCertificates } from "../../pki/pem.js";
import { concat, zeroize } from "../../wire/bytes.js";
import { isWireError } from "../../wire/errors.js";
import { Reader } from "../../wire/reader.js";
import { Writer } from "../../wire/writer.js";
import type { Payload } from "../chain.js";
import { AuthMethod, CertEncoding, IdType, NotifyType } from "../constants.js";
import type { AuthPayload } from "../payloads/auth.js";
import type { CertPayload } from "../payloads/cert.js";
import type { CertReqPayload } from "../payloads/certreq.js";
import type { IdPayload } from "../payloads/id.js";
import {
  decodeSignatureHashAlgorithms,
  encodeSignatureHashAlgorithms,
  type NotifyPayload,
} from "../payloads/notify.js";
import type { ResolvedConfig } from "./config.js";
import { type IkeSaContext, notify } from "./context.js";
import { idPayloadBody } from "./identity.js";
import { chooseSignature, SIGNATURE_HASHES, signAuth, signedOctets, verifyAuth } from "./sig-auth.js";
import type { IkeLogger, IkeSessionDeps, LocalAuthConfig } from "./types.js";

/** Most CERT payloads of the peer considered: its certificate and a few intermediates. */
const MAX_PEER_CERTIFICATES = 8;

/** The octets `signer` signs (RFC 7296 §2.15: its IKE_SA_INIT message, the other nonce, its SK_p). */
function octetsOf(ctx: IkeSaContext, signer: "initiator" | "responder", id: IdPayload): Uint8Array {
  const initiator = signer === "initiator";
  return signedOctets({
    backend: ctx.deps.backend,
    prf: ctx.ike!.prf,
    message: initiator ? ctx.initRequest! : ctx.initResponse!,
    peerNonce: initiator ? ctx.nr! : ctx.ni!,
    skP: initiator ? ctx.keys!.skPi : ctx.keys!.skPr,
    idBody: idPayloadBody(id),
  });
}

/** Parses configured or stored DER certificates, logging and skipping unusable ones. */
function parseAll(log: IkeLogger, what: string, ders: readonly Uint8Array[]): Certificate[] {
  const out: Certificate[] = [];
  for (const der of ders) {
    try {
      out.push(parseCertificate(der));
    } catch (e) {
      if (!(e instanceof PkiError)) throw e;
      log.warn(`${what}: ${e.message}`);
    }
  }
  return out;
}

/** Our authentication payloads: the CERT chain and the AUTH. @internal */
export interface SignatureCredentials {
  readonly certificates: readonly CertPayload[];
  readonly auth: AuthPayload;
}

/**
 * Our CERT payloads (end entity first, then intermediates; RFC 7296 §3.6) and the signature AUTH
 * over our signed octets, with the method the peer's SIGNATURE_HASH_ALGORITHMS allow. Undefined
 * when the key store has no usable private key (nothing is sent then).
 * @internal
 */
export function signatureCredentials(
  ctx: IkeSaContext,
  signer: "initiator" | "responder",
  id: IdPayload,
): SignatureCredentials | undefined {
  const local = ctx.config.localAuth;
  if (local.method !== "pubkey") return undefined;
  const ours = local.chain[0]!;
  const key = ctx.deps.keys?.getPrivateKey(ctx.config.localId, ours.der);
  if (key === undefined) {
    ctx.log.warn("IKE_AUTH: no private key for our certificate");
    return undefined;
  }
  const octets = octetsOf(ctx, signer, id);
  let data: Uint8Array;
  let method: number;
  try {
    // RFC 7427 §4: method 14 only when the peer announced hashes (and the configuration allows it).
    const hashes = local.classic ? undefined : ctx.peerSignatureHashes;
    const choice = chooseSignature(ours.publicKey, hashes, local.rsaPss);
    method = choice.method;
    ctx.log.debug(`IKE_AUTH: signing with AUTH method ${method}`);
    data = signAuth(ctx.deps.backend, key, choice, octets);
  } catch (e) {
    if (!(e instanceof CryptoError) && !(e instanceof PkiError) && !(e instanceof RangeError)) throw e;
    ctx.log.warn(`IKE_AUTH: cannot sign: ${e.message}`);
    return undefined;
  } finally {
    zeroize(key);
  }
  return {
    certificates: local.chain.map((c) => ({
      type: "CERT",
      encoding: CertEncoding.X509_SIGNATURE,
      data: c.der,
    })),
    auth: { type: "AUTH", method, data },
  };
}

/**
 * CERTREQ naming our trust anchors by the SHA-1 hash of their SubjectPublicKeyInfo (RFC 7296 §3.7),
 * when we expect the peer to authenticate with a certificate; none without anchors.
 * @internal
 */
export function certificateRequests(
  config: ResolvedConfig,
  deps: IkeSessionDeps,
  log: IkeLogger,
): CertReqPayload[] {
  if (config.remoteAuth !== "pubkey" || deps.keys === undefined) return [];
  const anchors = parseAll(log, "trust anchor", deps.keys.getTrustAnchors());
  if (anchors.length === 0) return [];
  const hashes = concat(...anchors.map((a) => caKeyHash(deps.backend, a)));
  return [{ type: "CERTREQ", encoding: CertEncoding.X509_SIGNATURE, authorities: hashes }];
}

/** The identity an ID payload names, for certificate matching (RFC 7296 §3.5). */
function certificateIdentity(id: IdPayload): CertificateIdentity | undefined {
  switch (id.idType) {
    case IdType.ID_FQDN:
      return { type: "fqdn", data: id.data };
    case IdType.ID_RFC822_ADDR:
      return { type: "rfc822", data: id.data };
    case IdType.ID_IPV4_ADDR:
      return { type: "ipv4", data: id.data };
    case IdType.ID_IPV6_ADDR:
      return { type: "ipv6", data: id.data };
    case IdType.ID_DER_ASN1_DN:
      return { type: "dn", data: id.data };
    default:
      return undefined;
  }
}

/**
 * Verifies a peer that authenticates with a certificate: its first X.509 CERT (RFC 7296 §3.6: the
 * one whose key verifies AUTH) chains to a trust anchor through its other CERTs and configured
 * intermediates, is valid now, may sign (keyUsage), is bound to its ID payload, and its AUTH
 * verifies over the peer's signed octets.
 * @internal
 */
export function verifyPeerSignature(
  ctx: IkeSaContext,
  id: IdPayload,
  inner: readonly Payload[],
  auth: AuthPayload | undefined,
): boolean {
  const { deps, log } = ctx;
  if (auth === undefined || auth.method === AuthMethod.SHARED_KEY_MIC) {
    log.warn("IKE_AUTH: the peer did not authenticate with a signature");
    return false;
  }
  if (deps.keys === undefined || deps.wallClock === undefined) {
    log.warn("IKE_AUTH: certificate authentication needs deps.keys and deps.wallClock");
    return false;
  }
  const certs = inner
    .filter((p): p is CertPayload => p.type === "CERT" && p.encoding === CertEncoding.X509_SIGNATURE)
    .slice(0, MAX_PEER_CERTIFICATES);
  const identity = certificateIdentity(id);
  if (certs.length === 0 || identity === undefined) {
    log.warn("IKE_AUTH: no peer certificate, or an ID type certificates cannot bind");
    return false;
  }
  try {
    const endEntity = parseCertificate(certs[0]!.data);
    const intermediates = [
      ...certs.slice(1).map((c) => parseCertificate(c.data)),
      ...parseAll(log, "intermediate", deps.keys.getIntermediates?.() ?? []),
    ];
    const trustAnchors = parseAll(log, "trust anchor", deps.keys.getTrustAnchors());
    verifyChain(endEntity, { backend: deps.backend, trustAnchors, intermediates, now: deps.wallClock() });
    // RFC 4945 §5.1.3.2: a keyUsage without digitalSignature or nonRepudiation cannot sign AUTH.
    const usage = endEntity.keyUsage;
    if (usage !== undefined && (usage & (KeyUsage.digitalSignature | KeyUsage.nonRepudiation)) === 0) {
      log.warn(`IKE_AUTH: ${endEntity.subject.text} may not sign`);
      return false;
    }
    // RFC 4945 §3.1: the ID must be bound to the certificate (SAN, or subject for a DN).
    if (!certificateMatchesIdentity(endEntity, identity)) {
      log.warn(`IKE_AUTH: the peer's ID is not in its certificate ${endEntity.subject.text}`);
      return false;
    }
    const signer = ctx.role === "initiator" ? "responder" : "initiator";
    const ok = verifyAuth(
      deps.backend,
      endEntity.spki,
      endEntity.publicKey,
      auth.method,
      auth.data,
      octetsOf(ctx, signer, id),
    );
    if (ok) log.info(`IKE_AUTH: peer authenticated by ${endEntity.subject.text}, AUTH method ${auth.method}`);
    else log.warn(`IKE_AUTH: AUTH method ${auth.method} does not verify with ${endEntity.subject.text}`);
    return ok;
  } catch (e) {
    if (!(e instanceof PkiError)) throw e;
    log.warn(`IKE_AUTH: peer certificate refused: ${e.message}`);
    return false;
  }
}

/** Our authentication, resolved: the PSK, or our parsed certificate chain. @internal */
export type ResolvedLocalAuth =
  | { readonly method: "psk" }
  | {
      readonly method: "pubkey";
      readonly chain: readonly Certificate[];
      readonly rsaPss: boolean;
      readonly classic: boolean;
    };

/**
 * Parses the configured certificates (PEM text or DER) of `auth`.
 * @throws `RangeError` when there is no certificate or one does not parse.
 * @internal
 */
export function resolveLocalAuth(auth: LocalAuthConfig | undefined): ResolvedLocalAuth {
  if (auth === undefined || auth.method === "psk") return { method: "psk" };
  const chain: Certificate[] = [];
  for (const item of auth.certificates) {
    try {
      chain.push(...parseCertificates(item));
    } catch (e) {
      if (!(e instanceof PkiError)) throw e;
      throw new RangeError(`auth.certificates: ${e.message}`);
    }
  }
  if (chain.length === 0) throw new RangeError("auth.certificates: our certificate is needed");
  return { method: "pubkey", chain, rsaPss: auth.rsaPss ?? false, classic: auth.classic ?? false };
}

/** True when either end authenticates with a certificate. */
function usesSignatures(config: ResolvedConfig): boolean {
  return config.localAuth.method === "pubkey" || config.remoteAuth === "pubkey";
}

/**
 * N(SIGNATURE_HASH_ALGORITHMS) for our IKE_SA_INIT message (RFC 7427 §4), when either end
 * authenticates with a certificate; none otherwise.
 * @internal
 */
export function signatureHashesNotify(config: ResolvedConfig): NotifyPayload[] {
  if (!usesSignatures(config)) return [];
  const w = new Writer();
  encodeSignatureHashAlgorithms(w, SIGNATURE_HASHES);
  return [notify(NotifyType.SIGNATURE_HASH_ALGORITHMS, w.finish())];
}

/**
 * The hashes of the peer's N(SIGNATURE_HASH_ALGORITHMS) in its IKE_SA_INIT message (RFC 7427 §4),
 * or undefined when it sent none (or a malformed one, which is ignored like an unknown status
 * notify, RFC 7296 §3.10.1).
 * @internal
 */
export function peerSignatureHashes(payloads: readonly Payload[]): readonly number[] | undefined {
  const n = payloads.find(
    (p): p is NotifyPayload => p.type === "N" && p.notifyType === NotifyType.SIGNATURE_HASH_ALGORITHMS,
  );
  if (n === undefined) return undefined;
  try {
    return decodeSignatureHashAlgorithms(new Reader(n.data));
  } catch (e) {
    if (isWireError(e)) return undefined;
    throw e;
  }
}
