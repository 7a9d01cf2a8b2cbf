/**
 * An X11 client connection: the setup handshake, requests with sequence
 * numbers, replies matched to their requests, errors and events. Only what
 * the screen source needs, over a local socket that can pass descriptors.
 */
import { VidbusError } from '../../errors.js';
import { StreamSocket } from '../../native/stream-socket.js';
import { findAuthorization, type DisplayAddress } from './display.js';
import {
  errorName,
  PACKET,
  packetLength,
  packetSequence,
  parseError,
  parseQueryExtension,
  parseSetupReply,
  queryExtension,
  setupReplyLength,
  setupRequest,
  X11ProtocolError,
  type Extension,
  type ScreenInfo,
  type SetupReply,
} from './protocol.js';

interface Pending {
  sequence: number;
  resolve: (reply: Uint8Array) => void;
  reject: (e: Error) => void;
}

const SETUP_TIMEOUT_MS = 5000;
/** Nothing the source asks for has a longer reply (a cursor image is at most a few hundred KiB); a larger length is a broken or hostile server. */
const MAX_PACKET_BYTES = 16 * 1024 * 1024;

export class X11Connection implements Disposable {
  /** the screen of the display address (its root window, size, pixel format) */
  readonly screen: ScreenInfo;
  /** Called with every event packet (32 bytes, or longer for generic events). */
  onEvent: ((event: Uint8Array) => void) | undefined;
  /** Called once when the connection ends: the server closed it, or it failed (not for close()). */
  onEnd: ((error: VidbusError) => void) | undefined;
  /** Called with errors of requests that have no reply. */
  onError: ((error: VidbusError) => void) | undefined;

  private sequence = 0;
  private nextId = 1;
  private readonly pending: Pending[] = [];
  /** requests queued by send(), written together by flush() */
  private readonly outgoing: Uint8Array[] = [];
  private input: Uint8Array = new Uint8Array(0);
  private closed = false;

  private constructor(
    private readonly socket: StreamSocket,
    private readonly setup: SetupReply,
    readonly display: DisplayAddress,
  ) {
    const screen = setup.screens[display.screen];
    if (!screen) throw new VidbusError('ERR_INVALID_OPTION', `The display ${display.name.split('.')[0]} has ${setup.screens.length} screen(s); there is no screen ${display.screen}`);
    this.screen = screen;
  }

  /** Connects to a local display; ERR_DISPLAY_UNAVAILABLE when nothing answers or the server refuses. */
  static async open(display: DisplayAddress): Promise<X11Connection> {
    let buffered: Uint8Array = new Uint8Array(0);
    let settle!: { resolve: (reply: Uint8Array) => void; reject: (e: Error) => void };
    const reply = new Promise<Uint8Array>((resolve, reject) => (settle = { resolve, reject }));
    let connection: X11Connection | undefined;
    const events = {
      onData: (chunk: Uint8Array) => {
        if (connection) return connection.receive(chunk);
        buffered = concatAll([buffered, chunk]);
        const length = setupReplyLength(buffered);
        if (length !== undefined && buffered.length >= length) settle.resolve(buffered);
      },
      onEnd: (error?: Error) => {
        if (connection) return connection.ended(error);
        settle.reject(unavailable(display, error ? error.message : 'the X server closed the connection during the setup'));
      },
    };
    const socket = connect(display, events);
    try {
      const auth = findAuthorization(display);
      socket.send(setupRequest(auth.name, auth.data));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(unavailable(display, `no answer within ${SETUP_TIMEOUT_MS / 1000} s`)), SETUP_TIMEOUT_MS);
      });
      const bytes = await Promise.race([reply, timeout]).finally(() => clearTimeout(timer));
      const length = setupReplyLength(bytes)!;
      let setup: SetupReply;
      try {
        setup = parseSetupReply(bytes.subarray(0, length));
      } catch (e) {
        throw unavailable(display, (e as Error).message, auth.name === '' ? ' (no Xauthority entry for it was found: set XAUTHORITY)' : '');
      }
      connection = new X11Connection(socket, setup, display);
      if (bytes.length > length) connection.receive(bytes.subarray(length));
      return connection;
    } catch (e) {
      socket.close();
      throw e;
    }
  }

  /** A new resource id (for a damage object, a shm segment). */
  allocateId(): number {
    const mask = this.setup.resourceIdMask;
    const shift = Math.clz32(0) - Math.clz32(mask & -mask) - 1;
    const id = (this.setup.resourceIdBase | ((this.nextId++ << shift) & mask)) >>> 0;
    return id;
  }

  /**
   * Queues a request that has no reply (errors go to onError). Queued
   * requests go out together with the next call(), or at the end of the
   * current turn of the event loop: one system call (and one wake-up of
   * the X server) for a capture's three requests.
   */
  send(request: Uint8Array, passFd = -1): void {
    this.assertOpen();
    this.sequence = (this.sequence + 1) & 0xffff;
    if (passFd >= 0) {
      // The descriptor travels with the bytes of its own request.
      this.flush();
      this.socket.send(request, passFd);
      return;
    }
    this.outgoing.push(request);
    if (this.outgoing.length === 1) queueMicrotask(() => this.flush());
  }

  /** Sends a request that has a reply (with whatever is queued) and resolves with the reply (rejects with the X error). */
  call(request: Uint8Array, passFd = -1): Promise<Uint8Array> {
    this.send(request, passFd);
    this.flush();
    return new Promise((resolve, reject) => this.pending.push({ sequence: this.sequence, resolve, reject }));
  }

  /** Sends the queued requests in one write. */
  private flush(): void {
    if (this.outgoing.length === 0 || this.closed) return;
    const bytes = this.outgoing.length === 1 ? this.outgoing[0]! : concatAll(this.outgoing);
    this.outgoing.length = 0;
    this.socket.send(bytes);
  }

  /** Whether the server has the extension, and its opcodes. */
  async extension(name: string): Promise<Extension | undefined> {
    return parseQueryExtension(await this.call(queryExtension(name)));
  }

  private receive(chunk: Uint8Array): void {
    this.input = this.input.length === 0 ? chunk.slice() : concatAll([this.input, chunk]);
    let at = 0;
    for (;;) {
      const rest = this.input.subarray(at);
      const length = packetLength(rest);
      if (length !== undefined && length > MAX_PACKET_BYTES) {
        this.socket.close();
        this.ended(new X11ProtocolError(`the X server announced a packet of ${length} bytes`));
        return;
      }
      if (length === undefined || rest.length < length) break;
      this.dispatch(rest.subarray(0, length));
      at += length;
      if (this.closed) return;
    }
    this.input = at === 0 ? this.input : this.input.slice(at);
  }

  private dispatch(packet: Uint8Array): void {
    const kind = packet[0]! & 0x7f;
    if (kind === PACKET.REPLY || kind === PACKET.ERROR) {
      const sequence = packetSequence(packet);
      // Replies come in request order: earlier pending calls that got
      // nothing were answered by an error handled below or are stale.
      const index = this.pending.findIndex((p) => p.sequence === sequence);
      if (kind === PACKET.REPLY) {
        if (index >= 0) this.pending.splice(index, 1)[0]!.resolve(packet.slice());
        return;
      }
      const error = this.xError(packet);
      if (index >= 0) this.pending.splice(index, 1)[0]!.reject(error);
      else this.onError?.(error);
      return;
    }
    this.onEvent?.(packet);
  }

  private xError(packet: Uint8Array): VidbusError {
    const e = parseError(packet);
    return new VidbusError('ERR_DISPLAY_UNAVAILABLE', `The X server ${this.display.name} refused a request: ${errorName(e.code)} error (request ${e.majorOpcode}.${e.minorOpcode}, value ${e.badValue})`);
  }

  private ended(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    const gone = new VidbusError('ERR_DEVICE_GONE', `The X display ${this.display.name} closed${error ? ` (${error.message})` : ''}: the screen is gone`, error ? { cause: error } : {});
    for (const p of this.pending.splice(0)) p.reject(gone);
    this.onEnd?.(gone);
  }

  private assertOpen(): void {
    if (this.closed) throw new VidbusError('ERR_CLOSED', `The connection to the X display ${this.display.name} is closed`);
  }

  /** Closes the connection (the server frees what it made for it). Idempotent. */
  close(): void {
    if (this.closed) return;
    try {
      this.flush(); // what was queued (frees, detach); the server frees the rest at disconnect anyway
    } catch {
      // the display is gone
    }
    this.closed = true;
    this.socket.close();
    const closed = new VidbusError('ERR_CLOSED', `The connection to the X display ${this.display.name} was closed`, { canceled: true });
    for (const p of this.pending.splice(0)) p.reject(closed);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function concatAll(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function unavailable(display: DisplayAddress, why: string, hint = ''): VidbusError {
  return new VidbusError(
    'ERR_DISPLAY_UNAVAILABLE',
    `Cannot use the X display ${display.name}: ${why}${hint}. Check that an X server runs there (DISPLAY, or start Xvfb ${display.name}) and that this user may connect to it`,
  );
}

/** The display's socket: the file first, then the same name in the abstract namespace (servers listen on both). */
function connect(display: DisplayAddress, events: ConstructorParameters<typeof StreamSocket>[2]): StreamSocket {
  try {
    return new StreamSocket(display.socketPath, false, events);
  } catch (fileError) {
    try {
      return new StreamSocket(display.socketPath, true, events);
    } catch {
      throw unavailable(display, `nothing listens on ${display.socketPath} (${(fileError as VidbusError).errno ?? (fileError as Error).message})`);
    }
  }
}

