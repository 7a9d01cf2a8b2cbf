/**
 * `vidbus/encode`: a raw bus stream into an H.264, HEVC or MJPEG bus stream,
 * with an existing encoder (libx264, libx265, a V4L2 memory-to-memory
 * encoder, libjpeg-turbo) run by the vidbus-encode helper (`make -C encoder`).
 *
 *   import { startEncodeStage } from 'vidbus/encode';
 *   await using stage = await startEncodeStage({ input: 'cam0', output: 'cam0-h264', bitrate: 4_000_000 });
 *
 * @module
 */
export { startEncodeStage, EncodeStage } from '../encode/encode-stage.js';
export type { EncodeCodec, EncoderChoice, EncodeReady, EncodeStageOptions, EncodeStats } from '../encode/encode-stage.js';
