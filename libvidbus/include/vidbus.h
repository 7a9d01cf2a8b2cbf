/* libvidbus: the vidbus shared-memory video frame bus, in C.
 *
 * A producer publishes frames into a named stream in /dev/shm; any number
 * of consumers in other processes (in any language: this library, the
 * TypeScript package, the Python package) read them in place. The protocol
 * is docs/protocol.md (layout version 1); this library implements it itself.
 *
 * Conventions
 * - Every function that can fail returns an int: VIDBUS_OK (0) on success,
 *   VIDBUS_NO_FRAME (-1) where "nothing now" is a normal answer, or a
 *   positive vidbus_error. vidbus_error_code() names it with the same
 *   string the other languages use ("ERR_STREAM_NOT_FOUND");
 *   vidbus_last_error() is a message for people that says what to do
 *   (per thread, valid until the thread's next vidbus call).
 * - Thread safety: a producer or a consumer is used by one thread at a
 *   time. Different objects may be used from different threads. Two
 *   exceptions: vidbus_consumer_interrupt(), which any thread (or a signal
 *   handler) may call to end a wait in progress, and vidbus_frame_release()
 *   and vidbus_frame_renew(), which any thread may call for a frame it owns
 *   while the consumer waits in another (a frame handed to another thread,
 *   as a GStreamer buffer is).
 * - Nothing read from shared memory is trusted: a corrupt or hostile
 *   segment yields VIDBUS_ERR_STREAM_CORRUPT, never an access outside a
 *   mapping.
 */
#ifndef VIDBUS_H
#define VIDBUS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VIDBUS_API __attribute__((visibility("default")))

#define VIDBUS_LAYOUT_VERSION 1
#define VIDBUS_MAX_PLANES 3
#define VIDBUS_MAX_META 192
#define VIDBUS_MAX_HOLDS 8
#define VIDBUS_NAME_MAX 63

enum {
    VIDBUS_OK = 0,
    /* Not an error: no frame now (try_receive), or the timeout passed (wait). */
    VIDBUS_NO_FRAME = -1,
};

/* Errors; the same codes as the TypeScript VidbusErrorCode. */
typedef enum {
    VIDBUS_ERR_INVALID_OPTION = 1,
    VIDBUS_ERR_INVALID_NAME,
    VIDBUS_ERR_STREAM_NOT_FOUND,
    VIDBUS_ERR_STREAM_EXISTS,
    VIDBUS_ERR_STREAM_NOT_READY,
    VIDBUS_ERR_NOT_A_STREAM,
    VIDBUS_ERR_VERSION_MISMATCH,
    VIDBUS_ERR_STREAM_CORRUPT,
    VIDBUS_ERR_TOO_MANY_CONSUMERS,
    VIDBUS_ERR_PERMISSION,
    VIDBUS_ERR_NO_SPACE,
    VIDBUS_ERR_CLOSED,
    VIDBUS_ERR_STREAM_ENDED,
    VIDBUS_ERR_PRODUCER_DIED,
    VIDBUS_ERR_ABORTED,
    VIDBUS_ERR_FRAME_RELEASED,
    VIDBUS_ERR_FRAME_SIZE,
    VIDBUS_ERR_TOO_MANY_HOLDS,
    VIDBUS_ERR_SYSCALL,
} vidbus_error;

/* "ERR_STREAM_NOT_FOUND" for VIDBUS_ERR_STREAM_NOT_FOUND; "OK", "NO_FRAME". */
VIDBUS_API const char *vidbus_error_code(int status);
/* What went wrong in this thread's last failed call, and what to do. */
VIDBUS_API const char *vidbus_last_error(void);

/* The pixel formats (docs/protocol.md section 7). */
typedef enum {
    VIDBUS_FORMAT_UNKNOWN = 0,
    VIDBUS_FORMAT_RGBA,
    VIDBUS_FORMAT_BGRA,
    VIDBUS_FORMAT_RGB24,
    VIDBUS_FORMAT_BGR24,
    VIDBUS_FORMAT_YUYV,
    VIDBUS_FORMAT_UYVY,
    VIDBUS_FORMAT_NV12,
    VIDBUS_FORMAT_I420,
    VIDBUS_FORMAT_GRAY8,
    VIDBUS_FORMAT_MJPEG,
    VIDBUS_FORMAT_H264,
    VIDBUS_FORMAT_HEVC,
} vidbus_format;

/* "NV12" for VIDBUS_FORMAT_NV12; NULL for unknown values. */
VIDBUS_API const char *vidbus_format_name(vidbus_format format);
/* VIDBUS_FORMAT_NV12 for "NV12" (case-insensitive); VIDBUS_FORMAT_UNKNOWN otherwise. */
VIDBUS_API vidbus_format vidbus_format_from_name(const char *name);
/* 1 for MJPEG, H264, HEVC. */
VIDBUS_API int vidbus_format_is_encoded(vidbus_format format);

/* Where a frame's pixels are: per plane, an offset into the frame and a row stride. */
typedef struct {
    vidbus_format format;
    uint32_t fourcc;
    uint32_t width;
    uint32_t height;
    uint32_t plane_count;               /* 0 for encoded formats */
    uint32_t offsets[VIDBUS_MAX_PLANES];
    uint32_t strides[VIDBUS_MAX_PLANES];
    uint32_t rows[VIDBUS_MAX_PLANES];
    uint32_t row_bytes[VIDBUS_MAX_PLANES];
    uint32_t frame_bytes;               /* a raw frame, or the largest encoded frame */
} vidbus_layout;

/* ---------------------------------------------------------------- producer */

typedef struct vidbus_producer vidbus_producer;

typedef struct {
    uint32_t width, height;             /* required */
    vidbus_format format;               /* required */
    uint32_t fps_num, fps_den;          /* default 30/1 */
    uint32_t slots;                     /* default 4 (2..64) */
    uint32_t strides[VIDBUS_MAX_PLANES];/* 0: tight rows */
    uint32_t max_frame_bytes;           /* encoded formats; 0: the raw 4:2:0 size, at least 64 KiB */
    uint32_t hold_lifespan_ms;          /* default 2000 */
    uint32_t max_consumers;             /* default 32 (1..256) */
    uint32_t mode;                      /* file mode, default 0600 (0640 + gid shares with a group) */
    int64_t gid;                        /* -1: keep the creator's group */
} vidbus_producer_options;

/* Fills in the defaults; set width, height and format after this. */
VIDBUS_API void vidbus_producer_options_init(vidbus_producer_options *options);

/* Creates the stream and becomes its producer (fails with ERR_STREAM_EXISTS
 * while another producer lives; reclaims the files of a dead one). */
VIDBUS_API int vidbus_producer_create(const char *name, const vidbus_producer_options *options, vidbus_producer **out);

/* A slot lent to the producer for writing. */
typedef struct {
    int32_t slot;                       /* -1 when no slot was free (the frame is dropped and counted) */
    uint8_t *data;                      /* a writable view of the slot, straight into shared memory */
    uint32_t capacity;                  /* frame_bytes */
} vidbus_loan;

/* Lends the oldest free slot. When consumers hold every slot, returns
 * VIDBUS_OK with loan->data == NULL and counts a drop: a producer never waits. */
VIDBUS_API int vidbus_producer_loan(vidbus_producer *producer, vidbus_loan *loan);

/* Per-frame metadata for publish and write. Zero-initialise it. */
typedef struct {
    int64_t timestamp_ns;               /* capture time, CLOCK_MONOTONIC; 0: now */
    int64_t wall_ns;                    /* capture time, CLOCK_REALTIME; 0: now */
    int keyframe;                       /* encoded formats (raw frames always are) */
    uint32_t size;                      /* encoded formats: bytes used; 0 for raw: frame_bytes */
    const void *meta;                   /* up to VIDBUS_MAX_META bytes of your own */
    uint32_t meta_bytes;
} vidbus_publish_info;

/* Publishes a loaned slot; *seq (optional) gets its sequence number. */
VIDBUS_API int vidbus_producer_publish(vidbus_producer *producer, vidbus_loan *loan, const vidbus_publish_info *info, uint64_t *seq);
/* Gives a loaned slot back unpublished. */
VIDBUS_API int vidbus_producer_discard(vidbus_producer *producer, vidbus_loan *loan);
/* One copy of `bytes` into a slot, then publish. *seq = 0 when dropped. */
VIDBUS_API int vidbus_producer_write(vidbus_producer *producer, const void *bytes, size_t length, const vidbus_publish_info *info, uint64_t *seq);

typedef struct {
    uint64_t published;
    uint64_t dropped;
    uint32_t consumers;                 /* live consumers now */
} vidbus_producer_stats;

VIDBUS_API void vidbus_producer_get_stats(vidbus_producer *producer, vidbus_producer_stats *stats);
VIDBUS_API const vidbus_layout *vidbus_producer_layout(const vidbus_producer *producer);
/* Ends the stream (consumers see a clean end) and removes its files. NULL is fine. */
VIDBUS_API void vidbus_producer_close(vidbus_producer *producer);

/* ---------------------------------------------------------------- consumer */

typedef struct vidbus_consumer vidbus_consumer;

typedef enum {
    VIDBUS_POLICY_LATEST = 1,           /* the newest frame; skip the rest */
    VIDBUS_POLICY_EVERY = 2,            /* every frame in order; count the ones missed */
} vidbus_policy;

typedef struct {
    vidbus_policy policy;               /* default LATEST */
    int follow;                         /* outlive producers: wait for the next one */
    uint32_t open_timeout_ms;           /* wait this long for a stream still being created (default 2000) */
    uint32_t liveness_interval_ms;      /* notice a dead producer within this (default 250) */
} vidbus_consumer_options;

VIDBUS_API void vidbus_consumer_options_init(vidbus_consumer_options *options);

/* Opens a stream for reading. Without follow, a missing stream is
 * VIDBUS_ERR_STREAM_NOT_FOUND; with it, the consumer waits for a producer. */
VIDBUS_API int vidbus_consumer_open(const char *name, const vidbus_consumer_options *options, vidbus_consumer **out);

/* A received frame: read-only views into shared memory, valid until released. */
typedef struct {
    uint64_t seq;
    const uint8_t *data;
    uint32_t size;
    int keyframe;
    int64_t timestamp_ns;               /* capture, CLOCK_MONOTONIC */
    int64_t wall_ns;                    /* capture, CLOCK_REALTIME */
    int64_t publish_ns;                 /* publish, CLOCK_MONOTONIC */
    const uint8_t *meta;
    uint32_t meta_bytes;
    vidbus_layout layout;
    void *internal_;                    /* the hold; do not touch */
    int32_t hold_;
} vidbus_frame;

/* Takes the next frame if one is ready (VIDBUS_NO_FRAME otherwise); never waits. */
VIDBUS_API int vidbus_consumer_try_receive(vidbus_consumer *consumer, vidbus_frame *frame);
/* Waits up to timeout_ms (-1: forever) for the next frame: VIDBUS_OK,
 * VIDBUS_NO_FRAME on timeout, VIDBUS_ERR_STREAM_ENDED / _PRODUCER_DIED when
 * the producer closed / died (without follow), VIDBUS_ERR_ABORTED after
 * vidbus_consumer_interrupt(). */
VIDBUS_API int vidbus_consumer_wait(vidbus_consumer *consumer, int timeout_ms, vidbus_frame *frame);
/* Gives the frame back. VIDBUS_ERR_FRAME_RELEASED if its lease had run out
 * (the producer may have overwritten it while it was read) or it was released already. */
VIDBUS_API int vidbus_frame_release(vidbus_consumer *consumer, vidbus_frame *frame);
/* Extends the frame's lease by the stream's hold lifespan. */
VIDBUS_API int vidbus_frame_renew(vidbus_consumer *consumer, vidbus_frame *frame);
/* Ends a vidbus_consumer_wait() in progress (it returns VIDBUS_ERR_ABORTED), or the next one.
 * Thread-safe and async-signal-safe: call it from another thread or a signal handler. */
VIDBUS_API void vidbus_consumer_interrupt(vidbus_consumer *consumer);

typedef struct {
    uint64_t received;
    uint64_t missed;                    /* policy every: frames overwritten before they were taken */
    uint64_t expired;                   /* holds the producer revoked (lifespan over) */
    uint32_t holding;                   /* frames held now */
    uint32_t producer_lost;             /* times the producer went away */
    uint32_t latency_count;             /* samples behind the percentiles (the last 1024) */
    double latency_p50_us, latency_p99_us, latency_max_us;  /* publish -> received */
    int connected;                      /* attached to a live producer */
} vidbus_consumer_stats;

VIDBUS_API void vidbus_consumer_get_stats(vidbus_consumer *consumer, vidbus_consumer_stats *stats);
/* The stream's layout, or NULL while a following consumer waits for a producer. */
VIDBUS_API const vidbus_layout *vidbus_consumer_layout(const vidbus_consumer *consumer);
/* The stream's nominal rate (0/1 while waiting for a producer). */
VIDBUS_API void vidbus_consumer_fps(const vidbus_consumer *consumer, uint32_t *num, uint32_t *den);
/* The stream's ring size and hold lifespan (0 while waiting for a producer): how many
 * frames a consumer can keep without starving the producer, and how often to renew them. */
VIDBUS_API uint32_t vidbus_consumer_slot_count(const vidbus_consumer *consumer);
VIDBUS_API uint32_t vidbus_consumer_hold_lifespan_ms(const vidbus_consumer *consumer);
/* Leaves the stream. NULL is fine. Release frames first; a frame still held
 * stays readable until vidbus_frame_release(NULL, frame) gives it back. */
VIDBUS_API void vidbus_consumer_close(vidbus_consumer *consumer);

/* ------------------------------------------------------------------ streams */

typedef enum {
    VIDBUS_STREAM_LIVE = 1,
    VIDBUS_STREAM_INITIALIZING,
    VIDBUS_STREAM_STALE,                /* its producer died */
    VIDBUS_STREAM_CORRUPT,
    VIDBUS_STREAM_NO_ACCESS,
} vidbus_stream_status;

typedef struct {
    char name[VIDBUS_NAME_MAX + 1];
    vidbus_stream_status status;
    vidbus_layout layout;               /* valid when status is LIVE or STALE */
    uint32_t fps_num, fps_den;
    int32_t producer_pid;
    uint32_t consumers;                 /* live consumers */
    uint64_t published;                 /* the newest sequence number */
    uint64_t dropped;
} vidbus_stream_info;

/* Reads every stream's header directly (no daemon). Fills up to `max`
 * entries; *count gets how many streams there are (may exceed max). */
VIDBUS_API int vidbus_list_streams(vidbus_stream_info *streams, size_t max, size_t *count);

/* CLOCK_MONOTONIC in nanoseconds: the clock frame timestamps use. */
VIDBUS_API int64_t vidbus_now_ns(void);

#ifdef __cplusplus
}
#endif

#endif
