/** `vidbus devices [--formats] [--json]` and `vidbus info [--json]`. */
import { parseOptions, type Command } from './command.js';

/** The PipeWire video nodes, when the bridge is built and PipeWire answers (nothing otherwise: PipeWire is optional). */
async function pipewireSection(): Promise<string> {
  const { listPipeWireNodes } = await import('../devices/pipewire-helper.js');
  try {
    const nodes = await listPipeWireNodes();
    if (nodes.length === 0) return '\nPipeWire: no video nodes.\n';
    const rows = nodes.map((n) => `  ${String(n.id).padEnd(5)} ${n.mediaClass.padEnd(14)} ${n.name}${n.description && n.description !== n.name ? ` "${n.description}"` : ''}${n.role ? ` (${n.role})` : ''}`);
    return `\nPipeWire video nodes (vidbus stream --pipewire <id|name|description>):\n${rows.join('\n')}\n`;
  } catch {
    return '';
  }
}

export const devicesCommand: Command = {
  name: 'devices',
  summary: 'Video devices by role (camera, loopback, encoder, decoder, converter, output), PipeWire video nodes, and screens.',
  synopsis: ['[--formats] [--json]'],
  options: {
    formats: { type: 'boolean', default: false, help: 'add each device\'s formats, sizes and rates' },
    json: { type: 'boolean', default: false, help: 'the list as JSON' },
  },
  examples: ['devices --formats'],
  async run(argv) {
    const { values } = parseOptions(this.options, argv);
    const { listDevices, formatDevices } = await import('../devices/discover.js');
    const list = listDevices({ formats: values.formats === true });
    process.stdout.write(values.json ? `${JSON.stringify(list, null, 2)}\n` : formatDevices(list));
    if (!values.json) {
      const { listScreens, formatScreens, listDrmScreens, formatDrmScreens } = await import('../devices/screens.js');
      process.stdout.write(await pipewireSection());
      process.stdout.write(formatScreens(await listScreens()));
      process.stdout.write(formatDrmScreens(listDrmScreens()));
    }
  },
};

export const infoCommand: Command = {
  name: 'info',
  summary: 'What this machine offers: video modules, devices, ffmpeg, GStreamer, PipeWire, your access.',
  synopsis: ['[--json]'],
  options: { json: { type: 'boolean', default: false, help: 'the report as JSON' } },
  async run(argv) {
    const { values } = parseOptions(this.options, argv);
    const { systemInfo, formatSystemInfo } = await import('../devices/system-info.js');
    const report = systemInfo();
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatSystemInfo(report));
  },
};
