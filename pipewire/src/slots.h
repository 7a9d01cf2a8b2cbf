/* The bus stream's data segment mapped read-only by the bridge, so that
 * PipeWire buffers can point straight at its slots (docs/protocol.md
 * section 3: the file name, the header's slot geometry, the descriptors'
 * sequence numbers). Everything read from it is checked against the file. */
#ifndef VIDBUS_PIPEWIRE_SLOTS_H
#define VIDBUS_PIPEWIRE_SLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int fd;
    uint8_t *base;
    size_t bytes;
    uint64_t data_offset;
    uint32_t slot_stride;
    uint32_t slot_count;
} slot_map;

/* Maps stream `name`'s data segment; false (and nothing held) if it does not fit what a frame of `frame_bytes` needs. */
bool slot_map_open(slot_map *m, const char *name, uint32_t frame_bytes);
/* The slot whose descriptor holds frame `seq`, or -1. */
int slot_map_find(const slot_map *m, uint64_t seq);
/* Where slot `slot` starts in the file. */
uint64_t slot_map_offset(const slot_map *m, int slot);
void slot_map_close(slot_map *m);

#endif
