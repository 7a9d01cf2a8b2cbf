import { describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { candidatePaths, loadNative, NATIVE_EXPORTS } from '../../src/native/binding.js';
import { ERROR_CODES, VidbusError } from '../../src/errors.js';
import { isVidbusError } from '../../src/index.js';
import { FdWatch } from '../../src/native/fd-watch.js';
import { closeFd, openWakeSender, openWakeSocket, sendWake } from '../../src/native/shm.js';

describe('native binding', () => {
  it('exports exactly the functions the Native interface declares', () => {
    const native = loadNative();
    assert.deepEqual(Object.keys(native).sort(), [...NATIVE_EXPORTS].sort());
    for (const name of NATIVE_EXPORTS) assert.equal(typeof native[name], 'function', name);
  });

  it('throws typed errors with errno and syscall for failed syscalls', () => {
    const native = loadNative();
    try {
      native.mmap(987654, 4096, false, false);
      assert.fail('mmap on a bad fd must throw');
    } catch (e) {
      assert.ok(isVidbusError(e, 'ERR_SYSCALL'));
      assert.equal(e.errno, 'EBADF');
      assert.equal(e.syscall, 'mmap');
    }
  });

  it('rejects out-of-range words instead of touching memory', () => {
    const native = loadNative();
    const buffer = new ArrayBuffer(8);
    assert.throws(() => native.futexWake(buffer, 8, 1), /outside the buffer/);
    assert.throws(() => native.futexWake(buffer, 2, 1), /misaligned/);
    assert.throws(() => native.futexWake(buffer, -4, 1), /outside/);
  });

  it('pixel kernels refuse descriptors that do not fit their buffers', () => {
    const native = loadNative();
    // [format, width, height, offset0, stride0, offset1, stride1, offset2, stride2]; 1 = RGBA, 5 = YUYV, 8 = I420
    const rgba = (w: number, h: number, stride = w * 4, offset = 0) => Int32Array.of(1, w, h, offset, stride, 0, 0, 0, 0);
    const yuyv = (w: number, h: number) => Int32Array.of(5, w, h, 0, w * 2, 0, 0, 0, 0);
    const box = (x: number, y: number, w: number, h: number) => Int32Array.of(x, y, w, h);
    const src = new Uint8Array(16 * 16 * 4);
    const dst = new Uint8Array(16 * 16 * 2);
    native.pixelsFit(src, rgba(16, 16), dst, yuyv(16, 16), box(0, 0, 16, 16)); // the valid call works
    const bad: [string, () => void][] = [
      ['stride past the end', () => native.pixelsFit(src, rgba(16, 16, 68), dst, yuyv(16, 16), box(0, 0, 16, 16))],
      ['offset past the end', () => native.pixelsFit(src, rgba(16, 16, 64, 4), dst, yuyv(16, 16), box(0, 0, 16, 16))],
      ['negative offset', () => native.pixelsFit(src, rgba(16, 16, 64, -64), dst, yuyv(16, 16), box(0, 0, 16, 16))],
      ['stride below the row', () => native.pixelsFit(src, rgba(16, 16, 60), dst, yuyv(16, 16), box(0, 0, 16, 16))],
      ['odd YUYV width', () => native.pixelsFit(src, rgba(15, 16), dst, yuyv(15, 16), box(0, 0, 15, 16))],
      ['unknown format', () => native.pixelsFit(src, Int32Array.of(99, 4, 4, 0, 16, 0, 0, 0, 0), dst, yuyv(16, 16), box(0, 0, 16, 16))],
      ['huge size', () => native.pixelsFit(src, rgba(1 << 20, 1), dst, yuyv(16, 16), box(0, 0, 16, 16))],
      ['box outside', () => native.pixelsFit(src, rgba(16, 16), dst, yuyv(16, 16), box(8, 0, 16, 16))],
      ['empty box', () => native.pixelsFit(src, rgba(16, 16), dst, yuyv(16, 16), box(0, 0, 0, 16))],
      ['chroma planes missing', () => native.pixelsFit(src, rgba(16, 16), dst, Int32Array.of(8, 16, 16, 0, 16, 256, 8, 480, 8), box(0, 0, 16, 16))],
      ['short descriptor', () => native.pixelsFit(src, Int32Array.of(1, 16, 16), dst, yuyv(16, 16), box(0, 0, 16, 16))],
      ['not bytes', () => native.pixelsFit(new Uint16Array(8) as unknown as Uint8Array, rgba(2, 1), dst, yuyv(16, 16), box(0, 0, 16, 16))],
    ];
    for (const [what, call] of bad) assert.throws(call, (e) => e instanceof VidbusError && e.code === 'ERR_NATIVE_ARGUMENT', what);
  });

  it('copies rows with their pitch and stride, sets alpha when asked, and refuses rows outside either buffer', () => {
    const native = loadNative();
    // A 3x2 source with 16-byte rows (4 bytes of padding) at offset 8; alpha bytes 0.
    const src = new Uint8Array(8 + 2 * 16).map((_, i) => (i % 4 === 3 ? 0 : i));
    const dst = new Uint8Array(2 * 12);
    native.pixelsCopyRows(src, 8, 16, dst, 12, 12, 2, true);
    for (let y = 0; y < 2; y++)
      for (let i = 0; i < 12; i++) assert.equal(dst[y * 12 + i], i % 4 === 3 ? 255 : src[8 + y * 16 + i], `row ${y} byte ${i}`);
    native.pixelsCopyRows(src, 8, 16, dst, 12, 12, 2, false);
    assert.equal(dst[3], 0, 'alpha copied as is without opaque');
    const inPlace = new Uint8Array(64 + 3).subarray(3); // any alignment
    native.pixelsOpaque(inPlace);
    assert.ok(inPlace.every((v, i) => v === (i % 4 === 3 ? 255 : 0)));
    const bad: [string, () => void][] = [
      ['source rows past the end', () => native.pixelsCopyRows(src, 8, 16, dst, 12, 12, 3, true)],
      ['offset past the end', () => native.pixelsCopyRows(src, 40, 16, dst, 12, 12, 1, true)],
      ['destination too small', () => native.pixelsCopyRows(src, 8, 16, dst.subarray(0, 20), 12, 12, 2, true)],
      ['pitch below the row', () => native.pixelsCopyRows(src, 8, 8, dst, 12, 12, 2, true)],
      ['huge rows', () => native.pixelsCopyRows(src, 8, 16, dst, 12, 12, 2 ** 40, true)],
      ['opaque rows of partial pixels', () => native.pixelsCopyRows(src, 8, 16, dst, 12, 10, 2, true)],
      ['opaque of partial pixels', () => native.pixelsOpaque(new Uint8Array(6))],
    ];
    for (const [what, call] of bad) assert.throws(call, (e) => e instanceof VidbusError && e.code === 'ERR_NATIVE_ARGUMENT', what);
  });

  it('throws only VidbusErrors, whatever the addon refuses', () => {
    const native = loadNative();
    const calls: [string, () => unknown][] = [
      ['too few arguments', () => (native.futexWake as unknown as () => number)()],
      ['not a number', () => native.lockTry('x' as unknown as number, 0, true)],
      ['failed syscall', () => native.fallocate(987654, 4096)],
      ['not a JPEG', () => native.jpegHeader(native.jpegCreate(), new Uint8Array([1, 2, 3]))],
      ['wrong handle', () => native.jpegHeader({} as never, new Uint8Array(4))],
    ];
    for (const [what, call] of calls) {
      assert.throws(call, (e) => e instanceof VidbusError && ERROR_CODES.includes(e.code), what);
    }
  });

  it('watches a file descriptor on the event loop, and stops idempotently', async () => {
    const native = loadNative();
    const dir = mkdtempSync(join(tmpdir(), 'vidbus-fdwatch-'));
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    try {
      let calls = 0;
      const readable = new Promise<void>((resolve) => {
        const handle = native.fdWatchStart(fd, (status, events) => {
          calls++;
          assert.equal(status, 0);
          assert.ok(events & 1, 'UV_READABLE');
          readSync(fd, Buffer.alloc(16)); // drain, or a level-triggered watch fires again
          native.fdWatchStop(handle);
          native.fdWatchStop(handle);
          resolve();
        });
      });
      writeSync(fd, 'x');
      await readable;
      writeSync(fd, 'y'); // after stop: no more calls
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(calls, 1);
      assert.throws(() => native.fdWatchStart(openSync('/dev/null', 'r'), () => undefined), { code: 'ERR_PERMISSION' }, 'epoll refuses /dev/null with EPERM');
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a watch stamps each report and takes one datagram after each callback, so a wake that lands during the callback is reported next', async () => {
    const token = (BigInt(process.pid) << 20n) | 0x5a5n;
    const socket = openWakeSocket(token);
    assert.ok(socket !== null);
    const sender = openWakeSender();
    const stamp = new BigInt64Array(new ArrayBuffer(8));
    const reports: bigint[] = [];
    let watch: FdWatch | undefined;
    try {
      const two = new Promise<void>((resolve) => {
        watch = new FdWatch(
          socket,
          () => {
            reports.push(stamp[0]!);
            // The next sleep's wake, sent while this one is handled: the
            // watch must not take it with this report's datagram.
            if (reports.length === 1) assert.equal(sendWake(sender, token), 0);
            if (reports.length === 2) resolve();
          },
          { drain: 'datagram', stamp },
        );
      });
      const before = process.hrtime.bigint();
      assert.equal(sendWake(sender, token), 0);
      await two;
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(reports.length, 2, 'one report per datagram, and none once both are taken');
      assert.ok(reports[0]! >= before && reports[1]! >= reports[0]! && reports[1]! <= process.hrtime.bigint(), 'CLOCK_MONOTONIC at each report');
    } finally {
      watch?.stop();
      closeFd(socket);
      closeFd(sender);
    }
  });

  it('lists where it looks for the addon', () => {
    const paths = candidatePaths();
    assert.ok(paths.some((p) => p.endsWith('build/Release/vidbus_native.node')));
  });
});
