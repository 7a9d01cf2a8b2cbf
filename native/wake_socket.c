/* One-hop wake-ups (docs/protocol.md, section 5.5). A consumer that runs
 * an event loop binds an AF_UNIX datagram socket in the abstract namespace
 * (no file, gone when the socket closes, so nothing can leak after a
 * crash), named "vidbus-wake-" and its 64-bit token in 16 hex digits, and
 * watches it with the loop's own epoll. A producer that sees the consumer
 * asleep in this mode sends it one byte: the kernel wakes the consumer's
 * loop directly, with no thread in between. Sending never blocks; a full
 * queue (EAGAIN) already means "awake", and a socket that is gone
 * (ECONNREFUSED) is the consumer's problem, noticed by its liveness
 * timeout. */
#include "wake_socket.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"

/* Builds the abstract address of a token; returns its length. */
static socklen_t wake_address(uint64_t token, struct sockaddr_un *addr)
{
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    /* sun_path[0] stays 0: the abstract namespace. The name is not NUL
     * terminated; its length is part of the address. */
    int n = snprintf(addr->sun_path + 1, sizeof(addr->sun_path) - 1, "vidbus-wake-%016llx", (unsigned long long)token);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

static int arg_token(napi_env env, napi_value v, uint64_t *token)
{
    bool lossless = false;
    if (napi_get_value_bigint_uint64(env, v, token, &lossless) != napi_ok || !lossless || *token == 0) {
        vb_throw_type(env, "expected a non-zero 64-bit bigint token");
        return -1;
    }
    return 0;
}

static napi_value int_value(napi_env env, int32_t v)
{
    napi_value out;
    napi_create_int32(env, v, &out);
    return out;
}

napi_value vb_wake_socket_open(napi_env env, napi_callback_info info)
{
    vb_args a;
    uint64_t token;
    if (vb_get_args(env, info, &a, 1) != 0 || arg_token(env, a.values[0], &token) != 0) return NULL;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return vb_throw_errno(env, "socket", errno);
    struct sockaddr_un addr;
    socklen_t len = wake_address(token, &addr);
    if (bind(fd, (struct sockaddr *)&addr, len) != 0) {
        int err = errno;
        close(fd);
        return vb_throw_errno(env, "bind", err);
    }
    return int_value(env, fd);
}

napi_value vb_wake_sender_open(napi_env env, napi_callback_info info)
{
    (void)info;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return vb_throw_errno(env, "socket", errno);
    return int_value(env, fd);
}

napi_value vb_wake_send(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd;
    uint64_t token;
    if (vb_get_args(env, info, &a, 2) != 0 || vb_arg_int32(env, a.values[0], &fd) != 0) return NULL;
    if (arg_token(env, a.values[1], &token) != 0) return NULL;
    struct sockaddr_un addr;
    socklen_t len = wake_address(token, &addr);
    const char byte = 1;
    ssize_t r;
    do r = sendto(fd, &byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&addr, len);
    while (r < 0 && errno == EINTR);
    return int_value(env, r < 0 ? errno : 0);
}
