/**
 * `vidbus stream --pipewire <node>`: any PipeWire video node onto the bus
 * (a camera behind WirePlumber's V4L2 or libcamera monitor, another
 * application's output, a screen-cast stream). The node is named by id,
 * object.serial, node.name or node.description (`vidbus devices` lists
 * them). The C bridge vidbus-pipewire (src/devices/pipewire-helper.ts) is
 * the stream's producer: it negotiates a raw format with the node, makes
 * the bus stream in that format, size and rate, and copies each PipeWire
 * buffer once into a bus slot. When the node goes away the stream ends
 * (ERR_DEVICE_GONE), or with `follow` stays open without frames until a
 * node of that name is back.
 */
import { PipeWireHelper, type HelperEvent } from '../devices/pipewire-helper.js';
import { checkInteger, invalidOption, rejectUnknownOptions } from '../util/options.js';
import { validateStreamName } from '../bus/names.js';
import { Completion, type Source, type SourceKind, type SourceStats } from './source.js';

/** Options of createPipeWireSource(). */
export interface PipeWireSourceOptions {
  /** the PipeWire node: id, object.serial, node.name or node.description */
  node: string;
  /** the bus stream to publish */
  name: string;
  /** when the node goes away, keep the stream and wait for it (default false: the stream ends) */
  follow?: boolean;
  /** bus slots (default 4) */
  slots?: number;
}

const OPTIONS = ['node', 'name', 'follow', 'slots'] as const;

/** How a helper-backed source was started: what it is, what to call it, what else to do with the helper's events. */
export interface HelperSourceSpec {
  /** the source kind it reports ('pipewire', 'screen') */
  kind: string;
  /** the helper's arguments (a command that ends up in `capture`) */
  args: string[];
  /** the bus stream */
  stream: string;
  /** what it captures, for the description ('PipeWire my-camera', 'screen through the desktop portal') */
  label: string;
  /** how long to wait for the first format (ms) */
  formatTimeoutMs: number;
  /** sees every helper event first (the portal's restore token) */
  onEvent?: (event: HelperEvent) => void;
}

/** A PipeWire node's video, published on a bus stream by the bridge. */
export class PipeWireSource implements Source {
  readonly kind: string;
  readonly stream: string;
  description: string;
  onNotice: ((message: string) => void) | undefined;
  private readonly completion = new Completion();
  private counts: SourceStats = { published: 0, dropped: 0 };
  private closing = false;
  private readonly label: string;

  private constructor(
    private readonly helper: PipeWireHelper,
    private readonly spec: HelperSourceSpec,
    format: HelperEvent,
  ) {
    this.kind = spec.kind;
    this.stream = spec.stream;
    this.label = spec.label;
    this.description = describe(spec.label, format);
    helper.onEvent = (e) => this.onEvent(e);
    void helper.exited.then((error) => {
      if (error && !this.closing) this.completion.reject(error);
      else this.completion.resolve();
    });
  }

  get done(): Promise<void> {
    return this.completion.promise;
  }

  /** Finds the node, negotiates its format and starts publishing; resolves once the bus stream exists. */
  static async create(options: PipeWireSourceOptions): Promise<PipeWireSource> {
    rejectUnknownOptions('createPipeWireSource', options, OPTIONS);
    if (typeof options.node !== 'string' || !options.node) throw invalidOption('node', 'a PipeWire node id, serial, name or description', options.node);
    validateStreamName(options.name);
    const args = ['capture', '--target', options.node, '--stream', options.name];
    if (options.follow) args.push('--follow');
    if (options.slots !== undefined) args.push('--slots', String(checkInteger('slots', options.slots, 2, 64)));
    // With follow and no node yet, the stream appears when the node does: wait for that as long as it takes.
    return PipeWireSource.fromHelper({ kind: 'pipewire', args, stream: options.name, label: `PipeWire ${options.node}`, formatTimeoutMs: options.follow ? 2 ** 31 - 1 : 15000 });
  }

  /** Starts the helper and resolves once the bus stream exists (its first format). For sources built on the bridge. */
  static async fromHelper(spec: HelperSourceSpec): Promise<PipeWireSource> {
    const helper = PipeWireHelper.start(spec.args);
    helper.onEvent = spec.onEvent;
    try {
      const format = await helper.next('format', spec.formatTimeoutMs);
      return new PipeWireSource(helper, spec, format);
    } catch (e) {
      await helper.stop();
      throw e;
    }
  }

  private onEvent(e: HelperEvent): void {
    this.spec.onEvent?.(e);
    if (e.event === 'stats') this.counts = { published: Number(e.published), dropped: Number(e.dropped) };
    else if (e.event === 'format') {
      this.description = describe(this.label, e);
      this.onNotice?.(`the node's format is now ${e.width}x${e.height} ${e.format}`);
    } else if (e.event === 'gone') this.onNotice?.('the PipeWire node went away; waiting for it to come back');
    else if (e.event === 'node') this.onNotice?.(`following PipeWire node ${e.id} "${e.description || e.name}"`);
  }

  stats(): SourceStats {
    return { ...this.counts };
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.helper.stop();
    this.completion.resolve();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function describe(label: string, f: HelperEvent): string {
  const fps = Number(f.fpsNum) / Number(f.fpsDen);
  return `${label} ${f.width}x${f.height} ${f.format} @ ${Number.isFinite(fps) ? Math.round(fps * 100) / 100 : '?'} fps`;
}

/** A PipeWire node onto a bus stream: `await createPipeWireSource({ node: 'my-camera', name: 'cam0' })`. */
export function createPipeWireSource(options: PipeWireSourceOptions): Promise<PipeWireSource> {
  return PipeWireSource.create(options);
}

/** `vidbus stream --pipewire <node>`. */
export const pipewireSourceKind: SourceKind<PipeWireSourceOptions> = {
  kind: 'pipewire',
  argument: 'node',
  summary: 'a PipeWire video node (id, serial, name or description; `vidbus devices` lists them)',
  options: { follow: { type: 'boolean', help: 'wait for the source to come back when it goes away, and resume' } },
  fromCli(node, common, values) {
    if (common.width !== undefined || common.fps !== undefined || common.format !== undefined) {
      throw invalidOption('--size/--fps/--format', 'none: a PipeWire node is published in the format it negotiates', [common.width && `${common.width}x${common.height}`, common.fps, common.format].filter(Boolean).join(' '));
    }
    return { node: String(node), name: common.name, ...(values.follow === true ? { follow: true } : {}) };
  },
  create: (options) => PipeWireSource.create(options),
};
