/**
 * The lint rules that keep the architecture honest fail on what they are
 * meant to catch: a file outside src/native/ that loads the addon, an
 * import that goes up a layer, an example that reaches past the public
 * API. Each fixture is linted as if it lived at the given path.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function problems(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${path}` });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('lint rules', () => {
  it('only src/native/ loads the addon', async () => {
    assert.match((await problems('src/sinks/fixture.ts', "import { loadNative } from '../native/binding.js';\nloadNative();\n")).join('\n'), /Only src\/native\/ loads the addon/);
    assert.match((await problems('src/bus/fixture.ts', "import { loadNative } from '../native/binding.js';\nloadNative();\n")).join('\n'), /Only src\/native\/ loads the addon/);
    assert.match((await problems('test/fixture.ts', "process.dlopen({ exports: {} }, 'x');\n")).join('\n'), /Only src\/native\/ loads the addon/);
    assert.match((await problems('src/effects/fixture.ts', "import { createRequire } from 'node:module';\ncreateRequire(import.meta.url)('../build/Release/vidbus_native.node');\n")).join('\n'), /Only src\/native\/ loads the addon/);
    assert.deepEqual(await problems('src/native/fixture.ts', "import { loadNative } from './binding.js';\nloadNative();\n"), []);
    assert.deepEqual(await problems('src/sinks/fixture.ts', "import { setStreaming } from '../native/v4l2-stream.js';\nsetStreaming(0, 'output', false);\n"), [], 'the typed wrappers are fine');
  });

  it('imports point down the layers', async () => {
    const up: [string, string][] = [
      ['src/bus/fixture.ts', '../sinks/v4l2loopback.js'],
      ['src/video/fixture.ts', '../bus/producer.js'],
      ['src/util/fixture.ts', '../video/formats.js'],
      ['src/sources/fixture.ts', '../sinks/recorder.js'],
      ['src/sinks/fixture.ts', '../sources/camera.js'],
      ['src/devices/fixture.ts', '../sinks/v4l2loopback.js'],
      ['src/daemon/fixture.ts', '../cli/main.js'],
      ['src/native/fixture.ts', '../bus/producer.js'],
    ];
    for (const [path, target] of up) {
      assert.match((await problems(path, `import * as x from '${target}';\nvoid x;\n`)).join('\n'), /Layers point one way/, `${path} -> ${target}`);
    }
    const down: [string, string][] = [
      ['src/cli/fixture.ts', '../daemon/vcam-service.js'],
      ['src/daemon/fixture.ts', '../sinks/builtin.js'],
      ['src/sinks/fixture.ts', '../devices/loopback.js'],
      ['src/bus/fixture.ts', '../video/formats.js'],
      ['src/native/fixture.ts', '../video/formats.js'],
      ['src/video/fixture.ts', '../util/options.js'],
    ];
    for (const [path, target] of down) assert.deepEqual(await problems(path, `import * as x from '${target}';\nvoid x;\n`), [], `${path} -> ${target}`);
  });

  it('examples use the public API only', async () => {
    assert.match((await problems('examples/fixture.ts', "import { drawPattern } from '../src/video/pattern.js';\nvoid drawPattern;\n")).join('\n'), /public API/);
    assert.deepEqual(await problems('examples/fixture.ts', "import { createProducer } from '../src/index.js';\nimport { createCameraSource } from '../src/api/camera.js';\nvoid createProducer;\nvoid createCameraSource;\n"), []);
  });
});
