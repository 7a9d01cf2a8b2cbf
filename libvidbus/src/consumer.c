/* The consumer side of the protocol (docs/protocol.md 5.3-5.5, 5.7, 5.10):
 * attach one generation of a stream (validate, map read-only, claim a
 * record), take frames under holds, sleep on the futex word, notice a dead
 * producer, and follow the name across producers. */
#define _GNU_SOURCE /* F_OFD_SETLK, O_CLOEXEC, futex, inotify */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define LATENCY_WINDOW 1024
/* A producer that backs off restores a slot within a few instructions. */
#define WRITING_SPINS 256
#define RECEIVE_ATTEMPTS 8

/* One producer's generation of the stream, as this consumer attached it.
 * Reference counted (atomically: frames may be released from any thread):
 * held frames keep the mappings alive after the consumer moved on (a
 * following consumer re-attaches). */
typedef struct attachment {
    int refs;
    int data_fd, ctl_fd;
    const uint8_t *data;
    size_t data_bytes;
    uint8_t *ctl;
    size_t ctl_bytes;
    vb_description desc;
    uint32_t record;
} attachment;

struct vidbus_consumer {
    char name[VIDBUS_NAME_MAX + 1];
    vidbus_policy policy;
    bool follow;
    uint32_t open_timeout_ms, liveness_ms;
    attachment *a;
    /* The current futex word, for vidbus_consumer_interrupt() from another thread or a
     * signal handler: a FUTEX_WAKE on a word unmapped meanwhile fails harmlessly (EFAULT). */
    void *wake_word;
    int64_t last_seq;
    uint64_t received, missed, expired_before;
    uint32_t holding, producer_lost;
    int ended; /* 0, or the error every later wait returns */
    int interrupted;
    int inotify_fd;
    double latency[LATENCY_WINDOW];
    uint32_t latency_next, latency_filled;
    double latency_max;
};

void vidbus_consumer_options_init(vidbus_consumer_options *o)
{
    *o = (vidbus_consumer_options){.policy = VIDBUS_POLICY_LATEST, .follow = 0, .open_timeout_ms = 2000, .liveness_interval_ms = 250};
}

static size_t desc_at(uint32_t slot, size_t field)
{
    return VB_DESCRIPTOR_OFFSET + (size_t)slot * VB_DESCRIPTOR_BYTES + field;
}

static size_t rec(const attachment *a, size_t field)
{
    return vb_record_offset(a->record) + field;
}

static size_t hold_at(const attachment *a, uint32_t h, size_t field)
{
    return vb_record_offset(a->record) + R_HOLDS + (size_t)h * VB_HOLD_BYTES + field;
}

static void sleep_ms(int ms)
{
    nanosleep(&(struct timespec){ms / 1000, (long)(ms % 1000) * 1000000L}, NULL);
}

/* -------------------------------------------------------------- attachment */

static void unref(attachment *a)
{
    if (a == NULL || __atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL) > 0) return;
    munmap((void *)a->data, a->data_bytes);
    munmap(a->ctl, a->ctl_bytes);
    free(a);
}

/* Leaves the generation: gives up the record (closing the ctl file drops its lock). */
static void detach(attachment *a)
{
    vb_store32(a->ctl, rec(a, R_WAITING), 0);
    vb_store32(a->ctl, rec(a, R_ACTIVE), 0);
    close(a->ctl_fd);
    close(a->data_fd);
    a->ctl_fd = a->data_fd = -1;
    unref(a);
}

static int claim_record(attachment *a, vidbus_policy policy)
{
    for (uint32_t i = 0; i < a->desc.max_consumers; i++) {
        if (!vb_lock_try(a->ctl_fd, vb_record_offset(i))) continue;
        a->record = i;
        /* Reset it before marking it active: the producer honours a new generation's holds at once. */
        vb_add32(a->ctl, rec(a, R_GENERATION), 1);
        for (uint32_t h = 0; h < VIDBUS_MAX_HOLDS; h++) vb_store64(a->ctl, hold_at(a, h, HOLD_SEQ), 0);
        vb_store32(a->ctl, rec(a, R_WAITING), 0);
        vb_store32(a->ctl, rec(a, R_EXPIRED), 0);
        vb_store32(a->ctl, rec(a, R_RECEIVED), 0);
        vb_store32(a->ctl, rec(a, R_MISSED), 0);
        vb_store32(a->ctl, rec(a, R_PID), (uint32_t)getpid());
        vb_store32(a->ctl, rec(a, R_POLICY), (uint32_t)policy);
        vb_store64(a->ctl, rec(a, R_OPENED_WALL_NS), vb_wall_ns());
        vb_store64(a->ctl, rec(a, R_LAST_SEQ), 0);
        vb_store64(a->ctl, rec(a, R_WAKE_TOKEN), 0); /* this consumer sleeps on the futex */
        vb_store32(a->ctl, rec(a, R_ACTIVE), 1);
        return VIDBUS_OK;
    }
    return vb_fail(VIDBUS_ERR_TOO_MANY_CONSUMERS, "Stream has %u consumers already (its maxConsumers). Close one, or restart the producer with a larger maxConsumers.", a->desc.max_consumers);
}

enum { ATTACH_MISSING = -100, ATTACH_RETRY = -101 };

/* A file with no live producer that never became ready. */
static int stale(const char *name)
{
    vb_reclaim_result r = vb_reclaim(name);
    if (r == VB_NO_ACCESS) {
        return vb_fail(VIDBUS_ERR_NOT_A_STREAM, "/dev/shm/vidbus-%s is not a ready vidbus stream and has no live producer, and this user cannot remove it.", name);
    }
    return ATTACH_MISSING;
}

/* One attempt (protocol 5.3): VIDBUS_OK with *out, ATTACH_MISSING, ATTACH_RETRY, or an error. */
static int attach_once(const char *name, vidbus_policy policy, attachment **out)
{
    char path[128], ctl_path[128];
    vb_data_path(name, path);
    vb_ctl_path(name, ctl_path);
    int data_fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (data_fd < 0) {
        if (errno == ENOENT) return ATTACH_MISSING;
        return vb_fail_errno(errno, "opening the stream");
    }
    int status = VIDBUS_OK;
    attachment *a = NULL;
    struct stat st;
    if (fstat(data_fd, &st) != 0) {
        status = vb_fail_errno(errno, "fstat");
        goto done;
    }
    bool alive = vb_lock_held(data_fd, 0);
    if ((uint64_t)st.st_size < VB_HEADER_BYTES) {
        status = alive ? ATTACH_RETRY : stale(name);
        goto done;
    }
    /* Map only the header until it is validated: the file size is not to be trusted. */
    uint8_t *header = mmap(NULL, VB_HEADER_BYTES, PROT_READ, MAP_SHARED, data_fd, 0);
    if (header == MAP_FAILED) {
        status = vb_fail_errno(errno, "mapping the stream's header");
        goto done;
    }
    vb_description d;
    status = vb_read_header(header, name, (uint64_t)st.st_size, &d);
    munmap(header, VB_HEADER_BYTES);
    if (status == VIDBUS_NO_FRAME) {
        status = alive ? ATTACH_RETRY : stale(name);
        goto done;
    }
    if (status != VIDBUS_OK) goto done;
    if (!alive) {
        /* A producer that died after creating the stream: clean up after it. */
        vb_reclaim(name);
        status = ATTACH_MISSING;
        goto done;
    }
    a = calloc(1, sizeof(*a));
    if (a == NULL) {
        status = vb_fail(VIDBUS_ERR_NO_SPACE, "out of memory");
        goto done;
    }
    a->refs = 1;
    a->ctl_fd = -1;
    a->desc = d;
    a->data_bytes = d.total_bytes;
    a->data = mmap(NULL, a->data_bytes, PROT_READ, MAP_SHARED, data_fd, 0);
    if (a->data == MAP_FAILED) {
        a->data = NULL;
        status = vb_fail_errno(errno, "mapping the stream");
        goto done;
    }
    if (vb_load32(a->data, H_STATE) == STATE_CLOSED) {
        status = ATTACH_MISSING;
        goto done;
    }
    a->ctl_fd = open(ctl_path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (a->ctl_fd < 0) {
        status = errno == ENOENT ? ATTACH_RETRY : vb_fail_errno(errno, "opening the stream's control file");
        goto done;
    }
    struct stat cst;
    a->ctl_bytes = vb_ctl_bytes(d.max_consumers);
    if (fstat(a->ctl_fd, &cst) != 0 || (uint64_t)cst.st_size < a->ctl_bytes) {
        status = ATTACH_RETRY;
        goto done;
    }
    a->ctl = mmap(NULL, a->ctl_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, a->ctl_fd, 0);
    if (a->ctl == MAP_FAILED) {
        a->ctl = NULL;
        status = vb_fail_errno(errno, "mapping the control segment");
        goto done;
    }
    status = vb_check_ctl(a->ctl, (uint64_t)cst.st_size, name, d.max_consumers, (uint64_t)st.st_ino);
    if (status == VIDBUS_NO_FRAME) status = ATTACH_RETRY;
    if (status != VIDBUS_OK) goto done;
    if ((status = claim_record(a, policy)) != VIDBUS_OK) goto done;
    a->data_fd = data_fd;
    *out = a;
    return VIDBUS_OK;

done:
    if (a != NULL) {
        if (a->data != NULL) munmap((void *)a->data, a->data_bytes);
        if (a->ctl != NULL) munmap(a->ctl, a->ctl_bytes);
        if (a->ctl_fd >= 0) close(a->ctl_fd);
        free(a);
    }
    close(data_fd);
    return status;
}

/* Attaches, waiting up to timeout_ms for a stream still being created. */
static int attach(const char *name, vidbus_policy policy, uint32_t timeout_ms, attachment **out)
{
    int64_t deadline = vb_mono_ns() + (int64_t)timeout_ms * 1000000LL;
    for (;;) {
        int status = attach_once(name, policy, out);
        if (status != ATTACH_RETRY) return status;
        if (vb_mono_ns() >= deadline) {
            return vb_fail(VIDBUS_ERR_STREAM_NOT_READY, "Stream \"%s\" exists but its producer has not finished creating it within %u ms. Try again, or raise open_timeout_ms.", name, timeout_ms);
        }
        sleep_ms(5);
    }
}

static void set_attachment(vidbus_consumer *c, attachment *a)
{
    c->a = a;
    __atomic_store_n(&c->wake_word, a != NULL ? (void *)(a->data + H_NOTIFY) : NULL, __ATOMIC_SEQ_CST);
    if (a != NULL) {
        /* Start with the newest frame already published (if any), then every one after it. */
        int64_t latest = vb_load64(a->data, H_LATEST_SEQ);
        c->last_seq = latest > 0 ? latest - 1 : 0;
    }
}

int vidbus_consumer_open(const char *name, const vidbus_consumer_options *o, vidbus_consumer **out)
{
    *out = NULL;
    if (!vb_valid_name(name)) {
        return vb_fail(VIDBUS_ERR_INVALID_NAME, "Expected a stream name of 1 to 63 letters, digits, '-' or '_' (starting with a letter or digit) but received \"%.80s\"", name ? name : "(null)");
    }
    vidbus_consumer_options defaults;
    vidbus_consumer_options_init(&defaults);
    if (o == NULL) o = &defaults;
    if (o->policy != VIDBUS_POLICY_LATEST && o->policy != VIDBUS_POLICY_EVERY) return vb_fail(VIDBUS_ERR_INVALID_OPTION, "Expected policy LATEST (1) or EVERY (2) but received %d", (int)o->policy);
    if (o->liveness_interval_ms < 10 || o->liveness_interval_ms > 60000) {
        return vb_fail(VIDBUS_ERR_INVALID_OPTION, "Expected liveness_interval_ms from 10 to 60000 but received %u", o->liveness_interval_ms);
    }
    vidbus_consumer *c = calloc(1, sizeof(*c));
    if (c == NULL) return vb_fail(VIDBUS_ERR_NO_SPACE, "out of memory");
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->policy = o->policy;
    c->follow = o->follow != 0;
    c->open_timeout_ms = o->open_timeout_ms;
    c->liveness_ms = o->liveness_interval_ms;
    c->inotify_fd = -1;
    attachment *a = NULL;
    int status = attach(name, c->policy, c->open_timeout_ms, &a);
    if (status == ATTACH_MISSING && !c->follow) {
        status = vb_fail(VIDBUS_ERR_STREAM_NOT_FOUND, "No stream named \"%s\". Start its producer first (`vidbus list` shows live streams), or open with follow to wait for it.", name);
    }
    if (status != VIDBUS_OK && status != ATTACH_MISSING) {
        free(c);
        return status;
    }
    set_attachment(c, status == VIDBUS_OK ? a : NULL);
    *out = c;
    return VIDBUS_OK;
}

/* ------------------------------------------------------------------ receive */

static int32_t slot_of(const attachment *a, int64_t seq, int32_t hint)
{
    if (hint >= 0 && (uint32_t)hint < a->desc.slot_count && vb_load64(a->data, desc_at((uint32_t)hint, D_SEQ)) == seq) return hint;
    for (uint32_t s = 0; s < a->desc.slot_count; s++) {
        if (vb_load64(a->data, desc_at(s, D_SEQ)) == seq) return (int32_t)s;
    }
    return -1;
}

/* Which frame to take next (protocol 5.4 "Choose"): false if nothing new. */
static bool choose(const vidbus_consumer *c, const attachment *a, int32_t *slot, int64_t *seq)
{
    int64_t latest = vb_load64(a->data, H_LATEST_SEQ);
    if (latest <= c->last_seq) return false;
    if (c->policy == VIDBUS_POLICY_LATEST) {
        *slot = slot_of(a, latest, (int32_t)vb_load32(a->data, H_LATEST_SLOT));
        *seq = latest;
        return *slot >= 0;
    }
    *seq = c->last_seq + 1;
    *slot = slot_of(a, *seq, -1);
    if (*slot >= 0) return true;
    /* The next one was overwritten: the oldest committed frame after it. */
    *slot = -1;
    for (uint32_t s = 0; s < a->desc.slot_count; s++) {
        int64_t q = vb_load64(a->data, desc_at(s, D_SEQ));
        if (q > c->last_seq && (*slot < 0 || q < *seq)) {
            *slot = (int32_t)s;
            *seq = q;
        }
    }
    return *slot >= 0;
}

/* Holds `seq` in `slot` (protocol 5.4 "Hold", Dekker). Returns the hold index, -1 if the slot moved on, or -2 if every hold is taken. */
static int try_hold(attachment *a, uint32_t slot, int64_t seq)
{
    int h = -1;
    for (uint32_t i = 0; i < VIDBUS_MAX_HOLDS; i++) {
        if (vb_load64(a->ctl, hold_at(a, i, HOLD_SEQ)) == 0) {
            h = (int)i;
            break;
        }
    }
    if (h < 0) return -2;
    vb_store64(a->ctl, hold_at(a, (uint32_t)h, HOLD_SINCE), vb_mono_ns());
    vb_store64(a->ctl, hold_at(a, (uint32_t)h, HOLD_SEQ), seq);
    for (int spin = 0; spin < WRITING_SPINS; spin++) {
        int64_t current = vb_load64(a->data, desc_at(slot, D_SEQ));
        if (current == seq) return h;
        if (current != VB_SEQ_WRITING) break;
    }
    vb_store64(a->ctl, hold_at(a, (uint32_t)h, HOLD_SEQ), 0);
    return -1;
}

static void add_latency(vidbus_consumer *c, double us)
{
    c->latency[c->latency_next] = us;
    c->latency_next = (c->latency_next + 1) % LATENCY_WINDOW;
    if (c->latency_filled < LATENCY_WINDOW) c->latency_filled++;
    if (us > c->latency_max) c->latency_max = us;
}

static int deliver(vidbus_consumer *c, attachment *a, uint32_t slot, int64_t seq, int hold, vidbus_frame *f)
{
    const uint8_t *d = a->data;
    /* Written by another process: check before making views. */
    uint32_t size = vb_get32(d, desc_at(slot, D_SIZE));
    uint32_t meta_bytes = vb_get32(d, desc_at(slot, D_USER_META_BYTES));
    const vidbus_layout *l = &a->desc.layout;
    bool raw = l->plane_count > 0;
    if (size > l->frame_bytes || (raw && size != l->frame_bytes) || meta_bytes > VIDBUS_MAX_META) {
        vb_cas64(a->ctl, hold_at(a, (uint32_t)hold, HOLD_SEQ), seq, 0);
        return vb_fail(VIDBUS_ERR_STREAM_CORRUPT, "Stream \"%s\" published a frame with an impossible size (%u bytes, %u metadata bytes; slots hold %u)", c->name, size, meta_bytes,
                       l->frame_bytes);
    }
    if (seq > c->last_seq + 1) c->missed += (uint64_t)(seq - c->last_seq - 1);
    c->last_seq = seq;
    c->received++;
    int64_t published = vb_get64(d, desc_at(slot, D_PUBLISH_MONO_NS));
    /* The timestamp is the producer's word: a clock from the future or a wild value counts as 0, not as overflow. */
    int64_t now = vb_mono_ns();
    add_latency(c, published > 0 && published <= now ? (double)(now - published) / 1000.0 : 0.0);
    vb_store32(a->ctl, rec(a, R_RECEIVED), (uint32_t)c->received);
    vb_store32(a->ctl, rec(a, R_MISSED), (uint32_t)c->missed);
    vb_store64(a->ctl, rec(a, R_LAST_SEQ), seq);
    *f = (vidbus_frame){
        .seq = (uint64_t)seq,
        .data = d + a->desc.data_offset + (uint64_t)slot * a->desc.slot_stride,
        .size = size,
        .keyframe = (vb_get32(d, desc_at(slot, D_FLAGS)) & VB_FLAG_KEYFRAME) != 0,
        .timestamp_ns = vb_get64(d, desc_at(slot, D_CAPTURE_MONO_NS)),
        .wall_ns = vb_get64(d, desc_at(slot, D_CAPTURE_WALL_NS)),
        .publish_ns = published,
        .meta = d + desc_at(slot, D_USER_META),
        .meta_bytes = meta_bytes,
        .layout = *l,
        .internal_ = a,
        .hold_ = hold,
    };
    __atomic_add_fetch(&a->refs, 1, __ATOMIC_ACQ_REL); /* the frame keeps this generation's mappings alive until released */
    __atomic_add_fetch(&c->holding, 1, __ATOMIC_SEQ_CST);
    return VIDBUS_OK;
}

static int receive(vidbus_consumer *c, attachment *a, vidbus_frame *f)
{
    /* Each failed hold means the producer overwrote the slot meanwhile: something newer exists. */
    for (int attempt = 0; attempt < RECEIVE_ATTEMPTS; attempt++) {
        int32_t slot;
        int64_t seq;
        if (!choose(c, a, &slot, &seq)) return VIDBUS_NO_FRAME;
        int h = try_hold(a, (uint32_t)slot, seq);
        if (h == -2) return vb_fail(VIDBUS_ERR_TOO_MANY_HOLDS, "This consumer already holds %d frames; release one (vidbus_frame_release) before receiving another.", VIDBUS_MAX_HOLDS);
        if (h < 0) continue;
        return deliver(c, a, (uint32_t)slot, seq, h, f);
    }
    return VIDBUS_NO_FRAME;
}

int vidbus_consumer_try_receive(vidbus_consumer *c, vidbus_frame *f)
{
    if (c == NULL || f == NULL) return vb_fail(VIDBUS_ERR_INVALID_OPTION, "vidbus_consumer_try_receive needs a consumer and a frame");
    if (c->a == NULL) return c->ended ? c->ended : VIDBUS_NO_FRAME;
    return receive(c, c->a, f);
}

/* ----------------------------------------------------------------- waiting */

static int end_error(const vidbus_consumer *c, int reason)
{
    return reason == VIDBUS_ERR_STREAM_ENDED ? vb_fail(reason, "The producer of \"%s\" closed the stream", c->name)
                                             : vb_fail(reason, "The producer of \"%s\" died without closing the stream", c->name);
}

/* The producer went away (reason ERR_STREAM_ENDED or ERR_PRODUCER_DIED): leave this generation. */
static int lose(vidbus_consumer *c, int reason)
{
    attachment *a = c->a;
    set_attachment(c, NULL);
    c->producer_lost++;
    c->expired_before += vb_load32(a->ctl, rec(a, R_EXPIRED));
    detach(a);
    /* A dead producer cannot remove its files; whoever notices does. */
    if (reason == VIDBUS_ERR_PRODUCER_DIED) vb_reclaim(c->name);
    if (c->follow) return VIDBUS_OK;
    c->ended = reason;
    return end_error(c, reason);
}

static int remaining_ms(int64_t deadline)
{
    if (deadline == INT64_MAX) return 1 << 30;
    int64_t left = (deadline - vb_mono_ns()) / 1000000;
    return left < 0 ? 0 : left > (1 << 30) ? 1 << 30 : (int)left;
}

/* Following: waits (inotify on /dev/shm) until a producer takes the name, or the deadline. */
static int wait_for_producer(vidbus_consumer *c, int64_t deadline)
{
    if (c->inotify_fd < 0) {
        c->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (c->inotify_fd >= 0 && inotify_add_watch(c->inotify_fd, "/dev/shm", IN_CREATE | IN_MOVED_TO) < 0) {
            close(c->inotify_fd);
            c->inotify_fd = -1;
        }
    }
    for (;;) {
        if (__atomic_exchange_n(&c->interrupted, 0, __ATOMIC_SEQ_CST)) return vb_fail(VIDBUS_ERR_ABORTED, "The wait was interrupted");
        attachment *a = NULL;
        int left = remaining_ms(deadline);
        int status = attach(c->name, c->policy, (uint32_t)(left < (int)c->open_timeout_ms ? left : (int)c->open_timeout_ms), &a);
        if (status == VIDBUS_OK) {
            set_attachment(c, a);
            return VIDBUS_OK;
        }
        if (status != ATTACH_MISSING) return status;
        if (left <= 0) return VIDBUS_NO_FRAME;
        int slice = left < 1000 ? left : 1000;
        if (slice > (int)c->liveness_ms) slice = (int)c->liveness_ms; /* notice interrupts */
        if (c->inotify_fd >= 0) {
            struct pollfd pfd = {c->inotify_fd, POLLIN, 0};
            if (poll(&pfd, 1, slice) > 0) {
                char events[4096];
                while (read(c->inotify_fd, events, sizeof(events)) > 0) {
                }
            }
        } else {
            sleep_ms(slice < 50 ? slice : 50);
        }
    }
}

int vidbus_consumer_wait(vidbus_consumer *c, int timeout_ms, vidbus_frame *f)
{
    if (c == NULL || f == NULL) return vb_fail(VIDBUS_ERR_INVALID_OPTION, "vidbus_consumer_wait needs a consumer and a frame");
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : vb_mono_ns() + (int64_t)timeout_ms * 1000000LL;
    for (;;) {
        if (__atomic_exchange_n(&c->interrupted, 0, __ATOMIC_SEQ_CST)) return vb_fail(VIDBUS_ERR_ABORTED, "The wait was interrupted");
        attachment *a = c->a;
        if (a == NULL) {
            if (c->ended) return end_error(c, c->ended);
            int status = wait_for_producer(c, deadline);
            if (status != VIDBUS_OK) return status;
            continue;
        }
        uint32_t notify = vb_load32(a->data, H_NOTIFY);
        int status = receive(c, a, f);
        if (status != VIDBUS_NO_FRAME) return status;
        if (vb_load32(a->data, H_STATE) == STATE_CLOSED) {
            /* Frames published just before the close are still there. */
            status = receive(c, a, f);
            if (status != VIDBUS_NO_FRAME) return status;
            if ((status = lose(c, VIDBUS_ERR_STREAM_ENDED)) != VIDBUS_OK) return status;
            continue;
        }
        int left = remaining_ms(deadline);
        if (left <= 0) return VIDBUS_NO_FRAME;
        /* SYNC POINT (Dekker with the producer's publish): announce the sleep, then re-read the word. */
        vb_store32(a->ctl, rec(a, R_WAITING), 1);
        int timed_out = 0;
        if (vb_load32(a->data, H_NOTIFY) == notify) {
            timed_out = vb_futex_wait((void *)(a->data + H_NOTIFY), notify, left < (int)c->liveness_ms ? left : (int)c->liveness_ms);
        }
        vb_store32(a->ctl, rec(a, R_WAITING), 0);
        if (timed_out && !vb_lock_held(a->data_fd, 0)) {
            /* A dead producer's last frames are still in the mapping. */
            status = receive(c, a, f);
            if (status != VIDBUS_NO_FRAME) return status;
            if ((status = lose(c, VIDBUS_ERR_PRODUCER_DIED)) != VIDBUS_OK) return status;
        }
    }
}

void vidbus_consumer_interrupt(vidbus_consumer *c)
{
    if (c == NULL) return;
    __atomic_store_n(&c->interrupted, 1, __ATOMIC_SEQ_CST);
    /* A spurious wake for other sleepers on this stream, who simply re-check. */
    void *word = __atomic_load_n(&c->wake_word, __ATOMIC_SEQ_CST);
    if (word != NULL) vb_futex_wake(word);
}

/* ------------------------------------------------------------ holds, stats */

int vidbus_frame_release(vidbus_consumer *c, vidbus_frame *f)
{
    if (f == NULL || f->internal_ == NULL) return vb_fail(VIDBUS_ERR_FRAME_RELEASED, "This frame was already released");
    attachment *a = f->internal_;
    bool intact = f->hold_ >= 0 && f->hold_ < VIDBUS_MAX_HOLDS && vb_cas64(a->ctl, hold_at(a, (uint32_t)f->hold_, HOLD_SEQ), (int64_t)f->seq, 0);
    f->internal_ = NULL;
    f->data = NULL;
    f->meta = NULL;
    if (c != NULL) __atomic_sub_fetch(&c->holding, 1, __ATOMIC_SEQ_CST);
    unref(a);
    if (!intact) return vb_fail(VIDBUS_ERR_FRAME_RELEASED, "Frame %llu outlived its lease (the stream's hold lifespan) and may have been overwritten while it was read; renew long reads", (unsigned long long)f->seq);
    return VIDBUS_OK;
}

int vidbus_frame_renew(vidbus_consumer *c, vidbus_frame *f)
{
    (void)c;
    if (f == NULL || f->internal_ == NULL) return vb_fail(VIDBUS_ERR_FRAME_RELEASED, "This frame was already released");
    attachment *a = f->internal_;
    size_t seq_at = hold_at(a, (uint32_t)f->hold_, HOLD_SEQ);
    if (vb_load64(a->ctl, seq_at) != (int64_t)f->seq) return vb_fail(VIDBUS_ERR_FRAME_RELEASED, "Frame %llu's lease had already run out", (unsigned long long)f->seq);
    vb_store64(a->ctl, hold_at(a, (uint32_t)f->hold_, HOLD_SINCE), vb_mono_ns());
    /* The producer may have revoked between the two accesses. */
    if (vb_load64(a->ctl, seq_at) != (int64_t)f->seq) return vb_fail(VIDBUS_ERR_FRAME_RELEASED, "Frame %llu's lease had already run out", (unsigned long long)f->seq);
    return VIDBUS_OK;
}

static int compare_doubles(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

void vidbus_consumer_get_stats(vidbus_consumer *c, vidbus_consumer_stats *s)
{
    double sorted[LATENCY_WINDOW];
    uint32_t n = c->latency_filled;
    memcpy(sorted, c->latency, n * sizeof(double));
    qsort(sorted, n, sizeof(double), compare_doubles);
    uint64_t expired = c->expired_before + (c->a != NULL ? vb_load32(c->a->ctl, rec(c->a, R_EXPIRED)) : 0);
    *s = (vidbus_consumer_stats){
        .received = c->received,
        .missed = c->missed,
        .expired = expired,
        .holding = __atomic_load_n(&c->holding, __ATOMIC_SEQ_CST),
        .producer_lost = c->producer_lost,
        .latency_count = n,
        .latency_p50_us = n ? sorted[(n - 1) / 2] : 0,
        .latency_p99_us = n ? sorted[(uint32_t)((n - 1) * 0.99)] : 0,
        .latency_max_us = c->latency_max,
        .connected = c->a != NULL,
    };
}

const vidbus_layout *vidbus_consumer_layout(const vidbus_consumer *c)
{
    return c->a != NULL ? &c->a->desc.layout : NULL;
}

void vidbus_consumer_fps(const vidbus_consumer *c, uint32_t *num, uint32_t *den)
{
    *num = c->a != NULL ? c->a->desc.fps_num : 0;
    *den = c->a != NULL ? c->a->desc.fps_den : 1;
}

uint32_t vidbus_consumer_slot_count(const vidbus_consumer *c)
{
    return c->a != NULL ? c->a->desc.slot_count : 0;
}

uint32_t vidbus_consumer_hold_lifespan_ms(const vidbus_consumer *c)
{
    return c->a != NULL ? c->a->desc.hold_lifespan_ms : 0;
}

void vidbus_consumer_close(vidbus_consumer *c)
{
    if (c == NULL) return;
    attachment *a = c->a;
    set_attachment(c, NULL);
    if (a != NULL) detach(a);
    if (c->inotify_fd >= 0) close(c->inotify_fd);
    free(c);
}
