/**
 * The preview page. Where the browser has WebCodecs (a secure context:
 * 127.0.0.1 and localhost are), it opens /stream.h264 as a WebSocket and
 * decodes H.264 into a canvas; otherwise, or when the server says H.264 is
 * unavailable, or decoding fails, it shows /stream.mjpg in an <img>.
 * `?mjpeg` in the URL forces MJPEG. Stats refresh every second from /stats.
 * What the page is doing is in `window.vidbusView` (mode, codec, frames
 * decoded, bytes received, latency) for scripts and tests. Everything the
 * page needs is inline.
 */
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function previewPage(stream: string, token: string, nonce: string): string {
  const name = escapeHtml(stream);
  const t = encodeURIComponent(token);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vidbus: ${name}</title>
<style>
  body { margin: 0; background: #111; color: #ddd; font: 14px system-ui, sans-serif; }
  header { padding: 8px 12px; display: flex; gap: 16px; align-items: baseline; }
  h1 { font-size: 16px; margin: 0; }
  #stats { font-variant-numeric: tabular-nums; color: #9ab; }
  main { display: flex; justify-content: center; }
  img, canvas { max-width: 100vw; max-height: calc(100vh - 40px); background: #000; }
  [hidden] { display: none; }
</style>
</head>
<body>
<header><h1>vidbus stream “${name}”</h1><span id="stats">connecting…</span></header>
<main><canvas id="canvas" hidden></canvas><img id="video" alt="live picture of stream ${name}" hidden></main>
<script nonce="${nonce}">
  const token = '${t}';
  const stats = document.getElementById('stats');
  const canvas = document.getElementById('canvas');
  const img = document.getElementById('video');
  const view = (window.vidbusView = { mode: 'starting', codec: '', decoded: 0, bytes: 0, latencyMs: 0, reason: '' });

  function mjpeg(reason) {
    if (view.mode === 'mjpeg') return;
    view.mode = 'mjpeg';
    view.reason = reason;
    canvas.hidden = true;
    img.hidden = false;
    img.src = '/stream.mjpg?token=' + token;
  }

  function h264() {
    const socket = new WebSocket('ws://' + location.host + '/stream.h264?token=' + token);
    socket.binaryType = 'arraybuffer';
    const ctx = canvas.getContext('2d');
    let decoder, configured = '', waitKey = true;
    const fail = (why) => { try { socket.close(); } catch {} if (decoder && decoder.state !== 'closed') decoder.close(); mjpeg(why); };
    socket.onclose = () => { if (view.mode !== 'h264') mjpeg('the H.264 socket closed'); };
    socket.onmessage = async (event) => {
      if (typeof event.data === 'string') {
        const m = JSON.parse(event.data);
        if (m.type === 'unavailable') return fail(m.message);
        if (m.type !== 'config' || m.codec === configured) return;
        const config = { codec: m.codec, optimizeForLatency: true };
        const support = await VideoDecoder.isConfigSupported(config).catch(() => ({ supported: false }));
        if (!support.supported) return fail('this browser cannot decode ' + m.codec);
        if (!decoder) decoder = new VideoDecoder({
          output: (frame) => {
            if (canvas.width !== frame.displayWidth) { canvas.width = frame.displayWidth; canvas.height = frame.displayHeight; }
            ctx.drawImage(frame, 0, 0);
            frame.close();
            view.decoded++;
            if (view.mode !== 'h264') { view.mode = 'h264'; canvas.hidden = false; img.hidden = true; }
          },
          error: (e) => fail('decoding failed: ' + e.message),
        });
        decoder.configure(config);
        configured = view.codec = m.codec;
        waitKey = true;
        return;
      }
      if (!decoder || decoder.state !== 'configured') return;
      const bytes = new Uint8Array(event.data);
      const dv = new DataView(event.data);
      const key = (bytes[0] & 1) === 1;
      if (waitKey && !key) return;
      waitKey = false;
      const wallMs = dv.getFloat64(1, true);
      view.bytes += bytes.length;
      view.latencyMs = Date.now() - wallMs;
      decoder.decode(new EncodedVideoChunk({ type: key ? 'key' : 'delta', timestamp: Math.round(wallMs * 1000), data: bytes.subarray(9) }));
    };
  }

  if (typeof VideoDecoder === 'undefined') mjpeg('no WebCodecs in this browser');
  else if (new URLSearchParams(location.search).has('mjpeg')) mjpeg('asked for MJPEG');
  else h264();

  async function refresh() {
    try {
      const s = await (await fetch('/stats?token=' + token)).json();
      const how = view.mode === 'h264' ? 'H.264 ' + view.codec + ' (WebCodecs)' : view.mode === 'mjpeg' ? 'MJPEG' : '…';
      stats.textContent = s.connected
        ? s.width + 'x' + s.height + ' ' + s.format + ' · ' + s.fps + ' fps · ' + s.received + ' frames · latency p50 ' + s.latency.p50Ms.toFixed(2) + ' ms · ' + s.viewers + ' viewer(s) · ' + how
        : 'waiting for a producer…';
    } catch {
      stats.textContent = 'vidbus view has stopped';
    }
  }
  refresh();
  setInterval(refresh, 1000);
</script>
</body>
</html>
`;
}
