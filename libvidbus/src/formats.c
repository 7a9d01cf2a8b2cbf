/* The pixel-format table (docs/protocol.md section 7) and frame layouts. */
#define _GNU_SOURCE /* F_OFD_SETLK, O_CLOEXEC, futex, inotify */
#include <strings.h>

#include "internal.h"

typedef struct {
    uint8_t bytes_per_pixel, x_div, y_div;
} plane_spec;

typedef struct {
    const char *name;
    const char fourcc[5];
    uint8_t encoded, plane_count, width_multiple, height_multiple;
    plane_spec planes[VIDBUS_MAX_PLANES];
} format_spec;

static const format_spec TABLE[] = {
    [VIDBUS_FORMAT_RGBA] = {"RGBA", "AB24", 0, 1, 1, 1, {{4, 1, 1}}},
    [VIDBUS_FORMAT_BGRA] = {"BGRA", "AR24", 0, 1, 1, 1, {{4, 1, 1}}},
    [VIDBUS_FORMAT_RGB24] = {"RGB24", "RGB3", 0, 1, 1, 1, {{3, 1, 1}}},
    [VIDBUS_FORMAT_BGR24] = {"BGR24", "BGR3", 0, 1, 1, 1, {{3, 1, 1}}},
    [VIDBUS_FORMAT_YUYV] = {"YUYV", "YUYV", 0, 1, 2, 1, {{2, 1, 1}}},
    [VIDBUS_FORMAT_UYVY] = {"UYVY", "UYVY", 0, 1, 2, 1, {{2, 1, 1}}},
    [VIDBUS_FORMAT_NV12] = {"NV12", "NV12", 0, 2, 2, 2, {{1, 1, 1}, {2, 2, 2}}},
    [VIDBUS_FORMAT_I420] = {"I420", "YU12", 0, 3, 2, 2, {{1, 1, 1}, {1, 2, 2}, {1, 2, 2}}},
    [VIDBUS_FORMAT_GRAY8] = {"GRAY8", "GREY", 0, 1, 1, 1, {{1, 1, 1}}},
    [VIDBUS_FORMAT_MJPEG] = {"MJPEG", "MJPG", 1, 0, 1, 1, {{0, 0, 0}}},
    [VIDBUS_FORMAT_H264] = {"H264", "H264", 1, 0, 1, 1, {{0, 0, 0}}},
    [VIDBUS_FORMAT_HEVC] = {"HEVC", "HEVC", 1, 0, 1, 1, {{0, 0, 0}}},
};
#define FORMAT_COUNT ((int)(sizeof(TABLE) / sizeof(TABLE[0])))

static const format_spec *spec_of(vidbus_format f)
{
    return (int)f > 0 && (int)f < FORMAT_COUNT ? &TABLE[f] : NULL;
}

const char *vidbus_format_name(vidbus_format format)
{
    const format_spec *s = spec_of(format);
    return s ? s->name : NULL;
}

vidbus_format vidbus_format_from_name(const char *name)
{
    if (name == NULL) return VIDBUS_FORMAT_UNKNOWN;
    for (int f = 1; f < FORMAT_COUNT; f++) {
        if (strcasecmp(name, TABLE[f].name) == 0) return (vidbus_format)f;
    }
    return VIDBUS_FORMAT_UNKNOWN;
}

int vidbus_format_is_encoded(vidbus_format format)
{
    const format_spec *s = spec_of(format);
    return s != NULL && s->encoded;
}

uint32_t vb_fourcc_of(vidbus_format format)
{
    const format_spec *s = spec_of(format);
    if (s == NULL) return 0;
    const char *c = s->fourcc;
    return (uint32_t)(uint8_t)c[0] | (uint32_t)(uint8_t)c[1] << 8 | (uint32_t)(uint8_t)c[2] << 16 | (uint32_t)(uint8_t)c[3] << 24;
}

vidbus_format vb_format_of_fourcc(uint32_t fourcc)
{
    for (int f = 1; f < FORMAT_COUNT; f++) {
        if (vb_fourcc_of((vidbus_format)f) == fourcc) return (vidbus_format)f;
    }
    return VIDBUS_FORMAT_UNKNOWN;
}

int vb_layout_compute(vidbus_format format, uint32_t width, uint32_t height, const uint32_t *strides, uint32_t max_frame_bytes, vidbus_layout *out)
{
    const format_spec *s = spec_of(format);
    if (s == NULL) return vb_fail(VIDBUS_ERR_INVALID_OPTION, "Expected a pixel format (RGBA, BGRA, RGB24, BGR24, YUYV, UYVY, NV12, I420, GRAY8, MJPEG, H264, HEVC) but received %d", (int)format);
    if (width < 1 || width > VB_MAX_DIMENSION || height < 1 || height > VB_MAX_DIMENSION) {
        return vb_fail(VIDBUS_ERR_INVALID_OPTION, "Expected width and height from 1 to %u but received %ux%u", VB_MAX_DIMENSION, width, height);
    }
    if (width % s->width_multiple != 0 || height % s->height_multiple != 0) {
        return vb_fail(VIDBUS_ERR_INVALID_OPTION, "%s needs %s%s, but received %ux%u", s->name, s->width_multiple == 2 ? "an even width" : "any width",
                       s->height_multiple == 2 ? " and an even height" : "", width, height);
    }
    *out = (vidbus_layout){.format = format, .fourcc = vb_fourcc_of(format), .width = width, .height = height, .plane_count = s->plane_count};
    if (s->encoded) {
        uint64_t max = max_frame_bytes;
        if (max == 0) {
            max = ((uint64_t)width * height * 3 + 1) / 2; /* the raw 4:2:0 size, as the TypeScript default */
            if (max < 65536) max = 65536;
        }
        if (max > ((uint64_t)1 << 31)) return vb_fail(VIDBUS_ERR_INVALID_OPTION, "Expected max_frame_bytes from 1 to 2^31 but received %llu", (unsigned long long)max);
        out->frame_bytes = (uint32_t)max;
        return VIDBUS_OK;
    }
    if (max_frame_bytes != 0) return vb_fail(VIDBUS_ERR_INVALID_OPTION, "max_frame_bytes applies to encoded formats only; %s frames have a fixed size", s->name);
    uint64_t offset = 0;
    for (uint32_t p = 0; p < s->plane_count; p++) {
        const plane_spec *ps = &s->planes[p];
        uint32_t row_bytes = (width + ps->x_div - 1) / ps->x_div * ps->bytes_per_pixel;
        uint32_t rows = (height + ps->y_div - 1) / ps->y_div;
        uint32_t stride = strides != NULL && strides[p] != 0 ? strides[p] : row_bytes;
        if (stride < row_bytes || stride > 4u * VB_MAX_DIMENSION * 4u) {
            return vb_fail(VIDBUS_ERR_INVALID_OPTION, "Expected strides[%u] to be at least %u (and at most %u) but received %u", p, row_bytes, 4u * VB_MAX_DIMENSION * 4u, stride);
        }
        out->offsets[p] = (uint32_t)offset;
        out->strides[p] = stride;
        out->rows[p] = rows;
        out->row_bytes[p] = row_bytes;
        offset += (uint64_t)stride * rows;
    }
    if (offset > ((uint64_t)1 << 31)) return vb_fail(VIDBUS_ERR_INVALID_OPTION, "A %s frame of %ux%u would be %llu bytes; at most 2^31", s->name, width, height, (unsigned long long)offset);
    out->frame_bytes = (uint32_t)offset;
    return VIDBUS_OK;
}
