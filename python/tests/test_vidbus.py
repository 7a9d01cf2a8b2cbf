"""The Python API: producers and consumers from numpy, in place, with the
same errors and codes as the other languages."""
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import vidbus

_counter = [0]


def unique(tag):
    _counter[0] += 1
    return f"t-py-{tag}-{os.getpid()}-{_counter[0]}"


def leftovers(name):
    return [f for f in os.listdir("/dev/shm") if f.startswith(f"vidbus-{name}")]


def test_send_and_receive_packed_frames_in_place():
    name = unique("packed")
    with vidbus.Producer(name, width=64, height=48, format="RGB24", fps=30) as p, vidbus.Consumer(name, policy="every") as c:
        frame = np.random.default_rng(1).integers(0, 256, (48, 64, 3), dtype=np.uint8)
        assert p.send(frame, timestamp_ns=123, wall_ns=456, meta=b"hello") == 1
        f = c.next(timeout=1.0)
        assert (f.seq, f.width, f.height, f.format, f.size) == (1, 64, 48, "RGB24", 64 * 48 * 3)
        assert f.array.shape == (48, 64, 3) and np.array_equal(f.array, frame)
        assert (f.timestamp_ns, f.wall_ns, f.meta, f.keyframe) == (123, 456, b"hello", True)
        with pytest.raises(ValueError):
            f.array[0, 0, 0] = 1  # consumers' views are read-only
        assert f.release() is True
        assert f.release() is False
    assert leftovers(name) == []


def test_loan_publish_discard_and_planes():
    name = unique("planar")
    with vidbus.Producer(name, width=32, height=16, format="NV12", slots=3) as p, vidbus.Consumer(name, policy="every") as c:
        buf = p.loan()
        assert buf.shape == (32 * 16 * 3 // 2,) and buf.flags.writeable
        buf[: 32 * 16] = 200
        buf[32 * 16 :] = 100
        assert p.publish(buf) == 1
        spare = p.loan()
        p.discard(spare)
        with pytest.raises(vidbus.FrameReleasedError):
            p.discard(spare)
        f = c.next(timeout=1.0)
        y, uv = f.planes
        assert y.shape == (16, 32) and uv.shape == (8, 32)
        assert (y == 200).all() and (uv == 100).all()
        f.release()


def test_every_counts_missed_latest_takes_newest():
    name = unique("policies")
    with vidbus.Producer(name, width=8, height=8, format="GRAY8", slots=4) as p:
        every = vidbus.Consumer(name, policy="every")
        latest = vidbus.Consumer(name, policy="latest")
        for n in range(10):
            p.send(np.full((8, 8), n, np.uint8))
        f = latest.next(timeout=1.0)
        assert f.seq == 10 and f.array[0, 0] == 9
        f.release()
        seqs = []
        while (f := every.try_receive()) is not None:
            seqs.append(f.seq)
            f.release()
        assert seqs[-1] == 10 and seqs == sorted(seqs)
        assert every.stats()["missed"] == 10 - len(seqs)
        every.close()
        latest.close()


def test_iteration_ends_with_the_stream_and_stats():
    name = unique("iterate")
    p = vidbus.Producer(name, width=16, height=16, format="RGBA", fps=100)
    c = vidbus.Consumer(name, policy="every")

    def publish():
        for n in range(20):
            p.send(np.full((16, 16, 4), n, np.uint8))
            time.sleep(0.005)
        p.close()

    threading.Thread(target=publish).start()
    got = [f.seq for f in c]
    assert got == list(range(1, 21))
    s = c.stats()
    assert s["received"] == 20 and s["latency"]["count"] == 20 and s["latency"]["p50_us"] > 0
    c.close()
    assert leftovers(name) == []


def test_drops_when_every_slot_is_held():
    name = unique("drops")
    with vidbus.Producer(name, width=8, height=8, format="GRAY8", slots=2) as p, vidbus.Consumer(name, policy="every") as c:
        p.send(np.zeros((8, 8), np.uint8))
        a = c.next(timeout=1.0)
        p.send(np.zeros((8, 8), np.uint8))
        b = c.next(timeout=1.0)
        assert p.loan() is None and p.send(np.zeros((8, 8), np.uint8)) is None
        assert p.stats()["dropped"] == 2
        a.release()
        b.release()
        assert p.loan() is not None


def test_follow_and_interrupt():
    name = unique("follow")
    c = vidbus.Consumer(name, policy="every", follow=True)
    assert c.stream is None and c.next(timeout=0.05) is None
    for generation in (1, 2):
        with vidbus.Producer(name, width=8 * generation, height=8, format="GRAY8") as p:
            p.send(np.full((8, 8 * generation), generation, np.uint8))
            f = c.next(timeout=2.0)
            assert f.width == 8 * generation and f.array[0, 0] == generation
            assert c.stream["width"] == 8 * generation
            f.release()
    threading.Timer(0.1, c.interrupt).start()
    start = time.monotonic()
    with pytest.raises(vidbus.AbortedError):
        c.next(timeout=5.0)
    assert time.monotonic() - start < 1.0
    assert c.stats()["producer_lost"] == 2
    c.close()


def test_errors_carry_the_shared_codes():
    with pytest.raises(vidbus.StreamNotFoundError) as e:
        vidbus.Consumer(unique("missing"))
    assert e.value.code == "ERR_STREAM_NOT_FOUND" and "Start its producer" in str(e.value)
    assert isinstance(e.value, vidbus.Error) and isinstance(e.value, LookupError)
    with pytest.raises(vidbus.InvalidNameError):
        vidbus.Producer("bad/name", width=8, height=8)
    with pytest.raises(vidbus.InvalidOptionError) as e:
        vidbus.Producer(unique("odd"), width=7, height=8, format="NV12")
    assert "even width" in str(e.value) and isinstance(e.value, ValueError)
    with pytest.raises(vidbus.InvalidOptionError):
        vidbus.Producer(unique("fmt"), width=8, height=8, format="XYZ")
    name = unique("exists")
    with vidbus.Producer(name, width=8, height=8, format="GRAY8") as p:
        with pytest.raises(vidbus.StreamExistsError):
            vidbus.Producer(name, width=8, height=8, format="GRAY8")
        with pytest.raises(vidbus.FrameSizeError):
            p.send(np.zeros(10, np.uint8))
    with pytest.raises(vidbus.ClosedError):
        p.loan()


def test_a_killed_python_producer_is_reclaimed():
    name = unique("crash")
    script = f"import sys, time; sys.path.insert(0, {os.path.dirname(os.path.dirname(vidbus.__file__))!r}); import vidbus; p = vidbus.Producer({name!r}, width=8, height=8, format='GRAY8'); print('ready', flush=True); time.sleep(60)"
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    try:
        assert child.stdout.readline().strip() == b"ready"
        c = vidbus.Consumer(name, policy="latest")
        child.kill()
        child.wait()
        with pytest.raises(vidbus.ProducerDiedError):
            c.next(timeout=5.0)
        c.close()
        assert leftovers(name) == []
    finally:
        child.kill()


def test_list_streams():
    name = unique("list")
    with vidbus.Producer(name, width=16, height=8, format="YUYV", fps=(30000, 1001)):
        [info] = [s for s in vidbus.list_streams() if s["name"] == name]
        assert info["status"] == "live" and info["format"] == "YUYV" and abs(info["fps"] - 29.97) < 0.01
