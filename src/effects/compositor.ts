/**
 * Compositing a person over a new background from a segmentation mask:
 * the mask is smoothed over time (no flicker at the edges), given soft
 * edges (a smoothstep around the model's 50% line), scaled up to the
 * picture so that its edges follow the picture's (a guided filter), and
 * used to blend the picture over a blurred copy of itself, a
 * picture scaled to cover the frame, or a plain colour. The per-pixel work
 * runs in native code (native/effects.c).
 */
import { VidbusError } from '../errors.js';
import { blurRgba, compositeRgba, guidedAlpha, levelsRgba, maskToAlpha, resizeRgba } from '../native/effects.js';
import { frameLayout } from '../video/formats.js';
import { stretchFrame } from '../video/convert.js';
import type { RgbaImage } from '../video/png.js';

export type Effect = { kind: 'blur'; radius: number } | { kind: 'image'; image: RgbaImage } | { kind: 'color'; rgb: readonly [number, number, number] };

export interface CompositorOptions {
  /** weight of the newest mask in the running average (default 0.6; 1 = no smoothing) */
  responsiveness?: number;
  /** mask values below this are background, above `high` person; soft in between (default 0.3 .. 0.7) */
  low?: number;
  high?: number;
  /** how the mask is scaled up: 'guided' follows the picture's edges (default), 'bilinear' does not */
  edges?: 'guided' | 'bilinear';
  /** touch-up of the person: brightness -100..100 (default 0), contrast 0.5..2 (default 1) */
  brightness?: number;
  contrast?: number;
}

/** The brightness/contrast curve: contrast around mid-grey, then an offset. */
export function touchUpCurve(brightness: number, contrast: number): Uint8Array {
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = Math.min(255, Math.max(0, Math.round((v - 128) * contrast + 128 + brightness * 1.28)));
  return lut;
}

/** The part of `image` that covers a width x height frame (centre crop), scaled to it. */
function cover(image: RgbaImage, width: number, height: number): Uint8Array {
  const scale = Math.max(width / image.width, height / image.height);
  const cw = Math.min(image.width, Math.round(width / scale));
  const ch = Math.min(image.height, Math.round(height / scale));
  const x0 = (image.width - cw) >> 1;
  const y0 = (image.height - ch) >> 1;
  // Describe the crop as a layout whose rows start inside the full picture.
  const crop = { ...frameLayout('RGBA', cw, ch), planes: [{ offset: (y0 * image.width + x0) * 4, stride: image.width * 4, rowBytes: cw * 4, rows: ch }] };
  const out = new Uint8Array(width * height * 4);
  stretchFrame(image.data, crop, out, frameLayout('RGBA', width, height));
  return out;
}

export class Compositor {
  private smoothed: Float32Array | undefined;
  private shaped: Float32Array | undefined;
  private readonly alpha: Uint8Array;
  private readonly background: Uint8Array;
  private readonly fixedBackground: boolean;
  /** the blur is made at 1/BLUR_SCALE of the size: as good to the eye, 16x less work */
  private readonly small: { width: number; height: number; a: Uint8Array; b: Uint8Array } | undefined;
  private readonly responsiveness: number;
  private readonly low: number;
  private readonly high: number;
  private readonly edges: 'guided' | 'bilinear';
  /** the touch-up curve, or undefined for none; applied to a copy, never to the caller's frame */
  private readonly curve: Uint8Array | undefined;
  private readonly touched: Uint8Array | undefined;

  constructor(
    readonly width: number,
    readonly height: number,
    private readonly effect: Effect,
    options: CompositorOptions = {},
  ) {
    this.responsiveness = options.responsiveness ?? 0.6;
    this.low = options.low ?? 0.3;
    this.high = options.high ?? 0.7;
    this.edges = options.edges ?? 'guided';
    if (this.edges !== 'guided' && this.edges !== 'bilinear') throw new VidbusError('ERR_INVALID_OPTION', `Expected edges to be guided or bilinear but received ${String(this.edges)}`);
    const brightness = options.brightness ?? 0;
    const contrast = options.contrast ?? 1;
    if (!(brightness >= -100 && brightness <= 100) || !(contrast >= 0.5 && contrast <= 2)) {
      throw new VidbusError('ERR_INVALID_OPTION', `Expected brightness from -100 to 100 and contrast from 0.5 to 2; received ${brightness} and ${contrast}`);
    }
    if (brightness !== 0 || contrast !== 1) {
      this.curve = touchUpCurve(brightness, contrast);
      this.touched = new Uint8Array(width * height * 4);
    }
    if (!(this.responsiveness > 0 && this.responsiveness <= 1) || !(this.low >= 0 && this.low < this.high && this.high <= 1)) {
      throw new VidbusError('ERR_INVALID_OPTION', 'Expected 0 < responsiveness <= 1 and 0 <= low < high <= 1');
    }
    if (effect.kind === 'blur' && !(Number.isInteger(effect.radius) && effect.radius >= 1 && effect.radius <= 200)) {
      throw new VidbusError('ERR_INVALID_OPTION', `Expected blur to be an integer from 1 to 200 but received ${effect.radius}`);
    }
    this.alpha = new Uint8Array(width * height);
    this.background = new Uint8Array(width * height * 4);
    this.fixedBackground = effect.kind !== 'blur';
    if (effect.kind === 'blur') {
      const scale = effect.radius >= 8 ? 4 : effect.radius >= 4 ? 2 : 1;
      const sw = Math.max(1, Math.round(width / scale));
      const sh = Math.max(1, Math.round(height / scale));
      this.small = scale > 1 ? { width: sw, height: sh, a: new Uint8Array(sw * sh * 4), b: new Uint8Array(sw * sh * 4) } : undefined;
    }
    if (effect.kind === 'image') this.background.set(cover(effect.image, width, height));
    if (effect.kind === 'color') for (let i = 0; i < this.background.length; i += 4) this.background.set([effect.rgb[0], effect.rgb[1], effect.rgb[2], 255], i);
  }

  /** Folds a new mask into the running one (temporal smoothing); returns the running mask. */
  private smooth(mask: Float32Array): Float32Array {
    const k = this.responsiveness;
    if (!this.smoothed || this.smoothed.length !== mask.length) this.smoothed = Float32Array.from(mask);
    else for (let i = 0; i < mask.length; i++) this.smoothed[i] = this.smoothed[i]! * (1 - k) + mask[i]! * k;
    return this.smoothed;
  }

  /** A smoothstep from low to high: soft, but no halo of half-transparent background. */
  private shape(mask: Float32Array): Float32Array {
    if (this.shaped?.length !== mask.length) this.shaped = new Float32Array(mask.length);
    const out = this.shaped;
    const span = this.high - this.low;
    for (let i = 0; i < out.length; i++) {
      const t = Math.min(1, Math.max(0, (mask[i]! - this.low) / span));
      out[i] = t * t * (3 - 2 * t);
    }
    return out;
  }

  /**
   * Composites `frame` (tight RGBA, width x height) with `mask`
   * (maskWidth x maskHeight, 1 = person) into `out` (tight RGBA).
   */
  apply(frame: Uint8Array, mask: Float32Array, maskWidth: number, maskHeight: number, out: Uint8Array): void {
    const smoothed = this.smooth(mask);
    if (this.edges === 'guided' && this.width >= maskWidth && this.height >= maskHeight) {
      // radius 4 cells, eps 1e-3: edges snap to luma steps of about 3% and more; shaped after filtering
      guidedAlpha(smoothed, maskWidth, maskHeight, frame, this.width, this.height, this.alpha, 4, 1e-3, this.low, this.high);
    } else {
      maskToAlpha(this.shape(smoothed), maskWidth, maskHeight, this.alpha, this.width, this.height);
    }
    if (!this.fixedBackground) this.blurBackground(frame, (this.effect as { radius: number }).radius);
    let person = frame;
    if (this.curve && this.touched) {
      this.touched.set(frame.subarray(0, this.touched.length));
      levelsRgba(this.touched, this.width * this.height, this.curve);
      person = this.touched;
    }
    compositeRgba(person, this.background, this.alpha, out, this.width, this.height);
  }

  private blurBackground(frame: Uint8Array, radius: number): void {
    const s = this.small;
    if (!s) {
      blurRgba(frame, this.background, this.width, this.height, radius);
      return;
    }
    const scale = this.width / s.width;
    resizeRgba(frame, this.width, this.height, s.a, s.width, s.height);
    blurRgba(s.a, s.b, s.width, s.height, Math.max(1, Math.round(radius / scale)));
    resizeRgba(s.b, s.width, s.height, this.background, this.width, this.height);
  }

  /** The alpha plane of the last apply() (255 = person), for tests and previews. */
  get lastAlpha(): Uint8Array {
    return this.alpha;
  }
}
