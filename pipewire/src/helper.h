/* vidbus-pipewire: the bridge between the vidbus bus and PipeWire, run by
 * the Node side (src/sinks/pipewire.ts, src/sources/pipewire-source.ts,
 * src/devices/pipewire.ts) as a child process. It speaks to its parent in
 * JSON lines on stdout (one object per line, always with "event"), so that
 * the Node side never links libpipewire:
 *
 *   camera  --stream S --name N [--description D]  bus stream S -> a PipeWire camera node
 *   capture --target T --stream S [--follow] [--remote-fd N]
 *                                                  PipeWire video node T -> bus stream S
 *   nodes                                          the video nodes PipeWire has now
 *   portal  --stream S [--restore-token T] [--cursor] [--window]
 *                                                  a screen the ScreenCast portal grants -> bus stream S
 *
 * Errors are {"event":"error","code":"ERR_...","message":"..."} with the
 * codes of src/errors.ts, and exit status 1. */
#ifndef VIDBUS_PIPEWIRE_HELPER_H
#define VIDBUS_PIPEWIRE_HELPER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <pipewire/pipewire.h>
#include <spa/param/video/format-utils.h>
#include <spa/utils/result.h>

#include "vidbus.h"

/* The JSON lines (libvidbus/tools/report.h). */
#include "report.h"

/* formats.c: the raw formats both sides know. */
enum spa_video_format spa_format_of(vidbus_format format);
vidbus_format vidbus_format_of(enum spa_video_format format);
/* Every SPA format in the table, for EnumFormat choices. */
int spa_formats(uint32_t *out, int max);

/* session.c: one connection to PipeWire with a main loop that SIGINT/SIGTERM end. */
typedef struct {
    struct pw_main_loop *loop;
    struct pw_context *context;
    struct pw_core *core;
    struct spa_hook core_listener;
    int sync_seq;
    bool synced;
    bool failed;
} session;

/* Connects; on failure reports ERR_PIPEWIRE_UNAVAILABLE and returns false. */
bool session_open(session *s, const char *application);
/* The same over an already connected remote (the portal's); fd < 0: the default remote. */
bool session_open_fd(session *s, const char *application, int fd);
/* Runs the loop until everything queued on the server so far has been answered. */
void session_roundtrip(session *s);
void session_close(session *s);

int run_camera(int argc, char **argv);
int run_capture(int argc, char **argv);
int run_nodes(int argc, char **argv);
int run_portal(int argc, char **argv);

#endif
