/* A waiter is one native thread that blocks in FUTEX_WAIT on a shared
 * word for JS and reports the outcome to a JS callback through a
 * thread-safe function, so JS never blocks its event loop. One waiter per
 * consumer; it is armed once per wait. */
#ifndef VIDBUS_WAITER_H
#define VIDBUS_WAITER_H

#include <node_api.h>

/* waiterCreate(buffer, byteOffset, callback(result)) -> handle
 * result: 0 woken, 1 timed out, 2 word differed from expected, <0 -errno */
napi_value vb_waiter_create(napi_env env, napi_callback_info info);
/* waiterArm(handle, expected, timeoutMs): starts one wait. */
napi_value vb_waiter_arm(napi_env env, napi_callback_info info);
/* waiterClose(handle): stops the thread; idempotent. */
napi_value vb_waiter_close(napi_env env, napi_callback_info info);

#endif
