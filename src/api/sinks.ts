/**
 * `vidbus/sinks`: where frames leave vidbus besides the virtual camera:
 * recording to MP4, publishing to a media server (Janus over RTP, RTSP),
 * the browser preview, and the sink registry with its in-memory backends.
 *
 *   import { Recorder } from 'vidbus/sinks';
 *   await using rec = await Recorder.start({ stream: 'cam0', output: 'meeting.mp4' });
 *
 * @module
 */
export { Recorder } from '../sinks/recorder.js';
export type { RecorderOptions, RecorderStats } from '../sinks/recorder.js';
export { Publisher } from '../sinks/publisher.js';
export type { PublisherOptions, PublisherStats } from '../sinks/publisher.js';
export { WebPreview } from '../sinks/web-preview.js';
export type { WebPreviewOptions, WebPreviewStats } from '../sinks/web-preview.js';
export type { H264FeedStats } from '../sinks/web-preview-h264.js';
export { MemorySink, NullSink, memorySinkBackend, nullSinkBackend } from '../sinks/memory-sink.js';
export { DEFAULT_SINK, findSink, openSink, registerSink, sinkBackends, unregisterSink } from '../sinks/builtin.js';
export type { FrameSink, SinkBackend, SinkOpenOptions } from '../sinks/sink.js';
