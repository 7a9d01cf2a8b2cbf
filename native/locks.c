#include "locks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>

#include "args.h"
#include "errors.h"

static int read_fd_offset(napi_env env, napi_callback_info info, vb_args *a, size_t needed, int32_t *fd,
                          int64_t *offset)
{
    if (vb_get_args(env, info, a, needed) != 0) return -1;
    if (vb_arg_int32(env, a->values[0], fd) != 0) return -1;
    if (vb_arg_int64(env, a->values[1], offset) != 0) return -1;
    if (*offset < 0) {
        vb_throw_type(env, "lock offset must not be negative");
        return -1;
    }
    return 0;
}

static void fill(struct flock *fl, short type, int64_t offset)
{
    memset(fl, 0, sizeof(*fl));
    fl->l_type = type;
    fl->l_whence = SEEK_SET;
    fl->l_start = (off_t)offset;
    fl->l_len = 1;
    fl->l_pid = 0; /* required to be 0 for OFD locks */
}

napi_value vb_lock_try(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd;
    int64_t offset;
    bool exclusive;
    if (read_fd_offset(env, info, &a, 3, &fd, &offset) != 0) return NULL;
    if (vb_arg_bool(env, a.values[2], &exclusive) != 0) return NULL;
    struct flock fl;
    fill(&fl, exclusive ? F_WRLCK : F_RDLCK, offset);
    bool taken = true;
    if (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
        if (errno != EAGAIN && errno != EACCES) return vb_throw_errno(env, "fcntl(F_OFD_SETLK)", errno);
        taken = false;
    }
    napi_value out;
    napi_get_boolean(env, taken, &out);
    return out;
}

napi_value vb_lock_release(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd;
    int64_t offset;
    if (read_fd_offset(env, info, &a, 2, &fd, &offset) != 0) return NULL;
    struct flock fl;
    fill(&fl, F_UNLCK, offset);
    if (fcntl(fd, F_OFD_SETLK, &fl) != 0) return vb_throw_errno(env, "fcntl(F_OFD_SETLK)", errno);
    return NULL;
}

napi_value vb_lock_held(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd;
    int64_t offset;
    if (read_fd_offset(env, info, &a, 2, &fd, &offset) != 0) return NULL;
    struct flock fl;
    /* Asking for a read lock conflicts exactly with a write lock held by
     * another open file description. */
    fill(&fl, F_RDLCK, offset);
    if (fcntl(fd, F_OFD_GETLK, &fl) != 0) return vb_throw_errno(env, "fcntl(F_OFD_GETLK)", errno);
    napi_value out;
    napi_get_boolean(env, fl.l_type != F_UNLCK, &out);
    return out;
}
