/** The C floor (bench/c/floor.c): a minimal C shared-memory ring with a futex wake, built and run for a benchmark row. */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One measured configuration: delivered rate, publish -> consumer latency, CPU. */
export interface Row {
  fps: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  cpuMsPerFrame: number;
  producerCpuMsPerFrame?: number;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Compiles the floor into bench/out/ and returns its path. */
export function floorBinary(): string {
  const out = join(root, 'bench', 'out');
  mkdirSync(out, { recursive: true });
  const bin = join(out, 'floor');
  execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', bin, join(root, 'bench', 'c', 'floor.c')]);
  return bin;
}

/** The floor for `seconds` at one period (0: as fast as it goes). */
export function benchFloor(bin: string, w: number, h: number, consumers: number, periodMs: number, seconds: number): Row {
  const frames = periodMs === 0 ? 200000 : Math.round((seconds * 1000) / periodMs);
  const out = execFileSync(bin, [w, h, frames, Math.round(periodMs * 1000), consumers].map(String), { encoding: 'utf8' });
  return JSON.parse(out) as Row;
}
