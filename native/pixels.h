/* Pixel conversion and scaling kernels. Pure C, no Node-API: the glue in
 * convert.c validates buffers and hands over checked images. These are
 * compute kernels, not policy: which conversion to run, and when, is
 * decided in TypeScript (src/video/). See docs/conventions.md for why
 * this part of the addon is not a syscall wrapper. */
#ifndef VIDBUS_PIXELS_H
#define VIDBUS_PIXELS_H

#include <stddef.h>
#include <stdint.h>

/* Format codes shared with src/native/pixels.ts (PIXEL_CODES). */
enum vb_pixel_format {
    VB_RGBA = 1,
    VB_BGRA = 2,
    VB_RGB24 = 3,
    VB_BGR24 = 4,
    VB_YUYV = 5,
    VB_UYVY = 6,
    VB_NV12 = 7,
    VB_I420 = 8,
    VB_GRAY8 = 9,
};

typedef struct {
    int format;
    int width;
    int height;
    int offset[3];
    int stride[3];
    uint8_t *data; /* start of the buffer; planes start at data + offset[i] */
} vb_image;

typedef struct {
    int x, y, w, h;
} vb_box;

/* Number of planes of a format, 0 if the code is unknown. */
int vb_pixel_planes(int format);

/* Checks an image against a buffer of `length` bytes: known format, size
 * from 1 to 16384 and a multiple of the format's subsampling, every plane
 * inside the buffer. Returns NULL when valid, else what is wrong. */
const char *vb_image_check(const vb_image *img, size_t length);

/* Draws `src` into `box` of `dst` (nearest-neighbour scaling when sizes
 * differ) and fills the rest of `dst` with black. Both images must have
 * passed vb_image_check and the box must lie inside dst. Returns 0, or -1
 * when scratch memory cannot be allocated. */
int vb_pixels_fit(const vb_image *src, const vb_image *dst, vb_box box);

#endif
