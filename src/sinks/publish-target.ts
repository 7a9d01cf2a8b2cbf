/**
 * Where `vidbus publish` sends a stream, parsed from a URL, and the ffmpeg
 * output arguments for it. ffmpeg does the RTP packetisation (RFC 6184 for
 * H.264, RFC 7798 for HEVC) and the RTSP client; the server is always
 * someone else's (Janus, MediaMTX, GStreamer's rtsp-server).
 */
import { VidbusError } from '../errors.js';

/** A parsed --to URL. */
export interface PublishTarget {
  /** rtp: plain RTP over UDP (a Janus streaming mountpoint, or anything that takes RTP); rtsp: ANNOUNCE/RECORD to an RTSP server */
  kind: 'rtp' | 'rtsp';
  /** the URL as ffmpeg takes it */
  url: string;
  /** host:port, for messages */
  where: string;
}

const EXAMPLES = 'rtp://127.0.0.1:5004 (a Janus streaming mountpoint) or rtsp://127.0.0.1:8554/cam0 (an RTSP server that accepts RECORD)';

/** Parses --to; ERR_INVALID_OPTION with examples for anything else. */
export function parseTarget(text: string): PublishTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new VidbusError('ERR_INVALID_OPTION', `--to must be a URL such as ${EXAMPLES}; received ${JSON.stringify(text)}`);
  }
  const port = Number(url.port);
  if (url.protocol === 'rtp:') {
    if (!url.hostname || !(port > 0)) throw new VidbusError('ERR_INVALID_OPTION', `An RTP target needs a host and a port, like rtp://127.0.0.1:5004; received ${text}`);
    // 1200-byte packets stay under any path's MTU once SRTP and TURN overheads are added downstream.
    return { kind: 'rtp', url: `rtp://${url.hostname}:${port}?pkt_size=1200`, where: `${url.hostname}:${port}` };
  }
  if (url.protocol === 'rtsp:') {
    if (!url.hostname) throw new VidbusError('ERR_INVALID_OPTION', `An RTSP target needs a host, like rtsp://127.0.0.1:8554/cam0; received ${text}`);
    return { kind: 'rtsp', url: url.href, where: `${url.hostname}:${url.port || 554}` };
  }
  throw new VidbusError('ERR_INVALID_OPTION', `vidbus publish sends to ${EXAMPLES}; ${url.protocol.replace(':', '')} is not one of them`);
}

/** ffmpeg's output arguments for a target (the input is an MPEG-TS of the encoded stream on stdin). */
export function ffmpegOutput(target: PublishTarget, payloadType: number): string[] {
  if (target.kind === 'rtp') return ['-f', 'rtp', '-payload_type', String(payloadType), target.url];
  return ['-f', 'rtsp', '-rtsp_transport', 'tcp', target.url];
}
