/**
 * The sink contract: where the virtual-camera service (src/daemon/) hands
 * its frames. A sink has one fixed layout, chosen when it is opened; the
 * service fits every bus frame (any size, any format) to it and calls
 * write() once per frame, at the camera's rate. Backends register by name
 * so that `vidbus vcam --backend <name>` and `VcamService.start({ backend })`
 * find them:
 *
 *   registerSink({ name: 'counting', summary: '...', formats: RAW_FORMATS, open: (o) => new CountingSink(o) });
 *
 * A new backend (PipeWire, a network sender) is one file that exports its
 * SinkBackend, plus one line in `builtin.ts`.
 */
import { VidbusError } from '../errors.js';
import { Registry } from '../util/registry.js';
import type { FrameLayout, RawFormat } from '../video/formats.js';

/** What a sink is asked for. */
export interface SinkOpenOptions {
  /** pixels */
  width: number;
  /** pixels */
  height: number;
  /** the format readers get */
  format: RawFormat;
  /** the nominal frame rate announced to readers */
  fps: number;
  /** which target of the backend: a device path or card label for v4l2loopback, a node name for pipewire; backends define their own */
  target?: string;
  /** what readers should list it as, where the backend can choose (pipewire's node.description; a loopback device's label is fixed at modprobe) */
  label?: string;
}

/** An open sink. */
export interface FrameSink extends Disposable {
  /** the backend's registered name */
  readonly backend: string;
  /** where the frames go, e.g. /dev/video10 */
  readonly target: string;
  /** what readers see it as, e.g. the camera's label */
  readonly label: string;
  /** the fixed layout every written frame has */
  readonly layout: FrameLayout;
  /** things a person should know while it runs (its target went away, is back); set by the owner, for backends that have any */
  onNotice?: ((message: string) => void) | undefined;
  /** Takes one frame of exactly layout.frameBytes bytes (longer buffers: the first frameBytes). */
  write(frame: Uint8Array): void;
  /** Releases the target. Idempotent. */
  close(): void;
}

/** What a camera asks a sink for: its picture, plus the user's device (the target) and name (the label) when given. */
export function cameraSinkOptions(picture: { width: number; height: number; format: RawFormat; fps: number }, device?: string, name?: string): SinkOpenOptions {
  return { ...picture, ...(device !== undefined ? { target: device } : {}), ...(name !== undefined ? { label: name } : {}) };
}

/** A kind of sink, registered by name. */
export interface SinkBackend {
  /** the name `--backend` takes */
  readonly name: string;
  /** one line for the usage */
  readonly summary: string;
  /** the raw formats it can give readers */
  readonly formats: readonly RawFormat[];
  /** Opens the target with this fixed layout; throws a VidbusError saying what to do when it cannot. */
  open(options: SinkOpenOptions): FrameSink | Promise<FrameSink>;
}

const registry = new Registry<SinkBackend>('sink backend');

/** Adds a backend. Throws if the name is taken. */
export function registerSink(backend: SinkBackend): void {
  registry.add(backend.name, backend);
}

/** Removes a backend (tests that register toys clean up with this). */
export function unregisterSink(name: string): void {
  registry.remove(name);
}

/** Every registered backend, in registration order. */
export function sinkBackends(): SinkBackend[] {
  return registry.all();
}

/** The backend registered under `name`; ERR_INVALID_OPTION with the known names otherwise. */
export function findSink(name: string): SinkBackend {
  return registry.find(name);
}

/** Opens a sink of a registered backend, checking the format against what it supports. */
export async function openSink(name: string, options: SinkOpenOptions): Promise<FrameSink> {
  const backend = findSink(name);
  if (!backend.formats.includes(options.format)) {
    throw new VidbusError('ERR_INVALID_OPTION', `The ${name} backend gives readers ${backend.formats.join(', ')}; received ${options.format}`);
  }
  return backend.open(options);
}
