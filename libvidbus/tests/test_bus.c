/* libvidbus in one process: layouts, publish and receive under both
 * policies, holds and leases, drops, the end of a stream, interrupts,
 * following across producers, listing, and refusing bad arguments. Built
 * with AddressSanitizer and UndefinedBehaviorSanitizer by `make check`. */
#define _GNU_SOURCE /* nanosleep, pthread with -std=c11 */
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "check.h"

static vidbus_producer *make_producer(const char *name, vidbus_format format, uint32_t w, uint32_t h, uint32_t slots)
{
    vidbus_producer_options o;
    vidbus_producer_options_init(&o);
    o.width = w;
    o.height = h;
    o.format = format;
    o.slots = slots;
    vidbus_producer *p = NULL;
    int status = vidbus_producer_create(name, &o, &p);
    if (status != VIDBUS_OK) fprintf(stderr, "  create %s: %s\n", name, vidbus_last_error());
    return p;
}

static vidbus_consumer *make_consumer(const char *name, vidbus_policy policy, int follow)
{
    vidbus_consumer_options o;
    vidbus_consumer_options_init(&o);
    o.policy = policy;
    o.follow = follow;
    vidbus_consumer *c = NULL;
    int status = vidbus_consumer_open(name, &o, &c);
    if (status != VIDBUS_OK) fprintf(stderr, "  open %s: %s\n", name, vidbus_last_error());
    return c;
}

static int exists(const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), "/dev/shm/vidbus-%s", name);
    struct stat st;
    return stat(path, &st) == 0;
}

static void publish_fill(vidbus_producer *p, uint8_t value)
{
    vidbus_loan loan;
    CHECK_STATUS(vidbus_producer_loan(p, &loan), VIDBUS_OK);
    if (loan.data == NULL) return;
    memset(loan.data, value, loan.capacity);
    CHECK_STATUS(vidbus_producer_publish(p, &loan, NULL, NULL), VIDBUS_OK);
}

static void layouts(void)
{
    vidbus_layout l;

    CHECK_STATUS(vb_layout_compute(VIDBUS_FORMAT_NV12, 64, 48, NULL, 0, &l), VIDBUS_OK);
    CHECK(l.plane_count == 2 && l.strides[0] == 64 && l.offsets[1] == 64 * 48 && l.strides[1] == 64 && l.rows[1] == 24 && l.frame_bytes == 64 * 48 * 3 / 2);
    CHECK_STATUS(vb_layout_compute(VIDBUS_FORMAT_I420, 64, 48, NULL, 0, &l), VIDBUS_OK);
    CHECK(l.plane_count == 3 && l.offsets[2] == 64 * 48 + 32 * 24 && l.frame_bytes == 64 * 48 * 3 / 2);
    uint32_t strides[3] = {256, 0, 0};
    CHECK_STATUS(vb_layout_compute(VIDBUS_FORMAT_RGBA, 50, 10, strides, 0, &l), VIDBUS_OK);
    CHECK(l.strides[0] == 256 && l.row_bytes[0] == 200 && l.frame_bytes == 2560);
    strides[0] = 100;
    CHECK_STATUS(vb_layout_compute(VIDBUS_FORMAT_RGBA, 50, 10, strides, 0, &l), VIDBUS_ERR_INVALID_OPTION);
    CHECK_STATUS(vb_layout_compute(VIDBUS_FORMAT_YUYV, 63, 10, NULL, 0, &l), VIDBUS_ERR_INVALID_OPTION);
    CHECK_STATUS(vb_layout_compute(VIDBUS_FORMAT_H264, 1920, 1080, NULL, 0, &l), VIDBUS_OK);
    CHECK(l.plane_count == 0 && l.frame_bytes == 1920 * 1080 * 3 / 2);
    CHECK(vidbus_format_from_name("nv12") == VIDBUS_FORMAT_NV12 && vidbus_format_from_name("nope") == VIDBUS_FORMAT_UNKNOWN);
    CHECK(strcmp(vidbus_format_name(VIDBUS_FORMAT_GRAY8), "GRAY8") == 0 && vidbus_format_name((vidbus_format)99) == NULL);
    CHECK(strcmp(vidbus_error_code(VIDBUS_ERR_STREAM_NOT_FOUND), "ERR_STREAM_NOT_FOUND") == 0);
}

static void every_and_latest(void)
{
    const char *name = test_name("every");
    vidbus_producer *p = make_producer(name, VIDBUS_FORMAT_GRAY8, 16, 16, 8);
    vidbus_consumer *every = make_consumer(name, VIDBUS_POLICY_EVERY, 0);
    vidbus_consumer *latest = make_consumer(name, VIDBUS_POLICY_LATEST, 0);
    if (p == NULL || every == NULL || latest == NULL) return;
    uint64_t meta = 77;
    for (int i = 1; i <= 5; i++) {
        vidbus_loan loan;
        CHECK_STATUS(vidbus_producer_loan(p, &loan), VIDBUS_OK);
        memset(loan.data, i, loan.capacity);
        vidbus_publish_info info = {.timestamp_ns = 1000 * i, .wall_ns = 2000 * i, .meta = &meta, .meta_bytes = 8};
        uint64_t seq = 0;
        CHECK_STATUS(vidbus_producer_publish(p, &loan, &info, &seq), VIDBUS_OK);
        CHECK(seq == (uint64_t)i);
    }
    vidbus_frame f;
    for (int i = 1; i <= 5; i++) {
        CHECK_STATUS(vidbus_consumer_wait(every, 1000, &f), VIDBUS_OK);
        CHECK(f.seq == (uint64_t)i && f.data[0] == i && f.data[255] == i && f.size == 256 && f.keyframe);
        CHECK(f.timestamp_ns == 1000 * i && f.wall_ns == 2000 * i && f.meta_bytes == 8 && memcmp(f.meta, &meta, 8) == 0);
        CHECK_STATUS(vidbus_frame_release(every, &f), VIDBUS_OK);
    }
    CHECK_STATUS(vidbus_consumer_try_receive(every, &f), VIDBUS_NO_FRAME);
    CHECK_STATUS(vidbus_consumer_wait(latest, 1000, &f), VIDBUS_OK);
    CHECK(f.seq == 5);
    CHECK_STATUS(vidbus_frame_release(latest, &f), VIDBUS_OK);
    CHECK_STATUS(vidbus_frame_release(latest, &f), VIDBUS_ERR_FRAME_RELEASED);
    vidbus_producer_stats ps;
    vidbus_producer_get_stats(p, &ps);
    CHECK(ps.published == 5 && ps.dropped == 0 && ps.consumers == 2);
    vidbus_consumer_stats cs;
    vidbus_consumer_get_stats(every, &cs);
    CHECK(cs.received == 5 && cs.missed == 0 && cs.latency_count == 5 && cs.connected);
    vidbus_producer_close(p);
    CHECK(!exists(name));
    CHECK_STATUS(vidbus_consumer_wait(every, 1000, &f), VIDBUS_ERR_STREAM_ENDED);
    CHECK_STATUS(vidbus_consumer_wait(every, 1000, &f), VIDBUS_ERR_STREAM_ENDED);
    vidbus_consumer_close(every);
    vidbus_consumer_close(latest);
}

static void holds_drops_and_leases(void)
{
    const char *name = test_name("holds");
    vidbus_producer_options o;
    vidbus_producer_options_init(&o);
    o.width = 8;
    o.height = 8;
    o.format = VIDBUS_FORMAT_GRAY8;
    o.slots = 2;
    o.hold_lifespan_ms = 100;
    vidbus_producer *p = NULL;
    CHECK_STATUS(vidbus_producer_create(name, &o, &p), VIDBUS_OK);
    vidbus_consumer *c = make_consumer(name, VIDBUS_POLICY_EVERY, 0);
    if (p == NULL || c == NULL) return;
    vidbus_frame held[2];
    publish_fill(p, 1);
    CHECK_STATUS(vidbus_consumer_wait(c, 1000, &held[0]), VIDBUS_OK);
    publish_fill(p, 2);
    CHECK_STATUS(vidbus_consumer_wait(c, 1000, &held[1]), VIDBUS_OK);
    /* Both slots held (one is also the latest): the producer drops instead of waiting. */
    vidbus_loan loan;
    CHECK_STATUS(vidbus_producer_loan(p, &loan), VIDBUS_OK);
    CHECK(loan.data == NULL && loan.slot == -1);
    vidbus_producer_stats ps;
    vidbus_producer_get_stats(p, &ps);
    CHECK(ps.dropped == 1);
    CHECK(held[0].data[0] == 1 && held[1].data[0] == 2);
    CHECK_STATUS(vidbus_frame_renew(c, &held[0]), VIDBUS_OK);
    /* After the lifespan the producer takes the holds back; the consumer learns it at release. */
    nanosleep(&(struct timespec){0, 250000000L}, NULL);
    publish_fill(p, 3);
    CHECK_STATUS(vidbus_frame_release(c, &held[0]), VIDBUS_ERR_FRAME_RELEASED);
    CHECK_STATUS(vidbus_frame_release(c, &held[1]), VIDBUS_ERR_FRAME_RELEASED);
    vidbus_consumer_stats cs;
    vidbus_consumer_get_stats(c, &cs);
    CHECK(cs.expired == 2 && cs.holding == 0);
    /* Eight holds at most. */
    vidbus_producer_close(p);
    name = test_name("maxholds");
    p = make_producer(name, VIDBUS_FORMAT_GRAY8, 8, 8, 16);
    vidbus_consumer_close(c);
    c = make_consumer(name, VIDBUS_POLICY_EVERY, 0);
    if (p == NULL || c == NULL) return;
    vidbus_frame frames[9];
    for (int i = 0; i < 9; i++) publish_fill(p, (uint8_t)i);
    for (int i = 0; i < 8; i++) CHECK_STATUS(vidbus_consumer_try_receive(c, &frames[i]), VIDBUS_OK);
    CHECK_STATUS(vidbus_consumer_try_receive(c, &frames[8]), VIDBUS_ERR_TOO_MANY_HOLDS);
    for (int i = 0; i < 8; i++) CHECK_STATUS(vidbus_frame_release(c, &frames[i]), VIDBUS_OK);
    CHECK_STATUS(vidbus_consumer_try_receive(c, &frames[8]), VIDBUS_OK);
    CHECK_STATUS(vidbus_frame_release(c, &frames[8]), VIDBUS_OK);
    vidbus_consumer_close(c);
    vidbus_producer_close(p);
}

static void missed_under_every(void)
{
    const char *name = test_name("missed");
    vidbus_producer *p = make_producer(name, VIDBUS_FORMAT_GRAY8, 8, 8, 3);
    vidbus_consumer *c = make_consumer(name, VIDBUS_POLICY_EVERY, 0);
    if (p == NULL || c == NULL) return;
    for (int i = 1; i <= 10; i++) publish_fill(p, (uint8_t)i);
    vidbus_frame f;
    CHECK_STATUS(vidbus_consumer_try_receive(c, &f), VIDBUS_OK);
    CHECK(f.seq >= 8 && f.data[0] == f.seq); /* the oldest still in the ring */
    vidbus_frame_release(c, &f);
    vidbus_consumer_stats s;
    vidbus_consumer_get_stats(c, &s);
    CHECK(s.missed == f.seq - 1);
    vidbus_consumer_close(c);
    vidbus_producer_close(p);
}

static void *interrupt_later(void *arg)
{
    nanosleep(&(struct timespec){0, 100000000L}, NULL);
    vidbus_consumer_interrupt(arg);
    return NULL;
}

static void interrupt_and_timeout(void)
{
    const char *name = test_name("interrupt");
    vidbus_producer *p = make_producer(name, VIDBUS_FORMAT_RGBA, 4, 4, 2);
    vidbus_consumer *c = make_consumer(name, VIDBUS_POLICY_LATEST, 0);
    if (p == NULL || c == NULL) return;
    vidbus_frame f;
    int64_t t0 = vidbus_now_ns();
    CHECK_STATUS(vidbus_consumer_wait(c, 50, &f), VIDBUS_NO_FRAME);
    CHECK(vidbus_now_ns() - t0 >= 45000000LL);
    pthread_t thread;
    pthread_create(&thread, NULL, interrupt_later, c);
    t0 = vidbus_now_ns();
    CHECK_STATUS(vidbus_consumer_wait(c, 5000, &f), VIDBUS_ERR_ABORTED);
    CHECK(vidbus_now_ns() - t0 < 1000000000LL);
    pthread_join(thread, NULL);
    vidbus_consumer_close(c);
    vidbus_producer_close(p);
}

static void follow_across_producers(void)
{
    const char *name = test_name("follow");
    vidbus_consumer *c = make_consumer(name, VIDBUS_POLICY_EVERY, 1);
    if (c == NULL) return;
    CHECK(vidbus_consumer_layout(c) == NULL);
    vidbus_frame f;
    CHECK_STATUS(vidbus_consumer_wait(c, 50, &f), VIDBUS_NO_FRAME);
    for (int generation = 1; generation <= 2; generation++) {
        vidbus_producer *p = make_producer(name, generation == 1 ? VIDBUS_FORMAT_GRAY8 : VIDBUS_FORMAT_RGBA, 8 * generation, 8, 4);
        if (p == NULL) return;
        publish_fill(p, (uint8_t)(10 * generation));
        CHECK_STATUS(vidbus_consumer_wait(c, 2000, &f), VIDBUS_OK);
        CHECK(f.data[0] == 10 * generation && f.layout.width == 8u * generation);
        vidbus_frame_release(c, &f);
        vidbus_producer_close(p);
        CHECK_STATUS(vidbus_consumer_wait(c, 300, &f), VIDBUS_NO_FRAME);
    }
    vidbus_consumer_stats s;
    vidbus_consumer_get_stats(c, &s);
    CHECK(s.producer_lost == 2 && !s.connected);
    vidbus_consumer_close(c);
}

static void refuses_bad_arguments(void)
{
    vidbus_producer_options o;
    vidbus_producer_options_init(&o);
    o.width = 16;
    o.height = 16;
    o.format = VIDBUS_FORMAT_RGBA;
    vidbus_producer *p = NULL;
    CHECK_STATUS(vidbus_producer_create("bad/name", &o, &p), VIDBUS_ERR_INVALID_NAME);
    CHECK_STATUS(vidbus_producer_create("", &o, &p), VIDBUS_ERR_INVALID_NAME);
    CHECK_STATUS(vidbus_producer_create(NULL, &o, &p), VIDBUS_ERR_INVALID_NAME);
    o.slots = 1;
    CHECK_STATUS(vidbus_producer_create("ok", &o, &p), VIDBUS_ERR_INVALID_OPTION);
    o.slots = 4;
    o.format = (vidbus_format)42;
    CHECK_STATUS(vidbus_producer_create("ok", &o, &p), VIDBUS_ERR_INVALID_OPTION);
    CHECK(strstr(vidbus_last_error(), "Expected a pixel format") != NULL);
    vidbus_consumer *c = NULL;
    CHECK_STATUS(vidbus_consumer_open(test_name("missing"), NULL, &c), VIDBUS_ERR_STREAM_NOT_FOUND);
    CHECK(c == NULL && strstr(vidbus_last_error(), "Start its producer") != NULL);

    const char *name = test_name("exists");
    p = make_producer(name, VIDBUS_FORMAT_RGBA, 16, 16, 2);
    vidbus_producer *second = NULL;
    o.format = VIDBUS_FORMAT_RGBA;
    CHECK_STATUS(vidbus_producer_create(name, &o, &second), VIDBUS_ERR_STREAM_EXISTS);
    vidbus_loan loan;
    vidbus_producer_loan(p, &loan);
    CHECK_STATUS(vidbus_producer_write(p, "x", 1, NULL, NULL), VIDBUS_ERR_FRAME_SIZE);
    vidbus_publish_info big_meta = {.meta = "x", .meta_bytes = 500};
    CHECK_STATUS(vidbus_producer_publish(p, &loan, &big_meta, NULL), VIDBUS_ERR_INVALID_OPTION);
    CHECK_STATUS(vidbus_producer_discard(p, &loan), VIDBUS_OK);
    CHECK_STATUS(vidbus_producer_discard(p, &loan), VIDBUS_ERR_FRAME_RELEASED);
    vidbus_producer_close(p);
    vidbus_producer_close(NULL);
    vidbus_consumer_close(NULL);
}

static void lists_streams(void)
{
    const char *name = test_name("list");
    vidbus_producer *p = make_producer(name, VIDBUS_FORMAT_NV12, 32, 16, 2);
    vidbus_consumer *c = make_consumer(name, VIDBUS_POLICY_LATEST, 0);
    if (p == NULL || c == NULL) return;
    publish_fill(p, 5);
    vidbus_stream_info infos[64];
    size_t count = 0;
    CHECK_STATUS(vidbus_list_streams(infos, 64, &count), VIDBUS_OK);
    int found = 0;
    for (size_t i = 0; i < count && i < 64; i++) {
        if (strcmp(infos[i].name, name) != 0) continue;
        found = 1;
        CHECK(infos[i].status == VIDBUS_STREAM_LIVE && infos[i].layout.format == VIDBUS_FORMAT_NV12 && infos[i].layout.width == 32);
        CHECK(infos[i].consumers == 1 && infos[i].published == 1 && infos[i].producer_pid == getpid() && infos[i].fps_num == 30);
    }
    CHECK(found);
    vidbus_consumer_close(c);
    vidbus_producer_close(p);
}

static void encoded_frames(void)
{
    const char *name = test_name("h264");
    vidbus_producer *p = make_producer(name, VIDBUS_FORMAT_H264, 64, 48, 4);
    vidbus_consumer *c = make_consumer(name, VIDBUS_POLICY_EVERY, 0);
    if (p == NULL || c == NULL) return;
    const uint8_t nal[] = {0, 0, 0, 1, 0x65, 0x88, 0x84};
    vidbus_publish_info key = {.keyframe = 1};
    CHECK_STATUS(vidbus_producer_write(p, nal, sizeof(nal), &key, NULL), VIDBUS_OK);
    CHECK_STATUS(vidbus_producer_write(p, nal, 5, NULL, NULL), VIDBUS_OK);
    vidbus_frame f;
    CHECK_STATUS(vidbus_consumer_wait(c, 1000, &f), VIDBUS_OK);
    CHECK(f.size == sizeof(nal) && f.keyframe && memcmp(f.data, nal, sizeof(nal)) == 0 && f.layout.plane_count == 0);
    vidbus_frame_release(c, &f);
    CHECK_STATUS(vidbus_consumer_wait(c, 1000, &f), VIDBUS_OK);
    CHECK(f.size == 5 && !f.keyframe);
    vidbus_frame_release(c, &f);
    vidbus_consumer_close(c);
    vidbus_producer_close(p);
}

int main(void)
{
    TEST(layouts);
    TEST(every_and_latest);
    TEST(holds_drops_and_leases);
    TEST(missed_under_every);
    TEST(interrupt_and_timeout);
    TEST(follow_across_producers);
    TEST(refuses_bad_arguments);
    TEST(lists_streams);
    TEST(encoded_frames);
    return TEST_SUMMARY();
}
