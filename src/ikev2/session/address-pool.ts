/**
 * A simple in-memory pool of virtual IPs for a responder (RFC 7296 §2.19), from CIDR prefixes or
 * address ranges — strongSwan's `pools { addrs = 10.3.0.0/28 }` in its simplest form.
 *
 * @packageDocumentation
 */
import { type AddressRange, formatIp, type IpFamily, parseAddressRange, parseIp } from "../../spd/address.js";
import { PolicyError } from "../../spd/errors.js";
import type { AddressAllocator, IdentityConfig } from "./types.js";

/** A prefix of more addresses than this skips its first and last (network and broadcast). */
const SKIP_EDGES_ABOVE = 2n;

interface Range {
  readonly family: IpFamily;
  readonly start: bigint;
  readonly end: bigint;
}

function familyOf(family: "ipv4" | "ipv6"): IpFamily {
  return family === "ipv4" ? 4 : 6;
}

/**
 * Virtual IPs from CIDR prefixes (`"198.19.1.0/24"`, `"fd00:1::/112"`) or ranges
 * (`"10.0.0.10-10.0.0.20"`), one or more of either family. A prefix of more than two addresses
 * does not give out its first and last (network and broadcast, as strongSwan's pools). Addresses
 * are handed out lowest free first; one the initiator asks for is given when it is free. The
 * pool does not remember identities: an address released goes to whoever asks next.
 * @public
 */
export class AddressPool implements AddressAllocator {
  readonly #ranges: readonly Range[];
  /** Addresses given out, as `family:value`. */
  readonly #used = new Set<string>();

  /**
   * @param ranges - prefixes or ranges (text).
   * @throws `PolicyError` for text that is not a prefix or range; `RangeError` for an empty list.
   */
  constructor(ranges: readonly string[]) {
    if (ranges.length === 0) throw new RangeError("an address pool needs at least one range");
    this.#ranges = ranges.map((text) => {
      const r: AddressRange = parseAddressRange(text);
      const prefix = text.includes("/") && r.end - r.start + 1n > SKIP_EDGES_ABOVE;
      return prefix ? { family: r.family, start: r.start + 1n, end: r.end - 1n } : r;
    });
  }

  /** How many addresses are given out. */
  get inUse(): number {
    return this.#used.size;
  }

  /**
   * A free address of `family`: `requested` if it is in the pool and free, else the lowest free
   * one; `undefined` when the pool has none of that family left.
   */
  acquire(
    _peerId: IdentityConfig,
    family: "ipv4" | "ipv6",
    requested: string | undefined,
  ): string | undefined {
    const f = familyOf(family);
    const wanted = requested === undefined ? undefined : this.#parse(requested);
    if (wanted !== undefined && wanted.family === f && this.#contains(wanted.family, wanted.value)) {
      const key = `${f}:${wanted.value}`;
      if (!this.#used.has(key)) return this.#take(f, wanted.value);
    }
    for (const r of this.#ranges) {
      if (r.family !== f) continue;
      // At most `inUse` addresses are taken, so this looks at no more than inUse + 1 of them.
      for (let v = r.start; v <= r.end; v++) {
        if (!this.#used.has(`${f}:${v}`)) return this.#take(f, v);
      }
    }
    return undefined;
  }

  /** Returns `address` to the pool (ignored when it is not given out). */
  release(address: string): void {
    const a = this.#parse(address);
    if (a !== undefined) this.#used.delete(`${a.family}:${a.value}`);
  }

  #take(family: IpFamily, value: bigint): string {
    this.#used.add(`${family}:${value}`);
    return formatIp(family, value);
  }

  #contains(family: IpFamily, value: bigint): boolean {
    return this.#ranges.some((r) => r.family === family && value >= r.start && value <= r.end);
  }

  /** The address, or `undefined` for text that is not one (a peer's request is not trusted). */
  #parse(text: string): { readonly family: IpFamily; readonly value: bigint } | undefined {
    try {
      return parseIp(text);
    } catch (e) {
      if (!(e instanceof PolicyError)) throw e;
      return undefined;
    }
  }
}
