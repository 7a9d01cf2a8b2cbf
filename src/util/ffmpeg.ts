/**
 * ffmpeg and ffprobe as child processes: what every file, URL and encoder
 * path goes through. One place to find them, probe inputs, name pixel
 * formats the ffmpeg way, and turn their failures into typed errors.
 */
import { spawnSync } from 'node:child_process';
import { VidbusError } from '../errors.js';


const INSTALL = 'Install it: sudo apt-get install ffmpeg';

/** Throws ERR_TOOL_MISSING unless `tool` (ffmpeg or ffprobe) runs. */
export function requireTool(tool: 'ffmpeg' | 'ffprobe'): void {
  const run = spawnSync(tool, ['-hide_banner', '-version'], { encoding: 'utf8', timeout: 30000 });
  if (run.error || run.status !== 0) throw new VidbusError('ERR_TOOL_MISSING', `${tool} is needed for this and was not found. ${INSTALL}.`);
}

export interface ProbedVideo {
  width: number;
  height: number;
  /** frames per second, if the input says */
  fps: number | undefined;
  codec: string;
  /** frames in the stream, when ffprobe can count them (count: true) */
  frames?: number;
  duration?: number;
}

/** ffprobe's view of the first video stream of `input`. */
export function probeVideo(input: string, options: { count?: boolean; format?: string } = {}): ProbedVideo {
  requireTool('ffprobe');
  const args = ['-v', 'error', ...(options.format ? ['-f', options.format] : []), '-select_streams', 'v:0'];
  if (options.count) args.push('-count_frames');
  args.push('-show_entries', 'stream=width,height,avg_frame_rate,r_frame_rate,codec_name,nb_read_frames,nb_frames:format=duration', '-of', 'json', input);
  const run = spawnSync('ffprobe', args, { encoding: 'utf8', timeout: 120000 });
  if (run.status !== 0) throw new VidbusError('ERR_TOOL_FAILED', `ffprobe cannot read ${input}: ${run.stderr.trim() || `exit ${run.status}`}`);
  const parsed = JSON.parse(run.stdout) as { streams?: Record<string, string | number>[]; format?: { duration?: string } };
  const s = parsed.streams?.[0];
  if (!s || !s.width) throw new VidbusError('ERR_TOOL_FAILED', `${input} has no video stream`);
  const rate = (text: unknown) => {
    const [n, d] = String(text ?? '0/0').split('/').map(Number);
    return n && d ? n / d : undefined;
  };
  const frames = Number(s.nb_read_frames ?? s.nb_frames);
  const duration = Number(parsed.format?.duration);
  return {
    width: Number(s.width),
    height: Number(s.height),
    fps: rate(s.avg_frame_rate) ?? rate(s.r_frame_rate),
    codec: String(s.codec_name),
    ...(Number.isFinite(frames) && frames > 0 ? { frames } : {}),
    ...(Number.isFinite(duration) ? { duration } : {}),
  };
}
