/* Compositing kernels for camera effects (src/effects/): a person mask
 * scaled up to the picture (bilinear), a box blur (three passes come close
 * to a Gaussian), and alpha blending of two RGBA pictures. Plain loops the
 * compiler vectorises; like pixels.c these are compute, not policy, and
 * every buffer is checked against the sizes it must hold. */
#include "effects.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "errors.h"

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define FX_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef FX_CLONES
#define FX_CLONES
#endif

static int floats_of(napi_env env, napi_value v, float **data, size_t *count)
{
    napi_typedarray_type type;
    void *ptr = NULL;
    if (napi_get_typedarray_info(env, v, &type, count, &ptr, NULL, NULL) != napi_ok || type != napi_float32_array) {
        napi_throw_type_error(env, "ERR_NATIVE_ARGUMENT", "expected a Float32Array");
        return -1;
    }
    *data = ptr;
    return 0;
}

static bool size_ok(int32_t w, int32_t h) { return w > 0 && h > 0 && w <= 16384 && h <= 16384; }

/* Source columns and weights for scaling sw to dw, computed once per call
 * (not once per pixel): x0, x1 and the weight of x1 in 1/256ths. */
typedef struct {
    int32_t *x0, *x1, *wx;
} columns;

static int columns_make(columns *c, int sw, int dw)
{
    c->x0 = malloc(sizeof(int32_t) * (size_t)dw * 3);
    if (!c->x0) return -1;
    c->x1 = c->x0 + dw;
    c->wx = c->x1 + dw;
    for (int x = 0; x < dw; x++) {
        float fx = ((float)x + 0.5f) * (float)sw / (float)dw - 0.5f;
        if (fx < 0) fx = 0;
        int x0 = (int)fx;
        c->x0[x] = x0;
        c->x1[x] = x0 + 1 < sw ? x0 + 1 : sw - 1;
        c->wx[x] = (int32_t)((fx - (float)x0) * 256.0f);
    }
    return 0;
}

/* fxMaskToAlpha(mask: Float32Array, mw, mh, alpha: Uint8Array, w, h) */
FX_CLONES static void mask_rows(const float *m, int mw, int mh, uint8_t *a, int w, int h, const columns *c)
{
    float *row = malloc(sizeof(float) * (size_t)mw);
    if (!row) return;
    for (int y = 0; y < h; y++) {
        float fy = ((float)y + 0.5f) * (float)mh / (float)h - 0.5f;
        if (fy < 0) fy = 0;
        int y0 = (int)fy;
        int y1 = y0 + 1 < mh ? y0 + 1 : mh - 1;
        float wy = fy - (float)y0;
        const float *r0 = m + (size_t)y0 * mw, *r1 = m + (size_t)y1 * mw;
        for (int x = 0; x < mw; x++) row[x] = r0[x] + (r1[x] - r0[x]) * wy; /* vertical first, on the small row */
        uint8_t *d = a + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            float v0 = row[c->x0[x]], v1 = row[c->x1[x]];
            float v = (v0 + (v1 - v0) * (float)c->wx[x] * (1.0f / 256.0f)) * 255.0f + 0.5f;
            d[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
    free(row);
}

static int mask_to_alpha(const float *m, int mw, int mh, uint8_t *a, int w, int h)
{
    columns c;
    if (columns_make(&c, mw, w) != 0) return -1;
    mask_rows(m, mw, mh, a, w, h, &c);
    free(c.x0);
    return 0;
}

napi_value vb_fx_mask_to_alpha(napi_env env, napi_callback_info info)
{
    vb_args a;
    float *mask;
    size_t mask_count, alpha_len;
    uint8_t *alpha;
    int32_t mw, mh, w, h;
    if (vb_get_args(env, info, &a, 6) != 0 || floats_of(env, a.values[0], &mask, &mask_count) != 0 || vb_arg_int32(env, a.values[1], &mw) != 0 ||
        vb_arg_int32(env, a.values[2], &mh) != 0 || vb_arg_bytes(env, a.values[3], &alpha, &alpha_len) != 0 || vb_arg_int32(env, a.values[4], &w) != 0 ||
        vb_arg_int32(env, a.values[5], &h) != 0)
        return NULL;
    if (!size_ok(mw, mh) || !size_ok(w, h) || mask_count < (size_t)mw * mh || alpha_len < (size_t)w * h) return vb_throw_type(env, "mask or alpha smaller than their sizes");
    if (mask_to_alpha(mask, mw, mh, alpha, w, h) != 0) return vb_throw_errno(env, "malloc", 12);
    return NULL;
}

/* One horizontal box-blur pass over RGBA rows of `w` pixels: running sums. */
static void blur_rows(const uint8_t *src, uint8_t *dst, int w, int h, int r)
{
    const int n = 2 * r + 1;
    for (int y = 0; y < h; y++) {
        const uint8_t *s = src + (size_t)y * w * 4;
        uint8_t *d = dst + (size_t)y * w * 4;
        for (int c = 0; c < 4; c++) {
            int sum = 0;
            for (int i = -r; i <= r; i++) sum += s[(i < 0 ? 0 : i >= w ? w - 1 : i) * 4 + c];
            for (int x = 0; x < w; x++) {
                d[x * 4 + c] = (uint8_t)((sum + n / 2) / n);
                int add = x + r + 1, sub = x - r;
                sum += s[(add >= w ? w - 1 : add) * 4 + c] - s[(sub < 0 ? 0 : sub) * 4 + c];
            }
        }
    }
}

/* Transposes an RGBA picture (w x h -> h x w), so vertical passes reuse blur_rows. */
FX_CLONES static void transpose(const uint32_t *src, uint32_t *dst, int w, int h)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) dst[(size_t)x * h + y] = src[(size_t)y * w + x];
}

/* fxBlur(src: Uint8Array, dst: Uint8Array, w, h, radius): tight RGBA; three box passes each way. */
napi_value vb_fx_blur(napi_env env, napi_callback_info info)
{
    vb_args a;
    uint8_t *src, *dst;
    size_t src_len, dst_len;
    int32_t w, h, r;
    if (vb_get_args(env, info, &a, 5) != 0 || vb_arg_bytes(env, a.values[0], &src, &src_len) != 0 || vb_arg_bytes(env, a.values[1], &dst, &dst_len) != 0 ||
        vb_arg_int32(env, a.values[2], &w) != 0 || vb_arg_int32(env, a.values[3], &h) != 0 || vb_arg_int32(env, a.values[4], &r) != 0)
        return NULL;
    size_t bytes = (size_t)w * h * 4;
    if (!size_ok(w, h) || src_len < bytes || dst_len < bytes || r < 0 || r > 512) return vb_throw_type(env, "blur buffers smaller than the picture, or a bad radius");
    if (r == 0) {
        memmove(dst, src, bytes);
        return NULL;
    }
    uint8_t *t1 = malloc(bytes), *t2 = malloc(bytes);
    if (!t1 || !t2) {
        free(t1);
        free(t2);
        return vb_throw_errno(env, "malloc", 12);
    }
    /* three passes of radius r/sqrt(3) approximate a Gaussian of about r */
    int pr = r * 577 / 1000 > 0 ? r * 577 / 1000 : 1;
    blur_rows(src, t1, w, h, pr);
    blur_rows(t1, t2, w, h, pr);
    blur_rows(t2, t1, w, h, pr);
    transpose((const uint32_t *)t1, (uint32_t *)t2, w, h);
    blur_rows(t2, t1, h, w, pr);
    blur_rows(t1, t2, h, w, pr);
    blur_rows(t2, t1, h, w, pr);
    transpose((const uint32_t *)t1, (uint32_t *)dst, h, w);
    free(t1);
    free(t2);
    return NULL;
}

FX_CLONES static void blend(const uint8_t *fg, const uint8_t *bg, const uint8_t *alpha, uint8_t *out, size_t pixels)
{
    for (size_t i = 0; i < pixels; i++) {
        int a = alpha[i], b = 255 - a;
        for (int c = 0; c < 3; c++) out[i * 4 + c] = (uint8_t)((fg[i * 4 + c] * a + bg[i * 4 + c] * b + 127) / 255);
        out[i * 4 + 3] = 255;
    }
}

/* fxComposite(fg, bg, alpha, out, w, h): tight RGBA; out = fg where alpha is 255, bg where 0. */
napi_value vb_fx_composite(napi_env env, napi_callback_info info)
{
    vb_args a;
    uint8_t *fg, *bg, *alpha, *out;
    size_t fg_len, bg_len, alpha_len, out_len;
    int32_t w, h;
    if (vb_get_args(env, info, &a, 6) != 0 || vb_arg_bytes(env, a.values[0], &fg, &fg_len) != 0 || vb_arg_bytes(env, a.values[1], &bg, &bg_len) != 0 ||
        vb_arg_bytes(env, a.values[2], &alpha, &alpha_len) != 0 || vb_arg_bytes(env, a.values[3], &out, &out_len) != 0 || vb_arg_int32(env, a.values[4], &w) != 0 ||
        vb_arg_int32(env, a.values[5], &h) != 0)
        return NULL;
    size_t pixels = (size_t)w * h;
    if (!size_ok(w, h) || fg_len < pixels * 4 || bg_len < pixels * 4 || out_len < pixels * 4 || alpha_len < pixels) return vb_throw_type(env, "composite buffers smaller than the picture");
    blend(fg, bg, alpha, out, pixels);
    return NULL;
}

/* fxResize(src, sw, sh, dst, dw, dh): tight RGBA, bilinear. A blur is made at
 * a fraction of the size and scaled back up with this, which is much
 * cheaper than blurring at full size and looks the same. */
FX_CLONES static void resize_rows(const uint8_t *src, int sw, int sh, uint8_t *dst, int dw, int dh, const columns *c, uint16_t *row)
{
    for (int y = 0; y < dh; y++) {
        float fy = ((float)y + 0.5f) * (float)sh / (float)dh - 0.5f;
        if (fy < 0) fy = 0;
        int y0 = (int)fy;
        int y1 = y0 + 1 < sh ? y0 + 1 : sh - 1;
        int wy = (int)((fy - (float)y0) * 256.0f);
        const uint8_t *r0 = src + (size_t)y0 * sw * 4, *r1 = src + (size_t)y1 * sw * 4;
        /* vertical blend of the two source rows first (8.8 fixed point), then horizontal */
        for (int i = 0; i < sw * 4; i++) row[i] = (uint16_t)(r0[i] * (256 - wy) + r1[i] * wy);
        uint8_t *d = dst + (size_t)y * dw * 4;
        for (int x = 0; x < dw; x++) {
            const uint16_t *p0 = row + c->x0[x] * 4, *p1 = row + c->x1[x] * 4;
            int wx = c->wx[x];
            for (int k = 0; k < 4; k++) d[x * 4 + k] = (uint8_t)(((uint32_t)p0[k] * (uint32_t)(256 - wx) + (uint32_t)p1[k] * (uint32_t)wx + 32768) >> 16);
        }
    }
}

static int resize_bilinear(const uint8_t *src, int sw, int sh, uint8_t *dst, int dw, int dh)
{
    columns c;
    uint16_t *row = malloc(sizeof(uint16_t) * (size_t)sw * 4);
    if (!row || columns_make(&c, sw, dw) != 0) {
        free(row);
        return -1;
    }
    resize_rows(src, sw, sh, dst, dw, dh, &c, row);
    free(c.x0);
    free(row);
    return 0;
}

napi_value vb_fx_resize(napi_env env, napi_callback_info info)
{
    vb_args a;
    uint8_t *src, *dst;
    size_t src_len, dst_len;
    int32_t sw, sh, dw, dh;
    if (vb_get_args(env, info, &a, 6) != 0 || vb_arg_bytes(env, a.values[0], &src, &src_len) != 0 || vb_arg_int32(env, a.values[1], &sw) != 0 ||
        vb_arg_int32(env, a.values[2], &sh) != 0 || vb_arg_bytes(env, a.values[3], &dst, &dst_len) != 0 || vb_arg_int32(env, a.values[4], &dw) != 0 ||
        vb_arg_int32(env, a.values[5], &dh) != 0)
        return NULL;
    if (!size_ok(sw, sh) || !size_ok(dw, dh) || src_len < (size_t)sw * sh * 4 || dst_len < (size_t)dw * dh * 4) return vb_throw_type(env, "resize buffers smaller than their sizes");
    if (resize_bilinear(src, sw, sh, dst, dw, dh) != 0) return vb_throw_errno(env, "malloc", 12);
    return NULL;
}
