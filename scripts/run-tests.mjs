#!/usr/bin/env node
// Runs every compiled test file with node's test runner, then checks that
// the run left nothing behind in /dev/shm.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function find(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) find(path, out);
    else if (entry.name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

// --guest: the suite that runs inside the lab VM (test/vm/guest); otherwise
// everything else (the host suite boots the VM itself in test/vm/lab.test).
const guest = process.argv.includes('--guest');
const only = process.argv.slice(2).filter((a) => a !== '--guest');
const roots = only.length ? only : guest ? ['dist/test/vm/guest'] : ['dist/src', 'dist/test', 'dist/conformance', 'dist/gstreamer', 'dist/pipewire', 'dist/encoder'];
const files = roots
  .flatMap((d) => (d.endsWith('.js') ? [d] : find(d)))
  .filter((f) => guest || only.length || !f.includes('/vm/guest/'))
  .sort();
const before = new Set(readdirSync('/dev/shm'));
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
const leaked = readdirSync('/dev/shm').filter((f) => f.startsWith('vidbus-t-') && !before.has(f));
if (leaked.length) {
  console.error(`Tests left these in /dev/shm: ${leaked.join(', ')}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
