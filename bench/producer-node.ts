/**
 * Benchmark producer on vidbus, the Node side of the paced producer table:
 * bench/producer-node.js NAME WxH FPS FRAMES [--consumers K] [--idle].
 * Creates the stream (which starts the warm-up, as any producer's does),
 * waits for K consumers, then publishes FRAMES frames on an absolute clock
 * grid with setTimeout, the way a Node program paces itself, loaning each
 * slot and publishing it without drawing (as `vidbus-produce -z -t` does
 * in C). Prints the same summary as `vidbus-produce -t`: how long each
 * loan() + publish() took (µs) and this process's CPU over the frames
 * after the first WARM_UP_FRAMES. Closes the stream at the end, which ends
 * the consumers. With --idle it runs the same paced loop without loaning or
 * publishing: the CPU a paced Node loop costs by itself, so that the
 * producer's own CPU per frame is the difference.
 */
import { createProducer, warmUp } from '../src/index.js';
import { numberOption } from './args.js';
import { WARM_UP_FRAMES } from './frame-recorder.js';

const [name, size, fpsText, framesText] = process.argv.slice(2);
const [width, height] = (size ?? '').split('x').map(Number);
const fps = Number(fpsText);
const frames = Number(framesText);
if (!name || !(width! > 0) || !(height! > 0) || !(fps > 0) || !(frames > WARM_UP_FRAMES)) {
  throw new Error('usage: producer-node.js NAME WxH FPS FRAMES [--consumers K] [--idle]');
}
const consumers = numberOption('--consumers', 1);
const idle = process.argv.includes('--idle');

const producer = await createProducer(name, { width: width!, height: height!, format: 'RGBA', slots: 8, fps });
try {
  // As a latency-critical producer would: its publish path optimised
  // before the first frame (createProducer started it).
  await warmUp();
  const giveUp = Date.now() + 10_000;
  while (producer.stats().consumers < consumers && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 5));
  const tookUs = new Float64Array(frames);
  const period = 1000 / fps;
  const started = performance.now();
  let cpuFrom: NodeJS.CpuUsage | undefined;
  for (let n = 0; n < frames; n++) {
    await new Promise((r) => setTimeout(r, Math.max(0, started + (n + 1) * period - performance.now())));
    if (n === WARM_UP_FRAMES) cpuFrom = process.cpuUsage();
    const loanedAt = process.hrtime.bigint();
    if (idle) {
      tookUs[n] = Number(process.hrtime.bigint() - loanedAt) / 1000;
      continue;
    }
    const frame = producer.loan();
    if (frame === null) continue; // counted as dropped in the summary
    producer.publish(frame);
    tookUs[n] = Number(process.hrtime.bigint() - loanedAt) / 1000;
  }
  const cpu = process.cpuUsage(cpuFrom);
  const { published, dropped } = producer.stats();
  process.stdout.write(
    `${JSON.stringify({
      type: 'summary',
      published,
      dropped,
      cpuMs: (cpu.user + cpu.system) / 1000,
      cpuFrames: frames - WARM_UP_FRAMES,
      publishUs: Array.from(tookUs.subarray(WARM_UP_FRAMES)),
    })}\n`,
  );
} finally {
  producer.close();
}
