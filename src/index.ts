/**
 * vidbus: a zero-copy local video frame bus.
 *
 * Producers publish frames into named shared-memory streams; consumers in
 * any process read them in place. See docs/architecture.md.
 */
export { createProducer, Producer, LoanedFrame } from './bus/producer.js';
export type { ProducerOptions, PublishOptions, ProducerStats, Rational } from './bus/producer.js';
export { openConsumer, Consumer } from './bus/consumer.js';
export type { ConsumerOptions, ConsumerStats, NextOptions, LostReason } from './bus/consumer.js';
export { Frame } from './bus/frame.js';
export { listStreams, inspectStream } from './bus/streams.js';
export type { StreamInfo, StreamStatus, ListOptions } from './bus/streams.js';
export type { StreamDescription } from './bus/header.js';
export type { RecordSnapshot as ConsumerInfo, Policy } from './bus/ctl.js';
export type { LatencySummary } from './bus/latency.js';
export { tryReclaim as reclaimStream } from './bus/reclaim.js';
export { VidbusError, isVidbusError } from './errors.js';
export type { VidbusErrorCode } from './errors.js';
export { frameLayout, formatInfo, PIXEL_FORMATS } from './video/formats.js';
export type { PixelFormat, RawFormat, EncodedFormat, FrameLayout, Plane } from './video/formats.js';
export { VirtualCamera } from './sinks/virtual-camera.js';
export type { VirtualCameraOptions } from './sinks/virtual-camera.js';
export { LoopbackOutput, listLoopbackDevices } from './sinks/v4l2loopback.js';
export { convertFrame, fitFrame, canConvert, rgbToYuv, yuvToRgb } from './video/convert.js';
export { createCameraSource, CameraSource } from './sources/camera.js';
export type { CameraSourceOptions, CameraNegotiated, CameraStats } from './sources/camera.js';
