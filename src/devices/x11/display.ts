/**
 * Finding an X display: the DISPLAY string to a local socket, and the
 * authorization cookie for it from the Xauthority file (what libxcb does,
 * for the local case only: vidbus captures the screen of this machine).
 */
import { readFileSync } from 'node:fs';
import { hostname, homedir } from 'node:os';
import { VidbusError } from '../../errors.js';

/** A parsed DISPLAY. */
export interface DisplayAddress {
  /** as the user wrote it, e.g. ':1' */
  name: string;
  /** the display number */
  number: number;
  /** the screen number (the part after the dot; 0 when absent) */
  screen: number;
  /** the socket file of the display */
  socketPath: string;
}

/** Parses ':1', ':1.0', 'unix:1', or a socket path; rejects remote displays (host:1) with ERR_INVALID_OPTION. */
export function parseDisplay(display: string): DisplayAddress {
  const path = /^(\/.+\/X)(\d+)$/.exec(display);
  if (path) return { name: display, number: Number(path[2]), screen: 0, socketPath: display };
  const m = /^(unix)?:(\d+)(?:\.(\d+))?$/.exec(display);
  if (!m) {
    const remote = /^[^:/]+:\d+(\.\d+)?$/.test(display);
    throw new VidbusError(
      'ERR_INVALID_OPTION',
      remote
        ? `The display ${display} is on another machine; vidbus captures local displays only (run vidbus there, or use ':N')`
        : `"${display}" is not an X display; write it as :N (for example :0), as in DISPLAY`,
    );
  }
  const number = Number(m[2]);
  return { name: display, number, screen: m[3] === undefined ? 0 : Number(m[3]), socketPath: `/tmp/.X11-unix/X${number}` };
}

/** The display to use when none is given: $DISPLAY, or undefined. */
export function defaultDisplay(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.DISPLAY && env.DISPLAY.length > 0 ? env.DISPLAY : undefined;
}

/** An authorization for the connection setup (empty name and data: none). */
export interface Authorization {
  name: string;
  data: Uint8Array;
}

const FAMILY_LOCAL = 256;
const FAMILY_WILD = 65535;

/**
 * The MIT-MAGIC-COOKIE-1 for the display from $XAUTHORITY (or
 * ~/.Xauthority): an entry of this host (or a wildcard) for this display
 * number (or any). None when the file is missing or has no entry; the
 * server then decides (Xvfb without -auth lets local clients in).
 */
export function findAuthorization(display: DisplayAddress, env: NodeJS.ProcessEnv = process.env): Authorization {
  const none = { name: '', data: new Uint8Array(0) };
  let file: Buffer;
  try {
    file = readFileSync(env.XAUTHORITY || `${homedir()}/.Xauthority`);
  } catch {
    return none;
  }
  const host = hostname();
  let at = 0;
  const field = (): Buffer | undefined => {
    if (at + 2 > file.length) return undefined;
    const n = file.readUInt16BE(at);
    if (at + 2 + n > file.length) return undefined;
    const value = file.subarray(at + 2, at + 2 + n);
    at += 2 + n;
    return value;
  };
  while (at + 2 <= file.length) {
    const family = file.readUInt16BE(at);
    at += 2;
    const address = field();
    const number = field();
    const name = field();
    const data = field();
    if (!address || !number || !name || !data) break;
    const hostMatches = family === FAMILY_WILD || (family === FAMILY_LOCAL && address.toString() === host);
    const numberMatches = number.length === 0 || number.toString() === String(display.number);
    if (hostMatches && numberMatches && name.toString() === 'MIT-MAGIC-COOKIE-1') return { name: name.toString(), data: new Uint8Array(data) };
  }
  return none;
}
