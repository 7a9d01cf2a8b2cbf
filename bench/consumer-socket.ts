/**
 * Benchmark consumer for the peer a Node developer would otherwise write:
 * whole frames over a UNIX socket with `net`, reassembled with `onread`
 * straight into a frame buffer (the faster of the two Node ways measured in
 * ../shared/perf-baselines.md). bench/consumer-socket.js PATH FRAME_BYTES [--frames N]
 */
import { connect } from 'node:net';
import { FrameRecorder } from './frame-recorder.js';

const [path, frameArg] = process.argv.slice(2);
const frameBytes = Number(frameArg) + 16;
const frame = Buffer.alloc(frameBytes);
let filled = 0;
const recorder = new FrameRecorder();
const socket = connect({
  path: path!,
  onread: {
    buffer: () => frame.subarray(filled),
    callback: (n: number) => {
      filled += n;
      if (filled === frameBytes) {
        recorder.note(process.hrtime.bigint(), frame.readBigUInt64LE(8), Number(frame.readBigUInt64LE(0)));
        filled = 0;
      }
      return true;
    },
  },
});
socket.on('close', () => {
  process.stdout.write(recorder.report());
});
