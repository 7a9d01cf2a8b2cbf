/**
 * The one-hop Node wake floor: a Node process woken through a wake socket
 * watched by its own event loop, exactly as a vidbus consumer is
 * (src/bus/wake.ts: the watch reads the clock before reporting and the
 * datagram after), with no bus logic.
 * bench/consumer-wake.js PATH TOKEN_HEX [--frames N]; bench/c/wake-floor.c sends.
 * Reports one JSON line when the sender sets word 1.
 */
import { openSync } from 'node:fs';
import { FdWatch } from '../src/native/fd-watch.js';
import { closeFd, Mapping, openWakeSocket } from '../src/native/shm.js';
import { FrameRecorder } from './frame-recorder.js';

const fd = openSync(process.argv[2]!, 'r');
const mapping = new Mapping(fd, 4096, false);
const words = new BigInt64Array(mapping.buffer);
const socket = openWakeSocket(BigInt(`0x${process.argv[3]}`));
if (socket === null) throw new Error('wake socket name taken');
const recorder = new FrameRecorder();
process.stdout.write('{"type":"ready"}\n');
const onReport = (): void => {
  const now = process.hrtime.bigint();
  if (Atomics.load(words, 1) === 1n) {
    watch.stop();
    closeFd(socket);
    process.stdout.write(recorder.report());
    return;
  }
  recorder.note(now, Atomics.load(words, 0));
};
const watch = new FdWatch(socket, onReport, { drain: 'datagram', stamp: new BigInt64Array(new ArrayBuffer(8)) });
