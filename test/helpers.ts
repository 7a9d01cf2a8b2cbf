/** Shared helpers for cross-module tests: unique names, child processes, leak checks. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let counter = 0;
/** A stream name no other test (or test file running in parallel) uses. */
export function uniqueName(tag: string): string {
  return `t-${tag}-${process.pid}-${++counter}`;
}

export function shmEntries(prefix: string): string[] {
  return readdirSync('/dev/shm').filter((f) => f.startsWith(`vidbus-${prefix}`));
}

/**
 * Stops a child process the way a user would, so it cleans up after itself
 * (a producer removes its stream): SIGTERM unless it has exited, then waits
 * for it (SIGKILL after `graceMs`). A SIGKILL right after a producer's
 * stream ended could land between the end and the removal of its files and
 * leave them behind.
 */
export async function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

const here = dirname(fileURLToPath(import.meta.url));
export function fixture(name: string): string {
  return join(here, 'fixtures', `${name}.js`);
}

/** A child process that speaks JSON lines on stdout. */
export class Child {
  readonly process: ChildProcess;
  readonly messages: Record<string, unknown>[] = [];
  private waiters: { match: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';

  constructor(script: string, args: string[]) {
    this.process = spawn(process.execPath, [fixture(script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.process.stdout! }).on('line', (line) => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      this.messages.push(msg);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(msg)) return true;
        w.resolve(msg);
        return false;
      });
    });
    this.exited = new Promise((resolve) => this.process.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves with the first message (past or future) of this type. */
  waitFor(type: string, timeoutMs = 20000, extra: (m: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>> {
    const match = (m: Record<string, unknown>) => m.type === type && extra(m);
    const seen = this.messages.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for "${type}" from ${this.process.spawnargs.join(' ')}; stderr: ${this.stderr}`)),
        timeoutMs,
      );
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill(signal);
    await this.exited;
  }
}

export function spawnChild(script: string, ...args: (string | number)[]): Child {
  return new Child(script, args.map(String));
}

/** Writes one JSON line: the fixtures' way to report. */
export function report(type: string, data: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ type, ...data }, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}\n`);
}

/** A running `vidbus` command (the built CLI) and what it has printed so far. */
export interface RunningCli {
  child: ChildProcess;
  log: () => string;
}

const CLI = join(here, '..', 'src', 'cli', 'main.js');

/** Runs the vidbus CLI (in `env` when given); resolves once its stdout or stderr matches `ready`, rejects if it exits first or takes 30 s. */
export function startCli(args: string[], ready: RegExp, env?: NodeJS.ProcessEnv): Promise<RunningCli> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      // Nobody will stop a command that never got ready: stop it here, so
      // it cannot outlive the test with its streams and helpers.
      child.kill('SIGTERM');
      reject(new Error(`vidbus ${args.join(' ')} did not get ready: ${log}`));
    }, 30000);
    const onData = (d: Buffer) => {
      log += d.toString();
      if (ready.test(log)) {
        clearTimeout(timer);
        resolve({ child, log: () => log });
      }
    };
    child.stderr!.on('data', onData);
    child.stdout!.on('data', onData);
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`vidbus ${args.join(' ')} exited ${code}: ${log}`))));
  });
}
