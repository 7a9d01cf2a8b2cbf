/* vidbussink: a GStreamer pipeline onto a vidbus stream. Every raw format
 * vidbus has (GStreamer's strides kept) and JPEG, H.264, H.265 byte-streams.
 * Upstream elements that use the sink's buffer pool render straight into
 * loaned bus slots, which are published without a copy; other buffers are
 * copied once into a slot. The PTS becomes the capture time. When consumers
 * hold every slot the frame is dropped and counted: the sink never waits
 * for a consumer. */
#include "vidbussink.h"

#include <grp.h>
#include <string.h>

#include "formats.h"

GST_DEBUG_CATEGORY_STATIC(vidbussink_debug);
#define GST_CAT_DEFAULT vidbussink_debug

enum { PROP_0, PROP_STREAM, PROP_SLOTS, PROP_MODE, PROP_GROUP, PROP_HOLD_LIFESPAN, PROP_STATS };

/* The producer, shared with the buffers of the sink's pool: upstream
 * threads loan slots through it while the sink publishes them, and a pool
 * buffer may be freed after the sink closed the producer. */
typedef struct {
    GMutex lock;
    vidbus_producer *producer; /* NULL once closed */
    gint refs;
} ProducerRef;

/* A slot lent to upstream through the pool: published by render(), or given back when its buffer is freed unpublished. */
typedef struct {
    ProducerRef *ref;
    vidbus_loan loan;
    gboolean published;
} PoolLoan;

struct _GstVidbusSink {
    GstBaseSink parent;
    gchar *stream;
    guint slots;
    guint mode;
    gchar *group;
    guint hold_lifespan_ms;
    ProducerRef *ref;
    vidbus_format format;
    GstVideoInfo info; /* raw formats */
    guint64 rendered, dropped, in_place;
};

G_DEFINE_TYPE(GstVidbusSink, gst_vidbus_sink, GST_TYPE_BASE_SINK);

static GQuark pool_loan_quark;

static ProducerRef *producer_ref_new(vidbus_producer *producer)
{
    ProducerRef *ref = g_new0(ProducerRef, 1);
    g_mutex_init(&ref->lock);
    ref->producer = producer;
    ref->refs = 1;
    return ref;
}

static void producer_ref_unref(ProducerRef *ref)
{
    if (ref == NULL || !g_atomic_int_dec_and_test(&ref->refs)) return;
    g_mutex_clear(&ref->lock);
    g_free(ref);
}

static void pool_loan_free(gpointer data)
{
    PoolLoan *pl = data;
    g_mutex_lock(&pl->ref->lock);
    if (!pl->published && pl->ref->producer != NULL) vidbus_producer_discard(pl->ref->producer, &pl->loan);
    g_mutex_unlock(&pl->ref->lock);
    producer_ref_unref(pl->ref);
    g_free(pl);
}

/* ------------------------------------------------------------------ the pool
 * Buffers whose memory is a loaned bus slot: upstream elements that use the
 * pool (videotestsrc, videoconvert, decoders) render straight into shared
 * memory, and render() publishes the slot without a copy. When consumers
 * hold every slot, acquire gives an ordinary buffer instead (never waits),
 * and render() counts the drop. */
#define GST_TYPE_VIDBUS_POOL (gst_vidbus_pool_get_type())
G_DECLARE_FINAL_TYPE(GstVidbusPool, gst_vidbus_pool, GST, VIDBUS_POOL, GstBufferPool)
struct _GstVidbusPool {
    GstBufferPool parent;
    ProducerRef *ref;
    vidbus_layout layout;
    GstVideoFormat video_format;
};
G_DEFINE_TYPE(GstVidbusPool, gst_vidbus_pool, GST_TYPE_BUFFER_POOL);

static void add_video_meta(GstBuffer *buffer, const vidbus_layout *l, GstVideoFormat format)
{
    gsize offsets[GST_VIDEO_MAX_PLANES] = {0};
    gint strides[GST_VIDEO_MAX_PLANES] = {0};
    for (guint p = 0; p < l->plane_count; p++) {
        offsets[p] = l->offsets[p];
        strides[p] = (gint)l->strides[p];
    }
    gst_buffer_add_video_meta_full(buffer, GST_VIDEO_FRAME_FLAG_NONE, format, l->width, l->height, l->plane_count, offsets, strides);
}

static GstFlowReturn gst_vidbus_pool_acquire(GstBufferPool *pool, GstBuffer **out, GstBufferPoolAcquireParams *params)
{
    GstVidbusPool *self = GST_VIDBUS_POOL(pool);
    vidbus_loan loan = {.slot = -1};
    g_mutex_lock(&self->ref->lock);
    if (self->ref->producer != NULL) vidbus_producer_loan(self->ref->producer, &loan);
    g_mutex_unlock(&self->ref->lock);
    GstBuffer *buffer;
    if (loan.data != NULL) {
        PoolLoan *pl = g_new0(PoolLoan, 1);
        pl->ref = self->ref;
        g_atomic_int_inc(&self->ref->refs);
        pl->loan = loan;
        buffer = gst_buffer_new();
        gst_buffer_append_memory(buffer, gst_memory_new_wrapped(0, loan.data, loan.capacity, 0, self->layout.frame_bytes, pl, pool_loan_free));
        gst_mini_object_set_qdata(GST_MINI_OBJECT(buffer), pool_loan_quark, pl, NULL);
    } else {
        buffer = gst_buffer_new_allocate(NULL, self->layout.frame_bytes, NULL);
    }
    add_video_meta(buffer, &self->layout, self->video_format);
    *out = buffer;
    return GST_FLOW_OK;
}

/* Pool buffers are not kept for reuse: each is a slot, given back (or published) as it goes. */
static void gst_vidbus_pool_release(GstBufferPool *pool, GstBuffer *buffer)
{
    gst_buffer_unref(buffer);
}

static void gst_vidbus_pool_finalize(GObject *object)
{
    producer_ref_unref(GST_VIDBUS_POOL(object)->ref);
    G_OBJECT_CLASS(gst_vidbus_pool_parent_class)->finalize(object);
}

static void gst_vidbus_pool_class_init(GstVidbusPoolClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = gst_vidbus_pool_finalize;
    GST_BUFFER_POOL_CLASS(klass)->acquire_buffer = gst_vidbus_pool_acquire;
    GST_BUFFER_POOL_CLASS(klass)->release_buffer = gst_vidbus_pool_release;
}

static void gst_vidbus_pool_init(GstVidbusPool *self)
{
}

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(VIDBUS_CAPS));

static void close_producer(GstVidbusSink *self)
{
    ProducerRef *ref = self->ref;
    if (ref == NULL) return;
    self->ref = NULL;
    g_mutex_lock(&ref->lock);
    vidbus_producer_close(ref->producer);
    ref->producer = NULL;
    g_mutex_unlock(&ref->lock);
    producer_ref_unref(ref);
}

static gboolean gst_vidbus_sink_set_caps(GstBaseSink *base, GstCaps *caps)
{
    GstVidbusSink *self = GST_VIDBUS_SINK(base);
    int width = 0, height = 0, fps_n = 0, fps_d = 1;
    vidbus_format format = gst_vidbus_format_from_caps(caps, &self->info, &width, &height, &fps_n, &fps_d);
    if (format == VIDBUS_FORMAT_UNKNOWN) {
        GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("vidbus cannot carry %" GST_PTR_FORMAT, caps), ("ERR_INVALID_OPTION"));
        return FALSE;
    }
    vidbus_producer_options o;
    vidbus_producer_options_init(&o);
    o.width = (uint32_t)width;
    o.height = (uint32_t)height;
    o.format = format;
    o.fps_num = (uint32_t)(fps_n > 0 ? fps_n : 0);
    o.fps_den = (uint32_t)(fps_d > 0 ? fps_d : 1);
    o.slots = self->slots;
    o.mode = self->mode;
    o.hold_lifespan_ms = self->hold_lifespan_ms;
    if (!vidbus_format_is_encoded(format)) {
        /* GStreamer's strides are kept: a row is copied as one block. */
        for (guint p = 0; p < GST_VIDEO_INFO_N_PLANES(&self->info) && p < VIDBUS_MAX_PLANES; p++) o.strides[p] = (uint32_t)GST_VIDEO_INFO_PLANE_STRIDE(&self->info, p);
    }
    if (self->group != NULL) {
        struct group *g = getgrnam(self->group);
        if (g == NULL) {
            GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("No group \"%s\" (create it with groupadd, or pick another)", self->group), ("ERR_INVALID_OPTION"));
            return FALSE;
        }
        o.gid = g->gr_gid;
    }
    /* A new format is a new producer generation: following consumers see it come back. */
    close_producer(self);
    vidbus_producer *producer = NULL;
    int status = vidbus_producer_create(self->stream, &o, &producer);
    if (status == VIDBUS_OK) self->ref = producer_ref_new(producer);
    if (status != VIDBUS_OK) {
        GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("%s", vidbus_last_error()), ("%s", vidbus_error_code(status)));
        return FALSE;
    }
    self->format = format;
    GST_INFO_OBJECT(self, "publishing %s %dx%d to stream \"%s\"", vidbus_format_name(format), width, height, self->stream);
    return TRUE;
}

static gboolean gst_vidbus_sink_start(GstBaseSink *base)
{
    GstVidbusSink *self = GST_VIDBUS_SINK(base);
    if (self->stream == NULL) {
        GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No stream: set the stream property (vidbussink stream=cam0)"), ("ERR_INVALID_OPTION"));
        return FALSE;
    }
    self->rendered = self->dropped = self->in_place = 0;
    return TRUE;
}

static gboolean gst_vidbus_sink_stop(GstBaseSink *base)
{
    close_producer(GST_VIDBUS_SINK(base));
    return TRUE;
}

/* The buffer's capture time on CLOCK_MONOTONIC (the system clock's), from its PTS; 0 (now) when it has none. */
static int64_t capture_time(GstVidbusSink *self, GstBuffer *buffer)
{
    GstClockTime pts = GST_BUFFER_PTS(buffer);
    GstClockTime base = gst_element_get_base_time(GST_ELEMENT(self));
    if (!GST_CLOCK_TIME_IS_VALID(pts) || !GST_CLOCK_TIME_IS_VALID(base) || GST_ELEMENT_CLOCK(self) == NULL) return 0;
    guint64 running = gst_segment_to_running_time(&GST_BASE_SINK(self)->segment, GST_FORMAT_TIME, pts);
    return GST_CLOCK_TIME_IS_VALID(running) ? (int64_t)(base + running) : 0;
}

/* The buffer is a slot of this producer lent through the pool, unchanged: publish it as it is. */
static PoolLoan *in_place_loan(GstVidbusSink *self, GstBuffer *buffer)
{
    PoolLoan *pl = gst_mini_object_get_qdata(GST_MINI_OBJECT(buffer), pool_loan_quark);
    if (pl == NULL || pl->ref != self->ref || pl->published || gst_buffer_n_memory(buffer) != 1) return NULL;
    GstMapInfo map;
    if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return NULL;
    gboolean same = map.data == pl->loan.data;
    gst_buffer_unmap(buffer, &map);
    return same ? pl : NULL;
}

static GstFlowReturn render_locked(GstVidbusSink *self, vidbus_producer *producer, GstBuffer *buffer)
{
    vidbus_publish_info info = {.timestamp_ns = capture_time(self, buffer), .keyframe = !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT)};
    PoolLoan *pl = in_place_loan(self, buffer);
    if (pl != NULL) {
        /* Zero copy: upstream rendered into the slot itself. */
        int status = vidbus_producer_publish(producer, &pl->loan, &info, NULL);
        if (status != VIDBUS_OK) {
            GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("%s", vidbus_last_error()), ("%s", vidbus_error_code(status)));
            return GST_FLOW_ERROR;
        }
        pl->published = TRUE;
        self->rendered++;
        self->in_place++;
        GST_LOG_OBJECT(self, "published in place (slot %d)", pl->loan.slot);
        return GST_FLOW_OK;
    }
    vidbus_loan loan;
    vidbus_producer_loan(producer, &loan);
    if (loan.data == NULL) {
        self->dropped++; /* every slot held by consumers: dropped and counted, never waited for */
        return GST_FLOW_OK;
    }
    const vidbus_layout *layout = vidbus_producer_layout(producer);
    if (vidbus_format_is_encoded(self->format)) {
        gsize size = gst_buffer_get_size(buffer);
        if (size > loan.capacity) {
            vidbus_producer_discard(producer, &loan);
            GST_ELEMENT_WARNING(self, STREAM, FAILED, ("A %" G_GSIZE_FORMAT "-byte frame does not fit the stream's %u-byte slots: dropped", size, loan.capacity), ("ERR_FRAME_SIZE"));
            self->dropped++;
            return GST_FLOW_OK;
        }
        gst_buffer_extract(buffer, 0, loan.data, size);
        info.size = (uint32_t)size;
    } else {
        GstVideoFrame frame;
        if (!gst_video_frame_map(&frame, &self->info, buffer, GST_MAP_READ)) {
            vidbus_producer_discard(producer, &loan);
            GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Could not map the buffer"), ("ERR_FRAME_SIZE"));
            return GST_FLOW_ERROR;
        }
        /* Plane by plane, row by row (in one block when the strides agree): whatever offsets the buffer has. */
        for (guint p = 0; p < layout->plane_count; p++) {
            const guint8 *from = GST_VIDEO_FRAME_PLANE_DATA(&frame, p);
            guint8 *to = loan.data + layout->offsets[p];
            gint from_stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p);
            if ((guint)from_stride == layout->strides[p]) {
                memcpy(to, from, (gsize)layout->strides[p] * layout->rows[p]);
            } else {
                for (guint r = 0; r < layout->rows[p]; r++) memcpy(to + (gsize)r * layout->strides[p], from + (gsize)r * from_stride, layout->row_bytes[p]);
            }
        }
        gst_video_frame_unmap(&frame);
    }
    int status = vidbus_producer_publish(producer, &loan, &info, NULL);
    if (status != VIDBUS_OK) {
        GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("%s", vidbus_last_error()), ("%s", vidbus_error_code(status)));
        return GST_FLOW_ERROR;
    }
    self->rendered++;
    return GST_FLOW_OK;
}

static GstFlowReturn gst_vidbus_sink_render(GstBaseSink *base, GstBuffer *buffer)
{
    GstVidbusSink *self = GST_VIDBUS_SINK(base);
    ProducerRef *ref = self->ref;
    if (ref == NULL) return GST_FLOW_NOT_NEGOTIATED;
    g_mutex_lock(&ref->lock);
    GstFlowReturn result = ref->producer != NULL ? render_locked(self, ref->producer, buffer) : GST_FLOW_FLUSHING;
    g_mutex_unlock(&ref->lock);
    return result;
}

/* Offers upstream the pool of bus slots (raw formats): rendering into it is publishing without a copy. */
static gboolean gst_vidbus_sink_propose_allocation(GstBaseSink *base, GstQuery *query)
{
    GstVidbusSink *self = GST_VIDBUS_SINK(base);
    GstCaps *caps = NULL;
    gboolean need_pool = FALSE;
    gst_query_parse_allocation(query, &caps, &need_pool);
    gst_query_add_allocation_meta(query, GST_VIDEO_META_API_TYPE, NULL);
    if (self->ref == NULL || caps == NULL || vidbus_format_is_encoded(self->format)) return TRUE;
    GstVideoInfo info;
    if (!gst_video_info_from_caps(&info, caps)) return TRUE;
    GstVidbusPool *pool = g_object_new(GST_TYPE_VIDBUS_POOL, NULL);
    gst_object_ref_sink(pool);
    pool->ref = self->ref;
    g_atomic_int_inc(&self->ref->refs);
    g_mutex_lock(&self->ref->lock);
    pool->layout = *vidbus_producer_layout(self->ref->producer);
    g_mutex_unlock(&self->ref->lock);
    pool->video_format = GST_VIDEO_INFO_FORMAT(&info);
    GstStructure *config = gst_buffer_pool_get_config(GST_BUFFER_POOL(pool));
    gst_buffer_pool_config_set_params(config, caps, pool->layout.frame_bytes, 0, 0);
    gst_buffer_pool_set_config(GST_BUFFER_POOL(pool), config);
    gst_query_add_allocation_pool(query, GST_BUFFER_POOL(pool), pool->layout.frame_bytes, 0, 0);
    gst_object_unref(pool);
    return TRUE;
}

static void gst_vidbus_sink_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
    GstVidbusSink *self = GST_VIDBUS_SINK(object);
    switch (id) {
    case PROP_STREAM:
        g_free(self->stream);
        self->stream = g_value_dup_string(value);
        break;
    case PROP_SLOTS: self->slots = g_value_get_uint(value); break;
    case PROP_MODE: self->mode = g_value_get_uint(value); break;
    case PROP_GROUP:
        g_free(self->group);
        self->group = g_value_dup_string(value);
        break;
    case PROP_HOLD_LIFESPAN: self->hold_lifespan_ms = g_value_get_uint(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void gst_vidbus_sink_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
    GstVidbusSink *self = GST_VIDBUS_SINK(object);
    switch (id) {
    case PROP_STREAM: g_value_set_string(value, self->stream); break;
    case PROP_SLOTS: g_value_set_uint(value, self->slots); break;
    case PROP_MODE: g_value_set_uint(value, self->mode); break;
    case PROP_GROUP: g_value_set_string(value, self->group); break;
    case PROP_HOLD_LIFESPAN: g_value_set_uint(value, self->hold_lifespan_ms); break;
    case PROP_STATS:
        g_value_take_boxed(value, gst_structure_new("vidbus-sink-stats", "published", G_TYPE_UINT64, self->rendered, "in-place", G_TYPE_UINT64, self->in_place, "dropped", G_TYPE_UINT64, self->dropped, NULL));
        break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void gst_vidbus_sink_finalize(GObject *object)
{
    GstVidbusSink *self = GST_VIDBUS_SINK(object);
    close_producer(self);
    g_free(self->stream);
    g_free(self->group);
    G_OBJECT_CLASS(gst_vidbus_sink_parent_class)->finalize(object);
}

static void gst_vidbus_sink_class_init(GstVidbusSinkClass *klass)
{
    GObjectClass *gobject = G_OBJECT_CLASS(klass);
    GstElementClass *element = GST_ELEMENT_CLASS(klass);
    GstBaseSinkClass *base = GST_BASE_SINK_CLASS(klass);
    gobject->set_property = gst_vidbus_sink_set_property;
    gobject->get_property = gst_vidbus_sink_get_property;
    gobject->finalize = gst_vidbus_sink_finalize;
    GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
    g_object_class_install_property(gobject, PROP_STREAM, g_param_spec_string("stream", "Stream", "The vidbus stream to create and publish (fails while another producer owns it)", NULL, rw));
    g_object_class_install_property(gobject, PROP_SLOTS, g_param_spec_uint("slots", "Slots", "Frames in the ring", 2, 64, 4, rw));
    g_object_class_install_property(gobject, PROP_MODE, g_param_spec_uint("mode", "Mode", "File mode of the stream (0600: this user; 0640 with group: share with a group)", 0, 0777, 0600, rw));
    g_object_class_install_property(gobject, PROP_GROUP, g_param_spec_string("group", "Group", "The group to share the stream with (with mode 0640)", NULL, rw));
    g_object_class_install_property(gobject, PROP_HOLD_LIFESPAN, g_param_spec_uint("hold-lifespan", "Hold lifespan", "Milliseconds a consumer may hold a frame without renewing it", 1, G_MAXINT, 2000, rw));
    g_object_class_install_property(gobject, PROP_STATS,
                                    g_param_spec_boxed("stats", "Statistics", "Frames published, of which in place (upstream rendered into the slot: no copy), and dropped because consumers held every slot", GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
    gst_element_class_set_static_metadata(element, "vidbus sink", "Sink/Video", "Publishes video onto a vidbus shared-memory stream; never waits for consumers", "vidbus");
    gst_element_class_add_static_pad_template(element, &sink_template);
    base->start = gst_vidbus_sink_start;
    base->stop = gst_vidbus_sink_stop;
    base->set_caps = gst_vidbus_sink_set_caps;
    base->render = gst_vidbus_sink_render;
    base->propose_allocation = gst_vidbus_sink_propose_allocation;
    pool_loan_quark = g_quark_from_static_string("vidbus-pool-loan");
    GST_DEBUG_CATEGORY_INIT(vidbussink_debug, "vidbussink", 0, "vidbus sink");
}

static void gst_vidbus_sink_init(GstVidbusSink *self)
{
    self->slots = 4;
    self->mode = 0600;
    self->hold_lifespan_ms = 2000;
}
