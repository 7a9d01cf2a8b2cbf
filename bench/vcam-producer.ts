/** Producer child for bench/vcam.ts: vcam-producer.js NAME WIDTH HEIGHT FORMAT FPS SECONDS */
import { createProducer, frameLayout, fitFrame, type RawFormat } from '../src/index.js';
import { drawPattern } from '../src/video/pattern.js';

const [name, w, h, format, fps, seconds] = process.argv.slice(2);
const width = Number(w);
const height = Number(h);
const producer = await createProducer(name!, { width, height, format: format as RawFormat, fps: Number(fps) });
const rgbaLayout = frameLayout('RGBA', width, height);
const rgba = new Uint8Array(rgbaLayout.frameBytes);
drawPattern(rgba, rgbaLayout, 1);
const frame = new Uint8Array(producer.layout.frameBytes);
fitFrame(rgba, rgbaLayout, frame, producer.layout);
process.stdout.write('ready\n');
const end = Date.now() + Number(seconds) * 1000;
const timer = setInterval(() => {
  producer.write(frame);
  if (Date.now() > end) {
    clearInterval(timer);
    producer.close();
  }
}, 1000 / Number(fps));
