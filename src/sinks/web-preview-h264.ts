/**
 * The H.264 side of `vidbus view`: access units sent over a WebSocket to
 * pages that decode them with WebCodecs, at a fraction of MJPEG's
 * bandwidth. An H.264 stream is sent as it is; a raw stream is encoded by
 * an encode stage (constrained baseline, which every decoder takes) that
 * runs only while a page watches. Each viewer starts at a keyframe, which
 * the stage is asked for when a viewer joins; a viewer that falls behind
 * (more than MAX_BACKLOG_BYTES unsent) is cut back to the next keyframe
 * instead of queueing latency.
 *
 * Messages: first a text message {"type":"config","codec":"avc1.42e01e",
 * "width":W,"height":H} (again when the stream changes), then one binary
 * message per access unit: byte 0 flags (bit 0: keyframe), bytes 1-8 the
 * capture wall-clock time in ms (float64, little endian), then Annex B.
 * {"type":"unavailable","message":...} says to use MJPEG instead.
 */
import type { WebSocket } from 'ws';
import { isVidbusError } from '../errors.js';
import { openConsumer, type Consumer } from '../bus/consumer.js';
import { startEncodeStage, type EncodeStage } from '../encode/encode-stage.js';
import { avcCodecString } from '../video/annexb.js';
import { formatInfo } from '../video/formats.js';

const MAX_BACKLOG_BYTES = 2 * 1024 * 1024;

interface Viewer {
  socket: WebSocket;
  /** the codec string last sent to it */
  config: string | undefined;
  /** sending: it has had a keyframe since it joined or fell behind */
  inSync: boolean;
}

/** Counters for the preview's stats. */
export interface H264FeedStats {
  /** pages receiving H.264 now */
  viewers: number;
  /** access units sent (counted once however many viewers) */
  sent: number;
  /** bytes sent to all viewers */
  bytes: number;
}

export class H264Feed {
  private readonly viewers = new Set<Viewer>();
  private running: Promise<void> | undefined;
  private consumer: Consumer | undefined;
  private stage: EncodeStage | undefined;
  private sent = 0;
  private bytes = 0;
  private closed = false;
  private stopping: Promise<void> = Promise.resolve();

  /** `format`: the stream's format now (H264 goes as it is, raw formats through an encode stage). */
  constructor(
    private readonly stream: string,
    private readonly format: () => string | undefined,
  ) {}

  /** A page wants H.264: it gets a config and the units from the next keyframe on. */
  add(socket: WebSocket): void {
    const viewer: Viewer = { socket, config: undefined, inSync: false };
    this.viewers.add(viewer);
    socket.on('close', () => {
      this.viewers.delete(viewer);
      if (this.viewers.size === 0) this.stop();
    });
    socket.on('error', () => socket.terminate());
    this.stage?.requestKeyframe();
    this.start();
  }

  private start(): void {
    this.running ??= this.run()
      .catch(() => undefined) // a failed stream ends the feed; pages fall back to MJPEG when their socket closes
      .finally(() => {
        this.running = undefined;
        if (!this.closed && this.viewers.size > 0 && this.consumer === undefined) this.start(); // a viewer came while it was stopping
      });
  }

  stats(): H264FeedStats {
    return { viewers: this.viewers.size, sent: this.sent, bytes: this.bytes };
  }

  private async run(): Promise<void> {
    let source = this.stream;
    try {
      const format = this.format();
      if (format !== 'H264') {
        if (format === undefined || formatInfo(format as 'H264').encoded) throw new Error(`${format ?? 'this'} stream cannot be shown as H.264`);
        const output = `${this.stream.slice(0, 58)}-view`;
        this.stage = await startEncodeStage({ input: this.stream, output, codec: 'h264', profile: 'baseline', gop: 60, keyframeGapMs: 200 });
        await this.stage.ready();
        source = output;
      }
      if (this.closed || this.viewers.size === 0) {
        this.stop();
        return;
      }
      this.consumer = await openConsumer(source, { policy: 'every', follow: true });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      for (const v of this.viewers) v.socket.send(JSON.stringify({ type: 'unavailable', message }), () => v.socket.close());
      this.stop();
      return;
    }
    const consumer = this.consumer;
    for (;;) {
      let frame;
      try {
        frame = await consumer.next();
      } catch (e) {
        if (isVidbusError(e) && e.code === 'ERR_CLOSED') return;
        throw e;
      }
      if (!frame) return;
      try {
        const au = frame.data.subarray(0, frame.size);
        const codec = frame.keyframe ? avcCodecString(au) : undefined;
        // One copy: the slot goes back before the sockets drain.
        const message = Buffer.allocUnsafe(9 + au.length);
        message[0] = frame.keyframe ? 1 : 0;
        message.writeDoubleLE(Number(frame.wallClock / 1_000_000n), 1);
        message.set(au, 9);
        let sentOnce = false;
        for (const v of this.viewers) {
          if (v.socket.readyState !== v.socket.OPEN) continue;
          if (v.inSync && v.socket.bufferedAmount > MAX_BACKLOG_BYTES) {
            v.inSync = false; // behind: wait for the next keyframe
            this.stage?.requestKeyframe();
          }
          if (!v.inSync && !(frame.keyframe && codec)) continue;
          if (codec && codec !== v.config) {
            v.socket.send(JSON.stringify({ type: 'config', codec, width: frame.width, height: frame.height }));
            v.config = codec;
          }
          v.inSync = true;
          v.socket.send(message);
          this.bytes += message.length;
          sentOnce = true;
        }
        if (sentOnce) this.sent++;
      } finally {
        frame.release();
      }
    }
  }

  /** Stops reading (and the encode stage) until the next viewer; the read loop ends with its consumer. */
  private stop(): void {
    this.consumer?.close();
    this.consumer = undefined;
    const stage = this.stage;
    this.stage = undefined;
    this.stopping = Promise.all([this.stopping, stage?.close()]).then(() => undefined);
  }

  /** Closes every viewer and stops. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    for (const v of this.viewers) v.socket.terminate();
    this.viewers.clear();
    this.stop();
    await this.running;
    await this.stopping;
  }
}
