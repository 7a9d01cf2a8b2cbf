#include "futex.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"

int vb_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ms)
{
    struct timespec ts, *tp = NULL;
    if (timeout_ms >= 0) {
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
        tp = &ts;
    }
    long r = syscall(SYS_futex, word, FUTEX_WAIT, expected, tp, NULL, 0);
    return r == 0 ? 0 : errno;
}

int vb_futex_wake(uint32_t *word, int count)
{
    long r = syscall(SYS_futex, word, FUTEX_WAKE, count, NULL, NULL, 0);
    return r < 0 ? -errno : (int)r;
}

napi_value vb_js_futex_wake(napi_env env, napi_callback_info info)
{
    vb_args a;
    uint32_t *word;
    int32_t count;
    if (vb_get_args(env, info, &a, 3) != 0) return NULL;
    if (vb_arg_word(env, a.values[0], a.values[1], &word) != 0) return NULL;
    if (vb_arg_int32(env, a.values[2], &count) != 0) return NULL;
    if (count <= 0) count = INT_MAX;
    int r = vb_futex_wake(word, count);
    if (r < 0) return vb_throw_errno(env, "futex", -r);
    napi_value out;
    napi_create_int32(env, r, &out);
    return out;
}

napi_value vb_js_futex_wait_sync(napi_env env, napi_callback_info info)
{
    vb_args a;
    uint32_t *word;
    int64_t expected, timeout_ms;
    if (vb_get_args(env, info, &a, 4) != 0) return NULL;
    if (vb_arg_word(env, a.values[0], a.values[1], &word) != 0) return NULL;
    if (vb_arg_int64(env, a.values[2], &expected) != 0) return NULL;
    if (vb_arg_int64(env, a.values[3], &timeout_ms) != 0) return NULL;
    int r = vb_futex_wait(word, (uint32_t)expected, timeout_ms);
    int result;
    switch (r) {
    case 0:
    case EINTR: result = 0; break;
    case ETIMEDOUT: result = 1; break;
    case EAGAIN: result = 2; break;
    default: return vb_throw_errno(env, "futex", r);
    }
    napi_value out;
    napi_create_int32(env, result, &out);
    return out;
}
