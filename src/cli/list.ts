/** `vidbus list [--watch] [--json]`: live streams, read straight from /dev/shm. */
import { untilStopped } from '../util/signals.js';
import { parseOptions, type Command } from './command.js';
import type { StreamInfo } from '../bus/streams.js';

function row(s: StreamInfo): Record<string, unknown> {
  const d = s.description;
  const ageS = d ? Math.max(0, (Date.now() * 1e6 - Number(d.createdWallNs)) / 1e9) : undefined;
  return {
    name: s.name,
    status: s.status,
    format: d?.layout.format,
    size: d ? `${d.layout.width}x${d.layout.height}` : undefined,
    fps: d ? +(d.fps.num / d.fps.den).toFixed(3) : undefined,
    producerPid: d?.producerPid,
    consumers: s.consumers.length,
    published: s.published,
    dropped: s.dropped,
    ageSeconds: ageS !== undefined ? Math.round(ageS) : undefined,
    ...(s.problem ? { problem: s.problem } : {}),
  };
}

export function formatStreams(streams: StreamInfo[]): string {
  if (streams.length === 0) return 'No streams. Start one: vidbus stream --device /dev/video0 --name cam0\n';
  const rows = streams.map(row);
  const cols = ['name', 'status', 'format', 'size', 'fps', 'producerPid', 'consumers', 'published', 'dropped', 'ageSeconds'] as const;
  const head = ['NAME', 'STATUS', 'FORMAT', 'SIZE', 'FPS', 'PID', 'CONSUMERS', 'PUBLISHED', 'DROPPED', 'AGE s'];
  const cells = [head, ...rows.map((r) => cols.map((c) => (r[c] === undefined ? '-' : String(r[c]))))];
  const widths = head.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  return `${cells.map((line) => line.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')}\n`;
}

const LIST_OPTIONS = {
  watch: { type: 'boolean', default: false, help: 'refresh every second until Ctrl-C' },
  json: { type: 'boolean', default: false, help: 'one JSON array per listing' },
} as const;

export function parseListArgs(argv: string[]): { watch: boolean; json: boolean } {
  const { values: v } = parseOptions(LIST_OPTIONS, argv);
  return { watch: v.watch === true, json: v.json === true };
}

export const listCommand: Command = {
  name: 'list',
  summary: 'Live streams: format, size, fps, producer, consumers, age.',
  synopsis: ['[--watch] [--json]'],
  options: LIST_OPTIONS,
  examples: ['list --watch'],
  async run(argv, { signal }) {
    const args = parseListArgs(argv);
    const { listStreams } = await import('../bus/streams.js');
    const print = () => {
      const streams = listStreams();
      if (args.json) process.stdout.write(`${JSON.stringify(streams.map(row))}\n`);
      else process.stdout.write(`${args.watch && process.stdout.isTTY ? '\x1b[H\x1b[2J' : ''}${formatStreams(streams)}`);
    };
    print();
    if (!args.watch) return;
    const timer = setInterval(print, 1000);
    await untilStopped(signal);
    clearInterval(timer);
  },
};
