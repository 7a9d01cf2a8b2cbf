/* Readiness of a file descriptor on Node's own event loop (libuv's
 * uv_poll, i.e. epoll): a capture device says "a frame is ready" without
 * any thread or blocking call. fdWatchStart(fd, callback) calls
 * callback(status, events) on the main thread each time the fd is
 * readable (or failed: status < 0, or events has UV_DISCONNECT);
 * fdWatchStop(handle) stops it and is idempotent. Stop the watch before
 * closing the fd. fdWatchRef(handle, keepAlive) says whether the watch
 * keeps the process alive (it does from the start, like any libuv
 * handle; an idle bus consumer does not). */
#include "fdwatch.h"

#include <stdbool.h>
#include <stdlib.h>
#include <uv.h>

#include "args.h"
#include "errors.h"

typedef struct {
    uv_poll_t poll;
    napi_env env;
    napi_ref callback;
    napi_async_context context;
    bool closing;    /* stop requested; uv_close pending or done */
    bool close_done; /* libuv released the handle */
    bool finalized;  /* the JS handle was garbage collected */
} watch;

static void on_close(uv_handle_t *handle)
{
    watch *w = handle->data;
    w->close_done = true;
    if (w->finalized) free(w);
}

static void stop(watch *w)
{
    if (w->closing) return;
    w->closing = true;
    uv_poll_stop(&w->poll);
    uv_close((uv_handle_t *)&w->poll, on_close);
    napi_delete_reference(w->env, w->callback);
    napi_async_destroy(w->env, w->context);
}

static void on_poll(uv_poll_t *handle, int status, int events)
{
    watch *w = handle->data;
    if (w->closing) return;
    napi_env env = w->env;
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return;
    napi_value callback, recv, argv[2], result;
    if (napi_get_reference_value(env, w->callback, &callback) == napi_ok && callback != NULL) {
        napi_get_global(env, &recv); /* MakeCallback needs an object receiver */
        napi_create_int32(env, status, &argv[0]);
        napi_create_int32(env, events, &argv[1]);
        if (napi_make_callback(env, w->context, recv, callback, 2, argv, &result) != napi_ok) {
            /* An exception in the callback is the program's: report it as
             * uncaught, and stop watching (a still-readable fd would call the
             * failing callback forever). */
            bool pending = false;
            napi_is_exception_pending(env, &pending);
            stop(w);
            if (pending) {
                napi_value error;
                napi_get_and_clear_last_exception(env, &error);
                napi_fatal_exception(env, error);
            }
        }
    }
    napi_close_handle_scope(env, scope);
}

static void finalize(napi_env env, void *data, void *hint)
{
    watch *w = data;
    w->finalized = true;
    if (!w->closing) stop(w);
    if (w->close_done) free(w);
}

napi_value vb_fd_watch_start(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd;
    if (vb_get_args(env, info, &a, 2) != 0 || vb_arg_int32(env, a.values[0], &fd) != 0) return NULL;
    napi_valuetype t;
    if (napi_typeof(env, a.values[1], &t) != napi_ok || t != napi_function) return vb_throw_type(env, "expected a callback");
    if (fd < 0) return vb_throw_type(env, "bad file descriptor");
    uv_loop_t *loop = NULL;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == NULL) return vb_throw_type(env, "no event loop");
    watch *w = calloc(1, sizeof(*w));
    if (w == NULL) return vb_throw_errno(env, "calloc", 12 /* ENOMEM */);
    w->env = env;
    int r = uv_poll_init(loop, &w->poll, fd);
    if (r != 0) {
        free(w);
        return vb_throw_errno(env, "uv_poll_init", -r);
    }
    w->poll.data = w;
    napi_value name;
    napi_create_string_utf8(env, "vidbus:fdwatch", NAPI_AUTO_LENGTH, &name);
    napi_async_init(env, NULL, name, &w->context);
    napi_create_reference(env, a.values[1], 1, &w->callback);
    r = uv_poll_start(&w->poll, UV_READABLE | UV_DISCONNECT, on_poll);
    if (r != 0) {
        stop(w);
        w->finalized = true; /* nobody else holds it: on_close frees it */
        return vb_throw_errno(env, "uv_poll_start", -r);
    }
    napi_value handle;
    if (napi_create_external(env, w, finalize, NULL, &handle) != napi_ok) {
        stop(w);
        w->finalized = true;
        return NULL;
    }
    return handle;
}

napi_value vb_fd_watch_stop(napi_env env, napi_callback_info info)
{
    vb_args a;
    void *data = NULL;
    if (vb_get_args(env, info, &a, 1) != 0) return NULL;
    if (napi_get_value_external(env, a.values[0], &data) != napi_ok || data == NULL) return vb_throw_type(env, "expected a watch handle");
    stop(data);
    return NULL;
}

napi_value vb_fd_watch_ref(napi_env env, napi_callback_info info)
{
    vb_args a;
    void *data = NULL;
    bool keep_alive;
    if (vb_get_args(env, info, &a, 2) != 0) return NULL;
    if (napi_get_value_external(env, a.values[0], &data) != napi_ok || data == NULL) return vb_throw_type(env, "expected a watch handle");
    if (vb_arg_bool(env, a.values[1], &keep_alive) != 0) return NULL;
    watch *w = data;
    if (w->closing) return NULL;
    if (keep_alive) uv_ref((uv_handle_t *)&w->poll);
    else uv_unref((uv_handle_t *)&w->poll);
    return NULL;
}
