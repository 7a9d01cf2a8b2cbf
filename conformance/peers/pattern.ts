/** What every conformance producer publishes, and the checksum every consumer reports. */

/** Byte i of frame n (0-based). */
export function patternByte(n: number, i: number): number {
  return (n * 7 + i * 13) & 0xff;
}

/** FNV-1a over the bytes, as libvidbus's vidbus-consume and python/tests/peer.py compute it. */
export function fnv1a(data: Uint8Array): number {
  let h = 2166136261;
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i]!, 16777619) >>> 0;
  return h >>> 0;
}

/** The checksum of frame n of `length` bytes. */
export function patternChecksum(n: number, length: number): number {
  let h = 2166136261;
  for (let i = 0; i < length; i++) h = Math.imul(h ^ patternByte(n, i), 16777619) >>> 0;
  return h >>> 0;
}
