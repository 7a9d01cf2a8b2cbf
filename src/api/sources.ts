/**
 * `vidbus/sources`: the sources vidbus ships besides cameras (a test
 * pattern, anything ffmpeg reads, a screen), and the registry every source uses.
 *
 *   import { createSource } from 'vidbus/sources';
 *   await using pattern = await createSource('pattern', { name: 'test', width: 640, height: 480 });
 *
 * @module
 */
export { createPatternSource, PatternSource, patternSourceKind } from '../sources/pattern-source.js';
export type { PatternSourceOptions } from '../sources/pattern-source.js';
export { createFfmpegSource, FfmpegSource, ffmpegSourceKind } from '../sources/ffmpeg-source.js';
export type { FfmpegSourceOptions, FfmpegSourceStats } from '../sources/ffmpeg-source.js';
export { createScreenSource, parseRegion, X11ScreenSource, screenSourceKind } from '../sources/screen-source.js';
export type { ScreenSourceOptions } from '../sources/screen-source.js';
export type { CopyMode, Region } from '../devices/x11/capture.js';
export { Completion } from '../sources/source.js';
export { findSource, createSource, registerSource, sourceKinds, unregisterSource } from '../sources/builtin.js';
export type { CommonSourceArgs, Source, SourceCliOption, SourceKind, SourceStats } from '../sources/source.js';
