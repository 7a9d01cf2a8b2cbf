/* See stream_socket.h. Every socket is non-blocking and close-on-exec
 * once connected; the caller watches it with FdWatch and closes it with
 * closeFd. */
#include "stream_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"

static napi_value int_value(napi_env env, int64_t v)
{
    napi_value out;
    napi_create_int64(env, v, &out);
    return out;
}

/* streamSocketConnect(path, abstract): a connected socket's fd. An
 * abstract name has no file; its bytes follow a leading NUL and are not
 * NUL-terminated. */
napi_value vb_stream_socket_connect(napi_env env, napi_callback_info info)
{
    vb_args a;
    bool abstract = false;
    if (vb_get_args(env, info, &a, 2) != 0 || vb_arg_bool(env, a.values[1], &abstract) != 0) return NULL;
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    char *name = addr.sun_path + (abstract ? 1 : 0);
    size_t room = sizeof(addr.sun_path) - (abstract ? 1 : 0); /* bytes for the name and its NUL */
    size_t length = 0;
    if (napi_get_value_string_utf8(env, a.values[0], name, room, &length) != napi_ok || length == 0 || length + 1 >= room) {
        vb_throw_type(env, "expected a socket path that fits sockaddr_un");
        return NULL;
    }
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (abstract ? 1 + length : length + 1));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return vb_throw_errno(env, "socket", errno);
    /* Connected blocking (a local connect completes at once; a full backlog
     * then waits instead of failing with EAGAIN), non-blocking afterwards. */
    int r;
    do r = connect(fd, (struct sockaddr *)&addr, len);
    while (r < 0 && errno == EINTR);
    if (r != 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        int err = errno;
        close(fd);
        return vb_throw_errno(env, r != 0 ? "connect" : "fcntl", err);
    }
    return int_value(env, fd);
}

/* streamSocketSend(fd, bytes, passFd): bytes written (maybe fewer than
 * asked), or -1 when the socket is full (EAGAIN). passFd >= 0 travels with
 * the first byte as SCM_RIGHTS (the receiver gets its own descriptor). */
napi_value vb_stream_socket_send(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd, pass_fd;
    uint8_t *data = NULL;
    size_t length = 0;
    if (vb_get_args(env, info, &a, 3) != 0 || vb_arg_int32(env, a.values[0], &fd) != 0 || vb_arg_bytes(env, a.values[1], &data, &length) != 0 ||
        vb_arg_int32(env, a.values[2], &pass_fd) != 0)
        return NULL;
    struct iovec iov = { .iov_base = data, .iov_len = length };
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    if (pass_fd >= 0) {
        memset(&control, 0, sizeof(control));
        msg.msg_control = control.buf;
        msg.msg_controllen = sizeof(control.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
    }
    ssize_t r;
    do r = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return int_value(env, -1);
    if (r < 0) return vb_throw_errno(env, "sendmsg", errno);
    return int_value(env, r);
}

/* streamSocketReceive(fd, into): bytes read into the Uint8Array, 0 at the
 * end of the stream (the peer closed), -1 when nothing is waiting. */
napi_value vb_stream_socket_receive(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd;
    uint8_t *data = NULL;
    size_t length = 0;
    if (vb_get_args(env, info, &a, 2) != 0 || vb_arg_int32(env, a.values[0], &fd) != 0 || vb_arg_bytes(env, a.values[1], &data, &length) != 0) return NULL;
    ssize_t r;
    do r = recv(fd, data, length, MSG_DONTWAIT);
    while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return int_value(env, -1);
    if (r < 0) return vb_throw_errno(env, "recv", errno);
    return int_value(env, r);
}
