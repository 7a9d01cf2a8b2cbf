#ifndef GST_VIDBUS_SRC_H
#define GST_VIDBUS_SRC_H

#include <gst/base/gstpushsrc.h>

#include "vidbus.h"

G_BEGIN_DECLS
#define GST_TYPE_VIDBUS_SRC (gst_vidbus_src_get_type())
G_DECLARE_FINAL_TYPE(GstVidbusSrc, gst_vidbus_src, GST, VIDBUS_SRC, GstPushSrc)
G_END_DECLS

#endif
