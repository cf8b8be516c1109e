/**
 * SA payload negotiation (RFC 7296 §2.7, §3.3): our proposals as SA payloads, the responder's
 * choice among the initiator's proposals, and the initiator's check of the answer.
 *
 * The responder takes the initiator's proposals in order and, for each transform type, the first
 * of the initiator's transforms that one of our proposals allows; the answer carries exactly one
 * transform per type. A proposal with a transform type we do not know, or missing a mandatory one
 * (KE for IKE, CVE-2016-5391; ESN for ESP), is unacceptable (§3.3.6).
 *
 * @packageDocumentation
 */
import {
  type EncryptionSpec,
  encryptionByIkev2,
  type IntegritySpec,
  integrityByIkev2,
  type KeGroupSpec,
  keGroupById,
  type PrfSpec,
  ProtocolId,
  prfByIkev2,
  TransformType,
} from "../../crypto/registry.js";
import { TransformAttributeType } from "../constants.js";
import type { IkeSuite } from "../keys.js";
import { keyLength, type Proposal, type SaPayload, type Transform } from "../payloads/sa.js";
import type { EncryptionChoice, EspProposalConfig, IkeProposalConfig } from "./proposal-strings.js";

/** The negotiated transforms of an IKE SA. @internal */
export interface IkeChoice {
  readonly encryption: EncryptionSpec;
  readonly keyBits: number | undefined;
  readonly integrity: IntegritySpec | undefined;
  readonly prf: PrfSpec;
  readonly ke: KeGroupSpec;
  /** The accepted proposal as the responder returns it. */
  readonly proposal: Proposal;
}

/** The IKE SA suite (keys and SK protection) of negotiated transforms. @internal */
export function ikeSuite(choice: IkeChoice, allowLegacy: boolean): IkeSuite {
  return {
    prf: choice.prf,
    encryption: choice.encryption,
    ...(choice.keyBits === undefined ? {} : { keyBits: choice.keyBits }),
    ...(choice.integrity === undefined ? {} : { integrity: choice.integrity }),
    allowLegacy,
  };
}

/**
 * `proposal` with another SPI. (Field by field: Node 20's V8 adds properties that follow a spread
 * in the runtime, about a microsecond apiece.)
 * @internal
 */
export function withSpi(proposal: Proposal, spi: Uint8Array): Proposal {
  return { number: proposal.number, protocolId: proposal.protocolId, spi, transforms: proposal.transforms };
}

/** The negotiated transforms of an ESP Child SA. @internal */
export interface EspChoice {
  readonly encryption: EncryptionSpec;
  readonly keyBits: number | undefined;
  readonly integrity: IntegritySpec | undefined;
  readonly esn: boolean;
  /** The accepted proposal as the responder returns it (SPI: the proposer's). */
  readonly proposal: Proposal;
}

const ESN_NONE = 0;
const ESN_EXTENDED = 1;
/** RFC 7296 §3.3.2: INTEG transform ID 0 is NONE. */
const INTEG_NONE = 0;

function encryptionTransform(e: EncryptionChoice): Transform {
  const spec = encryptionByIkev2(e.id);
  const attributes =
    spec?.keyLengthAttribute === true && e.keyBits !== undefined
      ? [{ format: "tv" as const, attrType: TransformAttributeType.KEY_LENGTH, value: e.keyBits }]
      : [];
  return { transformType: TransformType.ENCR, id: e.id, attributes };
}

function plain(transformType: number, id: number): Transform {
  return { transformType, id, attributes: [] };
}

/** Our IKE proposals as the SA payload of IKE_SA_INIT (SPI size 0, RFC 7296 §3.3.1). @internal */
export function ikeSaPayload(proposals: readonly IkeProposalConfig[]): SaPayload {
  return {
    type: "SA",
    proposals: proposals.map((p, i) => ({
      number: i + 1,
      protocolId: ProtocolId.IKE,
      spi: new Uint8Array(0),
      transforms: [
        ...p.encryption.map(encryptionTransform),
        ...p.prf.map((id) => plain(TransformType.PRF, id)),
        ...p.integrity.map((id) => plain(TransformType.INTEG, id)),
        ...p.ke.map((id) => plain(TransformType.KE, id)),
      ],
    })),
  };
}

/**
 * Our ESP proposals for the first Child SA, all with our inbound SPI. No KE transforms: the
 * first Child SA has no key exchange of its own (RFC 7296 §1.2).
 * @internal
 */
export function espSaPayload(proposals: readonly EspProposalConfig[], spi: Uint8Array): SaPayload {
  return {
    type: "SA",
    proposals: proposals.map((p, i) => ({
      number: i + 1,
      protocolId: ProtocolId.ESP,
      spi,
      transforms: [
        ...p.encryption.map(encryptionTransform),
        ...p.integrity.map((id) => plain(TransformType.INTEG, id)),
        plain(TransformType.ESN, p.esn === true ? ESN_EXTENDED : ESN_NONE),
      ],
    })),
  };
}

/** RFC 7296 §3.3.6: only attributes we understand (Key Length) may appear. */
function onlyKeyLength(t: Transform): boolean {
  return t.attributes.every((a) => a.attrType === TransformAttributeType.KEY_LENGTH && a.format === "tv");
}

function encryptionMatches(t: Transform, ours: readonly EncryptionChoice[]): boolean {
  if (!onlyKeyLength(t)) return false;
  const spec = encryptionByIkev2(t.id);
  const bits = keyLength(t);
  // RFC 7296 §3.3.5: variable-length ciphers carry the Key Length attribute, fixed ones do not.
  if (spec === undefined || spec.keyLengthAttribute !== (bits !== undefined)) return false;
  return ours.some((e) => e.id === t.id && (bits === undefined || e.keyBits === bits));
}

function idMatches(t: Transform, ours: readonly number[]): boolean {
  return t.attributes.length === 0 && ours.includes(t.id);
}

const KNOWN_TRANSFORM_TYPES: ReadonlySet<number> = new Set<number>(Object.values(TransformType));

function byType(p: Proposal): Map<number, Transform[]> | undefined {
  const m = new Map<number, Transform[]>();
  for (const t of p.transforms) {
    // RFC 7296 §3.3.6: a Transform Type not understood makes the proposal unacceptable.
    if (!KNOWN_TRANSFORM_TYPES.has(t.transformType)) return undefined;
    const list = m.get(t.transformType);
    if (list === undefined) m.set(t.transformType, [t]);
    else list.push(t);
  }
  return m;
}

function combined(spec: EncryptionSpec): boolean {
  return spec.kind === "aead" || spec.kind === "gmac";
}

/** The integrity choice for `enc`: none for combined modes (NONE tolerated), else the first match. */
function pickIntegrity(
  enc: EncryptionSpec,
  offered: readonly Transform[],
  ours: readonly number[],
): Transform | null | undefined {
  if (combined(enc)) {
    // RFC 5282 §8: no integrity with a combined mode; an explicit NONE is the same thing.
    return offered.every((t) => t.id === INTEG_NONE) ? null : undefined;
  }
  return offered.find((t) => idMatches(t, ours));
}

function ikeFrom(p: Proposal, ours: IkeProposalConfig): IkeChoice | undefined {
  if (p.protocolId !== ProtocolId.IKE) return undefined;
  const types = byType(p);
  if (types === undefined || types.has(TransformType.ESN)) return undefined;
  const encT = (types.get(TransformType.ENCR) ?? []).find((t) => encryptionMatches(t, ours.encryption));
  const prfT = (types.get(TransformType.PRF) ?? []).find((t) => idMatches(t, ours.prf));
  // RFC 7296 §3.3.3: KE is mandatory in IKE proposals (CVE-2016-5391: a proposal without one).
  const keT = (types.get(TransformType.KE) ?? []).find((t) => idMatches(t, ours.ke));
  if (encT === undefined || prfT === undefined || keT === undefined) return undefined;
  const encryption = encryptionByIkev2(encT.id)!;
  const integT = pickIntegrity(encryption, types.get(TransformType.INTEG) ?? [], ours.integrity);
  if (integT === undefined) return undefined;
  const transforms = [encT, prfT, ...(integT === null ? [] : [integT]), keT];
  return {
    encryption,
    keyBits: keyLength(encT),
    integrity: integT === null ? undefined : integrityByIkev2(integT.id)!,
    prf: prfByIkev2(prfT.id)!,
    ke: keGroupById(keT.id)!,
    proposal: { number: p.number, protocolId: p.protocolId, spi: p.spi, transforms },
  };
}

function espFrom(p: Proposal, ours: EspProposalConfig): EspChoice | undefined {
  if (p.protocolId !== ProtocolId.ESP) return undefined;
  // RFC 4303 §2.1: SPI 0 is never sent and 1–255 are reserved (CVE-2025-39965: an SA with SPI 0).
  if (p.spi.length !== 4 || (p.spi[0]! | p.spi[1]! | p.spi[2]!) === 0) return undefined;
  const types = byType(p);
  if (types === undefined || types.has(TransformType.PRF)) return undefined;
  const encT = (types.get(TransformType.ENCR) ?? []).find((t) => encryptionMatches(t, ours.encryption));
  // RFC 7296 §3.3.3: ESN is mandatory in ESP proposals.
  const wanted = ours.esn === true ? ESN_EXTENDED : ESN_NONE;
  const esnT = (types.get(TransformType.ESN) ?? []).find((t) => t.attributes.length === 0 && t.id === wanted);
  if (encT === undefined || esnT === undefined) return undefined;
  const encryption = encryptionByIkev2(encT.id)!;
  const integT = pickIntegrity(encryption, types.get(TransformType.INTEG) ?? [], ours.integrity);
  if (integT === undefined) return undefined;
  // KE transforms, if offered, are not part of the first Child SA (RFC 7296 §1.2) and are dropped.
  const transforms = [encT, ...(integT === null ? [] : [integT]), esnT];
  return {
    encryption,
    keyBits: keyLength(encT),
    integrity: integT === null ? undefined : integrityByIkev2(integT.id)!,
    esn: esnT.id === ESN_EXTENDED,
    proposal: { number: p.number, protocolId: p.protocolId, spi: p.spi, transforms },
  };
}

function select<T, C>(
  offered: SaPayload,
  ours: readonly C[],
  from: (p: Proposal, c: C) => T | undefined,
): T | undefined {
  // RFC 7296 §2.7: the responder picks from the initiator's proposals in the initiator's order.
  for (const p of offered.proposals) {
    for (const c of ours) {
      const choice = from(p, c);
      if (choice !== undefined) return choice;
    }
  }
  return undefined;
}

/** Responder: the first acceptable IKE proposal, or `undefined` (NO_PROPOSAL_CHOSEN). @internal */
export function selectIke(offered: SaPayload, ours: readonly IkeProposalConfig[]): IkeChoice | undefined {
  return select(offered, ours, ikeFrom);
}

/** Responder: the first acceptable ESP proposal, or `undefined` (NO_PROPOSAL_CHOSEN). @internal */
export function selectEsp(offered: SaPayload, ours: readonly EspProposalConfig[]): EspChoice | undefined {
  return select(offered, ours, espFrom);
}

/**
 * Initiator: the responder's answer must be one proposal, numbered as one of ours, holding one
 * transform of each type, each one we offered in that proposal (RFC 7296 §2.7, §3.3.1).
 */
function accept<T extends { readonly proposal: Proposal }, C>(
  answer: SaPayload,
  ours: readonly C[],
  from: (p: Proposal, c: C) => T | undefined,
): T | undefined {
  const p = answer.proposals[0];
  if (p === undefined || answer.proposals.length !== 1) return undefined;
  const config = ours[p.number - 1];
  if (config === undefined) return undefined;
  const choice = from(p, config);
  return choice?.proposal.transforms.length === p.transforms.length ? choice : undefined;
}

/** Initiator: checks the IKE_SA_INIT answer against what we proposed. @internal */
export function acceptIke(answer: SaPayload, ours: readonly IkeProposalConfig[]): IkeChoice | undefined {
  return accept(answer, ours, ikeFrom);
}

/** Initiator: checks the IKE_AUTH answer's ESP proposal against what we proposed. @internal */
export function acceptEsp(answer: SaPayload, ours: readonly EspProposalConfig[]): EspChoice | undefined {
  return accept(answer, ours, espFrom);
}
