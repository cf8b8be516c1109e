/**
 * `npm run demo`: two ike-ts endpoints on loopback UDP.
 *
 * "alice" initiates an IKEv2 SA to "bob" (IKE_SA_INIT, IKE_AUTH with a pre-shared key, one Child
 * SA for 198.19.0.1 <-> 198.19.0.2), pings through ESP-in-UDP, rekeys the Child SA and the IKE SA
 * with traffic after each, and deletes the IKE SA, printing every exchange and a session table.
 * Ports are ephemeral, so it needs no privileges; it takes well under a second of work.
 */
import type { IkeEndpointEvent, IkeSession, IkeSessionConfig } from "../src/ikev2/index.js";
import type { EspSa } from "../src/node/index.js";
import { UdpIkeEndpoint } from "../src/node/index.js";
import type { SadEntry } from "../src/sad/index.js";
import { toHex } from "../src/wire/index.js";

const LOOPBACK = "127.0.0.1";
const PSK = new TextEncoder().encode("ike-ts demo pre-shared key");
const ALICE_INNER = [198, 19, 0, 1];
const BOB_INNER = [198, 19, 0, 2];

/** Prints one line of an endpoint's log: exchanges sent and state changes. */
function logger(name: string) {
  const print = (m: string) => console.log(`  ${name.padEnd(5)} ${m}`);
  return { debug: (m: string) => m.startsWith("sending") && print(m), info: print, warn: print };
}

/** An ICMP echo (type 8) or echo reply (type 0) between the inner addresses, with checksums. */
function icmp(type: 0 | 8, from: number[], to: number[], sequence: number): Uint8Array {
  const data = new TextEncoder().encode(`ike-ts demo ping ${sequence}`);
  const p = new Uint8Array(28 + data.length);
  p.set([0x45, 0, 0, p.length, 0, sequence, 0x40, 0, 64, 1, 0, 0, ...from, ...to]);
  p.set([type, 0, 0, 0, 0x49, 0x4b, 0, sequence], 20);
  p.set(data, 28);
  const checksum = (start: number, end: number, at: number) => {
    let s = 0;
    for (let i = start; i < end; i += 2) s += (p[i]! << 8) | (p[i + 1] ?? 0);
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    p[at] = (~s >>> 8) & 0xff;
    p[at + 1] = ~s & 0xff;
  };
  checksum(0, 20, 10);
  checksum(20, p.length, 22);
  return p;
}

/** Resolves when `predicate` holds, checking after every event; rejects after 5 s. */
function waiter() {
  const pending: { check: () => boolean; resolve: () => void }[] = [];
  const poke = () => {
    for (const w of [...pending]) {
      if (w.check()) {
        pending.splice(pending.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const until = (what: string, check: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      if (check()) return resolve();
      const timer = setTimeout(() => reject(new Error(`demo: timed out waiting for ${what}`)), 5000);
      pending.push({
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  return { poke, until };
}

function table(name: string, endpoint: UdpIkeEndpoint): void {
  for (const s of endpoint.ike.sessions()) {
    const v = s.snapshot();
    const alg = v.algorithms;
    console.log(
      `  ${name.padEnd(5)} IKE SA ${v.spiI}_${v.spiR} ${v.role} ${v.state} peer ${v.remote.address}:${v.remote.port}` +
        (alg === undefined ? "" : ` ${alg.encryption}-${alg.keyBits} ${alg.prf} ${alg.keGroup}`),
    );
  }
  for (const e of endpoint.sad.entries()) {
    const c = e.sa.counters;
    const packets = e.direction === "inbound" ? c.packetsDecapsulated : c.packetsEncapsulated;
    console.log(
      `  ${name.padEnd(5)}   ESP ${e.direction.padEnd(8)} spi 0x${e.spi.toString(16).padStart(8, "0")} ` +
        `${e.local} <-> ${e.peer} packets ${packets}${e.replacedBy === null ? "" : " (replaced)"}`,
    );
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const wait = waiter();
  const events: { who: string; e: IkeEndpointEvent }[] = [];
  const replies: number[] = [];
  const onEvent = (who: string) => (e: IkeEndpointEvent) => {
    events.push({ who, e });
    const ev = e.event;
    const what =
      ev.type === "child-sa-up" || ev.type === "child-sa-rekeyed"
        ? `${ev.type} in 0x${ev.child.inbound.spi.toString(16)} out 0x${ev.child.outbound.spi.toString(16)}`
        : ev.type === "ike-sa-rekeyed"
          ? `${ev.type} now ${toHex(ev.spiI)}_${toHex(ev.spiR)}`
          : ev.type === "child-sa-down"
            ? `${ev.type} 0x${ev.inboundSpi.toString(16)} (${ev.reason})`
            : ev.type === "ike-sa-down"
              ? `${ev.type} (${ev.reason})`
              : ev.type;
    console.log(`  ${who.padEnd(5)} event: ${what}`);
    wait.poke();
  };
  const common = {
    ikeProposals: ["aes256gcm16-prfsha256-x25519"],
    espProposals: ["aes256gcm16"],
    localAddress: LOOPBACK,
  };
  const udp = { ipv4: LOOPBACK, ikePort: 0, natTPort: 0 } as const;
  const psk = { getPsk: () => PSK.slice() };

  const bob: UdpIkeEndpoint = await UdpIkeEndpoint.open({
    psk,
    udp,
    logger: logger("bob"),
    cookieThreshold: 10,
    responder: (): IkeSessionConfig => ({
      ...common,
      localId: { type: "fqdn", value: "bob.ike-ts.test" },
      localTs: ["198.19.0.2/32"],
      remoteTs: ["198.19.0.0/24"],
    }),
    onEvent: onEvent("bob"),
    // Bob answers each echo request through its own ESP SA.
    onPacket: (packet: Uint8Array, _sa: SadEntry<EspSa>) => {
      if (packet[20] === 8) bob.send(icmp(0, BOB_INNER, ALICE_INNER, packet[27]!));
    },
  });
  const alice = await UdpIkeEndpoint.open({
    psk,
    udp,
    logger: logger("alice"),
    onEvent: onEvent("alice"),
    onPacket: (packet) => {
      if (packet[20] === 0) {
        replies.push(packet[27]!);
        console.log(`  alice received echo reply ${packet[27]} through ESP`);
        wait.poke();
      }
    },
  });
  const bobPorts = bob.ports.IPv4!;

  console.log(`\n== IKE_SA_INIT and IKE_AUTH: alice -> bob (${LOOPBACK}:${bobPorts.ike})`);
  const session: IkeSession = alice.initiate({
    ...common,
    localId: { type: "fqdn", value: "alice.ike-ts.test" },
    remoteId: { type: "fqdn", value: "bob.ike-ts.test" },
    remote: { address: LOOPBACK, port: bobPorts.ike },
    remoteNattPort: bobPorts.natT,
    // Node can send ESP only in UDP (RFC 3948), so ask for encapsulation without a NAT.
    forceEncapsulation: true,
    localTs: ["198.19.0.1/32"],
    remoteTs: ["198.19.0.2/32"],
  });
  const count = (who: string, type: string) =>
    events.filter((x) => x.who === who && x.e.event.type === type).length;
  await wait.until(
    "both Child SAs",
    () => count("alice", "child-sa-up") === 1 && count("bob", "child-sa-up") === 1,
  );

  const ping = async (sequence: number) => {
    const result = alice.send(icmp(8, ALICE_INNER, BOB_INNER, sequence));
    console.log(`  alice sent echo request ${sequence}: ${result}`);
    await wait.until(`echo reply ${sequence}`, () => replies.includes(sequence));
  };
  console.log("\n== traffic through ESP");
  await ping(1);
  await ping(2);
  console.log("\n== session table");
  table("alice", alice);
  table("bob", bob);

  console.log("\n== CREATE_CHILD_SA: alice rekeys the Child SA");
  const childSpi = alice.sad.entries().find((e) => e.direction === "inbound")!.spi;
  alice.run(session, (s, now) => s.rekeyChild(childSpi, now));
  await wait.until("the old Child SA's delete", () => count("bob", "child-sa-down") === 1);
  await ping(3);

  console.log("\n== CREATE_CHILD_SA: alice rekeys the IKE SA");
  alice.run(session, (s, now) => s.rekeyIke(now));
  await wait.until(
    "the IKE SA rekey",
    () => count("alice", "ike-sa-rekeyed") === 1 && count("bob", "ike-sa-rekeyed") === 1,
  );
  await ping(4);
  console.log("\n== session table");
  table("alice", alice);
  table("bob", bob);

  console.log("\n== INFORMATIONAL: alice deletes the IKE SA");
  await alice.close();
  await wait.until("bob's IKE SA to go", () => count("bob", "ike-sa-down") === 1);
  await bob.close();
  console.log(
    `\nalice: ${alice.ike.sessions().length} IKE SAs, ${alice.sad.size} ESP SAs; bob: ${bob.ike.sessions().length} IKE SAs, ${bob.sad.size} ESP SAs`,
  );
  console.log(`done in ${Math.round(performance.now() - started)} ms`);
}

await main();
