/**
 * Benchmark consumer on vidbus: bench/consumer-bus.js NAME [--wakeup auto|futex|poll] [--api iterator|subscribe] [--frames N].
 * Notes publish -> "the application has the frame" for each frame, and
 * reports one JSON line at the stream's end.
 */
import { isVidbusError, openConsumer, warmUp, type Consumer, type Frame, type Wakeup } from '../src/index.js';
import { option } from './args.js';
import { FrameRecorder } from './frame-recorder.js';

const wakeup = option('--wakeup', 'auto') as Wakeup;
const api = option('--api', 'iterator');

// As a latency-critical program would: the per-frame path optimised
// before the first frame, not while the first ones arrive.
await warmUp();
// The producer may still be creating the stream: retry for a while.
let consumer: Consumer | undefined;
for (let attempt = 0; consumer === undefined; attempt++) {
  try {
    consumer = await openConsumer(process.argv[2]!, { policy: 'latest', wakeup });
  } catch (e) {
    if (!isVidbusError(e) || e.code !== 'ERR_STREAM_NOT_FOUND' || attempt > 500) throw e;
    await new Promise((r) => setTimeout(r, 10));
  }
}
const recorder = new FrameRecorder();
const note = (frame: Frame): void => recorder.note(process.hrtime.bigint(), frame.publishTimestamp, frame.seq);
if (api === 'subscribe') await consumer.subscribe(note).done;
else for await (const frame of consumer) note(frame);
process.stdout.write(recorder.report({ lowLatency: consumer.stats().lowLatency }));
