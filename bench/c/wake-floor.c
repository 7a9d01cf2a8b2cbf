/* The sender of `npm run bench`'s one-hop Node wake floor: on a paced,
 * absolute grid, writes CLOCK_MONOTONIC ns into word 0 of a 4 KiB shared
 * file and sends one datagram to the wake socket of each TOKEN in turn
 * (the abstract name docs/protocol.md 5.5 gives it), as a vidbus producer
 * wakes its sleeping consumers, with no bus logic around it. At the end
 * it sets word 1 to 1 and sends once more.
 *   wake-floor PATH FPS FRAMES TOKEN_HEX... */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mono-clock.h"

int main(int argc, char **argv)
{
    enum { MAX_TOKENS = 16 };
    if (argc < 5 || argc - 4 > MAX_TOKENS) {
        fprintf(stderr, "usage: wake-floor PATH FPS FRAMES TOKEN_HEX...\n");
        return 2;
    }
    int fd = open(argv[1], O_RDWR);
    if (fd < 0) return perror("open"), 1;
    int64_t *words = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (words == MAP_FAILED) return perror("mmap"), 1;
    double fps = atof(argv[2]);
    long frames = atol(argv[3]);
    if (fps <= 0 || frames <= 0) return 2;
    int count = argc - 4;
    struct sockaddr_un addr[MAX_TOKENS];
    socklen_t len[MAX_TOKENS];
    for (int i = 0; i < count; i++) {
        unsigned long long token = strtoull(argv[4 + i], NULL, 16);
        if (token == 0) return 2;
        memset(&addr[i], 0, sizeof(addr[i]));
        addr[i].sun_family = AF_UNIX;
        int n = snprintf(addr[i].sun_path + 1, sizeof(addr[i].sun_path) - 1, "vidbus-wake-%016llx", token);
        len[i] = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    }
    int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) return perror("socket"), 1;
    const char byte = 1;
    int64_t period = (int64_t)(1e9 / fps);
    int64_t next = now_ns() + period;
    for (long i = 0; i < frames; i++) {
        struct timespec at = {next / 1000000000, next % 1000000000};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR) {
        }
        __atomic_store_n(&words[0], now_ns(), __ATOMIC_SEQ_CST);
        for (int c = 0; c < count; c++) sendto(sock, &byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&addr[c], len[c]);
        next += period;
    }
    __atomic_store_n(&words[1], 1, __ATOMIC_SEQ_CST);
    for (int c = 0; c < count; c++) sendto(sock, &byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&addr[c], len[c]);
    close(sock);
    return 0;
}
