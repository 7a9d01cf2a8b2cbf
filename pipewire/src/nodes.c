/* `nodes`: the video nodes PipeWire has now, one JSON line each, then
 * {"event":"end"}; and the registry watch `capture` uses to find its
 * target and notice when it goes away. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nodes.h"

static bool is_video_node(const struct spa_dict *props)
{
    const char *media_class = spa_dict_lookup(props, PW_KEY_MEDIA_CLASS);
    return media_class != NULL && strstr(media_class, "Video") != NULL;
}

bool node_matches(const node_info *n, const char *target)
{
    char *end;
    unsigned long long number = strtoull(target, &end, 10);
    bool numeric = *target != '\0' && *end == '\0';
    if (numeric && (number == n->id || (n->serial[0] != '\0' && number == strtoull(n->serial, NULL, 10)))) return true;
    return strcmp(target, n->name) == 0 || strcmp(target, n->description) == 0;
}

static void copy(char *to, size_t size, const char *from)
{
    snprintf(to, size, "%s", from ? from : "");
}

static void on_global(void *data, uint32_t id, uint32_t permissions, const char *type, uint32_t version, const struct spa_dict *props)
{
    (void)permissions;
    (void)version;
    node_watch *w = data;
    if (strcmp(type, PW_TYPE_INTERFACE_Node) != 0 || props == NULL || !is_video_node(props)) return;
    node_info n = {.id = id};
    copy(n.serial, sizeof(n.serial), spa_dict_lookup(props, PW_KEY_OBJECT_SERIAL));
    copy(n.name, sizeof(n.name), spa_dict_lookup(props, PW_KEY_NODE_NAME));
    copy(n.description, sizeof(n.description), spa_dict_lookup(props, PW_KEY_NODE_DESCRIPTION));
    copy(n.media_class, sizeof(n.media_class), spa_dict_lookup(props, PW_KEY_MEDIA_CLASS));
    copy(n.role, sizeof(n.role), spa_dict_lookup(props, PW_KEY_MEDIA_ROLE));
    if (w->added != NULL) w->added(w->data, &n);
}

static void on_global_remove(void *data, uint32_t id)
{
    node_watch *w = data;
    if (w->removed != NULL) w->removed(w->data, id);
}

static const struct pw_registry_events REGISTRY_EVENTS = {
    .version = PW_VERSION_REGISTRY_EVENTS,
    .global = on_global,
    .global_remove = on_global_remove,
};

void node_watch_start(node_watch *w, session *s)
{
    w->registry = pw_core_get_registry(s->core, PW_VERSION_REGISTRY, 0);
    pw_registry_add_listener(w->registry, &w->listener, &REGISTRY_EVENTS, w);
}

void node_watch_stop(node_watch *w)
{
    if (w->registry == NULL) return;
    spa_hook_remove(&w->listener);
    pw_proxy_destroy((struct pw_proxy *)w->registry);
    w->registry = NULL;
}

static void print_node(void *data, const node_info *n)
{
    (void)data;
    report("node", "\"id\":%u,\"serial\":%s,\"name\":%s,\"description\":%s,\"mediaClass\":%s,\"role\":%s", n->id, n->serial[0] ? n->serial : "null", json_str(0, n->name), json_str(1, n->description),
           json_str(2, n->media_class), json_str(3, n->role));
}

int run_nodes(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    session s;
    if (!session_open(&s, "vidbus nodes")) return 1;
    node_watch w = {.added = print_node};
    node_watch_start(&w, &s);
    session_roundtrip(&s);
    bool failed = s.failed;
    node_watch_stop(&w);
    session_close(&s);
    if (failed) return 1;
    report("end", NULL);
    return 0;
}
