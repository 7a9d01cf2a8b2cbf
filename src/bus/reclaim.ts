/**
 * Stale streams: a producer that died (kill -9, crash, power loss of the
 * process) leaves its two files in /dev/shm. Whoever notices first (a new
 * producer of that name, a consumer, listStreams) removes them, but only
 * after proving the producer is gone by taking its liveness lock.
 */
import { lstatSync, readdirSync, unlinkSync } from 'node:fs';
import { closeFd, lockTry, openShmFile, statFd } from '../native/shm.js';
import { fsError } from '../errors.js';
import { PRODUCER_LOCK_OFFSET } from './layout.js';
import { ctlPath, dataPath, FILE_PREFIX, SHM_DIR, TEMP_MARK } from './names.js';

/** What reclaimStream() did: removed a dead producer's files, found the producer alive, found nothing, or may not touch them. */
export type ReclaimResult = 'reclaimed' | 'alive' | 'missing' | 'no-access';

function unlinkIfExists(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** Removes the files of a stream whose producer died (proved by taking its liveness lock); a live stream is never touched. */
export function reclaimStream(name: string): ReclaimResult {
  const path = dataPath(name);
  let fd: number;
  try {
    fd = openShmFile(path, 'read-write');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'EACCES' || code === 'EPERM' || code === 'ELOOP') return 'no-access';
    throw fsError(e, `opening ${path}`, name);
  }
  try {
    if (!lockTry(fd, PRODUCER_LOCK_OFFSET)) return 'alive';
    // We hold the lock, so no producer lives on this inode. Make sure the
    // name still points at it: a new producer may have replaced it.
    const held = statFd(fd);
    let current;
    try {
      current = lstatSync(path);
    } catch {
      return 'missing';
    }
    if (current.ino !== held.ino || current.dev !== held.dev) return 'missing';
    try {
      // ctl first: while the data file exists and we hold its lock, no new
      // producer of this name can get as far as creating a ctl file.
      unlinkIfExists(ctlPath(name));
      unlinkIfExists(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') return 'no-access';
      throw fsError(e, `removing stale stream ${name}`, name);
    }
    return 'reclaimed';
  } finally {
    closeFd(fd); // drops our lock
  }
}

/**
 * Removes temporary files of producers that died while creating a stream
 * (see createProducer), for one stream name or for all.
 */
export function sweepOrphanedTemps(name?: string): number {
  const prefix = name === undefined ? FILE_PREFIX : `${FILE_PREFIX}${name}${TEMP_MARK}`;
  let removed = 0;
  let entries: string[];
  try {
    entries = readdirSync(SHM_DIR);
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (!entry.startsWith(prefix) || !entry.includes(TEMP_MARK)) continue;
    const path = `${SHM_DIR}/${entry}`;
    let fd: number;
    try {
      fd = openShmFile(path, 'read-write');
    } catch {
      continue;
    }
    try {
      if (lockTry(fd, PRODUCER_LOCK_OFFSET)) {
        unlinkIfExists(path);
        removed++;
      }
    } finally {
      closeFd(fd);
    }
  }
  return removed;
}
