/**
 * Benchmark consumer for the peer a Node developer would otherwise write:
 * whole frames over a UNIX socket with `net`, reassembled with `onread`
 * straight into a frame buffer (the faster of the two Node ways measured in
 * ../shared/perf-baselines.md). bench/consumer-socket.js PATH FRAME_BYTES
 */
import { connect } from 'node:net';

const [path, frameArg] = process.argv.slice(2);
const frameBytes = Number(frameArg) + 16;
const frame = Buffer.alloc(frameBytes);
let filled = 0;
const latencies: number[] = [];
let cpuStart: NodeJS.CpuUsage | undefined;
let first = 0n;
let last = 0n;
const socket = connect({
  path: path!,
  onread: {
    buffer: () => frame.subarray(filled),
    callback: (n: number) => {
      filled += n;
      if (filled === frameBytes) {
        const now = process.hrtime.bigint();
        if (cpuStart === undefined) {
          cpuStart = process.cpuUsage();
          first = now;
        }
        last = now;
        latencies.push(Number(now - frame.readBigUInt64LE(8)) / 1000);
        filled = 0;
      }
      return true;
    },
  },
});
socket.on('close', () => {
  const cpu = process.cpuUsage(cpuStart);
  process.stdout.write(`${JSON.stringify({ received: latencies.length, seconds: Number(last - first) / 1e9, cpuMs: (cpu.user + cpu.system) / 1000, latencies })}\n`);
});
