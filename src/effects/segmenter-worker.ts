/**
 * The segmentation worker: runs MediaPipe's selfie-segmentation model with
 * LiteRT.js (WebAssembly, XNNPACK) off the main thread, so a 10-30 ms
 * inference never stalls the event loop that moves frames.
 *
 * LiteRT.js is written for browsers; its Emscripten loader runs in Node
 * once it finds what a classic worker script would have: `self`,
 * `importScripts`, and CommonJS's `require` and `__dirname` for the
 * script being loaded. Those shims live here, in the worker's own global.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';

export interface WorkerInit {
  wasmDir: string;
  modelPath: string;
}

/** `rgb`: the model's input size, 8-bit RGB; the worker scales it to 0..1 floats. */
export type WorkerRequest = { type: 'segment'; id: number; rgb: Uint8Array };
export type WorkerReply =
  | { type: 'ready'; inputWidth: number; inputHeight: number }
  | { type: 'mask'; id: number; mask: Float32Array }
  | { type: 'error'; id?: number; message: string };

const g = globalThis as unknown as Record<string, unknown>;
g.self = globalThis;
g.require = createRequire(import.meta.url);
g.importScripts = (...urls: string[]) => {
  for (const url of urls) {
    const path = url.startsWith('file://') ? fileURLToPath(url) : url;
    g.__dirname = dirname(path);
    g.__filename = path;
    vm.runInThisContext(readFileSync(path, 'utf8'), { filename: path });
  }
};

const port = parentPort!;
const init = workerData as WorkerInit;

try {
  // LiteRT logs its set-up to the console; the worker keeps that quiet.
  const quiet = console.log;
  console.log = () => undefined;
  console.info = () => undefined;
  console.warn = () => undefined;
  console.error = () => undefined;
  const { loadLiteRt, loadAndCompile, Tensor } = await import('@litertjs/core');
  await loadLiteRt(init.wasmDir.endsWith('/') ? init.wasmDir : `${init.wasmDir}/`);
  const model = await loadAndCompile(new Uint8Array(readFileSync(init.modelPath)), { accelerator: 'wasm' });
  console.log = quiet;
  const shape = model.getInputDetails()[0]!.shape as unknown as Record<string, number>;
  const [height, width] = [shape[1]!, shape[2]!];
  port.postMessage({ type: 'ready', inputWidth: width, inputHeight: height } satisfies WorkerReply);
  port.on('message', async (request: WorkerRequest) => {
    try {
      const floats = new Float32Array(request.rgb.length);
      for (let i = 0; i < floats.length; i++) floats[i] = request.rgb[i]! / 255;
      const input = new Tensor(floats, [1, height, width, 3]);
      const [output] = await model.run([input]);
      const mask = Float32Array.from(output!.toTypedArray() as Float32Array);
      input.delete();
      output!.delete();
      port.postMessage({ type: 'mask', id: request.id, mask } satisfies WorkerReply, [mask.buffer]);
    } catch (e) {
      port.postMessage({ type: 'error', id: request.id, message: (e as Error).message } satisfies WorkerReply);
    }
  });
} catch (e) {
  port.postMessage({ type: 'error', message: `the segmentation model did not load: ${(e as Error).message}` } satisfies WorkerReply);
}
