/* The vidbus GStreamer plugin: vidbussrc and vidbussink over libvidbus. */
#include <gst/gst.h>

#include "vidbussink.h"
#include "vidbussrc.h"

static gboolean plugin_init(GstPlugin *plugin)
{
    return gst_element_register(plugin, "vidbussrc", GST_RANK_NONE, GST_TYPE_VIDBUS_SRC) && gst_element_register(plugin, "vidbussink", GST_RANK_NONE, GST_TYPE_VIDBUS_SINK);
}

#define PACKAGE "vidbus"
GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, vidbus, "vidbus: zero-copy local video frame bus (shared memory)", plugin_init, "1.0.0", "MIT", "vidbus", "vidbus")
