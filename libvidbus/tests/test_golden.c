/* The golden pair of segment files (conformance/golden/, written by the
 * TypeScript producer) opened by libvidbus: the header as recorded, and
 * the newest frame byte for byte. The same test exists in TypeScript
 * (conformance/golden.test.ts) and Python (python/tests/test_golden.py). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "check.h"

#define NAME "conformance-golden"
#define DIR "../conformance/golden/"

static int copy_file(const char *from, const char *to, uint8_t *patch_inode_of)
{
    FILE *in = fopen(from, "rb");
    if (in == NULL) return -1;
    uint8_t buffer[65536];
    size_t n = fread(buffer, 1, sizeof(buffer), in);
    fclose(in);
    if (patch_inode_of != NULL) memcpy(buffer + C_DATA_INODE, patch_inode_of, 8);
    int fd = open(to, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0) return -1;
    int ok = write(fd, buffer, n) == (ssize_t)n;
    close(fd);
    return ok ? 0 : -1;
}

static uint32_t fnv1a(const uint8_t *data, uint32_t size)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < size; i++) h = (h ^ data[i]) * 16777619u;
    return h;
}

static void golden(void)
{
    char data[128], ctl[128];
    vb_data_path(NAME, data);
    vb_ctl_path(NAME, ctl);
    CHECK(copy_file(DIR "vidbus-" NAME, data, NULL) == 0);
    int fd = open(data, O_RDWR);
    CHECK(fd >= 0 && vb_lock_try(fd, 0)); /* as the live producer */
    struct stat st;
    fstat(fd, &st);
    int64_t inode = (int64_t)st.st_ino;
    CHECK(copy_file(DIR "vidbus-" NAME ".ctl", ctl, (uint8_t *)&inode) == 0);

    vidbus_stream_info infos[32];
    size_t count = 0;
    vidbus_list_streams(infos, 32, &count);
    int found = 0;
    for (size_t i = 0; i < count && i < 32; i++) {
        if (strcmp(infos[i].name, NAME) != 0) continue;
        found = 1;
        const vidbus_layout *l = &infos[i].layout;
        CHECK(infos[i].status == VIDBUS_STREAM_LIVE && l->format == VIDBUS_FORMAT_NV12 && l->width == 16 && l->height == 8);
        CHECK(l->strides[0] == 16 && l->strides[1] == 16 && l->frame_bytes == 192);
        CHECK(infos[i].fps_num == 30000 && infos[i].fps_den == 1001 && infos[i].published == 3);
    }
    CHECK(found);
    vidbus_consumer *c = NULL;
    vidbus_consumer_options o;
    vidbus_consumer_options_init(&o);
    o.policy = VIDBUS_POLICY_EVERY;
    CHECK_STATUS(vidbus_consumer_open(NAME, &o, &c), VIDBUS_OK);
    if (c != NULL) {
        vidbus_frame f;
        CHECK_STATUS(vidbus_consumer_wait(c, 1000, &f), VIDBUS_OK);
        uint64_t meta = 3;
        CHECK(f.seq == 3 && f.size == 192 && f.keyframe && fnv1a(f.data, f.size) == 3690931909u);
        CHECK(f.timestamp_ns == 2000042 && f.wall_ns == 1000000000000000002LL && f.meta_bytes == 8 && memcmp(f.meta, &meta, 8) == 0);
        vidbus_frame_release(c, &f);
        CHECK_STATUS(vidbus_consumer_wait(c, 50, &f), VIDBUS_NO_FRAME);
        vidbus_consumer_close(c);
    }
    unlink(ctl);
    unlink(data);
    close(fd);
}

int main(void)
{
    TEST(golden);
    return TEST_SUMMARY();
}
