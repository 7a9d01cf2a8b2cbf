/**
 * In the lab VM: DRM/KMS screen capture from real display drivers. The VM
 * has two cards (test/vm/lab.ts): std VGA under bochs-drm, whose scanout
 * buffers cannot be exported (read through the dumb-buffer map), and
 * virtio-gpu, whose can (read as a DMA-BUF), with a second output that is
 * off. modetest (libdrm-tests) sets a mode and draws its SMPTE bars with no
 * compositor; the stream must show those bars. A process without
 * CAP_SYS_ADMIN, on a card whose master is modetest, gets ERR_PERMISSION.
 */
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { isVidbusError, openConsumer } from '../../../src/index.js';
import { listDrmOutputs } from '../../../src/devices/drm.js';
import { formatDrmScreens, listDrmScreens } from '../../../src/devices/screens.js';
import { createScreenSource } from '../../../src/sources/screen-source.js';
import { cardOf, showBars, SMPTE_BARS } from './display.js';
import { inVm, modprobe, waitFor } from './kernel.js';

const W = 1024;
const H = 768;

function stop(child: ChildProcess | undefined): void {
  if (child && child.exitCode === null) child.kill('SIGKILL');
}

describe('DRM screen capture in the lab', { skip: inVm ? false : 'runs inside the VM lab only (npm run test:vm)' }, () => {
  before(() => {
    modprobe('bochs');
    modprobe('virtio_gpu');
  });

  for (const [driver, path] of [
    ['bochs-drm', 'a dumb-buffer map'],
    ['virtio_gpu', 'a DMA-BUF'],
  ] as const) {
    describe(driver, () => {
      let card: string;
      let modetest: ChildProcess | undefined;
      before(async () => {
        card = await waitFor(`the ${driver} card`, () => cardOf(driver), 60000);
        modetest = await showBars(driver, W, H);
      });
      after(() => stop(modetest));

      it(`publishes what the output scans out, read through ${path}`, { timeout: 120000 }, async () => {
        const name = `t-drm-${driver.replace(/_/g, '-')}-${process.pid}`;
        await using source = await createScreenSource({ name, screen: `drm:${card}`, fps: 10 });
        assert.match(source.description, new RegExp(`${W}x${H} BGRA .*read through ${path}`));
        await using consumer = await openConsumer(name);
        const frame = await consumer.next({ timeoutMs: 20000 });
        assert.ok(frame, 'no frame');
        const at = (x: number, y: number) => {
          const i = (y * W + x) * 4;
          return [frame.data[i + 2], frame.data[i + 1], frame.data[i], frame.data[i + 3]];
        };
        for (const y of [10, Math.floor(H / 3), Math.floor((H * 6) / 9) - 10]) {
          SMPTE_BARS.forEach((rgb, bar) => assert.deepEqual(at(Math.floor(((2 * bar + 1) * W) / 14), y), [...rgb, 255], `bar ${bar} at row ${y}`));
        }
        frame.release();
      });

      it('without CAP_SYS_ADMIN, on a card modetest is master of: ERR_PERMISSION, not a lucky read', { timeout: 120000 }, () => {
        // Let the unprivileged user open the card, so that the only thing missing is the privilege.
        chmodSync(card, 0o666);
        const script = `import('${fileURLToPath(new URL('../../../src/sources/screen-source.js', import.meta.url))}').then(m => m.createScreenSource({ name: 't-drm-unprivileged', screen: 'drm:${card}' })).then(() => console.log('READ'), e => console.log(e.code + ' ' + e.message))`;
        const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script], { encoding: 'utf8', timeout: 60000, cwd: '/tmp' });
        assert.match(r.stdout, /^ERR_PERMISSION .*CAP_SYS_ADMIN or DRM master/, r.stdout + r.stderr);
      });
    });
  }

  it('rejects a missing card, a device that is not KMS, an unknown connector and an output that is off', async () => {
    const virtio = cardOf('virtio_gpu')!;
    // virtio-gpu's second output (max_outputs=2) is off. Connector names count per type across cards.
    const off = listDrmOutputs(virtio).find((o) => o.crtcId === undefined)!;
    assert.ok(off, 'the virtio card has no output that is off');
    const name = `t-drm-bad-${process.pid}`;
    const cases: [object, string, RegExp][] = [
      [{ screen: 'drm:/dev/dri/card99' }, 'ERR_DEVICE_NOT_FOUND', /No DRM card at \/dev\/dri\/card99/],
      [{ screen: 'drm:/dev/null' }, 'ERR_DISPLAY_UNAVAILABLE', /not a KMS display card/],
      [{ screen: `drm:${virtio}`, connector: 'HDMI-A-9' }, 'ERR_INVALID_OPTION', /no connector "HDMI-A-9"/],
      [{ screen: `drm:${virtio}`, connector: off.name }, 'ERR_DISPLAY_UNAVAILABLE', new RegExp(`${off.name} of .* is off`)],
      [{ screen: `drm:${virtio}`, region: { x: 0, y: 0, width: 8, height: 8 } }, 'ERR_INVALID_OPTION', /region option applies to other screens only/],
    ];
    for (const [options, code, message] of cases) {
      await assert.rejects(createScreenSource({ name, ...options }), (e: unknown) => isVidbusError(e, code as never) && message.test((e as Error).message), JSON.stringify(options));
    }
    // vidbus devices shows both cards, the output that is off as such.
    const listed = formatDrmScreens(listDrmScreens());
    assert.match(listed, new RegExp(`drm:${virtio} --connector ${off.name}  (connected, off|disconnected)`));
    assert.match(listed, new RegExp(`drm:${cardOf('bochs-drm')} --connector \\S+  \\d+x\\d+@\\d+ on CRTC \\d+`));
  });
});
