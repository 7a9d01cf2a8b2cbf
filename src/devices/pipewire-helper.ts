/**
 * vidbus-pipewire (pipewire/ at the top of the repository): the C bridge
 * between the bus and PipeWire, run as a child process so that Node never
 * links libpipewire and a machine without PipeWire loses nothing else. It
 * talks in JSON lines on stdout, each with an `event`; an `error` event
 * carries a VidbusError code and message. The child dies with its parent
 * (PR_SET_PDEATHSIG), so a kill -9 of vidbus leaves no helper behind.
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

const BUILD_HINT = 'Build it with `make -C pipewire` in the vidbus checkout (it needs Debian\'s libpipewire-0.3-dev: sudo apt-get install libpipewire-0.3-dev), or set VIDBUS_PIPEWIRE_HELPER to its path.';

/** Where vidbus-pipewire is: $VIDBUS_PIPEWIRE_HELPER, the checkout's build, then the install locations. ERR_TOOL_MISSING otherwise. */
export function pipewireHelperPath(): string {
  // An explicit path is the only one tried: a wrong one must not quietly fall back to another build.
  const explicit = process.env.VIDBUS_PIPEWIRE_HELPER;
  const candidates = explicit
    ? [explicit]
    : [
        // dist/src/devices/ -> the checkout's pipewire/build/
        fileURLToPath(new URL('../../../pipewire/build/vidbus-pipewire', import.meta.url)),
        '/usr/local/lib/vidbus/vidbus-pipewire',
        '/usr/lib/vidbus/vidbus-pipewire',
      ];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new VidbusError('ERR_TOOL_MISSING', `The PipeWire bridge vidbus-pipewire is not built (looked in ${candidates.join(', ')}). ${BUILD_HINT}`);
  return found;
}

function toError(e: HelperEvent): VidbusError {
  const code = (ERROR_CODES as readonly string[]).includes(String(e.code)) ? (e.code as VidbusErrorCode) : 'ERR_TOOL_FAILED';
  return new VidbusError(code, String(e.message ?? 'vidbus-pipewire failed'));
}

/** A running vidbus-pipewire. */
export class PipeWireHelper {
  /** every event, as it arrives (set by the owner) */
  onEvent: ((event: HelperEvent) => void) | undefined;
  /** resolves when the helper exits: undefined after a clean exit, the error it reported (or its exit status) otherwise */
  readonly exited: Promise<VidbusError | undefined>;
  private readonly child: ChildProcess;
  private readonly waiters: { event: string; resolve: (e: HelperEvent) => void; reject: (e: Error) => void }[] = [];
  private lastError: VidbusError | undefined;
  private stderr = '';
  private running = true;

  private constructor(args: string[]) {
    this.child = spawn(pipewireHelperPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
        this.lastError ??= new VidbusError('ERR_TOOL_MISSING', `vidbus-pipewire could not start: ${e.message}. ${BUILD_HINT}`);
        this.failWaiters(this.lastError);
        resolve(this.lastError);
      });
      this.child.once('exit', (code, signal) => {
        this.running = false;
        if (code !== 0 && !signal && !this.lastError) {
          this.lastError = new VidbusError('ERR_TOOL_FAILED', `vidbus-pipewire exited with status ${code}${this.stderr ? `: ${this.stderr.trim()}` : ''}`);
        }
        this.failWaiters(this.lastError ?? new VidbusError('ERR_CLOSED', 'vidbus-pipewire exited'));
        resolve(code === 0 || signal === 'SIGTERM' ? this.lastError : (this.lastError ?? new VidbusError('ERR_TOOL_FAILED', `vidbus-pipewire was killed by ${signal}`)));
      });
    });
  }

  /** Starts `vidbus-pipewire <args>`; ERR_TOOL_MISSING when it is not built. */
  static start(args: string[]): PipeWireHelper {
    return new PipeWireHelper(args);
  }

  /** The next `event`; rejects with the helper's error if it fails or exits first, or after `timeoutMs`. */
  next(event: string, timeoutMs = 10000): Promise<HelperEvent> {
    if (!this.running) return Promise.reject(this.lastError ?? new VidbusError('ERR_CLOSED', 'vidbus-pipewire has exited'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(entry), 1);
        reject(new VidbusError('ERR_PIPEWIRE_UNAVAILABLE', `PipeWire did not answer within ${timeoutMs} ms (waiting for "${event}"). Is WirePlumber (the session manager) running?`));
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
      this.lastError = toError(e);
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

/** A PipeWire video node, as `vidbus devices` shows it. */
export interface PipeWireNode {
  /** the global id (changes when the node is made again) */
  id: number;
  /** object.serial: never reused while PipeWire runs */
  serial: number | undefined;
  /** node.name */
  name: string;
  /** node.description: what applications show */
  description: string;
  /** media.class, e.g. Video/Source */
  mediaClass: string;
  /** media.role, e.g. Camera */
  role: string;
}

/** The video nodes PipeWire has now. ERR_PIPEWIRE_UNAVAILABLE when it is not running, ERR_TOOL_MISSING when the bridge is not built. */
export async function listPipeWireNodes(): Promise<PipeWireNode[]> {
  const helper = PipeWireHelper.start(['nodes']);
  const nodes: PipeWireNode[] = [];
  helper.onEvent = (e) => {
    if (e.event !== 'node') return;
    nodes.push({
      id: Number(e.id),
      serial: typeof e.serial === 'number' ? e.serial : undefined,
      name: String(e.name ?? ''),
      description: String(e.description ?? ''),
      mediaClass: String(e.mediaClass ?? ''),
      role: String(e.role ?? ''),
    });
  };
  const failure = await helper.exited;
  if (failure) throw failure;
  return nodes;
}
