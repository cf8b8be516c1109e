/**
 * The configuration payload in IKE_AUTH (RFC 7296 §2.19, §3.15) between two in-process sessions:
 * virtual IPv4 and IPv6 addresses and DNS servers from the responder's {@link AddressPool}, TSi
 * narrowed to the assigned address, INTERNAL_ADDRESS_FAILURE when the pool is empty or absent,
 * FAILED_CP_REQUIRED, addresses going back to the pool with the IKE SA, and hostile CPs.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeInnerPayloads, encodeInnerPayloads, type Payload } from "../../../src/ikev2/chain.js";
import { CfgType, ConfigAttributeType, ExchangeType } from "../../../src/ikev2/constants.js";
import type { CpPayload } from "../../../src/ikev2/payloads/cp.js";
import type { TrafficSelector, TsPayload } from "../../../src/ikev2/payloads/ts.js";
import { AddressPool } from "../../../src/ikev2/session/address-pool.js";
import type {
  ChildSaInfo,
  IkeEvent,
  IkeSessionConfig,
  IkeSessionDeps,
} from "../../../src/ikev2/session/types.js";
import { SkProtection } from "../../../src/ikev2/sk-protect.js";
import { nodeBackend } from "../../../src/node/backend.js";
import { toHex } from "../../../src/wire/bytes.js";
import { deps, events, type Flight, Harness, I_ID, initiatorConfig, responderConfig } from "./harness.js";

const backend = nodeBackend;
const DNS = ["198.18.0.53", "2001:db8::53", "198.18.0.54"];

function vipClient(over: Partial<IkeSessionConfig> = {}): IkeSessionConfig {
  return initiatorConfig({ localTs: [], configRequest: { ipv4: true, dns: true }, ...over });
}

function vipServer(over: Partial<IkeSessionConfig> = {}): IkeSessionConfig {
  return responderConfig({ configReply: { dns: DNS }, ...over });
}

function withPool(pool: AddressPool | undefined): IkeSessionDeps {
  return { ...deps(backend), ...(pool === undefined ? {} : { addressPool: pool }) };
}

/** A virtual-IP client and server with `pool`, through IKE_AUTH. */
function vipPair(pool: AddressPool): Harness {
  return new Harness({
    backend,
    initiator: vipClient(),
    responder: vipServer(),
    responderDeps: withPool(pool),
  })
    .start()
    .run();
}

function children(list: readonly IkeEvent[]): ChildSaInfo[] {
  return list.flatMap((e) => (e.type === "child-sa-up" ? [e.child] : []));
}

function range(s: TrafficSelector): string {
  return `${toHex(s.startAddress)}-${toHex(s.endAddress)}`;
}

function hostSelector(octets: number[]): string {
  const h = toHex(Uint8Array.from(octets));
  return `${h}-${h}`;
}

/** Opens a protected IKE_AUTH message with `side`'s keys. */
function open(h: Harness, side: "initiator" | "responder", data: Uint8Array): Payload[] {
  const session = side === "initiator" ? h.initiator : h.responder!;
  const { suite, keys } = session.ikeKeys()!;
  const sk = new SkProtection({ ...suite, backend, keys, role: side });
  const opened = sk.unprotect(data);
  sk.destroy();
  if (!opened.ok) throw new Error("cannot open");
  return decodeInnerPayloads(opened.plaintext, opened.firstPayload);
}

function withData(f: Flight, data: Uint8Array): Flight {
  return { ...f, datagram: { ...f.datagram, data } };
}

/** After IKE_SA_INIT: the initiator's IKE_AUTH request, off the wire, and its inner payloads. */
function authRequest(h: Harness): { request: Flight; inner: Payload[] } {
  h.start();
  h.step();
  h.step();
  const request = h.step(() => null)!;
  return { request, inner: open(h, "responder", request.datagram.data) };
}

/** The responder's IKE_AUTH answer, off the wire, and its inner payloads. */
function authResponse(h: Harness): Payload[] {
  const { request } = authRequest(h);
  h.deliver(request);
  const answer = h.step(() => null)!;
  return open(h, "initiator", answer.datagram.data);
}

function cpOf(inner: readonly Payload[]): CpPayload | undefined {
  return inner.find((p): p is CpPayload => p.type === "CP");
}

function replaceCp(inner: readonly Payload[], cp: CpPayload | undefined): Payload[] {
  const at = inner.findIndex((p) => p.type === "CP");
  const rest: Payload[] = inner.filter((p) => p.type !== "CP");
  if (cp === undefined) return rest;
  rest.splice(at < 0 ? 2 : at, 0, cp);
  return rest;
}

function reply(attributes: [number, number[]][], cfgType: number = CfgType.CFG_REPLY): CpPayload {
  return {
    type: "CP",
    cfgType,
    attributes: attributes.map(([attrType, v]) => ({ attrType, value: Uint8Array.from(v) })),
  };
}

function downReasons(list: readonly IkeEvent[]): string[] {
  return list.flatMap((e) => (e.type === "ike-sa-down" ? [e.reason] : []));
}

function errors(list: readonly IkeEvent[]): string[] {
  return list.flatMap((e) => (e.type === "error" ? [e.notifyName] : []));
}

describe("virtual IP and DNS between two ike-ts sessions (RFC 7296 §2.19)", () => {
  it("IPv4: the request asks with empty attributes and TSi 0.0.0.0/0; TSi is narrowed to the address", () => {
    const pool = new AddressPool(["198.19.0.128/25"]);
    const h = new Harness({
      backend,
      initiator: vipClient(),
      responder: vipServer(),
      responderDeps: withPool(pool),
    });
    const { request, inner } = authRequest(h);
    const cp = cpOf(inner)!;
    expect(cp.cfgType).toBe(CfgType.CFG_REQUEST);
    expect(cp.attributes.map((a) => [a.attrType, a.value.length])).toEqual([
      [ConfigAttributeType.INTERNAL_IP4_ADDRESS, 0],
      [ConfigAttributeType.INTERNAL_IP4_DNS, 0],
    ]);
    const tsi = inner.find((p): p is TsPayload => p.type === "TSi")!;
    expect(tsi.selectors.map(range)).toEqual(["00000000-ffffffff"]);
    h.deliver(request);
    h.run();
    expect(h.initiator.state).toBe("established");
    const up = events(h.iEvents, "ike-sa-up")[0];
    expect(up?.type === "ike-sa-up" && up.snapshot.virtualIps).toEqual(["198.19.0.129"]);
    expect(up?.type === "ike-sa-up" && up.snapshot.dns).toEqual(["198.18.0.53", "198.18.0.54"]);
    expect(h.responder!.snapshot().virtualIps).toEqual(["198.19.0.129"]);
    expect(h.responder!.snapshot().dns).toEqual(["198.18.0.53", "198.18.0.54"]);
    const [ci] = children(h.iEvents);
    const [cr] = children(h.rEvents);
    expect(ci!.localTs.map(range)).toEqual([hostSelector([198, 19, 0, 129])]);
    expect(cr!.remoteTs.map(range)).toEqual([hostSelector([198, 19, 0, 129])]);
    expect(ci!.outbound.spi).toBe(cr!.inbound.spi);
    expect(pool.inUse).toBe(1);
  });

  it("IPv6: INTERNAL_IP6_ADDRESS and INTERNAL_IP6_DNS; TSi ::/0 narrowed to the /128", () => {
    const pool = new AddressPool(["fd00:1::/112"]);
    const h = new Harness({
      backend,
      initiator: vipClient({ configRequest: { ipv6: true, dns: true }, remoteTs: ["fd00:2::/64"] }),
      responder: vipServer({ localTs: ["fd00:2::/64"], remoteTs: ["::/0"] }),
      responderDeps: withPool(pool),
    });
    const { request, inner } = authRequest(h);
    expect(cpOf(inner)!.attributes.map((a) => a.attrType)).toEqual([
      ConfigAttributeType.INTERNAL_IP6_ADDRESS,
      ConfigAttributeType.INTERNAL_IP6_DNS,
    ]);
    h.deliver(request);
    h.run();
    expect(h.initiator.snapshot().virtualIps).toEqual(["fd00:1::1"]);
    expect(h.initiator.snapshot().dns).toEqual(["2001:db8::53"]);
    const [ci] = children(h.iEvents);
    const v6 = [0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    expect(ci!.localTs.map(range)).toEqual([hostSelector(v6)]);
  });

  it("both families at once, and a requested address when it is free", () => {
    const pool = new AddressPool(["198.19.0.128/25", "fd00:1::/112"]);
    const h = new Harness({
      backend,
      initiator: vipClient({
        configRequest: { ipv4: "198.19.0.200", ipv6: true },
        remoteTs: ["198.19.0.2/32", "fd00:2::/64"],
      }),
      responder: vipServer({ localTs: ["198.19.0.2/32", "fd00:2::/64"], remoteTs: ["0.0.0.0/0", "::/0"] }),
      responderDeps: withPool(pool),
    }).start();
    h.run();
    expect(h.initiator.snapshot().virtualIps).toEqual(["198.19.0.200", "fd00:1::1"]);
    // DNS was not asked for.
    expect(h.initiator.snapshot().dns).toEqual([]);
    expect(children(h.iEvents)[0]!.localTs).toHaveLength(2);
    expect(pool.inUse).toBe(2);
  });

  it("DNS only: no address is asked for, TSi is the configured one", () => {
    const h = new Harness({
      backend,
      initiator: initiatorConfig({ configRequest: { dns: true } }),
      responder: vipServer(),
    }).start();
    h.run();
    expect(h.initiator.snapshot().virtualIps).toEqual([]);
    expect(h.initiator.snapshot().dns).toEqual(["198.18.0.53", "198.18.0.54"]);
    expect(children(h.iEvents)[0]!.localTs.map(range)).toEqual([hostSelector([198, 19, 0, 1])]);
  });
});

describe("address pool exhaustion and release", () => {
  it("an exhausted pool gets INTERNAL_ADDRESS_FAILURE; the initiator deletes the IKE SA by default", () => {
    const pool = new AddressPool(["198.19.0.10-198.19.0.10"]);
    const first = vipPair(pool);
    expect(first.initiator.snapshot().virtualIps).toEqual(["198.19.0.10"]);
    const second = new Harness({
      backend,
      initiator: vipClient(),
      responder: vipServer(),
      responderDeps: withPool(pool),
    }).start();
    second.run();
    expect(errors(second.iEvents)).toEqual(["INTERNAL_ADDRESS_FAILURE"]);
    expect(children(second.iEvents)).toHaveLength(0);
    expect(children(second.rEvents)).toHaveLength(0);
    // RFC 7296 §2.19: the IKE SA was up, then deleted with an INFORMATIONAL Delete.
    expect(events(second.iEvents, "ike-sa-up")).toHaveLength(1);
    expect(second.initiator.state).toBe("closed");
    expect(downReasons(second.rEvents)).toEqual(["deleted-by-peer"]);
    expect(pool.inUse).toBe(1);
  });

  it("required: false keeps the IKE SA up without a Child SA", () => {
    const pool = new AddressPool(["198.19.0.10-198.19.0.10"]);
    pool.acquire(I_ID, "ipv4", undefined);
    const h = new Harness({
      backend,
      initiator: vipClient({ configRequest: { ipv4: true, required: false } }),
      responder: vipServer(),
      responderDeps: withPool(pool),
    }).start();
    h.run();
    expect(h.initiator.state).toBe("established");
    expect(h.responder!.state).toBe("established");
    expect(h.initiator.snapshot().virtualIps).toEqual([]);
    expect(children(h.iEvents)).toHaveLength(0);
  });

  it("the address goes back to the pool when the IKE SA is deleted, by either end", () => {
    const pool = new AddressPool(["198.19.0.10-198.19.0.10"]);
    for (const closer of ["initiator", "responder"] as const) {
      const h = vipPair(pool);
      expect(h.initiator.snapshot().virtualIps).toEqual(["198.19.0.10"]);
      expect(pool.inUse).toBe(1);
      h.absorb((closer === "initiator" ? h.initiator : h.responder!).close(h.now), closer === "responder");
      h.run();
      expect(h.responder!.state).toBe("closed");
      expect(pool.inUse).toBe(0);
    }
  });

  it("the address outlives a rekey of the IKE SA (RFC 7296 §3.15.1) and is released after it", () => {
    const pool = new AddressPool(["198.19.0.10-198.19.0.10"]);
    const h = vipPair(pool);
    h.absorb(h.initiator.rekeyIke(h.now), false);
    h.run();
    expect(events(h.rEvents, "ike-sa-rekeyed")).toHaveLength(1);
    expect(pool.inUse).toBe(1);
    expect(h.responder!.snapshot().virtualIps).toEqual(["198.19.0.10"]);
    h.absorb(h.initiator.close(h.now), false);
    h.run();
    expect(pool.inUse).toBe(0);
  });

  it("a responder without a pool answers INTERNAL_ADDRESS_FAILURE and keeps the IKE SA", () => {
    const h = new Harness({
      backend,
      initiator: vipClient({ configRequest: { ipv4: true, required: false } }),
      responder: vipServer(),
    }).start();
    h.run();
    expect(errors(h.iEvents)).toEqual(["INTERNAL_ADDRESS_FAILURE"]);
    expect(h.responder!.state).toBe("established");
    expect(children(h.rEvents)).toHaveLength(0);
  });

  it("FAILED_CP_REQUIRED when policy requires a CFG_REQUEST and none came (RFC 7296 §3.10.1)", () => {
    const h = new Harness({
      backend,
      responder: responderConfig({ configReply: { required: true } }),
    }).start();
    h.run();
    expect(errors(h.iEvents)).toEqual(["FAILED_CP_REQUIRED"]);
    expect(h.initiator.state).toBe("established");
    expect(children(h.iEvents)).toHaveLength(0);
    expect(children(h.rEvents)).toHaveLength(0);
  });
});

describe("hostile CFG_REPLY (initiator)", () => {
  function setup(pool = new AddressPool(["198.19.0.128/25"])): { h: Harness; inner: Payload[] } {
    const h = new Harness({
      backend,
      initiator: vipClient(),
      responder: vipServer(),
      responderDeps: withPool(pool),
    });
    return { h, inner: authResponse(h) };
  }

  it("the unchanged answer assigns the address", () => {
    const { h, inner } = setup();
    h.inject("responder", h.craft("responder", ExchangeType.IKE_AUTH, 1, inner, true));
    expect(h.initiator.snapshot().virtualIps).toEqual(["198.19.0.129"]);
  });

  it.each([
    ["no CP", undefined],
    ["an empty CFG_REPLY", reply([])],
    ["a zero-length address", reply([[ConfigAttributeType.INTERNAL_IP4_ADDRESS, []]])],
    ["the unspecified address", reply([[ConfigAttributeType.INTERNAL_IP4_ADDRESS, [0, 0, 0, 0]]])],
    [
      "an IPv6 address we did not ask for",
      reply([[ConfigAttributeType.INTERNAL_IP6_ADDRESS, Array(17).fill(1)]]),
    ],
    [
      "CFG_SET instead of CFG_REPLY",
      reply([[ConfigAttributeType.INTERNAL_IP4_ADDRESS, [198, 19, 0, 129]]], CfgType.CFG_SET),
    ],
    [
      "only unknown attributes",
      reply([
        [0x7000, [1, 2, 3]],
        [ConfigAttributeType.APPLICATION_VERSION, [65]],
      ]),
    ],
  ])("%s: no address, so the IKE SA is deleted", (_, cp) => {
    const { h, inner } = setup();
    h.inject("responder", h.craft("responder", ExchangeType.IKE_AUTH, 1, replaceCp(inner, cp), true));
    expect(h.initiator.state).toBe("deleting");
    expect(h.initiator.snapshot().virtualIps).toEqual([]);
    expect(children(h.iEvents)).toHaveLength(0);
  });

  it("only the first address of a family is taken; unknown attributes and empty DNS are skipped", () => {
    const { h, inner } = setup();
    const cp = reply([
      [0x7000, [9, 9]],
      [ConfigAttributeType.INTERNAL_IP4_DNS, []],
      [ConfigAttributeType.INTERNAL_IP4_ADDRESS, [198, 19, 0, 129]],
      [ConfigAttributeType.INTERNAL_IP4_ADDRESS, [198, 19, 0, 130]],
      [ConfigAttributeType.INTERNAL_IP4_DNS, [198, 18, 0, 53]],
      [ConfigAttributeType.INTERNAL_IP4_DNS, [198, 18, 0, 53]],
      [ConfigAttributeType.INTERNAL_IP4_DNS, [0, 0, 0, 0]],
    ]);
    h.inject("responder", h.craft("responder", ExchangeType.IKE_AUTH, 1, replaceCp(inner, cp), true));
    expect(h.initiator.state).toBe("established");
    expect(h.initiator.snapshot().virtualIps).toEqual(["198.19.0.129"]);
    expect(h.initiator.snapshot().dns).toEqual(["198.18.0.53"]);
  });

  it("a TSi that does not include the assigned address refuses the Child SA", () => {
    const { h, inner } = setup();
    const cp = reply([[ConfigAttributeType.INTERNAL_IP4_ADDRESS, [198, 19, 0, 200]]]);
    h.inject("responder", h.craft("responder", ExchangeType.IKE_AUTH, 1, replaceCp(inner, cp), true));
    expect(h.initiator.state).toBe("established");
    expect(h.initiator.snapshot().virtualIps).toEqual(["198.19.0.200"]);
    expect(children(h.iEvents)).toHaveLength(0);
  });

  it("an attribute length §3.15.1 forbids makes the response malformed: the IKE SA ends, nothing throws", () => {
    for (const [at, length] of [
      [2, 3],
      [2, 0x7fff],
    ] as const) {
      const { h, inner } = setup();
      const cp = reply([[ConfigAttributeType.INTERNAL_IP4_ADDRESS, [198, 19, 0, 129]]]);
      const encoded = encodeInnerPayloads(replaceCp(inner, cp));
      const bytes = encoded.bytes.slice();
      const needle = "00010004c6130081";
      const offset = toHex(bytes).indexOf(needle) / 2;
      expect(offset).toBeGreaterThan(0);
      bytes[offset + at] = length >> 8;
      bytes[offset + at + 1] = length & 0xff;
      const { suite, keys } = h.responder!.ikeKeys()!;
      const sk = new SkProtection({ ...suite, backend, keys, role: "responder" });
      const message = sk.protect(
        {
          spiI: h.responder!.spiI,
          spiR: h.responder!.spiR,
          minorVersion: 0,
          exchangeType: ExchangeType.IKE_AUTH,
          initiator: false,
          response: true,
          higherVersion: false,
          messageId: 1,
        },
        { firstPayload: encoded.firstPayload, bytes },
      );
      sk.destroy();
      h.inject("responder", message);
      expect(h.initiator.state).toBe("closed");
      expect(downReasons(h.iEvents)).toEqual(["invalid-syntax"]);
    }
  });

  it("any well-formed CFG_REPLY: the initiator never throws and takes at most one address", () => {
    // Value lengths RFC 7296 §3.15.1 allows (the codec refuses others, tested above).
    const sized = (attrType: number, lengths: number[]) =>
      fc
        .constantFrom(...lengths)
        .chain((n) => fc.uint8Array({ minLength: n, maxLength: n }))
        .map((v): [number, number[]] => [attrType, [...v]]);
    const attr = fc.oneof(
      sized(ConfigAttributeType.INTERNAL_IP4_ADDRESS, [0, 4]),
      sized(ConfigAttributeType.INTERNAL_IP4_NETMASK, [0, 4]),
      sized(ConfigAttributeType.INTERNAL_IP4_DNS, [0, 4]),
      sized(ConfigAttributeType.INTERNAL_IP6_ADDRESS, [0, 17]),
      sized(ConfigAttributeType.INTERNAL_IP6_DNS, [0, 16]),
      sized(ConfigAttributeType.SUPPORTED_ATTRIBUTES, [0, 2, 6]),
      sized(0x4000, [0, 1, 9]),
    );
    fc.assert(
      fc.property(fc.array(attr, { maxLength: 8 }), fc.constantFrom(1, 2, 3, 4, 9), (attrs, cfgType) => {
        const { h, inner } = setup();
        const cp = reply(attrs, cfgType);
        h.inject("responder", h.craft("responder", ExchangeType.IKE_AUTH, 1, replaceCp(inner, cp), true));
        const { state, virtualIps } = h.initiator.snapshot();
        expect(["established", "deleting"]).toContain(state);
        expect(virtualIps.length).toBeLessThanOrEqual(1);
        // An address only from a CFG_REPLY, and then the Child SA's TSi is exactly it, or none.
        if (virtualIps.length === 1) {
          expect(cfgType).toBe(CfgType.CFG_REPLY);
          for (const c of children(h.iEvents)) expect(c.localTs).toHaveLength(1);
        } else {
          expect(state).toBe("deleting");
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe("hostile CFG_REQUEST (responder)", () => {
  function answer(cp: CpPayload): { h: Harness; pool: AddressPool; out: Payload[] } {
    const pool = new AddressPool(["198.19.0.128/25"]);
    const h = new Harness({
      backend,
      initiator: vipClient(),
      responder: vipServer(),
      responderDeps: withPool(pool),
    });
    const { request, inner } = authRequest(h);
    h.deliver(withData(request, h.craft("initiator", ExchangeType.IKE_AUTH, 1, replaceCp(inner, cp))));
    const response = h.step(() => null)!;
    return { h, pool, out: open(h, "initiator", response.datagram.data) };
  }

  it("several address requests get one address; a requested address outside the pool is not given", () => {
    const { pool, out } = answer(
      reply(
        [
          [ConfigAttributeType.INTERNAL_IP4_ADDRESS, [10, 0, 0, 1]],
          [ConfigAttributeType.INTERNAL_IP4_ADDRESS, []],
          [ConfigAttributeType.INTERNAL_IP4_ADDRESS, [198, 19, 0, 140]],
          [0x7000, [1]],
        ],
        CfgType.CFG_REQUEST,
      ),
    );
    expect(pool.inUse).toBe(1);
    const cp = cpOf(out)!;
    expect(cp.cfgType).toBe(CfgType.CFG_REPLY);
    expect(cp.attributes.map((a) => [a.attrType, toHex(a.value)])).toEqual([
      [ConfigAttributeType.INTERNAL_IP4_ADDRESS, "c6130081"],
    ]);
    const tsi = out.find((p): p is TsPayload => p.type === "TSi")!;
    expect(tsi.selectors.map(range)).toEqual([hostSelector([198, 19, 0, 129])]);
  });

  it("a requested free address in the pool is given", () => {
    const { out } = answer(
      reply([[ConfigAttributeType.INTERNAL_IP4_ADDRESS, [198, 19, 0, 140]]], CfgType.CFG_REQUEST),
    );
    expect(toHex(cpOf(out)!.attributes[0]!.value)).toBe("c613008c");
  });

  it("a CFG_SET in IKE_AUTH is ignored: no CP answer, no address, TSi narrowed by policy only", () => {
    const { pool, out } = answer(reply([[ConfigAttributeType.INTERNAL_IP4_ADDRESS, []]], CfgType.CFG_SET));
    expect(cpOf(out)).toBeUndefined();
    expect(pool.inUse).toBe(0);
    const tsi = out.find((p): p is TsPayload => p.type === "TSi")!;
    expect(tsi.selectors.map(range)).toEqual(["c6130000-c61300ff"]);
  });

  it("a CFG_REQUEST asking only unknown attributes gets an empty CFG_REPLY", () => {
    const { pool, out } = answer(reply([[0x7000, [1, 2]]], CfgType.CFG_REQUEST));
    expect(cpOf(out)).toMatchObject({ cfgType: CfgType.CFG_REPLY, attributes: [] });
    expect(pool.inUse).toBe(0);
  });
});

describe("AddressPool", () => {
  it("skips a prefix's network and broadcast addresses, hands out lowest first, and reuses released ones", () => {
    const pool = new AddressPool(["198.19.1.0/30"]);
    expect(pool.acquire(I_ID, "ipv4", undefined)).toBe("198.19.1.1");
    expect(pool.acquire(I_ID, "ipv4", undefined)).toBe("198.19.1.2");
    expect(pool.acquire(I_ID, "ipv4", undefined)).toBeUndefined();
    expect(pool.acquire(I_ID, "ipv6", undefined)).toBeUndefined();
    pool.release("198.19.1.1");
    pool.release("not an address");
    pool.release("10.0.0.1");
    expect(pool.inUse).toBe(1);
    expect(pool.acquire(I_ID, "ipv4", "198.19.1.2")).toBe("198.19.1.1");
  });

  it("takes /31, /32 and ranges whole, and both families", () => {
    const pool = new AddressPool(["10.0.0.0/31", "10.0.1.5-10.0.1.6", "fd00::/127"]);
    const got = Array.from({ length: 5 }, () => pool.acquire(I_ID, "ipv4", undefined));
    expect(got).toEqual(["10.0.0.0", "10.0.0.1", "10.0.1.5", "10.0.1.6", undefined]);
    expect(pool.acquire(I_ID, "ipv6", "fd00::1")).toBe("fd00::1");
    expect(pool.acquire(I_ID, "ipv6", "bogus")).toBe("fd00::");
  });

  it("refuses an empty list and text that is not a range", () => {
    expect(() => new AddressPool([])).toThrow(RangeError);
    expect(() => new AddressPool(["10.0.0.0/33"])).toThrow();
  });
});
