/**
 * The source contract: where frames enter vidbus. A source publishes one
 * bus stream (it owns the producer) until it ends by itself (a file ends,
 * a camera is unplugged) or is closed. Every source, built in or added
 * later (screen capture, PipeWire), has this shape, and registers a kind
 * so that `vidbus stream --<flag>` and `createSource(kind, options)` find it:
 *
 *   registerSource({ kind: 'solid', summary: 'a solid colour', options: {...}, fromCli, create });
 *
 * A new source is one file (the class and its kind) plus one line in
 * `builtin.ts`.
 */
import { VidbusError } from '../errors.js';
import { invalidOption } from '../util/options.js';
import { Registry } from '../util/registry.js';
import { isRawFormat, RAW_FORMATS, type RawFormat } from '../video/formats.js';

/** Counters every source reports. */
export interface SourceStats {
  /** frames published to the stream */
  published: number;
  /** frames lost because every bus slot was held by consumers (the producer never waits) */
  dropped: number;
}

/** A running source: it owns the producer of one stream. */
export interface Source extends AsyncDisposable {
  /** the registered kind that made it, e.g. 'pattern' */
  readonly kind: string;
  /** the bus stream it publishes */
  readonly stream: string;
  /** one line for people: what it captures, at which size, format and rate */
  readonly description: string;
  /**
   * Resolves when the source ends by itself or is closed; rejects with a
   * VidbusError when it fails (for example ERR_DEVICE_GONE).
   */
  readonly done: Promise<void>;
  /** Frames published and dropped so far (the final counts once closed). */
  stats(): SourceStats;
  /** things a person should know while it runs (a camera went away, came back); set by the caller */
  onNotice: ((message: string) => void) | undefined;
  /** Stops publishing and removes the stream. Idempotent. */
  close(): Promise<void>;
}

/** An option a source kind adds to `vidbus stream`. */
export interface SourceCliOption {
  /** string options take a value, boolean ones do not */
  type: 'string' | 'boolean';
  /** the value's placeholder in the usage */
  value?: string;
  /** one line for the usage */
  help: string;
}

/** What `vidbus stream` parsed for every source: the stream name and the common options. */
export interface CommonSourceArgs {
  /** the stream to publish */
  name: string;
  /** from --size */
  width?: number;
  /** from --size */
  height?: number;
  /** frames per second (may be fractional) */
  fps?: number;
  /** as typed, upper-cased; each kind checks it */
  format?: string;
}

/** A kind of source: how the command line and createSource() make one. */
export interface SourceKind<Options extends object = object> {
  /** the name in the registry and in `createSource()` */
  readonly kind: string;
  /** the `vidbus stream` flag that selects it (default: the kind) */
  readonly flag?: string;
  /** string flags take the source's main argument, named by this placeholder (e.g. 'camera' for --device <camera>); boolean flags take none */
  readonly argument?: string;
  /** the value a string flag takes when it is given alone (`--screen` means `--screen auto`); without it the value is required */
  readonly argumentDefault?: string;
  /** one line for the usage */
  readonly summary: string;
  /** options only this kind takes (`vidbus stream` rejects them with other kinds) */
  readonly options: Readonly<Record<string, SourceCliOption>>;
  /**
   * Turns the command line into the kind's options. `main` is the flag's
   * value (true for boolean flags); `values` holds this kind's own options.
   * Throws VidbusError ERR_INVALID_OPTION (or the CLI's UsageError) for what it cannot use.
   */
  fromCli(main: string | true, common: CommonSourceArgs, values: Record<string, string | boolean | undefined>): Options;
  /** Creates the stream and starts publishing, until closed. */
  create(options: Options): Promise<Source>;
}

const registry = new Registry<SourceKind>('source kind');

/** Adds a kind of source. Throws if the kind or its flag is taken. */
export function registerSource<Options extends object>(kind: SourceKind<Options>): void {
  const flag = kind.flag ?? kind.kind;
  const clash = registry.all().find((other) => (other.flag ?? other.kind) === flag);
  if (clash) throw new VidbusError('ERR_INVALID_OPTION', `The flag --${flag} of source "${kind.kind}" is taken by "${clash.kind}"`);
  registry.add(kind.kind, kind as unknown as SourceKind);
}

/** Removes a kind (tests that register toys clean up with this). */
export function unregisterSource(kind: string): void {
  registry.remove(kind);
}

/** Every registered kind, in registration order. */
export function sourceKinds(): SourceKind[] {
  return registry.all();
}

/** The kind registered under `kind`; ERR_INVALID_OPTION with the known kinds otherwise. */
export function findSource(kind: string): SourceKind {
  return registry.find(kind);
}

/**
 * The size and raw format of `vidbus stream`'s common options, for kinds
 * that publish a raw format of the user's choice (checked here).
 */
export function rawSizeAndFormat(common: CommonSourceArgs): { width?: number; height?: number; format?: RawFormat } {
  if (common.format !== undefined && !isRawFormat(common.format)) throw invalidOption('--format', `a raw format (${RAW_FORMATS.join(', ')})`, common.format);
  return {
    ...(common.width !== undefined ? { width: common.width, height: common.height! } : {}),
    ...(common.format !== undefined ? { format: common.format } : {}),
  };
}

/** A source of a registered kind, publishing its stream: `createSource('pattern', { name: 'test' })`. */
export function createSource(kind: string, options: object): Promise<Source> {
  return findSource(kind).create(options);
}

/**
 * The `done` promise a source hands out: settled once, by the source, and
 * never an unhandled rejection when nobody awaits it.
 */
export class Completion {
  /** the promise handed out as `done` */
  readonly promise: Promise<void>;
  private settle!: { resolve: () => void; reject: (e: Error) => void };
  private settled = false;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    this.promise.catch(() => undefined);
  }

  /** Settles `done` as finished (later calls do nothing). */
  resolve(): void {
    if (this.settled) return;
    this.settled = true;
    this.settle.resolve();
  }

  /** Settles `done` as failed (later calls do nothing). */
  reject(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.settle.reject(error);
  }
}
