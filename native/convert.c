/* Node-API glue for the pixel kernels: pixelsFit(src, srcDesc, dst,
 * dstDesc, box), and pixelsOpaque(bytes). A descriptor is an Int32Array [format, width, height,
 * offset0, stride0, offset1, stride1, offset2, stride2]; box is an
 * Int32Array [x, y, w, h] inside dst. TypeScript validates first
 * (src/native/pixels.ts); this side checks everything again against the
 * real buffer lengths, so no descriptor can make a kernel read or write
 * outside its buffer. */
#include "convert.h"

#include <string.h>

#include "args.h"
#include "errors.h"
#include "pixels.h"
#include "vectorize.h"

static int image_of(napi_env env, napi_value buffer, napi_value desc, vb_image *img)
{
    size_t length = 0;
    int32_t d[9];
    if (vb_arg_bytes(env, buffer, &img->data, &length) != 0 || vb_arg_ints(env, desc, 9, d) != 0) return -1;
    img->format = d[0];
    img->width = d[1];
    img->height = d[2];
    for (int i = 0; i < 3; i++) {
        img->offset[i] = d[3 + 2 * i];
        img->stride[i] = d[4 + 2 * i];
    }
    const char *problem = vb_image_check(img, length);
    if (problem != NULL) {
        vb_throw_type(env, problem);
        return -1;
    }
    return 0;
}

napi_value vb_pixels_fit_js(napi_env env, napi_callback_info info)
{
    vb_args a;
    vb_image src, dst;
    int32_t b[4];
    if (vb_get_args(env, info, &a, 5) != 0) return NULL;
    if (image_of(env, a.values[0], a.values[1], &src) != 0 || image_of(env, a.values[2], a.values[3], &dst) != 0) return NULL;
    if (vb_arg_ints(env, a.values[4], 4, b) != 0) return NULL;
    vb_box box = {b[0], b[1], b[2], b[3]};
    if (box.w < 1 || box.h < 1 || box.x < 0 || box.y < 0 || box.x > dst.width - box.w || box.y > dst.height - box.h) {
        vb_throw_type(env, "box outside the target image");
        return NULL;
    }
    if (vb_pixels_fit(&src, &dst, box) != 0) return vb_throw_errno(env, "malloc", 12 /* ENOMEM */);
    return NULL;
}

/* Copies n bytes (a multiple of 4) of 32-bit little-endian pixels from s
 * to d (or in place when d == s) with the fourth byte of each set to 255:
 * one OR per 32-bit word, which compilers turn into vector ORs; byte-wise
 * stores of the alpha alone cost several times more, most of all under
 * emulation. */
VB_CLONES static void copy_opaque(uint8_t *d, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i + 4 <= n; i += 4) {
        uint32_t v;
        memcpy(&v, s + i, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        v |= 0x000000ffu;
#else
        v |= 0xff000000u;
#endif
        memcpy(d + i, &v, 4);
    }
}

/* pixelsOpaque(bytes): sets every fourth byte (the alpha of RGBA/BGRA
 * pixels, starting at byte 3) to 255. Screens captured from X come with
 * their padding byte there, usually 0; a consumer that blends would see
 * them transparent. The length must be a multiple of 4. */
napi_value vb_pixels_opaque_js(napi_env env, napi_callback_info info)
{
    vb_args a;
    uint8_t *data = NULL;
    size_t length = 0;
    if (vb_get_args(env, info, &a, 1) != 0 || vb_arg_bytes(env, a.values[0], &data, &length) != 0) return NULL;
    if (length % 4 != 0) {
        vb_throw_type(env, "expected whole 4-byte pixels");
        return NULL;
    }
    copy_opaque(data, data, length);
    return NULL;
}

/* pixelsCopyRows(src, srcOffset, srcPitch, dst, dstStride, rowBytes, rows, opaque):
 * copies `rows` rows of `rowBytes` bytes from src (starting at srcOffset,
 * rows srcPitch apart) to dst (rows dstStride apart), setting every fourth
 * byte from byte 3 to 255 on the way when `opaque` (32-bit pixels whose
 * fourth byte is padding, such as DRM's XRGB8888). One pass over the
 * pixels: the screen capture's copy out of a framebuffer. Every row is
 * checked against both buffers first. */
napi_value vb_pixels_copy_rows_js(napi_env env, napi_callback_info info)
{
    vb_args a;
    uint8_t *src = NULL, *dst = NULL;
    size_t src_len = 0, dst_len = 0;
    int64_t src_offset, src_pitch, dst_stride, row_bytes, rows;
    bool opaque;
    if (vb_get_args(env, info, &a, 8) != 0 || vb_arg_bytes(env, a.values[0], &src, &src_len) != 0 || vb_arg_int64(env, a.values[1], &src_offset) != 0 ||
        vb_arg_int64(env, a.values[2], &src_pitch) != 0 || vb_arg_bytes(env, a.values[3], &dst, &dst_len) != 0 || vb_arg_int64(env, a.values[4], &dst_stride) != 0 ||
        vb_arg_int64(env, a.values[5], &row_bytes) != 0 || vb_arg_int64(env, a.values[6], &rows) != 0 || vb_arg_bool(env, a.values[7], &opaque) != 0)
        return NULL;
    /* Bounded first so that the products below cannot overflow. */
    if (src_offset < 0 || src_offset > ((int64_t)1 << 40) || rows < 0 || rows > 65536 || row_bytes < 0 || row_bytes > (1 << 24) || src_pitch < row_bytes ||
        src_pitch > (1 << 24) || dst_stride < row_bytes || dst_stride > (1 << 24) || (opaque && row_bytes % 4 != 0)) {
        vb_throw_type(env, "bad row geometry");
        return NULL;
    }
    if (rows == 0 || row_bytes == 0) return NULL;
    /* The last row ends at offset + (rows - 1) * pitch + rowBytes; all in int64 (each term < 2^31 * 2^31). */
    if (src_offset + (rows - 1) * src_pitch + row_bytes > (int64_t)src_len || (rows - 1) * dst_stride + row_bytes > (int64_t)dst_len) {
        vb_throw_type(env, "rows outside the buffers");
        return NULL;
    }
    for (int64_t y = 0; y < rows; y++) {
        const uint8_t *s = src + src_offset + y * src_pitch;
        uint8_t *d = dst + y * dst_stride;
        if (opaque) copy_opaque(d, s, (size_t)row_bytes);
        else memcpy(d, s, (size_t)row_bytes);
    }
    return NULL;
}
