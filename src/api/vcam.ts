/**
 * `vidbus/vcam`: the virtual camera. The service that owns a camera for
 * its whole life (on any sink backend: see `vidbus/sinks`), the
 * v4l2loopback device itself (`vidbus doctor --json` diagnoses the machine).
 *
 *   import { VcamService } from 'vidbus/vcam';
 *   await using vcam = await VcamService.start({ from: 'cam0' });
 *
 * @module
 */
export { VcamService } from '../daemon/vcam-service.js';
export type { VcamOptions, VcamState, VcamStats } from '../daemon/vcam-service.js';
export { installUnit } from '../daemon/service-unit.js';
export type { InstalledUnit, UnitOptions } from '../daemon/service-unit.js';
export { VirtualCamera } from '../sinks/virtual-camera.js';
export type { VirtualCameraOptions } from '../sinks/virtual-camera.js';
export { LoopbackOutput, loopbackSinkBackend } from '../sinks/v4l2loopback.js';
export type { LoopbackFormat, LoopbackOutputOptions } from '../sinks/v4l2loopback.js';
export { listLoopbackDevices, resolveLoopbackDevice, exclusiveCapsFlags, loopbackVersion, LOOPBACK_DRIVER, MODPROBE_LINE } from '../devices/loopback.js';
