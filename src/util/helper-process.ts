/**
 * vidbus's C helpers (vidbus-pipewire in pipewire/, vidbus-encode in
 * encoder/) run as child processes so that Node never links their
 * libraries, and a machine without them loses nothing else. They talk in
 * JSON lines on stdout (libvidbus/tools/report.h), each with an `event`; an
 * `error` event carries a VidbusError code and message. A helper dies with
 * its parent (PR_SET_PDEATHSIG), so a kill -9 of vidbus leaves none behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, VidbusError, type VidbusErrorCode } from '../errors.js';

/** One line the helper printed. */
export interface HelperEvent {
  /** what happened: ready, streaming, format, node, stats, gone, error, stopped, ... */
  event: string;
  [field: string]: unknown;
}

/** Which helper, where it is built, and what to say when it is missing or silent. */
export interface HelperSpec {
  /** the program's name, e.g. vidbus-pipewire */
  program: string;
  /** its folder at the top of the checkout, e.g. pipewire */
  folder: string;
  /** the environment variable that names an explicit path */
  envVar: string;
  /** how to build it (said when it is missing) */
  buildHint: string;
  /** the error when an awaited event does not come in time */
  silence: (event: string, timeoutMs: number) => VidbusError;
}

/** Where a helper is: its env var, the checkout's build, then the install locations. ERR_TOOL_MISSING otherwise. */
export function helperPath(spec: HelperSpec): string {
  // An explicit path is the only one tried: a wrong one must not quietly fall back to another build.
  const explicit = process.env[spec.envVar];
  const candidates = explicit
    ? [explicit]
    : [
        // dist/src/util/ -> the checkout's <folder>/build/
        fileURLToPath(new URL(`../../../${spec.folder}/build/${spec.program}`, import.meta.url)),
        `/usr/local/lib/vidbus/${spec.program}`,
        `/usr/lib/vidbus/${spec.program}`,
      ];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new VidbusError('ERR_TOOL_MISSING', `${spec.program} is not built (looked in ${candidates.join(', ')}). ${spec.buildHint}`);
  return found;
}

function toError(spec: HelperSpec, e: HelperEvent): VidbusError {
  const code = (ERROR_CODES as readonly string[]).includes(String(e.code)) ? (e.code as VidbusErrorCode) : 'ERR_TOOL_FAILED';
  return new VidbusError(code, String(e.message ?? `${spec.program} failed`));
}

/** A running helper. */
export class HelperProcess {
  /** every event, as it arrives (set by the owner) */
  onEvent: ((event: HelperEvent) => void) | undefined;
  /** resolves when the helper exits: undefined after a clean exit, the error it reported (or its exit status) otherwise */
  readonly exited: Promise<VidbusError | undefined>;
  private readonly child: ChildProcess;
  private readonly waiters: { event: string; resolve: (e: HelperEvent) => void; reject: (e: Error) => void }[] = [];
  private lastError: VidbusError | undefined;
  private stderr = '';
  private running = true;

  /** Starts `<program> <args>`; ERR_TOOL_MISSING when it is not built. */
  constructor(
    private readonly spec: HelperSpec,
    args: string[],
  ) {
    const name = spec.program;
    this.child = spawn(helperPath(spec), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.trim()) this.dispatch(line);
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('error', (e) => {
        this.running = false;
        this.lastError ??= new VidbusError('ERR_TOOL_MISSING', `${name} could not start: ${e.message}. ${spec.buildHint}`);
        this.failWaiters(this.lastError);
        resolve(this.lastError);
      });
      this.child.once('exit', (code, signal) => {
        this.running = false;
        if (code !== 0 && !signal && !this.lastError) {
          this.lastError = new VidbusError('ERR_TOOL_FAILED', `${name} exited with status ${code}${this.stderr ? `: ${this.stderr.trim()}` : ''}`);
        }
        this.failWaiters(this.lastError ?? new VidbusError('ERR_CLOSED', `${name} exited`));
        resolve(code === 0 || signal === 'SIGTERM' ? this.lastError : (this.lastError ?? new VidbusError('ERR_TOOL_FAILED', `${name} was killed by ${signal}`)));
      });
    });
  }

  /** The helper's process id (for monitoring, e.g. its CPU time); undefined if it could not start. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends the helper a signal (what it means is the helper's: vidbus-encode takes SIGUSR1 as a keyframe request). No-op once it has exited. */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** The next `event`; rejects with the helper's error if it fails or exits first, or after `timeoutMs`. */
  next(event: string, timeoutMs = 10000): Promise<HelperEvent> {
    if (!this.running) return Promise.reject(this.lastError ?? new VidbusError('ERR_CLOSED', `${this.spec.program} has exited`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(entry), 1);
        reject(this.spec.silence(event, timeoutMs));
      }, timeoutMs);
      const entry = {
        event,
        resolve: (e: HelperEvent) => (clearTimeout(timer), resolve(e)),
        reject: (e: Error) => (clearTimeout(timer), reject(e)),
      };
      this.waiters.push(entry);
    });
  }

  /** Asks the helper to stop (SIGTERM; SIGKILL after 3 s) and waits for it. Idempotent. */
  async stop(): Promise<void> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      await this.exited;
      clearTimeout(killer);
    }
    await this.exited;
  }

  private dispatch(line: string): void {
    let e: HelperEvent;
    try {
      e = JSON.parse(line) as HelperEvent;
    } catch {
      return; // not ours (a library's stray print)
    }
    if (e.event === 'error') {
      this.lastError = toError(this.spec, e);
      this.failWaiters(this.lastError);
    }
    for (const w of this.waiters.filter((x) => x.event === e.event)) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(e);
    }
    this.onEvent?.(e);
  }

  private failWaiters(error: VidbusError): void {
    for (const w of this.waiters.splice(0)) w.reject(error);
  }
}

