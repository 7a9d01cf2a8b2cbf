/* The system calls the protocol names: clocks, OFD byte locks, shared
 * futexes, and the paths of a stream's files. */
#define _GNU_SOURCE /* F_OFD_SETLK, O_CLOEXEC, futex, inotify */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t vb_mono_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
int64_t vb_wall_ns(void) { return clock_ns(CLOCK_REALTIME); }
int64_t vidbus_now_ns(void) { return vb_mono_ns(); }

static void fill(struct flock *fl, short type, uint64_t offset)
{
    memset(fl, 0, sizeof(*fl));
    fl->l_type = type;
    fl->l_whence = SEEK_SET;
    fl->l_start = (off_t)offset;
    fl->l_len = 1;
    fl->l_pid = 0; /* required for OFD locks */
}

bool vb_lock_try(int fd, uint64_t offset)
{
    struct flock fl;
    fill(&fl, F_WRLCK, offset);
    return fcntl(fd, F_OFD_SETLK, &fl) == 0;
}

bool vb_lock_held(int fd, uint64_t offset)
{
    struct flock fl;
    /* A read lock conflicts exactly with a write lock held by another open file description. */
    fill(&fl, F_RDLCK, offset);
    if (fcntl(fd, F_OFD_GETLK, &fl) != 0) return false;
    return fl.l_type != F_UNLCK;
}

int vb_futex_wait(void *word, uint32_t expected, int timeout_ms)
{
    struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
    /* Shared (no FUTEX_PRIVATE_FLAG): the word lives in a file mapped by other processes. */
    long r = syscall(SYS_futex, word, FUTEX_WAIT, expected, timeout_ms < 0 ? NULL : &ts, NULL, 0);
    return r != 0 && errno == ETIMEDOUT ? 1 : 0;
}

void vb_futex_wake(void *word)
{
    syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* Wake sockets (protocol 5.5): abstract AF_UNIX datagram sockets named
 * "vidbus-wake-" and the token in 16 lowercase hex digits, not NUL
 * terminated. */
int vb_wake_sender_open(void)
{
    return socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

void vb_wake_send(int fd, uint64_t token)
{
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    int n = snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "vidbus-wake-%016llx", (unsigned long long)token);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    const char byte = 1;
    /* EAGAIN: a wake is pending already; ECONNREFUSED: the consumer is gone. */
    while (sendto(fd, &byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&addr, len) < 0 && errno == EINTR) {
    }
}

bool vb_valid_name(const char *name)
{
    if (name == NULL) return false;
    size_t n = strnlen(name, VIDBUS_NAME_MAX + 1);
    if (n < 1 || n > VIDBUS_NAME_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '-' && c != '_'))) return false;
    }
    return true;
}

void vb_data_path(const char *name, char *out)
{
    snprintf(out, 128, "/dev/shm/vidbus-%s", name);
}

void vb_ctl_path(const char *name, char *out)
{
    snprintf(out, 128, "/dev/shm/vidbus-%s.ctl", name);
}
