/**
 * The interop harness end to end, with a real strongSwan charon (example a-ikev2-psk-gcm) in its
 * own namespace: an IKE_SA_INIT request built with ike-ts's codecs goes out through the Node UDP
 * transport, and charon's answer decodes with ike-ts's decoder. Proves the transport, the codecs
 * and the harness (peer.ts) together. Needs root and `../shared/interop/install.sh`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import { ProtocolId, TransformType } from "../../src/crypto/registry.js";
import { ExchangeType, NotifyType, TransformAttributeType } from "../../src/ikev2/constants.js";
import { decodeMessage, encodeMessage, type IkeMessage } from "../../src/ikev2/message.js";
import type { NotifyPayload } from "../../src/ikev2/payloads/notify.js";
import type { Transform } from "../../src/ikev2/payloads/sa.js";
import { UdpTransport } from "../../src/node/udp-transport.js";
import type { UdpPeer, UdpSource } from "../../src/node/udp-types.js";
import { concat, toHex } from "../../src/wire/bytes.js";
import {
  listSas,
  type PeerEnv,
  parseListSas,
  peerKeys,
  peerLog,
  startPeer,
  stopPeer,
  swanctl,
} from "./peer.js";

const NAME = "harness";
const INDEX = 31;
/** IANA: ENCR_AES_GCM_16 (RFC 5282), PRF_HMAC_SHA2_256 (RFC 4868), Curve25519 (RFC 8031). */
const ENCR_AES_GCM_16 = 20;
const PRF_HMAC_SHA2_256 = 5;
const X25519 = 31;
/** The proposal as charon names it in --list-sas. */
const CHARON_ALGORITHMS = "AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519";
/** Our one IKE proposal: ENCR_AES_GCM_16 with a 256-bit key, PRF_HMAC_SHA2_256, x25519. */
const PROPOSAL = [
  {
    transformType: TransformType.ENCR,
    id: ENCR_AES_GCM_16,
    attributes: [{ format: "tv", attrType: TransformAttributeType.KEY_LENGTH, value: 256 }],
  },
  { transformType: TransformType.PRF, id: PRF_HMAC_SHA2_256, attributes: [] },
  { transformType: TransformType.KE, id: X25519, attributes: [] },
] as const satisfies readonly Transform[];
/** How long to wait for charon's answer before failing with its log (it answers in milliseconds). */
const RESPONSE_WAIT_MS = 10_000;

let env: PeerEnv | undefined;
let transport: UdpTransport | undefined;
const transportErrors: Error[] = [];
/** Who waits for the response to which IKE SPIi (hex). */
const waiting = new Map<string, (r: Received) => void>();

interface Received {
  readonly data: Uint8Array;
  readonly from: UdpSource;
}

afterAll(async () => {
  await transport?.close();
  await stopPeer(NAME);
});

/** The encoded IKE_SA_INIT request (RFC 7296 §1.2) with a fresh SPI, nonce and x25519 KE. */
function ikeSaInitRequest() {
  const spiI = nobleBackend.randomBytes(8);
  const kex = nobleBackend.keyExchange(X25519);
  // Arbitrary NAT-D hashes: charon then sees a NAT on both sides.
  const natHashes = { source: nobleBackend.randomBytes(20), destination: nobleBackend.randomBytes(20) };
  const notify = (notifyType: number, data: Uint8Array): NotifyPayload => ({
    type: "N",
    protocolId: 0,
    spi: new Uint8Array(0),
    notifyType,
    data,
  });
  const message: IkeMessage = {
    header: {
      spiI,
      spiR: new Uint8Array(8),
      minorVersion: 0,
      exchangeType: ExchangeType.IKE_SA_INIT,
      initiator: true,
      response: false,
      higherVersion: false,
      messageId: 0,
    },
    payloads: [
      {
        type: "SA",
        proposals: [{ number: 1, protocolId: ProtocolId.IKE, spi: new Uint8Array(0), transforms: PROPOSAL }],
      },
      { type: "KE", group: X25519, data: kex.publicKey },
      { type: "Nonce", data: nobleBackend.randomBytes(32) },
      notify(NotifyType.NAT_DETECTION_SOURCE_IP, natHashes.source),
      notify(NotifyType.NAT_DETECTION_DESTINATION_IP, natHashes.destination),
    ],
  };
  const bytes = encodeMessage(message);
  kex.destroy();
  return { spiI, natHashes, bytes };
}

/** RFC 7296 §2.23: SHA-1(SPIi | SPIr | IPv4 address | port). */
function natDetectionHash(spiI: Uint8Array, spiR: Uint8Array, address: string, port: number): Uint8Array {
  const ip = Uint8Array.from(address.split(".").map(Number));
  return nobleBackend.hash("sha1", concat(spiI, spiR, ip, Uint8Array.of(port >> 8, port & 0xff)));
}

/** Sends a fresh IKE_SA_INIT to `to` and waits for the response; fails with charon's log. */
async function initExchange(to: UdpPeer) {
  const request = ikeSaInitRequest();
  const key = toHex(request.spiI);
  let timer: NodeJS.Timeout | undefined;
  const received = new Promise<Received>((resolve, reject) => {
    waiting.set(key, resolve);
    timer = setTimeout(() => {
      peerLog(NAME)
        .catch(String)
        .then((log) => reject(new Error(`no IKE_SA_INIT response from ${to.address}; charon log:\n${log}`)));
    }, RESPONSE_WAIT_MS);
  });
  transport!.sendIke(request.bytes, to);
  try {
    const { data, from } = await received;
    return { request, response: decodeMessage(data), from };
  } finally {
    clearTimeout(timer);
    waiting.delete(key);
  }
}

describe("strongSwan peer harness (a-ikev2-psk-gcm)", () => {
  beforeAll(async () => {
    env = await startPeer(NAME, "a-ikev2-psk-gcm", { index: INDEX });
    transport = await UdpTransport.open({
      ipv4: env.HOST4,
      ipv6: env.HOST6,
      ikePort: 0,
      natTPort: 0,
      onIke: (data, from) => waiting.get(toHex(data.subarray(0, 8)))?.({ data, from }),
      onError: (err) => transportErrors.push(err),
    });
  });

  it("starts charon in its namespace and reports the addresses", () => {
    expect(env).toMatchObject({
      PEER4: `198.18.${INDEX}.2`,
      HOST4: `198.18.${INDEX}.1`,
      PEER6: `fd69:6b65:69:${INDEX}::2`,
      HOST6: `fd69:6b65:69:${INDEX}::1`,
      IKE_PORT: "500",
      NATT_PORT: "4500",
    });
    expect(env!.INNER.split(" ")).toContain("198.19.0.2/32");
  });

  it("loads the ikev2-psk-gcm connection", async () => {
    expect(await swanctl(NAME, "--list-conns")).toMatch(/^ikev2-psk-gcm: IKEv2/m);
    expect(await listSas(NAME)).toEqual([]);
  });

  it("answers an ike-ts IKE_SA_INIT sent through the UDP transport, faking a NAT", async () => {
    const e = env!;
    const localPort = transport!.ports.IPv4!.ike;
    const { request, response, from } = await initExchange({ address: e.PEER4, port: Number(e.IKE_PORT) });
    expect(from).toEqual({ address: e.PEER4, port: 500, family: "IPv4" });
    expect(response.header).toMatchObject({
      spiI: request.spiI,
      exchangeType: ExchangeType.IKE_SA_INIT,
      initiator: false,
      response: true,
      messageId: 0,
    });
    const spiR = response.header.spiR;
    expect(spiR).not.toEqual(new Uint8Array(8));

    // SA: our one proposal, chosen as is; KE: 32 octets of x25519; Nonce: RFC 7296 §2.10 sizes.
    const sa = response.payloads.find((p) => p.type === "SA");
    expect(sa?.proposals).toEqual([
      { number: 1, protocolId: ProtocolId.IKE, spi: new Uint8Array(0), transforms: PROPOSAL },
    ]);
    const ke = response.payloads.find((p) => p.type === "KE");
    expect(ke?.group).toBe(X25519);
    expect(ke?.data.length).toBe(32);
    const nonce = response.payloads.find((p) => p.type === "Nonce");
    expect(nonce?.data.length).toBeGreaterThanOrEqual(16);
    expect(nonce?.data.length).toBeLessThanOrEqual(256);

    // NAT detection (RFC 7296 §2.23, hashed with the responder's SPI): the destination hash names
    // us, the source hash is for a random address, which forces UDP encapsulation (README).
    const notifies = response.payloads.filter((p) => p.type === "N");
    const natSource = notifies.find((n) => n.notifyType === NotifyType.NAT_DETECTION_SOURCE_IP);
    const natDestination = notifies.find((n) => n.notifyType === NotifyType.NAT_DETECTION_DESTINATION_IP);
    expect(natDestination?.data).toEqual(natDetectionHash(request.spiI, spiR, e.HOST4, localPort));
    expect(natSource?.data.length).toBe(20);
    expect(natSource?.data).not.toEqual(natDetectionHash(request.spiI, spiR, e.PEER4, 500));

    // charon keeps a half-open IKE_SA for our SPI with the proposal and our address.
    const sa0 = (await listSas(NAME)).find((s) => s.spiI === toHex(request.spiI));
    expect(sa0).toMatchObject({
      state: "CONNECTING",
      version: "IKEv2",
      spiR: toHex(spiR),
      charonIsInitiator: false,
      algorithms: CHARON_ALGORITHMS,
      remote: { address: e.HOST4, port: localPort },
      local: { address: e.PEER4, port: 500 },
      children: [],
    });
    // charon's log: it read our (random) NAT-D hashes byte for byte, and the hash it expected for
    // its own end is ours for the request (SPIr still zero).
    const logged = (await peerKeys(NAME)).ike_sas[String(sa0!.uniqueId)];
    expect(logged).toMatchObject({ spi_i: toHex(request.spiI), spi_r: toHex(spiR), algs: CHARON_ALGORITHMS });
    expect(logged?.keys).toMatchObject({
      "received src_hash": toHex(request.natHashes.source),
      "received dst_hash": toHex(request.natHashes.destination),
      "precalculated dst_hash": toHex(natDetectionHash(request.spiI, new Uint8Array(8), e.PEER4, 500)),
    });
    expect(transportErrors).toEqual([]);
  });

  it("answers over IPv6 too", async () => {
    const e = env!;
    const { request, response, from } = await initExchange({ address: e.PEER6, port: Number(e.IKE_PORT) });
    expect(from).toEqual({ address: e.PEER6, port: 500, family: "IPv6" });
    expect(response.header).toMatchObject({ spiI: request.spiI, response: true });
    expect(response.payloads.map((p) => (p.type === "N" ? p.notifyType : p.type))).toEqual(
      expect.arrayContaining([
        "SA",
        "KE",
        "Nonce",
        NotifyType.NAT_DETECTION_SOURCE_IP,
        NotifyType.NAT_DETECTION_DESTINATION_IP,
      ]),
    );
    const sa = (await listSas(NAME)).find((s) => s.spiI === toHex(request.spiI));
    expect(sa?.remote).toMatchObject({ address: e.HOST6, port: transport!.ports.IPv6!.ike });
    expect(transport!.counters).toMatchObject({ ikeReceived: 2, malformedDropped: 0, errors: 0 });
  });
});

describe("parseListSas", () => {
  // swanctl --list-sas of the responder after selftest case a (charon to charon, 5 pings).
  const SAMPLE = [
    "ikev2-psk-gcm: #1, ESTABLISHED, IKEv2, 1106f85afc765d3c_i da0013b9c26bd5ba_r*",
    "  local  'responder.ikei.test' @ 198.18.250.2[4500]",
    "  remote 'initiator.ikei.test' @ 198.18.250.1[4500]",
    "  AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519",
    "  established 2s ago, rekeying in 13300s",
    "  net: #1, reqid 1, INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-256",
    "    installed 2s ago, rekeying in 3243s, expires in 3958s",
    "    in  f5d49d72,    336 bytes,     5 packets,     1s ago",
    "    out 96833c25,    336 bytes,     5 packets,     1s ago",
    "    local  198.19.0.2/32",
    "    remote 198.19.0.1/32",
    "(unnamed): #2, CONNECTING, IKEv2, 4642ae643909b925_i 7253f1e12d9be8b2_r*",
    "  local  '%any' @ 198.18.31.2[500]",
    "  remote '%any' @ 198.18.31.1[35194]",
    "  AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
    "  passive: IKE_INIT IKE_CERT_PRE IKE_AUTH",
    "",
  ].join("\n");

  it("parses IKE_SAs, their ends, algorithms, CHILD_SAs and counters", () => {
    expect(parseListSas(SAMPLE)).toEqual([
      {
        name: "ikev2-psk-gcm",
        uniqueId: 1,
        state: "ESTABLISHED",
        version: "IKEv2",
        spiI: "1106f85afc765d3c",
        spiR: "da0013b9c26bd5ba",
        charonIsInitiator: false,
        local: { id: "responder.ikei.test", address: "198.18.250.2", port: 4500 },
        remote: { id: "initiator.ikei.test", address: "198.18.250.1", port: 4500 },
        algorithms: "AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519",
        children: [
          {
            name: "net",
            uniqueId: 1,
            reqid: 1,
            state: "INSTALLED",
            mode: "TUNNEL-in-UDP",
            protocol: "ESP",
            algorithms: "AES_GCM_16-256",
            in: { spi: "f5d49d72", bytes: 336, packets: 5 },
            out: { spi: "96833c25", bytes: 336, packets: 5 },
            localTs: ["198.19.0.2/32"],
            remoteTs: ["198.19.0.1/32"],
          },
        ],
      },
      {
        name: "(unnamed)",
        uniqueId: 2,
        state: "CONNECTING",
        version: "IKEv2",
        spiI: "4642ae643909b925",
        spiR: "7253f1e12d9be8b2",
        charonIsInitiator: false,
        local: { id: "%any", address: "198.18.31.2", port: 500 },
        remote: { id: "%any", address: "198.18.31.1", port: 35194 },
        algorithms: "AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
        children: [],
      },
    ]);
  });

  it("marks charon as initiator when the * is on SPIi", () => {
    const [sa] = parseListSas(
      "ikev2-psk-gcm: #3, CONNECTING, IKEv2, 0102030405060708_i* 0000000000000000_r\n",
    );
    expect(sa?.charonIsInitiator).toBe(true);
  });
});
