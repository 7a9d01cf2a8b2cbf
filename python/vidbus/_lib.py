"""ctypes bindings to libvidbus (libvidbus/include/vidbus.h), and where to find it.

The library is looked for, in order: the path in VIDBUS_LIBRARY, the copy
installed inside this package (pip install builds one), the repository's
libvidbus/build/ next to this package, then the system (ldconfig).
"""
import ctypes
import ctypes.util
import os
from ctypes import POINTER, Structure, c_char, c_char_p, c_double, c_int, c_int32, c_int64, c_size_t, c_uint8, c_uint32, c_uint64, c_void_p

MAX_PLANES = 3


class Layout(Structure):
    _fields_ = [
        ("format", c_int),
        ("fourcc", c_uint32),
        ("width", c_uint32),
        ("height", c_uint32),
        ("plane_count", c_uint32),
        ("offsets", c_uint32 * MAX_PLANES),
        ("strides", c_uint32 * MAX_PLANES),
        ("rows", c_uint32 * MAX_PLANES),
        ("row_bytes", c_uint32 * MAX_PLANES),
        ("frame_bytes", c_uint32),
    ]


class ProducerOptions(Structure):
    _fields_ = [
        ("width", c_uint32),
        ("height", c_uint32),
        ("format", c_int),
        ("fps_num", c_uint32),
        ("fps_den", c_uint32),
        ("slots", c_uint32),
        ("strides", c_uint32 * MAX_PLANES),
        ("max_frame_bytes", c_uint32),
        ("hold_lifespan_ms", c_uint32),
        ("max_consumers", c_uint32),
        ("mode", c_uint32),
        ("gid", c_int64),
    ]


class Loan(Structure):
    _fields_ = [("slot", c_int32), ("data", POINTER(c_uint8)), ("capacity", c_uint32)]


class PublishInfo(Structure):
    _fields_ = [
        ("timestamp_ns", c_int64),
        ("wall_ns", c_int64),
        ("keyframe", c_int),
        ("size", c_uint32),
        ("meta", c_void_p),
        ("meta_bytes", c_uint32),
    ]


class ProducerStats(Structure):
    _fields_ = [("published", c_uint64), ("dropped", c_uint64), ("consumers", c_uint32)]


class ConsumerOptions(Structure):
    _fields_ = [("policy", c_int), ("follow", c_int), ("open_timeout_ms", c_uint32), ("liveness_interval_ms", c_uint32)]


class FrameStruct(Structure):
    _fields_ = [
        ("seq", c_uint64),
        ("data", POINTER(c_uint8)),
        ("size", c_uint32),
        ("keyframe", c_int),
        ("timestamp_ns", c_int64),
        ("wall_ns", c_int64),
        ("publish_ns", c_int64),
        ("meta", POINTER(c_uint8)),
        ("meta_bytes", c_uint32),
        ("layout", Layout),
        ("internal_", c_void_p),
        ("hold_", c_int32),
    ]


class ConsumerStats(Structure):
    _fields_ = [
        ("received", c_uint64),
        ("missed", c_uint64),
        ("expired", c_uint64),
        ("holding", c_uint32),
        ("producer_lost", c_uint32),
        ("latency_count", c_uint32),
        ("latency_p50_us", c_double),
        ("latency_p99_us", c_double),
        ("latency_max_us", c_double),
        ("connected", c_int),
    ]


class StreamInfo(Structure):
    _fields_ = [
        ("name", c_char * 64),
        ("status", c_int),
        ("layout", Layout),
        ("fps_num", c_uint32),
        ("fps_den", c_uint32),
        ("producer_pid", c_int32),
        ("consumers", c_uint32),
        ("published", c_uint64),
        ("dropped", c_uint64),
    ]


def _candidates():
    override = os.environ.get("VIDBUS_LIBRARY")
    if override:
        yield override
    here = os.path.dirname(os.path.abspath(__file__))
    yield os.path.join(here, "libvidbus.so.1")
    yield os.path.join(here, "..", "..", "libvidbus", "build", "libvidbus.so.1")
    found = ctypes.util.find_library("vidbus")
    if found:
        yield found


def _load():
    tried = []
    for path in _candidates():
        if os.path.sep in path and not os.path.exists(path):
            tried.append(f"{path} (missing)")
            continue
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{path} ({e})")
    raise ImportError(
        "libvidbus could not be loaded. Tried:\n  "
        + "\n  ".join(tried)
        + "\nBuild it (make -C libvidbus), install the package with pip (it builds one), or set VIDBUS_LIBRARY to its path."
    )


lib = _load()


def _sig(name, restype, *argtypes):
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)
    return fn


error_code = _sig("vidbus_error_code", c_char_p, c_int)
last_error = _sig("vidbus_last_error", c_char_p)
format_name = _sig("vidbus_format_name", c_char_p, c_int)
format_from_name = _sig("vidbus_format_from_name", c_int, c_char_p)
format_is_encoded = _sig("vidbus_format_is_encoded", c_int, c_int)
producer_options_init = _sig("vidbus_producer_options_init", None, POINTER(ProducerOptions))
producer_create = _sig("vidbus_producer_create", c_int, c_char_p, POINTER(ProducerOptions), POINTER(c_void_p))
producer_loan = _sig("vidbus_producer_loan", c_int, c_void_p, POINTER(Loan))
producer_publish = _sig("vidbus_producer_publish", c_int, c_void_p, POINTER(Loan), POINTER(PublishInfo), POINTER(c_uint64))
producer_discard = _sig("vidbus_producer_discard", c_int, c_void_p, POINTER(Loan))
producer_write = _sig("vidbus_producer_write", c_int, c_void_p, c_void_p, c_size_t, POINTER(PublishInfo), POINTER(c_uint64))
producer_get_stats = _sig("vidbus_producer_get_stats", None, c_void_p, POINTER(ProducerStats))
producer_layout = _sig("vidbus_producer_layout", POINTER(Layout), c_void_p)
producer_close = _sig("vidbus_producer_close", None, c_void_p)
consumer_options_init = _sig("vidbus_consumer_options_init", None, POINTER(ConsumerOptions))
consumer_open = _sig("vidbus_consumer_open", c_int, c_char_p, POINTER(ConsumerOptions), POINTER(c_void_p))
consumer_try_receive = _sig("vidbus_consumer_try_receive", c_int, c_void_p, POINTER(FrameStruct))
consumer_wait = _sig("vidbus_consumer_wait", c_int, c_void_p, c_int, POINTER(FrameStruct))
frame_release = _sig("vidbus_frame_release", c_int, c_void_p, POINTER(FrameStruct))
frame_renew = _sig("vidbus_frame_renew", c_int, c_void_p, POINTER(FrameStruct))
consumer_interrupt = _sig("vidbus_consumer_interrupt", None, c_void_p)
consumer_get_stats = _sig("vidbus_consumer_get_stats", None, c_void_p, POINTER(ConsumerStats))
consumer_layout = _sig("vidbus_consumer_layout", POINTER(Layout), c_void_p)
consumer_fps = _sig("vidbus_consumer_fps", None, c_void_p, POINTER(c_uint32), POINTER(c_uint32))
consumer_close = _sig("vidbus_consumer_close", None, c_void_p)
list_streams = _sig("vidbus_list_streams", c_int, POINTER(StreamInfo), c_size_t, POINTER(c_size_t))
now_ns = _sig("vidbus_now_ns", c_int64)
