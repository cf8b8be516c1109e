/** Test traffic for the data-plane benchmarks. */

/** An IPv4/UDP packet of exactly `size` bytes (header checksum left 0: ESP does not check it). */
export function ipv4Packet(size: number): Uint8Array {
  const p = new Uint8Array(size);
  p[0] = 0x45;
  p[2] = size >>> 8;
  p[3] = size & 0xff;
  p[8] = 64;
  p[9] = 17;
  p.set([198, 19, 0, 1, 198, 19, 0, 2], 12);
  for (let i = 28; i < size; i++) p[i] = i & 0xff;
  return p;
}
