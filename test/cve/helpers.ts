/**
 * Shared tools of the CVE regression files: both crypto backends, the in-process harness driven to
 * each state, raw payload chains (bytes the encoders refuse to produce), SK protection of such
 * chains with a session's real keys, and opening the answers.
 */
import type { CryptoBackend } from "../../src/crypto/backend.js";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import {
  decodeInnerPayloads,
  encodeInnerPayloads,
  type InnerPayloads,
  type Payload,
  payloadTypeOf,
} from "../../src/ikev2/chain.js";
import { decodeMessage, encodeMessage, type IkeMessage } from "../../src/ikev2/message.js";
import type { NotifyPayload } from "../../src/ikev2/payloads/notify.js";
import type { IkeLogger, IkeOutput } from "../../src/ikev2/session/types.js";
import { SkProtection } from "../../src/ikev2/sk-protect.js";
import { nodeBackend } from "../../src/node/backend.js";
import { type Flight, Harness, type HarnessOptions, I_ADDRESS, R_ADDRESS } from "../ikev2/session/harness.js";

export const BACKENDS: readonly (readonly [string, CryptoBackend])[] = [
  ["noble", nobleBackend],
  ["node", nodeBackend],
];

export function withData(f: Flight, data: Uint8Array): Flight {
  return { ...f, datagram: { ...f.datagram, data } };
}

/** Notify types of a cleartext message. */
export function clearNotifies(data: Uint8Array): number[] {
  return decodeMessage(data)
    .payloads.filter((p): p is NotifyPayload => p.type === "N")
    .map((p) => p.notifyType);
}

/** Notify types among inner payloads. */
export function notifies(inner: readonly Payload[] | undefined): number[] {
  return (inner ?? []).filter((p): p is NotifyPayload => p.type === "N").map((p) => p.notifyType);
}

/** One payload of a raw chain: a type number, the critical bit and a body, any bytes at all. */
export interface RawPayload {
  readonly type: number;
  readonly critical?: boolean;
  readonly body: Uint8Array;
  /** Overrides the Payload Length field (default: 4 + body length). */
  readonly length?: number;
}

/** A payload as its raw form (generic header dropped). */
export function raw(p: Payload): RawPayload {
  const one = encodeInnerPayloads([p]);
  return { type: payloadTypeOf(p), body: one.bytes.subarray(4) };
}

/** A payload chain from raw payloads (RFC 7296 §3.2 generic headers), for SK protection. */
export function rawChain(parts: readonly (RawPayload | Payload)[]): InnerPayloads {
  const list = parts.map((p) => (typeof p.type === "number" ? (p as RawPayload) : raw(p as Payload)));
  const total = list.reduce((n, p) => n + 4 + p.body.length, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  list.forEach((p, i) => {
    const length = p.length ?? 4 + p.body.length;
    bytes.set([list[i + 1]?.type ?? 0, p.critical ? 0x80 : 0, length >>> 8, length & 0xff], at);
    bytes.set(p.body, at + 4);
    at += 4 + p.body.length;
  });
  return { firstPayload: list[0]?.type ?? 0, bytes };
}

type Side = "initiator" | "responder";

function protection(h: Harness, side: Side): SkProtection {
  const session = side === "initiator" ? h.initiator : h.responder!;
  const material = session.ikeKeys()!;
  return new SkProtection({ ...material.suite, backend: h.options.backend, keys: material.keys, role: side });
}

/** Like `Harness.craft`, for a raw inner chain and optional payloads in the clear before SK. */
export function craftRaw(
  h: Harness,
  side: Side,
  exchangeType: number,
  messageId: number,
  inner: InnerPayloads,
  options: { readonly response?: boolean; readonly unprotected?: readonly Payload[] } = {},
): Uint8Array {
  const session = side === "initiator" ? h.initiator : h.responder!;
  const sk = protection(h, side);
  const message = sk.protect(
    {
      spiI: session.spiI,
      spiR: session.spiR,
      minorVersion: 0,
      exchangeType,
      initiator: side === "initiator",
      response: options.response ?? false,
      higherVersion: false,
      messageId,
    },
    inner,
    options.unprotected ?? [],
  );
  sk.destroy();
  return message;
}

/** Opens an SK message with `side`'s keys (the receiver); undefined when it does not verify. */
export function open(h: Harness, side: Side, data: Uint8Array): Payload[] | undefined {
  const sk = protection(h, side);
  const opened = sk.unprotect(data);
  sk.destroy();
  if (!opened.ok) return undefined;
  return decodeInnerPayloads(opened.plaintext, opened.firstPayload);
}

/** Takes the next flight off the wire without delivering it. */
export function hold(h: Harness): Flight {
  const f = h.step(() => null);
  if (f === undefined) throw new Error("nothing in flight");
  return f;
}

/** Both ends established (the first Child SA up), nothing in flight. */
export function established(options: HarnessOptions): Harness {
  const h = new Harness(options).start();
  h.run();
  if (h.initiator.state !== "established" || h.responder?.state !== "established") {
    throw new Error("the harness did not establish");
  }
  return h;
}

/** After IKE_SA_INIT: the initiator's IKE_AUTH request held (not delivered), with its inner payloads. */
export function authHeld(options: HarnessOptions): { h: Harness; request: Flight; inner: Payload[] } {
  const h = new Harness(options).start();
  h.step();
  h.step();
  const request = hold(h);
  const inner = open(h, "responder", request.datagram.data);
  if (inner === undefined) throw new Error("cannot open IKE_AUTH");
  return { h, request, inner };
}

/** The initiator's IKE_SA_INIT request held, decoded. */
export function initHeld(options: HarnessOptions): { h: Harness; request: Flight; message: IkeMessage } {
  const h = new Harness(options).start();
  const request = hold(h);
  return { h, request, message: decodeMessage(request.datagram.data) };
}

/** Delivers an IKE_SA_INIT request with other payloads; returns the answer (held), if any. */
export function initAnswer(
  h: Harness,
  request: Flight,
  payloads: readonly Payload[],
): Uint8Array | undefined {
  const message = decodeMessage(request.datagram.data);
  h.deliver(withData(request, encodeMessage({ header: message.header, payloads })));
  return h.pending > 0 ? hold(h).datagram.data : undefined;
}

/** Delivers a datagram straight to a session, as the harness would from the peer's usual ports. */
export function toInitiator(h: Harness, data: Uint8Array): IkeOutput {
  const out = h.initiator.receive(data, { address: R_ADDRESS, port: 500 }, { port: 500 }, h.now);
  h.absorb(out, false);
  return out;
}

export function toResponder(h: Harness, data: Uint8Array): IkeOutput {
  const out = h.responder!.receive(data, { address: I_ADDRESS, port: 500 }, { port: 500 }, h.now);
  h.absorb(out, true);
  return out;
}

/** A logger that keeps every line (to show unknown numbers format safely). */
export function recordingLogger(): IkeLogger & { readonly lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (m) => lines.push(m),
    info: (m) => lines.push(m),
    warn: (m) => lines.push(m),
  };
}

export function u16(n: number): Uint8Array {
  return Uint8Array.of(n >>> 8, n & 0xff);
}

export function u32(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

export function cat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
