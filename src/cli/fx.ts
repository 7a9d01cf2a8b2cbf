/**
 * `vidbus fx <input> --out <output> --blur 12 | --background photo.jpg |
 * --background-color #00ff00`: background effects as a bus stage, with a
 * status line (fps and where the time goes) while someone reads the output.
 */
import { untilStopped } from '../util/signals.js';
import { parseOptions, type Command } from './command.js';
import { UsageError, parsePositive } from './usage.js';
import type { EffectStageOptions } from '../effects/effect-stage.js';
import type { RawFormat } from '../video/formats.js';

const FX_OPTIONS = {
  out: { type: 'string', value: 'STREAM', help: 'the stream to publish the result to (required)' },
  blur: { type: 'string', value: 'N', help: 'blur the background with this radius' },
  background: { type: 'string', value: 'FILE', help: 'replace the background with this picture (PNG or JPEG)' },
  'background-color': { type: 'string', value: '#RRGGBB', help: 'replace the background with a colour' },
  brightness: { type: 'string', value: '-100..100', help: 'touch up the person\'s brightness' },
  contrast: { type: 'string', value: '0.5..2', help: 'touch up the person\'s contrast' },
  format: { type: 'string', value: 'FORMAT', help: 'the output\'s raw format (default: the input\'s)' },
  model: { type: 'string', value: 'general|landscape', help: 'the segmentation model (landscape: faster, 144x256)' },
  json: { type: 'boolean', default: false, help: 'one JSON progress line per second on stdout' },
} as const;

export function parseFxArgs(argv: string[]): { options: EffectStageOptions; json: boolean } {
  const parsed = parseOptions(FX_OPTIONS, argv, true);
  const [input, ...extra] = parsed.positionals;
  const v = parsed.values as Record<string, string | undefined>;
  if (!input) throw new UsageError('fx needs an input stream: vidbus fx cam0 --out cam0-fx --blur 12');
  if (extra.length) throw new UsageError(`fx takes one input stream; received also ${extra.join(' ')}`);
  if (!v.out) throw new UsageError('fx needs --out <stream> for the result');
  const effects = [v.blur, v.background, v['background-color']].filter((e) => e !== undefined).length;
  if (effects !== 1) throw new UsageError('fx needs exactly one of --blur N, --background FILE, --background-color #RRGGBB');
  const options: EffectStageOptions = { input, output: v.out, effect: {} };
  if (v.blur !== undefined) options.effect.blur = parsePositive('blur', v.blur);
  if (v.background !== undefined) options.effect.background = v.background;
  if (v['background-color'] !== undefined) options.effect.color = v['background-color'];
  const number = (name: string, text: string) => {
    const n = Number(text);
    if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number; received ${text}`);
    return n;
  };
  if (v.brightness !== undefined) options.effect.brightness = number('brightness', v.brightness);
  if (v.contrast !== undefined) options.effect.contrast = number('contrast', v.contrast);
  if (v.format !== undefined) options.format = v.format.toUpperCase() as RawFormat;
  if (v.model !== undefined) {
    if (v.model !== 'general' && v.model !== 'landscape') throw new UsageError(`--model must be general or landscape; received ${v.model}`);
    options.model = v.model;
  }
  return { options, json: parsed.values.json === true };
}

export const fxCommand: Command = {
  name: 'fx',
  summary: 'Background blur or replacement as a stage between two streams (on the CPU, offline).',
  synopsis: ['<input> --out <stream> (--blur 12 | --background photo.jpg | --background-color #00ff00) [--brightness N] [--contrast N] [--format F] [--model general|landscape] [--json]'],
  options: FX_OPTIONS,
  examples: ['fx cam0 --out cam0-fx --blur 12'],
  async run(argv, { signal }) {
    const { options, json } = parseFxArgs(argv);
    const { createEffectStage } = await import('../effects/effect-stage.js');
    const stage = await createEffectStage(options);
    process.stderr.write(`vidbus fx: "${options.input}" -> "${options.output}" (${Object.entries(options.effect).map(([k, v]) => `${k} ${v}`).join(', ')}); idle until something reads "${options.output}"\n`);
    const tty = process.stderr.isTTY === true;
    let last = 0;
    const timer = setInterval(() => {
      const s = stage.stats();
      const fps = s.processed - last;
      last = s.processed;
      const t = s.timings;
      if (json) process.stdout.write(`${JSON.stringify({ type: 'progress', fps, ...s })}\n`);
      else if (tty) process.stderr.write(`\r${s.idle ? 'idle (no readers)' : `${fps} fps`}  ${s.processed} frames  decode ${t.decode} ms  model ${t.inference} ms  composite ${t.composite} ms  encode ${t.encode} ms   `);
    }, 1000);
    await untilStopped(signal);
    clearInterval(timer);
    await stage.close();
    process.stderr.write(`${tty ? '\n' : ''}vidbus fx: stopped after ${stage.stats().processed} frames\n`);
  },
};
