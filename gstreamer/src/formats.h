/* vidbus pixel formats <-> GStreamer caps, both ways. */
#ifndef GST_VIDBUS_FORMATS_H
#define GST_VIDBUS_FORMATS_H

#include <gst/gst.h>
#include <gst/video/video.h>

#include "vidbus.h"

/* The caps both elements accept or produce: every raw format vidbus has, and JPEG, H.264, H.265 byte-streams. */
#define VIDBUS_CAPS                                                                                     \
    GST_VIDEO_CAPS_MAKE("{ RGBA, BGRA, RGB, BGR, YUY2, UYVY, NV12, I420, GRAY8 }") "; "                   \
    "image/jpeg, width = (int) [ 1, 16384 ], height = (int) [ 1, 16384 ]; "                           \
    "video/x-h264, stream-format = (string) byte-stream, alignment = (string) au, width = (int) [ 1, 16384 ], height = (int) [ 1, 16384 ]; " \
    "video/x-h265, stream-format = (string) byte-stream, alignment = (string) au, width = (int) [ 1, 16384 ], height = (int) [ 1, 16384 ]"

/* The vidbus format of caps (raw: its GstVideoInfo in *info), or VIDBUS_FORMAT_UNKNOWN. */
vidbus_format gst_vidbus_format_from_caps(GstCaps *caps, GstVideoInfo *info, int *width, int *height, int *fps_n, int *fps_d);
/* Caps describing a vidbus stream's frames. */
GstCaps *gst_vidbus_caps_from_layout(const vidbus_layout *layout, uint32_t fps_num, uint32_t fps_den);

#endif
