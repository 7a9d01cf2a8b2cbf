#include "v4l2.h"

#include <errno.h>
#include <linux/videodev2.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>

#include "args.h"
#include "errors.h"
#include "v4l2_util.h"

napi_value vb_v4l2_querycap(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd;
    if (vb_get_args(env, info, &a, 1) != 0) return NULL;
    if (vb_arg_int32(env, a.values[0], &fd) != 0) return NULL;
    struct v4l2_capability cap;
    memset(&cap, 0, sizeof(cap));
    if (xioctl(fd, VIDIOC_QUERYCAP, &cap) != 0) return vb_throw_errno(env, "ioctl(VIDIOC_QUERYCAP)", errno);
    napi_value out;
    napi_create_object(env, &out);
    set_string(env, out, "driver", cap.driver, sizeof(cap.driver));
    set_string(env, out, "card", cap.card, sizeof(cap.card));
    set_string(env, out, "busInfo", cap.bus_info, sizeof(cap.bus_info));
    set_u32(env, out, "version", cap.version);
    set_u32(env, out, "capabilities", cap.capabilities);
    set_u32(env, out, "deviceCaps", cap.device_caps);
    return out;
}

static napi_value format_object(napi_env env, const struct v4l2_pix_format *pix)
{
    napi_value out;
    napi_create_object(env, &out);
    set_u32(env, out, "width", pix->width);
    set_u32(env, out, "height", pix->height);
    set_u32(env, out, "pixelFormat", pix->pixelformat);
    set_u32(env, out, "bytesPerLine", pix->bytesperline);
    set_u32(env, out, "sizeImage", pix->sizeimage);
    set_u32(env, out, "field", pix->field);
    return out;
}

static int read_fd_type(napi_env env, napi_callback_info info, vb_args *a, size_t needed, int32_t *fd, uint32_t *type)
{
    int32_t t;
    if (vb_get_args(env, info, a, needed) != 0) return -1;
    if (vb_arg_int32(env, a->values[0], fd) != 0) return -1;
    if (vb_arg_int32(env, a->values[1], &t) != 0) return -1;
    if (t != V4L2_BUF_TYPE_VIDEO_CAPTURE && t != V4L2_BUF_TYPE_VIDEO_OUTPUT) {
        vb_throw_type(env, "buffer type must be VIDEO_CAPTURE (1) or VIDEO_OUTPUT (2)");
        return -1;
    }
    *type = (uint32_t)t;
    return 0;
}

napi_value vb_v4l2_get_format(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd;
    uint32_t type;
    if (read_fd_type(env, info, &a, 2, &fd, &type) != 0) return NULL;
    struct v4l2_format fmt;
    memset(&fmt, 0, sizeof(fmt));
    fmt.type = type;
    if (xioctl(fd, VIDIOC_G_FMT, &fmt) != 0) return vb_throw_errno(env, "ioctl(VIDIOC_G_FMT)", errno);
    return format_object(env, &fmt.fmt.pix);
}

napi_value vb_v4l2_set_format(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd;
    uint32_t type;
    int64_t width, height, pixel_format;
    if (read_fd_type(env, info, &a, 5, &fd, &type) != 0) return NULL;
    if (vb_arg_int64(env, a.values[2], &width) != 0) return NULL;
    if (vb_arg_int64(env, a.values[3], &height) != 0) return NULL;
    if (vb_arg_int64(env, a.values[4], &pixel_format) != 0) return NULL;
    if (width <= 0 || height <= 0 || width > 65535 || height > 65535) return vb_throw_type(env, "size out of range");
    struct v4l2_format fmt;
    memset(&fmt, 0, sizeof(fmt));
    fmt.type = type;
    fmt.fmt.pix.width = (uint32_t)width;
    fmt.fmt.pix.height = (uint32_t)height;
    fmt.fmt.pix.pixelformat = (uint32_t)pixel_format;
    fmt.fmt.pix.field = V4L2_FIELD_NONE;
    if (xioctl(fd, VIDIOC_S_FMT, &fmt) != 0) return vb_throw_errno(env, "ioctl(VIDIOC_S_FMT)", errno);
    return format_object(env, &fmt.fmt.pix);
}

napi_value vb_v4l2_set_frame_rate(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd;
    uint32_t type;
    int64_t num, den;
    if (read_fd_type(env, info, &a, 4, &fd, &type) != 0) return NULL;
    if (vb_arg_int64(env, a.values[2], &num) != 0) return NULL;
    if (vb_arg_int64(env, a.values[3], &den) != 0) return NULL;
    if (num <= 0 || den <= 0 || num > UINT32_MAX || den > UINT32_MAX) return vb_throw_type(env, "frame rate out of range");
    struct v4l2_streamparm parm;
    memset(&parm, 0, sizeof(parm));
    parm.type = type;
    /* timeperframe is the inverse of the rate */
    if (type == V4L2_BUF_TYPE_VIDEO_OUTPUT) {
        parm.parm.output.timeperframe.numerator = (uint32_t)den;
        parm.parm.output.timeperframe.denominator = (uint32_t)num;
    } else {
        parm.parm.capture.timeperframe.numerator = (uint32_t)den;
        parm.parm.capture.timeperframe.denominator = (uint32_t)num;
    }
    if (xioctl(fd, VIDIOC_S_PARM, &parm) != 0) return vb_throw_errno(env, "ioctl(VIDIOC_S_PARM)", errno);
    return NULL;
}

napi_value vb_v4l2_stream(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd;
    uint32_t type;
    bool on;
    if (read_fd_type(env, info, &a, 3, &fd, &type) != 0) return NULL;
    if (vb_arg_bool(env, a.values[2], &on) != 0) return NULL;
    int buf_type = (int)type;
    if (xioctl(fd, on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF, &buf_type) != 0) {
        return vb_throw_errno(env, on ? "ioctl(VIDIOC_STREAMON)" : "ioctl(VIDIOC_STREAMOFF)", errno);
    }
    return NULL;
}
