/**
 * The sink backends vidbus ships, registered once. A new backend is a file
 * that exports its SinkBackend, plus one line here.
 */
import { loopbackSinkBackend } from './v4l2loopback.js';
import { memorySinkBackend, nullSinkBackend } from './memory-sink.js';
import { registerSink, sinkBackends } from './sink.js';

if (sinkBackends().length === 0) {
  registerSink(loopbackSinkBackend);
  registerSink(memorySinkBackend);
  registerSink(nullSinkBackend);
}

/** The backend `vidbus vcam` uses when none is named. */
export const DEFAULT_SINK = 'v4l2loopback';

export { findSink, openSink, registerSink, sinkBackends, unregisterSink } from './sink.js';
export type { FrameSink, SinkBackend, SinkOpenOptions } from './sink.js';
