/**
 * Sinks that keep frames in the process: `memory` keeps a copy of the last
 * frame and counts writes (tests look at what a service showed; `vidbus
 * vcam --backend memory` is a dry run), `null` drops frames (benchmarks
 * measure the service alone). Neither needs a device or a module.
 */
import { VidbusError } from '../errors.js';
import { frameLayout, RAW_FORMATS, type FrameLayout } from '../video/formats.js';
import type { FrameSink, SinkBackend, SinkOpenOptions } from './sink.js';

/** Keeps a copy of the last frame and counts writes. */
export class MemorySink implements FrameSink {
  readonly backend: string = 'memory';
  readonly target: string;
  readonly label: string;
  readonly layout: FrameLayout;
  /** a copy of the last frame written (zeros before the first) */
  readonly last: Uint8Array;
  /** frames written so far */
  written = 0;
  /** times close() was called (tests check that owners close a sink once) */
  closed = 0;

  constructor(options: SinkOpenOptions) {
    this.layout = frameLayout(options.format, options.width, options.height);
    this.target = options.target ?? 'memory';
    this.label = 'in-memory sink';
    this.last = new Uint8Array(this.layout.frameBytes);
  }

  write(frame: Uint8Array): void {
    if (this.closed) throw new VidbusError('ERR_CLOSED', 'the memory sink is closed');
    if (frame.length < this.layout.frameBytes) throw new VidbusError('ERR_FRAME_SIZE', `the memory sink takes ${this.layout.frameBytes} bytes per frame; received ${frame.length}`);
    this.last.set(frame.subarray(0, this.layout.frameBytes));
    this.written++;
  }

  close(): void {
    this.closed++;
  }

  /** Same as close(). */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Drops every frame (after checking its size). */
export class NullSink extends MemorySink {
  override readonly backend = 'null';

  override write(frame: Uint8Array): void {
    if (frame.length < this.layout.frameBytes) throw new VidbusError('ERR_FRAME_SIZE', `the null sink takes ${this.layout.frameBytes} bytes per frame; received ${frame.length}`);
    this.written++;
  }
}

/** The `memory` backend. */
export const memorySinkBackend: SinkBackend = {
  name: 'memory',
  summary: 'keeps the last frame in memory (tests, dry runs)',
  formats: RAW_FORMATS,
  open: (options) => new MemorySink(options),
};

/** The `null` backend. */
export const nullSinkBackend: SinkBackend = {
  name: 'null',
  summary: 'drops every frame (benchmarks)',
  formats: RAW_FORMATS,
  open: (options) => new NullSink(options),
};
