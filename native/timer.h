/* A precise one-shot timer on the event loop: a timerfd (see timer.c). */
#ifndef VIDBUS_TIMER_H
#define VIDBUS_TIMER_H

#include <node_api.h>

/* timerCreate() -> fd (CLOCK_MONOTONIC, non-blocking) */
napi_value vb_timer_create(napi_env env, napi_callback_info info);
/* timerArm(fd, atNs: number): fires once at CLOCK_MONOTONIC time atNs (0 disarms) */
napi_value vb_timer_arm(napi_env env, napi_callback_info info);

#endif
