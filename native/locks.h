/* Open-file-description (OFD) byte locks, used as liveness tokens: a
 * process holds a write lock on "its" byte for as long as it lives, and
 * the kernel drops the lock when the process dies, however it dies. */
#ifndef VIDBUS_LOCKS_H
#define VIDBUS_LOCKS_H

#include <node_api.h>

/* lockTry(fd, offset, exclusive) -> true if taken, false if another open
 * file description holds a conflicting lock. Never blocks. */
napi_value vb_lock_try(napi_env env, napi_callback_info info);
/* lockRelease(fd, offset) */
napi_value vb_lock_release(napi_env env, napi_callback_info info);
/* lockHeld(fd, offset) -> true if another open file description holds a
 * write lock on that byte. */
napi_value vb_lock_held(napi_env env, napi_callback_info info);

#endif
