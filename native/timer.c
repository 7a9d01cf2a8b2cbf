/* A one-shot CLOCK_MONOTONIC timer as a file descriptor (timerfd), for the
 * consumer's low-latency mode: watched with FdWatch, it wakes the event
 * loop itself at an absolute time with the kernel's hrtimer precision
 * (libuv's timers have millisecond resolution). Reading it clears it. */
#include "timer.h"

#include <errno.h>
#include <stdint.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"

napi_value vb_timer_create(napi_env env, napi_callback_info info)
{
    (void)info;
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0) return vb_throw_errno(env, "timerfd_create", errno);
    napi_value out;
    napi_create_int32(env, fd, &out);
    return out;
}

napi_value vb_timer_arm(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd;
    double at_ns;
    if (vb_get_args(env, info, &a, 2) != 0 || vb_arg_int32(env, a.values[0], &fd) != 0) return NULL;
    if (napi_get_value_double(env, a.values[1], &at_ns) != napi_ok || !(at_ns >= 0) || at_ns > 9.2e18) {
        return vb_throw_type(env, "expected a time in nanoseconds");
    }
    int64_t ns = (int64_t)at_ns;
    /* 0 would disarm: a time in the past is "now", so make it 1 ns. */
    struct itimerspec spec = {{0, 0}, {ns / 1000000000, ns % 1000000000}};
    if (ns == 0) spec.it_value.tv_nsec = 0;
    else if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
    if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &spec, NULL) != 0) return vb_throw_errno(env, "timerfd_settime", errno);
    return NULL;
}
