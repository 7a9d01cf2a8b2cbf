/**
 * An MPEG transport stream of one H.264 or HEVC video stream, written from
 * bus frames: each access unit becomes one PES packet whose PTS is the
 * frame's capture timestamp (90 kHz, counted from the first frame), so
 * ffmpeg (recording, publishing) gets the bus's own timing instead of an
 * assumed frame rate. The Annex B bitstream is carried as it is; an access
 * unit delimiter is put in front where the encoder left it out (the
 * transport stream format requires one). PAT and PMT come first and again
 * before every keyframe, so a reader can start at any keyframe.
 * (ISO/IEC 13818-1; H.264 stream type 0x1B, HEVC 0x24.)
 */
const PACKET = 188;
const PMT_PID = 0x1000;
const VIDEO_PID = 0x100;
const AUD_H264 = Buffer.from([0, 0, 0, 1, 0x09, 0xf0]);
const AUD_HEVC = Buffer.from([0, 0, 0, 1, 0x46, 0x01, 0x50]);

/** The codecs a transport stream is written for here. */
export type TsCodec = 'H264' | 'HEVC';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** MPEG-2's CRC-32 (no reflection), over a PSI section. */
export function crc32Mpeg(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff]!) >>> 0;
  return crc >>> 0;
}

/** Whether an Annex B access unit starts with an access unit delimiter. */
function startsWithDelimiter(au: Uint8Array, codec: TsCodec): boolean {
  const at = au[2] === 1 ? 3 : au[2] === 0 && au[3] === 1 ? 4 : -1;
  if (at < 0 || au.length <= at) return false;
  return codec === 'HEVC' ? ((au[at]! >> 1) & 0x3f) === 35 : (au[at]! & 0x1f) === 9;
}

/** Bytes of PES payload the first packet of a unit carries (after its 8-byte adaptation field with the PCR), and each later one. */
const FIRST_ROOM = PACKET - 4 - 8;
const ROOM = PACKET - 4;

/**
 * Writes transport-stream packets for access units; each call returns whole
 * 188-byte packets in one buffer. A stream can only be decoded from a
 * keyframe, so nothing is written before the first one, nor after resync()
 * until the next one (a caller that had to drop a unit calls it).
 */
export class TsWriter {
  private readonly counters = new Map<number, number>();
  private readonly pat: Buffer;
  private readonly pmt: Buffer;
  private firstNs: bigint | undefined;
  private inSync = false;

  constructor(private readonly codec: TsCodec) {
    // table 0, one program (1) whose PMT is on PMT_PID
    this.pat = withCrc([0x00, 0xb0, 0x0d, 0x00, 0x01, 0xc1, 0x00, 0x00, 0x00, 0x01, 0xe0 | (PMT_PID >> 8), PMT_PID & 0xff]);
    // table 2, program 1, PCR on the video PID, no program descriptors, one elementary stream
    const streamType = codec === 'HEVC' ? 0x24 : 0x1b;
    this.pmt = withCrc([
      0x02, 0xb0, 0x12, 0x00, 0x01, 0xc1, 0x00, 0x00,
      0xe0 | (VIDEO_PID >> 8), VIDEO_PID & 0xff, 0xf0, 0x00,
      streamType, 0xe0 | (VIDEO_PID >> 8), VIDEO_PID & 0xff, 0xf0, 0x00,
    ]);
  }

  /** The packets of one access unit (PAT and PMT first on keyframes), or undefined while waiting for a keyframe. */
  write(au: Uint8Array, timestampNs: bigint, keyframe: boolean): Buffer | undefined {
    this.inSync ||= keyframe;
    if (!this.inSync) return undefined;
    this.firstNs ??= timestampNs;
    // 90 kHz from the first frame, plus a second so that PCR (one frame's worth before PTS) stays positive.
    const pts = (((timestampNs - this.firstNs) * 90000n) / 1_000_000_000n + 90000n) & 0x1ffffffffn;
    const delimiter = startsWithDelimiter(au, this.codec) ? undefined : this.codec === 'HEVC' ? AUD_HEVC : AUD_H264;
    const dataBytes = au.length + (delimiter?.length ?? 0);
    const pieces = delimiter ? [this.pes(pts, dataBytes), delimiter, au] : [this.pes(pts, dataBytes), au];
    const total = 14 + dataBytes;
    const videoPackets = total <= FIRST_ROOM ? 1 : 1 + Math.ceil((total - FIRST_ROOM) / ROOM);
    const out = Buffer.alloc(((keyframe ? 2 : 0) + videoPackets) * PACKET, 0xff);
    let at = 0;
    if (keyframe) {
      this.section(out, 0, 0, this.pat);
      this.section(out, PACKET, PMT_PID, this.pmt);
      at = 2 * PACKET;
    }
    this.packetize(out, at, pieces, total, pts - 3000n, keyframe);
    return out;
  }

  /** A unit was dropped: write nothing until the next keyframe (what follows a gap cannot be decoded). */
  resync(): void {
    this.inSync = false;
  }

  private counter(pid: number): number {
    const c = this.counters.get(pid) ?? 0;
    this.counters.set(pid, (c + 1) & 0xf);
    return c;
  }

  /** A PSI section (with its CRC) in one packet at `at`: header, pointer field, the section; the rest is already stuffing. */
  private section(out: Buffer, at: number, pid: number, section: Buffer): void {
    out[at] = 0x47;
    out[at + 1] = 0x40 | (pid >> 8);
    out[at + 2] = pid & 0xff;
    out[at + 3] = 0x10 | this.counter(pid);
    out[at + 4] = 0; // pointer field
    section.copy(out, at + 5);
  }

  /**
   * A video PES header with a PTS (no DTS: no B-frames, so decode order is
   * presentation order). Its length is given whenever it fits in 16 bits: a
   * demuxer then hands the unit on as soon as its last byte arrives, instead
   * of waiting for the next unit's start (a frame of latency). Larger units
   * (big keyframes) use 0, "unbounded", as video may.
   */
  private pes(pts: bigint, dataBytes: number): Buffer {
    const h = Buffer.alloc(14);
    const length = 8 + dataBytes; // flags, header length, PTS, then the data
    h.set([0x00, 0x00, 0x01, 0xe0, 0x00, 0x00, 0x80, 0x80, 0x05]);
    if (length <= 0xffff) h.writeUInt16BE(length, 4);
    const p = Number(pts >> 30n) & 0x07;
    const mid = Number((pts >> 15n) & 0x7fffn);
    const low = Number(pts & 0x7fffn);
    h[9] = 0x21 | (p << 1);
    h.writeUInt16BE((mid << 1) | 1, 10);
    h.writeUInt16BE((low << 1) | 1, 12);
    return h;
  }

  /**
   * Splits the PES (its `pieces`, `total` bytes) into transport packets from
   * `at` on, straight into `out` (already 0xff: stuffing). The first packet
   * carries the PCR (and the random-access flag on keyframes); the last one
   * stuffs its adaptation field so that the payload ends the packet.
   */
  private packetize(out: Buffer, at: number, pieces: Uint8Array[], total: number, pcr: bigint, keyframe: boolean): void {
    let piece = 0;
    let within = 0;
    let left = total;
    for (let first = true; left > 0; first = false, at += PACKET) {
      const room = first ? FIRST_ROOM : ROOM;
      const take = Math.min(room, left);
      const adaptation = (first ? 8 : 0) + room - take; // the adaptation field's bytes, its length byte included
      out[at] = 0x47;
      out[at + 1] = (first ? 0x40 : 0) | (VIDEO_PID >> 8);
      out[at + 2] = VIDEO_PID & 0xff;
      out[at + 3] = (adaptation > 0 ? 0x30 : 0x10) | this.counter(VIDEO_PID);
      if (adaptation > 0) out[at + 4] = adaptation - 1;
      if (adaptation > 1) out[at + 5] = first ? 0x10 | (keyframe ? 0x40 : 0) : 0x00; // PCR flag, random access indicator; or no flags
      if (first) {
        const base = pcr < 0n ? 0n : pcr;
        out.writeUInt32BE(Number(base >> 1n) >>> 0, at + 6);
        out[at + 10] = (Number(base & 1n) << 7) | 0x7e;
        out[at + 11] = 0;
      }
      // The payload, across the pieces (PES header, delimiter, access unit).
      for (let to = at + 4 + adaptation, n = take; n > 0; ) {
        const p = pieces[piece]!;
        const k = Math.min(n, p.length - within);
        out.set(p.subarray(within, within + k), to);
        to += k;
        n -= k;
        within += k;
        if (within === p.length) {
          piece++;
          within = 0;
        }
      }
      left -= take;
    }
  }
}

/** A PSI section followed by its CRC. */
function withCrc(section: number[]): Buffer {
  const out = Buffer.alloc(section.length + 4);
  out.set(section);
  out.writeUInt32BE(crc32Mpeg(out.subarray(0, section.length)), section.length);
  return out;
}
