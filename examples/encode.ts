/**
 * Encode a stream on the bus and record the encoded stream without
 * re-encoding: a test pattern, an H.264 stage over it, and an MP4 recorder
 * reading the H.264 stream (the encoder idles until the recorder reads).
 *   node dist/examples/encode.js [out.mp4] [seconds]
 * Needs ffmpeg and the vidbus-encode helper (`make -C encoder`).
 */
import { createPatternSource } from '../src/api/sources.js';
import { startEncodeStage } from '../src/api/encode.js';
import { Recorder } from '../src/api/sinks.js';

const output = process.argv[2] ?? 'pattern.mp4';
const seconds = Number(process.argv[3] ?? 5);
const tag = `${process.pid}`;

await using pattern = await createPatternSource({ name: `example-raw-${tag}`, width: 640, height: 360, fps: 30 });
await using stage = await startEncodeStage({ input: pattern.stream, output: `example-h264-${tag}`, bitrate: 1_000_000, gop: 30 });
const encoding = await stage.ready();
console.log(`encoding ${encoding.input} ${encoding.width}x${encoding.height} to ${encoding.codec} with ${encoding.encoder}`);
const recorder = await Recorder.start({ stream: encoding.stream, output });
await new Promise((r) => setTimeout(r, seconds * 1000));
const file = await recorder.close();
const stats = stage.stats();
console.log(`recorded ${file.frames} frames (${(file.bytes / 1e3).toFixed(0)} kB) to ${output}; the stage encoded ${stats.frames}, ${stats.keyframes} keyframes, encoder p50 ${(stats.encoderP50Us / 1000).toFixed(2)} ms`);
