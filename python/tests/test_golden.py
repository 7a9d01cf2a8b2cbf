"""The golden pair of segment files (conformance/golden/) opened by the
Python package; the same test exists in TypeScript and C."""
import fcntl
import json
import os
import struct

import vidbus

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "..", "conformance", "golden")


def fnv1a(data):
    h = 2166136261
    for b in bytes(data):
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def test_golden_files_open_with_every_field_as_recorded():
    expected = json.load(open(os.path.join(GOLDEN, "golden.json")))
    name = expected["name"]
    data_path = f"/dev/shm/vidbus-{name}"
    with open(os.path.join(GOLDEN, f"vidbus-{name}"), "rb") as f:
        data = f.read()
    fd = os.open(data_path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        # Hold the producer lock (byte 0) as the live producer would: an OFD write lock.
        fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 1, 0))
        with open(os.path.join(GOLDEN, f"vidbus-{name}.ctl"), "rb") as f:
            ctl = bytearray(f.read())
        struct.pack_into("<q", ctl, 24, os.fstat(fd).st_ino)
        with open(data_path + ".ctl", "xb") as f:
            f.write(ctl)
        [info] = [s for s in vidbus.list_streams() if s["name"] == name]
        assert info["status"] == "live"
        assert (info["format"], info["width"], info["height"]) == (expected["format"], expected["width"], expected["height"])
        assert info["fps"] == expected["fps"][0] / expected["fps"][1] and info["published"] == expected["published"]
        with vidbus.Consumer(name, policy="every") as c:
            frame = c.next(timeout=1.0)
            want = expected["firstFrame"]
            got = {
                "seq": frame.seq,
                "size": frame.size,
                "checksum": fnv1a(frame.data),
                "timestamp": str(frame.timestamp_ns),
                "wallClock": str(frame.wall_ns),
                "meta": frame.meta.hex(),
                "keyframe": frame.keyframe,
            }
            assert got == want
            assert frame.strides == tuple(expected["strides"])
            assert [p.shape for p in frame.planes] == [(8, 16), (4, 16)]
            frame.release()
            assert c.next(timeout=0.05) is None
    finally:
        for path in (data_path + ".ctl", data_path):
            if os.path.exists(path):
                os.unlink(path)
        os.close(fd)
