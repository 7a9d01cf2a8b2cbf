import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { candidatePaths, loadNative, NATIVE_EXPORTS } from '../../src/native/binding.js';
import { isVidbusError } from '../../src/index.js';

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

  it('lists where it looks for the addon', () => {
    const paths = candidatePaths();
    assert.ok(paths.some((p) => p.endsWith('build/Release/vidbus_native.node')));
  });
});
