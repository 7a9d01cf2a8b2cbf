#include "waiter.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "args.h"
#include "errors.h"
#include "futex.h"

typedef struct {
    uint32_t *word;
    napi_ref buffer_ref; /* keeps the mapping alive while the thread may wait on it */
    napi_threadsafe_function tsfn;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    /* guarded by lock */
    bool armed;
    bool closing;
    uint32_t expected;
    int64_t timeout_ms;
    /* main thread only */
    bool thread_stopped;
    bool tsfn_released;
    bool referenced; /* tsfn keeps the event loop alive while a wait is armed */
    atomic_bool exited;
    atomic_int holders; /* JS handle + tsfn; freed when both are gone */
} waiter;

static void drop_holder(waiter *w)
{
    if (atomic_fetch_sub(&w->holders, 1) == 1) {
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w);
    }
}

static void *waiter_main(void *arg)
{
    waiter *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        while (!w->armed && !w->closing) pthread_cond_wait(&w->cond, &w->lock);
        if (w->closing) {
            pthread_mutex_unlock(&w->lock);
            break;
        }
        uint32_t expected = w->expected;
        int64_t timeout_ms = w->timeout_ms;
        pthread_mutex_unlock(&w->lock);

        int r = vb_futex_wait(w->word, expected, timeout_ms);
        intptr_t result;
        switch (r) {
        case 0:
        case EINTR: result = 0; break; /* JS re-checks the word either way */
        case ETIMEDOUT: result = 1; break;
        case EAGAIN: result = 2; break;
        default: result = -r; break;
        }

        pthread_mutex_lock(&w->lock);
        w->armed = false;
        bool closing = w->closing;
        pthread_mutex_unlock(&w->lock);
        if (closing) break;
        if (napi_call_threadsafe_function(w->tsfn, (void *)result, napi_tsfn_blocking) != napi_ok) break;
    }
    atomic_store(&w->exited, true);
    return NULL;
}

/* Main thread. Stops the thread and waits for it; idempotent. The wake is
 * repeated because the thread may be between reading its arguments and
 * entering FUTEX_WAIT, where a single wake would be missed. Other waiters
 * on the same word see a spurious wake-up and simply re-check. */
static void stop_thread(napi_env env, waiter *w)
{
    if (w->thread_stopped) return;
    w->thread_stopped = true;
    pthread_mutex_lock(&w->lock);
    w->closing = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    while (!atomic_load(&w->exited)) {
        vb_futex_wake(w->word, INT32_MAX);
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
    pthread_join(w->thread, NULL);
    if (w->buffer_ref != NULL && env != NULL) {
        napi_delete_reference(env, w->buffer_ref);
        w->buffer_ref = NULL;
    }
}

static void call_js(napi_env env, napi_value callback, void *context, void *data)
{
    waiter *w = context;
    if (env == NULL || w->thread_stopped) return;
    if (w->referenced) {
        napi_unref_threadsafe_function(env, w->tsfn);
        w->referenced = false;
    }
    napi_value undefined, result;
    napi_get_undefined(env, &undefined);
    napi_create_int32(env, (int32_t)(intptr_t)data, &result);
    napi_call_function(env, undefined, callback, 1, &result, NULL);
}

/* Runs when the tsfn is released, or when the environment is torn down
 * (worker exit, process exit) before close() was called. */
static void finalize_tsfn(napi_env env, void *data, void *hint)
{
    waiter *w = hint;
    (void)data;
    stop_thread(env, w);
    w->tsfn_released = true;
    drop_holder(w);
}

static void finalize_handle(napi_env env, void *data, void *hint)
{
    waiter *w = data;
    (void)hint;
    if (!w->tsfn_released) {
        stop_thread(env, w);
        w->tsfn_released = true;
        napi_release_threadsafe_function(w->tsfn, napi_tsfn_abort);
    }
    drop_holder(w);
}

static waiter *waiter_of(napi_env env, napi_value handle)
{
    void *data = NULL;
    if (napi_get_value_external(env, handle, &data) != napi_ok || data == NULL) {
        vb_throw_type(env, "expected a waiter handle");
        return NULL;
    }
    return data;
}

napi_value vb_waiter_create(napi_env env, napi_callback_info info)
{
    vb_args a;
    uint32_t *word;
    if (vb_get_args(env, info, &a, 3) != 0) return NULL;
    if (vb_arg_word(env, a.values[0], a.values[1], &word) != 0) return NULL;

    waiter *w = calloc(1, sizeof(*w));
    if (w == NULL) return vb_throw_errno(env, "calloc", ENOMEM);
    w->word = word;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    atomic_init(&w->exited, false);
    atomic_init(&w->holders, 2);

    napi_value name;
    napi_create_string_utf8(env, "vidbus.waiter", NAPI_AUTO_LENGTH, &name);
    if (napi_create_threadsafe_function(env, a.values[2], NULL, name, 0, 1, NULL, finalize_tsfn, w, call_js,
                                        &w->tsfn) != napi_ok) {
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w);
        return vb_throw_type(env, "could not create the waiter callback");
    }
    /* Idle waiters must not keep the process alive. */
    napi_unref_threadsafe_function(env, w->tsfn);
    napi_create_reference(env, a.values[0], 1, &w->buffer_ref);

    int err = pthread_create(&w->thread, NULL, waiter_main, w);
    if (err != 0) {
        w->thread_stopped = true;
        atomic_store(&w->exited, true);
        napi_delete_reference(env, w->buffer_ref);
        w->buffer_ref = NULL;
        w->tsfn_released = true;
        napi_release_threadsafe_function(w->tsfn, napi_tsfn_abort);
        drop_holder(w); /* the handle was never made */
        return vb_throw_errno(env, "pthread_create", err);
    }

    napi_value handle;
    if (napi_create_external(env, w, finalize_handle, NULL, &handle) != napi_ok) {
        stop_thread(env, w);
        w->tsfn_released = true;
        napi_release_threadsafe_function(w->tsfn, napi_tsfn_abort);
        drop_holder(w);
        return vb_throw_type(env, "could not create the waiter handle");
    }
    return handle;
}

napi_value vb_waiter_arm(napi_env env, napi_callback_info info)
{
    vb_args a;
    int64_t expected, timeout_ms;
    if (vb_get_args(env, info, &a, 3) != 0) return NULL;
    waiter *w = waiter_of(env, a.values[0]);
    if (w == NULL) return NULL;
    if (vb_arg_int64(env, a.values[1], &expected) != 0) return NULL;
    if (vb_arg_int64(env, a.values[2], &timeout_ms) != 0) return NULL;
    if (w->thread_stopped) return vb_throw_type(env, "waiter is closed");

    pthread_mutex_lock(&w->lock);
    bool busy = w->armed;
    if (!busy) {
        w->armed = true;
        w->expected = (uint32_t)expected;
        w->timeout_ms = timeout_ms;
        pthread_cond_signal(&w->cond);
    }
    pthread_mutex_unlock(&w->lock);
    if (busy) return vb_throw_type(env, "waiter is already armed");
    if (!w->referenced) {
        napi_ref_threadsafe_function(env, w->tsfn);
        w->referenced = true;
    }
    return NULL;
}

napi_value vb_waiter_close(napi_env env, napi_callback_info info)
{
    vb_args a;
    if (vb_get_args(env, info, &a, 1) != 0) return NULL;
    waiter *w = waiter_of(env, a.values[0]);
    if (w == NULL) return NULL;
    if (w->tsfn_released) return NULL;
    stop_thread(env, w);
    w->tsfn_released = true;
    napi_release_threadsafe_function(w->tsfn, napi_tsfn_abort);
    return NULL;
}
