/* What the parts of libvidbus share: the layout's offsets (docs/protocol.md,
 * the same numbers as src/bus/layout.ts; a test compares them), atomics on
 * shared words, and small helpers. Not installed. */
#ifndef VIDBUS_INTERNAL_H
#define VIDBUS_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vidbus.h"

#define VB_DATA_MAGIC 0x53554256u /* 'VBUS' */
#define VB_CTL_MAGIC 0x54434256u  /* 'VBCT' */
#define VB_PAGE 4096u
#define VB_HEADER_BYTES 4096u
#define VB_DESCRIPTOR_OFFSET 4096u
#define VB_DESCRIPTOR_BYTES 256u
#define VB_MIN_SLOTS 2u
#define VB_MAX_SLOTS 64u
#define VB_MAX_DIMENSION 16384u
#define VB_MAX_CONSUMERS 256u
#define VB_NAME_BYTES 64u

/* Data header (protocol section 3.1). */
enum {
    H_MAGIC = 0, H_VERSION = 4, H_HEADER_BYTES = 8, H_FLAGS = 12, H_TOTAL_BYTES = 16, H_SLOT_COUNT = 24,
    H_SLOT_STRIDE = 28, H_DESCRIPTOR_OFFSET = 32, H_DESCRIPTOR_BYTES = 36, H_DATA_OFFSET = 40, H_FOURCC = 48,
    H_WIDTH = 52, H_HEIGHT = 56, H_PLANE_COUNT = 60, H_PLANE_OFFSETS = 64, H_PLANE_STRIDES = 76, H_FRAME_BYTES = 88,
    H_FPS_NUM = 92, H_FPS_DEN = 96, H_PRODUCER_PID = 100, H_HOLD_LIFESPAN_MS = 104, H_MAX_CONSUMERS = 108,
    H_CREATED_WALL_NS = 112, H_CREATED_MONO_NS = 120, H_STATE = 128, H_NAME = 136, H_NOTIFY = 256,
    H_LATEST_SLOT = 260, H_LATEST_SEQ = 264, H_DROPPED = 272, H_LAST_PUBLISH_MONO_NS = 280,
};
enum { STATE_INIT = 0, STATE_LIVE = 1, STATE_CLOSED = 2 };
/* Header flags: the producer wakes consumers asleep on a wake socket (5.5). */
#define VB_HEADER_WAKES_SOCKETS 1u

/* Slot descriptor (3.2). */
enum { D_SEQ = 0, D_SIZE = 8, D_FLAGS = 12, D_CAPTURE_MONO_NS = 16, D_CAPTURE_WALL_NS = 24, D_PUBLISH_MONO_NS = 32, D_USER_META_BYTES = 40, D_USER_META = 64 };
#define VB_SEQ_WRITING (-1)
#define VB_FLAG_KEYFRAME 1u

/* Ctl header (4.1) and consumer record (4.2). */
#define VB_CTL_HEADER_BYTES 256u
#define VB_RECORD_BYTES 256u
#define VB_HOLD_BYTES 16u
enum { C_MAGIC = 0, C_VERSION = 4, C_RECORD_COUNT = 8, C_RECORD_BYTES = 12, C_HOLDS_PER_RECORD = 16, C_RECORDS_OFFSET = 20, C_DATA_INODE = 24 };
enum { R_GENERATION = 0, R_ACTIVE = 4, R_PID = 8, R_WAITING = 12, R_POLICY = 16, R_EXPIRED = 20, R_RECEIVED = 24, R_MISSED = 28, R_OPENED_WALL_NS = 32, R_LAST_SEQ = 40, R_WAKE_TOKEN = 48, R_HOLDS = 64 };
/* A record's `waiting` word: awake, asleep on the notify futex, asleep on its wake socket. */
enum { WAIT_AWAKE = 0, WAIT_FUTEX = 1, WAIT_SOCKET = 2, WAIT_SOCKET_SIGNALLED = 3 };
enum { HOLD_SEQ = 0, HOLD_SINCE = 8 };

static inline size_t vb_record_offset(uint32_t i) { return VB_CTL_HEADER_BYTES + (size_t)i * VB_RECORD_BYTES; }
static inline size_t vb_ctl_bytes(uint32_t records) { return VB_CTL_HEADER_BYTES + (size_t)records * VB_RECORD_BYTES; }
static inline uint64_t vb_round_up(uint64_t v, uint64_t m) { return (v + m - 1) / m * m; }
static inline uint64_t vb_data_offset_for(uint32_t slots) { return vb_round_up(VB_DESCRIPTOR_OFFSET + (uint64_t)slots * VB_DESCRIPTOR_BYTES, VB_PAGE); }
static inline uint64_t vb_slot_stride_for(uint32_t frame_bytes) { return vb_round_up(frame_bytes, VB_PAGE); }
static inline uint64_t vb_total_bytes_for(uint32_t slots, uint32_t frame_bytes) { return vb_data_offset_for(slots) + (uint64_t)slots * vb_slot_stride_for(frame_bytes); }

/* Sequentially consistent access to a shared word at byte `offset` of a mapping. */
#define VB_WORD(base, offset, type) ((type *)((uint8_t *)(base) + (offset)))
static inline uint32_t vb_load32(const void *base, size_t offset) { return __atomic_load_n(VB_WORD(base, offset, const uint32_t), __ATOMIC_SEQ_CST); }
static inline int64_t vb_load64(const void *base, size_t offset) { return __atomic_load_n(VB_WORD(base, offset, const int64_t), __ATOMIC_SEQ_CST); }
static inline void vb_store32(void *base, size_t offset, uint32_t v) { __atomic_store_n(VB_WORD(base, offset, uint32_t), v, __ATOMIC_SEQ_CST); }
static inline void vb_store64(void *base, size_t offset, int64_t v) { __atomic_store_n(VB_WORD(base, offset, int64_t), v, __ATOMIC_SEQ_CST); }
static inline uint32_t vb_add32(void *base, size_t offset, uint32_t v) { return __atomic_add_fetch(VB_WORD(base, offset, uint32_t), v, __ATOMIC_SEQ_CST); }
static inline int64_t vb_add64(void *base, size_t offset, int64_t v) { return __atomic_add_fetch(VB_WORD(base, offset, int64_t), v, __ATOMIC_SEQ_CST); }
static inline bool vb_cas64(void *base, size_t offset, int64_t expected, int64_t desired)
{
    return __atomic_compare_exchange_n(VB_WORD(base, offset, int64_t), &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}
/* Plain little-endian reads of header fields (copied once, then validated). */
static inline uint32_t vb_get32(const uint8_t *p, size_t offset) { uint32_t v; __builtin_memcpy(&v, p + offset, 4); return v; }
static inline int64_t vb_get64(const uint8_t *p, size_t offset) { int64_t v; __builtin_memcpy(&v, p + offset, 8); return v; }
static inline void vb_put32(uint8_t *p, size_t offset, uint32_t v) { __builtin_memcpy(p + offset, &v, 4); }
static inline void vb_put64(uint8_t *p, size_t offset, int64_t v) { __builtin_memcpy(p + offset, &v, 8); }

/* errors.c: records the message for vidbus_last_error() and returns `code`. */
int vb_fail(int code, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* A failed syscall: ERR_PERMISSION, ERR_NO_SPACE or ERR_SYSCALL by errno. */
int vb_fail_errno(int err, const char *what);

/* formats.c */
uint32_t vb_fourcc_of(vidbus_format format);
vidbus_format vb_format_of_fourcc(uint32_t fourcc);
/* Computes a layout; strides may be NULL or hold zeros for tight rows. VIDBUS_OK or ERR_INVALID_OPTION. */
int vb_layout_compute(vidbus_format format, uint32_t width, uint32_t height, const uint32_t *strides, uint32_t max_frame_bytes, vidbus_layout *out);

/* platform.c */
int64_t vb_mono_ns(void);
int64_t vb_wall_ns(void);
bool vb_lock_try(int fd, uint64_t offset);   /* non-blocking write lock; false if someone else holds it */
bool vb_lock_held(int fd, uint64_t offset);  /* another file description holds a write lock */
int vb_futex_wait(void *word, uint32_t expected, int timeout_ms); /* 0 woken/changed, 1 timed out */
void vb_futex_wake(void *word);
int vb_wake_sender_open(void);                 /* an unbound datagram socket, or -1 */
void vb_wake_send(int fd, uint64_t token);     /* one datagram to the wake socket of `token`; never blocks, errors ignored */
bool vb_valid_name(const char *name);
/* "/dev/shm/vidbus-<name>" (+ ".ctl"); `out` must hold 128 bytes. */
void vb_data_path(const char *name, char *out);
void vb_ctl_path(const char *name, char *out);

/* header.c: validation of a segment someone else wrote (protocol section 6). */
typedef struct {
    vidbus_layout layout;
    uint32_t slot_count, slot_stride, fps_num, fps_den, hold_lifespan_ms, max_consumers;
    uint64_t data_offset, total_bytes;
    int32_t producer_pid;
} vb_description;
/* VIDBUS_OK, VIDBUS_NO_FRAME while the version word is 0 (being created), or an error. */
int vb_read_header(const uint8_t *header, const char *name, uint64_t file_bytes, vb_description *out);
/* VIDBUS_OK, VIDBUS_NO_FRAME if not ready or of another generation, or ERR_STREAM_CORRUPT. */
int vb_check_ctl(const uint8_t *ctl, uint64_t file_bytes, const char *name, uint32_t records, uint64_t data_inode);

/* reclaim.c */
typedef enum { VB_RECLAIMED, VB_ALIVE, VB_MISSING, VB_NO_ACCESS } vb_reclaim_result;
vb_reclaim_result vb_reclaim(const char *name);
void vb_sweep_temps(const char *name);

#endif
