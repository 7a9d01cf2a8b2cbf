/** Stream file permissions: owner-only by default, optionally shared with a group. */
import { readFileSync } from 'node:fs';
import { VidbusError } from '../errors.js';
import { invalidOption } from '../util/options.js';

export interface Permissions {
  /** mode of the data file (consumers need read) */
  dataMode: number;
  /** mode of the ctl file (consumers need read and write) */
  ctlMode: number;
  gid: number | undefined;
}

export function resolveGroup(group: string | number): number {
  if (typeof group === 'number') {
    if (!Number.isInteger(group) || group < 0) throw invalidOption('group', 'a group name or a non-negative gid', group);
    return group;
  }
  let text = '';
  try {
    text = readFileSync('/etc/group', 'utf8');
  } catch {
    // fall through to the error below
  }
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined) return Number(gid);
  }
  throw new VidbusError('ERR_INVALID_OPTION', `Unknown group "${group}" for group: no such entry in /etc/group. Create it with \`groupadd ${group}\`.`);
}

export function streamPermissions(mode: number | undefined, group: string | number | undefined): Permissions {
  const dataMode = mode ?? 0o600;
  if (!Number.isInteger(dataMode) || dataMode < 0 || dataMode > 0o777 || (dataMode & 0o600) !== 0o600) {
    throw invalidOption('mode', 'a file mode such as 0o600 or 0o640 that gives the owner read and write', mode);
  }
  // Whoever may read frames must also be able to register as a consumer.
  let ctlMode = dataMode;
  if (dataMode & 0o040) ctlMode |= 0o020;
  if (dataMode & 0o004) ctlMode |= 0o002;
  return { dataMode, ctlMode, gid: group === undefined ? undefined : resolveGroup(group) };
}
