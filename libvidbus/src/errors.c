/* Error codes (the same strings as the TypeScript VidbusErrorCode) and the
 * per-thread message of the last failure. */
#define _GNU_SOURCE /* F_OFD_SETLK, O_CLOEXEC, futex, inotify */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static _Thread_local char last_message[512];

static const char *const CODES[] = {
    [VIDBUS_ERR_INVALID_OPTION] = "ERR_INVALID_OPTION",
    [VIDBUS_ERR_INVALID_NAME] = "ERR_INVALID_NAME",
    [VIDBUS_ERR_STREAM_NOT_FOUND] = "ERR_STREAM_NOT_FOUND",
    [VIDBUS_ERR_STREAM_EXISTS] = "ERR_STREAM_EXISTS",
    [VIDBUS_ERR_STREAM_NOT_READY] = "ERR_STREAM_NOT_READY",
    [VIDBUS_ERR_NOT_A_STREAM] = "ERR_NOT_A_STREAM",
    [VIDBUS_ERR_VERSION_MISMATCH] = "ERR_VERSION_MISMATCH",
    [VIDBUS_ERR_STREAM_CORRUPT] = "ERR_STREAM_CORRUPT",
    [VIDBUS_ERR_TOO_MANY_CONSUMERS] = "ERR_TOO_MANY_CONSUMERS",
    [VIDBUS_ERR_PERMISSION] = "ERR_PERMISSION",
    [VIDBUS_ERR_NO_SPACE] = "ERR_NO_SPACE",
    [VIDBUS_ERR_CLOSED] = "ERR_CLOSED",
    [VIDBUS_ERR_STREAM_ENDED] = "ERR_STREAM_ENDED",
    [VIDBUS_ERR_PRODUCER_DIED] = "ERR_PRODUCER_DIED",
    [VIDBUS_ERR_ABORTED] = "ERR_ABORTED",
    [VIDBUS_ERR_FRAME_RELEASED] = "ERR_FRAME_RELEASED",
    [VIDBUS_ERR_FRAME_SIZE] = "ERR_FRAME_SIZE",
    [VIDBUS_ERR_TOO_MANY_HOLDS] = "ERR_TOO_MANY_HOLDS",
    [VIDBUS_ERR_SYSCALL] = "ERR_SYSCALL",
};

const char *vidbus_error_code(int status)
{
    if (status == VIDBUS_OK) return "OK";
    if (status == VIDBUS_NO_FRAME) return "NO_FRAME";
    if (status > 0 && (size_t)status < sizeof(CODES) / sizeof(CODES[0]) && CODES[status] != NULL) return CODES[status];
    return "ERR_UNKNOWN";
}

const char *vidbus_last_error(void)
{
    return last_message;
}

int vb_fail(int code, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(last_message, sizeof(last_message), format, args);
    va_end(args);
    return code;
}

int vb_fail_errno(int err, const char *what)
{
    if (err == EACCES || err == EPERM) {
        return vb_fail(VIDBUS_ERR_PERMISSION, "%s: permission denied. The stream belongs to another user; ask its producer to share it with a group (mode 0640 and a group) and join that group.", what);
    }
    if (err == ENOSPC || err == ENOMEM) {
        return vb_fail(VIDBUS_ERR_NO_SPACE, "%s: /dev/shm is full. Use fewer or smaller slots, close other streams, or enlarge /dev/shm (in Docker: --shm-size).", what);
    }
    return vb_fail(VIDBUS_ERR_SYSCALL, "%s: %s", what, strerror(err));
}
