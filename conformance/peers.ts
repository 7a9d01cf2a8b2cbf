/**
 * Starting producers and consumers in every language with one contract
 * (see conformance/peers/ts-peer.ts), and checking what consumers report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { formatInfo, frameLayout, type PixelFormat } from '../src/index.js';
import { patternChecksum } from './peers/pattern.js';

export type Lang = 'ts' | 'c' | 'python';
export const LANGS: Lang[] = ['ts', 'c', 'python'];

const root = fileURLToPath(new URL('../../', import.meta.url));
const TS_PEER = fileURLToPath(new URL('./peers/ts-peer.js', import.meta.url));
export const C_PRODUCE = `${root}libvidbus/build/vidbus-produce`;
export const C_CONSUME = `${root}libvidbus/build/vidbus-consume`;
const PY_PEER = `${root}python/tests/peer.py`;
/** Debian's python3, with python3-numpy (the project's Python is Debian's). */
export const PYTHON = '/usr/bin/python3';

/** Why the suite cannot run here, if it cannot. */
export function missingPeers(): string | undefined {
  if (!existsSync(C_CONSUME)) return 'libvidbus is not built (make -C libvidbus)';
  if (!existsSync(PYTHON)) return '/usr/bin/python3 is missing';
  return undefined;
}

export interface ProduceSpec {
  name: string;
  format: PixelFormat;
  width: number;
  height: number;
  count: number;
  fps: number;
  slots: number;
  /** consumers to wait for before publishing */
  waitFor?: number;
}

export interface ConsumeSpec {
  name: string;
  policy: 'every' | 'latest';
  count: number;
  timeoutMs: number;
  follow?: boolean;
  /** C only: keep this many frames held (crash tests) */
  hold?: number;
  /** no per-frame lines (and no checksums): benchmarks */
  statsOnly?: boolean;
}

export function produceCommand(lang: Lang, s: ProduceSpec): [string, string[]] {
  const size = `${s.width}x${s.height}`;
  if (lang === 'c') return [C_PRODUCE, [s.name, '-f', s.format, '-s', size, '-n', String(s.count), '-r', String(s.fps), '-l', String(s.slots), '-m', '-T', '-w', String(s.waitFor ?? 0)]];
  const args = ['produce', s.name, s.format, size, String(s.count), String(s.fps), String(s.slots), String(s.waitFor ?? 0)];
  return lang === 'ts' ? [process.execPath, [TS_PEER, ...args]] : [PYTHON, [PY_PEER, ...args]];
}

export function consumeCommand(lang: Lang, s: ConsumeSpec): [string, string[]] {
  if (lang === 'c') {
    return [C_CONSUME, [s.name, '-j', '-c', String(s.count), '-t', String(s.timeoutMs), ...(s.policy === 'every' ? ['-e'] : []), ...(s.follow ? ['-f'] : []), ...(s.hold ? ['-H', String(s.hold)] : []), ...(s.statsOnly ? ['-s'] : [])]];
  }
  const args = ['consume', s.name, s.policy, String(s.count), String(s.timeoutMs), ...(s.follow ? ['follow'] : []), ...(s.statsOnly ? ['stats'] : [])];
  return lang === 'ts' ? [process.execPath, [TS_PEER, ...args]] : [PYTHON, [PY_PEER, ...args]];
}

export type Line = Record<string, unknown> & { type: string };

/** A peer process speaking JSON lines. */
export class Peer {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  constructor(readonly label: string, [command, args]: [string, string[]]) {
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      try {
        this.lines.push(JSON.parse(text) as Line);
      } catch {
        this.stderr += `(stdout) ${text}\n`;
      }
      for (const w of this.waiters.splice(0)) w();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve(signal ? -1 : code)));
  }

  /** Resolves once a line of this type arrived. */
  async waitFor(type: string, timeoutMs = 20000): Promise<Line> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find((l) => l.type === type);
      if (found) return found;
      if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`${this.label}: no "${type}" line; stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  frames(): Line[] {
    return this.lines.filter((l) => l.type === 'frame');
  }

  async finish(timeoutMs = 30000): Promise<number | null> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

/** The problems with one consumer's frames against the pattern (empty when all is well). */
export function checkFrames(frames: Line[], s: { format: PixelFormat; width: number; height: number }): string[] {
  const layout = frameLayout(s.format, s.width, s.height);
  const problems: string[] = [];
  for (const f of frames) {
    const n = Number(f.seq) - 1;
    const want = {
      size: layout.frameBytes,
      format: s.format,
      width: s.width,
      height: s.height,
      checksum: patternChecksum(n, layout.frameBytes),
      timestamp: String(BigInt(n) * 1_000_000n + 42n),
      wallClock: String(10n ** 18n + BigInt(n)),
      meta: Buffer.from(new BigUint64Array([BigInt(n + 1)]).buffer).toString('hex'),
      keyframe: true,
    };
    for (const [key, value] of Object.entries(want)) {
      if (f[key] !== value) problems.push(`seq ${f.seq}: ${key} ${JSON.stringify(f[key])}, expected ${JSON.stringify(value)}`);
    }
  }
  if (formatInfo(s.format).encoded) problems.push('raw formats only');
  return problems;
}
