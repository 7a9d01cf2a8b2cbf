/* libFuzzer target: the consumer's open-and-read path against hostile
 * shared memory. A live producer (this process) owns a small stream; each
 * input rewrites its data and control segments (as raw bytes, or as patches
 * over a valid copy, so that deep checks are reached too), then a consumer
 * opens it, takes a frame, releases it, lists streams and closes. Built
 * with ASan and UBSan: any read or write outside a mapping is a finding.
 *   make fuzz FUZZ_SECONDS=60 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "segments.h"

static char name[64];
static vidbus_producer *producer;
static uint8_t *data, *ctl;
static size_t data_bytes, ctl_bytes;
static uint8_t *data_template, *ctl_template;
volatile uint32_t sink;

static void cleanup(void)
{
    vidbus_producer_close(producer);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(name, sizeof(name), "fuzz-%d", (int)getpid());
    vidbus_producer_options o;
    vidbus_producer_options_init(&o);
    o.width = 16;
    o.height = 16;
    o.format = VIDBUS_FORMAT_GRAY8;
    o.slots = 2;
    o.max_consumers = 2;
    if (vidbus_producer_create(name, &o, &producer) != VIDBUS_OK) {
        fprintf(stderr, "fuzz: %s\n", vidbus_last_error());
        return 1;
    }
    uint8_t meta[4] = {1, 2, 3, 4};
    vidbus_publish_info info = {.meta = meta, .meta_bytes = 4};
    uint8_t frame[256];
    memset(frame, 9, sizeof(frame));
    vidbus_producer_write(producer, frame, sizeof(frame), &info, NULL);
    vidbus_producer_write(producer, frame, sizeof(frame), &info, NULL);
    char path[128];
    vb_data_path(name, path);
    data = map_rw(path, &data_bytes);
    vb_ctl_path(name, path);
    ctl = map_rw(path, &ctl_bytes);
    data_template = malloc(data_bytes);
    ctl_template = malloc(ctl_bytes);
    memcpy(data_template, data, data_bytes);
    memcpy(ctl_template, ctl, ctl_bytes);
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
    memcpy(data, data_template, data_bytes);
    memcpy(ctl, ctl_template, ctl_bytes);
    if (size > 0 && (input[0] & 1) == 0) {
        /* Raw: the input is the segments' first bytes. */
        size_t n = size - 1 < data_bytes ? size - 1 : data_bytes;
        memcpy(data, input + 1, n);
        if (size - 1 > data_bytes) memcpy(ctl, input + 1 + data_bytes, size - 1 - data_bytes < ctl_bytes ? size - 1 - data_bytes : ctl_bytes);
    } else if (size > 0) {
        /* Patches over the valid segments: (offset u16 little-endian, value) triples. */
        for (size_t i = 1; i + 3 <= size; i += 3) {
            size_t at = (size_t)input[i] | (size_t)input[i + 1] << 8;
            if (at < data_bytes) data[at] = input[i + 2];
            else if (at - data_bytes < ctl_bytes) ctl[at - data_bytes] = input[i + 2];
        }
    }
    vidbus_consumer_options o;
    vidbus_consumer_options_init(&o);
    o.open_timeout_ms = 0;
    o.policy = size > 1 && (input[1] & 1) ? VIDBUS_POLICY_EVERY : VIDBUS_POLICY_LATEST;
    vidbus_consumer *c = NULL;
    if (vidbus_consumer_open(name, &o, &c) == VIDBUS_OK) {
        vidbus_frame f;
        if (vidbus_consumer_try_receive(c, &f) == VIDBUS_OK) {
            /* Touch every byte the frame claims: ASan flags any outside the mapping. */
            uint32_t sum = 0;
            for (uint32_t i = 0; i < f.size; i++) sum += f.data[i];
            for (uint32_t i = 0; i < f.meta_bytes; i++) sum += f.meta[i];
            sink += sum;
            vidbus_frame_renew(c, &f);
            vidbus_frame_release(c, &f);
        }
        if (vidbus_consumer_wait(c, 0, &f) == VIDBUS_OK) vidbus_frame_release(c, &f);
        vidbus_consumer_close(c);
    }
    vidbus_stream_info infos[8];
    size_t count;
    vidbus_list_streams(infos, 8, &count);
    return 0;
}
