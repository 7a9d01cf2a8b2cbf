/**
 * vidbus-pipewire (pipewire/ at the top of the repository): the C bridge
 * between the bus and PipeWire, run as a helper process (util/helper-process.ts)
 * so that Node never links libpipewire.
 */
import { VidbusError } from '../errors.js';
import { HelperProcess, helperPath, type HelperSpec } from '../util/helper-process.js';

export type { HelperEvent } from '../util/helper-process.js';

const PIPEWIRE_HELPER: HelperSpec = {
  program: 'vidbus-pipewire',
  folder: 'pipewire',
  envVar: 'VIDBUS_PIPEWIRE_HELPER',
  buildHint: "Build it with `make -C pipewire` in the vidbus checkout (it needs Debian's libpipewire-0.3-dev: sudo apt-get install libpipewire-0.3-dev), or set VIDBUS_PIPEWIRE_HELPER to its path.",
  silence: (event, timeoutMs) =>
    new VidbusError('ERR_PIPEWIRE_UNAVAILABLE', `PipeWire did not answer within ${timeoutMs} ms (waiting for "${event}"). Is WirePlumber (the session manager) running?`),
};

/** Where vidbus-pipewire is: $VIDBUS_PIPEWIRE_HELPER, the checkout's build, then the install locations. ERR_TOOL_MISSING otherwise. */
export function pipewireHelperPath(): string {
  return helperPath(PIPEWIRE_HELPER);
}

/** A running vidbus-pipewire. */
export class PipeWireHelper extends HelperProcess {
  /** Starts `vidbus-pipewire <args>`; ERR_TOOL_MISSING when it is not built. */
  static start(args: string[]): PipeWireHelper {
    return new PipeWireHelper(PIPEWIRE_HELPER, args);
  }
}

/** A PipeWire video node, as `vidbus devices` shows it. */
export interface PipeWireNode {
  /** the global id (changes when the node is made again) */
  id: number;
  /** object.serial: never reused while PipeWire runs */
  serial: number | undefined;
  /** node.name */
  name: string;
  /** node.description: what applications show */
  description: string;
  /** media.class, e.g. Video/Source */
  mediaClass: string;
  /** media.role, e.g. Camera */
  role: string;
}

/** The video nodes PipeWire has now. ERR_PIPEWIRE_UNAVAILABLE when it is not running, ERR_TOOL_MISSING when the bridge is not built. */
export async function listPipeWireNodes(): Promise<PipeWireNode[]> {
  const helper = PipeWireHelper.start(['nodes']);
  const nodes: PipeWireNode[] = [];
  helper.onEvent = (e) => {
    if (e.event !== 'node') return;
    nodes.push({
      id: Number(e.id),
      serial: typeof e.serial === 'number' ? e.serial : undefined,
      name: String(e.name ?? ''),
      description: String(e.description ?? ''),
      mediaClass: String(e.mediaClass ?? ''),
      role: String(e.role ?? ''),
    });
  };
  const failure = await helper.exited;
  if (failure) throw failure;
  return nodes;
}
