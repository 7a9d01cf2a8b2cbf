/* futex(2) on a 32-bit word inside a shared mapping. FUTEX_WAIT/WAKE
 * without FUTEX_PRIVATE_FLAG, so waiters and wakers may live in different
 * processes that map the same file. */
#ifndef VIDBUS_FUTEX_H
#define VIDBUS_FUTEX_H

#include <node_api.h>
#include <stdint.h>
#include <time.h>

/* Returns 0 when woken, or an errno (ETIMEDOUT, EAGAIN when the word
 * differed from expected, EINTR). timeout_ms < 0 waits forever. */
int vb_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ms);
/* Returns how many waiters were woken, or -errno. */
int vb_futex_wake(uint32_t *word, int count);

/* futexWake(buffer, byteOffset, count) -> number woken */
napi_value vb_js_futex_wake(napi_env env, napi_callback_info info);
/* futexWaitSync(buffer, byteOffset, expected, timeoutMs) -> 0 woken,
 * 1 timed out, 2 value differed. Blocks the calling thread: tools and
 * tests only; the bus uses waiters. */
napi_value vb_js_futex_wait_sync(napi_env env, napi_callback_info info);

#endif
