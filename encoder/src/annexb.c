/* Annex B scanning (see annexb.h). */
#include <string.h>

#include "annexb.h"

/* Index of the next 00 00 01 at or after pos, or size. */
static size_t find_start_code(const uint8_t *data, size_t size, size_t pos)
{
    for (size_t i = pos; i + 3 <= size; i++) {
        if (data[i + 2] > 1) {
            i += 2; /* neither of the next two bytes can end a start code that begins at i, i+1 */
            continue;
        }
        if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) return i;
    }
    return size;
}

static int nal_type(bitstream_kind kind, uint8_t header)
{
    return kind == BITSTREAM_HEVC ? (header >> 1) & 0x3f : header & 0x1f;
}

static int is_parameter_set(bitstream_kind kind, int type)
{
    if (kind == BITSTREAM_HEVC) return type == 32 || type == 33 || type == 34; /* VPS, SPS, PPS */
    return type == 7 || type == 8;                                                /* SPS, PPS */
}

int annexb_next(bitstream_kind kind, const uint8_t *data, size_t size, size_t pos, nal_unit *nal)
{
    for (;;) {
        size_t sc = find_start_code(data, size, pos);
        if (sc >= size) return 0;
        size_t start = sc + 3;
        if (start >= size) return 0; /* a start code with nothing after it */
        size_t end = find_start_code(data, size, start);
        size_t next = end;
        /* The zero byte of a 4-byte start code (and any trailing zeros) belong to no NAL unit. */
        while (end > start && data[end - 1] == 0) end--;
        if (end == start) {
            pos = next;
            continue;
        }
        nal->offset = (sc > 0 && data[sc - 1] == 0) ? sc - 1 : sc;
        nal->start = start;
        nal->length = end - start;
        nal->type = nal_type(kind, data[start]);
        return 1;
    }
}

int annexb_has_parameter_sets(bitstream_kind kind, const uint8_t *data, size_t size)
{
    int needed = kind == BITSTREAM_HEVC ? 33 : 7; /* the SPS; HEVC's VPS comes with it */
    nal_unit nal;
    for (size_t pos = 0; annexb_next(kind, data, size, pos, &nal); pos = nal.start + nal.length)
        if (nal.type == needed) return 1;
    return 0;
}

long annexb_copy_parameter_sets(bitstream_kind kind, const uint8_t *data, size_t size, uint8_t *out, size_t capacity)
{
    static const uint8_t start_code[4] = {0, 0, 0, 1};
    size_t written = 0;
    nal_unit nal;
    for (size_t pos = 0; annexb_next(kind, data, size, pos, &nal); pos = nal.start + nal.length) {
        if (!is_parameter_set(kind, nal.type)) continue;
        if (nal.length > capacity || capacity - nal.length < written + sizeof(start_code)) return -1;
        memcpy(out + written, start_code, sizeof(start_code));
        memcpy(out + written + sizeof(start_code), data + nal.start, nal.length);
        written += sizeof(start_code) + nal.length;
    }
    return (long)written;
}
