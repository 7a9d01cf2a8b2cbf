/* vidbus_list_streams(): every stream in /dev/shm, read straight from its
 * header and consumer table, without claiming anything and without a daemon. */
#define _GNU_SOURCE /* F_OFD_SETLK, O_CLOEXEC, futex, inotify */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static uint32_t live_consumers(const char *name, uint32_t records)
{
    char path[128];
    vb_ctl_path(name, path);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return 0;
    uint32_t live = 0;
    struct stat st;
    size_t bytes = vb_ctl_bytes(records);
    if (fstat(fd, &st) == 0 && (uint64_t)st.st_size >= bytes) {
        const uint8_t *ctl = mmap(NULL, bytes, PROT_READ, MAP_SHARED, fd, 0);
        if (ctl != MAP_FAILED) {
            for (uint32_t i = 0; i < records; i++) {
                if (vb_load32(ctl, vb_record_offset(i) + R_ACTIVE) == 1 && vb_lock_held(fd, vb_record_offset(i))) live++;
            }
            munmap((void *)ctl, bytes);
        }
    }
    close(fd);
    return live;
}

static void inspect(const char *name, vidbus_stream_info *info)
{
    memset(info, 0, sizeof(*info));
    snprintf(info->name, sizeof(info->name), "%s", name);
    char path[128];
    vb_data_path(name, path);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        info->status = errno == EACCES || errno == EPERM ? VIDBUS_STREAM_NO_ACCESS : VIDBUS_STREAM_STALE;
        return;
    }
    struct stat st;
    bool alive = vb_lock_held(fd, 0);
    info->status = VIDBUS_STREAM_CORRUPT;
    if (fstat(fd, &st) != 0 || (uint64_t)st.st_size < VB_HEADER_BYTES) {
        info->status = alive ? VIDBUS_STREAM_INITIALIZING : VIDBUS_STREAM_STALE;
        close(fd);
        return;
    }
    const uint8_t *h = mmap(NULL, VB_HEADER_BYTES, PROT_READ, MAP_SHARED, fd, 0);
    if (h != MAP_FAILED) {
        vb_description d;
        int status = vb_read_header(h, name, (uint64_t)st.st_size, &d);
        if (status == VIDBUS_NO_FRAME) {
            info->status = alive ? VIDBUS_STREAM_INITIALIZING : VIDBUS_STREAM_STALE;
        } else if (status == VIDBUS_OK) {
            info->status = alive ? VIDBUS_STREAM_LIVE : VIDBUS_STREAM_STALE;
            info->layout = d.layout;
            info->fps_num = d.fps_num;
            info->fps_den = d.fps_den;
            info->producer_pid = d.producer_pid;
            int64_t latest = vb_load64(h, H_LATEST_SEQ), dropped = vb_load64(h, H_DROPPED);
            info->published = latest > 0 ? (uint64_t)latest : 0;
            info->dropped = dropped > 0 ? (uint64_t)dropped : 0;
            if (alive) info->consumers = live_consumers(name, d.max_consumers);
        }
        munmap((void *)h, VB_HEADER_BYTES);
    }
    close(fd);
}

int vidbus_list_streams(vidbus_stream_info *streams, size_t max, size_t *count)
{
    *count = 0;
    DIR *dir = opendir("/dev/shm");
    if (dir == NULL) return vb_fail_errno(errno, "reading /dev/shm");
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (strncmp(e->d_name, "vidbus-", 7) != 0) continue;
        const char *name = e->d_name + 7;
        size_t n = strlen(name);
        if (n > 4 && strcmp(name + n - 4, ".ctl") == 0) continue;
        if (!vb_valid_name(name)) continue; /* temporary files and strangers */
        if (*count < max) inspect(name, &streams[*count]);
        (*count)++;
    }
    closedir(dir);
    return VIDBUS_OK;
}
