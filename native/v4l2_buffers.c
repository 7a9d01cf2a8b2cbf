/* V4L2 streaming I/O on single-planar capture nodes: request buffers,
 * query them (for mmap), queue (MMAP, or USERPTR into memory the caller
 * owns, such as a bus slot) and dequeue without blocking. Which buffers to
 * queue when is decided in src/sources/v4l2-capture.ts. */
#include "v4l2_buffers.h"

#include <linux/videodev2.h>
#include <stdbool.h>

#include "args.h"
#include "errors.h"
#include "v4l2_util.h"

static int read_common(napi_env env, napi_callback_info info, vb_args *a, size_t needed, int32_t *fd, int32_t *type)
{
    if (vb_get_args(env, info, a, needed) != 0 || vb_arg_int32(env, a->values[0], fd) != 0 || vb_arg_int32(env, a->values[1], type) != 0) return -1;
    if (*type != V4L2_BUF_TYPE_VIDEO_CAPTURE && *type != V4L2_BUF_TYPE_VIDEO_OUTPUT) {
        vb_throw_type(env, "buffer type must be VIDEO_CAPTURE (1) or VIDEO_OUTPUT (2)");
        return -1;
    }
    return 0;
}

static int read_memory(napi_env env, napi_value v, int32_t *memory)
{
    if (vb_arg_int32(env, v, memory) != 0) return -1;
    if (*memory != V4L2_MEMORY_MMAP && *memory != V4L2_MEMORY_USERPTR) {
        vb_throw_type(env, "memory must be MMAP (1) or USERPTR (2)");
        return -1;
    }
    return 0;
}

napi_value vb_v4l2_request_buffers(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd, type, memory, count;
    if (read_common(env, info, &a, 4, &fd, &type) != 0 || read_memory(env, a.values[2], &memory) != 0 || vb_arg_int32(env, a.values[3], &count) != 0) return NULL;
    if (count < 0 || count > 64) return vb_throw_type(env, "buffer count out of range");
    struct v4l2_requestbuffers r;
    memset(&r, 0, sizeof(r));
    r.count = (uint32_t)count;
    r.type = (uint32_t)type;
    r.memory = (uint32_t)memory;
    if (xioctl(fd, VIDIOC_REQBUFS, &r) != 0) return vb_throw_errno(env, "ioctl(VIDIOC_REQBUFS)", errno);
    napi_value out;
    napi_create_uint32(env, r.count, &out);
    return out;
}

napi_value vb_v4l2_query_buffer(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd, type, index;
    if (read_common(env, info, &a, 3, &fd, &type) != 0 || vb_arg_int32(env, a.values[2], &index) != 0) return NULL;
    struct v4l2_buffer b;
    memset(&b, 0, sizeof(b));
    b.type = (uint32_t)type;
    b.memory = V4L2_MEMORY_MMAP;
    b.index = (uint32_t)index;
    if (xioctl(fd, VIDIOC_QUERYBUF, &b) != 0) return vb_throw_errno(env, "ioctl(VIDIOC_QUERYBUF)", errno);
    napi_value out;
    napi_create_object(env, &out);
    set_u32(env, out, "offset", b.m.offset);
    set_u32(env, out, "length", b.length);
    return out;
}

napi_value vb_v4l2_queue_buffer(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd, type, memory, index;
    if (read_common(env, info, &a, 4, &fd, &type) != 0 || read_memory(env, a.values[2], &memory) != 0 || vb_arg_int32(env, a.values[3], &index) != 0) return NULL;
    struct v4l2_buffer b;
    memset(&b, 0, sizeof(b));
    b.type = (uint32_t)type;
    b.memory = (uint32_t)memory;
    b.index = (uint32_t)index;
    if (memory == V4L2_MEMORY_USERPTR) {
        uint8_t *data;
        size_t length;
        if (a.count < 5 || vb_arg_bytes(env, a.values[4], &data, &length) != 0) return NULL;
        if (length == 0 || length > UINT32_MAX) return vb_throw_type(env, "user pointer buffer length out of range");
        /* The driver writes into exactly this view: its own bounds, nothing more. */
        b.m.userptr = (unsigned long)data;
        b.length = (uint32_t)length;
    }
    if (xioctl(fd, VIDIOC_QBUF, &b) != 0) return vb_throw_errno(env, "ioctl(VIDIOC_QBUF)", errno);
    return NULL;
}

napi_value vb_v4l2_dequeue_buffer(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd, type, memory;
    if (read_common(env, info, &a, 3, &fd, &type) != 0 || read_memory(env, a.values[2], &memory) != 0) return NULL;
    struct v4l2_buffer b;
    memset(&b, 0, sizeof(b));
    b.type = (uint32_t)type;
    b.memory = (uint32_t)memory;
    napi_value out;
    if (xioctl(fd, VIDIOC_DQBUF, &b) != 0) {
        if (errno == EAGAIN) {
            napi_get_null(env, &out);
            return out;
        }
        return vb_throw_errno(env, "ioctl(VIDIOC_DQBUF)", errno);
    }
    napi_create_object(env, &out);
    set_u32(env, out, "index", b.index);
    set_u32(env, out, "bytesUsed", b.bytesused);
    set_u32(env, out, "flags", b.flags);
    set_u32(env, out, "sequence", b.sequence);
    napi_value ts;
    int64_t ns = (int64_t)b.timestamp.tv_sec * 1000000000LL + (int64_t)b.timestamp.tv_usec * 1000LL;
    napi_create_bigint_int64(env, ns, &ts);
    napi_set_named_property(env, out, "timestampNs", ts);
    return out;
}
