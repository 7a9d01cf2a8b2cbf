/** Stream names and where their files live. */
import { VidbusError } from '../errors.js';

/** Where POSIX shared memory lives on Linux (what shm_open uses). */
export const SHM_DIR = '/dev/shm';
export const FILE_PREFIX = 'vidbus-';
export const CTL_SUFFIX = '.ctl';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

export function validateStreamName(name: unknown): string {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new VidbusError(
      'ERR_INVALID_NAME',
      `Expected a stream name of 1 to 63 letters, digits, '-' or '_' (starting with a letter or digit) but received ${JSON.stringify(name)}`,
    );
  }
  return name;
}

export function dataPath(name: string): string {
  return `${SHM_DIR}/${FILE_PREFIX}${name}`;
}

export function ctlPath(name: string): string {
  return `${SHM_DIR}/${FILE_PREFIX}${name}${CTL_SUFFIX}`;
}

/** The stream name for a /dev/shm entry, or undefined if it is not a stream's data file. */
export function streamNameOfFile(fileName: string): string | undefined {
  if (!fileName.startsWith(FILE_PREFIX) || fileName.endsWith(CTL_SUFFIX)) return undefined;
  const name = fileName.slice(FILE_PREFIX.length);
  return NAME_RE.test(name) ? name : undefined;
}

export const TEMP_MARK = '.new-';

/** Where a producer builds its data file before linking it into place. */
export function tempDataPath(name: string): string {
  return `${dataPath(name)}${TEMP_MARK}${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}
