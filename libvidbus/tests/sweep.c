/* Run by `make check` after the tests, whatever their outcome: a test that
 * a sanitizer stopped (or a crash) cannot close its producer, so the
 * streams the C tests made (named t-c-...) whose producer is proven dead
 * are reclaimed here. A live producer's stream is never touched. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

int main(void)
{
    DIR *dir = opendir("/dev/shm");
    if (dir == NULL) return 0;
    int removed = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        const char *prefix = "vidbus-t-c-";
        size_t len = strlen(e->d_name);
        /* The data file names the stream; its .ctl goes with it. */
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 || (len > 4 && strcmp(e->d_name + len - 4, ".ctl") == 0)) continue;
        if (vb_reclaim(e->d_name + strlen("vidbus-")) == VB_RECLAIMED) removed++;
    }
    closedir(dir);
    if (removed > 0) fprintf(stderr, "sweep: removed %d stream(s) a stopped test left behind\n", removed);
    return 0;
}
