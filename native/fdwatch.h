/* Watching a file descriptor for readiness on Node's event loop (see fdwatch.c). */
#ifndef VIDBUS_FDWATCH_H
#define VIDBUS_FDWATCH_H

#include <node_api.h>

/* fdWatchStart(fd, callback(status, events), drain?: 0 none | 1 one datagram after | 2 counter before, stamp?: BigInt64Array) -> handle */
napi_value vb_fd_watch_start(napi_env env, napi_callback_info info);
/* fdWatchStop(handle): idempotent */
napi_value vb_fd_watch_stop(napi_env env, napi_callback_info info);
/* fdWatchRef(handle, keepAlive): whether the watch keeps the process alive */
napi_value vb_fd_watch_ref(napi_env env, napi_callback_info info);

#endif
