/* V4L2 enumeration: formats, frame sizes, frame intervals, and the
 * current frame rate. Each returns plain arrays; src/native/v4l2.ts and
 * src/sources/ decide what they mean. */
#include "v4l2_enum.h"

#include <linux/videodev2.h>

#include "args.h"
#include "errors.h"
#include "v4l2_util.h"

/* Capture, output and their multi-planar variants: what a node can offer. */
static int enum_type_ok(int32_t t)
{
    return t == V4L2_BUF_TYPE_VIDEO_CAPTURE || t == V4L2_BUF_TYPE_VIDEO_OUTPUT || t == V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE ||
           t == V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
}

/* Lists grow to at most this many entries: a driver that never says
 * EINVAL cannot make us loop forever. */
#define VB_ENUM_LIMIT 512

napi_value vb_v4l2_enum_formats(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd, type;
    if (vb_get_args(env, info, &a, 2) != 0 || vb_arg_int32(env, a.values[0], &fd) != 0 || vb_arg_int32(env, a.values[1], &type) != 0) return NULL;
    if (!enum_type_ok(type)) return vb_throw_type(env, "unsupported buffer type");
    napi_value list;
    napi_create_array(env, &list);
    for (uint32_t i = 0; i < VB_ENUM_LIMIT; i++) {
        struct v4l2_fmtdesc d;
        memset(&d, 0, sizeof(d));
        d.index = i;
        d.type = (uint32_t)type;
        if (xioctl(fd, VIDIOC_ENUM_FMT, &d) != 0) {
            if (errno == EINVAL) break;
            return vb_throw_errno(env, "ioctl(VIDIOC_ENUM_FMT)", errno);
        }
        napi_value o;
        napi_create_object(env, &o);
        set_u32(env, o, "pixelFormat", d.pixelformat);
        set_u32(env, o, "flags", d.flags);
        set_string(env, o, "description", d.description, sizeof(d.description));
        napi_set_element(env, list, i, o);
    }
    return list;
}

napi_value vb_v4l2_enum_frame_sizes(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd;
    int64_t pixel_format;
    if (vb_get_args(env, info, &a, 2) != 0 || vb_arg_int32(env, a.values[0], &fd) != 0 || vb_arg_int64(env, a.values[1], &pixel_format) != 0) return NULL;
    napi_value list;
    napi_create_array(env, &list);
    for (uint32_t i = 0; i < VB_ENUM_LIMIT; i++) {
        struct v4l2_frmsizeenum f;
        memset(&f, 0, sizeof(f));
        f.index = i;
        f.pixel_format = (uint32_t)pixel_format;
        if (xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &f) != 0) {
            if (errno == EINVAL || errno == ENOTTY) break;
            return vb_throw_errno(env, "ioctl(VIDIOC_ENUM_FRAMESIZES)", errno);
        }
        napi_value o;
        napi_create_object(env, &o);
        set_u32(env, o, "type", f.type);
        if (f.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
            set_u32(env, o, "width", f.discrete.width);
            set_u32(env, o, "height", f.discrete.height);
        } else {
            set_u32(env, o, "minWidth", f.stepwise.min_width);
            set_u32(env, o, "maxWidth", f.stepwise.max_width);
            set_u32(env, o, "stepWidth", f.stepwise.step_width);
            set_u32(env, o, "minHeight", f.stepwise.min_height);
            set_u32(env, o, "maxHeight", f.stepwise.max_height);
            set_u32(env, o, "stepHeight", f.stepwise.step_height);
        }
        napi_set_element(env, list, i, o);
        if (f.type != V4L2_FRMSIZE_TYPE_DISCRETE) break; /* one entry describes the whole range */
    }
    return list;
}

static void set_fraction(napi_env env, napi_value o, const char *num_key, const char *den_key, const struct v4l2_fract *f)
{
    set_u32(env, o, num_key, f->numerator);
    set_u32(env, o, den_key, f->denominator);
}

napi_value vb_v4l2_enum_frame_intervals(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd;
    int64_t pixel_format, width, height;
    if (vb_get_args(env, info, &a, 4) != 0 || vb_arg_int32(env, a.values[0], &fd) != 0 || vb_arg_int64(env, a.values[1], &pixel_format) != 0 ||
        vb_arg_int64(env, a.values[2], &width) != 0 || vb_arg_int64(env, a.values[3], &height) != 0)
        return NULL;
    napi_value list;
    napi_create_array(env, &list);
    for (uint32_t i = 0; i < VB_ENUM_LIMIT; i++) {
        struct v4l2_frmivalenum f;
        memset(&f, 0, sizeof(f));
        f.index = i;
        f.pixel_format = (uint32_t)pixel_format;
        f.width = (uint32_t)width;
        f.height = (uint32_t)height;
        if (xioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &f) != 0) {
            if (errno == EINVAL || errno == ENOTTY) break;
            return vb_throw_errno(env, "ioctl(VIDIOC_ENUM_FRAMEINTERVALS)", errno);
        }
        napi_value o;
        napi_create_object(env, &o);
        set_u32(env, o, "type", f.type);
        if (f.type == V4L2_FRMIVAL_TYPE_DISCRETE) {
            set_fraction(env, o, "num", "den", &f.discrete);
        } else {
            set_fraction(env, o, "minNum", "minDen", &f.stepwise.min);
            set_fraction(env, o, "maxNum", "maxDen", &f.stepwise.max);
        }
        napi_set_element(env, list, i, o);
        if (f.type != V4L2_FRMIVAL_TYPE_DISCRETE) break;
    }
    return list;
}

napi_value vb_v4l2_get_frame_interval(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd, type;
    if (vb_get_args(env, info, &a, 2) != 0 || vb_arg_int32(env, a.values[0], &fd) != 0 || vb_arg_int32(env, a.values[1], &type) != 0) return NULL;
    if (type != V4L2_BUF_TYPE_VIDEO_CAPTURE && type != V4L2_BUF_TYPE_VIDEO_OUTPUT) return vb_throw_type(env, "unsupported buffer type");
    struct v4l2_streamparm p;
    memset(&p, 0, sizeof(p));
    p.type = (uint32_t)type;
    if (xioctl(fd, VIDIOC_G_PARM, &p) != 0) return vb_throw_errno(env, "ioctl(VIDIOC_G_PARM)", errno);
    const struct v4l2_fract *f = type == V4L2_BUF_TYPE_VIDEO_CAPTURE ? &p.parm.capture.timeperframe : &p.parm.output.timeperframe;
    napi_value o;
    napi_create_object(env, &o);
    set_fraction(env, o, "num", "den", f);
    return o;
}
