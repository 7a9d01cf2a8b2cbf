#include "errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    napi_ref factory;
} error_state;

static error_state *state_of(napi_env env)
{
    void *data = NULL;
    if (napi_get_instance_data(env, &data) != napi_ok) return NULL;
    return data;
}

static void free_state(napi_env env, void *data, void *hint)
{
    (void)hint;
    error_state *st = data;
    if (st == NULL) return;
    if (st->factory != NULL) napi_delete_reference(env, st->factory);
    free(st);
}

napi_status vb_errors_set_factory(napi_env env, napi_value factory)
{
    error_state *st = state_of(env);
    if (st == NULL) {
        st = calloc(1, sizeof(*st));
        if (st == NULL) return napi_generic_failure;
        napi_status s = napi_set_instance_data(env, st, free_state, NULL);
        if (s != napi_ok) {
            free(st);
            return s;
        }
    }
    if (st->factory != NULL) napi_delete_reference(env, st->factory);
    st->factory = NULL;
    return napi_create_reference(env, factory, 1, &st->factory);
}

/* Calls the factory with (code, message[, syscall, errno]) and throws what
 * it returns; before init() a plain Error carrying the code. */
static napi_value throw_made(napi_env env, const char *code, const char *message, const char *syscall, int err)
{
    error_state *st = state_of(env);
    napi_value factory = NULL;
    if (st != NULL && st->factory != NULL) napi_get_reference_value(env, st->factory, &factory);
    if (factory == NULL) {
        napi_throw_error(env, code[0] != '\0' ? code : "ERR_SYSCALL", message);
        return NULL;
    }
    napi_value args[4], global, error;
    size_t argc = 2;
    napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &args[0]);
    napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &args[1]);
    if (syscall != NULL) {
        napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &args[2]);
        napi_create_int32(env, err, &args[3]);
        argc = 4;
    }
    napi_get_global(env, &global);
    if (napi_call_function(env, global, factory, argc, args, &error) == napi_ok) {
        napi_throw(env, error);
    } else {
        /* The factory itself threw; that exception is already pending. */
    }
    return NULL;
}

napi_value vb_throw_errno(napi_env env, const char *syscall, int err)
{
    char message[256];
    snprintf(message, sizeof(message), "%s failed: %s", syscall, strerror(err));
    return throw_made(env, "", message, syscall, err);
}

napi_value vb_throw_code(napi_env env, const char *code, const char *message)
{
    return throw_made(env, code, message, NULL, 0);
}

napi_value vb_throw_type(napi_env env, const char *message)
{
    return vb_throw_code(env, "ERR_NATIVE_ARGUMENT", message);
}

void vb_errors_cleanup(napi_env env)
{
    (void)env; /* instance data is freed by its own finalizer */
}
