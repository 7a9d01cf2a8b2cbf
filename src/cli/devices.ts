/** `vidbus devices [--formats] [--json]` and `vidbus info [--json]`. */
import { parseOptions, type Command } from './command.js';

export const devicesCommand: Command = {
  name: 'devices',
  summary: 'Video devices by role (camera, loopback, encoder, decoder, converter, output).',
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
