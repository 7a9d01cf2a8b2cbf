/* Small helpers to read Node-API arguments. Each returns 0 on success and
 * leaves a pending ERR_NATIVE_ARGUMENT VidbusError otherwise. */
#ifndef VIDBUS_ARGS_H
#define VIDBUS_ARGS_H

#include <node_api.h>

#include "errors.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VB_MAX_ARGS 12

typedef struct {
    size_t count;
    napi_value values[VB_MAX_ARGS];
} vb_args;

static inline int vb_get_args(napi_env env, napi_callback_info info, vb_args *args, size_t needed)
{
    args->count = VB_MAX_ARGS;
    if (napi_get_cb_info(env, info, &args->count, args->values, NULL, NULL) != napi_ok) return -1;
    if (args->count < needed) {
        vb_throw_type(env, "too few arguments");
        return -1;
    }
    return 0;
}

static inline int vb_arg_int64(napi_env env, napi_value v, int64_t *out)
{
    if (napi_get_value_int64(env, v, out) != napi_ok) {
        vb_throw_type(env, "expected a number");
        return -1;
    }
    return 0;
}

static inline int vb_arg_int32(napi_env env, napi_value v, int32_t *out)
{
    if (napi_get_value_int32(env, v, out) != napi_ok) {
        vb_throw_type(env, "expected a number");
        return -1;
    }
    return 0;
}

static inline int vb_arg_bool(napi_env env, napi_value v, bool *out)
{
    if (napi_get_value_bool(env, v, out) != napi_ok) {
        vb_throw_type(env, "expected a boolean");
        return -1;
    }
    return 0;
}

/* The elements of a typed array of the given type (its view, not the whole
 * ArrayBuffer); `what` names the expected type in the error. */
static inline int vb_arg_typed(napi_env env, napi_value v, napi_typedarray_type want, const char *what, void **data, size_t *count)
{
    napi_typedarray_type type;
    if (napi_get_typedarray_info(env, v, &type, count, data, NULL, NULL) != napi_ok || type != want) {
        vb_throw_type(env, what);
        return -1;
    }
    return 0;
}

static inline int vb_arg_bytes(napi_env env, napi_value v, uint8_t **data, size_t *length)
{
    return vb_arg_typed(env, v, napi_uint8_array, "expected a Uint8Array", (void **)data, length);
}

static inline int vb_arg_floats(napi_env env, napi_value v, float **data, size_t *count)
{
    return vb_arg_typed(env, v, napi_float32_array, "expected a Float32Array", (void **)data, count);
}

/* Copies an Int32Array of exactly `count` elements into `out`. */
static inline int vb_arg_ints(napi_env env, napi_value v, size_t count, int32_t *out)
{
    void *ptr = NULL;
    size_t length = 0;
    const char *what = "expected an Int32Array descriptor of the right length";
    if (vb_arg_typed(env, v, napi_int32_array, what, &ptr, &length) != 0) return -1;
    if (length != count) {
        vb_throw_type(env, what);
        return -1;
    }
    for (size_t i = 0; i < count; i++) out[i] = ((const int32_t *)ptr)[i];
    return 0;
}

/* Resolves an ArrayBuffer plus a byte offset to an aligned 32-bit word
 * inside it. Rejects offsets outside the buffer or misaligned ones. */
static inline int vb_arg_word(napi_env env, napi_value buffer, napi_value offset, uint32_t **out)
{
    void *data = NULL;
    size_t length = 0;
    int64_t off = 0;
    if (napi_get_arraybuffer_info(env, buffer, &data, &length) != napi_ok || data == NULL) {
        vb_throw_type(env, "expected a mapped ArrayBuffer");
        return -1;
    }
    if (vb_arg_int64(env, offset, &off) != 0) return -1;
    if (off < 0 || (off & 3) != 0 || (uint64_t)off + 4 > length) {
        vb_throw_type(env, "word offset outside the buffer or misaligned");
        return -1;
    }
    *out = (uint32_t *)((char *)data + off);
    return 0;
}

#endif
