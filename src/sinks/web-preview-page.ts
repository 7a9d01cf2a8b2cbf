/**
 * The preview page: the stream in an <img> fed by /stream.mjpg, and its
 * stats refreshed every second from /stats. Everything the page needs is
 * inline (one request for the page, one for the picture).
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
  img { max-width: 100vw; max-height: calc(100vh - 40px); background: #000; }
</style>
</head>
<body>
<header><h1>vidbus stream “${name}”</h1><span id="stats">connecting…</span></header>
<main><img id="video" alt="live picture of stream ${name}" src="/stream.mjpg?token=${t}"></main>
<script nonce="${nonce}">
  const stats = document.getElementById('stats');
  async function refresh() {
    try {
      const s = await (await fetch('/stats?token=${t}')).json();
      stats.textContent = s.connected
        ? s.width + 'x' + s.height + ' ' + s.format + ' · ' + s.fps + ' fps · ' + s.received + ' frames · latency p50 ' + s.latency.p50Ms.toFixed(2) + ' ms · ' + s.viewers + ' viewer(s)'
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
