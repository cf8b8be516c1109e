/**
 * Drives an ike-ts IkeSession over the Node UDP transport against a charon peer — as initiator, or
 * as responder when charon initiates — and sends ICMP echoes through the resulting Child SA with
 * ike-ts's own ESP (ESP in UDP, RFC 3948).
 */
import { expect } from "vitest";
import type { CryptoBackend } from "../../src/crypto/backend.js";
import { EspInboundSa } from "../../src/esp/inbound.js";
import type { EspSaOptions } from "../../src/esp/options.js";
import { EspOutboundSa } from "../../src/esp/outbound.js";
import { IkeSession } from "../../src/ikev2/session/ike-session.js";
import type {
  ChildSaInfo,
  IkeEvent,
  IkeOutput,
  IkeSessionConfig,
  IkeSessionDeps,
} from "../../src/ikev2/session/types.js";
import { checksumAdd, finishChecksum } from "../../src/ip/header.js";
import { UdpTransport } from "../../src/node/udp-transport.js";
import { toHex, utf8 } from "../../src/wire/bytes.js";
import { INTEROP_PSK, type PeerEnv, peerKeys, RESPONDER_ID } from "./peer.js";

/** Inner addresses of the examples: ours 198.19.0.1, charon's 198.19.0.2. */
const INNER_LOCAL = [198, 19, 0, 1];
const INNER_REMOTE = [198, 19, 0, 2];
/** charon's identity when it initiates (test/interop/strongswan/*-charon-initiates). */
export const CHARON_INITIATOR_ID = "charon-initiator.ikei.test";

/** A running endpoint: its session, events so far, and the ESP SAs of the first Child SA. */
export interface Endpoint {
  /** The IKE session (a responder's exists once charon's IKE_SA_INIT arrived). */
  readonly session: IkeSession | undefined;
  readonly events: IkeEvent[];
  readonly transport: UdpTransport;
  /** Resolves with the first Child SA, or rejects on ike-sa-down / an error notify. */
  readonly childUp: Promise<ChildSaInfo>;
  /**
   * Sends one ICMP echo through the Child SA and resolves with the decrypted reply's payload.
   * `inner` overrides the inner addresses (default 198.19.0.1 -> 198.19.0.2), e.g. for a virtual IP.
   */
  ping(sequence: number, timeoutMs: number, inner?: InnerAddresses): Promise<Uint8Array>;
  /** Sends the IKE SA delete and resolves when the session reports ike-sa-down. */
  close(timeoutMs: number): Promise<void>;
  /** Releases sockets and timers. */
  dispose(): Promise<void>;
}

/** Inner IPv4 addresses of an ICMP echo (4 octets each). */
export interface InnerAddresses {
  readonly source?: readonly number[];
  readonly destination?: readonly number[];
}

/**
 * Starts an endpoint on `env.HOST4` with the examples' PSK and selectors: `initiate` sends
 * IKE_SA_INIT to `env.PEER4` at once (ephemeral local ports); otherwise it listens on 500/4500 and
 * answers charon's IKE_SA_INIT, faking a NAT so that charon (kernel-libipsec) encapsulates ESP.
 * `over` replaces configuration fields (identities, fragmentation …).
 */
export async function startEndpoint(
  env: PeerEnv,
  backend: CryptoBackend,
  proposals: { ike: string; esp: string },
  role: "initiator" | "responder",
  over: Partial<IkeSessionConfig> = {},
  depsOver: Partial<IkeSessionDeps> = {},
): Promise<Endpoint> {
  const events: IkeEvent[] = [];
  let session: IkeSession | undefined;
  let timer: NodeJS.Timeout | undefined;
  let espOut: EspOutboundSa | undefined;
  /** Inbound SAs by SPI: after a Child SA rekey the old one receives until it is deleted. */
  const espIns = new Map<number, EspInboundSa>();
  let child: ChildSaInfo | undefined;
  const replies: ((payload: Uint8Array) => void)[] = [];
  const downWaiters: (() => void)[] = [];
  let resolveChild!: (c: ChildSaInfo) => void;
  let rejectChild!: (e: Error) => void;
  const childUp = new Promise<ChildSaInfo>((res, rej) => {
    resolveChild = res;
    rejectChild = rej;
  });
  childUp.catch(() => undefined);

  const transport = await UdpTransport.open({
    ipv4: env.HOST4,
    ikePort: role === "initiator" ? 0 : 500,
    natTPort: role === "initiator" ? 0 : 4500,
    onIke: (data, from, localPort) => {
      const to = { port: localPort, address: env.HOST4 };
      if (session !== undefined) {
        handle(session.receive(data, from, to, Date.now()));
        return;
      }
      if (role !== "responder") return;
      const answered = IkeSession.respond(data, from, to, config, deps, Date.now());
      session = answered.session;
      handle(answered.output);
    },
    onEsp: (data) => {
      const espIn =
        data.length >= 4 ? espIns.get(new DataView(data.buffer, data.byteOffset).getUint32(0)) : undefined;
      if (espIn === undefined) return;
      const r = espIn.unprotect(data, 0, data.length);
      if (r.status !== "packet") return;
      const p = data.subarray(r.offset, r.offset + r.length);
      // An ICMP echo reply (type 0) from charon's inner address: hand its payload to the waiter.
      if (p[9] === 1 && p[20] === 0) replies.shift()?.(p.subarray(28));
    },
    onError: () => undefined,
  });

  /** Sends with a (new) Child SA from now on, and receives on its inbound SPI too. */
  function install(c: ChildSaInfo): void {
    child = c;
    espOut?.destroy();
    espOut = new EspOutboundSa(backend, withoutUdpHeader(c.outbound));
    espIns.set(
      c.inbound.spi,
      new EspInboundSa(backend, { ...withoutUdpHeader(c.inbound), replayWindow: 64 }),
    );
  }

  function handle(out: IkeOutput): void {
    for (const d of out.datagrams) {
      transport.sendIke(d.data, d.remote, { fromNatTPort: d.localPort === transport.ports.IPv4?.natT });
    }
    for (const e of out.events) {
      events.push(e);
      if (e.type === "child-sa-up" && child === undefined) {
        install(e.child);
        resolveChild(e.child);
      } else if (e.type === "child-sa-rekeyed") {
        install(e.child);
      } else if (e.type === "child-sa-down") {
        espIns.get(e.inboundSpi)?.destroy();
        espIns.delete(e.inboundSpi);
      } else if (e.type === "ike-sa-down") {
        rejectChild(new Error(`IKE SA down: ${JSON.stringify(e.reason)}`));
        for (const w of downWaiters.splice(0)) w();
      } else if (e.type === "error") {
        rejectChild(new Error(`${e.exchange}: ${e.notifyName}`));
      }
    }
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (out.nextTick !== undefined) {
      timer = setTimeout(
        () => session && handle(session.tick(Date.now())),
        Math.max(0, out.nextTick - Date.now()),
      );
      timer.unref();
    }
  }

  const ports = transport.ports.IPv4!;
  const initiator = role === "initiator";
  const config: IkeSessionConfig = {
    localId: { type: "fqdn", value: initiator ? "initiator.ikei.test" : RESPONDER_ID },
    remoteId: { type: "fqdn", value: initiator ? RESPONDER_ID : CHARON_INITIATOR_ID },
    localAddress: env.HOST4,
    ...(initiator
      ? { remote: { address: env.PEER4, port: Number(env.IKE_PORT) } }
      : { forceEncapsulation: true }),
    localPort: ports.ike,
    localNattPort: ports.natT,
    remoteNattPort: Number(env.NATT_PORT),
    ikeProposals: [proposals.ike],
    espProposals: [proposals.esp],
    localTs: ["198.19.0.1/32"],
    remoteTs: ["198.19.0.2/32"],
    ...over,
  };
  const psk = utf8(INTEROP_PSK);
  let nextSpi = 0x1000 + Math.floor(Math.random() * 0xffff0000);
  const deps: IkeSessionDeps = {
    backend,
    psk: { getPsk: () => psk },
    allocateSpi: () => nextSpi++,
    ...depsOver,
  };
  if (initiator) {
    const started = IkeSession.initiate(config, deps, Date.now());
    session = started.session;
    handle(started.output);
  }

  return {
    get session() {
      return session;
    },
    events,
    transport,
    childUp,
    ping(sequence, timeoutMs, inner) {
      if (espOut === undefined || child === undefined) return Promise.reject(new Error("no Child SA"));
      const packet = icmpEcho(sequence, utf8(`ike-ts ping ${sequence}`), inner);
      const wire = new Uint8Array(espOut.maxOutputLength(packet.length));
      const len = espOut.protect(packet, 0, packet.length, wire, 0);
      if (typeof len !== "number") return Promise.reject(new Error(`protect: ${len}`));
      const reply = new Promise<Uint8Array>((res, rej) => {
        const t = setTimeout(() => rej(new Error("no echo reply")), timeoutMs);
        replies.push((p) => {
          clearTimeout(t);
          res(p);
        });
      });
      transport.sendEsp(wire.subarray(0, len), { address: child.remoteAddress, port: Number(env.NATT_PORT) });
      return reply;
    },
    close(timeoutMs) {
      const down = new Promise<void>((res, rej) => {
        const t = setTimeout(() => rej(new Error("no ike-sa-down after delete")), timeoutMs);
        downWaiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
      handle(session!.close(Date.now()));
      return down;
    },
    async dispose() {
      if (timer !== undefined) clearTimeout(timer);
      espOut?.destroy();
      for (const sa of espIns.values()) sa.destroy();
      await transport.close();
    },
  };
}

/** The Child SA's ESP options without the UDP header: the transport's socket supplies it. */
function withoutUdpHeader(o: EspSaOptions): EspSaOptions {
  const { udpEncapsulation: _, ...rest } = o;
  return rest;
}

/** An ICMP echo request 198.19.0.1 -> 198.19.0.2 (or `inner`'s addresses) with correct checksums. */
export function icmpEcho(sequence: number, data: Uint8Array, inner: InnerAddresses = {}): Uint8Array {
  const p = new Uint8Array(28 + data.length);
  p.set([0x45, 0, p.length >>> 8, p.length & 0xff, 0, sequence & 0xff, 0x40, 0, 64, 1, 0, 0]);
  p.set(inner.source ?? INNER_LOCAL, 12);
  p.set(inner.destination ?? INNER_REMOTE, 16);
  const ip = finishChecksum(checksumAdd(p, 0, 20, 0));
  p[10] = ip >>> 8;
  p[11] = ip & 0xff;
  p.set([8, 0, 0, 0, 0x4e, 0x53, sequence >>> 8, sequence & 0xff], 20);
  p.set(data, 28);
  const icmp = finishChecksum(checksumAdd(p, 20, p.length, 0));
  p[22] = icmp >>> 8;
  p[23] = icmp & 0xff;
  return p;
}

/** The IKE SA labels both roles' charon logs carry (`peer.sh keys`). */
const IKE_KEY_LABELS = ["SKEYSEED", "Sk_ei secret", "Sk_er secret", "Sk_pi secret", "Sk_pr secret"];

/**
 * ike-ts's IKE SA keys and its first Child SA's encryption keys equal what charon logged for
 * peer `name`, byte for byte (SK_d too when charon logged it). RFC 7296 §2.17: the initiator's
 * outbound key comes first in KEYMAT.
 */
export async function expectCharonKeys(name: string, session: IkeSession, child: ChildSaInfo): Promise<void> {
  const keys = await peerKeys(name);
  const ike = Object.values(keys.ike_sas)[0]!;
  const ours = session.ikeKeys()!.keys.strongSwanLog();
  const labels = ike.keys["Sk_d secret"] === undefined ? IKE_KEY_LABELS : [...IKE_KEY_LABELS, "Sk_d secret"];
  for (const label of labels) {
    expect(ike.keys[label], `charon logged ${label}`).toMatch(/^[0-9a-f]{32,}$/);
    expect(ours[label], label).toBe(ike.keys[label]);
  }
  const [out, inb] = session.role === "initiator" ? ["initiator", "responder"] : ["responder", "initiator"];
  const charonChild = keys.child_sas[0]!;
  expect(toHex(child.outbound.encryptionKey!)).toBe(charonChild.keys[`encryption ${out} key`]);
  expect(toHex(child.inbound.encryptionKey!)).toBe(charonChild.keys[`encryption ${inb} key`]);
}
