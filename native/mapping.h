/* mmap/munmap of shared-memory file descriptors as external ArrayBuffers,
 * and fallocate so that a full /dev/shm fails with ENOSPC at creation
 * instead of SIGBUS on first touch. */
#ifndef VIDBUS_MAPPING_H
#define VIDBUS_MAPPING_H

#include <node_api.h>

/* mmap(fd, length, writable, populate, offset?) -> ArrayBuffer; fd -1 maps anonymous memory */
napi_value vb_mmap(napi_env env, napi_callback_info info);
/* munmap(buffer): detaches the ArrayBuffer (views become empty) and
 * unmaps at once. Idempotent. */
napi_value vb_munmap(napi_env env, napi_callback_info info);
/* fallocate(fd, length) */
napi_value vb_fallocate(napi_env env, napi_callback_info info);

#endif
