/* Errors thrown by the addon. The error class lives in TypeScript
 * (src/bus/errors.ts); TS hands a factory to init() once, and every
 * failed syscall is thrown through it, so JS sees one typed error with
 * `code`, `errno` and `syscall`. */
#ifndef VIDBUS_ERRORS_H
#define VIDBUS_ERRORS_H

#include <node_api.h>

/* Stores the JS factory `(syscall, errno, message) => Error`. */
napi_status vb_errors_set_factory(napi_env env, napi_value factory);

/* Throws the error made by the factory for a failed syscall. Always
 * returns NULL so callers can `return vb_throw_errno(...)`. */
napi_value vb_throw_errno(napi_env env, const char *syscall, int err);

/* Throws a TypeError for a programming mistake at the boundary (the TS
 * wrappers validate first, so reaching this is a bug in vidbus). */
napi_value vb_throw_type(napi_env env, const char *message);

/* Frees per-environment state; called from the env cleanup hook. */
void vb_errors_cleanup(napi_env env);

#endif
