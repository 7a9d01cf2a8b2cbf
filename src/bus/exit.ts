/**
 * Removes streams when the process ends: on normal exit and uncaught
 * exceptions ('exit' event), and on SIGINT/SIGTERM/SIGHUP. Signal handlers
 * are installed only while a producer that asked for them is open, and
 * only act when nobody else handles that signal: then they clean up and
 * re-raise the signal, so the process still dies the way it would have.
 * When the application has its own handler, it decides; its eventual
 * process.exit() runs the 'exit' cleanup.
 */

export interface ExitCleanup {
  closeSync(): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const registered = new Set<ExitCleanup>();
const withSignals = new Set<ExitCleanup>();
let exitHooked = false;
let signalsHooked = false;

function cleanupAll(): void {
  for (const item of [...registered]) {
    try {
      item.closeSync();
    } catch {
      // keep cleaning the others
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  // Decide before cleaning up: closing the last producer unhooks us.
  const onlyListener = process.listenerCount(signal) === 1;
  cleanupAll();
  if (onlyListener) {
    unhookSignals();
    // libuv restores the default action asynchronously: re-raise on the
    // next turn of the loop, before any timer of the application runs.
    setImmediate(() => process.kill(process.pid, signal));
  }
}

const handlers = new Map<NodeJS.Signals, () => void>(SIGNALS.map((s) => [s, () => onSignal(s)]));

function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const [signal, handler] of handlers) process.on(signal, handler);
}

function unhookSignals(): void {
  if (!signalsHooked) return;
  signalsHooked = false;
  for (const [signal, handler] of handlers) process.removeListener(signal, handler);
}

export function registerExitCleanup(item: ExitCleanup, handleSignals: boolean): void {
  registered.add(item);
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', cleanupAll);
  }
  if (handleSignals) {
    withSignals.add(item);
    hookSignals();
  }
}

export function unregisterExitCleanup(item: ExitCleanup): void {
  registered.delete(item);
  withSignals.delete(item);
  if (withSignals.size === 0) unhookSignals();
}
