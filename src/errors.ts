/**
 * Every error vidbus throws is a VidbusError with a stable `code`. Callers
 * branch on `code` (or on the semantic flags), never on message text.
 * The native addon throws these too: src/native/binding.ts hands it
 * `nativeError` once at load, and the addon makes every error through it.
 */
import { constants as osConstants } from 'node:os';

/**
 * Every code a VidbusError can have, grouped by where they arise. The
 * strings are API, shared by every language binding: never rename one.
 *
 * - `ERR_INVALID_OPTION`: an option or argument has a wrong value or name (the message says which, often with "did you mean").
 * - `ERR_INVALID_NAME`: a stream name that is not 1-63 of `[A-Za-z0-9_-]`.
 * - `ERR_STREAM_NOT_FOUND`: no live stream of that name (start its producer, or follow it).
 * - `ERR_STREAM_EXISTS`: a live producer already owns the name.
 * - `ERR_STREAM_NOT_READY`: the stream is being created; try again shortly.
 * - `ERR_NOT_A_STREAM`: the file in /dev/shm is not a vidbus stream.
 * - `ERR_VERSION_MISMATCH`: the stream uses another layout version (upgrade the older side).
 * - `ERR_STREAM_CORRUPT`: the shared memory fails validation; nothing outside it is read.
 * - `ERR_TOO_MANY_CONSUMERS`: every consumer record is taken.
 * - `ERR_PERMISSION`: the stream or device belongs to someone else (the message names the group to join).
 * - `ERR_NO_SPACE`: /dev/shm (or memory) is full.
 * - `ERR_CLOSED`: the object was closed.
 * - `ERR_STREAM_ENDED`: the producer closed the stream.
 * - `ERR_PRODUCER_DIED`: the producer died without closing; its files were removed.
 * - `ERR_ABORTED`: the caller's AbortSignal fired.
 * - `ERR_FRAME_RELEASED`: the frame was released (or its lease expired) before use.
 * - `ERR_FRAME_SIZE`: a frame of the wrong size for the stream or device.
 * - `ERR_TOO_MANY_HOLDS`: a consumer holds as many frames as a record allows.
 * - `ERR_BUSY`: one `next()` at a time per consumer.
 * - `ERR_NOT_A_V4L2_DEVICE`: the path is not a video device.
 * - `ERR_NOT_A_CAMERA`: the device does not capture video.
 * - `ERR_FORMAT_UNSUPPORTED`: the camera does not offer that format, size or rate (the message lists what it offers).
 * - `ERR_DEVICE_GONE`: the camera was unplugged or its driver failed.
 * - `ERR_TOOL_MISSING`: ffmpeg or another tool is not installed (the message has the install line).
 * - `ERR_TOOL_FAILED`: the tool ran and failed (its own message is included).
 * - `ERR_MODEL_LOAD`: the segmentation model could not be loaded.
 * - `ERR_NO_LOOPBACK_DEVICE`: v4l2loopback is not loaded (the message has the modprobe line).
 * - `ERR_PIPEWIRE_UNAVAILABLE`: PipeWire is not running or refused (the message says how to start it).
 * - `ERR_DISPLAY_UNAVAILABLE`: a screen cannot be captured: no X server at that display, it refused this client, or it lacks what capture needs (the message says which).
 * - `ERR_NOT_A_LOOPBACK_DEVICE`: the device exists but is not v4l2loopback.
 * - `ERR_DEVICE_NOT_FOUND`: no device at that path or with that label.
 * - `ERR_DEVICE_BUSY`: another program uses the device.
 * - `ERR_FORMAT_REJECTED`: the loopback device kept another format (a reader holds it).
 * - `ERR_BAD_IMAGE`: a picture or JPEG frame that cannot be decoded.
 * - `ERR_CODEC_UNAVAILABLE`: the addon was built without libjpeg-turbo (the message has the fix).
 * - `ERR_NATIVE_LOAD`: the addon could not be loaded (the message lists the paths tried).
 * - `ERR_NATIVE_ARGUMENT`: a bug in vidbus: the addon refused arguments TypeScript should have checked.
 * - `ERR_SYSCALL`: any other failed system call (`errno` and `syscall` say which).
 */
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
  | 'ERR_PIPEWIRE_UNAVAILABLE'
  | 'ERR_NOT_A_LOOPBACK_DEVICE'
  // screens
  | 'ERR_DISPLAY_UNAVAILABLE'
  | 'ERR_DEVICE_NOT_FOUND'
  | 'ERR_DEVICE_BUSY'
  | 'ERR_FORMAT_REJECTED'
  // pictures
  | 'ERR_BAD_IMAGE'
  | 'ERR_CODEC_UNAVAILABLE'
  | 'ERR_NATIVE_LOAD'
  // a bug in vidbus: the TypeScript side handed the addon arguments it should have checked
  | 'ERR_NATIVE_ARGUMENT'
  | 'ERR_SYSCALL';

/** Every code, for checks at run time (the type above is the contract; the compiler keeps the two equal). */
export const ERROR_CODES = [
  'ERR_INVALID_OPTION',
  'ERR_INVALID_NAME',
  'ERR_STREAM_NOT_FOUND',
  'ERR_STREAM_EXISTS',
  'ERR_STREAM_NOT_READY',
  'ERR_NOT_A_STREAM',
  'ERR_VERSION_MISMATCH',
  'ERR_STREAM_CORRUPT',
  'ERR_TOO_MANY_CONSUMERS',
  'ERR_PERMISSION',
  'ERR_NO_SPACE',
  'ERR_CLOSED',
  'ERR_STREAM_ENDED',
  'ERR_PRODUCER_DIED',
  'ERR_ABORTED',
  'ERR_FRAME_RELEASED',
  'ERR_FRAME_SIZE',
  'ERR_TOO_MANY_HOLDS',
  'ERR_BUSY',
  'ERR_NOT_A_V4L2_DEVICE',
  'ERR_NOT_A_CAMERA',
  'ERR_FORMAT_UNSUPPORTED',
  'ERR_DEVICE_GONE',
  'ERR_TOOL_MISSING',
  'ERR_TOOL_FAILED',
  'ERR_MODEL_LOAD',
  'ERR_NO_LOOPBACK_DEVICE',
  'ERR_PIPEWIRE_UNAVAILABLE',
  'ERR_NOT_A_LOOPBACK_DEVICE',
  'ERR_DISPLAY_UNAVAILABLE',
  'ERR_DEVICE_NOT_FOUND',
  'ERR_DEVICE_BUSY',
  'ERR_FORMAT_REJECTED',
  'ERR_BAD_IMAGE',
  'ERR_CODEC_UNAVAILABLE',
  'ERR_NATIVE_LOAD',
  'ERR_NATIVE_ARGUMENT',
  'ERR_SYSCALL',
] as const satisfies readonly VidbusErrorCode[];
// Compile-time check that the list names every code of the union.
const everyCodeListed: Exclude<VidbusErrorCode, (typeof ERROR_CODES)[number]> extends never ? true : false = true;
void everyCodeListed;

/** What a VidbusError carries besides its code and message. */
export interface VidbusErrorDetails {
  /** errno name for failed syscalls, e.g. 'ENOSPC'. */
  errno?: string;
  /** the syscall that failed, e.g. 'mmap'. */
  syscall?: string;
  /** the stream the error is about. */
  stream?: string;
  /** true when the operation was canceled by the caller (AbortSignal, close()). */
  canceled?: boolean;
  /** the error this one wraps */
  cause?: unknown;
}

/**
 * The one error class of vidbus: `code` says what went wrong (stable, the
 * same in every language binding), the message says what to do.
 */
export class VidbusError extends Error {
  /** what went wrong: branch on this, never on the message */
  readonly code: VidbusErrorCode;
  /** errno name for failed syscalls, e.g. 'ENOSPC' */
  readonly errno: string | undefined;
  /** the syscall that failed, e.g. 'mmap' */
  readonly syscall: string | undefined;
  /** the stream the error is about */
  readonly stream: string | undefined;
  /** true when the caller canceled the operation (AbortSignal, close()) */
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

/** True for a VidbusError (with this code, when one is given). */
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

/**
 * The factory the addon calls for every error it throws (native/errors.h):
 * a failed syscall (empty code; the code follows from errno), or a code
 * of its own. A code outside the union would be a bug in the addon, and
 * is reported as ERR_NATIVE_ARGUMENT rather than let through untyped.
 */
export function nativeError(code: string, message: string, syscall?: string, errno?: number): VidbusError {
  if (syscall !== undefined && errno !== undefined) return syscallError(syscall, errno, message);
  const known = (ERROR_CODES as readonly string[]).includes(code);
  return new VidbusError(known ? (code as VidbusErrorCode) : 'ERR_NATIVE_ARGUMENT', known ? message : `${code}: ${message}`);
}

/** The error for a failed syscall: permission and space problems get their own codes. */
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
