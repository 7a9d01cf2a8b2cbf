/**
 * listStreams(): the streams on this machine, read straight from their
 * shared-memory headers (no daemon needed). Works for any user who can
 * read the files; corrupt entries are reported, not thrown.
 */
import { readdirSync } from 'node:fs';
import { VidbusError } from '../errors.js';
import { closeFd, lockHeld, Mapping, openShmFile, statFd } from '../native/shm.js';
import { checkCtl, snapshotRecord, type ConsumerInfo } from './ctl.js';
import { checkIdentity, readHeader, type StreamDescription } from './header.js';
import { ctlBytes, HEADER_BYTES, PRODUCER_LOCK_OFFSET, R, recordOffset } from './layout.js';
import { ctlPath, dataPath, SHM_DIR, streamNameOfFile } from './names.js';
import { sweepOrphanedTemps, reclaimStream } from './reclaim.js';
import { CtlViews, DataViews } from './views.js';

/** live: a producer is attached; initializing: being created; stale: its producer died; corrupt: fails validation; no-access: not ours to read. */
export type StreamStatus = 'live' | 'initializing' | 'stale' | 'corrupt' | 'no-access';

/** One stream in /dev/shm as its header and consumer table say, read without any daemon. */
export interface StreamInfo {
  /** the stream name */
  name: string;
  /** whether it is live */
  status: StreamStatus;
  /** set when status is 'live' or 'stale' */
  description?: StreamDescription;
  /** frames published so far */
  published: number;
  /** frames dropped because every slot was held */
  dropped: number;
  /** its live consumers */
  consumers: ConsumerInfo[];
  /** ms since the last publish, undefined before the first */
  lastPublishAgeMs?: number;
  /** what is wrong, for 'corrupt' and 'no-access' */
  problem?: string;
}

/** Options of listStreams(). */
export interface ListOptions {
  /** remove stale streams (dead producers) instead of listing them */
  reclaim?: boolean;
}

function liveConsumers(name: string, desc: StreamDescription, dataIno: bigint): ConsumerInfo[] {
  let fd: number;
  try {
    fd = openShmFile(ctlPath(name), 'read-only');
  } catch {
    return [];
  }
  let mapping: Mapping | undefined;
  try {
    const size = statFd(fd).size;
    if (size < ctlBytes(desc.maxConsumers)) return [];
    mapping = new Mapping(fd, ctlBytes(desc.maxConsumers), false, false);
    if (checkCtl(mapping.buffer, size, name, desc.maxConsumers, dataIno) !== 'ready') return [];
    const ctl = new CtlViews(mapping.buffer, desc.maxConsumers);
    const out: ConsumerInfo[] = [];
    for (let i = 0; i < desc.maxConsumers; i++) {
      if (Atomics.load(ctl.i32, CtlViews.rec32(i, R.active)) !== 1) continue;
      if (lockHeld(fd, recordOffset(i))) out.push(snapshotRecord(ctl, i));
    }
    return out;
  } finally {
    mapping?.release();
    closeFd(fd);
  }
}

/** Reads one stream's header and counters without attaching to it. */
export function inspectStream(name: string): StreamInfo {
  const base = { name, published: 0, dropped: 0, consumers: [] as ConsumerInfo[] };
  let fd: number;
  try {
    fd = openShmFile(dataPath(name), 'read-only');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ...base, status: code === 'ENOENT' ? 'stale' : 'no-access', problem: (e as Error).message };
  }
  let mapping: Mapping | undefined;
  try {
    const stat = statFd(fd);
    const size = stat.size;
    const alive = lockHeld(fd, PRODUCER_LOCK_OFFSET);
    if (size < HEADER_BYTES) return { ...base, status: alive ? 'initializing' : 'stale' };
    mapping = new Mapping(fd, HEADER_BYTES, false, false);
    if (checkIdentity(mapping.buffer, name) === 'initializing') return { ...base, status: alive ? 'initializing' : 'stale' };
    const description = readHeader(mapping.buffer, name, size);
    const i64 = new BigInt64Array(mapping.buffer, 0, HEADER_BYTES / 8);
    const last = i64[DataViews.lastPublish]!;
    const info: StreamInfo = {
      ...base,
      status: alive ? 'live' : 'stale',
      description,
      published: Number(i64[DataViews.latestSeq]!),
      dropped: Number(i64[DataViews.dropped]!),
      consumers: alive ? liveConsumers(name, description, BigInt(stat.ino)) : [],
    };
    if (last > 0n) info.lastPublishAgeMs = Number(process.hrtime.bigint() - last) / 1e6;
    return info;
  } catch (e) {
    if (e instanceof VidbusError) return { ...base, status: 'corrupt', problem: e.message };
    throw e;
  } finally {
    mapping?.release();
    closeFd(fd);
  }
}

/** Every vidbus stream in /dev/shm, read directly from the headers (no daemon). */
export function listStreams(options: ListOptions = {}): StreamInfo[] {
  let entries: string[];
  try {
    entries = readdirSync(SHM_DIR);
  } catch {
    return [];
  }
  if (options.reclaim) sweepOrphanedTemps();
  const out: StreamInfo[] = [];
  for (const entry of entries.sort()) {
    const name = streamNameOfFile(entry);
    if (name === undefined) continue;
    const info = inspectStream(name);
    if (options.reclaim && info.status === 'stale' && reclaimStream(name) === 'reclaimed') continue;
    out.push(info);
  }
  return out;
}
