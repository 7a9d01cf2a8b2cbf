/* Watching PipeWire's registry for video nodes. */
#ifndef VIDBUS_PIPEWIRE_NODES_H
#define VIDBUS_PIPEWIRE_NODES_H

#include "helper.h"

typedef struct {
    uint32_t id;
    char serial[24];
    char name[256];
    char description[256];
    char media_class[64];
    char role[64];
} node_info;

typedef struct {
    void (*added)(void *data, const node_info *node);
    void (*removed)(void *data, uint32_t id);
    void *data;
    struct pw_registry *registry;
    struct spa_hook listener;
} node_watch;

void node_watch_start(node_watch *w, session *s);
void node_watch_stop(node_watch *w);
/* A target is a node id, an object.serial, a node.name or a node.description. */
bool node_matches(const node_info *node, const char *target);

#endif
