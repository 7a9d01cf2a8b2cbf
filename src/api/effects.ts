/**
 * `vidbus/effects`: background blur and replacement as a stage between
 * two bus streams (person segmentation on the CPU, offline).
 *
 *   import { createEffectStage } from 'vidbus/effects';
 *   await using stage = await createEffectStage({ input: 'cam0', output: 'cam0-fx', effect: { blur: 12 } });
 *
 * @module
 */
export { createEffectStage, EffectStage } from '../effects/effect-stage.js';
export type { EffectSpec, EffectStageOptions, StageStats, StageTimings } from '../effects/effect-stage.js';
export type { SegmentationModel } from '../effects/segmenter.js';
