/* Errors thrown by the addon. The error class lives in TypeScript
 * (src/errors.ts); TS hands a factory to init() once, and every error the
 * addon throws (failed syscalls, bad arguments, bad images, closed
 * handles) is made by it, so JS sees one typed VidbusError with a `code`
 * from its union (and `errno`, `syscall` for syscalls). Nothing in the
 * addon calls napi_throw_* directly. */
#ifndef VIDBUS_ERRORS_H
#define VIDBUS_ERRORS_H

#include <node_api.h>

/* Stores the JS factory `(code, message, syscall?, errno?) => Error`; an
 * empty code means "a failed syscall: derive the code from errno". */
napi_status vb_errors_set_factory(napi_env env, napi_value factory);

/* Throws the error made by the factory for a failed syscall. Always
 * returns NULL so callers can `return vb_throw_errno(...)`. */
napi_value vb_throw_errno(napi_env env, const char *syscall, int err);

/* Throws the error made by the factory for `code` (a VidbusErrorCode such
 * as "ERR_BAD_IMAGE"). Always returns NULL. */
napi_value vb_throw_code(napi_env env, const char *code, const char *message);

/* Throws ERR_NATIVE_ARGUMENT for a programming mistake at the boundary
 * (the TS wrappers validate first, so reaching this is a bug in vidbus). */
napi_value vb_throw_type(napi_env env, const char *message);

/* Frees per-environment state; called from the env cleanup hook. */
void vb_errors_cleanup(napi_env env);

#endif
