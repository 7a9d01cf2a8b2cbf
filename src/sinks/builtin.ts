/**
 * The sink backends vidbus ships, registered once. A new backend is a file
 * that exports its SinkBackend, plus one line here.
 */
import { loopbackSinkBackend } from './v4l2loopback.js';
import { memorySinkBackend, nullSinkBackend } from './memory-sink.js';
import { pipewireSinkBackend } from './pipewire.js';
import { registerSink, sinkBackends } from './sink.js';
import { resolveLoopbackDevice } from '../devices/loopback.js';
import { isVidbusError, VidbusError } from '../errors.js';

if (sinkBackends().length === 0) {
  registerSink(loopbackSinkBackend);
  registerSink(memorySinkBackend);
  registerSink(nullSinkBackend);
  registerSink(pipewireSinkBackend);
}

/** The backend `vidbus vcam` uses when none is named. */
export const DEFAULT_SINK = 'v4l2loopback';

/** `--backend auto`: what it means, for the usage. */
export const AUTO_SINK = 'auto';

/**
 * `--backend auto`: v4l2loopback when a free loopback device matches
 * `target` (browsers see it without any switch), PipeWire otherwise (no
 * kernel module needed). Any other name is returned as it is.
 */
export function chooseSink(backend: string, target?: string): string {
  if (backend !== AUTO_SINK) return backend;
  try {
    resolveLoopbackDevice(target);
    return 'v4l2loopback';
  } catch (e) {
    if (!isVidbusError(e) || !['ERR_NO_LOOPBACK_DEVICE', 'ERR_DEVICE_BUSY', 'ERR_DEVICE_NOT_FOUND'].includes(e.code)) throw e;
    if (target !== undefined && target.startsWith('/')) throw new VidbusError(e.code, `${e.message} (--backend auto was given a device path, so PipeWire was not tried)`);
    return 'pipewire';
  }
}

export { cameraSinkOptions, findSink, openSink, registerSink, sinkBackends, unregisterSink } from './sink.js';
export type { FrameSink, SinkBackend, SinkOpenOptions } from './sink.js';
