/* JPEG decoding: the only codec in the addon, because MJPEG is what most
 * webcams send and a JS decoder is 10x too slow for video. libjpeg-turbo
 * (SIMD) does the work; this file checks buffers and maps errors. Built
 * without libturbojpeg (no VB_HAVE_TURBOJPEG), every call throws
 * ERR_CODEC_UNAVAILABLE and TypeScript says how to install it. */
#include "jpeg.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "args.h"
#include "errors.h"
#include "pixels.h"

#ifndef VB_HAVE_TURBOJPEG

napi_value vb_jpeg_create(napi_env env, napi_callback_info info) { return vb_throw_code(env, "ERR_CODEC_UNAVAILABLE", "built without libturbojpeg"); }
napi_value vb_jpeg_close(napi_env env, napi_callback_info info) { return NULL; }
napi_value vb_jpeg_header(napi_env env, napi_callback_info info) { return vb_throw_code(env, "ERR_CODEC_UNAVAILABLE", "built without libturbojpeg"); }
napi_value vb_jpeg_decode(napi_env env, napi_callback_info info) { return vb_throw_code(env, "ERR_CODEC_UNAVAILABLE", "built without libturbojpeg"); }
napi_value vb_jpeg_encode(napi_env env, napi_callback_info info) { return vb_throw_code(env, "ERR_CODEC_UNAVAILABLE", "built without libturbojpeg"); }

#else

#include <turbojpeg.h>

typedef struct {
    tjhandle handle; /* NULL once closed */
    bool encoder;    /* made by tjInitCompress */
} decoder;

static void finalize_decoder(napi_env env, void *data, void *hint)
{
    decoder *d = data;
    if (d->handle) tjDestroy(d->handle);
    free(d);
}

static decoder *decoder_of(napi_env env, napi_value v, bool encoder)
{
    void *data = NULL;
    if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
        vb_throw_type(env, "expected a JPEG decoder handle");
        return NULL;
    }
    decoder *d = data;
    if (d->handle == NULL) {
        vb_throw_code(env, "ERR_CLOSED", "the JPEG codec is closed");
        return NULL;
    }
    if (d->encoder != encoder) {
        vb_throw_type(env, encoder ? "expected a JPEG encoder handle" : "expected a JPEG decoder handle");
        return NULL;
    }
    return d;
}

napi_value vb_jpeg_create(napi_env env, napi_callback_info info)
{
    vb_args a;
    bool encoder = false;
    if (vb_get_args(env, info, &a, 0) != 0) return NULL;
    if (a.count >= 1 && vb_arg_bool(env, a.values[0], &encoder) != 0) return NULL;
    decoder *d = calloc(1, sizeof(*d));
    if (d != NULL) d->encoder = encoder;
    if (d == NULL || (d->handle = encoder ? tjInitCompress() : tjInitDecompress()) == NULL) {
        free(d);
        return vb_throw_code(env, "ERR_NO_SPACE", "cannot allocate a JPEG decoder");
    }
    napi_value out;
    if (napi_create_external(env, d, finalize_decoder, NULL, &out) != napi_ok) {
        tjDestroy(d->handle);
        free(d);
        return NULL;
    }
    return out;
}

napi_value vb_jpeg_close(napi_env env, napi_callback_info info)
{
    vb_args a;
    void *data = NULL;
    if (vb_get_args(env, info, &a, 1) != 0) return NULL;
    if (napi_get_value_external(env, a.values[0], &data) != napi_ok || data == NULL) return NULL;
    decoder *d = data;
    if (d->handle) tjDestroy(d->handle);
    d->handle = NULL;
    return NULL;
}

static void set_int(napi_env env, napi_value obj, const char *key, int value)
{
    napi_value v;
    napi_create_int32(env, value, &v);
    napi_set_named_property(env, obj, key, v);
}

napi_value vb_jpeg_header(napi_env env, napi_callback_info info)
{
    vb_args a;
    uint8_t *src;
    size_t length;
    if (vb_get_args(env, info, &a, 2) != 0) return NULL;
    decoder *d = decoder_of(env, a.values[0], false);
    if (d == NULL || vb_arg_bytes(env, a.values[1], &src, &length) != 0) return NULL;
    if (length == 0 || length > (size_t)1 << 31) return vb_throw_code(env, "ERR_BAD_IMAGE", "empty or oversized JPEG data");
    int width = 0, height = 0, subsampling = -1, colorspace = -1;
    if (tjDecompressHeader3(d->handle, src, (unsigned long)length, &width, &height, &subsampling, &colorspace) != 0) {
        return vb_throw_code(env, "ERR_BAD_IMAGE", tjGetErrorStr2(d->handle));
    }
    if (width < 1 || height < 1) return vb_throw_code(env, "ERR_BAD_IMAGE", "JPEG header gives no picture size");
    napi_value out;
    napi_create_object(env, &out);
    set_int(env, out, "width", width);
    set_int(env, out, "height", height);
    set_int(env, out, "subsampling", subsampling);
    return out;
}

napi_value vb_jpeg_decode(napi_env env, napi_callback_info info)
{
    vb_args a;
    uint8_t *src, *dst;
    size_t src_length, dst_length;
    int32_t desc[9];
    if (vb_get_args(env, info, &a, 4) != 0) return NULL;
    decoder *d = decoder_of(env, a.values[0], false);
    if (d == NULL || vb_arg_bytes(env, a.values[1], &src, &src_length) != 0 || vb_arg_bytes(env, a.values[2], &dst, &dst_length) != 0) return NULL;
    if (vb_arg_ints(env, a.values[3], 9, desc) != 0) return NULL;
    vb_image img = {.format = desc[0], .width = desc[1], .height = desc[2], .data = dst};
    img.offset[0] = desc[3];
    img.stride[0] = desc[4];
    const char *problem = vb_image_check(&img, dst_length);
    if (problem != NULL) return vb_throw_code(env, "ERR_NATIVE_ARGUMENT", problem);
    int pf;
    switch (img.format) {
    case VB_RGBA: pf = TJPF_RGBA; break;
    case VB_BGRA: pf = TJPF_BGRA; break;
    case VB_RGB24: pf = TJPF_RGB; break;
    case VB_BGR24: pf = TJPF_BGR; break;
    case VB_GRAY8: pf = TJPF_GRAY; break;
    default: return vb_throw_code(env, "ERR_NATIVE_ARGUMENT", "JPEG decodes to packed RGB or GRAY8 only");
    }
    if (src_length == 0 || src_length > (size_t)1 << 31) return vb_throw_code(env, "ERR_BAD_IMAGE", "empty or oversized JPEG data");
    int width = 0, height = 0, subsampling = -1, colorspace = -1;
    if (tjDecompressHeader3(d->handle, src, (unsigned long)src_length, &width, &height, &subsampling, &colorspace) != 0) {
        return vb_throw_code(env, "ERR_BAD_IMAGE", tjGetErrorStr2(d->handle));
    }
    /* Never let the JPEG's own header decide how much is written. */
    if (width != img.width || height != img.height) return vb_throw_code(env, "ERR_BAD_IMAGE", "JPEG size differs from the frame size");
    int r = tjDecompress2(d->handle, src, (unsigned long)src_length, dst + img.offset[0], img.width, img.stride[0], img.height, pf, TJFLAG_FASTDCT);
    napi_value out;
    if (r == 0) {
        napi_get_null(env, &out);
        return out;
    }
    if (tjGetErrorCode(d->handle) == TJERR_WARNING) {
        const char *text = tjGetErrorStr2(d->handle);
        napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &out);
        return out;
    }
    return vb_throw_code(env, "ERR_BAD_IMAGE", tjGetErrorStr2(d->handle));
}

napi_value vb_jpeg_encode(napi_env env, napi_callback_info info)
{
    vb_args a;
    uint8_t *src;
    size_t src_length;
    int32_t desc[9], quality;
    if (vb_get_args(env, info, &a, 4) != 0) return NULL;
    decoder *d = decoder_of(env, a.values[0], true);
    if (d == NULL || vb_arg_bytes(env, a.values[1], &src, &src_length) != 0 || vb_arg_ints(env, a.values[2], 9, desc) != 0 ||
        vb_arg_int32(env, a.values[3], &quality) != 0)
        return NULL;
    if (quality < 1 || quality > 100) return vb_throw_type(env, "quality must be from 1 to 100");
    vb_image img = {.format = desc[0], .width = desc[1], .height = desc[2], .data = src};
    img.offset[0] = desc[3];
    img.stride[0] = desc[4];
    const char *problem = vb_image_check(&img, src_length);
    if (problem != NULL) return vb_throw_code(env, "ERR_NATIVE_ARGUMENT", problem);
    int pf;
    switch (img.format) {
    case VB_RGBA: pf = TJPF_RGBA; break;
    case VB_BGRA: pf = TJPF_BGRA; break;
    case VB_RGB24: pf = TJPF_RGB; break;
    case VB_BGR24: pf = TJPF_BGR; break;
    case VB_GRAY8: pf = TJPF_GRAY; break;
    default: return vb_throw_code(env, "ERR_NATIVE_ARGUMENT", "JPEG encodes packed RGB or GRAY8 only");
    }
    unsigned char *jpeg = NULL;
    unsigned long jpeg_size = 0;
    int subsampling = img.format == VB_GRAY8 ? TJSAMP_GRAY : TJSAMP_420;
    if (tjCompress2(d->handle, src + img.offset[0], img.width, img.stride[0], img.height, pf, &jpeg, &jpeg_size, subsampling, quality, TJFLAG_FASTDCT) != 0) {
        if (jpeg) tjFree(jpeg);
        return vb_throw_code(env, "ERR_BAD_IMAGE", tjGetErrorStr2(d->handle));
    }
    napi_value out;
    void *copy = NULL;
    napi_status st = napi_create_buffer_copy(env, jpeg_size, jpeg, &copy, &out);
    tjFree(jpeg);
    if (st != napi_ok) return vb_throw_code(env, "ERR_NO_SPACE", "cannot allocate the JPEG buffer");
    return out;
}

#endif
