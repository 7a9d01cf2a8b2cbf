/* V4L2 enumeration wrappers (see v4l2_enum.c). */
#ifndef VIDBUS_V4L2_ENUM_H
#define VIDBUS_V4L2_ENUM_H

#include <node_api.h>

/* v4l2EnumFormats(fd, bufType) -> [{ pixelFormat, flags, description }] */
napi_value vb_v4l2_enum_formats(napi_env env, napi_callback_info info);
/* v4l2EnumFrameSizes(fd, pixelFormat) -> [{ type, width, height } | { type, min/max/step }] */
napi_value vb_v4l2_enum_frame_sizes(napi_env env, napi_callback_info info);
/* v4l2EnumFrameIntervals(fd, pixelFormat, width, height) -> [{ type, num, den } | { type, minNum, minDen, maxNum, maxDen }] */
napi_value vb_v4l2_enum_frame_intervals(napi_env env, napi_callback_info info);
/* v4l2GetFrameInterval(fd, bufType) -> { num, den }: seconds per frame (VIDIOC_G_PARM) */
napi_value vb_v4l2_get_frame_interval(napi_env env, napi_callback_info info);

#endif
