/**
 * Warming the per-frame paths of consumers and producers before the first
 * real frame.
 *
 * At 30-60 frames a second V8 takes a minute or more to optimise the code
 * a consumer runs per frame, and until then that code costs tens of
 * microseconds a frame more (docs/architecture.md, "Per-frame cost";
 * `npm run bench` measures both). So the first openConsumer() or
 * createProducer() of a process starts running the whole path in the background (it does not
 * wait for it: a stream may be short, and real frames that arrive
 * meanwhile are delivered between its steps), subscribe() and `for await`, over a
 * private stream: a real Producer and Consumer over anonymous memory (no
 * file in /dev/shm, nothing another process can see or that can outlive
 * this one), each frame published from the event loop while the consumer
 * sleeps, so that it arrives through the wake socket exactly as a real
 * one does. It takes 0.1-0.2 s, once per process (at most 2 s, and a
 * process that is done meanwhile exits at its end); if
 * anything in it fails, it is skipped (it never stands in the way of a
 * real consumer).
 */
import { activateRecord, Attachment } from './attach.js';
import type { Policy } from './ctl.js';
import { Consumer } from './consumer.js';
import { readHeader } from './header.js';
import { createPrivateProducer, type Producer } from './producer.js';
import { CtlViews } from './views.js';
import { Mapping } from '../native/shm.js';
import { monoNs } from '../util/clock.js';

/**
 * Frames per API in the long round: enough for V8 to optimise the
 * per-frame functions (test/bus/warm-up.test.ts checks it does). With 1000,
 * next() was marked for optimisation only at the very end about one time in
 * three and stayed unoptimised. VIDBUS_WARM_UP_ROUNDS=0 turns the warm-up off.
 */
const ROUNDS = Number(process.env.VIDBUS_WARM_UP_ROUNDS ?? 1500);

/** The most the warm-up may take (it normally takes 0.1-0.2 s). */
const BUDGET_MS = 2000;

let warming: Promise<void> | undefined;

/**
 * One object of each kind the per-frame paths handle, kept for the life of
 * the process (the last of its kind; closed, their mappings unmapped).
 * V8's optimised code refers weakly to the hidden classes ("maps") of the
 * objects it saw, and a map dies with the last object that has it, taking
 * all the code that depends on it along (`--trace-deopt`: "reason: weak
 * objects"). A consumer releases each frame before the next one comes and
 * a producer publishes each loaned frame at once, so at most GCs not one
 * Frame or LoanedFrame is alive: without these, the first full GC after
 * the warm-up (a few milliseconds later; its mappings count as external
 * memory) threw away the optimised take(), pumpFor(), Frame.release(),
 * publish() and pickSlot(), and they ran unoptimised for minutes.
 * test/bus/warm-up.test.ts checks that they stay optimised through GCs.
 */
const specimens = new Map<string, object>();
const keep = (kind: string, object: object): void => void specimens.set(kind, object);

/**
 * Runs the warm-up once per process; later calls wait for that one. Never
 * rejects. openConsumer() and createProducer() start it without waiting;
 * a latency-critical program awaits it first, so no frame of its own
 * meets unoptimised code.
 */
export function warmUp(): Promise<void> {
  warming ??= run().catch(() => undefined);
  return warming;
}

async function run(): Promise<void> {
  if (!(ROUNDS > 0)) return;
  // V8 optimises typed-array code on the promise that no ArrayBuffer has
  // been detached yet, and throws all such code away the first time one
  // is (an unmapped Mapping detaches its buffer; the warm-up's own do at
  // its end, and every attach unmaps a header). Break that promise first,
  // so the code optimised below already allows for it and survives.
  Mapping.anonymous(4096).release();
  // Short rounds first, to their end, with both policies: closing changes
  // what V8 has seen of the objects' fields and runs the end-of-stream
  // paths, and a branch V8 never saw would throw away the code optimised
  // in the long round the first time a real stream takes it.
  // Bounded: should wakes not work here (then each frame would wait for
  // the liveness check), the session's consumer is closed, which ends it.
  const started = performance.now();
  for (const [rounds, policy] of [[32, 'every'], [32, 'latest'], [ROUNDS, 'latest']] as const) {
    if (performance.now() - started > BUDGET_MS) return;
    await session(rounds, policy, started + BUDGET_MS);
  }
}

/** A private producer and consumer: `rounds` frames by subscribe(), `rounds` by `for await`, then both closed. */
async function session(rounds: number, policy: Policy, deadline: number): Promise<void> {
  const name = `warm-up-${process.pid}`;
  const { producer, mapping, ctlMapping } = createPrivateProducer(name, { width: 64, height: 16, format: 'RGBA', slots: 4, handleSignals: false });
  let consumer: Consumer | undefined;
  keep('producer', producer); // and with it its mappings
  try {
    // The consumer's own references, as attach() would hold them.
    mapping.retain();
    ctlMapping.retain();
    const desc = readHeader(mapping.buffer, name, mapping.length);
    activateRecord(new CtlViews(ctlMapping.buffer, desc.maxConsumers), 0, policy);
    const attachment = new Attachment(desc, -1, -1, mapping, ctlMapping, 0);
    consumer = new Consumer(name, policy, false, 2000, 250, 'auto', attachment);
    keep('consumer', consumer);
    keep('attachment', attachment);
    const ending = consumer;
    const timer = setTimeout(() => ending.close(), Math.max(0, deadline - performance.now()));
    try {
      await bySubscription(consumer, producer, rounds, policy === 'every');
      if (!consumer.isClosed) await byIteration(consumer, producer, rounds);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    consumer?.close();
    producer.close();
  }
}

let published = 0;

/** A 64x16 RGBA frame for write(). */
const WRITTEN = new Uint8Array(64 * 16 * 4);

/**
 * Publishes from the event loop, so the consumer is asleep when the frame
 * lands. Every 16th time two frames: the consumer takes two in one wake
 * (with policy 'latest', one skipped and counted missed), so those
 * branches are optimised too and a real stream's first skip does not undo
 * the optimisation. The producer's calls vary as real ones do (with and
 * without a capture time, write() as well as loan() + publish()), so a
 * producer's own publish path comes out optimised too.
 */
function publishLater(producer: Producer): void {
  setImmediate(() => {
    // The session may have ended meanwhile (its consumer had all it needed).
    if (producer.isClosed) return;
    try {
      for (let n = ++published % 16 === 0 ? 2 : 1; n > 0; n--) {
        if (published % 8 === 3) {
          const options = { timestamp: monoNs() };
          keep('write options', options);
          producer.write(WRITTEN, options);
          continue;
        }
        const frame = producer.loan();
        if (frame === null) continue;
        keep('loaned frame', frame);
        if (published % 2 === 0) {
          const options = { timestamp: monoNs(), keyframe: true };
          keep('publish options', options);
          producer.publish(frame, options);
        } else producer.publish(frame);
      }
    } catch {
      // Never let the warm-up throw where nobody catches it.
    }
  });
}

/**
 * subscribe() with one of two callbacks, a different one in the first
 * session. A real program's callback is yet another function: had V8 only
 * ever seen one here, it would inline that one into pumpFor() and throw
 * the code away at the first real frame (`--trace-deopt`: "wrong feedback
 * cell"), to optimise it again only seconds later. Two make the call
 * generic from the start.
 */
async function bySubscription(consumer: Consumer, producer: Producer, rounds: number, first: boolean): Promise<void> {
  let received = 0;
  const next = (): void => {
    if (++received >= rounds) sub.close();
    else publishLater(producer);
  };
  const sub = consumer.subscribe(
    first
      ? (frame) => {
          keep('frame', frame);
          next();
        }
      : (frame) => {
          next();
          keep('frame', frame);
        },
  );
  keep('subscription', sub);
  publishLater(producer);
  await sub.done;
}

async function byIteration(consumer: Consumer, producer: Producer, rounds: number): Promise<void> {
  let received = 0;
  publishLater(producer);
  for await (const frame of consumer) {
    keep('frame', frame);
    if (++received >= rounds) break;
    publishLater(producer);
  }
}
