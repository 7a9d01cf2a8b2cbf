"""The Python side of the cross-language conformance suite (conformance/):
the same command-line contract as libvidbus's vidbus-produce -T / vidbus-consume -j
and conformance/peers/ts-peer.ts.

  peer.py produce NAME FORMAT WxH COUNT FPS SLOTS [WAIT]   frame n: byte i = (n*7 + i*13) & 0xff,
                                                    meta = n+1 (u64 LE), capture n ms + 42 ns, wall 1e18 + n
  peer.py consume NAME POLICY COUNT TIMEOUT_MS [follow] [stats]   one JSON line per frame (none with stats), then a summary
"""
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import numpy as np  # noqa: E402

import vidbus  # noqa: E402


def fnv1a(data):
    h = 2166136261
    for b in data.tobytes():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def pattern(n, length):
    return ((n * 7 + np.arange(length, dtype=np.int64) * 13) & 0xFF).astype(np.uint8)


def produce(name, fmt, size, count, fps, slots, wait_for=0):
    width, height = (int(v) for v in size.split("x"))
    with vidbus.Producer(name, width=width, height=height, format=fmt, fps=float(fps), slots=int(slots)) as p:
        print(json.dumps({"type": "ready", "pid": os.getpid()}), flush=True)
        give_up = time.monotonic() + 10
        while p.stats()["consumers"] < int(wait_for) and time.monotonic() < give_up:
            time.sleep(0.005)
        period = 1 / float(fps) if float(fps) > 0 else 0
        next_at = time.monotonic()
        for n in range(int(count)):
            buf = p.loan()
            if buf is not None:
                buf.reshape(-1)[:] = pattern(n, p.frame_bytes)
                p.publish(buf, timestamp_ns=n * 1_000_000 + 42, wall_ns=10**18 + n, keyframe=True, meta=(n + 1).to_bytes(8, "little"))
            if period:
                next_at += period
                time.sleep(max(0, next_at - time.monotonic()))
        print(json.dumps({"type": "summary", **p.stats()}), flush=True)


def consume(name, policy, count, timeout_ms, follow=False, stats_only=False):
    c = vidbus.Consumer(name, policy=policy, follow=follow)
    signal.signal(signal.SIGTERM, lambda *_: c.interrupt())
    print(json.dumps({"type": "ready"}), flush=True)
    received = 0
    try:
        while received < int(count):
            try:
                f = c.next(timeout=int(timeout_ms) / 1000)
            except (vidbus.StreamEndedError, vidbus.ProducerDiedError, vidbus.AbortedError):
                break
            if f is None:
                break
            received += 1
            if stats_only:
                f.release()
                continue
            line = {
                "type": "frame",
                "seq": f.seq,
                "size": f.size,
                "keyframe": f.keyframe,
                "format": f.format,
                "width": f.width,
                "height": f.height,
                "checksum": fnv1a(f.data),
                "timestamp": str(f.timestamp_ns),
                "wallClock": str(f.wall_ns),
                "meta": f.meta.hex(),
            }
            f.release()
            print(json.dumps(line), flush=True)
        s = c.stats()
        print(json.dumps({"type": "summary", "received": s["received"], "missed": s["missed"], "expired": s["expired"], "p50Us": s["latency"]["p50_us"], "p99Us": s["latency"]["p99_us"]}), flush=True)
    finally:
        c.close()


if __name__ == "__main__":
    role, *args = sys.argv[1:]
    if role == "produce":
        produce(*args)
    else:
        consume(args[0], args[1], args[2], args[3], "follow" in args[4:], "stats" in args[4:])
