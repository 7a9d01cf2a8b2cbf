/* DRM/KMS ioctls for screen capture (src/devices/drm.ts): what a card
 * shows (resources, connectors, encoders, CRTCs), the framebuffer a CRTC
 * scans out (GETFB2: its format, modifier, pitches and GEM handles), and
 * the two ways to read it (PRIME export as a DMA-BUF, or the dumb-buffer
 * map offset), plus DMA_BUF_IOCTL_SYNC around reads. Syscall wrappers
 * only; which connector, which path and what a format means is decided in
 * TypeScript.
 *
 * The structures are the kernel's uapi (include/uapi/drm/drm.h and
 * drm_mode.h), declared here so the addon needs no libdrm headers; their
 * sizes are checked at compile time against the ioctl numbers. */
#include "drm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/ioctl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "args.h"
#include "errors.h"

struct vb_drm_card_res {
    uint64_t fb_id_ptr, crtc_id_ptr, connector_id_ptr, encoder_id_ptr;
    uint32_t count_fbs, count_crtcs, count_connectors, count_encoders;
    uint32_t min_width, max_width, min_height, max_height;
};
struct vb_drm_modeinfo {
    uint32_t clock;
    uint16_t hdisplay, hsync_start, hsync_end, htotal, hskew;
    uint16_t vdisplay, vsync_start, vsync_end, vtotal, vscan;
    uint32_t vrefresh, flags, type;
    char name[32];
};
struct vb_drm_crtc {
    uint64_t set_connectors_ptr;
    uint32_t count_connectors, crtc_id, fb_id, x, y, gamma_size, mode_valid;
    struct vb_drm_modeinfo mode;
};
struct vb_drm_encoder {
    uint32_t encoder_id, encoder_type, crtc_id, possible_crtcs, possible_clones;
};
struct vb_drm_connector {
    uint64_t encoders_ptr, modes_ptr, props_ptr, prop_values_ptr;
    uint32_t count_modes, count_props, count_encoders;
    uint32_t encoder_id, connector_id, connector_type, connector_type_id;
    uint32_t connection, mm_width, mm_height, subpixel, pad;
};
struct vb_drm_fb2 {
    uint32_t fb_id, width, height, pixel_format, flags;
    uint32_t handles[4], pitches[4], offsets[4];
    uint64_t modifier[4];
};
struct vb_drm_prime {
    uint32_t handle, flags;
    int32_t fd;
};
struct vb_drm_map_dumb {
    uint32_t handle, pad;
    uint64_t offset;
};
struct vb_drm_gem_close {
    uint32_t handle, pad;
};

#define VB_DRM_IOWR(nr, type) _IOWR('d', nr, type)
#define VB_DRM_IOCTL_GEM_CLOSE _IOW('d', 0x09, struct vb_drm_gem_close)
#define VB_DRM_IOCTL_PRIME_HANDLE_TO_FD VB_DRM_IOWR(0x2d, struct vb_drm_prime)
#define VB_DRM_IOCTL_MODE_GETRESOURCES VB_DRM_IOWR(0xA0, struct vb_drm_card_res)
#define VB_DRM_IOCTL_MODE_GETCRTC VB_DRM_IOWR(0xA1, struct vb_drm_crtc)
#define VB_DRM_IOCTL_MODE_GETENCODER VB_DRM_IOWR(0xA6, struct vb_drm_encoder)
#define VB_DRM_IOCTL_MODE_GETCONNECTOR VB_DRM_IOWR(0xA7, struct vb_drm_connector)
#define VB_DRM_IOCTL_MODE_MAP_DUMB VB_DRM_IOWR(0xB3, struct vb_drm_map_dumb)
#define VB_DRM_IOCTL_MODE_GETFB2 VB_DRM_IOWR(0xCE, struct vb_drm_fb2)

/* The uapi sizes (the ioctl numbers encode them; a mismatch would be a different request). */
_Static_assert(sizeof(struct vb_drm_card_res) == 64, "drm_mode_card_res");
_Static_assert(sizeof(struct vb_drm_modeinfo) == 68, "drm_mode_modeinfo");
_Static_assert(sizeof(struct vb_drm_crtc) == 104, "drm_mode_crtc");
_Static_assert(sizeof(struct vb_drm_encoder) == 20, "drm_mode_get_encoder");
_Static_assert(sizeof(struct vb_drm_connector) == 80, "drm_mode_get_connector");
_Static_assert(sizeof(struct vb_drm_fb2) == 104, "drm_mode_fb_cmd2");
_Static_assert(sizeof(struct vb_drm_prime) == 12, "drm_prime_handle");
_Static_assert(sizeof(struct vb_drm_map_dumb) == 16, "drm_mode_map_dumb");

/* At most this many of each object on one card (real cards have a handful). */
#define VB_DRM_MAX_OBJECTS 64
#define VB_DRM_MAX_MODES 256

static int xioctl(int fd, unsigned long request, void *arg)
{
    int r;
    do r = ioctl(fd, request, arg);
    while (r < 0 && (errno == EINTR || errno == EAGAIN));
    return r;
}

static void set_u32(napi_env env, napi_value obj, const char *key, uint32_t v)
{
    napi_value x;
    napi_create_uint32(env, v, &x);
    napi_set_named_property(env, obj, key, x);
}

static napi_value u32_array(napi_env env, const uint32_t *values, uint32_t count)
{
    napi_value arr;
    napi_create_array_with_length(env, count, &arr);
    for (uint32_t i = 0; i < count; i++) {
        napi_value x;
        napi_create_uint32(env, values[i], &x);
        napi_set_element(env, arr, i, x);
    }
    return arr;
}

static int fd_arg(napi_env env, napi_callback_info info, vb_args *a, size_t needed, int32_t *fd)
{
    return vb_get_args(env, info, a, needed) != 0 || vb_arg_int32(env, a->values[0], fd) != 0 ? -1 : 0;
}

/* The (card fd, 32-bit object id or handle) every per-object call takes. */
static int fd_id_args(napi_env env, napi_callback_info info, int32_t *fd, uint32_t *id)
{
    vb_args a;
    int64_t x;
    if (fd_arg(env, info, &a, 2, fd) != 0 || vb_arg_int64(env, a.values[1], &x) != 0) return -1;
    if (x < 0 || x > UINT32_MAX) {
        vb_throw_type(env, "expected a 32-bit object id");
        return -1;
    }
    *id = (uint32_t)x;
    return 0;
}

/* drmResources(fd): { crtcs, connectors, encoders } ids. A card whose
 * counts change between the two calls (hotplug) is asked again. */
napi_value vb_drm_resources(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd;
    if (fd_arg(env, info, &a, 1, &fd) != 0) return NULL;
    uint32_t crtcs[VB_DRM_MAX_OBJECTS], connectors[VB_DRM_MAX_OBJECTS], encoders[VB_DRM_MAX_OBJECTS];
    struct vb_drm_card_res res;
    for (int attempt = 0; attempt < 4; attempt++) {
        memset(&res, 0, sizeof(res));
        if (xioctl(fd, VB_DRM_IOCTL_MODE_GETRESOURCES, &res) != 0) return vb_throw_errno(env, "DRM_IOCTL_MODE_GETRESOURCES", errno);
        if (res.count_crtcs > VB_DRM_MAX_OBJECTS || res.count_connectors > VB_DRM_MAX_OBJECTS || res.count_encoders > VB_DRM_MAX_OBJECTS) {
            return vb_throw_code(env, "ERR_FORMAT_UNSUPPORTED", "the card has more CRTCs, connectors or encoders than vidbus reads (64)");
        }
        uint32_t want_crtcs = res.count_crtcs, want_connectors = res.count_connectors, want_encoders = res.count_encoders;
        struct vb_drm_card_res fill = {0};
        fill.crtc_id_ptr = (uint64_t)(uintptr_t)crtcs;
        fill.connector_id_ptr = (uint64_t)(uintptr_t)connectors;
        fill.encoder_id_ptr = (uint64_t)(uintptr_t)encoders;
        fill.count_crtcs = want_crtcs;
        fill.count_connectors = want_connectors;
        fill.count_encoders = want_encoders;
        if (xioctl(fd, VB_DRM_IOCTL_MODE_GETRESOURCES, &fill) != 0) return vb_throw_errno(env, "DRM_IOCTL_MODE_GETRESOURCES", errno);
        if (fill.count_crtcs != want_crtcs || fill.count_connectors != want_connectors || fill.count_encoders != want_encoders) continue;
        napi_value out;
        napi_create_object(env, &out);
        napi_set_named_property(env, out, "crtcs", u32_array(env, crtcs, want_crtcs));
        napi_set_named_property(env, out, "connectors", u32_array(env, connectors, want_connectors));
        napi_set_named_property(env, out, "encoders", u32_array(env, encoders, want_encoders));
        return out;
    }
    return vb_throw_errno(env, "DRM_IOCTL_MODE_GETRESOURCES", EAGAIN);
}

static napi_value mode_value(napi_env env, const struct vb_drm_modeinfo *m)
{
    napi_value o, name;
    napi_create_object(env, &o);
    set_u32(env, o, "width", m->hdisplay);
    set_u32(env, o, "height", m->vdisplay);
    set_u32(env, o, "refresh", m->vrefresh);
    size_t n = strnlen(m->name, sizeof(m->name));
    napi_create_string_utf8(env, m->name, n, &name);
    napi_set_named_property(env, o, "name", name);
    return o;
}

/* drmConnector(fd, id): { id, type, typeId, connected, encoderId, modes: [{ width, height, refresh, name }] }. */
napi_value vb_drm_connector(napi_env env, napi_callback_info info)
{
    int32_t fd;
    uint32_t id;
    if (fd_id_args(env, info, &fd, &id) != 0) return NULL;
    struct vb_drm_connector c;
    memset(&c, 0, sizeof(c));
    c.connector_id = id;
    if (xioctl(fd, VB_DRM_IOCTL_MODE_GETCONNECTOR, &c) != 0) return vb_throw_errno(env, "DRM_IOCTL_MODE_GETCONNECTOR", errno);
    uint32_t count = c.count_modes < VB_DRM_MAX_MODES ? c.count_modes : VB_DRM_MAX_MODES;
    struct vb_drm_modeinfo *modes = count ? calloc(count, sizeof(*modes)) : NULL;
    if (count && modes == NULL) return vb_throw_errno(env, "calloc", ENOMEM);
    struct vb_drm_connector fill;
    memset(&fill, 0, sizeof(fill));
    fill.connector_id = id;
    fill.count_modes = count;
    fill.modes_ptr = (uint64_t)(uintptr_t)modes;
    if (xioctl(fd, VB_DRM_IOCTL_MODE_GETCONNECTOR, &fill) != 0) {
        int err = errno;
        free(modes);
        return vb_throw_errno(env, "DRM_IOCTL_MODE_GETCONNECTOR", err);
    }
    /* The kernel fills at most what was asked for, and says how many there are now. */
    uint32_t filled = fill.count_modes < count ? fill.count_modes : count;
    napi_value out, list;
    napi_create_object(env, &out);
    set_u32(env, out, "id", id);
    set_u32(env, out, "type", fill.connector_type);
    set_u32(env, out, "typeId", fill.connector_type_id);
    set_u32(env, out, "connection", fill.connection);
    set_u32(env, out, "encoderId", fill.encoder_id);
    napi_create_array_with_length(env, filled, &list);
    for (uint32_t i = 0; i < filled; i++) napi_set_element(env, list, i, mode_value(env, &modes[i]));
    napi_set_named_property(env, out, "modes", list);
    free(modes);
    return out;
}

/* drmEncoderCrtc(fd, id): the CRTC the encoder drives (0: none). */
napi_value vb_drm_encoder_crtc(napi_env env, napi_callback_info info)
{
    int32_t fd;
    uint32_t id;
    if (fd_id_args(env, info, &fd, &id) != 0) return NULL;
    struct vb_drm_encoder e = {.encoder_id = id};
    if (xioctl(fd, VB_DRM_IOCTL_MODE_GETENCODER, &e) != 0) return vb_throw_errno(env, "DRM_IOCTL_MODE_GETENCODER", errno);
    napi_value out;
    napi_create_uint32(env, e.crtc_id, &out);
    return out;
}

/* drmCrtc(fd, id): { id, fbId, x, y, mode (null when off) }. */
napi_value vb_drm_crtc(napi_env env, napi_callback_info info)
{
    int32_t fd;
    uint32_t id;
    if (fd_id_args(env, info, &fd, &id) != 0) return NULL;
    struct vb_drm_crtc c;
    memset(&c, 0, sizeof(c));
    c.crtc_id = id;
    if (xioctl(fd, VB_DRM_IOCTL_MODE_GETCRTC, &c) != 0) return vb_throw_errno(env, "DRM_IOCTL_MODE_GETCRTC", errno);
    napi_value out, mode;
    napi_create_object(env, &out);
    set_u32(env, out, "id", id);
    set_u32(env, out, "fbId", c.fb_id);
    set_u32(env, out, "x", c.x);
    set_u32(env, out, "y", c.y);
    if (c.mode_valid) mode = mode_value(env, &c.mode);
    else napi_get_null(env, &mode);
    napi_set_named_property(env, out, "mode", mode);
    return out;
}

/* drmFramebuffer(fd, fbId): { width, height, fourcc, modifier, handles, pitches, offsets }.
 * handles are 0 unless the caller is DRM master or has CAP_SYS_ADMIN. */
napi_value vb_drm_framebuffer(napi_env env, napi_callback_info info)
{
    int32_t fd;
    uint32_t id;
    if (fd_id_args(env, info, &fd, &id) != 0) return NULL;
    struct vb_drm_fb2 f;
    memset(&f, 0, sizeof(f));
    f.fb_id = id;
    if (xioctl(fd, VB_DRM_IOCTL_MODE_GETFB2, &f) != 0) return vb_throw_errno(env, "DRM_IOCTL_MODE_GETFB2", errno);
    napi_value out;
    napi_create_object(env, &out);
    set_u32(env, out, "width", f.width);
    set_u32(env, out, "height", f.height);
    set_u32(env, out, "fourcc", f.pixel_format);
    set_u32(env, out, "flags", f.flags);
    /* Modifiers are 64 bits (the top byte is the vendor): two exact 32-bit words. */
    set_u32(env, out, "modifierHigh", (uint32_t)(f.modifier[0] >> 32));
    set_u32(env, out, "modifierLow", (uint32_t)f.modifier[0]);
    napi_set_named_property(env, out, "handles", u32_array(env, f.handles, 4));
    napi_set_named_property(env, out, "pitches", u32_array(env, f.pitches, 4));
    napi_set_named_property(env, out, "offsets", u32_array(env, f.offsets, 4));
    return out;
}

/* drmExportHandle(fd, handle): a DMA-BUF fd (read-only, close-on-exec) of the GEM object. */
napi_value vb_drm_export_handle(napi_env env, napi_callback_info info)
{
    int32_t fd;
    uint32_t handle;
    if (fd_id_args(env, info, &fd, &handle) != 0) return NULL;
    struct vb_drm_prime p = {.handle = handle, .flags = O_CLOEXEC | O_RDONLY, .fd = -1};
    if (xioctl(fd, VB_DRM_IOCTL_PRIME_HANDLE_TO_FD, &p) != 0) return vb_throw_errno(env, "DRM_IOCTL_PRIME_HANDLE_TO_FD", errno);
    napi_value out;
    napi_create_int32(env, p.fd, &out);
    return out;
}

/* drmDumbMapOffset(fd, handle): the offset to mmap the card fd at for this dumb buffer. */
napi_value vb_drm_dumb_map_offset(napi_env env, napi_callback_info info)
{
    int32_t fd;
    uint32_t handle;
    if (fd_id_args(env, info, &fd, &handle) != 0) return NULL;
    struct vb_drm_map_dumb m = {.handle = handle};
    if (xioctl(fd, VB_DRM_IOCTL_MODE_MAP_DUMB, &m) != 0) return vb_throw_errno(env, "DRM_IOCTL_MODE_MAP_DUMB", errno);
    napi_value out;
    napi_create_double(env, (double)m.offset, &out);
    return out;
}

/* drmCloseHandle(fd, handle): gives back a GEM handle GETFB2 made for us. */
napi_value vb_drm_close_handle(napi_env env, napi_callback_info info)
{
    int32_t fd;
    uint32_t handle;
    if (fd_id_args(env, info, &fd, &handle) != 0) return NULL;
    struct vb_drm_gem_close c = {.handle = handle};
    if (handle != 0 && xioctl(fd, VB_DRM_IOCTL_GEM_CLOSE, &c) != 0) return vb_throw_errno(env, "DRM_IOCTL_GEM_CLOSE", errno);
    return NULL;
}

/* dmaBufSync(fd, start): brackets CPU reads of a DMA-BUF (start true before, false after). */
napi_value vb_dma_buf_sync(napi_env env, napi_callback_info info)
{
    vb_args a;
    int32_t fd;
    bool start;
    if (fd_arg(env, info, &a, 2, &fd) != 0 || vb_arg_bool(env, a.values[1], &start) != 0) return NULL;
    struct dma_buf_sync s = {.flags = (start ? DMA_BUF_SYNC_START : DMA_BUF_SYNC_END) | DMA_BUF_SYNC_READ};
    if (xioctl(fd, DMA_BUF_IOCTL_SYNC, &s) != 0) return vb_throw_errno(env, "DMA_BUF_IOCTL_SYNC", errno);
    return NULL;
}
