/* The raw formats that vidbus and PipeWire both name, one table. */
#include "helper.h"

static const struct {
    vidbus_format vidbus;
    enum spa_video_format spa;
} TABLE[] = {
    {VIDBUS_FORMAT_YUYV, SPA_VIDEO_FORMAT_YUY2},   {VIDBUS_FORMAT_UYVY, SPA_VIDEO_FORMAT_UYVY}, {VIDBUS_FORMAT_NV12, SPA_VIDEO_FORMAT_NV12},
    {VIDBUS_FORMAT_I420, SPA_VIDEO_FORMAT_I420},   {VIDBUS_FORMAT_RGBA, SPA_VIDEO_FORMAT_RGBA}, {VIDBUS_FORMAT_BGRA, SPA_VIDEO_FORMAT_BGRA},
    {VIDBUS_FORMAT_RGB24, SPA_VIDEO_FORMAT_RGB},   {VIDBUS_FORMAT_BGR24, SPA_VIDEO_FORMAT_BGR}, {VIDBUS_FORMAT_GRAY8, SPA_VIDEO_FORMAT_GRAY8},
};
#define COUNT (sizeof(TABLE) / sizeof(TABLE[0]))

enum spa_video_format spa_format_of(vidbus_format format)
{
    for (size_t i = 0; i < COUNT; i++) {
        if (TABLE[i].vidbus == format) return TABLE[i].spa;
    }
    return SPA_VIDEO_FORMAT_UNKNOWN;
}

vidbus_format vidbus_format_of(enum spa_video_format format)
{
    for (size_t i = 0; i < COUNT; i++) {
        if (TABLE[i].spa == format) return TABLE[i].vidbus;
    }
    /* Packed 32-bit formats whose fourth byte is padding read as their alpha twins. */
    if (format == SPA_VIDEO_FORMAT_RGBx) return VIDBUS_FORMAT_RGBA;
    if (format == SPA_VIDEO_FORMAT_BGRx) return VIDBUS_FORMAT_BGRA;
    return VIDBUS_FORMAT_UNKNOWN;
}

int spa_formats(uint32_t *out, int max)
{
    int n = 0;
    for (size_t i = 0; i < COUNT && n < max; i++) out[n++] = TABLE[i].spa;
    if (n < max) out[n++] = SPA_VIDEO_FORMAT_RGBx;
    if (n < max) out[n++] = SPA_VIDEO_FORMAT_BGRx;
    return n;
}
