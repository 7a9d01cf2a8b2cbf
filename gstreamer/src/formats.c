/* vidbus pixel formats <-> GStreamer caps. */
#include "formats.h"

static const struct {
    vidbus_format vidbus;
    GstVideoFormat gst;
} RAW[] = {
    {VIDBUS_FORMAT_RGBA, GST_VIDEO_FORMAT_RGBA}, {VIDBUS_FORMAT_BGRA, GST_VIDEO_FORMAT_BGRA}, {VIDBUS_FORMAT_RGB24, GST_VIDEO_FORMAT_RGB},
    {VIDBUS_FORMAT_BGR24, GST_VIDEO_FORMAT_BGR}, {VIDBUS_FORMAT_YUYV, GST_VIDEO_FORMAT_YUY2}, {VIDBUS_FORMAT_UYVY, GST_VIDEO_FORMAT_UYVY},
    {VIDBUS_FORMAT_NV12, GST_VIDEO_FORMAT_NV12}, {VIDBUS_FORMAT_I420, GST_VIDEO_FORMAT_I420}, {VIDBUS_FORMAT_GRAY8, GST_VIDEO_FORMAT_GRAY8},
};

vidbus_format gst_vidbus_format_from_caps(GstCaps *caps, GstVideoInfo *info, int *width, int *height, int *fps_n, int *fps_d)
{
    GstStructure *s = gst_caps_get_structure(caps, 0);
    const char *media = gst_structure_get_name(s);
    *fps_n = 0;
    *fps_d = 1;
    gst_structure_get_fraction(s, "framerate", fps_n, fps_d);
    if (g_str_equal(media, "video/x-raw")) {
        if (!gst_video_info_from_caps(info, caps)) return VIDBUS_FORMAT_UNKNOWN;
        *width = GST_VIDEO_INFO_WIDTH(info);
        *height = GST_VIDEO_INFO_HEIGHT(info);
        for (size_t i = 0; i < G_N_ELEMENTS(RAW); i++) {
            if (RAW[i].gst == GST_VIDEO_INFO_FORMAT(info)) return RAW[i].vidbus;
        }
        return VIDBUS_FORMAT_UNKNOWN;
    }
    if (!gst_structure_get_int(s, "width", width) || !gst_structure_get_int(s, "height", height)) return VIDBUS_FORMAT_UNKNOWN;
    if (g_str_equal(media, "image/jpeg")) return VIDBUS_FORMAT_MJPEG;
    if (g_str_equal(media, "video/x-h264")) return VIDBUS_FORMAT_H264;
    if (g_str_equal(media, "video/x-h265")) return VIDBUS_FORMAT_HEVC;
    return VIDBUS_FORMAT_UNKNOWN;
}

GstCaps *gst_vidbus_caps_from_layout(const vidbus_layout *l, uint32_t fps_num, uint32_t fps_den)
{
    int n = (int)(fps_num > G_MAXINT ? G_MAXINT : fps_num), d = (int)(fps_den == 0 || fps_den > G_MAXINT ? 1 : fps_den);
    for (size_t i = 0; i < G_N_ELEMENTS(RAW); i++) {
        if (RAW[i].vidbus != l->format) continue;
        GstVideoInfo info;
        gst_video_info_set_format(&info, RAW[i].gst, l->width, l->height);
        GST_VIDEO_INFO_FPS_N(&info) = n;
        GST_VIDEO_INFO_FPS_D(&info) = d;
        return gst_video_info_to_caps(&info);
    }
    const char *media = l->format == VIDBUS_FORMAT_MJPEG ? "image/jpeg" : l->format == VIDBUS_FORMAT_H264 ? "video/x-h264" : "video/x-h265";
    GstCaps *caps = gst_caps_new_simple(media, "width", G_TYPE_INT, (int)l->width, "height", G_TYPE_INT, (int)l->height, "framerate", GST_TYPE_FRACTION, n, d, NULL);
    if (l->format != VIDBUS_FORMAT_MJPEG) gst_caps_set_simple(caps, "stream-format", G_TYPE_STRING, "byte-stream", "alignment", G_TYPE_STRING, "au", NULL);
    return caps;
}
