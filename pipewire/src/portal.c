/* `portal`: a screen through the desktop's ScreenCast portal
 * (org.freedesktop.portal.ScreenCast on the session bus) onto a bus
 * stream. This is how screens are captured on Wayland desktops (GNOME,
 * KDE, wlroots compositors): the portal asks the user which screen to
 * share, then hands over a PipeWire remote (a file descriptor) that can
 * see only the granted stream. The rest is `capture` on that remote.
 *
 *   portal --stream S [--restore-token T] [--cursor] [--window]
 *
 * Each portal call answers with a Request object path whose Response
 * signal carries the result; the signal is subscribed before the call,
 * at the path the portal documents (request/<sender>/<token>), so a fast
 * answer is never missed. With a restore token from an earlier run the
 * portal may skip the dialog (persist_mode 2: until the user revokes it);
 * the new token is reported for the caller to keep. The D-Bus connection
 * stays open while capturing: closing it ends the portal session. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <signal.h>

#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <glib-unix.h>

#include "helper.h"

#define PORTAL_NAME "org.freedesktop.portal.Desktop"
#define PORTAL_PATH "/org/freedesktop/portal/desktop"
#define SCREENCAST "org.freedesktop.portal.ScreenCast"
/* A person may take a while to pick a screen in the dialog. */
#define RESPONSE_TIMEOUT_S 300

typedef struct {
    GDBusConnection *bus;
    char sender[128]; /* the unique name with '.' -> '_' and no ':' */
    unsigned counter;
    bool answered;
    bool stopping; /* SIGINT/SIGTERM while waiting for the portal */
    guint32 response;
    GVariant *results;
} portal;

static gboolean on_stop_signal(gpointer data)
{
    ((portal *)data)->stopping = true;
    return G_SOURCE_CONTINUE;
}

static void on_response(GDBusConnection *bus, const gchar *sender, const gchar *path, const gchar *iface, const gchar *signal, GVariant *params, gpointer data)
{
    (void)bus, (void)sender, (void)path, (void)iface, (void)signal;
    portal *p = data;
    g_variant_get(params, "(u@a{sv})", &p->response, &p->results);
    p->answered = true;
}

static gboolean on_timeout(gpointer data)
{
    *(bool *)data = true;
    return G_SOURCE_REMOVE;
}

/* Calls a ScreenCast method whose answer comes as a Response signal; returns its results (to unref) or NULL after reporting. */
static GVariant *request(portal *p, const char *method, GVariant *args, const char *token)
{
    char path[256];
    snprintf(path, sizeof(path), PORTAL_PATH "/request/%s/%s", p->sender, token);
    p->answered = false;
    p->results = NULL;
    guint sub = g_dbus_connection_signal_subscribe(p->bus, PORTAL_NAME, "org.freedesktop.portal.Request", "Response", path, NULL, G_DBUS_SIGNAL_FLAGS_NO_MATCH_RULE, on_response, p, NULL);
    GError *error = NULL;
    GVariant *reply = g_dbus_connection_call_sync(p->bus, PORTAL_NAME, PORTAL_PATH, SCREENCAST, method, args, G_VARIANT_TYPE("(o)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
    if (reply == NULL) {
        g_dbus_connection_signal_unsubscribe(p->bus, sub);
        report_error("ERR_DISPLAY_UNAVAILABLE", "The desktop portal refused ScreenCast.%s: %s. Is xdg-desktop-portal running with a ScreenCast backend for this desktop (GNOME, KDE, wlr)?", method, error->message);
        g_error_free(error);
        return NULL;
    }
    g_variant_unref(reply);
    bool timed_out = false;
    guint timer = g_timeout_add_seconds(RESPONSE_TIMEOUT_S, on_timeout, &timed_out);
    while (!p->answered && !timed_out && !p->stopping) g_main_context_iteration(NULL, TRUE);
    if (!timed_out) g_source_remove(timer);
    g_dbus_connection_signal_unsubscribe(p->bus, sub);
    if (p->stopping) return NULL; /* asked to stop: not an error */
    if (!p->answered) {
        report_error("ERR_DISPLAY_UNAVAILABLE", "The desktop portal did not answer ScreenCast.%s within %d s", method, RESPONSE_TIMEOUT_S);
        return NULL;
    }
    if (p->response != 0) {
        report_error(p->response == 1 ? "ERR_PERMISSION" : "ERR_DISPLAY_UNAVAILABLE", p->response == 1 ? "Screen sharing was declined in the portal's dialog (ScreenCast.%s)" : "The desktop portal could not do ScreenCast.%s",
                     method);
        if (p->results) g_variant_unref(p->results);
        return NULL;
    }
    return p->results;
}

static const char *next_token(portal *p, char *out, size_t size)
{
    snprintf(out, size, "vidbus%u_%u", (unsigned)getpid(), ++p->counter);
    return out;
}

/* The portal's interface version (restore tokens need 4); 0 when it cannot be read. */
static guint32 screencast_version(portal *p)
{
    GVariant *reply = g_dbus_connection_call_sync(p->bus, PORTAL_NAME, PORTAL_PATH, "org.freedesktop.DBus.Properties", "Get", g_variant_new("(ss)", SCREENCAST, "version"), G_VARIANT_TYPE("(v)"),
                                                  G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
    if (reply == NULL) return 0;
    GVariant *value;
    g_variant_get(reply, "(v)", &value);
    guint32 version = g_variant_is_of_type(value, G_VARIANT_TYPE_UINT32) ? g_variant_get_uint32(value) : 0;
    g_variant_unref(value);
    g_variant_unref(reply);
    return version;
}

static int usage(void)
{
    return report_error("ERR_INVALID_OPTION", "usage: vidbus-pipewire portal --stream <bus stream> [--restore-token T] [--cursor] [--window] [--slots N]");
}

int run_portal(int argc, char **argv)
{
    const char *stream = NULL, *restore = NULL, *slots = NULL;
    bool cursor = false, window = false;
    static const struct option OPTIONS[] = {{"stream", required_argument, 0, 's'}, {"restore-token", required_argument, 0, 'r'}, {"cursor", no_argument, 0, 'c'},
                                            {"window", no_argument, 0, 'w'}, {"slots", required_argument, 0, 'n'}, {0, 0, 0, 0}};
    for (int o; (o = getopt_long(argc, argv, "", OPTIONS, NULL)) != -1;) {
        if (o == 's') stream = optarg;
        else if (o == 'r') restore = optarg;
        else if (o == 'c') cursor = true;
        else if (o == 'w') window = true;
        else if (o == 'n') slots = optarg;
        else return usage();
    }
    if (stream == NULL) return usage();

    portal p = {0};
    GError *error = NULL;
    /* GDBus reads the socket on a thread of its own, made now: it must not
     * take SIGINT/SIGTERM (their default action ends the process before
     * the stream is closed). Blocked while it starts, so it inherits that;
     * the main thread handles them, through GLib while the portal answers,
     * then through PipeWire's loop while capturing. */
    sigset_t stop_signals, old_mask;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);
    p.bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &error);
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    guint on_term = g_unix_signal_add(SIGTERM, on_stop_signal, &p), on_int = g_unix_signal_add(SIGINT, on_stop_signal, &p);
    if (p.bus == NULL) {
        g_source_remove(on_term);
        g_source_remove(on_int);
        int rc = report_error("ERR_DISPLAY_UNAVAILABLE", "No session D-Bus to reach the desktop portal: %s. Screen capture through the portal needs a desktop session (DBUS_SESSION_BUS_ADDRESS).", error->message);
        g_error_free(error);
        return rc;
    }
    /* ":1.42" -> "1_42", as the portal names request paths. */
    const char *unique = g_dbus_connection_get_unique_name(p.bus);
    snprintf(p.sender, sizeof(p.sender), "%s", unique[0] == ':' ? unique + 1 : unique);
    for (char *c = p.sender; *c; c++)
        if (*c == '.') *c = '_';

    int status = 1;
    char *session_handle = NULL;
    char token[64], session_token[64];
    guint32 version = screencast_version(&p);
    if (version == 0) {
        status = report_error("ERR_DISPLAY_UNAVAILABLE", "The desktop portal has no ScreenCast interface. Install the portal backend of your desktop (xdg-desktop-portal-gnome, -kde or -wlr).");
        goto out;
    }

    /* CreateSession */
    GVariantBuilder o;
    g_variant_builder_init(&o, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&o, "{sv}", "handle_token", g_variant_new_string(next_token(&p, token, sizeof(token))));
    g_variant_builder_add(&o, "{sv}", "session_handle_token", g_variant_new_string(next_token(&p, session_token, sizeof(session_token))));
    GVariant *results = request(&p, "CreateSession", g_variant_new("(a{sv})", &o), token);
    if (results == NULL) goto stopped_or_failed;
    g_variant_lookup(results, "session_handle", "s", &session_handle);
    g_variant_unref(results);
    if (session_handle == NULL) {
        status = report_error("ERR_DISPLAY_UNAVAILABLE", "The desktop portal made a session without a handle");
        goto out;
    }

    /* SelectSources: one monitor (or window), the cursor drawn in or hidden, remembered until revoked. */
    g_variant_builder_init(&o, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&o, "{sv}", "handle_token", g_variant_new_string(next_token(&p, token, sizeof(token))));
    g_variant_builder_add(&o, "{sv}", "types", g_variant_new_uint32(window ? 2 : 1));
    g_variant_builder_add(&o, "{sv}", "multiple", g_variant_new_boolean(FALSE));
    g_variant_builder_add(&o, "{sv}", "cursor_mode", g_variant_new_uint32(cursor ? 2 : 1));
    if (version >= 4) {
        g_variant_builder_add(&o, "{sv}", "persist_mode", g_variant_new_uint32(2));
        if (restore != NULL && restore[0] != '\0') g_variant_builder_add(&o, "{sv}", "restore_token", g_variant_new_string(restore));
    }
    results = request(&p, "SelectSources", g_variant_new("(oa{sv})", session_handle, &o), token);
    if (results == NULL) goto stopped_or_failed;
    g_variant_unref(results);

    /* Start: the dialog (unless restored); the granted streams and a new restore token. */
    g_variant_builder_init(&o, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&o, "{sv}", "handle_token", g_variant_new_string(next_token(&p, token, sizeof(token))));
    results = request(&p, "Start", g_variant_new("(osa{sv})", session_handle, "", &o), token);
    if (results == NULL) goto stopped_or_failed;
    GVariant *streams = g_variant_lookup_value(results, "streams", G_VARIANT_TYPE("a(ua{sv})"));
    char *new_token = NULL;
    g_variant_lookup(results, "restore_token", "s", &new_token);
    guint32 node = 0;
    gint32 width = 0, height = 0;
    bool have_stream = false;
    if (streams != NULL && g_variant_n_children(streams) > 0) {
        GVariant *props;
        g_variant_get_child(streams, 0, "(u@a{sv})", &node, &props);
        g_variant_lookup(props, "size", "(ii)", &width, &height);
        g_variant_unref(props);
        have_stream = true;
    }
    if (streams) g_variant_unref(streams);
    g_variant_unref(results);
    if (!have_stream) {
        g_free(new_token);
        status = report_error("ERR_DISPLAY_UNAVAILABLE", "The desktop portal granted no stream");
        goto out;
    }

    /* OpenPipeWireRemote: a PipeWire connection that sees only the granted stream. */
    GUnixFDList *fds = NULL;
    GVariant *reply = g_dbus_connection_call_with_unix_fd_list_sync(p.bus, PORTAL_NAME, PORTAL_PATH, SCREENCAST, "OpenPipeWireRemote", g_variant_new("(oa{sv})", session_handle, NULL),
                                                                     G_VARIANT_TYPE("(h)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &fds, NULL, &error);
    if (reply == NULL) {
        g_free(new_token);
        status = report_error("ERR_DISPLAY_UNAVAILABLE", "The desktop portal did not open a PipeWire remote: %s", error->message);
        g_error_free(error);
        goto out;
    }
    gint32 handle;
    g_variant_get(reply, "(h)", &handle);
    g_variant_unref(reply);
    int fd = fds != NULL ? g_unix_fd_list_get(fds, handle, NULL) : -1;
    if (fds) g_object_unref(fds);
    if (fd < 0) {
        g_free(new_token);
        status = report_error("ERR_DISPLAY_UNAVAILABLE", "The desktop portal's PipeWire remote came without a descriptor");
        goto out;
    }
    report("portal", "\"node\":%u,\"width\":%d,\"height\":%d,\"restoreToken\":%s", node, width, height, new_token ? json_str(0, new_token) : "null");
    g_free(new_token);

    /* The rest is `capture` of that node on that remote; PipeWire's loop takes the signals over. */
    g_source_remove(on_term);
    g_source_remove(on_int);
    on_term = on_int = 0;
    char target[16], fd_text[16];
    snprintf(target, sizeof(target), "%u", node);
    snprintf(fd_text, sizeof(fd_text), "%d", fd);
    char *capture_argv[] = {"capture", "--target", target, "--stream", (char *)stream, "--remote-fd", fd_text, slots ? "--slots" : NULL, (char *)slots, NULL};
    optind = 1;
    status = run_capture(slots ? 9 : 7, capture_argv);

    goto out;
stopped_or_failed:
    status = p.stopping ? 0 : 1;
out:
    if (on_term) g_source_remove(on_term);
    if (on_int) g_source_remove(on_int);
    if (session_handle != NULL) {
        /* Ends the portal session (the screen-sharing indicator goes away) before the connection closes. */
        g_dbus_connection_call_sync(p.bus, PORTAL_NAME, session_handle, "org.freedesktop.portal.Session", "Close", NULL, NULL, G_DBUS_CALL_FLAGS_NONE, 2000, NULL, NULL);
        g_free(session_handle);
    }
    g_object_unref(p.bus);
    return status;
}
