/**
 * H.264 Annex B access units on the Node side: finding a NAL unit, and the
 * codec string (RFC 6381, "avc1.PPCCLL") a browser's decoder is configured
 * with, read from the sequence parameter set. Bounds are checked; a unit
 * without an SPS gives undefined.
 */

/** The bytes of the first NAL unit of `type` (after its start code), or undefined. */
export function findNal(au: Uint8Array, type: number): Uint8Array | undefined {
  for (let i = 0; i + 3 < au.length; i++) {
    if (au[i] !== 0 || au[i + 1] !== 0 || au[i + 2] !== 1) continue;
    const start = i + 3;
    if ((au[start]! & 0x1f) === type) {
      let end = start + 1;
      while (end + 2 < au.length && !(au[end] === 0 && au[end + 1] === 0 && (au[end + 2] === 1 || au[end + 2] === 0))) end++;
      return au.subarray(start, end + 2 < au.length ? end : au.length);
    }
    i += 2;
  }
  return undefined;
}

/** 'avc1.42e01e' from the access unit's SPS (profile, constraint flags, level), or undefined without one. */
export function avcCodecString(au: Uint8Array): string | undefined {
  const sps = findNal(au, 7);
  if (!sps || sps.length < 4) return undefined;
  const hex = (b: number) => b.toString(16).padStart(2, '0');
  return `avc1.${hex(sps[1]!)}${hex(sps[2]!)}${hex(sps[3]!)}`;
}
