/**
 * `vidbus fx <input> --out <output> --blur 12 | --background photo.jpg |
 * --background-color #00ff00`: background effects as a bus stage, with a
 * status line (fps and where the time goes) while someone reads the output.
 */
import { UsageError, parseArgs, parsePositive } from './usage.js';
import type { EffectStageOptions } from '../effects/effect-stage.js';
import type { RawFormat } from '../video/formats.js';

export function parseFxArgs(argv: string[]): { options: EffectStageOptions; json: boolean } {
  const parsed = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      blur: { type: 'string' },
      background: { type: 'string' },
      'background-color': { type: 'string' },
      brightness: { type: 'string' },
      contrast: { type: 'string' },
      format: { type: 'string' },
      model: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  const [input, ...extra] = parsed.positionals;
  const v = parsed.values;
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
  return { options, json: v.json === true };
}

export async function fx(argv: string[]): Promise<void> {
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
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(timer);
  await stage.close();
  process.stderr.write(`${tty ? '\n' : ''}vidbus fx: stopped after ${stage.stats().processed} frames\n`);
}
