/**
 * `vidbus/camera`: V4L2 cameras onto the bus, and what video devices this
 * machine has (`vidbus info --json` and `vidbus doctor --json` report the
 * rest of the machine for scripts).
 *
 *   import { createCameraSource, listDevices } from 'vidbus/camera';
 *
 * @module
 */
export { createCameraSource, CameraSource, cameraSourceKind } from '../sources/camera.js';
export type { CameraSourceOptions, CameraNegotiated, CameraStats, CameraSourceEvents } from '../sources/camera.js';
export type { CaptureIo, SessionCounters } from '../sources/capture-session.js';
export { listDevices, formatDevices } from '../devices/discover.js';
export type { DeviceInfo, DeviceRole, FormatDetail, SizeWithRates } from '../devices/discover.js';
export type { DeviceCapabilities } from '../native/v4l2.js';
export type { FormatDescription, FrameRate, FrameRates, FrameSize } from '../native/v4l2-stream.js';
