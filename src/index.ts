/**
 * vidbus: a zero-copy local video frame bus, and a virtual webcam that
 * just works. See docs/architecture.md.
 *
 * This root holds the bus (producers, consumers, frames, streams), errors,
 * pixel formats and conversions, the pyvirtualcam-style VirtualCamera, and
 * the source and sink registries. Larger parts have their own entry points:
 * `vidbus/camera` (V4L2 capture and device discovery), `vidbus/vcam` (the
 * virtual-camera service and its backends), `vidbus/sources` (the test
 * pattern and ffmpeg inputs) and `vidbus/effects` (background effects).
 *
 * @module
 */
export { createProducer, Producer, LoanedFrame } from './bus/producer.js';
export type { ProducerOptions, PublishOptions, ProducerStats, SharedSlot } from './bus/producer.js';
export { openConsumer, Consumer } from './bus/consumer.js';
export { warmUp } from './bus/warm-up.js';
export type { ConsumerOptions, ConsumerStats, ConsumerEvents, NextOptions, LostReason, SubscribeOptions, Subscription, Wakeup } from './bus/consumer.js';
export type { EarlyWakeStats } from './bus/early-wake.js';
export { Frame } from './bus/frame.js';
export { listStreams, inspectStream } from './bus/streams.js';
export type { StreamInfo, StreamStatus, ListOptions } from './bus/streams.js';
export type { StreamDescription } from './bus/header.js';
export type { ConsumerInfo, Policy } from './bus/ctl.js';
export type { LatencySummary } from './util/latency.js';
export { reclaimStream } from './bus/reclaim.js';
export type { ReclaimResult } from './bus/reclaim.js';
export { VidbusError, isVidbusError } from './errors.js';
export type { VidbusErrorCode, VidbusErrorDetails } from './errors.js';
export { frameLayout, formatInfo, fpsToRational, isPixelFormat, isRawFormat, PIXEL_FORMATS, RAW_FORMATS, ENCODED_FORMATS } from './video/formats.js';
export type { PixelFormat, RawFormat, EncodedFormat, FrameLayout, FormatInfo, LayoutOptions, Plane, PlaneSpec, Rational } from './video/formats.js';
export { convertFrame, fitFrame, canConvert } from './video/convert.js';
export { VirtualCamera } from './sinks/virtual-camera.js';
export type { VirtualCameraOptions } from './sinks/virtual-camera.js';
export { findSource, createSource, registerSource, sourceKinds, unregisterSource } from './sources/builtin.js';
export type { CommonSourceArgs, Source, SourceCliOption, SourceKind, SourceStats } from './sources/source.js';
export { findSink, openSink, registerSink, sinkBackends, unregisterSink } from './sinks/builtin.js';
export type { FrameSink, SinkBackend, SinkOpenOptions } from './sinks/sink.js';
