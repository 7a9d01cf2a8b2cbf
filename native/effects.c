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
#include "vectorize.h"


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
VB_CLONES static void mask_rows(const float *m, int mw, int mh, uint8_t *a, int w, int h, const columns *c)
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
    if (vb_get_args(env, info, &a, 6) != 0 || vb_arg_floats(env, a.values[0], &mask, &mask_count) != 0 || vb_arg_int32(env, a.values[1], &mw) != 0 ||
        vb_arg_int32(env, a.values[2], &mh) != 0 || vb_arg_bytes(env, a.values[3], &alpha, &alpha_len) != 0 || vb_arg_int32(env, a.values[4], &w) != 0 ||
        vb_arg_int32(env, a.values[5], &h) != 0)
        return NULL;
    if (!size_ok(mw, mh) || !size_ok(w, h) || mask_count < (size_t)mw * mh || alpha_len < (size_t)w * h) return vb_throw_type(env, "mask or alpha smaller than their sizes");
    if (mask_to_alpha(mask, mw, mh, alpha, w, h) != 0) return vb_throw_errno(env, "malloc", 12);
    return NULL;
}

/* One horizontal box-blur pass over RGBA rows of `w` pixels: running sums,
 * all four channels at once, and a multiply by 1/n instead of a division. */
static void blur_rows(const uint8_t *src, uint8_t *dst, int w, int h, int r)
{
    const int n = 2 * r + 1;
    const uint32_t inv = (uint32_t)((1u << 24) / (uint32_t)n); /* sum < 2^16 for n <= 257 */
    for (int y = 0; y < h; y++) {
        const uint8_t *s = src + (size_t)y * w * 4;
        uint8_t *d = dst + (size_t)y * w * 4;
        uint32_t sum[4] = {0, 0, 0, 0};
        for (int i = -r; i <= r; i++) {
            const uint8_t *p = s + (i < 0 ? 0 : i >= w ? w - 1 : i) * 4;
            for (int c = 0; c < 4; c++) sum[c] += p[c];
        }
        for (int x = 0; x < w; x++) {
            int add = x + r + 1, sub = x - r;
            const uint8_t *pa = s + (add >= w ? w - 1 : add) * 4, *ps = s + (sub < 0 ? 0 : sub) * 4;
            for (int c = 0; c < 4; c++) {
                d[x * 4 + c] = (uint8_t)((sum[c] * inv + (1u << 23)) >> 24);
                sum[c] += (uint32_t)pa[c] - (uint32_t)ps[c];
            }
        }
    }
}

/* Transposes an RGBA picture (w x h -> h x w), so vertical passes reuse blur_rows. */
VB_CLONES static void transpose(const uint32_t *src, uint32_t *dst, int w, int h)
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

VB_CLONES static void blend(const uint8_t *fg, const uint8_t *bg, const uint8_t *alpha, uint8_t *out, size_t pixels)
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
VB_CLONES static void resize_rows(const uint8_t *src, int sw, int sh, uint8_t *dst, int dw, int dh, const columns *c, uint16_t *row)
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

/* ---- edge-following mask upsampling: a fast guided filter ---------------
 * The model's mask is coarse (256x256) and its edges fall between the
 * picture's. The guided filter (He, Sun and Tang) fits, in each small
 * window, alpha ~ a * luma + b at the mask's resolution; a and b are then
 * scaled up and applied to the full-resolution luma, so the mask's edges
 * snap to the picture's. */

/* Box mean of radius r over a w x h float plane, edges clamped; out may not alias in. */
static void box_mean(const float *in, float *out, float *tmp, int w, int h, int r)
{
    const float n = (float)(2 * r + 1);
    for (int y = 0; y < h; y++) {
        const float *s = in + (size_t)y * w;
        float *d = tmp + (size_t)y * w;
        float sum = 0;
        for (int i = -r; i <= r; i++) sum += s[i < 0 ? 0 : i >= w ? w - 1 : i];
        for (int x = 0; x < w; x++) {
            d[x] = sum / n;
            int add = x + r + 1, sub = x - r;
            sum += s[add >= w ? w - 1 : add] - s[sub < 0 ? 0 : sub];
        }
    }
    for (int x = 0; x < w; x++) {
        float sum = 0;
        for (int i = -r; i <= r; i++) sum += tmp[(size_t)(i < 0 ? 0 : i >= h ? h - 1 : i) * w + x];
        for (int y = 0; y < h; y++) {
            out[(size_t)y * w + x] = sum / n;
            int add = y + r + 1, sub = y - r;
            sum += tmp[(size_t)(add >= h ? h - 1 : add) * w + x] - tmp[(size_t)(sub < 0 ? 0 : sub) * w + x];
        }
    }
}

static inline float luma01(const uint8_t *p) { return (0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2]) * (1.0f / 255.0f); }

/* Scales the mh rows of A up to full width once (the gathers), so each
 * output row is then a plain vertical blend of two of them. */
VB_CLONES static void widen_rows(const float *A, int mw, int mh, float *out, int w, const columns *c)
{
    for (int y = 0; y < mh; y++) {
        const float *r = A + (size_t)y * mw;
        float *o = out + (size_t)y * w;
        for (int x = 0; x < w; x++) o[x] = r[c->x0[x]] + (r[c->x1[x]] - r[c->x0[x]]) * ((float)c->wx[x] * (1.0f / 256.0f));
    }
}

VB_CLONES static void guided_apply(const float *Aw, const float *Bw, int mh, const uint8_t *rgba, uint8_t *alpha, int w, int h, float low, float high)
{
    const float inv_span = 1.0f / (high - low);
    for (int y = 0; y < h; y++) {
        float fy = ((float)y + 0.5f) * (float)mh / (float)h - 0.5f;
        if (fy < 0) fy = 0;
        int y0 = (int)fy;
        int y1 = y0 + 1 < mh ? y0 + 1 : mh - 1;
        float wy = fy - (float)y0;
        const float *a0 = Aw + (size_t)y0 * w, *a1 = Aw + (size_t)y1 * w, *b0 = Bw + (size_t)y0 * w, *b1 = Bw + (size_t)y1 * w;
        const uint8_t *p = rgba + (size_t)y * w * 4;
        uint8_t *d = alpha + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            float a = a0[x] + (a1[x] - a0[x]) * wy;
            float b = b0[x] + (b1[x] - b0[x]) * wy;
            float luma = (0.299f * p[x * 4] + 0.587f * p[x * 4 + 1] + 0.114f * p[x * 4 + 2]) * (1.0f / 255.0f);
            /* smoothstep between low and high: a crisp edge without a hard, aliased one */
            float t = (a * luma + b - low) * inv_span;
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            d[x] = (uint8_t)(t * t * (3.0f - 2.0f * t) * 255.0f + 0.5f);
        }
    }
}

/* fxGuidedAlpha(mask: Float32Array, mw, mh, rgba: Uint8Array, w, h, alpha: Uint8Array, radius, eps, low, high) */
napi_value vb_fx_guided_alpha(napi_env env, napi_callback_info info)
{
    vb_args a;
    float *mask;
    size_t mask_count, rgba_len, alpha_len;
    uint8_t *rgba, *alpha;
    int32_t mw, mh, w, h, r;
    double eps, low, high;
    if (vb_get_args(env, info, &a, 11) != 0 || vb_arg_floats(env, a.values[0], &mask, &mask_count) != 0 || vb_arg_int32(env, a.values[1], &mw) != 0 ||
        vb_arg_int32(env, a.values[2], &mh) != 0 || vb_arg_bytes(env, a.values[3], &rgba, &rgba_len) != 0 || vb_arg_int32(env, a.values[4], &w) != 0 ||
        vb_arg_int32(env, a.values[5], &h) != 0 || vb_arg_bytes(env, a.values[6], &alpha, &alpha_len) != 0 || vb_arg_int32(env, a.values[7], &r) != 0 ||
        napi_get_value_double(env, a.values[8], &eps) != napi_ok || napi_get_value_double(env, a.values[9], &low) != napi_ok ||
        napi_get_value_double(env, a.values[10], &high) != napi_ok)
        return NULL;
    if (!(low >= 0 && low < high && high <= 1)) return vb_throw_type(env, "need 0 <= low < high <= 1");
    if (!size_ok(mw, mh) || !size_ok(w, h) || mask_count < (size_t)mw * mh || rgba_len < (size_t)w * h * 4 || alpha_len < (size_t)w * h || r < 1 || r > 64 || !(eps > 0)) {
        return vb_throw_type(env, "guided filter buffers smaller than their sizes, or a bad radius or eps");
    }
    if (w < mw || h < mh) return vb_throw_type(env, "the picture must be at least as large as the mask");
    const size_t n = (size_t)mw * mh;
    float *buf = malloc(sizeof(float) * n * 9 + sizeof(float) * (size_t)mh * w * 2);
    columns c;
    if (!buf || columns_make(&c, mw, w) != 0) {
        free(buf);
        return vb_throw_errno(env, "malloc", 12);
    }
    float *I = buf, *II = I + n, *Ip = II + n, *mI = Ip + n, *mp = mI + n, *mII = mp + n, *mIp = mII + n, *tmp = mIp + n, *A = tmp + n;
    float *B = II, *Aw = A + n, *Bw = Aw + (size_t)mh * w; /* B reuses II once it is consumed */
    /* the guide at the mask's resolution: mean luma of the pixels each mask cell covers (box downscale) */
    for (int y = 0; y < mh; y++) {
        int ys = (int)((long long)y * h / mh), ye = (int)((long long)(y + 1) * h / mh);
        for (int x = 0; x < mw; x++) {
            int xs = (int)((long long)x * w / mw), xe = (int)((long long)(x + 1) * w / mw);
            float sum = 0;
            int cnt = 0;
            for (int yy = ys; yy < ye; yy += 2)
                for (int xx = xs; xx < xe; xx += 2, cnt++) sum += luma01(rgba + ((size_t)yy * w + xx) * 4);
            I[(size_t)y * mw + x] = cnt ? sum / (float)cnt : 0;
        }
    }
    for (size_t i = 0; i < n; i++) {
        II[i] = I[i] * I[i];
        Ip[i] = I[i] * mask[i];
    }
    box_mean(I, mI, tmp, mw, mh, r);
    box_mean(mask, mp, tmp, mw, mh, r);
    box_mean(II, mII, tmp, mw, mh, r);
    box_mean(Ip, mIp, tmp, mw, mh, r);
    for (size_t i = 0; i < n; i++) {
        float var = mII[i] - mI[i] * mI[i];
        float cov = mIp[i] - mI[i] * mp[i];
        float ai = cov / (var + (float)eps);
        Ip[i] = ai;                  /* a */
        II[i] = mp[i] - ai * mI[i];  /* b */
    }
    box_mean(Ip, A, tmp, mw, mh, r);
    box_mean(II, mI, tmp, mw, mh, r); /* mean b, into mI (free now) */
    memcpy(B, mI, sizeof(float) * n);
    widen_rows(A, mw, mh, Aw, w, &c);
    widen_rows(B, mw, mh, Bw, w, &c);
    guided_apply(Aw, Bw, mh, rgba, alpha, w, h, (float)low, (float)high);
    free(c.x0);
    free(buf);
    return NULL;
}

/* fxLevels(rgba: Uint8Array, pixels, lut: Uint8Array(256)): applies a
 * brightness/contrast curve (computed in TypeScript) to R, G and B. */
VB_CLONES static void levels(uint8_t *p, size_t pixels, const uint8_t *lut)
{
    for (size_t i = 0; i < pixels; i++) {
        p[i * 4] = lut[p[i * 4]];
        p[i * 4 + 1] = lut[p[i * 4 + 1]];
        p[i * 4 + 2] = lut[p[i * 4 + 2]];
    }
}

napi_value vb_fx_levels(napi_env env, napi_callback_info info)
{
    vb_args a;
    uint8_t *rgba, *lut;
    size_t len, lut_len;
    int64_t pixels;
    if (vb_get_args(env, info, &a, 3) != 0 || vb_arg_bytes(env, a.values[0], &rgba, &len) != 0 || vb_arg_int64(env, a.values[1], &pixels) != 0 ||
        vb_arg_bytes(env, a.values[2], &lut, &lut_len) != 0)
        return NULL;
    if (pixels < 0 || (uint64_t)pixels * 4 > len || lut_len < 256) return vb_throw_type(env, "levels buffers smaller than their sizes");
    levels(rgba, (size_t)pixels, lut);
    return NULL;
}
