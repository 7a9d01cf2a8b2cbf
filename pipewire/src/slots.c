/* See slots.h. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "slots.h"

bool slot_map_open(slot_map *m, const char *name, uint32_t frame_bytes)
{
    memset(m, 0, sizeof(*m));
    m->fd = -1;
    char path[128];
    vb_data_path(name, path);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0) return false;
    if (fstat(fd, &st) != 0 || (uint64_t)st.st_size < VB_DESCRIPTOR_OFFSET) {
        close(fd);
        return false;
    }
    uint8_t *base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        close(fd);
        return false;
    }
    uint32_t slots = vb_get32(base, H_SLOT_COUNT), stride = vb_get32(base, H_SLOT_STRIDE);
    int64_t data_offset = vb_get64(base, H_DATA_OFFSET);
    /* The same checks a reader makes (protocol section 6), for what this use needs. */
    bool fits = slots >= 2 && slots <= 64 && stride >= frame_bytes && stride % 4096 == 0 && data_offset >= VB_DESCRIPTOR_OFFSET + (int64_t)slots * VB_DESCRIPTOR_BYTES &&
                data_offset % 4096 == 0 && (uint64_t)data_offset + (uint64_t)slots * stride <= (uint64_t)st.st_size;
    if (!fits) {
        munmap(base, (size_t)st.st_size);
        close(fd);
        return false;
    }
    *m = (slot_map){.fd = fd, .base = base, .bytes = (size_t)st.st_size, .data_offset = (uint64_t)data_offset, .slot_stride = stride, .slot_count = slots};
    return true;
}

int slot_map_find(const slot_map *m, uint64_t seq)
{
    for (uint32_t s = 0; s < m->slot_count; s++) {
        if (vb_load64(m->base, VB_DESCRIPTOR_OFFSET + (size_t)s * VB_DESCRIPTOR_BYTES + D_SEQ) == (int64_t)seq) return (int)s;
    }
    return -1;
}

uint64_t slot_map_offset(const slot_map *m, int slot)
{
    return m->data_offset + (uint64_t)slot * m->slot_stride;
}

void slot_map_close(slot_map *m)
{
    if (m->base != NULL) munmap(m->base, m->bytes);
    if (m->fd >= 0) close(m->fd);
    memset(m, 0, sizeof(*m));
    m->fd = -1;
}
