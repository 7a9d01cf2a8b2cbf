/**
 * Every error vidbus throws is a VidbusError with a stable `code`. Callers
 * branch on `code` (or on the semantic flags), never on message text.
 * The native addon throws these too: src/native/binding.ts hands it
 * `syscallError` once at load.
 */
import { constants as osConstants } from 'node:os';

/** Codes, grouped by where they arise. The strings are API: never rename one. */
export type VidbusErrorCode =
  // options and names
  | 'ERR_INVALID_OPTION'
  | 'ERR_INVALID_NAME'
  // opening and creating streams
  | 'ERR_STREAM_NOT_FOUND'
  | 'ERR_STREAM_EXISTS'
  | 'ERR_STREAM_NOT_READY'
  | 'ERR_NOT_A_STREAM'
  | 'ERR_VERSION_MISMATCH'
  | 'ERR_STREAM_CORRUPT'
  | 'ERR_TOO_MANY_CONSUMERS'
  | 'ERR_PERMISSION'
  | 'ERR_NO_SPACE'
  // running streams
  | 'ERR_CLOSED'
  | 'ERR_STREAM_ENDED'
  | 'ERR_PRODUCER_DIED'
  | 'ERR_ABORTED'
  | 'ERR_FRAME_RELEASED'
  | 'ERR_FRAME_SIZE'
  | 'ERR_TOO_MANY_HOLDS'
  | 'ERR_BUSY'
  // platform
  | 'ERR_NOT_A_V4L2_DEVICE'
  // cameras
  | 'ERR_NOT_A_CAMERA'
  | 'ERR_FORMAT_UNSUPPORTED'
  | 'ERR_DEVICE_GONE'
  // sources and sinks run through ffmpeg
  | 'ERR_TOOL_MISSING'
  | 'ERR_TOOL_FAILED'
  // effects
  | 'ERR_MODEL_LOAD'
  // virtual camera
  | 'ERR_NO_LOOPBACK_DEVICE'
  | 'ERR_NOT_A_LOOPBACK_DEVICE'
  | 'ERR_DEVICE_NOT_FOUND'
  | 'ERR_DEVICE_BUSY'
  | 'ERR_FORMAT_REJECTED'
  // pictures
  | 'ERR_BAD_IMAGE'
  | 'ERR_CODEC_UNAVAILABLE'
  | 'ERR_NATIVE_LOAD'
  | 'ERR_SYSCALL';

export interface VidbusErrorDetails {
  /** errno name for failed syscalls, e.g. 'ENOSPC'. */
  errno?: string;
  /** the syscall that failed, e.g. 'mmap'. */
  syscall?: string;
  /** the stream the error is about. */
  stream?: string;
  /** true when the operation was canceled by the caller (AbortSignal, close()). */
  canceled?: boolean;
  cause?: unknown;
}

export class VidbusError extends Error {
  readonly code: VidbusErrorCode;
  readonly errno: string | undefined;
  readonly syscall: string | undefined;
  readonly stream: string | undefined;
  readonly canceled: boolean;

  constructor(code: VidbusErrorCode, message: string, details: VidbusErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.errno = details.errno;
    this.syscall = details.syscall;
    this.stream = details.stream;
    this.canceled = details.canceled ?? false;
  }
}
// Like built-in errors, the name is not enumerable.
Object.defineProperty(VidbusError.prototype, 'name', { value: 'VidbusError', enumerable: false });

export function isVidbusError(e: unknown, code?: VidbusErrorCode): e is VidbusError {
  return e instanceof VidbusError && (code === undefined || e.code === code);
}

const errnoNames = new Map<number, string>(
  Object.entries(osConstants.errno).map(([name, value]) => [value, name]),
);

/** errno number -> 'ENOENT' etc. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

/** The factory the addon calls for every failed syscall. */
export function syscallError(syscall: string, errno: number, message: string): VidbusError {
  const name = errnoName(errno);
  const code: VidbusErrorCode =
    name === 'EACCES' || name === 'EPERM' ? 'ERR_PERMISSION' : name === 'ENOSPC' || name === 'ENOMEM' ? 'ERR_NO_SPACE' : 'ERR_SYSCALL';
  return new VidbusError(code, message, { errno: name, syscall });
}

/** Wraps an error from node:fs (which has string `code` like 'ENOENT'). */
export function fsError(e: unknown, what: string, stream?: string): VidbusError {
  const err = e as NodeJS.ErrnoException;
  const errno = typeof err?.code === 'string' ? err.code : undefined;
  if (errno === 'EACCES' || errno === 'EPERM') {
    return new VidbusError(
      'ERR_PERMISSION',
      `${what}: permission denied. The stream belongs to another user; ask its producer to share it with a group (mode 0o640 and group) and join that group.`,
      { errno, syscall: err.syscall, stream, cause: e },
    );
  }
  if (errno === 'ENOSPC') {
    return new VidbusError(
      'ERR_NO_SPACE',
      `${what}: /dev/shm is full. Use fewer or smaller slots, close other streams, or enlarge /dev/shm (in Docker: --shm-size).`,
      { errno, syscall: err.syscall, stream, cause: e },
    );
  }
  return new VidbusError('ERR_SYSCALL', `${what}: ${err?.message ?? String(e)}`, {
    errno,
    syscall: err?.syscall,
    stream,
    cause: e,
  });
}
