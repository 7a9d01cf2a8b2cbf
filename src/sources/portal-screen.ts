/**
 * A screen through the desktop's ScreenCast portal: how screens are
 * captured on Wayland desktops (GNOME, KDE, wlroots compositors), where no
 * program may read the screen by itself. The C bridge (vidbus-pipewire
 * portal) asks the portal on the session bus, the desktop asks the person
 * which screen to share, and the granted PipeWire stream is captured onto
 * the bus like any PipeWire node (src/sources/pipewire-source.ts).
 *
 * The portal's restore token is kept in $XDG_STATE_HOME/vidbus (mode 0600)
 * and offered next time, so the person is asked once, not at every start.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { validateStreamName } from '../bus/names.js';
import { PipeWireSource } from './pipewire-source.js';

/** Options of a portal screen (a subset of the screen source's). */
export interface PortalScreenOptions {
  name: string;
  /** ask for the cursor drawn into the frames (default: hidden) */
  cursor?: boolean;
  /** keep the portal's restore token so the person is asked once (default true) */
  remember?: boolean;
}

/** Where the restore token lives. */
export function restoreTokenPath(env: NodeJS.ProcessEnv = process.env): string {
  const state = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(env.HOME || homedir(), '.local', 'state');
  return join(state, 'vidbus', 'screencast-restore-token');
}

function readToken(path: string): string | undefined {
  try {
    const token = readFileSync(path, 'utf8').trim();
    // A token is a UUID-like word; anything else is not offered to the portal.
    return /^[\w-]{1,128}$/.test(token) ? token : undefined;
  } catch {
    return undefined;
  }
}

function writeToken(path: string, token: string): void {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  // Written whole then renamed: a crash never leaves half a token.
  writeFileSync(`${path}.tmp`, `${token}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/** Asks the portal for a screen and publishes it; resolves once frames flow (after the person chose). */
export async function createPortalScreen(options: PortalScreenOptions): Promise<PipeWireSource> {
  validateStreamName(options.name);
  const remember = options.remember ?? true;
  const tokenFile = restoreTokenPath();
  const args = ['portal', '--stream', options.name];
  const token = remember ? readToken(tokenFile) : undefined;
  if (token) args.push('--restore-token', token);
  if (options.cursor) args.push('--cursor');
  return PipeWireSource.fromHelper({
    kind: 'screen',
    args,
    stream: options.name,
    label: 'screen through the desktop portal',
    // A person may take a while in the dialog; the bridge gives up after 5 minutes itself.
    formatTimeoutMs: 6 * 60 * 1000,
    onEvent: (e) => {
      if (e.event === 'portal' && remember && typeof e.restoreToken === 'string' && e.restoreToken !== token) writeToken(tokenFile, e.restoreToken);
    },
  });
}
