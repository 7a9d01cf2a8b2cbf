/* For tests that play a hostile producer: a stream's files mapped
 * read-write, so that any byte can be changed under a consumer. */
#ifndef VIDBUS_TEST_SEGMENTS_H
#define VIDBUS_TEST_SEGMENTS_H

#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Maps the whole file at `path` read-write and shared; *bytes gets its size. NULL on failure. */
static inline uint8_t *map_rw(const char *path, size_t *bytes)
{
    int fd = open(path, O_RDWR);
    if (fd < 0) return NULL;
    struct stat st;
    uint8_t *m = NULL;
    if (fstat(fd, &st) == 0) {
        *bytes = (size_t)st.st_size;
        m = mmap(NULL, *bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED) m = NULL;
    }
    close(fd);
    return m;
}

#endif
