/**
 * A DRM/KMS output onto the bus (`vidbus stream --screen drm[:/dev/dri/cardN]
 * [--connector NAME | --crtc ID]`): what the card scans out, read from the
 * framebuffer itself (src/devices/drm.ts), copied once per frame into a bus
 * slot with alpha set on the way, at `fps`. Below any compositor: it sees
 * exactly what the monitor shows, and needs CAP_SYS_ADMIN or DRM master.
 * A mode change makes the stream again at the new size (consumers that
 * follow carry on).
 */
import { createProducer, type Producer, type ProducerStats } from '../bus/producer.js';
import { DrmCapture } from '../devices/drm.js';
import { isVidbusError } from '../errors.js';
import { monoNs, wallNs } from '../util/clock.js';
import { fpsToRational } from '../video/formats.js';
import { Pacer } from '../video/pacer.js';
import { Completion, type Source } from './source.js';

/** Options of a DRM screen (a subset of the screen source's). */
export interface DrmScreenOptions {
  name: string;
  card: string;
  connector?: string;
  crtc?: number;
  fps: number;
}

export class DrmScreenSource implements Source {
  readonly kind = 'screen';
  description: string;
  onNotice: ((message: string) => void) | undefined;
  private readonly completion = new Completion();
  private readonly abort = new AbortController();
  private readonly loop: Promise<void>;
  private closed = false;
  private totals = { published: 0, dropped: 0 };

  private constructor(
    private producer: Producer,
    private readonly capture: DrmCapture,
    private readonly options: DrmScreenOptions,
  ) {
    this.description = this.describe();
    this.loop = this.run();
  }

  static async create(options: DrmScreenOptions): Promise<DrmScreenSource> {
    const capture = DrmCapture.open(options.card, { ...(options.connector !== undefined ? { connector: options.connector } : {}), ...(options.crtc !== undefined ? { crtc: options.crtc } : {}) });
    try {
      const { width, height } = capture.size();
      const producer = await createProducer(options.name, { width, height, format: 'BGRA', fps: fpsToRational(options.fps) });
      return new DrmScreenSource(producer, capture, options);
    } catch (e) {
      capture.close();
      throw e;
    }
  }

  private describe(): string {
    const l = this.producer.layout;
    return `DRM ${this.capture.card} ${this.capture.output.name} (CRTC ${this.capture.output.crtcId}) ${l.width}x${l.height} BGRA @ ${this.options.fps} fps, read through ${this.capture.readPath === 'dmabuf' ? 'a DMA-BUF' : 'a dumb-buffer map'}`;
  }

  get stream(): string {
    return this.producer.name;
  }

  get done(): Promise<void> {
    return this.completion.promise;
  }

  stats(): ProducerStats {
    const s = this.producer.stats();
    return { ...s, published: this.totals.published + s.published, dropped: this.totals.dropped + s.dropped };
  }

  private async run(): Promise<void> {
    const pacer = new Pacer(this.options.fps);
    try {
      while (!this.closed) {
        const frame = this.producer.loan();
        if (frame) {
          const l = this.producer.layout;
          const timestamp = monoNs();
          try {
            this.capture.copyInto(frame.data, l.width, l.height, l.planes[0]!.stride);
            this.producer.publish(frame, { timestamp, wallClock: wallNs() });
          } catch (e) {
            this.producer.discard(frame);
            if (!isVidbusError(e, 'ERR_FRAME_SIZE')) throw e;
            await this.resize();
          }
        }
        await pacer.wait(this.abort.signal);
      }
    } catch (e) {
      if (this.closed) return;
      this.stop();
      this.completion.reject(e as Error);
    }
  }

  /** The mode changed: the same stream again at the new size. */
  private async resize(): Promise<void> {
    const { width, height } = this.capture.size();
    const s = this.producer.stats();
    this.totals.published += s.published;
    this.totals.dropped += s.dropped;
    this.producer.close();
    this.producer = await createProducer(this.options.name, { width, height, format: 'BGRA', fps: fpsToRational(this.options.fps) });
    this.description = this.describe();
    this.onNotice?.(`the screen is now ${width}x${height}`);
  }

  private stop(): void {
    this.closed = true;
    this.abort.abort();
    this.capture.close();
    this.producer.close();
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.abort.abort();
      await this.loop.catch(() => undefined);
      this.stop();
    }
    this.completion.resolve();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
