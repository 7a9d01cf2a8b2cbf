/**
 * Removes streams when the process ends: on normal exit and uncaught
 * exceptions ('exit' event), and on SIGINT/SIGTERM/SIGHUP. Signal handlers
 * are installed only while a producer that asked for them is open, and
 * only act when nobody else handles that signal: then they clean up and
 * exit with the status a shell reports for death by that signal (128 + n),
 * which is what the process would have done without us. It exits at once:
 * re-raising the signal is not synchronous in Node (libuv restores the
 * default action later), and the application's timers must not run on
 * producers that are already closed.
 * When the application has its own handler, it decides; its eventual
 * process.exit() runs the 'exit' cleanup.
 */

import { constants as osConstants } from 'node:os';

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
    process.exit(128 + (osConstants.signals[signal] ?? 0));
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
