/* Pixel conversion and scaling kernels (see pixels.h).
 *
 * Colour maths is BT.601 limited range in integer arithmetic, the same
 * formulas as src/video/yuv.ts, so TypeScript can predict every output
 * byte. Loops are written plainly so the compiler vectorises them; on
 * x86-64 the hot functions are built twice (AVX2 and baseline SSE2) and
 * the loader picks one for the CPU (target_clones). */
#include "pixels.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vectorize.h"

#define VB_MAX_SIDE 16384

/* ---- format geometry ---------------------------------------------------- */

int vb_pixel_planes(int format)
{
    switch (format) {
    case VB_NV12: return 2;
    case VB_I420: return 3;
    case VB_RGBA: case VB_BGRA: case VB_RGB24: case VB_BGR24:
    case VB_YUYV: case VB_UYVY: case VB_GRAY8: return 1;
    default: return 0;
    }
}

static void plane_geometry(int format, int w, int h, int plane, size_t *row_bytes, int *rows)
{
    *rows = h;
    switch (format) {
    case VB_RGBA: case VB_BGRA: *row_bytes = (size_t)w * 4; return;
    case VB_RGB24: case VB_BGR24: *row_bytes = (size_t)w * 3; return;
    case VB_YUYV: case VB_UYVY: *row_bytes = (size_t)w * 2; return;
    case VB_GRAY8: *row_bytes = (size_t)w; return;
    case VB_NV12: *row_bytes = (size_t)w; *rows = plane == 0 ? h : h / 2; return;
    default: /* I420 */ *row_bytes = plane == 0 ? (size_t)w : (size_t)w / 2; *rows = plane == 0 ? h : h / 2; return;
    }
}

const char *vb_image_check(const vb_image *img, size_t length)
{
    int planes = vb_pixel_planes(img->format);
    if (planes == 0) return "unknown pixel format code";
    if (img->width < 1 || img->height < 1 || img->width > VB_MAX_SIDE || img->height > VB_MAX_SIDE) return "size out of range";
    bool even_w = img->format == VB_YUYV || img->format == VB_UYVY || img->format == VB_NV12 || img->format == VB_I420;
    bool even_h = img->format == VB_NV12 || img->format == VB_I420;
    if ((even_w && (img->width & 1)) || (even_h && (img->height & 1))) return "odd size for a subsampled format";
    for (int i = 0; i < planes; i++) {
        size_t row_bytes;
        int rows;
        plane_geometry(img->format, img->width, img->height, i, &row_bytes, &rows);
        if (img->offset[i] < 0 || img->stride[i] < 0 || (size_t)img->stride[i] < row_bytes) return "bad plane offset or stride";
        unsigned long long end = (unsigned long long)img->offset[i] + (unsigned long long)img->stride[i] * (unsigned)(rows - 1) + row_bytes;
        if (end > length) return "plane extends past the end of the buffer";
    }
    return NULL;
}

static inline uint8_t *row_at(const vb_image *img, int plane, int row)
{
    return img->data + img->offset[plane] + (size_t)row * (size_t)img->stride[plane];
}

static bool is_rgb(int f) { return f == VB_RGBA || f == VB_BGRA || f == VB_RGB24 || f == VB_BGR24; }
static bool is_yuv_target(int f) { return f == VB_YUYV || f == VB_UYVY || f == VB_NV12 || f == VB_I420; }
static bool is_bgr(int f) { return f == VB_BGRA || f == VB_BGR24; }
static int rgb_bpp(int f) { return f == VB_RGBA || f == VB_BGRA ? 4 : 3; }

static void rgb_offsets(int format, int *ro, int *go, int *bo, int *bpp)
{
    *ro = is_bgr(format) ? 2 : 0;
    *go = 1;
    *bo = 2 - *ro;
    *bpp = rgb_bpp(format);
}

/* Where luma and chroma of column x of a 4:2:2 row live. */
static inline void packed_422_offsets(int format, int *yo, int *uo, int *vo)
{
    *yo = format == VB_UYVY ? 1 : 0;
    *uo = format == VB_UYVY ? 0 : 1;
    *vo = format == VB_UYVY ? 2 : 3;
}

/* ---- colour maths (mirrored in src/video/yuv.ts) ------------------------ */

static inline uint8_t luma(int r, int g, int b) { return (uint8_t)(((66 * r + 129 * g + 25 * b + 128) >> 8) + 16); }
/* Cb and Cr of the sum of 2^shift pixels: averaging and converting in one step. */
static inline uint8_t cb_of(int r, int g, int b, int shift) { return (uint8_t)(((-38 * r - 74 * g + 112 * b + (128 << shift)) >> (8 + shift)) + 128); }
static inline uint8_t cr_of(int r, int g, int b, int shift) { return (uint8_t)(((112 * r - 94 * g - 18 * b + (128 << shift)) >> (8 + shift)) + 128); }
static inline uint8_t clamp255(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

/* ---- same size, packed RGB to YUV: the daemon's hot path ---------------- */

static inline void rgb_to_422_row(const uint8_t *restrict s, uint8_t *restrict d, int w, int ro, int go, int bo, int bpp, bool uyvy)
{
    const int y0 = uyvy ? 1 : 0, u = uyvy ? 0 : 1, y1 = uyvy ? 3 : 2, v = uyvy ? 2 : 3;
    for (int x = 0; x < w; x += 2, s += 2 * bpp, d += 4) {
        int r0 = s[ro], g0 = s[go], b0 = s[bo], r1 = s[bpp + ro], g1 = s[bpp + go], b1 = s[bpp + bo];
        d[y0] = luma(r0, g0, b0);
        d[y1] = luma(r1, g1, b1);
        d[u] = cb_of(r0 + r1, g0 + g1, b0 + b1, 1);
        d[v] = cr_of(r0 + r1, g0 + g1, b0 + b1, 1);
    }
}

static inline void rgb_to_420_rows(const uint8_t *restrict s0, const uint8_t *restrict s1, uint8_t *restrict y0, uint8_t *restrict y1,
                                   uint8_t *restrict c1, uint8_t *restrict c2, int w, int ro, int go, int bo, int bpp, bool nv12)
{
    /* j counts chroma samples: indexing by it (not x >> 1) lets the loop vectorise. */
    for (int j = 0; j < w / 2; j++) {
        const uint8_t *a = s0 + 2 * j * bpp, *b = a + bpp, *c = s1 + 2 * j * bpp, *e = c + bpp;
        y0[2 * j] = luma(a[ro], a[go], a[bo]);
        y0[2 * j + 1] = luma(b[ro], b[go], b[bo]);
        y1[2 * j] = luma(c[ro], c[go], c[bo]);
        y1[2 * j + 1] = luma(e[ro], e[go], e[bo]);
        int r = a[ro] + b[ro] + c[ro] + e[ro], g = a[go] + b[go] + c[go] + e[go], bl = a[bo] + b[bo] + c[bo] + e[bo];
        if (nv12) {
            c1[2 * j] = cb_of(r, g, bl, 2);
            c1[2 * j + 1] = cr_of(r, g, bl, 2);
        } else {
            c1[j] = cb_of(r, g, bl, 2);
            c2[j] = cr_of(r, g, bl, 2);
        }
    }
}

/* One specialised loop per (channel order, pixel size, target): constant
 * offsets let the compiler vectorise. `bgr` is the source's order. */
VB_CLONES static void rgb_row_to_422(const uint8_t *sr, uint8_t *dr, int w, bool bgr, int bpp, bool uyvy)
{
    int k = (bgr ? 1 : 0) | (bpp == 4 ? 2 : 0) | (uyvy ? 4 : 0);
    switch (k) {
    case 0: rgb_to_422_row(sr, dr, w, 0, 1, 2, 3, false); break;
    case 1: rgb_to_422_row(sr, dr, w, 2, 1, 0, 3, false); break;
    case 2: rgb_to_422_row(sr, dr, w, 0, 1, 2, 4, false); break;
    case 3: rgb_to_422_row(sr, dr, w, 2, 1, 0, 4, false); break;
    case 4: rgb_to_422_row(sr, dr, w, 0, 1, 2, 3, true); break;
    case 5: rgb_to_422_row(sr, dr, w, 2, 1, 0, 3, true); break;
    case 6: rgb_to_422_row(sr, dr, w, 0, 1, 2, 4, true); break;
    default: rgb_to_422_row(sr, dr, w, 2, 1, 0, 4, true); break;
    }
}

VB_CLONES static void rgb_rows_to_420(const uint8_t *s0, const uint8_t *s1, uint8_t *y0, uint8_t *y1, uint8_t *c1, uint8_t *c2, int w, bool bgr, int bpp, bool nv12)
{
    int k = (bgr ? 1 : 0) | (bpp == 4 ? 2 : 0) | (nv12 ? 4 : 0);
    switch (k) {
    case 0: rgb_to_420_rows(s0, s1, y0, y1, c1, c2, w, 0, 1, 2, 3, false); break;
    case 1: rgb_to_420_rows(s0, s1, y0, y1, c1, c2, w, 2, 1, 0, 3, false); break;
    case 2: rgb_to_420_rows(s0, s1, y0, y1, c1, c2, w, 0, 1, 2, 4, false); break;
    case 3: rgb_to_420_rows(s0, s1, y0, y1, c1, c2, w, 2, 1, 0, 4, false); break;
    case 4: rgb_to_420_rows(s0, s1, y0, y1, c1, c2, w, 0, 1, 2, 3, true); break;
    case 5: rgb_to_420_rows(s0, s1, y0, y1, c1, c2, w, 2, 1, 0, 3, true); break;
    case 6: rgb_to_420_rows(s0, s1, y0, y1, c1, c2, w, 0, 1, 2, 4, true); break;
    default: rgb_to_420_rows(s0, s1, y0, y1, c1, c2, w, 2, 1, 0, 4, true); break;
    }
}


/* Converts `rows` rows of packed RGB, handed out by `row_of`, into a YUV
 * target: the same-size path reads the source's rows, the scaling path
 * rows it has sampled. */
typedef const uint8_t *(*rgb_row_fn)(void *ctx, int y);

static void rgb_to_yuv_image(rgb_row_fn row_of, void *ctx, bool bgr, int bpp, const vb_image *d)
{
    if (d->format == VB_YUYV || d->format == VB_UYVY) {
        for (int y = 0; y < d->height; y++) rgb_row_to_422(row_of(ctx, y), row_at(d, 0, y), d->width, bgr, bpp, d->format == VB_UYVY);
        return;
    }
    bool nv12 = d->format == VB_NV12;
    for (int y = 0; y < d->height; y += 2) {
        const uint8_t *s0 = row_of(ctx, y), *s1 = row_of(ctx, y + 1);
        rgb_rows_to_420(s0, s1, row_at(d, 0, y), row_at(d, 0, y + 1), row_at(d, 1, y / 2), nv12 ? NULL : row_at(d, 2, y / 2), d->width, bgr, bpp, nv12);
    }
}

static const uint8_t *source_row_same_size(void *ctx, int y) { return row_at(ctx, 0, y); }

/* ---- same size, YUV to YUV: luma is copied, chroma resampled ----------
 * A pair of rows is read into full-width luma and half-width chroma for
 * each row (4:2:0 sources give both rows the same chroma), then written in
 * the target's packing (4:2:0 targets average the two rows' chroma). */

typedef struct {
    const uint8_t *y[2];
    const uint8_t *u[2], *v[2];
} yuv_pair;

static inline void split_422_fixed(const uint8_t *restrict p, int w, int yo, int uo, int vo, uint8_t *restrict Y, uint8_t *restrict U, uint8_t *restrict V)
{
    for (int j = 0; j < w / 2; j++) {
        Y[2 * j] = p[4 * j + yo];
        Y[2 * j + 1] = p[4 * j + yo + 2];
        U[j] = p[4 * j + uo];
        V[j] = p[4 * j + vo];
    }
}

VB_CLONES static void split_422(const uint8_t *restrict p, int w, int yo, int uo, int vo, uint8_t *restrict Y, uint8_t *restrict U, uint8_t *restrict V)
{
    if (yo == 0) split_422_fixed(p, w, 0, 1, 3, Y, U, V);
    else split_422_fixed(p, w, 1, 0, 2, Y, U, V);
}

VB_CLONES static void split_pairs(const uint8_t *restrict p, int n, uint8_t *restrict U, uint8_t *restrict V)
{
    for (int j = 0; j < n; j++) {
        U[j] = p[2 * j];
        V[j] = p[2 * j + 1];
    }
}

static inline void join_422_fixed(const uint8_t *restrict Y, const uint8_t *restrict U, const uint8_t *restrict V, int w, int yo, int uo, int vo, uint8_t *restrict p)
{
    for (int j = 0; j < w / 2; j++) {
        p[4 * j + yo] = Y[2 * j];
        p[4 * j + yo + 2] = Y[2 * j + 1];
        p[4 * j + uo] = U[j];
        p[4 * j + vo] = V[j];
    }
}

/* Packs planar rows into YUYV (yo 0) or UYVY (yo 1); constant offsets per case so it vectorises. */
VB_CLONES static void join_422(const uint8_t *restrict Y, const uint8_t *restrict U, const uint8_t *restrict V, int w, int yo, int uo, int vo, uint8_t *restrict p)
{
    if (yo == 0) join_422_fixed(Y, U, V, w, 0, 1, 3, p);
    else join_422_fixed(Y, U, V, w, 1, 0, 2, p);
}

VB_CLONES static void average_rows(const uint8_t *restrict a, const uint8_t *restrict b, int n, uint8_t *restrict out)
{
    for (int j = 0; j < n; j++) out[j] = (uint8_t)((a[j] + b[j] + 1) >> 1);
}

VB_CLONES static void join_pairs(const uint8_t *restrict U, const uint8_t *restrict V, int n, uint8_t *restrict p)
{
    for (int j = 0; j < n; j++) {
        p[2 * j] = U[j];
        p[2 * j + 1] = V[j];
    }
}

/* Reads rows y and y + 1 (or only y when `both` is false) of a YUV source;
 * scratch holds what has to be unpacked: 2 x w luma, 4 x w/2 chroma. */
static yuv_pair read_yuv_rows(const vb_image *s, int y, bool both, uint8_t *scratch)
{
    const int w = s->width, h = w / 2;
    yuv_pair r;
    if (s->format == VB_YUYV || s->format == VB_UYVY) {
        int yo, uo, vo;
        packed_422_offsets(s->format, &yo, &uo, &vo);
        for (int i = 0; i < (both ? 2 : 1); i++) {
            uint8_t *Y = scratch + (size_t)i * w, *U = scratch + 2 * (size_t)w + (size_t)i * w, *V = U + h;
            split_422(row_at(s, 0, y + i), w, yo, uo, vo, Y, U, V);
            r.y[i] = Y, r.u[i] = U, r.v[i] = V;
        }
        if (!both) r.y[1] = r.y[0], r.u[1] = r.u[0], r.v[1] = r.v[0];
        return r;
    }
    r.y[0] = row_at(s, 0, y);
    r.y[1] = both ? row_at(s, 0, y + 1) : r.y[0];
    if (s->format == VB_NV12) {
        uint8_t *U = scratch + 2 * (size_t)w, *V = U + h;
        split_pairs(row_at(s, 1, y / 2), h, U, V);
        r.u[0] = r.u[1] = U;
        r.v[0] = r.v[1] = V;
    } else {
        r.u[0] = r.u[1] = row_at(s, 1, y / 2);
        r.v[0] = r.v[1] = row_at(s, 2, y / 2);
    }
    return r;
}

static int direct_yuv_to_yuv(const vb_image *s, const vb_image *d)
{
    const int w = d->width, h = w / 2;
    uint8_t *scratch = malloc((size_t)w * 5);
    if (!scratch) return -1;
    uint8_t *avg_u = scratch + 4 * (size_t)w, *avg_v = avg_u + h;
    bool target_420 = d->format == VB_NV12 || d->format == VB_I420;
    for (int y = 0; y < d->height; y += target_420 ? 2 : 1) {
        /* a 4:2:0 source is read one row at a time for a 4:2:2 target */
        yuv_pair r = read_yuv_rows(s, y, target_420, scratch);
        if (!target_420) {
            int yo, uo, vo;
            packed_422_offsets(d->format, &yo, &uo, &vo);
            join_422(r.y[0], r.u[0], r.v[0], w, yo, uo, vo, row_at(d, 0, y));
            continue;
        }
        const uint8_t *u = r.u[0], *v = r.v[0];
        if (r.u[0] != r.u[1]) {
            average_rows(r.u[0], r.u[1], h, avg_u);
            average_rows(r.v[0], r.v[1], h, avg_v);
            u = avg_u, v = avg_v;
        }
        memcpy(row_at(d, 0, y), r.y[0], (size_t)w);
        memcpy(row_at(d, 0, y + 1), r.y[1], (size_t)w);
        if (d->format == VB_NV12) {
            join_pairs(u, v, h, row_at(d, 1, y / 2));
        } else {
            memcpy(row_at(d, 1, y / 2), u, (size_t)h);
            memcpy(row_at(d, 2, y / 2), v, (size_t)h);
        }
    }
    free(scratch);
    return 0;
}

/* ---- same size, YUV to packed RGB: a row at a time, chroma shared by pairs */

static inline void yuv_row_to_rgb_fixed(const uint8_t *restrict Y, const uint8_t *restrict U, const uint8_t *restrict V, uint8_t *restrict d, int w, int ro, int go, int bo, int bpp)
{
    /* pixel pairs share their chroma: indexing by the pair (not x >> 1) lets the loop vectorise */
    for (int j = 0; j < w / 2; j++) {
        int cb = U[j] - 128, cr = V[j] - 128;
        int rc = 409 * cr + 128, gc = -100 * cb - 208 * cr + 128, bc = 516 * cb + 128;
        for (int k = 0; k < 2; k++) {
            int x = 2 * j + k, y = 298 * (Y[x] - 16);
            d[x * bpp + ro] = clamp255((y + rc) >> 8);
            d[x * bpp + go] = clamp255((y + gc) >> 8);
            d[x * bpp + bo] = clamp255((y + bc) >> 8);
            if (bpp == 4) d[x * 4 + 3] = 255;
        }
    }
}

VB_CLONES static void yuv_row_to_rgb(const uint8_t *Y, const uint8_t *U, const uint8_t *V, uint8_t *d, int w, bool bgr, int bpp)
{
    int k = (bgr ? 1 : 0) | (bpp == 4 ? 2 : 0);
    switch (k) {
    case 0: yuv_row_to_rgb_fixed(Y, U, V, d, w, 0, 1, 2, 3); break;
    case 1: yuv_row_to_rgb_fixed(Y, U, V, d, w, 2, 1, 0, 3); break;
    case 2: yuv_row_to_rgb_fixed(Y, U, V, d, w, 0, 1, 2, 4); break;
    default: yuv_row_to_rgb_fixed(Y, U, V, d, w, 2, 1, 0, 4); break;
    }
}

static int direct_yuv_to_rgb(const vb_image *s, const vb_image *d)
{
    uint8_t *scratch = malloc((size_t)s->width * 5);
    if (!scratch) return -1;
    bool bgr = d->format == VB_BGRA || d->format == VB_BGR24;
    int bpp = d->format == VB_RGBA || d->format == VB_BGRA ? 4 : 3;
    for (int y = 0; y < d->height; y++) {
        /* 4:2:0 sources: row y reads chroma row y/2; the pair helper is given one row */
        yuv_pair r = read_yuv_rows(s, y, false, scratch);
        yuv_row_to_rgb(r.y[0], r.u[0], r.v[0], row_at(d, 0, y), d->width, bgr, bpp);
    }
    free(scratch);
    return 0;
}

static void copy_planes(const vb_image *s, const vb_image *d)
{
    for (int i = 0; i < vb_pixel_planes(s->format); i++) {
        size_t row_bytes;
        int rows;
        plane_geometry(s->format, s->width, s->height, i, &row_bytes, &rows);
        for (int y = 0; y < rows; y++) memcpy(row_at(d, i, y), row_at(s, i, y), row_bytes);
    }
}

/* ---- scaling YUV to YUV: planes scaled apart, chroma at its own resolution
 * Luma is sampled per output pixel, chroma once per output chroma sample,
 * so nothing is converted to RGB or 4:4:4 and back. Needs a box with even
 * position and size (src/video/convert.ts makes it so). */

static bool yuv_box_ok(const vb_image *d, vb_box box)
{
    bool v420 = d->format == VB_NV12 || d->format == VB_I420;
    return !(box.x & 1) && !(box.w & 1) && (!v420 || (!(box.y & 1) && !(box.h & 1)));
}

/* Luma of source row sy at columns xs[0..n). */
VB_CLONES static void gather_luma(const vb_image *s, int sy, const int32_t *xs, int n, uint8_t *restrict Y)
{
    const uint8_t *row = row_at(s, 0, sy);
    if (s->format == VB_YUYV || s->format == VB_UYVY) {
        int yo = s->format == VB_UYVY ? 1 : 0;
        for (int i = 0; i < n; i++) Y[i] = row[(xs[i] >> 1) * 4 + yo + (xs[i] & 1) * 2];
    } else {
        for (int i = 0; i < n; i++) Y[i] = row[xs[i]];
    }
}

/* Chroma of source row sy (a luma row index) at chroma columns cx[0..n). */
VB_CLONES static void gather_chroma(const vb_image *s, int sy, const int32_t *cx, int n, uint8_t *restrict U, uint8_t *restrict V)
{
    if (s->format == VB_YUYV || s->format == VB_UYVY) {
        int yo, uo, vo;
        packed_422_offsets(s->format, &yo, &uo, &vo);
        const uint8_t *row = row_at(s, 0, sy);
        for (int j = 0; j < n; j++) {
            U[j] = row[cx[j] * 4 + uo];
            V[j] = row[cx[j] * 4 + vo];
        }
    } else if (s->format == VB_NV12) {
        const uint8_t *c = row_at(s, 1, sy / 2);
        for (int j = 0; j < n; j++) {
            U[j] = c[2 * cx[j]];
            V[j] = c[2 * cx[j] + 1];
        }
    } else {
        const uint8_t *cu = row_at(s, 1, sy / 2), *cv = row_at(s, 2, sy / 2);
        for (int j = 0; j < n; j++) {
            U[j] = cu[cx[j]];
            V[j] = cv[cx[j]];
        }
    }
}

static int source_row(const vb_image *s, vb_box box, int y)
{
    int sy = (int)(((2LL * (y - box.y) + 1) * s->height) / (2LL * box.h));
    return sy < s->height ? sy : s->height - 1;
}

static void source_columns(const vb_image *s, vb_box box, int32_t *xs)
{
    for (int i = 0; i < box.w; i++) {
        int sx = (int)(((2LL * i + 1) * s->width) / (2LL * box.w));
        xs[i] = sx < s->width ? sx : s->width - 1;
    }
}

static int scaled_yuv_to_yuv(const vb_image *s, const vb_image *d, vb_box box)
{
    const size_t w = (size_t)d->width, h = w / 2;
    uint8_t *mem = malloc(w * 2 + h * 2 + (size_t)box.w * sizeof(int32_t) * 2);
    if (!mem) return -1;
    uint8_t *Y0 = mem, *Y1 = mem + w, *U = mem + 2 * w, *V = U + h;
    int32_t *xs = (int32_t *)(V + h), *cx = xs + box.w;
    source_columns(s, box, xs);
    for (int j = 0; j < box.w / 2; j++) cx[j] = xs[2 * j] >> 1;
    /* black everywhere; the box part is overwritten row by row */
    memset(Y0, 16, w);
    memset(Y1, 16, w);
    memset(U, 128, h);
    memset(V, 128, h);
    const bool v420 = d->format == VB_NV12 || d->format == VB_I420;
    int yo, uo, vo;
    packed_422_offsets(d->format, &yo, &uo, &vo);
    for (int y = 0; y < d->height; y += v420 ? 2 : 1) {
        bool inside = y >= box.y && y < box.y + box.h; /* row pairs never straddle the box edge */
        if (inside) {
            int sy = source_row(s, box, y);
            gather_luma(s, sy, xs, box.w, Y0 + box.x);
            gather_chroma(s, sy, cx, box.w / 2, U + box.x / 2, V + box.x / 2);
            if (v420) gather_luma(s, source_row(s, box, y + 1), xs, box.w, Y1 + box.x);
        } else {
            memset(Y0 + box.x, 16, (size_t)box.w);
            memset(Y1 + box.x, 16, (size_t)box.w);
            memset(U + box.x / 2, 128, (size_t)box.w / 2);
            memset(V + box.x / 2, 128, (size_t)box.w / 2);
        }
        if (!v420) {
            join_422(Y0, U, V, d->width, yo, uo, vo, row_at(d, 0, y));
            continue;
        }
        memcpy(row_at(d, 0, y), Y0, w);
        memcpy(row_at(d, 0, y + 1), Y1, w);
        if (d->format == VB_NV12) join_pairs(U, V, (int)h, row_at(d, 1, y / 2));
        else {
            memcpy(row_at(d, 1, y / 2), U, h);
            memcpy(row_at(d, 2, y / 2), V, h);
        }
    }
    free(mem);
    return 0;
}

/* ---- scaling packed RGB to YUV: sample whole pixels, then convert -------
 * Each output row is sampled into a 4-byte-per-pixel row in the source's
 * channel order (black in the bars), then the same vectorised row kernels
 * as the same-size path convert it. Two rows are cached (4:2:0 targets
 * read them in pairs). */

typedef struct {
    const vb_image *src;
    vb_box box;
    const int32_t *xs;
    uint8_t *rows[2];
} rgb_sampler;

VB_CLONES static void gather_rgb(const uint8_t *row, const int32_t *xs, int n, int bpp, uint8_t *restrict out)
{
    if (bpp == 4) {
        for (int i = 0; i < n; i++) memcpy(out + 4 * i, row + 4 * xs[i], 4);
        return;
    }
    for (int i = 0; i < n; i++) {
        const uint8_t *p = row + 3 * xs[i];
        out[4 * i] = p[0];
        out[4 * i + 1] = p[1];
        out[4 * i + 2] = p[2];
        out[4 * i + 3] = 255;
    }
}

static const uint8_t *sampled_rgb_row(void *ctx, int y)
{
    rgb_sampler *k = ctx;
    uint8_t *out = k->rows[y & 1];
    uint8_t *inner = out + (size_t)k->box.x * 4;
    if (y < k->box.y || y >= k->box.y + k->box.h) memset(inner, 0, (size_t)k->box.w * 4);
    else gather_rgb(row_at(k->src, 0, source_row(k->src, k->box, y)), k->xs, k->box.w, rgb_bpp(k->src->format), inner);
    return out;
}

static int scaled_rgb_to_yuv(const vb_image *s, const vb_image *d, vb_box box)
{
    const size_t w = (size_t)d->width;
    uint8_t *mem = calloc(1, w * 8 + (size_t)box.w * sizeof(int32_t)); /* zero: black bars */
    if (!mem) return -1;
    int32_t *xs = (int32_t *)(mem + w * 8);
    source_columns(s, box, xs);
    rgb_sampler k = {.src = s, .box = box, .xs = xs, .rows = {mem, mem + w * 4}};
    rgb_to_yuv_image(sampled_rgb_row, &k, is_bgr(s->format), 4, d);
    free(mem);
    return 0;
}

/* ---- the general path: sample into a canonical row, then pack ------------
 * Each output row is first sampled (nearest neighbour) into full-width
 * 4:4:4 rows: Y, U, V planes for YUV targets, RGBA for the others. The
 * letterbox bars are black in those rows and never overwritten. Packing
 * then subsamples chroma for the target. */

typedef struct {
    uint8_t *y, *u, *v; /* 4:4:4 YUV rows, dst width each */
    uint8_t *rgba;      /* RGBA row, 4 x dst width */
} canon_row;



VB_CLONES static void sample_yuv(const vb_image *s, int sy, const int32_t *xs, int n, uint8_t *Y, uint8_t *U, uint8_t *V)
{
    const uint8_t *row = row_at(s, 0, sy);
    switch (s->format) {
    case VB_YUYV: case VB_UYVY: {
        int yo, uo, vo;
        packed_422_offsets(s->format, &yo, &uo, &vo);
        for (int i = 0; i < n; i++) {
            const uint8_t *p = row + (xs[i] >> 1) * 4;
            Y[i] = p[yo + (xs[i] & 1) * 2];
            U[i] = p[uo];
            V[i] = p[vo];
        }
        return;
    }
    case VB_NV12: {
        const uint8_t *c = row_at(s, 1, sy / 2);
        for (int i = 0; i < n; i++) {
            Y[i] = row[xs[i]];
            U[i] = c[xs[i] & ~1];
            V[i] = c[(xs[i] & ~1) + 1];
        }
        return;
    }
    case VB_I420: {
        const uint8_t *cu = row_at(s, 1, sy / 2), *cv = row_at(s, 2, sy / 2);
        for (int i = 0; i < n; i++) {
            Y[i] = row[xs[i]];
            U[i] = cu[xs[i] >> 1];
            V[i] = cv[xs[i] >> 1];
        }
        return;
    }
    case VB_GRAY8:
        for (int i = 0; i < n; i++) {
            int g = row[xs[i]];
            Y[i] = luma(g, g, g);
            U[i] = V[i] = 128;
        }
        return;
    default: {
        int ro, go, bo, bpp;
        rgb_offsets(s->format, &ro, &go, &bo, &bpp);
        for (int i = 0; i < n; i++) {
            const uint8_t *p = row + xs[i] * bpp;
            Y[i] = luma(p[ro], p[go], p[bo]);
            U[i] = cb_of(p[ro], p[go], p[bo], 0);
            V[i] = cr_of(p[ro], p[go], p[bo], 0);
        }
        return;
    }
    }
}

VB_CLONES static void yuv_to_rgba(const uint8_t *Y, const uint8_t *U, const uint8_t *V, int n, uint8_t *out)
{
    for (int i = 0; i < n; i++, out += 4) {
        int y = 298 * (Y[i] - 16), d = U[i] - 128, e = V[i] - 128;
        out[0] = clamp255((y + 409 * e + 128) >> 8);
        out[1] = clamp255((y - 100 * d - 208 * e + 128) >> 8);
        out[2] = clamp255((y + 516 * d + 128) >> 8);
        out[3] = 255;
    }
}

static void sample_rgba(const vb_image *s, int sy, const int32_t *xs, int n, uint8_t *out, const canon_row *scratch)
{
    if (is_rgb(s->format) || s->format == VB_GRAY8) {
        const uint8_t *row = row_at(s, 0, sy);
        int ro, go, bo, bpp;
        if (s->format == VB_GRAY8) ro = go = bo = 0, bpp = 1;
        else rgb_offsets(s->format, &ro, &go, &bo, &bpp);
        for (int i = 0; i < n; i++, out += 4) {
            const uint8_t *p = row + xs[i] * bpp;
            out[0] = p[ro];
            out[1] = p[go];
            out[2] = p[bo];
            out[3] = 255;
        }
        return;
    }
    sample_yuv(s, sy, xs, n, scratch->y, scratch->u, scratch->v);
    yuv_to_rgba(scratch->y, scratch->u, scratch->v, n, out);
}

VB_CLONES static void pack_422(const canon_row *r, int w, int format, uint8_t *d)
{
    int yo, uo, vo;
    packed_422_offsets(format, &yo, &uo, &vo);
    for (int x = 0; x < w; x += 2, d += 4) {
        d[yo] = r->y[x];
        d[yo + 2] = r->y[x + 1];
        d[uo] = (uint8_t)((r->u[x] + r->u[x + 1] + 1) >> 1);
        d[vo] = (uint8_t)((r->v[x] + r->v[x + 1] + 1) >> 1);
    }
}

VB_CLONES static void pack_420(const canon_row *a, const canon_row *b, int w, bool nv12, uint8_t *y0, uint8_t *y1, uint8_t *c1, uint8_t *c2)
{
    memcpy(y0, a->y, (size_t)w);
    memcpy(y1, b->y, (size_t)w);
    for (int x = 0; x < w; x += 2) {
        uint8_t u = (uint8_t)((a->u[x] + a->u[x + 1] + b->u[x] + b->u[x + 1] + 2) >> 2);
        uint8_t v = (uint8_t)((a->v[x] + a->v[x + 1] + b->v[x] + b->v[x + 1] + 2) >> 2);
        if (nv12) {
            c1[x] = u;
            c1[x + 1] = v;
        } else {
            c1[x >> 1] = u;
            c2[x >> 1] = v;
        }
    }
}

VB_CLONES static void pack_rgb(const uint8_t *rgba, int w, int format, uint8_t *d)
{
    if (format == VB_RGBA) {
        memcpy(d, rgba, (size_t)w * 4);
        return;
    }
    if (format == VB_GRAY8) {
        /* The inverse of gray -> RGB (r = g = b): full-range BT.601 luma. */
        for (int x = 0; x < w; x++, rgba += 4) d[x] = (uint8_t)((77 * rgba[0] + 150 * rgba[1] + 29 * rgba[2] + 128) >> 8);
        return;
    }
    int ro, go, bo, bpp;
    rgb_offsets(format, &ro, &go, &bo, &bpp);
    for (int x = 0; x < w; x++, rgba += 4, d += bpp) {
        d[ro] = rgba[0];
        d[go] = rgba[1];
        d[bo] = rgba[2];
        if (bpp == 4) d[3] = rgba[3];
    }
}

static void fill_black(const canon_row *r, int from, int to, bool yuv)
{
    if (to <= from) return;
    if (yuv) {
        memset(r->y + from, 16, (size_t)(to - from));
        memset(r->u + from, 128, (size_t)(to - from));
        memset(r->v + from, 128, (size_t)(to - from));
        return;
    }
    for (int x = from; x < to; x++) {
        uint8_t *p = r->rgba + (size_t)x * 4;
        p[0] = p[1] = p[2] = 0;
        p[3] = 255;
    }
}

/* Fills canonical row `r` for output row `y`: the sampled source inside the
 * box, black elsewhere. */
static void canon_fill(const vb_image *s, const vb_image *d, vb_box box, const int32_t *xs, int y, const canon_row *r, const canon_row *scratch, bool yuv)
{
    if (y < box.y || y >= box.y + box.h) {
        fill_black(r, 0, d->width, yuv);
        return;
    }
    int sy = source_row(s, box, y);
    if (yuv) sample_yuv(s, sy, xs, box.w, r->y + box.x, r->u + box.x, r->v + box.x);
    else sample_rgba(s, sy, xs, box.w, r->rgba + (size_t)box.x * 4, scratch);
}

static int general_fit(const vb_image *s, const vb_image *d, vb_box box)
{
    const size_t w = (size_t)d->width;
    bool yuv = is_yuv_target(d->format);
    /* rows[0..1] are canonical rows (two for 4:2:0 targets), rows[2] is scratch */
    uint8_t *mem = malloc(w * 3 * 3 + w * 4 * 2 + (size_t)box.w * sizeof(int32_t));
    if (!mem) return -1;
    canon_row rows[3];
    for (int i = 0; i < 3; i++) {
        rows[i].y = mem + w * 3 * i;
        rows[i].u = rows[i].y + w;
        rows[i].v = rows[i].u + w;
    }
    rows[0].rgba = mem + w * 9;
    rows[1].rgba = rows[0].rgba + w * 4;
    rows[2].rgba = NULL;
    int32_t *xs = (int32_t *)(mem + w * 9 + w * 8);
    source_columns(s, box, xs);
    for (int i = 0; i < 2; i++) {
        fill_black(&rows[i], 0, box.x, yuv);
        fill_black(&rows[i], box.x + box.w, d->width, yuv);
    }
    const int step = d->format == VB_NV12 || d->format == VB_I420 ? 2 : 1;
    for (int y = 0; y < d->height; y += step) {
        canon_fill(s, d, box, xs, y, &rows[0], &rows[2], yuv);
        if (step == 2) {
            canon_fill(s, d, box, xs, y + 1, &rows[1], &rows[2], yuv);
            pack_420(&rows[0], &rows[1], d->width, d->format == VB_NV12, row_at(d, 0, y), row_at(d, 0, y + 1), row_at(d, 1, y / 2),
                     d->format == VB_NV12 ? NULL : row_at(d, 2, y / 2));
        } else if (yuv) {
            pack_422(&rows[0], d->width, d->format, row_at(d, 0, y));
        } else {
            pack_rgb(rows[0].rgba, d->width, d->format, row_at(d, 0, y));
        }
    }
    free(mem);
    return 0;
}

int vb_pixels_fit(const vb_image *src, const vb_image *dst, vb_box box)
{
    bool whole = box.x == 0 && box.y == 0 && box.w == dst->width && box.h == dst->height && src->width == dst->width && src->height == dst->height;
    if (whole && src->format == dst->format) {
        copy_planes(src, dst);
        return 0;
    }
    if (is_rgb(src->format) && is_yuv_target(dst->format)) {
        if (whole) {
            rgb_to_yuv_image(source_row_same_size, (void *)src, is_bgr(src->format), rgb_bpp(src->format), dst);
            return 0;
        }
        if (yuv_box_ok(dst, box)) return scaled_rgb_to_yuv(src, dst, box);
    }
    if (whole && is_yuv_target(src->format) && is_rgb(dst->format)) return direct_yuv_to_rgb(src, dst);
    if (is_yuv_target(src->format) && is_yuv_target(dst->format)) {
        if (whole) return direct_yuv_to_yuv(src, dst);
        if (yuv_box_ok(dst, box)) return scaled_yuv_to_yuv(src, dst, box);
    }
    return general_fit(src, dst, box);
}
