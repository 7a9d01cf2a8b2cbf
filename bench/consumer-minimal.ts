/**
 * The least a JavaScript bus consumer can pay per frame: evidence for
 * `npm run bench`, not an API. One function per wake, woken exactly as a
 * vidbus consumer is (its own wake socket, the watch reading the clock
 * before reporting and the datagram after): take the newest frame with
 * the hold protocol, note its latency, release it, announce the next
 * sleep. No Frame object, no statistics in the record, no policy, follow,
 * liveness or error handling. `vidbus, subscribe()` minus this row is what
 * the real consumer's bookkeeping costs; this row minus the wake floor is
 * what reading the bus at all costs in JavaScript on a cold CPU.
 *   bench/consumer-minimal.js NAME [--frames N]
 */
import { randomBytes } from 'node:crypto';
import { attach, type Attachment } from '../src/bus/attach.js';
import { D, R, StreamState, WaitMode } from '../src/bus/layout.js';
import { CtlViews, DataViews } from '../src/bus/views.js';
import { FdWatch } from '../src/native/fd-watch.js';
import { closeFd, openWakeSocket } from '../src/native/shm.js';
import { FrameRecorder } from './frame-recorder.js';

const name = process.argv[2]!;
let a: Attachment | undefined;
for (let attempt = 0; a === undefined && attempt < 500; attempt++) {
  const result = await attach(name, 'latest', 2000);
  if (result !== 'missing') a = result;
  else await new Promise((r) => setTimeout(r, 10));
}
if (a === undefined) throw new Error(`no stream ${name}`);
const stream = a;
const token = randomBytes(8).readBigUInt64LE() | 1n;
const socket = openWakeSocket(token);
if (socket === null) throw new Error('wake socket name taken');
const { i32, i64 } = stream.data;
const ctl32 = stream.ctl.i32;
const ctl64 = stream.ctl.i64;
Atomics.store(ctl64, CtlViews.rec64(stream.record, R.wakeToken), BigInt.asIntN(64, token));
const entry = stream.holdEntry[0]!;
const wokeAt = new BigInt64Array(new ArrayBuffer(8));
const recorder = new FrameRecorder();
// From the newest frame already published, as a consumer starts.
let lastSeq = Atomics.load(i64, DataViews.latestSeq);
if (lastSeq > 0n) lastSeq--;

function onWake(): void {
  Atomics.store(ctl32, stream.waitingWord, WaitMode.Awake);
  for (;;) {
    const latest = Atomics.load(i64, DataViews.latestSeq);
    if (latest > lastSeq) {
      const slot = Atomics.load(i32, DataViews.latestSlot);
      Atomics.store(ctl64, entry + 1, wokeAt[0]!);
      Atomics.store(ctl64, entry, latest);
      if (Atomics.load(i64, stream.desc64[slot]!) === latest) {
        lastSeq = latest;
        recorder.note(process.hrtime.bigint(), i64[stream.desc64[slot]! + D.publishMonoNs / 8]!, Number(latest));
      }
      Atomics.store(ctl64, entry, 0n);
    }
    if (Atomics.load(i32, DataViews.state) === StreamState.Closed) return finish();
    // Announce the sleep, then re-read notify (the Dekker pair with publish).
    const notify = Atomics.load(i32, DataViews.notify);
    Atomics.store(ctl32, stream.waitingWord, WaitMode.Socket);
    if (Atomics.load(i32, DataViews.notify) === notify) return;
    Atomics.store(ctl32, stream.waitingWord, WaitMode.Awake);
  }
}

function finish(): void {
  watch.stop();
  closeFd(socket!);
  stream.detach();
  process.stdout.write(recorder.report());
}

const watch = new FdWatch(socket, onWake, { drain: 'datagram', stamp: wokeAt });
onWake();
