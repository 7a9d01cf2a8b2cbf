/* Reading a segment someone else wrote, and trusting nothing in it
 * (docs/protocol.md section 6): every field is copied once, checked, and
 * only the checked copy is used. */
#define _GNU_SOURCE /* F_OFD_SETLK, O_CLOEXEC, futex, inotify */
#include <string.h>

#include "internal.h"

static int corrupt(const char *name, const char *field, unsigned long long value)
{
    return vb_fail(VIDBUS_ERR_STREAM_CORRUPT,
                   "Stream \"%s\" has a corrupt header: %s is %llu. Stop its producer; if it is gone, `vidbus list --reclaim` removes the stream.", name, field,
                   value);
}

int vb_read_header(const uint8_t *h, const char *name, uint64_t file_bytes, vb_description *out)
{
    /* SYNC POINT (acquire): the creator stores the version word last. */
    uint32_t version = vb_load32(h, H_VERSION);
    if (version == 0) return VIDBUS_NO_FRAME;
    if (vb_get32(h, H_MAGIC) != VB_DATA_MAGIC) {
        return vb_fail(VIDBUS_ERR_NOT_A_STREAM, "/dev/shm entry for \"%s\" is not a vidbus stream (bad magic). Remove it if nothing uses it.", name);
    }
    if (version != VIDBUS_LAYOUT_VERSION) {
        return vb_fail(VIDBUS_ERR_VERSION_MISMATCH, "Stream \"%s\" uses shared-memory layout version %u; this libvidbus understands version %u. Run the same vidbus version on both sides.",
                       name, version, VIDBUS_LAYOUT_VERSION);
    }
    if (vb_get32(h, H_HEADER_BYTES) != VB_HEADER_BYTES) return corrupt(name, "headerBytes", vb_get32(h, H_HEADER_BYTES));
    if (vb_get32(h, H_DESCRIPTOR_OFFSET) != VB_DESCRIPTOR_OFFSET) return corrupt(name, "descriptorOffset", vb_get32(h, H_DESCRIPTOR_OFFSET));
    if (vb_get32(h, H_DESCRIPTOR_BYTES) != VB_DESCRIPTOR_BYTES) return corrupt(name, "descriptorBytes", vb_get32(h, H_DESCRIPTOR_BYTES));

    char stored[VB_NAME_BYTES + 1];
    memcpy(stored, h + H_NAME, VB_NAME_BYTES);
    stored[VB_NAME_BYTES] = '\0';
    if (strcmp(stored, name) != 0) return vb_fail(VIDBUS_ERR_STREAM_CORRUPT, "Stream \"%s\" has a corrupt header: its name field says \"%.64s\".", name, stored);

    uint32_t slots = vb_get32(h, H_SLOT_COUNT);
    if (slots < VB_MIN_SLOTS || slots > VB_MAX_SLOTS) return corrupt(name, "slotCount", slots);
    uint32_t fourcc = vb_get32(h, H_FOURCC);
    vidbus_format format = vb_format_of_fourcc(fourcc);
    if (format == VIDBUS_FORMAT_UNKNOWN) return corrupt(name, "fourcc", fourcc);
    uint32_t width = vb_get32(h, H_WIDTH), height = vb_get32(h, H_HEIGHT);
    uint32_t plane_count = vb_get32(h, H_PLANE_COUNT);
    uint32_t frame_bytes = vb_get32(h, H_FRAME_BYTES);
    if (plane_count > VIDBUS_MAX_PLANES) return corrupt(name, "planeCount", plane_count);
    if (frame_bytes < 1 || frame_bytes > ((uint32_t)1 << 31)) return corrupt(name, "frameBytes", frame_bytes);

    vidbus_layout layout;
    int encoded = vidbus_format_is_encoded(format);
    if (encoded) {
        if (plane_count != 0) return corrupt(name, "planeCount", plane_count);
        if (vb_layout_compute(format, width, height, NULL, frame_bytes, &layout) != VIDBUS_OK) return corrupt(name, "width/height", (unsigned long long)width << 32 | height);
    } else {
        uint32_t strides[VIDBUS_MAX_PLANES] = {0};
        for (uint32_t p = 0; p < plane_count; p++) {
            strides[p] = vb_get32(h, H_PLANE_STRIDES + 4 * p);
            if (strides[p] == 0) return corrupt(name, "planeStrides", 0);
        }
        if (vb_layout_compute(format, width, height, strides, 0, &layout) != VIDBUS_OK) return corrupt(name, "layout (size or strides)", (unsigned long long)width << 32 | height);
        if (layout.plane_count != plane_count) return corrupt(name, "planeCount", plane_count);
        for (uint32_t p = 0; p < plane_count; p++) {
            if (vb_get32(h, H_PLANE_OFFSETS + 4 * p) != layout.offsets[p]) return corrupt(name, "planeOffsets", vb_get32(h, H_PLANE_OFFSETS + 4 * p));
        }
        if (layout.frame_bytes != frame_bytes) return corrupt(name, "frameBytes", frame_bytes);
    }
    uint32_t slot_stride = vb_get32(h, H_SLOT_STRIDE);
    if (slot_stride != vb_slot_stride_for(frame_bytes)) return corrupt(name, "slotStride", slot_stride);
    int64_t data_offset = vb_get64(h, H_DATA_OFFSET);
    if ((uint64_t)data_offset != vb_data_offset_for(slots)) return corrupt(name, "dataOffset", (unsigned long long)data_offset);
    int64_t total = vb_get64(h, H_TOTAL_BYTES);
    if ((uint64_t)total != vb_total_bytes_for(slots, frame_bytes)) return corrupt(name, "totalBytes", (unsigned long long)total);
    if ((uint64_t)total > file_bytes) {
        return vb_fail(VIDBUS_ERR_STREAM_CORRUPT, "Stream \"%s\" has a corrupt header: totalBytes is %lld but the segment has only %llu bytes (truncated).", name, (long long)total,
                       (unsigned long long)file_bytes);
    }
    uint32_t fps_den = vb_get32(h, H_FPS_DEN);
    if (fps_den < 1 || fps_den > ((uint32_t)1 << 31)) return corrupt(name, "fpsDen", fps_den);
    uint32_t lifespan = vb_get32(h, H_HOLD_LIFESPAN_MS);
    if (lifespan < 1 || lifespan > ((uint32_t)1 << 31)) return corrupt(name, "holdLifespanMs", lifespan);
    uint32_t max_consumers = vb_get32(h, H_MAX_CONSUMERS);
    if (max_consumers < 1 || max_consumers > VB_MAX_CONSUMERS) return corrupt(name, "maxConsumers", max_consumers);
    *out = (vb_description){
        .layout = layout,
        .slot_count = slots,
        .slot_stride = slot_stride,
        .fps_num = vb_get32(h, H_FPS_NUM),
        .fps_den = fps_den,
        .hold_lifespan_ms = lifespan,
        .max_consumers = max_consumers,
        .data_offset = (uint64_t)data_offset,
        .total_bytes = (uint64_t)total,
        .producer_pid = (int32_t)vb_get32(h, H_PRODUCER_PID),
    };
    return VIDBUS_OK;
}

int vb_check_ctl(const uint8_t *c, uint64_t file_bytes, const char *name, uint32_t records, uint64_t data_inode)
{
    if (file_bytes < VB_CTL_HEADER_BYTES) return VIDBUS_NO_FRAME;
    if (vb_load32(c, C_VERSION) == 0) return VIDBUS_NO_FRAME;
    if ((uint64_t)vb_get64(c, C_DATA_INODE) != data_inode) return VIDBUS_NO_FRAME; /* another generation's */
    const char *field = NULL;
    if (vb_get32(c, C_MAGIC) != VB_CTL_MAGIC) field = "magic";
    else if (vb_get32(c, C_VERSION) != VIDBUS_LAYOUT_VERSION) field = "version";
    else if (vb_get32(c, C_RECORD_COUNT) != records) field = "recordCount";
    else if (vb_get32(c, C_RECORD_BYTES) != VB_RECORD_BYTES) field = "recordBytes";
    else if (vb_get32(c, C_HOLDS_PER_RECORD) != VIDBUS_MAX_HOLDS) field = "holdsPerRecord";
    else if (vb_get32(c, C_RECORDS_OFFSET) != VB_CTL_HEADER_BYTES) field = "recordsOffset";
    else if (file_bytes < vb_ctl_bytes(records)) field = "size (truncated)";
    if (field != NULL) return vb_fail(VIDBUS_ERR_STREAM_CORRUPT, "Stream \"%s\" has a corrupt control segment: %s is wrong.", name, field);
    return VIDBUS_OK;
}
