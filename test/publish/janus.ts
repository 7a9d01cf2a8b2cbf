/**
 * A real Janus WebRTC gateway (Debian's janus) for the publish tests and
 * benchmark: a generated minimal configuration in a temporary folder (the
 * streaming plugin with one H.264 RTP mountpoint, the HTTP transport on
 * 127.0.0.1, nothing else), started and stopped here. restart() stops it
 * and starts it again on the same ports, as a server upgrade would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../../src/util/clock.js';

export const JANUS = '/usr/bin/janus';
/** The browser side of Janus, from Debian's libjs-janus-gateway and libjs-webrtc-adapter. */
export const JANUS_JS = '/usr/share/javascript/janus-gateway/janus.js';
export const ADAPTER_JS = '/usr/share/javascript/webrtc-adapter/adapter.min.js';

const LIB = spawnSync('sh', ['-c', 'dirname $(dirname $(ls /usr/lib/*/janus/plugins/libjanus_streaming.so 2>/dev/null | head -1) 2>/dev/null) 2>/dev/null'], { encoding: 'utf8' }).stdout.trim();

/** Why Janus cannot run here, or undefined when it can. */
export function janusMissing(): string | undefined {
  if (spawnSync('sh', ['-c', `command -v ${JANUS}`]).status !== 0) return 'janus is not installed (apt-get install janus)';
  if (!LIB) return 'the Janus streaming plugin is missing';
  if (spawnSync('sh', ['-c', `test -f ${JANUS_JS} && test -f ${ADAPTER_JS}`]).status !== 0) return 'janus.js or adapter.js is missing (apt-get install libjs-janus-gateway libjs-webrtc-adapter)';
  return undefined;
}

export interface JanusOptions {
  /** the HTTP API port on 127.0.0.1 */
  httpPort: number;
  /** where the mountpoint takes H.264 RTP */
  videoPort: number;
  /** the mountpoint's id */
  mountpoint: number;
}

export class JanusServer {
  private child: ChildProcess | undefined;
  log = '';
  private constructor(
    readonly options: JanusOptions,
    private readonly dir: string,
  ) {}

  /** The HTTP API's address, as janus.js takes it. */
  get url(): string {
    return `http://127.0.0.1:${this.options.httpPort}/janus`;
  }

  static async start(options: JanusOptions): Promise<JanusServer> {
    const dir = mkdtempSync(join(tmpdir(), 'vidbus-janus-'));
    const server = new JanusServer(options, dir);
    server.writeConfig();
    try {
      await server.launch();
    } catch (e) {
      await server.stop();
      throw e;
    }
    return server;
  }

  private writeConfig(): void {
    const { httpPort, videoPort, mountpoint } = this.options;
    writeFileSync(
      join(this.dir, 'janus.jcfg'),
      `general: {
  configs_folder = "${this.dir}"
  plugins_folder = "${LIB}/plugins"
  transports_folder = "${LIB}/transports"
  events_folder = "${LIB}/events"
  loggers_folder = "${LIB}/loggers"
  debug_level = 4
  admin_secret = "unused-${process.pid}"
}
media: { rtp_port_range = "40000-40999" }
nat: { ice_ignore_list = "vmnet" }
plugins: { disable = "libjanus_audiobridge.so,libjanus_echotest.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_nosip.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_videoroom.so,libjanus_voicemail.so,libjanus_lua.so,libjanus_duktape.so" }
transports: { disable = "libjanus_websockets.so,libjanus_pfunix.so,libjanus_mqtt.so,libjanus_rabbitmq.so,libjanus_nanomsg.so" }
events: { broadcast = false }
loggers: { disable = "libjanus_jsonlog.so" }
`,
    );
    writeFileSync(
      join(this.dir, 'janus.transport.http.jcfg'),
      `general: { json = "indented" base_path = "/janus" http = true port = ${httpPort} ip = "127.0.0.1" https = false }
admin: { admin_http = false }
cors: { allow_origin = "*" }
`,
    );
    writeFileSync(
      join(this.dir, 'janus.plugin.streaming.jcfg'),
      `general: { }
vidbus: {
  type = "rtp"
  id = ${mountpoint}
  description = "vidbus test mountpoint"
  media = ({ type = "video" mid = "v" port = ${videoPort} pt = 96 codec = "h264" fmtp = "profile-level-id=42e01f;packetization-mode=1" })
}
`,
    );
  }

  private async launch(): Promise<void> {
    const child = spawn(JANUS, ['-C', join(this.dir, 'janus.jcfg'), '-F', this.dir, '-o'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const append = (d: Buffer) => (this.log = (this.log + d.toString()).slice(-20000));
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    for (let i = 0; i < 150; i++) {
      if (child.exitCode !== null) throw new Error(`janus exited (${child.exitCode}): ${this.log.slice(-2000)}`);
      const up = await fetch(`${this.url}/info`).then((r) => r.ok, () => false);
      if (up && /Streaming.*initialized|JANUS Streaming plugin initialized/i.test(this.log)) return;
      await sleep(100);
    }
    throw new Error(`janus did not start: ${this.log.slice(-2000)}`);
  }

  /** Stops Janus and starts it again on the same ports. */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  private async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  }

  /** Stops Janus and removes its configuration. Idempotent. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A page that watches a Janus streaming mountpoint with janus.js, the way a
 * viewer's page does, and reports what it sees: the mean colour of each of
 * eight vertical bars in the middle row band, the codec from getStats, and
 * frames decoded.
 */
export const WATCH_PAGE = `<!doctype html><meta charset="utf-8"><body>
<script src="/adapter.js"></script><script src="/janus.js"></script>
<video id="v" muted playsinline autoplay></video>
<script>
let handle;
const video = document.getElementById('v');
window.watch = (server, id) => new Promise((resolve, reject) => {
  Janus.init({ debug: false, callback: () => {
    const janus = new Janus({ server, success: () => janus.attach({
      plugin: 'janus.plugin.streaming',
      success: (h) => { handle = h; h.send({ message: { request: 'watch', id } }); },
      error: (e) => reject(new Error('attach: ' + e)),
      onmessage: (msg, jsep) => {
        if (msg.error) reject(new Error('janus: ' + msg.error));
        if (jsep) handle.createAnswer({ jsep, tracks: [{ type: 'data' }],
          success: (answer) => handle.send({ message: { request: 'start' }, jsep: answer }),
          error: (e) => reject(new Error('answer: ' + e)) });
      },
      onremotetrack: (track, mid, on) => {
        if (on && track.kind === 'video') { video.srcObject = new MediaStream([track]); video.play().catch(() => {}); resolve(); }
      },
    }), error: (e) => reject(new Error('session: ' + e)) });
  } });
});
window.sample = async (timeoutMs) => {
  const until = Date.now() + timeoutMs;
  while (video.videoWidth === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  if (video.videoWidth === 0) return { width: 0, height: 0, bars: [], codec: '', decoded: 0 };
  await new Promise((r) => video.requestVideoFrameCallback(() => r()));
  const c = document.createElement('canvas');
  c.width = video.videoWidth; c.height = video.videoHeight;
  const ctx = c.getContext('2d');
  ctx.drawImage(video, 0, 0);
  const bars = [];
  for (let i = 0; i < 8; i++) {
    const x = Math.floor((i + 0.5) * c.width / 8);
    const d = ctx.getImageData(x - 2, Math.floor(c.height * 0.15), 4, 4).data;
    const s = [0, 0, 0];
    for (let k = 0; k < d.length; k += 4) { s[0] += d[k]; s[1] += d[k + 1]; s[2] += d[k + 2]; }
    bars.push(s.map((v) => Math.round(v / (d.length / 4))));
  }
  return { width: c.width, height: c.height, bars, ...(await window.receiver()) };
};
// The receiver's own view (WebRTC stats): codec, frames decoded, mean jitter-buffer and decode time per frame.
window.receiver = async () => {
  let codec = '', decoded = 0, jitterBufferMs = 0, decodeMs = 0;
  const stats = await handle.webrtcStuff.pc.getStats();
  stats.forEach((r) => {
    if (r.type !== 'inbound-rtp' || r.kind !== 'video') return;
    decoded = r.framesDecoded;
    jitterBufferMs = r.jitterBufferEmittedCount ? (1000 * r.jitterBufferDelay) / r.jitterBufferEmittedCount : 0;
    decodeMs = r.framesDecoded ? (1000 * r.totalDecodeTime) / r.framesDecoded : 0;
    const cs = stats.get(r.codecId);
    if (cs) codec = cs.mimeType;
  });
  return { codec, decoded, jitterBufferMs, decodeMs };
};
</script>`;
