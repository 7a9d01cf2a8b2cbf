/* JPEG decoding with libjpeg-turbo's TurboJPEG API (see jpeg.c). */
#ifndef VIDBUS_JPEG_H
#define VIDBUS_JPEG_H

#include <node_api.h>

/* jpegCreate([encoder]): a decoder (or encoder) handle, or throws ERR_CODEC_UNAVAILABLE when the
 * addon was built without libturbojpeg. */
napi_value vb_jpeg_create(napi_env env, napi_callback_info info);
/* jpegClose(handle): frees the decoder; idempotent. */
napi_value vb_jpeg_close(napi_env env, napi_callback_info info);
/* jpegHeader(handle, src): { width, height, subsampling }. */
napi_value vb_jpeg_header(napi_env env, napi_callback_info info);
/* jpegDecode(handle, src, dst, desc): decodes into a packed RGB or GRAY8
 * image; returns null, or the text of a warning (corrupt but decodable). */
napi_value vb_jpeg_decode(napi_env env, napi_callback_info info);

/* jpegEncode(encoder, src, desc, quality): a Buffer holding the JPEG of a
 * packed RGB or GRAY8 image (4:2:0 chroma). */
napi_value vb_jpeg_encode(napi_env env, napi_callback_info info);

#endif
