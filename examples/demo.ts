/**
 * vidbus demo: a test-pattern stream, a consumer in another process with
 * live stats, a browser preview (a local URL with an access token), and the
 * virtual camera where a v4l2loopback device is free. Ctrl-C stops
 * everything and leaves nothing behind.
 *   node dist/examples/demo.js [--width 1280] [--height 720] [--fps 30] [--seconds N] [--name demo]
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createProducer, isVidbusError, listLoopbackDevices, type Producer } from '../src/index.js';
import { VcamService } from '../src/daemon/vcam-service.js';
import { MODPROBE_LINE } from '../src/sinks/v4l2loopback.js';
import { drawPattern } from '../src/video/pattern.js';
import { WebPreview } from '../src/sinks/web-preview.js';

function arg(flag: string, fallback: string): string {
  const i = process.argv.indexOf(flag);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const width = Number(arg('--width', '1280'));
const height = Number(arg('--height', '720'));
const fps = Number(arg('--fps', '30'));
const seconds = Number(arg('--seconds', '0'));
const name = arg('--name', `demo-${process.pid}`);

let producer: Producer;
try {
  producer = await createProducer(name, { width, height, format: 'RGBA', fps, slots: 4 });
} catch (e) {
  console.error(isVidbusError(e) ? `vidbus demo: ${e.message}` : e);
  process.exit(2);
}
const consumerScript = fileURLToPath(new URL('./consumer.js', import.meta.url));
const consumer = spawn(process.execPath, [consumerScript, name, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
console.log(`vidbus demo: stream "${name}" ${width}x${height} RGBA @ ${fps} fps -> consumer pid ${consumer.pid}${seconds ? ` for ${seconds} s` : ' (Ctrl-C to stop)'}`);

// The virtual camera, where v4l2loopback offers a free device.
let vcam: VcamService | undefined;
const freeDevice = listLoopbackDevices().find((d) => d.canOutput);
if (freeDevice) {
  try {
    vcam = await VcamService.start({ from: name, device: freeDevice.path, width: width - (width % 2), height: height - (height % 2), fps: Math.round(fps) });
    console.log(`virtual camera: ${vcam.device} "${freeDevice.card}" shows this stream (open it in a browser or: ffplay ${vcam.device})`);
  } catch (e) {
    console.log(`virtual camera: not started: ${(e as Error).message}`);
  }
} else {
  console.log(`virtual camera: no free v4l2loopback device. For one: ${MODPROBE_LINE} (\`vidbus doctor\` explains more)`);
}
// The browser preview: local only, with a token in the URL.
let preview: WebPreview | undefined;
try {
  preview = await WebPreview.start({ stream: name });
  console.log(`preview: open ${preview.url} in a browser`);
} catch (e) {
  console.log(`preview: not started: ${(e as Error).message}`);
}

createInterface({ input: consumer.stdout! }).on('line', (line) => {
  const c = JSON.parse(line) as { received: number; fps: number; missed: number; p50Us: number; p99Us: number };
  const p = producer.stats();
  console.log(
    `producer: published ${p.published} dropped ${p.dropped} consumers ${p.consumers} | consumer: ${c.fps} fps, received ${c.received}, missed ${c.missed}, latency p50 ${c.p50Us} µs p99 ${c.p99Us} µs`,
  );
});

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  void vcam?.close();
  void preview?.close();
  producer.close();
  consumer.kill('SIGTERM');
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

let n = 0;
const started = Date.now();
const timer = setInterval(() => {
  if (seconds > 0 && Date.now() - started >= seconds * 1000) return stop();
  const frame = producer.loan();
  if (!frame) return;
  drawPattern(frame.data, producer.layout, n++);
  producer.publish(frame);
}, 1000 / fps);
await new Promise((resolve) => consumer.on('exit', resolve));
await vcam?.close();
await preview?.close();
