/* V4L2 ioctls. Thin wrappers: TypeScript decides what the answers mean. */
#ifndef VIDBUS_V4L2_H
#define VIDBUS_V4L2_H

#include <node_api.h>

/* v4l2QueryCap(fd) -> { driver, card, busInfo, version, capabilities, deviceCaps } */
napi_value vb_v4l2_querycap(napi_env env, napi_callback_info info);



/* v4l2GetFormat(fd, bufType) -> { width, height, pixelFormat, bytesPerLine, sizeImage, field } */
napi_value vb_v4l2_get_format(napi_env env, napi_callback_info info);
/* v4l2SetFormat(fd, bufType, width, height, pixelFormat) -> the format the driver chose */
napi_value vb_v4l2_set_format(napi_env env, napi_callback_info info);
/* v4l2SetFrameRate(fd, bufType, num, den): VIDIOC_S_PARM with timeperframe = den/num */
napi_value vb_v4l2_set_frame_rate(napi_env env, napi_callback_info info);
/* v4l2Stream(fd, bufType, on): VIDIOC_STREAMON / VIDIOC_STREAMOFF */
napi_value vb_v4l2_stream(napi_env env, napi_callback_info info);
#endif
