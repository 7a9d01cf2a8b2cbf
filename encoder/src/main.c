/* vidbus-encode: see encoder.h. */
#define _GNU_SOURCE
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <libavutil/log.h>

#include "encoder.h"
#include "latency.h"

typedef struct {
    const char *input, *output;
    encode_options encode;
    int keyframe_gap_ms;        /* a new reader gets a keyframe within this, and forced keyframes come no closer */
    int stats_ms;
    uint32_t slots;
} stage_options;

typedef struct {
    stage_options options;
    vidbus_consumer *consumer;
    vidbus_producer *producer;
    codec *codec;
    vidbus_layout input;        /* the layout the codec was opened for */
    uint32_t readers;
    int idle;
    int keyframe_wanted;        /* a reader joined since the last keyframe */
    int64_t next_reader_check_ns;
    int64_t last_keyframe_ns;
    uint64_t frames, keyframes, forced, dropped, bytes;
    latency_window encoder_latency;   /* given to the encoder -> encoded */
    latency_window stage_latency;     /* raw frame published -> encoded frame published */
} stage;

static volatile sig_atomic_t stop;
static volatile sig_atomic_t keyframe_requested; /* SIGUSR1: a reader the stage cannot count (one of several viewers behind one consumer) wants a keyframe */
static vidbus_consumer *interruptible;

static void on_keyframe_request(int sig)
{
    (void)sig;
    keyframe_requested = 1;
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
    if (interruptible != NULL) vidbus_consumer_interrupt(interruptible);
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL); /* a signal ends it early, which is what stopping wants */
}

static int parse_int(const char *name, const char *text, long min, long max, long *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || v < min || v > max)
        return report_error("ERR_INVALID_OPTION", "--%s must be an integer from %ld to %ld; received %s", name, min, max, text);
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, stage_options *o)
{
    static const struct option longs[] = {
        {"in", required_argument, 0, 'i'},       {"out", required_argument, 0, 'o'},     {"codec", required_argument, 0, 'c'},
        {"encoder", required_argument, 0, 'e'},  {"bitrate", required_argument, 0, 'b'}, {"gop", required_argument, 0, 'g'},
        {"preset", required_argument, 0, 'p'},   {"quality", required_argument, 0, 'q'}, {"keyframe-gap-ms", required_argument, 0, 'k'},
        {"stats-ms", required_argument, 0, 's'}, {"slots", required_argument, 0, 'l'},   {"profile", required_argument, 0, 'r'},
        {"prefer-hardware", no_argument, 0, 'H'},         {0, 0, 0, 0},
    };
    *o = (stage_options){.encode = {.codec = CODEC_H264, .encoder = "auto", .gop = 60, .preset = "veryfast", .quality = 85},
                         .keyframe_gap_ms = 500, .stats_ms = 1000, .slots = 8};
    opterr = 0;
    long v;
    for (int ch; (ch = getopt_long(argc, argv, "", longs, NULL)) != -1;) {
        switch (ch) {
        case 'i': o->input = optarg; break;
        case 'o': o->output = optarg; break;
        case 'c':
            if ((o->encode.codec = codec_from_name(optarg)) == 0) return report_error("ERR_INVALID_OPTION", "--codec is h264, hevc or mjpeg; received %s", optarg);
            break;
        case 'e': o->encode.encoder = optarg; break;
        case 'b': if (parse_int("bitrate", optarg, 10000, 1000000000, &v)) return 1; o->encode.bitrate = v; break;
        case 'g': if (parse_int("gop", optarg, 1, 10000, &v)) return 1; o->encode.gop = (int)v; break;
        case 'p': o->encode.preset = optarg; break;
        case 'H': o->encode.prefer_hardware = 1; break;
        case 'r':
            if (strcmp(optarg, "baseline") != 0 && strcmp(optarg, "main") != 0 && strcmp(optarg, "high") != 0)
                return report_error("ERR_INVALID_OPTION", "--profile is baseline, main or high; received %s", optarg);
            o->encode.profile = optarg;
            break;
        case 'q': if (parse_int("quality", optarg, 1, 100, &v)) return 1; o->encode.quality = (int)v; break;
        case 'k': if (parse_int("keyframe-gap-ms", optarg, 0, 60000, &v)) return 1; o->keyframe_gap_ms = (int)v; break;
        case 's': if (parse_int("stats-ms", optarg, 50, 60000, &v)) return 1; o->stats_ms = (int)v; break;
        case 'l': if (parse_int("slots", optarg, 2, 64, &v)) return 1; o->slots = (uint32_t)v; break;
        default: return report_error("ERR_INVALID_OPTION", "Unknown or incomplete option %s", argv[optind - 1]);
        }
    }
    if (optind < argc) return report_error("ERR_INVALID_OPTION", "Unexpected argument %s", argv[optind]);
    if (o->input == NULL || o->output == NULL) return report_error("ERR_INVALID_OPTION", "usage: vidbus-encode --in STREAM --out STREAM [--codec h264|hevc|mjpeg] ...");
    if (strcmp(o->input, o->output) == 0) return report_error("ERR_INVALID_OPTION", "The output must be another stream than the input (%s)", o->input);
    return 0;
}

static int same_layout(const vidbus_layout *a, const vidbus_layout *b)
{
    return a->format == b->format && a->width == b->width && a->height == b->height && a->plane_count == b->plane_count &&
           memcmp(a->offsets, b->offsets, sizeof(a->offsets)) == 0 && memcmp(a->strides, b->strides, sizeof(a->strides)) == 0;
}

static vidbus_format output_format(codec_id id)
{
    return id == CODEC_HEVC ? VIDBUS_FORMAT_HEVC : id == CODEC_MJPEG ? VIDBUS_FORMAT_MJPEG : VIDBUS_FORMAT_H264;
}

/* Opens the encoder for the input's layout, and the output stream for its size (again only when the size changes). */
static int open_encoder(stage *s, const vidbus_layout *in)
{
    codec_close(s->codec);
    s->codec = NULL;
    uint32_t fps_num, fps_den;
    vidbus_consumer_fps(s->consumer, &fps_num, &fps_den);
    s->codec = codec_open(&s->options.encode, in, fps_num, fps_den);
    if (s->codec == NULL) return 1;
    s->input = *in;
    uint32_t width, height;
    codec_size(s->codec, &width, &height);
    const vidbus_layout *out = s->producer != NULL ? vidbus_producer_layout(s->producer) : NULL;
    if (out == NULL || out->width != width || out->height != height) {
        vidbus_producer_close(s->producer); /* readers that follow the output see it come back at the new size */
        s->producer = NULL;
        vidbus_producer_options po;
        vidbus_producer_options_init(&po);
        po.width = width;
        po.height = height;
        po.format = output_format(s->options.encode.codec);
        po.fps_num = fps_num ? fps_num : 30;
        po.fps_den = fps_den ? fps_den : 1;
        po.slots = s->options.slots;
        int status = vidbus_producer_create(s->options.output, &po, &s->producer);
        if (status != VIDBUS_OK) return report_error(vidbus_error_code(status), "%s", vidbus_last_error());
        s->readers = 0;
        s->next_reader_check_ns = 0;
    }
    s->keyframe_wanted = 1;
    report("ready", "\"stream\":%s,\"input\":%s,\"codec\":%s,\"encoder\":%s,\"width\":%u,\"height\":%u,\"fps\":%u", json_str(0, s->options.output),
           json_str(1, vidbus_format_name(in->format)), json_str(2, codec_label(s->options.encode.codec)), json_str(3, codec_name(s->codec)), width, height,
           fps_den ? fps_num / fps_den : 0);
    return 0;
}

/* Publishes what the encoder has ready. 0, or 1 after reporting an error. */
static int publish_ready(stage *s)
{
    encoded_unit unit;
    int got;
    while ((got = codec_receive(s->codec, &unit)) == 1) {
        vidbus_loan loan;
        if (vidbus_producer_loan(s->producer, &loan) != VIDBUS_OK || loan.data == NULL || unit.size > loan.capacity) {
            if (loan.data != NULL) vidbus_producer_discard(s->producer, &loan);
            s->dropped++; /* every slot held by readers, or a unit larger than a slot */
            continue;
        }
        memcpy(loan.data, unit.data, unit.size);
        vidbus_publish_info info = {.timestamp_ns = unit.times.timestamp_ns, .wall_ns = unit.times.wall_ns, .keyframe = unit.keyframe, .size = unit.size};
        if (vidbus_producer_publish(s->producer, &loan, &info, NULL) != VIDBUS_OK) {
            s->dropped++;
            continue;
        }
        int64_t now = vidbus_now_ns();
        latency_add(&s->encoder_latency, now - unit.times.sent_ns);
        latency_add(&s->stage_latency, now - unit.times.input_published_ns);
        s->frames++;
        s->bytes += unit.size;
        if (unit.keyframe) {
            s->keyframes++;
            s->keyframe_wanted = 0;
            s->last_keyframe_ns = now;
        }
    }
    return got < 0;
}

static void report_stats(stage *s, const char *event)
{
    report(event,
           "\"frames\":%llu,\"keyframes\":%llu,\"forced\":%llu,\"dropped\":%llu,\"bytes\":%llu,\"readers\":%u,\"idle\":%s,"
           "\"encoder_p50_us\":%.1f,\"encoder_p99_us\":%.1f,\"stage_p50_us\":%.1f,\"stage_p99_us\":%.1f",
           (unsigned long long)s->frames, (unsigned long long)s->keyframes, (unsigned long long)s->forced, (unsigned long long)s->dropped,
           (unsigned long long)s->bytes, s->readers, s->idle ? "true" : "false", latency_percentile(&s->encoder_latency, 50),
           latency_percentile(&s->encoder_latency, 99), latency_percentile(&s->stage_latency, 50), latency_percentile(&s->stage_latency, 99));
}

/* Whether anyone reads the output; a reader that joined wants a keyframe.
 * Counting probes each reader's lock (a system call apiece): done every
 * READER_CHECK_NS, not every frame. */
#define READER_CHECK_NS (100 * 1000000LL)
static void count_readers(stage *s, int64_t now)
{
    if (now < s->next_reader_check_ns) return;
    s->next_reader_check_ns = now + READER_CHECK_NS;
    vidbus_producer_stats ps;
    vidbus_producer_get_stats(s->producer, &ps);
    if (ps.consumers > s->readers) s->keyframe_wanted = 1;
    s->readers = ps.consumers;
}

static int encode_one(stage *s, vidbus_frame *frame)
{
    if (s->codec == NULL || !same_layout(&frame->layout, &s->input)) {
        if (s->codec != NULL) {
            codec_drain(s->codec);
            publish_ready(s);
        }
        if (open_encoder(s, &frame->layout) != 0) {
            vidbus_frame_release(s->consumer, frame);
            return 1;
        }
    }
    int64_t now = vidbus_now_ns();
    int force = s->keyframe_wanted && now - s->last_keyframe_ns >= (int64_t)s->options.keyframe_gap_ms * 1000000;
    if (force) s->forced++;
    frame_times times = {.timestamp_ns = frame->timestamp_ns, .wall_ns = frame->wall_ns, .input_published_ns = frame->publish_ns, .sent_ns = now};
    if (codec_send(s->codec, s->consumer, frame, &times, force) != 0) return 1;
    return publish_ready(s);
}

static int run(stage *s)
{
    vidbus_consumer_options co;
    vidbus_consumer_options_init(&co);
    co.policy = VIDBUS_POLICY_LATEST; /* a live encoder takes the newest picture; one it cannot keep up with is skipped */
    co.follow = 1;                    /* producers come and go; the encoded stream stays */
    int status = vidbus_consumer_open(s->options.input, &co, &s->consumer);
    if (status != VIDBUS_OK) return report_error(vidbus_error_code(status), "%s", vidbus_last_error());
    interruptible = s->consumer;
    if (stop) vidbus_consumer_interrupt(s->consumer);
    report("started", "\"input\":%s,\"output\":%s", json_str(0, s->options.input), json_str(1, s->options.output));
    int failed = 0;
    int64_t next_stats = vidbus_now_ns() + (int64_t)s->options.stats_ms * 1000000;
    while (!stop && !failed) {
        if (s->producer == NULL && s->codec == NULL) {
            const vidbus_layout *in = vidbus_consumer_layout(s->consumer);
            if (in != NULL && open_encoder(s, in) != 0) return 1;
        }
        int64_t now = vidbus_now_ns();
        if (s->producer != NULL) count_readers(s, now);
        if (keyframe_requested) {
            keyframe_requested = 0;
            s->keyframe_wanted = 1;
        }
        if (now >= next_stats) {
            report_stats(s, "stats");
            next_stats = now + (int64_t)s->options.stats_ms * 1000000;
        }
        /* Idle while nobody reads the output: take no frames, run no encoder. */
        s->idle = s->producer != NULL && s->readers == 0;
        if (s->idle) {
            sleep_ms(50);
            continue;
        }
        vidbus_frame frame;
        status = vidbus_consumer_wait(s->consumer, 100, &frame);
        if (status == VIDBUS_NO_FRAME) continue;
        if (status == VIDBUS_ERR_ABORTED) break;
        if (status != VIDBUS_OK) {
            failed = report_error(vidbus_error_code(status), "%s", vidbus_last_error());
            break;
        }
        failed = encode_one(s, &frame);
    }
    if (s->codec != NULL) {
        codec_drain(s->codec);
        publish_ready(s);
    }
    return failed;
}

int main(int argc, char **argv)
{
    /* The stage never outlives the vidbus process that started it, even after kill -9. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_keyframe_request;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    stage s = {0};
    if (parse_args(argc, argv, &s.options) != 0 || codec_check(&s.options.encode) != 0) return 1;
    av_log_set_level(AV_LOG_ERROR); /* the encoders' banners are not errors; ours go to stdout as events */
    int failed = run(&s);
    report_stats(&s, "stopped");
    codec_close(s.codec); /* before the consumer: it gives back frames the encoder still held */
    interruptible = NULL;
    vidbus_consumer_close(s.consumer);
    vidbus_producer_close(s.producer);
    return failed;
}
