/* Node-API entry points for pixel conversion (see convert.c). */
#ifndef VIDBUS_CONVERT_H
#define VIDBUS_CONVERT_H

#include <node_api.h>

/* pixelsFit(src, srcDesc, dst, dstDesc, box): see convert.c. */
napi_value vb_pixels_fit_js(napi_env env, napi_callback_info info);
/* pixelsOpaque(bytes): every fourth byte from byte 3 set to 255. */
napi_value vb_pixels_opaque_js(napi_env env, napi_callback_info info);
/* pixelsCopyRows(src, srcOffset, srcPitch, dst, dstStride, rowBytes, rows, opaque): see convert.c. */
napi_value vb_pixels_copy_rows_js(napi_env env, napi_callback_info info);

#endif
