#ifndef GST_VIDBUS_SINK_H
#define GST_VIDBUS_SINK_H

#include <gst/base/gstbasesink.h>
#include <gst/video/video.h>

#include "vidbus.h"

G_BEGIN_DECLS
#define GST_TYPE_VIDBUS_SINK (gst_vidbus_sink_get_type())
G_DECLARE_FINAL_TYPE(GstVidbusSink, gst_vidbus_sink, GST, VIDBUS_SINK, GstBaseSink)
G_END_DECLS

#endif
