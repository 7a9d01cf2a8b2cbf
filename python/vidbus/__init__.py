"""vidbus for Python: publish and read vidbus video streams from numpy.

A producer publishes frames into a named shared-memory stream; consumers in
any process and any language (this package, the TypeScript package, C
programs over libvidbus) read them in place. The protocol is
docs/protocol.md; this package is a thin layer over libvidbus (ctypes).

    import vidbus

    with vidbus.Producer("cam0", width=1280, height=720, format="RGB24", fps=30) as p:
        p.send(frame)                    # numpy uint8 (720, 1280, 3): one copy into the next slot
        buf = p.loan()                   # or write in place: a writable view of a slot (None when all are held)
        buf[:] = 0
        p.publish(buf)

    with vidbus.Consumer("cam0", policy="latest") as c:
        for f in c:                      # f.array: read-only view (H, W, C); f.planes for planar formats
            print(f.seq, f.width, f.height, f.format, f.timestamp_ns)

Errors are vidbus.Error subclasses carrying the same `code` strings as the
other languages ("ERR_STREAM_NOT_FOUND", ...).
"""
import ctypes

import numpy as np

from . import _lib

__all__ = [
    "Producer",
    "Consumer",
    "Frame",
    "Error",
    "list_streams",
    "now_ns",
    "FORMATS",
    "RAW_FORMATS",
]

RAW_FORMATS = ("RGBA", "BGRA", "RGB24", "BGR24", "YUYV", "UYVY", "NV12", "I420", "GRAY8")
FORMATS = RAW_FORMATS + ("MJPEG", "H264", "HEVC")
# Bytes per pixel of the packed formats, as the last axis of Frame.array.
_CHANNELS = {"RGBA": 4, "BGRA": 4, "RGB24": 3, "BGR24": 3, "YUYV": 2, "UYVY": 2, "GRAY8": 1}
_NO_FRAME = -1


class Error(Exception):
    """Every failure of vidbus: `code` is the stable code shared by every language."""

    code = "ERR_UNKNOWN"

    def __init__(self, message, code=None):
        super().__init__(message)
        if code is not None:
            self.code = code


def _error_class(code, *bases):
    name = "".join(part.capitalize() for part in code[4:].split("_")) + "Error"
    return type(name, (Error,) + bases, {"code": code, "__doc__": f"vidbus error {code}."})


# One subclass per code; the ones with a Python equivalent also derive from it.
_ERRORS = {}
for _code, _bases in [
    ("ERR_INVALID_OPTION", (ValueError,)),
    ("ERR_INVALID_NAME", (ValueError,)),
    ("ERR_STREAM_NOT_FOUND", (LookupError,)),
    ("ERR_STREAM_EXISTS", ()),
    ("ERR_STREAM_NOT_READY", ()),
    ("ERR_NOT_A_STREAM", ()),
    ("ERR_VERSION_MISMATCH", ()),
    ("ERR_STREAM_CORRUPT", ()),
    ("ERR_TOO_MANY_CONSUMERS", ()),
    ("ERR_PERMISSION", (PermissionError,)),
    ("ERR_NO_SPACE", (MemoryError,)),
    ("ERR_CLOSED", ()),
    ("ERR_STREAM_ENDED", ()),
    ("ERR_PRODUCER_DIED", ()),
    ("ERR_ABORTED", ()),
    ("ERR_FRAME_RELEASED", ()),
    ("ERR_FRAME_SIZE", (ValueError,)),
    ("ERR_TOO_MANY_HOLDS", ()),
    ("ERR_SYSCALL", (OSError,)),
]:
    _cls = _error_class(_code, *_bases)
    _ERRORS[_code] = _cls
    globals()[_cls.__name__] = _cls
    __all__.append(_cls.__name__)


def _raise(status):
    code = _lib.error_code(status).decode()
    message = _lib.last_error().decode(errors="replace")
    raise _ERRORS.get(code, Error)(message, code)


def _check(status):
    if status > 0:
        _raise(status)
    return status


def _format_code(name):
    if not isinstance(name, str) or name.upper() not in FORMATS:
        raise _ERRORS["ERR_INVALID_OPTION"](f"Expected a format ({', '.join(FORMATS)}) but received {name!r}", "ERR_INVALID_OPTION")
    return _lib.format_from_name(name.upper().encode())


def _fps(fps):
    if isinstance(fps, tuple):
        return int(fps[0]), int(fps[1])
    if not isinstance(fps, (int, float)) or fps < 0 or fps > 100000:
        raise _ERRORS["ERR_INVALID_OPTION"](f"Expected fps from 0 to 100000 (or a (num, den) tuple) but received {fps!r}", "ERR_INVALID_OPTION")
    if float(fps).is_integer():
        return int(fps), 1
    return round(fps * 1000), 1000


def now_ns():
    """CLOCK_MONOTONIC in nanoseconds: the clock frame timestamps use."""
    return _lib.now_ns()


def _view(pointer, length, writable):
    """A numpy uint8 view of `length` bytes of shared memory (no copy)."""
    if length == 0:
        return np.zeros(0, dtype=np.uint8)
    array = np.ctypeslib.as_array(pointer, shape=(length,))
    if not writable:
        array.flags.writeable = False
    return array


def _shaped(flat, layout):
    """The frame as (H, W, C) for packed formats (GRAY8: (H, W)); planar and encoded: the flat bytes."""
    name = _lib.format_name(layout.format).decode()
    channels = _CHANNELS.get(name)
    if channels is None:
        return flat
    h, w, stride = layout.height, layout.width, layout.strides[0]
    shape = (h, w) if channels == 1 else (h, w, channels)
    strides = (stride, 1) if channels == 1 else (stride, channels, 1)
    shaped = np.lib.stride_tricks.as_strided(flat, shape=shape, strides=strides, writeable=flat.flags.writeable)
    return shaped


def _planes(flat, layout):
    """One 2-D view (rows, row bytes) per plane."""
    out = []
    for p in range(layout.plane_count):
        start = layout.offsets[p]
        rows, row_bytes, stride = layout.rows[p], layout.row_bytes[p], layout.strides[p]
        region = flat[start : start + stride * rows]
        out.append(np.lib.stride_tricks.as_strided(region, shape=(rows, row_bytes), strides=(stride, 1), writeable=flat.flags.writeable))
    return out


class _Closable:
    """`with` support and a last-chance close when garbage collected (close() is idempotent)."""

    _handle = None

    def close(self):
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class _LoanArray(np.ndarray):
    """A writable view of a loaned slot; remembers its slot for publish()."""

    _vidbus_loan = None


class Producer(_Closable):
    """The one writer of a stream.

    Producer(name, width=, height=, format="RGBA", fps=30, slots=4, strides=None,
             max_frame_bytes=0, hold_lifespan_ms=2000, max_consumers=32, mode=0o600, gid=None)
    """

    def __init__(self, name, width, height, format="RGBA", fps=30, slots=4, strides=None, max_frame_bytes=0, hold_lifespan_ms=2000, max_consumers=32, mode=0o600, gid=None):
        if not isinstance(name, str):
            raise _ERRORS["ERR_INVALID_NAME"](f"Expected a stream name but received {name!r}", "ERR_INVALID_NAME")
        options = _lib.ProducerOptions()
        _lib.producer_options_init(ctypes.byref(options))
        options.width, options.height = int(width), int(height)
        options.format = _format_code(format)
        options.fps_num, options.fps_den = _fps(fps)
        options.slots = int(slots)
        for i, s in enumerate(strides or ()):
            options.strides[i] = int(s)
        options.max_frame_bytes = int(max_frame_bytes)
        options.hold_lifespan_ms = int(hold_lifespan_ms)
        options.max_consumers = int(max_consumers)
        options.mode = int(mode)
        options.gid = -1 if gid is None else int(gid)
        handle = ctypes.c_void_p()
        _check(_lib.producer_create(name.encode(), ctypes.byref(options), ctypes.byref(handle)))
        self._handle = handle
        self.name = name
        layout = _lib.producer_layout(handle).contents
        self._layout = _lib.Layout.from_buffer_copy(layout)
        self.format = _lib.format_name(layout.format).decode()
        self.width, self.height = layout.width, layout.height
        self.frame_bytes = layout.frame_bytes
        self._raw = layout.plane_count > 0

    def _open_handle(self):
        if self._handle is None:
            raise _ERRORS["ERR_CLOSED"](f'Producer of "{self.name}" is closed', "ERR_CLOSED")
        return self._handle

    @staticmethod
    def _info(timestamp_ns, wall_ns, keyframe, size, meta):
        info = _lib.PublishInfo()
        info.timestamp_ns = int(timestamp_ns or 0)
        info.wall_ns = int(wall_ns or 0)
        info.keyframe = 1 if keyframe else 0
        info.size = int(size or 0)
        if meta is not None:
            meta = bytes(meta)
            info.meta = ctypes.cast(ctypes.c_char_p(meta), ctypes.c_void_p)
            info.meta_bytes = len(meta)
        return info, meta

    def loan(self):
        """A writable numpy view of a free slot ((H, W, C) for packed formats, flat bytes otherwise), or None when consumers hold every slot (counted as a drop)."""
        loan = _lib.Loan()
        _check(_lib.producer_loan(self._open_handle(), ctypes.byref(loan)))
        if not loan.data:
            return None
        flat = _view(loan.data, loan.capacity, True)
        array = _shaped(flat, self._layout).view(_LoanArray)
        array._vidbus_loan = loan
        return array

    def publish(self, buffer, timestamp_ns=0, wall_ns=0, keyframe=False, size=0, meta=None):
        """Publishes a loaned buffer; returns its sequence number. `size` for encoded frames (bytes used)."""
        loan = getattr(buffer, "_vidbus_loan", None)
        if loan is None:
            raise _ERRORS["ERR_FRAME_RELEASED"]("publish() takes a buffer from this producer's loan()", "ERR_FRAME_RELEASED")
        info, _keep = self._info(timestamp_ns, wall_ns, keyframe, size, meta)
        seq = ctypes.c_uint64()
        _check(_lib.producer_publish(self._open_handle(), ctypes.byref(loan), ctypes.byref(info), ctypes.byref(seq)))
        buffer._vidbus_loan = None
        return seq.value

    def discard(self, buffer):
        """Gives a loaned buffer back unpublished."""
        loan = getattr(buffer, "_vidbus_loan", None)
        if loan is None:
            raise _ERRORS["ERR_FRAME_RELEASED"]("discard() takes a buffer from this producer's loan()", "ERR_FRAME_RELEASED")
        _check(_lib.producer_discard(self._open_handle(), ctypes.byref(loan)))
        buffer._vidbus_loan = None

    def send(self, frame, timestamp_ns=0, wall_ns=0, keyframe=False, meta=None):
        """One copy of `frame` (a numpy array, bytes or anything with the buffer protocol) into the next slot, published. Returns the sequence number, or None when dropped."""
        if isinstance(frame, np.ndarray):
            if not frame.flags.c_contiguous:
                frame = np.ascontiguousarray(frame)  # a strided view: one more copy
            pointer, length = frame.ctypes.data, frame.nbytes
        else:
            data = memoryview(frame).cast("B")
            keep = (ctypes.c_uint8 * len(data)).from_buffer_copy(data) if data.readonly else (ctypes.c_uint8 * len(data)).from_buffer(data)
            pointer, length = ctypes.addressof(keep), len(data)
        info, _keep = self._info(timestamp_ns, wall_ns, keyframe, 0, meta)
        seq = ctypes.c_uint64()
        _check(_lib.producer_write(self._open_handle(), ctypes.c_void_p(pointer), length, ctypes.byref(info), ctypes.byref(seq)))
        return seq.value or None

    def stats(self):
        """{'published', 'dropped', 'consumers'}."""
        s = _lib.ProducerStats()
        _lib.producer_get_stats(self._open_handle(), ctypes.byref(s))
        return {"published": s.published, "dropped": s.dropped, "consumers": s.consumers}

    @property
    def closed(self):
        return self._handle is None

    def close(self):
        """Ends the stream (consumers see a clean end) and removes its files. Idempotent."""
        if self._handle is not None:
            _lib.producer_close(self._handle)
            self._handle = None


class Frame:
    """A received frame: read-only numpy views into shared memory, valid until release()."""

    def __init__(self, consumer, struct):
        self._consumer = consumer
        self._struct = struct
        layout = struct.layout
        self.seq = struct.seq
        self.size = struct.size
        self.keyframe = bool(struct.keyframe)
        self.timestamp_ns = struct.timestamp_ns
        self.wall_ns = struct.wall_ns
        self.publish_ns = struct.publish_ns
        self.format = _lib.format_name(layout.format).decode()
        self.width, self.height = layout.width, layout.height
        self.strides = tuple(layout.strides[i] for i in range(layout.plane_count))
        self.meta = ctypes.string_at(struct.meta, struct.meta_bytes) if struct.meta_bytes else b""
        self.data = _view(struct.data, struct.size, False)
        self._layout = _lib.Layout.from_buffer_copy(layout)
        self._released = False

    @property
    def array(self):
        """(H, W, C) for packed formats ((H, W) for GRAY8); the flat bytes for planar and encoded formats."""
        return _shaped(self.data, self._layout)

    @property
    def planes(self):
        """One (rows, row bytes) view per plane (empty for encoded formats)."""
        return _planes(self.data, self._layout)

    def release(self):
        """Lets the producer reuse the slot. True if the frame stayed intact until now, False if its lease had run out."""
        if self._released:
            return False
        self._released = True
        self.data = None
        status = _lib.frame_release(self._consumer._handle if self._consumer is not None else None, ctypes.byref(self._struct))
        if self._consumer is not None:
            self._consumer._held.discard(self)
        return status == 0

    def renew(self):
        """Restarts the frame's lease, for long reads. False if it had already run out."""
        if self._released:
            return False
        return _lib.frame_renew(self._consumer._handle, ctypes.byref(self._struct)) == 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()

    def __repr__(self):
        return f"<vidbus.Frame seq={self.seq} {self.width}x{self.height} {self.format} {self.size} bytes>"


_POLICIES = {"latest": 1, "every": 2}


class Consumer(_Closable):
    """A reader of one stream.

    Consumer(name, policy="latest", follow=False, open_timeout=2.0, liveness_interval=0.25)
    """

    def __init__(self, name, policy="latest", follow=False, open_timeout=2.0, liveness_interval=0.25):
        if not isinstance(name, str):
            raise _ERRORS["ERR_INVALID_NAME"](f"Expected a stream name but received {name!r}", "ERR_INVALID_NAME")
        if policy not in _POLICIES:
            raise _ERRORS["ERR_INVALID_OPTION"](f"Expected policy 'latest' or 'every' but received {policy!r}", "ERR_INVALID_OPTION")
        options = _lib.ConsumerOptions()
        _lib.consumer_options_init(ctypes.byref(options))
        options.policy = _POLICIES[policy]
        options.follow = 1 if follow else 0
        options.open_timeout_ms = int(open_timeout * 1000)
        options.liveness_interval_ms = int(liveness_interval * 1000)
        handle = ctypes.c_void_p()
        _check(_lib.consumer_open(name.encode(), ctypes.byref(options), ctypes.byref(handle)))
        self._handle = handle
        self._held = set()
        self.name = name
        self.policy = policy
        self.follow = bool(follow)

    def _open_handle(self):
        if self._handle is None:
            raise _ERRORS["ERR_CLOSED"](f'Consumer of "{self.name}" is closed', "ERR_CLOSED")
        return self._handle

    def _take(self, status, struct):
        if status == _NO_FRAME:
            return None
        _check(status)
        frame = Frame(self, struct)
        self._held.add(frame)
        return frame

    def try_receive(self):
        """The next frame if one is ready, else None; never waits."""
        struct = _lib.FrameStruct()
        return self._take(_lib.consumer_try_receive(self._open_handle(), ctypes.byref(struct)), struct)

    def next(self, timeout=None):
        """Waits for the next frame (timeout in seconds; None waits forever). None on timeout.
        Raises StreamEndedError / ProducerDiedError when the producer closed / died (without follow)."""
        struct = _lib.FrameStruct()
        timeout_ms = -1 if timeout is None else max(0, int(timeout * 1000))
        return self._take(_lib.consumer_wait(self._open_handle(), timeout_ms, ctypes.byref(struct)), struct)

    def __iter__(self):
        """Frames until the stream ends (or the consumer is closed); each is released at the next iteration."""
        previous = None
        try:
            while True:
                try:
                    frame = self.next()
                except (_ERRORS["ERR_STREAM_ENDED"], _ERRORS["ERR_CLOSED"], _ERRORS["ERR_ABORTED"]):
                    return
                if previous is not None:
                    previous.release()
                previous = frame
                if frame is not None:
                    yield frame
        finally:
            if previous is not None:
                previous.release()

    def interrupt(self):
        """Ends a next() in progress in another thread (it raises AbortedError). Safe from signal handlers."""
        if self._handle is not None:
            _lib.consumer_interrupt(self._handle)

    def stats(self):
        """{'received', 'missed', 'expired', 'holding', 'producer_lost', 'latency': {'count', 'p50_us', 'p99_us', 'max_us'}, 'connected'}."""
        s = _lib.ConsumerStats()
        _lib.consumer_get_stats(self._open_handle(), ctypes.byref(s))
        return {
            "received": s.received,
            "missed": s.missed,
            "expired": s.expired,
            "holding": s.holding,
            "producer_lost": s.producer_lost,
            "latency": {"count": s.latency_count, "p50_us": s.latency_p50_us, "p99_us": s.latency_p99_us, "max_us": s.latency_max_us},
            "connected": bool(s.connected),
        }

    @property
    def stream(self):
        """{'format', 'width', 'height', 'fps'} of the current producer, or None while waiting for one."""
        layout = _lib.consumer_layout(self._open_handle())
        if not layout:
            return None
        num, den = ctypes.c_uint32(), ctypes.c_uint32()
        _lib.consumer_fps(self._handle, ctypes.byref(num), ctypes.byref(den))
        l = layout.contents
        return {"format": _lib.format_name(l.format).decode(), "width": l.width, "height": l.height, "fps": num.value / den.value if den.value else 0}

    def close(self):
        """Releases held frames and leaves the stream. Idempotent."""
        if self._handle is None:
            return
        for frame in list(self._held):
            frame.release()
        _lib.consumer_close(self._handle)
        self._handle = None


_STATUS = {1: "live", 2: "initializing", 3: "stale", 4: "corrupt", 5: "no-access"}


def list_streams():
    """Every stream in /dev/shm, read from the headers directly: a list of dicts."""
    capacity = 64
    while True:
        array = (_lib.StreamInfo * capacity)()
        count = ctypes.c_size_t()
        _check(_lib.list_streams(array, capacity, ctypes.byref(count)))
        if count.value <= capacity:
            break
        capacity = count.value
    out = []
    for info in array[: count.value]:
        entry = {"name": info.name.decode(), "status": _STATUS.get(info.status, "unknown")}
        if info.status in (1, 3):
            entry.update(
                format=_lib.format_name(info.layout.format).decode(),
                width=info.layout.width,
                height=info.layout.height,
                fps=info.fps_num / info.fps_den if info.fps_den else 0,
                producer_pid=info.producer_pid,
                consumers=info.consumers,
                published=info.published,
                dropped=info.dropped,
            )
        out.append(entry)
    return out
