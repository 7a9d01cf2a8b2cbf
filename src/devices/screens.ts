/**
 * Screens vidbus can capture: the local X displays (one socket each in
 * /tmp/.X11-unix), each asked for its size and whether it has what
 * capture needs, and the outputs of the DRM cards. For `vidbus devices`.
 */
import { readdirSync } from 'node:fs';
import { isVidbusError } from '../errors.js';
import { X11Capture } from './x11/capture.js';
import { parseDisplay } from './x11/display.js';
import { drmCards, listDrmOutputs, type DrmOutput } from './drm.js';

/** One X display. */
export interface CapturableScreen {
  /** e.g. ':0' */
  display: string;
  width?: number;
  height?: number;
  /** how vidbus would copy from it ('render' or 'getimage'), when it can capture */
  copy?: string;
  /** why it cannot be captured, when it cannot */
  problem?: string;
}

/** The X displays with a socket here, in display-number order. */
export async function listScreens(): Promise<CapturableScreen[]> {
  let names: string[];
  try {
    names = readdirSync('/tmp/.X11-unix').filter((n) => /^X\d+$/.test(n));
  } catch {
    return [];
  }
  const displays = names.map((n) => `:${n.slice(1)}`).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  return Promise.all(
    displays.map(async (display): Promise<CapturableScreen> => {
      try {
        const capture = await X11Capture.open(parseDisplay(display));
        const info = { display, width: capture.screen.width, height: capture.screen.height, copy: capture.mode };
        capture.close();
        return info;
      } catch (e) {
        // A stale socket of a server that is gone, or one that refuses us: listed with the reason.
        return { display, problem: isVidbusError(e) ? e.message : String(e) };
      }
    }),
  );
}

export function formatScreens(screens: CapturableScreen[]): string {
  if (screens.length === 0) return '\nScreens: no X display here.\n';
  const rows = screens.map((s) => (s.problem ? `  x11:${s.display}  cannot capture: ${s.problem}` : `  x11:${s.display}  ${s.width}x${s.height}  (copied by ${s.copy === 'render' ? 'RENDER' : 'ShmGetImage'})`));
  return `\nScreens (vidbus stream --screen x11:<display>):\n${rows.join('\n')}\n`;
}

/** One DRM card's outputs, or why they could not be read. */
export interface CardScreens {
  card: string;
  outputs?: DrmOutput[];
  problem?: string;
}

export function listDrmScreens(): CardScreens[] {
  return drmCards().map((card) => {
    try {
      return { card, outputs: listDrmOutputs(card) };
    } catch (e) {
      return { card, problem: isVidbusError(e) ? e.message : String(e) };
    }
  });
}

export function formatDrmScreens(cards: CardScreens[]): string {
  if (cards.length === 0) return '';
  const rows = cards.flatMap((c) =>
    c.problem
      ? [`  drm:${c.card}  cannot list: ${c.problem}`]
      : (c.outputs ?? []).map((o) => `  drm:${c.card} --connector ${o.name}  ${o.crtcId ? `${o.mode!.width}x${o.mode!.height}@${o.mode!.refresh} on CRTC ${o.crtcId}` : o.connected ? 'connected, off' : 'disconnected'}${o.modes.length ? ` (${o.modes.length} modes)` : ''}`),
  );
  return `\nDRM outputs (vidbus stream --screen drm:<card> --connector <name>; reading needs root or CAP_SYS_ADMIN):\n${rows.join('\n')}\n`;
}
