/* Helpers shared by the V4L2 wrappers: ioctl with EINTR retry, and
 * setting properties of result objects. */
#ifndef VIDBUS_V4L2_UTIL_H
#define VIDBUS_V4L2_UTIL_H

#include <errno.h>
#include <node_api.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>

static inline void set_string(napi_env env, napi_value obj, const char *key, const unsigned char *bytes, size_t max)
{
    size_t len = strnlen((const char *)bytes, max); /* the kernel NUL-pads, but never trust it */
    napi_value v;
    napi_create_string_utf8(env, (const char *)bytes, len, &v);
    napi_set_named_property(env, obj, key, v);
}

static inline void set_u32(napi_env env, napi_value obj, const char *key, uint32_t value)
{
    napi_value v;
    napi_create_uint32(env, value, &v);
    napi_set_named_property(env, obj, key, v);
}

static inline int xioctl(int fd, unsigned long request, void *arg)
{
    int r;
    do {
        r = ioctl(fd, request, arg);
    } while (r != 0 && errno == EINTR);
    return r;
}

#endif
