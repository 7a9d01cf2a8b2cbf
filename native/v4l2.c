#include "v4l2.h"

#include <errno.h>
#include <linux/videodev2.h>
#include <string.h>
#include <sys/ioctl.h>

#include "args.h"
#include "errors.h"

static void set_string(napi_env env, napi_value obj, const char *key, const unsigned char *bytes, size_t max)
{
    size_t len = strnlen((const char *)bytes, max); /* the kernel NUL-pads, but never trust it */
    napi_value v;
    napi_create_string_utf8(env, (const char *)bytes, len, &v);
    napi_set_named_property(env, obj, key, v);
}

static void set_u32(napi_env env, napi_value obj, const char *key, uint32_t value)
{
    napi_value v;
    napi_create_uint32(env, value, &v);
    napi_set_named_property(env, obj, key, v);
}

napi_value vb_v4l2_querycap(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd;
    if (vb_get_args(env, info, &a, 1) != 0) return NULL;
    if (vb_arg_int32(env, a.values[0], &fd) != 0) return NULL;
    struct v4l2_capability cap;
    memset(&cap, 0, sizeof(cap));
    int r;
    do {
        r = ioctl(fd, VIDIOC_QUERYCAP, &cap);
    } while (r != 0 && errno == EINTR);
    if (r != 0) return vb_throw_errno(env, "ioctl(VIDIOC_QUERYCAP)", errno);
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
