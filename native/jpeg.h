/* JPEG decoding with libjpeg-turbo's TurboJPEG API (see jpeg.c). */
#ifndef VIDBUS_JPEG_H
#define VIDBUS_JPEG_H

#include <node_api.h>

/* jpegCreate(): a decoder handle, or throws ERR_CODEC_UNAVAILABLE when the
 * addon was built without libturbojpeg. */
napi_value vb_jpeg_create(napi_env env, napi_callback_info info);
/* jpegClose(handle): frees the decoder; idempotent. */
napi_value vb_jpeg_close(napi_env env, napi_callback_info info);
/* jpegHeader(handle, src): { width, height, subsampling }. */
napi_value vb_jpeg_header(napi_env env, napi_callback_info info);
/* jpegDecode(handle, src, dst, desc): decodes into a packed RGB or GRAY8
 * image; returns null, or the text of a warning (corrupt but decodable). */
napi_value vb_jpeg_decode(napi_env env, napi_callback_info info);

#endif
