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

/** Writes transport-stream packets for access units; each call returns whole 188-byte packets. */
export class TsWriter {
  private readonly counters = new Map<number, number>();
  private firstNs: bigint | undefined;

  constructor(private readonly codec: TsCodec) {}

  /** The packets of one access unit (with PAT and PMT first when it is a keyframe or the first unit). */
  write(au: Uint8Array, timestampNs: bigint, keyframe: boolean): Buffer {
    const out: Buffer[] = [];
    const first = this.firstNs === undefined;
    this.firstNs ??= timestampNs;
    if (first || keyframe) out.push(this.section(0, this.pat()), this.section(PMT_PID, this.pmt()));
    // 90 kHz from the first frame, plus a second so that PCR (one frame's worth before PTS) stays positive.
    const pts = ((((timestampNs - this.firstNs) * 90000n) / 1_000_000_000n + 90000n) & 0x1ffffffffn);
    const delimiter = startsWithDelimiter(au, this.codec) ? undefined : this.codec === 'HEVC' ? AUD_HEVC : AUD_H264;
    const dataBytes = au.length + (delimiter?.length ?? 0);
    const payload = delimiter ? [this.pes(pts, dataBytes), delimiter, au] : [this.pes(pts, dataBytes), au];
    out.push(this.packetize(Buffer.concat(payload), pts - 3000n, keyframe));
    return Buffer.concat(out);
  }

  private counter(pid: number): number {
    const c = this.counters.get(pid) ?? 0;
    this.counters.set(pid, (c + 1) & 0xf);
    return c;
  }

  private pat(): Buffer {
    // table 0, one program (1) whose PMT is on PMT_PID
    return Buffer.from([0x00, 0xb0, 0x0d, 0x00, 0x01, 0xc1, 0x00, 0x00, 0x00, 0x01, 0xe0 | (PMT_PID >> 8), PMT_PID & 0xff]);
  }

  private pmt(): Buffer {
    const streamType = this.codec === 'HEVC' ? 0x24 : 0x1b;
    // table 2, program 1, PCR on the video PID, no program descriptors, one elementary stream
    return Buffer.from([
      0x02, 0xb0, 0x12, 0x00, 0x01, 0xc1, 0x00, 0x00,
      0xe0 | (VIDEO_PID >> 8), VIDEO_PID & 0xff, 0xf0, 0x00,
      streamType, 0xe0 | (VIDEO_PID >> 8), VIDEO_PID & 0xff, 0xf0, 0x00,
    ]);
  }

  /** A PSI section in one packet: pointer field, the section, its CRC, stuffing. */
  private section(pid: number, body: Buffer): Buffer {
    const packet = Buffer.alloc(PACKET, 0xff);
    packet[0] = 0x47;
    packet[1] = 0x40 | (pid >> 8);
    packet[2] = pid & 0xff;
    packet[3] = 0x10 | this.counter(pid);
    packet[4] = 0; // pointer field
    body.copy(packet, 5);
    packet.writeUInt32BE(crc32Mpeg(body), 5 + body.length);
    return packet;
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

  /** Splits a PES packet into transport packets; the first carries the PCR (and the random-access flag on keyframes). */
  private packetize(pes: Buffer, pcr: bigint, keyframe: boolean): Buffer {
    const packets: Buffer[] = [];
    let offset = 0;
    let first = true;
    while (offset < pes.length) {
      const packet = Buffer.alloc(PACKET, 0xff);
      packet[0] = 0x47;
      packet[1] = (first ? 0x40 : 0) | (VIDEO_PID >> 8);
      packet[2] = VIDEO_PID & 0xff;
      let adaptation: Buffer | undefined;
      if (first) {
        adaptation = Buffer.alloc(8);
        adaptation[0] = 7; // its length after this byte
        adaptation[1] = 0x10 | (keyframe ? 0x40 : 0); // PCR flag, random access indicator
        const base = pcr < 0n ? 0n : pcr;
        adaptation.writeUInt32BE(Number(base >> 1n) >>> 0, 2);
        adaptation[6] = (Number(base & 1n) << 7) | 0x7e;
        adaptation[7] = 0;
      }
      const room = PACKET - 4 - (adaptation?.length ?? 0);
      const take = Math.min(room, pes.length - offset);
      if (take < room) {
        // The last packet: stuff the adaptation field so the payload ends the packet.
        const stuffing = room - take;
        if (adaptation) {
          const grown = Buffer.alloc(adaptation.length + stuffing, 0xff);
          adaptation.copy(grown);
          grown[0] = grown.length - 1;
          adaptation = grown;
        } else {
          adaptation = Buffer.alloc(stuffing, 0xff);
          adaptation[0] = stuffing - 1;
          if (stuffing > 1) adaptation[1] = 0x00; // no flags
        }
      }
      packet[3] = (adaptation ? 0x30 : 0x10) | this.counter(VIDEO_PID);
      let at = 4;
      if (adaptation) {
        adaptation.copy(packet, at);
        at += adaptation.length;
      }
      pes.copy(packet, at, offset, offset + take);
      offset += take;
      first = false;
      packets.push(packet);
    }
    return Buffer.concat(packets);
  }
}
