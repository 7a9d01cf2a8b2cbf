/* Readiness of a file descriptor on Node's own event loop (libuv's
 * uv_poll, i.e. epoll): a capture device says "a frame is ready" without
 * any thread or blocking call. fdWatchStart(fd, callback) calls
 * callback(status, events) on the main thread each time the fd is
 * readable (or failed: status < 0, or events has UV_DISCONNECT);
 * fdWatchStop(handle) stops it and is idempotent. Stop the watch before
 * closing the fd. fdWatchRef(handle, keepAlive) says whether the watch
 * keeps the process alive (it does from the start, like any libuv
 * handle; an idle bus consumer does not).
 *
 * Two options take work off the JavaScript side, where each native call
 * costs microseconds on a cold CPU (a consumer woken 30 times a second
 * always runs cold; docs/architecture.md, "Per-frame cost"):
 * - drain: take what made the fd readable, so the callback need not call
 *   back into the addon. VB_DRAIN_DATAGRAM (a wake socket) discards one
 *   datagram after the callback returns: off the latency path, and one per
 *   report, so a datagram that arrives while the callback runs (the wake
 *   of the sleep it just began) stays for the next report; a stray extra
 *   one costs one spurious report. VB_DRAIN_COUNTER (a timerfd or eventfd)
 *   reads the 8-byte count before the callback, which may re-arm it;
 * - stamp: a BigInt64Array whose element 0 gets CLOCK_MONOTONIC ns at the
 *   moment of each report, so the callback need not read the clock. */
#include "fdwatch.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "args.h"
#include "errors.h"

enum { VB_DRAIN_NONE = 0, VB_DRAIN_DATAGRAM = 1, VB_DRAIN_COUNTER = 2 };

typedef struct {
    uv_poll_t poll;
    napi_env env;
    napi_ref callback;
    napi_async_context context;
    int fd;
    int drain;          /* VB_DRAIN_* */
    napi_ref stamp_ref; /* keeps the stamp array alive; NULL without one */
    int64_t *stamp;     /* its element 0 */
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
    if (w->stamp_ref != NULL) napi_delete_reference(w->env, w->stamp_ref);
    w->stamp = NULL;
    napi_async_destroy(w->env, w->context);
}

/* The drain options' reads. Errors are left for the callback to see: the
 * fd stays readable, or reports the failure again. */
static void drain_counter(int fd)
{
    uint64_t count;
    ssize_t r;
    do r = read(fd, &count, sizeof(count));
    while (r < 0 && errno == EINTR);
}

static void drain_datagram(int fd)
{
    char byte;
    ssize_t r;
    do r = recv(fd, &byte, 1, MSG_DONTWAIT);
    while (r < 0 && errno == EINTR);
}

static void on_poll(uv_poll_t *handle, int status, int events)
{
    watch *w = handle->data;
    if (w->closing) return;
    if (w->stamp != NULL) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        *w->stamp = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    }
    if (status == 0 && w->drain == VB_DRAIN_COUNTER) drain_counter(w->fd);
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
    /* Not after stop(): the fd may be closed (or reused) by now. */
    if (status == 0 && w->drain == VB_DRAIN_DATAGRAM && !w->closing) drain_datagram(w->fd);
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
    int32_t fd, drain_mode = VB_DRAIN_NONE;
    if (vb_get_args(env, info, &a, 2) != 0 || vb_arg_int32(env, a.values[0], &fd) != 0) return NULL;
    napi_valuetype t;
    if (napi_typeof(env, a.values[1], &t) != napi_ok || t != napi_function) return vb_throw_type(env, "expected a callback");
    if (fd < 0) return vb_throw_type(env, "bad file descriptor");
    if (a.count > 2 && vb_arg_int32(env, a.values[2], &drain_mode) != 0) return NULL;
    if (drain_mode < VB_DRAIN_NONE || drain_mode > VB_DRAIN_COUNTER) return vb_throw_type(env, "unknown drain mode");
    int64_t *stamp = NULL;
    bool has_stamp = false;
    if (a.count > 3) {
        napi_typeof(env, a.values[3], &t);
        has_stamp = t != napi_undefined && t != napi_null;
    }
    if (has_stamp) {
        size_t count = 0;
        if (vb_arg_typed(env, a.values[3], napi_bigint64_array, "expected a BigInt64Array stamp", (void **)&stamp, &count) != 0) return NULL;
        if (count < 1 || stamp == NULL) return vb_throw_type(env, "expected a BigInt64Array stamp of at least one element");
    }
    uv_loop_t *loop = NULL;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == NULL) return vb_throw_type(env, "no event loop");
    watch *w = calloc(1, sizeof(*w));
    if (w == NULL) return vb_throw_errno(env, "calloc", 12 /* ENOMEM */);
    w->env = env;
    w->fd = fd;
    w->drain = drain_mode;
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
    if (has_stamp && napi_create_reference(env, a.values[3], 1, &w->stamp_ref) == napi_ok) w->stamp = stamp;
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
