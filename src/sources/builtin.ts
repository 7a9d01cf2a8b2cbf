/**
 * The sources vidbus ships, registered once. A new source is a file that
 * exports its SourceKind, plus one line here.
 */
import { cameraSourceKind } from './camera.js';
import { ffmpegSourceKind } from './ffmpeg-source.js';
import { patternSourceKind } from './pattern-source.js';
import { pipewireSourceKind } from './pipewire-source.js';
import { screenSourceKind } from './screen-source.js';
import { registerSource, sourceKinds } from './source.js';

if (sourceKinds().length === 0) {
  registerSource(cameraSourceKind);
  registerSource(patternSourceKind);
  registerSource(ffmpegSourceKind);
  registerSource(pipewireSourceKind);
  registerSource(screenSourceKind);
}

export { findSource, createSource, registerSource, sourceKinds, unregisterSource } from './source.js';
export type { CommonSourceArgs, Source, SourceKind, SourceStats } from './source.js';
