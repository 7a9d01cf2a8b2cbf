/**
 * The `pipewire` backend: a camera node in PipeWire, for machines where
 * v4l2loopback cannot be loaded (no module, no root, Secure Boot). Browsers
 * reach it through the desktop portal's Camera interface; Chromium needs
 * `--enable-features=WebRtcPipeWireCamera`, Firefox
 * `media.webrtc.camera.allow-pipewire` (`vidbus doctor` checks the rest).
 *
 * How: the sink publishes its fixed layout into a private bus stream, and
 * vidbus-pipewire (the C bridge, src/devices/pipewire-helper.ts) reads it
 * as an ordinary libvidbus consumer and drives a PipeWire node with
 * media.class Video/Source, media.role Camera, the label as
 * node.description and exactly one fixed format. write() is a copy into a
 * bus slot, and that slot is what PipeWire's readers map (the bridge hands
 * them the slots themselves, holding each frame until its buffer comes
 * back), so the frame is copied once on its way. Six slots: a reader or two
 * may hold buffers while the service writes the next frame.
 */
import { createProducer, type Producer } from '../bus/producer.js';
import { PipeWireHelper } from '../devices/pipewire-helper.js';
import { VidbusError } from '../errors.js';
import { frameLayout, type FrameLayout, type RawFormat } from '../video/formats.js';
import type { FrameSink, SinkBackend, SinkOpenOptions } from './sink.js';

/** The formats a PipeWire camera offers here; browsers take YUY2, I420 and NV12 best. */
const PIPEWIRE_FORMATS: readonly RawFormat[] = ['YUYV', 'I420', 'NV12', 'UYVY', 'RGBA', 'BGRA', 'RGB24', 'BGR24', 'GRAY8'];

let opened = 0;

/** A PipeWire camera node fed by this process. */
export class PipeWireSink implements FrameSink {
  readonly backend = 'pipewire';
  /** the node's node.name (what `pw-cli`, `target-object=` and `vidbus stream --pipewire` take) */
  readonly target: string;
  /** node.description: what browsers list */
  readonly label: string;
  readonly layout: FrameLayout;
  /** the PipeWire global id of the node (a new one after PipeWire restarts) */
  nodeId: number;
  /** things a person should know: PipeWire went away, the node is back */
  onNotice: ((message: string) => void) | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  private constructor(
    private readonly producer: Producer,
    private helper: PipeWireHelper,
    target: string,
    label: string,
    nodeId: number,
  ) {
    this.layout = producer.layout;
    this.target = target;
    this.label = label;
    this.nodeId = nodeId;
    this.watch();
  }

  private static startBridge(stream: string, target: string, label: string): PipeWireHelper {
    return PipeWireHelper.start(['camera', '--stream', stream, '--name', target, '--description', label]);
  }

  /** If the bridge ends while the camera is open (PipeWire restarted or crashed), make the node again, every 2 s until it works. */
  private watch(): void {
    void this.helper.exited.then((error) => {
      if (this.closed) return;
      this.onNotice?.(`the PipeWire camera node went away (${error?.message ?? 'the bridge exited'}); making it again`);
      const again = async () => {
        this.retry = undefined;
        if (this.closed) return;
        const helper = PipeWireSink.startBridge(this.producer.name, this.target, this.label);
        try {
          const ready = await helper.next('ready', 15000);
          if (this.closed) return void helper.stop();
          this.helper = helper;
          this.nodeId = Number(ready.node);
          this.onNotice?.(`the PipeWire camera node is back (node ${this.nodeId})`);
          this.watch();
        } catch {
          await helper.stop();
          if (!this.closed) this.retry = setTimeout(() => void again(), 2000);
        }
      };
      this.retry = setTimeout(() => void again(), 1000);
    });
  }

  /** Makes the node; resolves once PipeWire has it. */
  static async open(options: SinkOpenOptions): Promise<PipeWireSink> {
    const label = options.label ?? 'vidbus camera';
    const target = options.target ?? nodeNameFor(label);
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(target)) throw new VidbusError('ERR_INVALID_OPTION', `A PipeWire node name is 1-100 of letters, digits, '.', '_' or '-'; received "${target}"`);
    const layout = frameLayout(options.format, options.width, options.height);
    const stream = `vcam-pipewire-${process.pid}-${++opened}`;
    const producer = await createProducer(stream, { width: layout.width, height: layout.height, format: options.format, fps: options.fps, slots: 6, handleSignals: false });
    let helper: PipeWireHelper | undefined;
    try {
      helper = PipeWireSink.startBridge(stream, target, label);
      const ready = await helper.next('ready', 15000);
      return new PipeWireSink(producer, helper, target, label, Number(ready.node));
    } catch (e) {
      await helper?.stop();
      producer.close();
      throw e;
    }
  }

  write(frame: Uint8Array): void {
    if (this.closed) throw new VidbusError('ERR_CLOSED', 'the PipeWire camera is closed');
    if (frame.length < this.layout.frameBytes) throw new VidbusError('ERR_FRAME_SIZE', `the PipeWire camera takes ${this.layout.frameBytes} bytes per frame; received ${frame.length}`);
    this.producer.write(frame.subarray(0, this.layout.frameBytes));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retry);
    // Closing the stream ends the bridge cleanly (it sees ERR_STREAM_ENDED); SIGTERM makes sure.
    this.producer.close();
    void this.helper.stop();
  }

  /** Same as close(). */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** "vidbus camera" -> "vidbus-camera": a node.name from a label. */
export function nodeNameFor(label: string): string {
  const name = label.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100);
  return name || 'vidbus-camera';
}

/** The `pipewire` backend. */
export const pipewireSinkBackend: SinkBackend = {
  name: 'pipewire',
  summary: 'a PipeWire camera node (no kernel module; browsers through the portal)',
  formats: PIPEWIRE_FORMATS,
  open: (options) => PipeWireSink.open(options),
};
