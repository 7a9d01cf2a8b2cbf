/**
 * Stopping long-running commands and services: one AbortSignal that fires
 * on the first SIGINT or SIGTERM, instead of a pair of `process.once`
 * listeners in every command.
 */

/** A signal aborted by the first SIGINT or SIGTERM until disposed; dispose removes the listeners. */
export class StopSignal implements Disposable {
  private readonly controller = new AbortController();
  private readonly onSignal = (name: NodeJS.Signals) => this.controller.abort(name);
  private listening = true;

  constructor(private readonly names: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']) {
    for (const name of names) process.on(name, this.onSignal);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Removes the listeners. Idempotent. */
  close(): void {
    if (!this.listening) return;
    this.listening = false;
    for (const name of this.names) process.off(name, this.onSignal);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Resolves when `signal` aborts or when any of `also` settles (a rejection
 * of one of those rejects). What every long-running command waits on.
 */
export function untilStopped(signal: AbortSignal, ...also: Promise<unknown>[]): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve;
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([aborted, ...also.map((p) => p.then(() => undefined))]).finally(() => signal.removeEventListener('abort', onAbort));
}

/** An AbortSignal that aborts after `ms`, or when `parent` does. */
export function withTimeout(parent: AbortSignal, ms: number | undefined): AbortSignal {
  return ms === undefined ? parent : AbortSignal.any([parent, AbortSignal.timeout(ms)]);
}
