#include "mapping.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "args.h"
#include "errors.h"

/* One mapping. The ArrayBuffer's finalizer owns (and frees) the struct.
 * The registry lists only mappings still mapped, so that munmap() can find
 * one by address; an explicit munmap takes it off the list, marks it
 * unmapped, and the finalizer then only frees it. Doubly linked, so that
 * removal is O(1) and the list stays as short as the live mappings. */
typedef struct mapping {
    void *addr;
    size_t length;
    bool unmapped;
    struct mapping *prev, *next;
} mapping;

static pthread_mutex_t mappings_lock = PTHREAD_MUTEX_INITIALIZER;
static mapping *mappings = NULL;

/* Call with mappings_lock held. */
static void unlink_mapping(mapping *m)
{
    if (m->prev != NULL) m->prev->next = m->next;
    else mappings = m->next;
    if (m->next != NULL) m->next->prev = m->prev;
    m->prev = m->next = NULL;
}

static void finalize_mapping(napi_env env, void *data, void *hint)
{
    mapping *m = hint;
    (void)data;
    pthread_mutex_lock(&mappings_lock);
    bool still_mapped = !m->unmapped;
    if (still_mapped) unlink_mapping(m);
    m->unmapped = true;
    pthread_mutex_unlock(&mappings_lock);
    if (still_mapped) {
        munmap(m->addr, m->length);
        int64_t adjusted = 0;
        napi_adjust_external_memory(env, -(int64_t)m->length, &adjusted);
    }
    free(m);
}

napi_value vb_mmap(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd;
    int64_t length;
    bool writable, populate;
    if (vb_get_args(env, info, &a, 4) != 0) return NULL;
    if (vb_arg_int32(env, a.values[0], &fd) != 0) return NULL;
    if (vb_arg_int64(env, a.values[1], &length) != 0) return NULL;
    if (vb_arg_bool(env, a.values[2], &writable) != 0) return NULL;
    if (vb_arg_bool(env, a.values[3], &populate) != 0) return NULL;
    if (length <= 0) return vb_throw_type(env, "mapping length must be positive");
    /* Optional fifth argument: the file offset (V4L2 buffers live at offsets the driver gives). */
    int64_t offset = 0;
    if (a.count >= 5 && vb_arg_int64(env, a.values[4], &offset) != 0) return NULL;
    if (offset < 0 || (offset & 4095) != 0) return vb_throw_type(env, "mapping offset must be a non-negative multiple of the page size");

    int prot = PROT_READ | (writable ? PROT_WRITE : 0);
    int flags = MAP_SHARED | (populate ? MAP_POPULATE : 0);
    /* fd -1: anonymous memory no other process can see (the consumer's
     * warm-up stream, src/bus/warm-up.ts). */
    if (fd == -1) {
        if (offset != 0) return vb_throw_type(env, "an anonymous mapping has no offset");
        flags |= MAP_ANONYMOUS;
    }
    void *addr = mmap(NULL, (size_t)length, prot, flags, fd, (off_t)offset);
    if (addr == MAP_FAILED) return vb_throw_errno(env, "mmap", errno);

    mapping *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        munmap(addr, (size_t)length);
        return vb_throw_errno(env, "calloc", ENOMEM);
    }
    m->addr = addr;
    m->length = (size_t)length;

    napi_value buffer;
    if (napi_create_external_arraybuffer(env, addr, (size_t)length, finalize_mapping, m, &buffer) != napi_ok) {
        munmap(addr, (size_t)length);
        free(m);
        return vb_throw_errno(env, "napi_create_external_arraybuffer", ENOMEM);
    }
    pthread_mutex_lock(&mappings_lock);
    m->next = mappings;
    if (mappings != NULL) mappings->prev = m;
    mappings = m;
    pthread_mutex_unlock(&mappings_lock);
    /* Tell V8 how much memory hangs off this small object, so a program
     * that forgets close() still gets its mappings collected. */
    int64_t adjusted = 0;
    napi_adjust_external_memory(env, length, &adjusted);
    return buffer;
}

napi_value vb_munmap(napi_env env, napi_callback_info info)
{
    vb_args a;
    if (vb_get_args(env, info, &a, 1) != 0) return NULL;
    void *data = NULL;
    size_t length = 0;
    if (napi_get_arraybuffer_info(env, a.values[0], &data, &length) != napi_ok) {
        return vb_throw_type(env, "expected an ArrayBuffer");
    }
    if (data == NULL) return NULL; /* already detached: idempotent */

    bool unmap_now = false;
    pthread_mutex_lock(&mappings_lock);
    for (mapping *m = mappings; m != NULL; m = m->next) {
        if (m->addr == data && !m->unmapped) {
            unlink_mapping(m);
            m->unmapped = true;
            unmap_now = true;
            length = m->length;
            break;
        }
    }
    pthread_mutex_unlock(&mappings_lock);
    if (!unmap_now) return vb_throw_type(env, "not a buffer made by mmap()");

    /* Detach first so every view over the buffer becomes zero-length:
     * after this no JS code can reach the unmapped pages. */
    if (napi_detach_arraybuffer(env, a.values[0]) != napi_ok) {
        return vb_throw_type(env, "buffer could not be detached");
    }
    munmap(data, length);
    int64_t adjusted = 0;
    napi_adjust_external_memory(env, -(int64_t)length, &adjusted);
    return NULL;
}

napi_value vb_fallocate(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd;
    int64_t length;
    if (vb_get_args(env, info, &a, 2) != 0) return NULL;
    if (vb_arg_int32(env, a.values[0], &fd) != 0) return NULL;
    if (vb_arg_int64(env, a.values[1], &length) != 0) return NULL;
    if (length <= 0) return vb_throw_type(env, "length must be positive");
    /* A signal (a child exiting: SIGCHLD) can interrupt a large allocation
     * on tmpfs; it is safe to simply try again. */
    int err;
    do {
        err = posix_fallocate(fd, 0, (off_t)length);
    } while (err == EINTR);
    if (err != 0) return vb_throw_errno(env, "fallocate", err);
    return NULL;
}
