/**
 * Person segmentation: which pixels of a picture are the person. Runs
 * MediaPipe's selfie-segmentation model (shipped in the npm package
 * @mediapipe/selfie_segmentation: the general 256x256 model, or the
 * landscape 144x256 one) with LiteRT.js in a worker thread, offline.
 *
 *   const seg = await Segmenter.create();
 *   const mask = await seg.segment(rgba, layout);   // seg.inputWidth x seg.inputHeight, 0..1 = person
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { VidbusError } from '../errors.js';
import { stretchFrame } from '../video/convert.js';
import { frameLayout, type FrameLayout } from '../video/formats.js';
import type { WorkerInit, WorkerReply } from './segmenter-worker.js';

/** MediaPipe's selfie-segmentation models: general (256x256) or landscape (144x256, faster). */
export type SegmentationModel = 'general' | 'landscape';

const MODEL_FILES: Record<SegmentationModel, string> = { general: 'selfie_segmentation.tflite', landscape: 'selfie_segmentation_landscape.tflite' };

/** Where the model and the runtime's WebAssembly live (both come with npm install). */
export function modelFiles(model: SegmentationModel): WorkerInit {
  const require = createRequire(import.meta.url);
  let mediapipe: string;
  let litert: string;
  try {
    mediapipe = dirname(require.resolve('@mediapipe/selfie_segmentation/package.json'));
    litert = dirname(require.resolve('@litertjs/core/package.json'));
  } catch (e) {
    throw new VidbusError('ERR_MODEL_LOAD', `The segmentation packages are not installed (${(e as Error).message}). Run npm install (they are dependencies of vidbus).`, { cause: e });
  }
  const modelPath = join(mediapipe, MODEL_FILES[model]);
  const wasmDir = join(litert, 'wasm');
  for (const path of [modelPath, join(wasmDir, 'litert_wasm_internal.wasm')]) {
    if (!existsSync(path)) throw new VidbusError('ERR_MODEL_LOAD', `${path} is missing: reinstall the package it belongs to (npm ci).`);
  }
  return { modelPath, wasmDir };
}

export class Segmenter implements AsyncDisposable {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (m: Float32Array) => void; reject: (e: Error) => void }>();
  private readonly inputLayout: FrameLayout;
  private readonly rgb: Uint8Array;
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    readonly inputWidth: number,
    readonly inputHeight: number,
  ) {
    this.inputLayout = frameLayout('RGB24', inputWidth, inputHeight);
    this.rgb = new Uint8Array(this.inputLayout.frameBytes);
    worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'ready') return;
      const waiting = reply.id !== undefined ? this.pending.get(reply.id) : undefined;
      if (!waiting) return;
      this.pending.delete(reply.id!);
      if (reply.type === 'mask') waiting.resolve(reply.mask);
      else waiting.reject(new VidbusError('ERR_MODEL_LOAD', `Segmentation failed: ${reply.message}`));
    });
    worker.on('error', (e) => this.failAll(e));
    worker.on('exit', () => this.failAll(new VidbusError('ERR_CLOSED', 'The segmentation worker stopped')));
  }

  static async create(options: { model?: SegmentationModel } = {}): Promise<Segmenter> {
    const model = options.model ?? 'general';
    if (!(model in MODEL_FILES)) throw new VidbusError('ERR_INVALID_OPTION', `Expected model to be general or landscape but received ${String(model)}`);
    const files = modelFiles(model);
    const worker = new Worker(new URL('./segmenter-worker.js', import.meta.url), { workerData: files });
    const ready = await new Promise<WorkerReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    }).catch((e: Error) => ({ type: 'error' as const, message: e.message }));
    if (ready.type !== 'ready') {
      await worker.terminate();
      throw new VidbusError('ERR_MODEL_LOAD', `Cannot load ${files.modelPath}: ${ready.type === 'error' ? ready.message : 'unexpected reply'}`);
    }
    return new Segmenter(worker, ready.inputWidth, ready.inputHeight);
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /**
   * The person mask of a raw picture (any raw format and size; it is scaled
   * to the model's input): inputWidth x inputHeight floats, 1 = person.
   */
  segment(data: Uint8Array, layout: FrameLayout): Promise<Float32Array> {
    if (this.closed) return Promise.reject(new VidbusError('ERR_CLOSED', 'The segmenter is closed'));
    stretchFrame(data, layout, this.rgb, this.inputLayout);
    // A copy the worker owns (transferred, not cloned); it scales it to 0..1 floats itself, off this thread.
    const rgb = this.rgb.slice();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'segment', id, rgb }, [rgb.buffer]);
    });
  }

  /** Stops the worker. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.worker.terminate();
  }

  /** Same as close(). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
