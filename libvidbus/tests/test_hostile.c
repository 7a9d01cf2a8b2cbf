/* What a reader must reject (docs/protocol.md section 6): each field of a
 * live stream's header is corrupted in turn, and opening must fail with
 * the right code instead of reading anywhere it should not. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "segments.h"
#include "check.h"

static const char *name;
static vidbus_producer *producer;
static uint8_t *data, *ctl;
static size_t data_bytes, ctl_bytes;

static int open_status(void)
{
    vidbus_consumer_options o;
    vidbus_consumer_options_init(&o);
    o.open_timeout_ms = 50;
    vidbus_consumer *c = NULL;
    int status = vidbus_consumer_open(name, &o, &c);
    vidbus_consumer_close(c);
    return status;
}

/* Sets a u32 of the data header, checks the open status, restores it. */
static void expect32(size_t offset, uint32_t value, int expected, const char *what)
{
    uint32_t saved = vb_get32(data, offset);
    vb_put32(data, offset, value);
    int got = open_status();
    if (got != expected) fprintf(stderr, "  %s = %u: %s, expected %s\n", what, value, vidbus_error_code(got), vidbus_error_code(expected));
    CHECK(got == expected);
    vb_put32(data, offset, saved);
}

static void header_fields(void)
{
    CHECK_STATUS(open_status(), VIDBUS_OK);
    expect32(H_MAGIC, 0x12345678, VIDBUS_ERR_NOT_A_STREAM, "magic");
    expect32(H_VERSION, 2, VIDBUS_ERR_VERSION_MISMATCH, "version");
    expect32(H_VERSION, 0, VIDBUS_ERR_STREAM_NOT_READY, "version (still being created)");
    expect32(H_HEADER_BYTES, 8192, VIDBUS_ERR_STREAM_CORRUPT, "headerBytes");
    expect32(H_DESCRIPTOR_OFFSET, 0, VIDBUS_ERR_STREAM_CORRUPT, "descriptorOffset");
    expect32(H_DESCRIPTOR_BYTES, 128, VIDBUS_ERR_STREAM_CORRUPT, "descriptorBytes");
    expect32(H_SLOT_COUNT, 1, VIDBUS_ERR_STREAM_CORRUPT, "slotCount");
    expect32(H_SLOT_COUNT, 65, VIDBUS_ERR_STREAM_CORRUPT, "slotCount");
    expect32(H_SLOT_COUNT, 4, VIDBUS_ERR_STREAM_CORRUPT, "slotCount (then dataOffset and totalBytes disagree)");
    expect32(H_FOURCC, 0x41414141, VIDBUS_ERR_STREAM_CORRUPT, "fourcc");
    expect32(H_WIDTH, 0, VIDBUS_ERR_STREAM_CORRUPT, "width");
    expect32(H_WIDTH, 17000, VIDBUS_ERR_STREAM_CORRUPT, "width");
    expect32(H_WIDTH, 63, VIDBUS_ERR_STREAM_CORRUPT, "width (odd for NV12)");
    expect32(H_HEIGHT, 4000, VIDBUS_ERR_STREAM_CORRUPT, "height (frame larger than the slots)");
    expect32(H_PLANE_COUNT, 3, VIDBUS_ERR_STREAM_CORRUPT, "planeCount");
    expect32(H_PLANE_COUNT, 9, VIDBUS_ERR_STREAM_CORRUPT, "planeCount");
    expect32(H_PLANE_STRIDES, 8, VIDBUS_ERR_STREAM_CORRUPT, "planeStrides[0] below the row");
    expect32(H_PLANE_STRIDES, 0xffffffffu, VIDBUS_ERR_STREAM_CORRUPT, "planeStrides[0] huge");
    expect32(H_PLANE_OFFSETS + 4, 1 << 30, VIDBUS_ERR_STREAM_CORRUPT, "planeOffsets[1]");
    expect32(H_FRAME_BYTES, 1 << 30, VIDBUS_ERR_STREAM_CORRUPT, "frameBytes");
    expect32(H_SLOT_STRIDE, 4096 * 100, VIDBUS_ERR_STREAM_CORRUPT, "slotStride");
    expect32(H_DATA_OFFSET, 0, VIDBUS_ERR_STREAM_CORRUPT, "dataOffset");
    expect32(H_TOTAL_BYTES, 1u << 31, VIDBUS_ERR_STREAM_CORRUPT, "totalBytes beyond the file");
    expect32(H_FPS_DEN, 0, VIDBUS_ERR_STREAM_CORRUPT, "fpsDen");
    expect32(H_HOLD_LIFESPAN_MS, 0, VIDBUS_ERR_STREAM_CORRUPT, "holdLifespanMs");
    expect32(H_MAX_CONSUMERS, 0, VIDBUS_ERR_STREAM_CORRUPT, "maxConsumers");
    expect32(H_MAX_CONSUMERS, 1000, VIDBUS_ERR_STREAM_CORRUPT, "maxConsumers");
    expect32(H_NAME, 0x6c6c6568, VIDBUS_ERR_STREAM_CORRUPT, "name");
    CHECK_STATUS(open_status(), VIDBUS_OK);
}

static void ctl_fields(void)
{
    uint32_t saved = vb_get32(ctl, C_MAGIC);
    vb_put32(ctl, C_MAGIC, 0);
    CHECK_STATUS(open_status(), VIDBUS_ERR_STREAM_CORRUPT);
    vb_put32(ctl, C_MAGIC, saved);
    saved = vb_get32(ctl, C_RECORD_COUNT);
    vb_put32(ctl, C_RECORD_COUNT, 7);
    CHECK_STATUS(open_status(), VIDBUS_ERR_STREAM_CORRUPT);
    vb_put32(ctl, C_RECORD_COUNT, saved);
    int64_t inode = vb_get64(ctl, C_DATA_INODE);
    vb_put64(ctl, C_DATA_INODE, inode + 1); /* another generation's ctl: keep waiting, then give up */
    CHECK_STATUS(open_status(), VIDBUS_ERR_STREAM_NOT_READY);
    vb_put64(ctl, C_DATA_INODE, inode);
    CHECK_STATUS(open_status(), VIDBUS_OK);
}

static void frame_sizes(void)
{
    vidbus_consumer *c = NULL;
    vidbus_consumer_options o;
    vidbus_consumer_options_init(&o);
    o.policy = VIDBUS_POLICY_EVERY;
    CHECK_STATUS(vidbus_consumer_open(name, &o, &c), VIDBUS_OK);
    if (c == NULL) return;
    uint8_t frame[64 * 48 * 3 / 2];
    memset(frame, 1, sizeof(frame));
    uint64_t seq;
    vidbus_producer_write(producer, frame, sizeof(frame), NULL, &seq);
    /* Find the slot of that frame and lie about its size, then its metadata. */
    int32_t slot = (int32_t)vb_load32(data, H_LATEST_SLOT);
    size_t d = VB_DESCRIPTOR_OFFSET + (size_t)slot * VB_DESCRIPTOR_BYTES;
    vb_put32(data, d + D_SIZE, 1u << 30);
    vidbus_frame f;
    CHECK_STATUS(vidbus_consumer_try_receive(c, &f), VIDBUS_ERR_STREAM_CORRUPT);
    vb_put32(data, d + D_SIZE, sizeof(frame));
    vb_put32(data, d + D_USER_META_BYTES, 4096);
    vidbus_consumer_close(c);
    c = NULL;
    CHECK_STATUS(vidbus_consumer_open(name, &o, &c), VIDBUS_OK);
    CHECK_STATUS(vidbus_consumer_try_receive(c, &f), VIDBUS_ERR_STREAM_CORRUPT);
    vb_put32(data, d + D_USER_META_BYTES, 0);
    vidbus_consumer_close(c);
}

/* Timestamps are the producer's word too: a wild publish time must not overflow the latency sum (found by the fuzzer). */
static void wild_timestamps(void)
{
    vidbus_consumer *c = NULL;
    vidbus_consumer_options o;
    vidbus_consumer_options_init(&o);
    o.policy = VIDBUS_POLICY_EVERY;
    CHECK_STATUS(vidbus_consumer_open(name, &o, &c), VIDBUS_OK);
    if (c == NULL) return;
    uint8_t frame[64 * 48 * 3 / 2];
    memset(frame, 2, sizeof(frame));
    const int64_t wild[] = {INT64_MIN, -1, INT64_MAX};
    for (size_t i = 0; i < sizeof(wild) / sizeof(wild[0]); i++) {
        vidbus_producer_write(producer, frame, sizeof(frame), NULL, NULL);
        int32_t slot = (int32_t)vb_load32(data, H_LATEST_SLOT);
        vb_put64(data, VB_DESCRIPTOR_OFFSET + (size_t)slot * VB_DESCRIPTOR_BYTES + D_PUBLISH_MONO_NS, wild[i]);
        vidbus_frame f;
        CHECK_STATUS(vidbus_consumer_try_receive(c, &f), VIDBUS_OK);
        vidbus_frame_release(c, &f);
    }
    vidbus_consumer_stats st;
    vidbus_consumer_get_stats(c, &st);
    CHECK(st.latency_max_us >= 0 && st.latency_max_us < 1e9);
    vidbus_consumer_close(c);
}

/* Where a live hold of frame `seq` sits in the control segment, or 0. */
static size_t hold_of(uint64_t seq)
{
    for (uint32_t r = 0; r < vb_get32(ctl, C_RECORD_COUNT); r++) {
        for (uint32_t h = 0; h < VIDBUS_MAX_HOLDS; h++) {
            size_t at = vb_record_offset(r) + R_HOLDS + (size_t)h * VB_HOLD_BYTES;
            if (vb_load64(ctl, at + HOLD_SEQ) == (int64_t)seq) return at;
        }
    }
    return 0;
}

/* A consumer's hold time is its word: a `since` from long ago is revoked at once, one from the future stays held; neither overflows the producer. */
static void wild_hold_times(void)
{
    vidbus_consumer *c = NULL;
    vidbus_consumer_options o;
    vidbus_consumer_options_init(&o);
    o.policy = VIDBUS_POLICY_EVERY;
    CHECK_STATUS(vidbus_consumer_open(name, &o, &c), VIDBUS_OK);
    if (c == NULL) return;
    uint8_t frame[64 * 48 * 3 / 2];
    memset(frame, 3, sizeof(frame));
    vidbus_frame f;
    vidbus_producer_stats ps;
    vidbus_producer_write(producer, frame, sizeof(frame), NULL, NULL);
    CHECK_STATUS(vidbus_consumer_try_receive(c, &f), VIDBUS_OK);
    size_t at = hold_of(f.seq);
    CHECK(at != 0);
    vb_put64(ctl, at + HOLD_SINCE, INT64_MAX);
    vidbus_producer_get_stats(producer, &ps); /* sweeps every hold */
    CHECK_STATUS(vidbus_frame_release(c, &f), VIDBUS_OK);
    vidbus_producer_write(producer, frame, sizeof(frame), NULL, NULL);
    CHECK_STATUS(vidbus_consumer_try_receive(c, &f), VIDBUS_OK);
    at = hold_of(f.seq);
    CHECK(at != 0);
    vb_put64(ctl, at + HOLD_SINCE, INT64_MIN);
    vidbus_producer_get_stats(producer, &ps);
    CHECK_STATUS(vidbus_frame_release(c, &f), VIDBUS_ERR_FRAME_RELEASED);
    vidbus_consumer_close(c);
}

int main(void)
{
    name = test_name("hostile");
    vidbus_producer_options o;
    vidbus_producer_options_init(&o);
    o.width = 64;
    o.height = 48;
    o.format = VIDBUS_FORMAT_NV12;
    o.slots = 2;
    if (vidbus_producer_create(name, &o, &producer) != VIDBUS_OK) {
        fprintf(stderr, "create: %s\n", vidbus_last_error());
        return 1;
    }
    char path[128];
    vb_data_path(name, path);
    data = map_rw(path, &data_bytes);
    vb_ctl_path(name, path);
    ctl = map_rw(path, &ctl_bytes);
    TEST(header_fields);
    TEST(ctl_fields);
    TEST(frame_sizes);
    TEST(wild_timestamps);
    TEST(wild_hold_times);
    munmap(data, data_bytes);
    munmap(ctl, ctl_bytes);
    vidbus_producer_close(producer);
    return TEST_SUMMARY();
}
