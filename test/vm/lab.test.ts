/**
 * The VM lab, from the host: boots Debian's kernel, runs the guest suite
 * (test/vm/guest) inside, and checks the lab's own contract: exit status,
 * timeout, results folder, nothing left behind. Shown as skipped, with the
 * reason, where the lab's packages are not installed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { labUnavailableReason, runInVm } from './lab.js';

const reason = labUnavailableReason();
/** This run's leftovers only: other labs may run on the machine at the same time. */
function assertCleanedUp(result: { workDir: string; qemuPid: number | undefined }): void {
  assert.equal(existsSync(result.workDir), false, `${result.workDir} was left behind`);
  assert.ok(result.qemuPid !== undefined);
  assert.throws(() => process.kill(result.qemuPid!, 0), { code: 'ESRCH' }, `qemu ${result.qemuPid} still runs`);
}

describe('VM lab', { skip: reason ? `VM lab unavailable: ${reason} (scripts/setup.sh installs it)` : false }, () => {
  it('runs the guest suite against real v4l2loopback and vivid', { timeout: 1260000 }, async () => {
    const chunks: Buffer[] = [];
    const result = await runInVm({ command: 'node scripts/run-tests.mjs --guest', timeoutMs: 1200000, onOutput: (c) => chunks.push(c) });
    const output = Buffer.concat(chunks).toString();
    if (result.status !== 0) process.stderr.write(output);
    assert.equal(result.status, 0, 'guest suite failed (its output is above)');
    assert.match(output, /ℹ pass [1-9]/);
    assert.match(output, /ℹ fail 0/);
    assert.doesNotMatch(output, /ℹ skipped [1-9]/, 'no guest test may skip inside the VM');
  });

  it("returns the command's status and its results, and leaves nothing behind", { timeout: 300000 }, async () => {
    const result = await runInVm({ command: 'echo from-guest > "$VIDBUS_VM_RESULTS/out.txt"; exit 7', timeoutMs: 240000, onOutput: () => {} });
    assert.equal(result.status, 7);
    assert.equal(result.timedOut, false);
    assert.equal(result.results['out.txt']?.toString(), 'from-guest\n');
    assertCleanedUp(result);
  });

  it('keeps a working directory under /tmp visible although the guest gets a fresh /tmp', { timeout: 300000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-cwd-'));
    writeFileSync(join(dir, 'marker'), 'here');
    try {
      const result = await runInVm({ cwd: dir, command: 'test "$(cat marker)" = here && touch /tmp/writable', timeoutMs: 240000, onOutput: () => {} });
      assert.equal(result.status, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('kills the VM at the timeout and still cleans up', { timeout: 120000 }, async () => {
    const result = await runInVm({ command: 'sleep 600', timeoutMs: 3000, onOutput: () => {} });
    assert.equal(result.timedOut, true);
    assert.equal(result.status, 124);
    assertCleanedUp(result);
  });
});
