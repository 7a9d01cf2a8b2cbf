/* One connection to the PipeWire daemon, with a main loop that SIGINT and
 * SIGTERM end, and a way to wait for the server to catch up. */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "helper.h"

static void on_signal(void *data, int signal_number)
{
    (void)signal_number;
    pw_main_loop_quit(((session *)data)->loop);
}

static void on_core_done(void *data, uint32_t id, int seq)
{
    session *s = data;
    if (id == PW_ID_CORE && seq == s->sync_seq) {
        s->synced = true;
        pw_main_loop_quit(s->loop);
    }
}

static void on_core_error(void *data, uint32_t id, int seq, int res, const char *message)
{
    (void)seq;
    session *s = data;
    if (id != PW_ID_CORE || res != -EPIPE) {
        /* About one object (often one we just destroyed, such as a stream whose node went away): not the end. */
        report("warning", "\"message\":%s", json_str(0, message ? message : spa_strerror(res)));
        return;
    }
    s->failed = true;
    report_error("ERR_PIPEWIRE_UNAVAILABLE", "PipeWire closed the connection (%s). Is the pipewire service still running?", message ? message : spa_strerror(res));
    pw_main_loop_quit(s->loop);
}

static const struct pw_core_events CORE_EVENTS = {
    .version = PW_VERSION_CORE_EVENTS,
    .done = on_core_done,
    .error = on_core_error,
};

bool session_open(session *s, const char *application)
{
    return session_open_fd(s, application, -1);
}

bool session_open_fd(session *s, const char *application, int fd)
{
    memset(s, 0, sizeof(*s));
    s->loop = pw_main_loop_new(NULL);
    if (s->loop == NULL) return report_error("ERR_PIPEWIRE_UNAVAILABLE", "Could not make a PipeWire main loop: %s", strerror(errno)), false;
    struct pw_loop *loop = pw_main_loop_get_loop(s->loop);
    pw_loop_add_signal(loop, SIGINT, on_signal, s);
    pw_loop_add_signal(loop, SIGTERM, on_signal, s);
    s->context = pw_context_new(loop, pw_properties_new(PW_KEY_APP_NAME, application, NULL), 0);
    if (s->context == NULL) {
        session_close(s);
        return report_error("ERR_PIPEWIRE_UNAVAILABLE", "Could not make a PipeWire context: %s", strerror(errno)), false;
    }
    /* A remote handed over by the portal is already connected; PipeWire takes the descriptor. */
    s->core = fd >= 0 ? pw_context_connect_fd(s->context, fd, NULL, 0) : pw_context_connect(s->context, NULL, 0);
    if (s->core == NULL) {
        int err = errno;
        const char *runtime = getenv("XDG_RUNTIME_DIR");
        session_close(s);
        return report_error("ERR_PIPEWIRE_UNAVAILABLE", "Could not connect to PipeWire (%s) through %s/pipewire-0. Start it (systemctl --user start pipewire wireplumber) or set XDG_RUNTIME_DIR/PIPEWIRE_REMOTE to where it runs.",
                            strerror(err), runtime ? runtime : "(XDG_RUNTIME_DIR is not set)"),
               false;
    }
    pw_core_add_listener(s->core, &s->core_listener, &CORE_EVENTS, s);
    return true;
}

void session_roundtrip(session *s)
{
    s->synced = false;
    s->sync_seq = pw_core_sync(s->core, PW_ID_CORE, s->sync_seq);
    while (!s->synced && !s->failed) {
        if (pw_main_loop_run(s->loop) < 0) break;
        /* A signal also quits the loop: stop waiting then too. */
        if (!s->synced) break;
    }
}

void session_close(session *s)
{
    if (s->core != NULL) {
        spa_hook_remove(&s->core_listener);
        pw_core_disconnect(s->core);
    }
    if (s->context != NULL) pw_context_destroy(s->context);
    if (s->loop != NULL) pw_main_loop_destroy(s->loop);
    memset(s, 0, sizeof(*s));
}
