/* vidbus-pipewire: see helper.h. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "helper.h"

int main(int argc, char **argv)
{
    /* A helper never outlives the vidbus process that started it, even after kill -9. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) return report_error("ERR_INVALID_OPTION", "usage: vidbus-pipewire camera|capture|nodes|portal [options]");
    pw_init(&argc, &argv);
    int status;
    if (strcmp(argv[1], "camera") == 0) status = run_camera(argc - 1, argv + 1);
    else if (strcmp(argv[1], "capture") == 0) status = run_capture(argc - 1, argv + 1);
    else if (strcmp(argv[1], "nodes") == 0) status = run_nodes(argc - 1, argv + 1);
    else if (strcmp(argv[1], "portal") == 0) status = run_portal(argc - 1, argv + 1);
    else status = report_error("ERR_INVALID_OPTION", "Unknown command \"%s\": expected camera, capture, nodes or portal", argv[1]);
    pw_deinit();
    return status;
}
