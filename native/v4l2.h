/* V4L2 ioctls. Thin wrappers: TypeScript decides what the answers mean. */
#ifndef VIDBUS_V4L2_H
#define VIDBUS_V4L2_H

#include <node_api.h>

/* v4l2QueryCap(fd) -> { driver, card, busInfo, version, capabilities, deviceCaps } */
napi_value vb_v4l2_querycap(napi_env env, napi_callback_info info);

#endif
