/* Removing what dead producers left behind (docs/protocol.md 5.8, 5.9),
 * proven dead by taking their lock; a live stream is never touched. */
#define _GNU_SOURCE /* F_OFD_SETLK, O_CLOEXEC, futex, inotify */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

vb_reclaim_result vb_reclaim(const char *name)
{
    char data[128], ctl[128];
    vb_data_path(name, data);
    vb_ctl_path(name, ctl);
    int fd = open(data, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return VB_MISSING;
        return VB_NO_ACCESS;
    }
    vb_reclaim_result result = VB_ALIVE;
    if (vb_lock_try(fd, 0)) {
        /* No producer lives on this inode. Make sure the name still points at it. */
        struct stat held, current;
        if (fstat(fd, &held) != 0 || lstat(data, &current) != 0 || held.st_ino != current.st_ino || held.st_dev != current.st_dev) {
            result = VB_MISSING;
        } else if ((unlink(ctl) != 0 && errno != ENOENT) || (unlink(data) != 0 && errno != ENOENT)) {
            /* ctl first: while the data file exists and we hold its lock, no new producer gets as far as a ctl file. */
            result = errno == EACCES || errno == EPERM ? VB_NO_ACCESS : VB_MISSING;
        } else {
            result = VB_RECLAIMED;
        }
    }
    close(fd); /* drops our lock */
    return result;
}

/* Removes temporary files of producers of `name` that died while creating it. */
void vb_sweep_temps(const char *name)
{
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "vidbus-%s.new-", name);
    DIR *dir = opendir("/dev/shm");
    if (dir == NULL) return;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0) continue;
        int fd = openat(dirfd(dir), e->d_name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) continue;
        if (vb_lock_try(fd, 0)) unlinkat(dirfd(dir), e->d_name, 0);
        close(fd);
    }
    closedir(dir);
}
