/* The producer side of the protocol (docs/protocol.md 5.1, 5.2, 5.6, 5.10):
 * create a stream atomically, loan slots that no live consumer holds,
 * publish with a release store of the sequence number, wake sleepers only
 * when one sleeps, and never wait for a consumer. */
#define _GNU_SOURCE /* F_OFD_SETLK, O_CLOEXEC, futex, inotify */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* How often (ms) the producer re-tests a consumer record's lock, and sweeps expired holds. */
#define LIVENESS_RECHECK_MS 1000
#define SWEEP_INTERVAL_MS 250

typedef struct {
    uint32_t generation;
    bool alive;
    bool checked;
    int64_t checked_ms;
} liveness;

struct vidbus_producer {
    char name[VIDBUS_NAME_MAX + 1];
    int data_fd, ctl_fd;
    uint8_t *data;
    size_t data_bytes;
    uint8_t *ctl;
    size_t ctl_bytes;
    vidbus_layout layout;
    uint32_t slots, slot_stride, records;
    uint64_t data_offset;
    int64_t lifespan_ns;
    int64_t seq;
    uint64_t published, dropped;
    uint64_t loaned; /* bit s: slot s is lent out */
    int64_t last_sweep_ms;
    liveness *live;
    int wake_fd; /* sends socket wakes; opened on the first consumer asleep on one */
    vidbus_producer *next_open;
};

void vidbus_producer_options_init(vidbus_producer_options *o)
{
    memset(o, 0, sizeof(*o));
    o->fps_num = 30;
    o->fps_den = 1;
    o->slots = 4;
    o->hold_lifespan_ms = 2000;
    o->max_consumers = 32;
    o->mode = 0600;
    o->gid = -1;
}

/* Producers still open at exit are closed, so a program that forgets to
 * close (or calls exit()) leaves nothing in /dev/shm. */
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static vidbus_producer *open_list;
static bool exit_hooked;

static void close_all_at_exit(void)
{
    for (;;) {
        pthread_mutex_lock(&open_lock);
        vidbus_producer *p = open_list;
        pthread_mutex_unlock(&open_lock);
        if (p == NULL) return;
        vidbus_producer_close(p);
    }
}

static void track(vidbus_producer *p, bool add)
{
    pthread_mutex_lock(&open_lock);
    if (add) {
        p->next_open = open_list;
        open_list = p;
        if (!exit_hooked) exit_hooked = atexit(close_all_at_exit) == 0;
    } else {
        for (vidbus_producer **at = &open_list; *at != NULL; at = &(*at)->next_open) {
            if (*at == p) {
                *at = p->next_open;
                break;
            }
        }
    }
    pthread_mutex_unlock(&open_lock);
}

static int64_t now_ms(void)
{
    return vb_mono_ns() / 1000000;
}

static size_t desc(uint32_t slot, size_t field)
{
    return VB_DESCRIPTOR_OFFSET + (size_t)slot * VB_DESCRIPTOR_BYTES + field;
}

static size_t rec(uint32_t record, size_t field)
{
    return vb_record_offset(record) + field;
}

static size_t hold(uint32_t record, uint32_t h, size_t field)
{
    return vb_record_offset(record) + R_HOLDS + (size_t)h * VB_HOLD_BYTES + field;
}

/* ---------------------------------------------------------------- creation */

static int fallocate_all(int fd, uint64_t bytes, const char *what)
{
    int r;
    do {
        r = posix_fallocate(fd, 0, (off_t)bytes);
    } while (r == EINTR);
    return r == 0 ? VIDBUS_OK : vb_fail_errno(r, what);
}

static int set_permissions(int fd, uint32_t mode, int64_t gid, const char *what)
{
    if (fchmod(fd, (mode_t)mode) != 0 || (gid >= 0 && fchown(fd, (uid_t)-1, (gid_t)gid) != 0)) return vb_fail_errno(errno, what);
    return VIDBUS_OK;
}

static void write_header(vidbus_producer *p, const vidbus_producer_options *o)
{
    uint8_t *h = p->data;
    const vidbus_layout *l = &p->layout;
    vb_put32(h, H_MAGIC, VB_DATA_MAGIC);
    vb_put32(h, H_HEADER_BYTES, VB_HEADER_BYTES);
    vb_put32(h, H_FLAGS, VB_HEADER_WAKES_SOCKETS);
    vb_put64(h, H_TOTAL_BYTES, (int64_t)p->data_bytes);
    vb_put32(h, H_SLOT_COUNT, p->slots);
    vb_put32(h, H_SLOT_STRIDE, p->slot_stride);
    vb_put32(h, H_DESCRIPTOR_OFFSET, VB_DESCRIPTOR_OFFSET);
    vb_put32(h, H_DESCRIPTOR_BYTES, VB_DESCRIPTOR_BYTES);
    vb_put64(h, H_DATA_OFFSET, (int64_t)p->data_offset);
    vb_put32(h, H_FOURCC, l->fourcc);
    vb_put32(h, H_WIDTH, l->width);
    vb_put32(h, H_HEIGHT, l->height);
    vb_put32(h, H_PLANE_COUNT, l->plane_count);
    for (uint32_t i = 0; i < l->plane_count; i++) {
        vb_put32(h, H_PLANE_OFFSETS + 4 * i, l->offsets[i]);
        vb_put32(h, H_PLANE_STRIDES + 4 * i, l->strides[i]);
    }
    vb_put32(h, H_FRAME_BYTES, l->frame_bytes);
    vb_put32(h, H_FPS_NUM, o->fps_num);
    vb_put32(h, H_FPS_DEN, o->fps_den);
    vb_put32(h, H_PRODUCER_PID, (uint32_t)getpid());
    vb_put32(h, H_HOLD_LIFESPAN_MS, o->hold_lifespan_ms);
    vb_put32(h, H_MAX_CONSUMERS, p->records);
    vb_put64(h, H_CREATED_WALL_NS, vb_wall_ns());
    vb_put64(h, H_CREATED_MONO_NS, vb_mono_ns());
    vb_store32(h, H_STATE, STATE_LIVE);
    vb_store32(h, H_LATEST_SLOT, (uint32_t)-1);
    memcpy(h + H_NAME, p->name, strlen(p->name));
}

static int validate_options(const vidbus_producer_options *o)
{
    if (o->fps_den < 1) return vb_fail(VIDBUS_ERR_INVALID_OPTION, "Expected fps_den of at least 1 but received 0");
    if (o->slots < VB_MIN_SLOTS || o->slots > VB_MAX_SLOTS) return vb_fail(VIDBUS_ERR_INVALID_OPTION, "Expected slots from 2 to 64 but received %u", o->slots);
    if (o->hold_lifespan_ms < 1 || o->hold_lifespan_ms > (1u << 31)) return vb_fail(VIDBUS_ERR_INVALID_OPTION, "Expected hold_lifespan_ms from 1 to 2^31 but received %u", o->hold_lifespan_ms);
    if (o->max_consumers < 1 || o->max_consumers > VB_MAX_CONSUMERS) return vb_fail(VIDBUS_ERR_INVALID_OPTION, "Expected max_consumers from 1 to 256 but received %u", o->max_consumers);
    if ((o->mode & ~0777u) != 0 || (o->mode & 0600u) != 0600u) return vb_fail(VIDBUS_ERR_INVALID_OPTION, "Expected a mode with owner read and write (0600, 0640, 0644...) but received 0%o", o->mode);
    return VIDBUS_OK;
}

/* Puts the built data file under the stream's name (protocol 5.1 step 9). */
static int take_name(const char *name, const char *temp, const char *path)
{
    for (int attempt = 0;; attempt++) {
        if (link(temp, path) == 0) return VIDBUS_OK;
        if (errno != EEXIST) return vb_fail_errno(errno, "creating the stream's file in /dev/shm");
        vb_reclaim_result r = vb_reclaim(name);
        if (r == VB_RECLAIMED || r == VB_MISSING) continue;
        if (r == VB_NO_ACCESS) {
            return vb_fail(VIDBUS_ERR_PERMISSION, "Stream \"%s\" exists and belongs to another user (%s); pick another name or ask that user to stop it.", name, path);
        }
        if (attempt >= 5) return vb_fail(VIDBUS_ERR_STREAM_EXISTS, "Stream \"%s\" already has a live producer. Stop it first, or publish under another name.", name);
        nanosleep(&(struct timespec){0, 10000000L}, NULL);
    }
}

static void unmap_and_close(vidbus_producer *p)
{
    if (p->data != NULL) munmap(p->data, p->data_bytes);
    if (p->ctl != NULL) munmap(p->ctl, p->ctl_bytes);
    if (p->ctl_fd >= 0) close(p->ctl_fd);
    if (p->data_fd >= 0) close(p->data_fd); /* drops the producer lock */
    if (p->wake_fd >= 0) close(p->wake_fd);
    free(p->live);
    free(p);
}

int vidbus_producer_create(const char *name, const vidbus_producer_options *o, vidbus_producer **out)
{
    *out = NULL;
    if (!vb_valid_name(name)) {
        return vb_fail(VIDBUS_ERR_INVALID_NAME, "Expected a stream name of 1 to 63 letters, digits, '-' or '_' (starting with a letter or digit) but received \"%.80s\"", name ? name : "(null)");
    }
    if (o == NULL) return vb_fail(VIDBUS_ERR_INVALID_OPTION, "Expected producer options (vidbus_producer_options_init) but received NULL");
    int status = validate_options(o);
    if (status != VIDBUS_OK) return status;
    vidbus_producer *p = calloc(1, sizeof(*p));
    if (p == NULL) return vb_fail(VIDBUS_ERR_NO_SPACE, "out of memory");
    p->data_fd = p->ctl_fd = p->wake_fd = -1;
    snprintf(p->name, sizeof(p->name), "%s", name);
    status = vb_layout_compute(o->format, o->width, o->height, o->strides, o->max_frame_bytes, &p->layout);
    if (status != VIDBUS_OK) {
        free(p);
        return status;
    }
    p->slots = o->slots;
    p->records = o->max_consumers;
    p->slot_stride = (uint32_t)vb_slot_stride_for(p->layout.frame_bytes);
    p->data_offset = vb_data_offset_for(p->slots);
    p->data_bytes = vb_total_bytes_for(p->slots, p->layout.frame_bytes);
    p->ctl_bytes = vb_ctl_bytes(p->records);
    p->lifespan_ns = (int64_t)o->hold_lifespan_ms * 1000000LL;
    p->live = calloc(p->records, sizeof(*p->live));
    if (p->live == NULL) {
        free(p);
        return vb_fail(VIDBUS_ERR_NO_SPACE, "out of memory");
    }
    vb_sweep_temps(name);

    char path[128], ctl_path[128], temp[160];
    vb_data_path(name, path);
    vb_ctl_path(name, ctl_path);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    snprintf(temp, sizeof(temp), "%s.new-%d-%08lx", path, (int)getpid(), (unsigned long)(ts.tv_nsec ^ (long)(uintptr_t)p) & 0xffffffffUL);
    bool named = false;

    /* 1. The data segment, under a private temporary name, locked. */
    p->data_fd = open(temp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (p->data_fd < 0) {
        status = vb_fail_errno(errno, "creating the stream's file in /dev/shm");
        goto fail;
    }
    vb_lock_try(p->data_fd, 0); /* a fresh inode: always succeeds */
    if ((status = fallocate_all(p->data_fd, p->data_bytes, "reserving the stream's memory")) != VIDBUS_OK) goto fail;
    p->data = mmap(NULL, p->data_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, p->data_fd, 0);
    if (p->data == MAP_FAILED) {
        p->data = NULL;
        status = vb_fail_errno(errno, "mapping the stream");
        goto fail;
    }
    write_header(p, o);
    if ((status = set_permissions(p->data_fd, o->mode, o->gid, path)) != VIDBUS_OK) goto fail;
    /* SYNC POINT (release): the version word last; openers wait for it. */
    vb_store32(p->data, H_VERSION, VIDBUS_LAYOUT_VERSION);

    /* 2. Take the name. */
    if ((status = take_name(name, temp, path)) != VIDBUS_OK) goto fail;
    named = true;
    unlink(temp);

    /* 3. The control segment; any ctl file at its path is stale. */
    unlink(ctl_path);
    p->ctl_fd = open(ctl_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (p->ctl_fd < 0) {
        status = vb_fail_errno(errno, "creating the stream's control file");
        goto fail;
    }
    if ((status = fallocate_all(p->ctl_fd, p->ctl_bytes, "reserving the control segment")) != VIDBUS_OK) goto fail;
    p->ctl = mmap(NULL, p->ctl_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, p->ctl_fd, 0);
    if (p->ctl == MAP_FAILED) {
        p->ctl = NULL;
        status = vb_fail_errno(errno, "mapping the control segment");
        goto fail;
    }
    /* Readers of a group-shared stream must be able to claim a record: add write where read is granted. */
    uint32_t ctl_mode = o->mode | ((o->mode & 0044u) << 1);
    if ((status = set_permissions(p->ctl_fd, ctl_mode, o->gid, ctl_path)) != VIDBUS_OK) goto fail;
    struct stat st;
    if (fstat(p->data_fd, &st) != 0) {
        status = vb_fail_errno(errno, "fstat");
        goto fail;
    }
    vb_put32(p->ctl, C_MAGIC, VB_CTL_MAGIC);
    vb_put32(p->ctl, C_RECORD_COUNT, p->records);
    vb_put32(p->ctl, C_RECORD_BYTES, VB_RECORD_BYTES);
    vb_put32(p->ctl, C_HOLDS_PER_RECORD, VIDBUS_MAX_HOLDS);
    vb_put32(p->ctl, C_RECORDS_OFFSET, VB_CTL_HEADER_BYTES);
    vb_put64(p->ctl, C_DATA_INODE, (int64_t)st.st_ino);
    /* SYNC POINT (release): version last. */
    vb_store32(p->ctl, C_VERSION, VIDBUS_LAYOUT_VERSION);
    p->last_sweep_ms = now_ms();
    track(p, true);
    *out = p;
    return VIDBUS_OK;

fail:
    unlink(temp);
    if (named) {
        unlink(ctl_path);
        unlink(path);
    }
    unmap_and_close(p);
    return status;
}

/* ------------------------------------------------------ consumers' records */

static bool active(const vidbus_producer *p, uint32_t i)
{
    return vb_load32(p->ctl, rec(i, R_ACTIVE)) == 1;
}

/* Known dead in its current generation? Never a syscall. */
static bool known_dead(const vidbus_producer *p, uint32_t i)
{
    const liveness *l = &p->live[i];
    return l->checked && !l->alive && l->generation == vb_load32(p->ctl, rec(i, R_GENERATION));
}

static bool considered_live(const vidbus_producer *p, uint32_t i)
{
    return active(p, i) && !known_dead(p, i);
}

static bool check_alive(vidbus_producer *p, uint32_t i, int64_t ms)
{
    liveness *l = &p->live[i];
    l->generation = vb_load32(p->ctl, rec(i, R_GENERATION));
    l->alive = vb_lock_held(p->ctl_fd, vb_record_offset(i));
    l->checked = true;
    l->checked_ms = ms;
    return l->alive;
}

static bool is_held(const vidbus_producer *p, int64_t seq)
{
    for (uint32_t i = 0; i < p->records; i++) {
        if (!considered_live(p, i)) continue;
        for (uint32_t h = 0; h < VIDBUS_MAX_HOLDS; h++) {
            if (vb_load64(p->ctl, hold(i, h, HOLD_SEQ)) == seq) return true;
        }
    }
    return false;
}

/* Sends a datagram to each live consumer asleep on its wake socket; true if
 * any sleeps on the futex (an unknown mode or a zero token counts as the
 * futex: the record is untrusted, and a spurious futex wake is harmless). */
static bool wake_sleepers(vidbus_producer *p)
{
    bool futex = false;
    for (uint32_t i = 0; i < p->records; i++) {
        uint32_t mode = vb_load32(p->ctl, rec(i, R_WAITING));
        if (mode == WAIT_AWAKE || mode == WAIT_SOCKET_SIGNALLED || !considered_live(p, i)) continue;
        uint64_t token = mode == WAIT_SOCKET ? (uint64_t)vb_load64(p->ctl, rec(i, R_WAKE_TOKEN)) : 0;
        if (token != 0 && p->wake_fd < 0) p->wake_fd = vb_wake_sender_open();
        if (token == 0 || p->wake_fd < 0) {
            futex = true;
            continue;
        }
        /* One datagram per sleep: mark it signalled first (a consumer that changed the word is awake or sleeping anew). */
        uint32_t expected = WAIT_SOCKET;
        if (__atomic_compare_exchange_n((uint32_t *)(p->ctl + rec(i, R_WAITING)), &expected, WAIT_SOCKET_SIGNALLED, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            vb_wake_send(p->wake_fd, token);
        }
    }
    return futex;
}

/* Re-tests liveness (at most once a second per record unless forced) and revokes holds past their lifespan. */
static void sweep(vidbus_producer *p, bool force)
{
    int64_t ms = now_ms();
    if (!force && ms - p->last_sweep_ms < SWEEP_INTERVAL_MS) return;
    p->last_sweep_ms = ms;
    int64_t now = vb_mono_ns();
    for (uint32_t i = 0; i < p->records; i++) {
        if (!active(p, i)) continue;
        liveness *l = &p->live[i];
        bool stale = force || !l->checked || l->generation != vb_load32(p->ctl, rec(i, R_GENERATION)) || ms - l->checked_ms >= LIVENESS_RECHECK_MS;
        if (stale && !check_alive(p, i, ms)) continue;
        if (!l->alive) continue;
        for (uint32_t h = 0; h < VIDBUS_MAX_HOLDS; h++) {
            int64_t seq = vb_load64(p->ctl, hold(i, h, HOLD_SEQ));
            if (seq <= 0) continue;
            int64_t since = vb_load64(p->ctl, hold(i, h, HOLD_SINCE));
            /* Written as a comparison, not `now - since`: a consumer's wild `since` must not overflow. */
            if (since >= now - p->lifespan_ns) continue;
            /* Lifespan over: revoke, and tell the consumer through its counter. */
            if (vb_cas64(p->ctl, hold(i, h, HOLD_SEQ), seq, 0)) vb_add32(p->ctl, rec(i, R_EXPIRED), 1);
        }
    }
}

/* ------------------------------------------------------------------ publish */

static int64_t slot_seq(const vidbus_producer *p, uint32_t s)
{
    return vb_load64(p->data, desc(s, D_SEQ));
}

/* Marks the slot as being written unless a live consumer holds its frame (protocol 5.2, Dekker). */
static bool claim(vidbus_producer *p, uint32_t s)
{
    int64_t previous = slot_seq(p, s);
    vb_store64(p->data, desc(s, D_SEQ), VB_SEQ_WRITING);
    if (previous > 0 && is_held(p, previous)) {
        vb_store64(p->data, desc(s, D_SEQ), previous);
        return false;
    }
    return true;
}

/* The oldest slot that is neither the latest, loaned, nor held; -1 if none. */
static int32_t pick_slot(vidbus_producer *p)
{
    int32_t latest = (int32_t)vb_load32(p->data, H_LATEST_SLOT);
    uint64_t tried = 0;
    for (;;) {
        int32_t best = -1;
        int64_t best_seq = 0;
        for (uint32_t s = 0; s < p->slots; s++) {
            if ((int32_t)s == latest || (p->loaned >> s) & 1u || (tried >> s) & 1u) continue;
            int64_t seq = slot_seq(p, s);
            if (seq > 0 && is_held(p, seq)) continue;
            if (best < 0 || seq < best_seq) {
                best = (int32_t)s;
                best_seq = seq;
            }
        }
        if (best < 0) return -1;
        if (claim(p, (uint32_t)best)) return best;
        tried |= (uint64_t)1 << best;
    }
}

int vidbus_producer_loan(vidbus_producer *p, vidbus_loan *loan)
{
    if (p == NULL || loan == NULL) return vb_fail(VIDBUS_ERR_INVALID_OPTION, "vidbus_producer_loan needs a producer and a loan");
    sweep(p, false);
    int32_t slot = pick_slot(p);
    if (slot < 0) {
        /* Everything is held: take back holds of the dead and of expired leases, then try once more. */
        sweep(p, true);
        slot = pick_slot(p);
    }
    if (slot < 0) {
        p->dropped++;
        vb_add64(p->data, H_DROPPED, 1);
        *loan = (vidbus_loan){.slot = -1, .data = NULL, .capacity = 0};
        return VIDBUS_OK;
    }
    p->loaned |= (uint64_t)1 << slot;
    *loan = (vidbus_loan){.slot = slot, .data = p->data + p->data_offset + (uint64_t)slot * p->slot_stride, .capacity = p->layout.frame_bytes};
    return VIDBUS_OK;
}

static int take_back(vidbus_producer *p, vidbus_loan *loan)
{
    if (loan->slot < 0 || (uint32_t)loan->slot >= p->slots || !((p->loaned >> loan->slot) & 1u)) {
        return vb_fail(VIDBUS_ERR_FRAME_RELEASED, "This slot was not loaned, or was already published or discarded");
    }
    p->loaned &= ~((uint64_t)1 << loan->slot);
    return VIDBUS_OK;
}

int vidbus_producer_publish(vidbus_producer *p, vidbus_loan *loan, const vidbus_publish_info *info, uint64_t *seq_out)
{
    if (p == NULL || loan == NULL) return vb_fail(VIDBUS_ERR_INVALID_OPTION, "vidbus_producer_publish needs a producer and a loan");
    static const vidbus_publish_info none;
    if (info == NULL) info = &none;
    bool raw = p->layout.plane_count > 0;
    uint32_t size = info->size == 0 && raw ? p->layout.frame_bytes : info->size;
    if (size > p->layout.frame_bytes || (raw && size != p->layout.frame_bytes)) {
        return vb_fail(VIDBUS_ERR_FRAME_SIZE, raw ? "A frame of this stream is %u bytes; received size %u" : "Encoded frames can be at most %u bytes (max_frame_bytes); received size %u",
                       p->layout.frame_bytes, size);
    }
    if (info->meta_bytes > VIDBUS_MAX_META || (info->meta_bytes > 0 && info->meta == NULL)) {
        return vb_fail(VIDBUS_ERR_INVALID_OPTION, "Expected at most %d bytes of metadata but received %u", VIDBUS_MAX_META, info->meta_bytes);
    }
    int status = take_back(p, loan);
    if (status != VIDBUS_OK) return status;
    uint32_t s = (uint32_t)loan->slot;
    int64_t now = vb_mono_ns();
    uint8_t *d = p->data;
    vb_put32(d, desc(s, D_SIZE), size);
    vb_put32(d, desc(s, D_FLAGS), info->keyframe || raw ? VB_FLAG_KEYFRAME : 0);
    vb_put64(d, desc(s, D_CAPTURE_MONO_NS), info->timestamp_ns != 0 ? info->timestamp_ns : now);
    vb_put64(d, desc(s, D_CAPTURE_WALL_NS), info->wall_ns != 0 ? info->wall_ns : vb_wall_ns());
    vb_put64(d, desc(s, D_PUBLISH_MONO_NS), now);
    vb_put32(d, desc(s, D_USER_META_BYTES), info->meta_bytes);
    if (info->meta_bytes > 0) memcpy(d + desc(s, D_USER_META), info->meta, info->meta_bytes);
    int64_t seq = ++p->seq;
    /* SYNC POINT (release): the frame and its descriptor become visible with the sequence number. */
    vb_store64(d, desc(s, D_SEQ), seq);
    vb_store32(d, H_LATEST_SLOT, s);
    vb_store64(d, H_LATEST_SEQ, seq);
    vb_store64(d, H_LAST_PUBLISH_MONO_NS, now);
    p->published++;
    /* SYNC POINT (Dekker with a sleeping consumer): bump the word, then read the waiting flags. */
    vb_add32(d, H_NOTIFY, 1);
    if (wake_sleepers(p)) vb_futex_wake(d + H_NOTIFY);
    loan->slot = -1;
    loan->data = NULL;
    if (seq_out != NULL) *seq_out = (uint64_t)seq;
    return VIDBUS_OK;
}

int vidbus_producer_discard(vidbus_producer *p, vidbus_loan *loan)
{
    if (p == NULL || loan == NULL) return vb_fail(VIDBUS_ERR_INVALID_OPTION, "vidbus_producer_discard needs a producer and a loan");
    int status = take_back(p, loan);
    if (status != VIDBUS_OK) return status;
    /* The slot's old content was given up when it was claimed: mark it empty. */
    vb_store64(p->data, desc((uint32_t)loan->slot, D_SEQ), 0);
    loan->slot = -1;
    loan->data = NULL;
    return VIDBUS_OK;
}

int vidbus_producer_write(vidbus_producer *p, const void *bytes, size_t length, const vidbus_publish_info *info, uint64_t *seq_out)
{
    if (p == NULL || (bytes == NULL && length > 0)) return vb_fail(VIDBUS_ERR_INVALID_OPTION, "vidbus_producer_write needs a producer and bytes");
    if (seq_out != NULL) *seq_out = 0;
    bool raw = p->layout.plane_count > 0;
    if (length > p->layout.frame_bytes || (raw && length != p->layout.frame_bytes)) {
        return vb_fail(VIDBUS_ERR_FRAME_SIZE, "Expected %s%u bytes for a frame of this stream but received %zu", raw ? "" : "at most ", p->layout.frame_bytes, length);
    }
    vidbus_loan loan;
    vidbus_producer_loan(p, &loan);
    if (loan.data == NULL) return VIDBUS_OK; /* dropped and counted */
    memcpy(loan.data, bytes, length);
    vidbus_publish_info copy = info != NULL ? *info : (vidbus_publish_info){0};
    copy.size = (uint32_t)length;
    return vidbus_producer_publish(p, &loan, &copy, seq_out);
}

void vidbus_producer_get_stats(vidbus_producer *p, vidbus_producer_stats *stats)
{
    sweep(p, true);
    uint32_t live = 0;
    for (uint32_t i = 0; i < p->records; i++) {
        if (active(p, i) && p->live[i].alive && !known_dead(p, i)) live++;
    }
    *stats = (vidbus_producer_stats){.published = p->published, .dropped = p->dropped, .consumers = live};
}

const vidbus_layout *vidbus_producer_layout(const vidbus_producer *p)
{
    return &p->layout;
}

void vidbus_producer_close(vidbus_producer *p)
{
    if (p == NULL) return;
    track(p, false);
    vb_store32(p->data, H_STATE, STATE_CLOSED);
    vb_add32(p->data, H_NOTIFY, 1);
    wake_sleepers(p);
    vb_futex_wake(p->data + H_NOTIFY);
    /* Remove the files only if the name still points at our inode. */
    char path[128], ctl_path[128];
    vb_data_path(p->name, path);
    vb_ctl_path(p->name, ctl_path);
    struct stat mine, on_disk;
    if (fstat(p->data_fd, &mine) == 0 && lstat(path, &on_disk) == 0 && mine.st_ino == on_disk.st_ino && mine.st_dev == on_disk.st_dev) {
        unlink(ctl_path);
        unlink(path);
    }
    unmap_and_close(p);
}
