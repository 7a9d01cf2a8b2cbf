/**
 * A private X server for screen tests: Xvfb on a free display number
 * (-displayfd), kept from resetting when its last client leaves (-noreset,
 * so what xsetroot paints stays), stopped by the test even when it fails.
 * The root window is painted with xsetroot, a client vidbus does not share
 * any code with: a tiled XBM bitmap in two colours puts known pixels at
 * known places.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const haveXvfb = () => spawnSync('sh', ['-c', 'command -v Xvfb && command -v xsetroot'], { stdio: 'ignore' }).status === 0;

/**
 * The display number an Xvfb started with `-displayfd 3` (and fd 3 a pipe)
 * writes once it listens. Rejects if it exits first or takes over 15 s.
 */
export function displayNumber(xvfb: ChildProcess, why: () => string = () => ''): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('Xvfb did not report a display')), 15000);
    (xvfb.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) {
        clearTimeout(timer);
        resolve(text.trim());
      }
    });
    xvfb.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited (${code})${why() ? `: ${why()}` : ''}`));
    });
  });
}

export class Xvfb {
  private constructor(
    private readonly child: ChildProcess,
    /** e.g. ':5' */
    readonly display: string,
    readonly width: number,
    readonly height: number,
    private readonly dir: string,
  ) {}

  static async start(width = 320, height = 240, depth = 24): Promise<Xvfb> {
    const child = spawn('Xvfb', ['-displayfd', '3', '-nolisten', 'tcp', '-noreset', '-screen', '0', `${width}x${height}x${depth}`], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const number = await displayNumber(child, () => stderr.slice(-400));
    return new Xvfb(child, `:${number}`, width, height, mkdtempSync(join(tmpdir(), 'vidbus-xvfb-')));
  }

  /**
   * Tiles the root window with a `size`x`size` bitmap whose set bits are
   * the square [x, x+side) x [y, y+side), in `fg` on `bg` ('#rrggbb').
   */
  paintSquare(size: number, x: number, y: number, side: number, fg: string, bg: string): void {
    const rowBytes = Math.ceil(size / 8);
    const bits = new Uint8Array(rowBytes * size);
    for (let row = y; row < y + side; row++) for (let col = x; col < x + side; col++) bits[row * rowBytes + (col >> 3)]! |= 1 << (col & 7);
    const file = join(this.dir, 'tile.xbm');
    writeFileSync(file, `#define t_width ${size}\n#define t_height ${size}\nstatic unsigned char t_bits[] = {\n${[...bits].map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(',')}\n};\n`);
    this.xsetroot(['-bitmap', file, '-fg', fg, '-bg', bg]);
  }

  /** Paints the whole root window one colour. */
  paintSolid(colour: string): void {
    this.xsetroot(['-solid', colour]);
  }

  private xsetroot(args: string[]): void {
    const r = spawnSync('xsetroot', ['-display', this.display, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`xsetroot ${args.join(' ')}: ${r.stderr}`);
  }

  /** Stops the server (its clients see the connection close). Idempotent. */
  async stop(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}
