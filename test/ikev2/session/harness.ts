/**
 * An in-process network for two IKE sessions (like strongSwan's exchange_test_helper): datagrams
 * go from one session's output to the other's `receive` with a fake clock, and a hook can drop,
 * replace or record each one on the way.
 */
import { expect } from "vitest";
import type { CryptoBackend } from "../../../src/crypto/backend.js";
import { nobleBackend } from "../../../src/crypto/noble/index.js";
import { EspInboundSa } from "../../../src/esp/inbound.js";
import { EspOutboundSa } from "../../../src/esp/outbound.js";
import { UDP_HEADER_LENGTH } from "../../../src/esp/udp-encap.js";
import { decodeInnerPayloads, encodeInnerPayloads, type Payload } from "../../../src/ikev2/chain.js";
import type { IkeHeader } from "../../../src/ikev2/header.js";
import { decodeMessage } from "../../../src/ikev2/message.js";
import { IkeResponderGuard } from "../../../src/ikev2/session/cookie.js";
import { IkeSession } from "../../../src/ikev2/session/ike-session.js";
import type {
  ChildSaInfo,
  Endpoint,
  IdentityConfig,
  IkeEvent,
  IkeOutput,
  IkeSessionConfig,
  IkeSessionDeps,
  OutboundDatagram,
} from "../../../src/ikev2/session/types.js";
import { SkProtection } from "../../../src/ikev2/sk-protect.js";
import { toHex, utf8 } from "../../../src/wire/bytes.js";
import { ipv4Packet } from "../../esp/helpers.js";

export const PSK = utf8("interop-test-psk-0123456789");
export const I_ADDRESS = "198.18.1.1";
export const R_ADDRESS = "198.18.1.2";
export const I_ID: IdentityConfig = { type: "fqdn", value: "initiator.ikei.test" };
export const R_ID: IdentityConfig = { type: "fqdn", value: "responder.ikei.test" };

export function initiatorConfig(over: Partial<IkeSessionConfig> = {}): IkeSessionConfig {
  return {
    localId: I_ID,
    remoteId: R_ID,
    localAddress: I_ADDRESS,
    remote: { address: R_ADDRESS, port: 500 },
    ikeProposals: ["aes256gcm16-prfsha256-x25519"],
    espProposals: ["aes256gcm16"],
    localTs: ["198.19.0.1/32"],
    remoteTs: ["198.19.0.2/32"],
    natTraversal: true,
    ...over,
  };
}

export function responderConfig(over: Partial<IkeSessionConfig> = {}): IkeSessionConfig {
  return {
    localId: R_ID,
    localAddress: R_ADDRESS,
    ikeProposals: ["aes256gcm16-prfsha256-x25519", "aes128-sha256-modp2048"],
    espProposals: ["aes256gcm16", "aes128-sha256"],
    localTs: ["198.19.0.2/32"],
    remoteTs: ["198.19.0.0/24"],
    ...over,
  };
}

/** PSK store: one key for every pair (null: none at all). */
export function pskStore(key: Uint8Array | null = PSK): IkeSessionDeps["psk"] {
  return { getPsk: () => key?.slice() };
}

/** nobleBackend, except that 32-octet random values (nonces) are taken from `nonces` while it lasts. */
export function withNonces(nonces: number[]): CryptoBackend {
  return {
    ...nobleBackend,
    randomBytes: (n: number) => {
      const fill = n === 32 ? nonces.shift() : undefined;
      return fill === undefined ? nobleBackend.randomBytes(n) : new Uint8Array(n).fill(fill);
    },
  };
}

let nextSpi = 0x1000;
export function deps(backend: CryptoBackend, psk = pskStore()): IkeSessionDeps {
  return { backend, psk, allocateSpi: () => nextSpi++ };
}

/** One datagram on the wire, with the addresses the receiver sees. */
export interface Flight {
  readonly toResponder: boolean;
  readonly datagram: OutboundDatagram;
  readonly from: Endpoint;
}

export interface HarnessOptions {
  readonly backend: CryptoBackend;
  readonly initiator?: IkeSessionConfig;
  readonly responder?: IkeSessionConfig;
  readonly initiatorDeps?: IkeSessionDeps;
  readonly responderDeps?: IkeSessionDeps;
  readonly guard?: IkeResponderGuard;
}

/** A hook sees each flight before delivery: return it (possibly changed) or null to drop it. */
export type Hook = (f: Flight) => Flight | null;

export class Harness {
  now = 0;
  initiator!: IkeSession;
  responder: IkeSession | undefined;
  /** Responder sessions created (a test can check no state was kept). */
  responderSessions = 0;
  readonly iEvents: IkeEvent[] = [];
  readonly rEvents: IkeEvent[] = [];
  /** Every flight delivered or dropped, in order. */
  readonly wire: Flight[] = [];
  readonly options: HarnessOptions;
  readonly #queue: Flight[] = [];
  #nextTickI: number | undefined;
  #nextTickR: number | undefined;

  constructor(options: HarnessOptions) {
    this.options = options;
  }

  get iConfig(): IkeSessionConfig {
    return this.options.initiator ?? initiatorConfig();
  }

  get rConfig(): IkeSessionConfig {
    return this.options.responder ?? responderConfig();
  }

  start(): this {
    const { session, output } = IkeSession.initiate(
      this.iConfig,
      this.options.initiatorDeps ?? deps(this.options.backend),
      this.now,
    );
    this.initiator = session;
    this.absorb(output, false);
    return this;
  }

  /** Queues a session's output. */
  absorb(out: IkeOutput, fromResponder: boolean): void {
    const address = fromResponder ? R_ADDRESS : I_ADDRESS;
    for (const d of out.datagrams) {
      this.#queue.push({ toResponder: !fromResponder, datagram: d, from: { address, port: d.localPort } });
    }
    (fromResponder ? this.rEvents : this.iEvents).push(...out.events);
    if (fromResponder) this.#nextTickR = out.nextTick;
    else this.#nextTickI = out.nextTick;
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** Delivers one flight (after the hook); returns it, or undefined when nothing was queued. */
  step(hook?: Hook): Flight | undefined {
    const original = this.#queue.shift();
    if (original === undefined) return undefined;
    const f = hook === undefined ? original : hook(original);
    this.wire.push(original);
    if (f === null) return original;
    this.deliver(f);
    return f;
  }

  /** Delivers a flight to its receiver. */
  deliver(f: Flight): void {
    const to = { port: f.datagram.remote.port, address: f.datagram.remote.address };
    if (f.toResponder) {
      if (this.responder === undefined) {
        const res = IkeSession.respond(
          f.datagram.data,
          f.from,
          to,
          this.rConfig,
          this.options.responderDeps ?? deps(this.options.backend),
          this.now,
          this.options.guard,
        );
        if (res.session !== undefined) {
          this.responder = res.session;
          this.responderSessions++;
        }
        this.absorb(res.output, true);
      } else {
        this.absorb(this.responder.receive(f.datagram.data, f.from, to, this.now), true);
      }
    } else {
      this.absorb(this.initiator.receive(f.datagram.data, f.from, to, this.now), false);
    }
  }

  /** Delivers until nothing is in flight (bounded). */
  run(hook?: Hook): this {
    for (let i = 0; i < 64 && this.pending > 0; i++) this.step(hook);
    return this;
  }

  /** Advances the fake clock to the earliest wake-up either session asked for, and ticks both. */
  advance(): this {
    const due = [this.#nextTickI, this.#nextTickR].filter((t): t is number => t !== undefined);
    if (due.length === 0) throw new Error("no timer pending");
    this.now = Math.max(this.now, Math.min(...due));
    this.absorb(this.initiator.tick(this.now), false);
    if (this.responder !== undefined) this.absorb(this.responder.tick(this.now), true);
    return this;
  }

  /** An SK-protected message as `side` would send it, with that side's IKE SA keys. */
  craft(
    side: "initiator" | "responder",
    exchangeType: number,
    messageId: number,
    payloads: readonly Payload[],
    response = false,
  ): Uint8Array {
    return this.protectAs(side, exchangeType, messageId, response, (sk, header) =>
      sk.protect(header, encodeInnerPayloads(payloads)),
    );
  }

  /** The inner payloads of an SK-protected flight, opened with the receiving side's IKE SA keys. */
  innerOf(f: Flight): Payload[] {
    const receiver = f.toResponder ? this.responder! : this.initiator;
    const material = receiver.ikeKeys()!;
    const sk = new SkProtection({
      ...material.suite,
      backend: this.options.backend,
      keys: material.keys,
      role: receiver.role,
    });
    const opened = sk.unprotect(f.datagram.data, decodeMessage(f.datagram.data));
    sk.destroy();
    if (!opened.ok) throw new Error("the flight does not open with the receiver's keys");
    return decodeInnerPayloads(opened.plaintext, opened.firstPayload);
  }

  /** Calls `protect` with `side`'s IKE SA keys and the header `side` would send. */
  protectAs<T>(
    side: "initiator" | "responder",
    exchangeType: number,
    messageId: number,
    response: boolean,
    protect: (sk: SkProtection, header: IkeHeader) => T,
  ): T {
    const session = side === "initiator" ? this.initiator : this.responder!;
    const material = session.ikeKeys()!;
    const sk = new SkProtection({
      ...material.suite,
      backend: this.options.backend,
      keys: material.keys,
      role: side,
    });
    const header: IkeHeader = {
      spiI: session.spiI,
      spiR: session.spiR,
      minorVersion: 0,
      exchangeType,
      initiator: side === "initiator",
      response,
      higherVersion: false,
      messageId,
    };
    try {
      return protect(sk, header);
    } finally {
      sk.destroy();
    }
  }

  /** Sends crafted bytes from `side` to the other side on the IKE SA's current ports. */
  inject(side: "initiator" | "responder", data: Uint8Array): void {
    const fromResponder = side === "responder";
    const last = [...this.wire].reverse().find((f) => f.toResponder !== fromResponder);
    if (last === undefined) throw new Error("no flight to copy ports from");
    this.deliver({ toResponder: !fromResponder, datagram: { ...last.datagram, data }, from: last.from });
  }
}

/** One IPv4 packet out through an ESP SA built from `a`, in through one from `b`: it must come back whole. */
export function espRoundTrip(backend: CryptoBackend, a: ChildSaInfo, b: ChildSaInfo): void {
  const out = new EspOutboundSa(backend, a.outbound);
  const inb = new EspInboundSa(backend, b.inbound);
  const inner = ipv4Packet(
    17,
    Uint8Array.from({ length: 40 }, (_, i) => i),
  );
  const buf = new Uint8Array(out.maxOutputLength(inner.length));
  const n = out.protect(inner, 0, inner.length, buf, 0);
  if (typeof n !== "number") throw new Error(`protect refused: ${n}`);
  // A UDP-encapsulated SA writes the UDP header too (RFC 3948); the inbound SA starts at the SPI.
  const start = a.outbound.udpEncapsulation === undefined ? 0 : UDP_HEADER_LENGTH;
  const r = inb.unprotect(buf, start, n);
  expect(r.status).toBe("packet");
  expect(toHex(buf.subarray(r.offset, r.offset + r.length))).toBe(toHex(inner));
  out.destroy();
  inb.destroy();
}

export function events(list: readonly IkeEvent[], type: IkeEvent["type"]): IkeEvent[] {
  return list.filter((e) => e.type === type);
}

export function newGuard(backend: CryptoBackend, cookieThreshold: number): IkeResponderGuard {
  return new IkeResponderGuard({ backend, cookieThreshold });
}
