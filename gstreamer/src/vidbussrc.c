/* vidbussrc: a vidbus stream into a GStreamer pipeline. Caps come from the
 * stream's header (format, size, rate; strides in a GstVideoMeta) and are
 * renegotiated when a followed stream comes back different. Each output
 * buffer wraps the held slot in place (no copy) and gives it back to the
 * producer when GStreamer frees the buffer. A live source. */
#include "vidbussrc.h"

#include <gst/video/video.h>

#include "formats.h"

GST_DEBUG_CATEGORY_STATIC(vidbussrc_debug);
#define GST_CAT_DEFAULT vidbussrc_debug

enum { PROP_0, PROP_STREAM, PROP_POLICY, PROP_FOLLOW, PROP_TIMEOUT };

/* The consumer, kept alive while buffers that wrap its frames are downstream
 * (they may be freed after the element stopped), with the frames those
 * buffers hold: a thread renews their leases while downstream keeps them,
 * so that the producer never takes a slot back from under a buffer. */
typedef struct {
    vidbus_consumer *consumer;
    gint refs;
    GMutex lock;          /* guards `held` */
    GList *held;          /* Held*, the frames buffers downstream wrap */
    guint lifespan_ms;
    GThread *renewer;
    gint stopping;
    GCond wake;
} ConsumerRef;

/* At most this many buffers downstream wrap held slots (and never more than
 * the ring's slots less two: the newest and one free for the producer).
 * Further frames are copied out and their slots given back at once, so
 * that elements that keep many buffers (filesink batches its writes,
 * queues) neither exhaust the consumer's holds nor starve the producer. */
#define MAX_WRAPPED 2

typedef struct {
    ConsumerRef *ref;
    vidbus_frame frame;
} Held;

struct _GstVidbusSrc {
    GstPushSrc parent;
    gchar *stream;
    gint policy;
    gboolean follow;
    guint timeout_ms;
    ConsumerRef *ref;
    vidbus_layout layout; /* what the current caps describe */
    GstVideoFormat video_format; /* and their format, for each buffer's GstVideoMeta */
    gboolean have_caps;
    guint32 fps_num, fps_den;
    gint64 last_stats_ns;
    gint unlocked;
};

G_DEFINE_TYPE(GstVidbusSrc, gst_vidbus_src, GST_TYPE_PUSH_SRC);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(VIDBUS_CAPS));

#define GST_TYPE_VIDBUS_POLICY (gst_vidbus_policy_get_type())
static GType gst_vidbus_policy_get_type(void)
{
    static GType type = 0;
    static const GEnumValue values[] = {
        {VIDBUS_POLICY_LATEST, "The newest frame; skip the rest", "latest"},
        {VIDBUS_POLICY_EVERY, "Every frame in order; count the ones missed", "every"},
        {0, NULL, NULL},
    };
    if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstVidbusPolicy", values));
    return type;
}

static void ref_release(ConsumerRef *ref)
{
    if (g_atomic_int_dec_and_test(&ref->refs)) {
        vidbus_consumer_close(ref->consumer);
        g_mutex_clear(&ref->lock);
        g_cond_clear(&ref->wake);
        g_free(ref);
    }
}

/* Renews the leases of the frames downstream holds, three times per lifespan. */
static gpointer renew_loop(gpointer data)
{
    ConsumerRef *ref = data;
    g_mutex_lock(&ref->lock);
    while (!g_atomic_int_get(&ref->stopping)) {
        gint64 until = g_get_monotonic_time() + (gint64)MAX(ref->lifespan_ms, 30) * 1000 / 3;
        g_cond_wait_until(&ref->wake, &ref->lock, until);
        for (GList *l = ref->held; l != NULL; l = l->next) vidbus_frame_renew(NULL, &((Held *)l->data)->frame);
    }
    g_mutex_unlock(&ref->lock);
    return NULL;
}

static void held_free(gpointer data)
{
    Held *held = data;
    ConsumerRef *ref = held->ref;
    GST_LOG("frame %" G_GUINT64_FORMAT " given back", held->frame.seq);
    g_mutex_lock(&ref->lock);
    ref->held = g_list_remove(ref->held, held);
    g_mutex_unlock(&ref->lock);
    vidbus_frame_release(ref->consumer, &held->frame);
    ref_release(ref);
    g_free(held);
}

static gboolean gst_vidbus_src_start(GstBaseSrc *base)
{
    GstVidbusSrc *self = GST_VIDBUS_SRC(base);
    if (self->stream == NULL) {
        GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No stream: set the stream property (vidbussrc stream=cam0)"), ("ERR_INVALID_OPTION"));
        return FALSE;
    }
    vidbus_consumer_options o;
    vidbus_consumer_options_init(&o);
    o.policy = (vidbus_policy)self->policy;
    o.follow = self->follow;
    vidbus_consumer *c = NULL;
    int status = vidbus_consumer_open(self->stream, &o, &c);
    if (status != VIDBUS_OK) {
        GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ, ("%s", vidbus_last_error()), ("%s", vidbus_error_code(status)));
        return FALSE;
    }
    self->ref = g_new0(ConsumerRef, 1);
    self->ref->consumer = c;
    self->ref->refs = 2; /* the element's, and the renewing thread's */
    g_mutex_init(&self->ref->lock);
    g_cond_init(&self->ref->wake);
    self->ref->lifespan_ms = 2000;
    self->ref->renewer = g_thread_new("vidbussrc-renew", renew_loop, self->ref);
    self->have_caps = FALSE;
    g_atomic_int_set(&self->unlocked, 0);
    return TRUE;
}

static gboolean gst_vidbus_src_stop(GstBaseSrc *base)
{
    GstVidbusSrc *self = GST_VIDBUS_SRC(base);
    ConsumerRef *ref = self->ref;
    if (ref == NULL) return TRUE;
    self->ref = NULL;
    g_mutex_lock(&ref->lock);
    g_atomic_int_set(&ref->stopping, 1);
    g_cond_signal(&ref->wake);
    g_mutex_unlock(&ref->lock);
    g_thread_join(ref->renewer);
    ref_release(ref); /* the thread's */
    ref_release(ref); /* the element's; buffers still downstream keep it until freed */
    return TRUE;
}

static gboolean gst_vidbus_src_unlock(GstBaseSrc *base)
{
    GstVidbusSrc *self = GST_VIDBUS_SRC(base);
    g_atomic_int_set(&self->unlocked, 1);
    if (self->ref != NULL) vidbus_consumer_interrupt(self->ref->consumer);
    return TRUE;
}

static gboolean gst_vidbus_src_unlock_stop(GstBaseSrc *base)
{
    g_atomic_int_set(&GST_VIDBUS_SRC(base)->unlocked, 0);
    return TRUE;
}

static GstClockTime frame_duration(GstVidbusSrc *self)
{
    return self->fps_num > 0 ? gst_util_uint64_scale(GST_SECOND, self->fps_den, self->fps_num) : GST_CLOCK_TIME_NONE;
}

static gboolean gst_vidbus_src_query(GstBaseSrc *base, GstQuery *query)
{
    GstVidbusSrc *self = GST_VIDBUS_SRC(base);
    if (GST_QUERY_TYPE(query) == GST_QUERY_LATENCY) {
        /* A live source: a frame is ready one frame period after its capture at the latest. */
        GstClockTime d = frame_duration(self);
        GstClockTime min = GST_CLOCK_TIME_IS_VALID(d) ? d : 0;
        gst_query_set_latency(query, TRUE, min, GST_CLOCK_TIME_NONE);
        return TRUE;
    }
    return GST_BASE_SRC_CLASS(gst_vidbus_src_parent_class)->query(base, query);
}

static gboolean same_layout(const vidbus_layout *a, const vidbus_layout *b)
{
    return a->format == b->format && a->width == b->width && a->height == b->height && memcmp(a->strides, b->strides, sizeof(a->strides)) == 0;
}

/* Caps for this layout, set on the pad (negotiated with downstream). */
static gboolean use_layout(GstVidbusSrc *self, const vidbus_layout *layout)
{
    vidbus_consumer_fps(self->ref->consumer, &self->fps_num, &self->fps_den);
    GstCaps *caps = gst_vidbus_caps_from_layout(layout, self->fps_num, self->fps_den);
    GST_INFO_OBJECT(self, "stream caps %" GST_PTR_FORMAT, caps);
    gboolean ok = gst_base_src_set_caps(GST_BASE_SRC(self), caps);
    GstVideoInfo info;
    self->video_format = layout->plane_count > 0 && gst_video_info_from_caps(&info, caps) ? GST_VIDEO_INFO_FORMAT(&info) : GST_VIDEO_FORMAT_UNKNOWN;
    gst_caps_unref(caps);
    if (ok) {
        self->layout = *layout;
        self->have_caps = TRUE;
    }
    return ok;
}

/* The caps are the stream's, not a choice: set them from its header when a
 * producer is attached; a following source waiting for one sets them with
 * its first frame. */
static gboolean gst_vidbus_src_negotiate(GstBaseSrc *base)
{
    GstVidbusSrc *self = GST_VIDBUS_SRC(base);
    const vidbus_layout *layout = self->ref != NULL ? vidbus_consumer_layout(self->ref->consumer) : NULL;
    if (layout == NULL) return TRUE;
    if (self->have_caps && same_layout(&self->layout, layout)) return TRUE;
    return use_layout(self, layout);
}

static void post_stats(GstVidbusSrc *self)
{
    vidbus_consumer_stats s;
    vidbus_consumer_get_stats(self->ref->consumer, &s);
    GstStructure *st = gst_structure_new("vidbus-stats", "stream", G_TYPE_STRING, self->stream, "received", G_TYPE_UINT64, s.received, "missed", G_TYPE_UINT64, s.missed,
                                         "expired", G_TYPE_UINT64, s.expired, "latency-p50-us", G_TYPE_DOUBLE, s.latency_p50_us, "latency-p99-us", G_TYPE_DOUBLE,
                                         s.latency_p99_us, NULL);
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), st));
}

static GstFlowReturn gst_vidbus_src_create(GstPushSrc *push, GstBuffer **out)
{
    GstVidbusSrc *self = GST_VIDBUS_SRC(push);
    vidbus_frame frame;
    gint64 waited_from = g_get_monotonic_time();
    for (;;) {
        if (g_atomic_int_get(&self->unlocked)) return GST_FLOW_FLUSHING;
        int status = vidbus_consumer_wait(self->ref->consumer, 200, &frame);
        if (status == VIDBUS_OK) break;
        if (status == VIDBUS_ERR_ABORTED) continue; /* unlock() checks above, or a spurious interrupt */
        if (status == VIDBUS_NO_FRAME) {
            if (self->timeout_ms > 0 && (g_get_monotonic_time() - waited_from) / 1000 >= self->timeout_ms) {
                GST_INFO_OBJECT(self, "no frame for %u ms: end of stream", self->timeout_ms);
                return GST_FLOW_EOS;
            }
            continue;
        }
        if (status == VIDBUS_ERR_STREAM_ENDED) return GST_FLOW_EOS; /* the producer closed the stream: a clean end */
        GST_ELEMENT_ERROR(self, RESOURCE, READ, ("%s", vidbus_last_error()), ("%s", vidbus_error_code(status)));
        return GST_FLOW_ERROR;
    }
    if (!self->have_caps || !same_layout(&self->layout, &frame.layout)) {
        if (!use_layout(self, &frame.layout)) {
            vidbus_frame_release(self->ref->consumer, &frame);
            GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Downstream does not accept the stream's format (%s %ux%u)", vidbus_format_name(frame.layout.format), frame.layout.width, frame.layout.height),
                              ("ERR_FORMAT_UNSUPPORTED"));
            return GST_FLOW_NOT_NEGOTIATED;
        }
    }
    GstBuffer *buffer;
    ConsumerRef *ref = self->ref;
    uint32_t slots = vidbus_consumer_slot_count(ref->consumer);
    guint max_wrapped = MIN(MAX_WRAPPED, slots > 2 ? slots - 2 : 0);
    g_mutex_lock(&ref->lock);
    ref->lifespan_ms = vidbus_consumer_hold_lifespan_ms(ref->consumer);
    gboolean in_place = g_list_length(ref->held) < max_wrapped;
    Held *held = NULL;
    if (in_place) {
        held = g_new0(Held, 1);
        held->ref = ref;
        held->frame = frame;
        ref->held = g_list_prepend(ref->held, held);
        g_atomic_int_inc(&ref->refs);
    }
    g_mutex_unlock(&ref->lock);
    if (in_place) {
        /* Zero copy: the buffer is the slot, given back when GStreamer frees the buffer. */
        GST_LOG_OBJECT(self, "frame %" G_GUINT64_FORMAT " (%u bytes) in place", frame.seq, frame.size);
        buffer = gst_buffer_new_wrapped_full(GST_MEMORY_FLAG_READONLY, (gpointer)frame.data, frame.size, 0, frame.size, held, held_free);
    } else {
        GST_LOG_OBJECT(self, "frame %" G_GUINT64_FORMAT " (%u bytes) copied: downstream keeps %u slots already", frame.seq, frame.size, max_wrapped);
        buffer = gst_buffer_new_memdup(frame.data, frame.size);
        vidbus_frame_release(self->ref->consumer, &frame);
    }
    if (frame.layout.plane_count > 0) {
        gsize offsets[GST_VIDEO_MAX_PLANES] = {0};
        gint strides[GST_VIDEO_MAX_PLANES] = {0};
        for (guint p = 0; p < frame.layout.plane_count; p++) {
            offsets[p] = frame.layout.offsets[p];
            strides[p] = (gint)frame.layout.strides[p];
        }
        gst_buffer_add_video_meta_full(buffer, GST_VIDEO_FRAME_FLAG_NONE, self->video_format, frame.layout.width, frame.layout.height, frame.layout.plane_count, offsets, strides);
    }
    /* Capture time (CLOCK_MONOTONIC, the system clock's) to running time; do-timestamp overrides it. */
    GstClockTime base = gst_element_get_base_time(GST_ELEMENT(self));
    if (GST_CLOCK_TIME_IS_VALID(base) && (GstClockTime)frame.timestamp_ns >= base) GST_BUFFER_PTS(buffer) = (GstClockTime)frame.timestamp_ns - base;
    GST_BUFFER_DURATION(buffer) = frame_duration(self);
    GST_BUFFER_OFFSET(buffer) = frame.seq;
    if (!frame.keyframe) GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
    gint64 now = g_get_monotonic_time();
    if (now - self->last_stats_ns >= G_USEC_PER_SEC) {
        self->last_stats_ns = now;
        post_stats(self);
    }
    *out = buffer;
    return GST_FLOW_OK;
}

static void gst_vidbus_src_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
    GstVidbusSrc *self = GST_VIDBUS_SRC(object);
    switch (id) {
    case PROP_STREAM:
        g_free(self->stream);
        self->stream = g_value_dup_string(value);
        break;
    case PROP_POLICY: self->policy = g_value_get_enum(value); break;
    case PROP_FOLLOW: self->follow = g_value_get_boolean(value); break;
    case PROP_TIMEOUT: self->timeout_ms = g_value_get_uint(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void gst_vidbus_src_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
    GstVidbusSrc *self = GST_VIDBUS_SRC(object);
    switch (id) {
    case PROP_STREAM: g_value_set_string(value, self->stream); break;
    case PROP_POLICY: g_value_set_enum(value, self->policy); break;
    case PROP_FOLLOW: g_value_set_boolean(value, self->follow); break;
    case PROP_TIMEOUT: g_value_set_uint(value, self->timeout_ms); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void gst_vidbus_src_finalize(GObject *object)
{
    g_free(GST_VIDBUS_SRC(object)->stream);
    G_OBJECT_CLASS(gst_vidbus_src_parent_class)->finalize(object);
}

static void gst_vidbus_src_class_init(GstVidbusSrcClass *klass)
{
    GObjectClass *gobject = G_OBJECT_CLASS(klass);
    GstElementClass *element = GST_ELEMENT_CLASS(klass);
    GstBaseSrcClass *base = GST_BASE_SRC_CLASS(klass);
    gobject->set_property = gst_vidbus_src_set_property;
    gobject->get_property = gst_vidbus_src_get_property;
    gobject->finalize = gst_vidbus_src_finalize;
    g_object_class_install_property(gobject, PROP_STREAM, g_param_spec_string("stream", "Stream", "The vidbus stream to read (vidbus list shows them)", NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(gobject, PROP_POLICY,
                                    g_param_spec_enum("policy", "Policy", "Which frames to take", GST_TYPE_VIDBUS_POLICY, VIDBUS_POLICY_LATEST, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(gobject, PROP_FOLLOW,
                                    g_param_spec_boolean("follow", "Follow", "Outlive producers: wait for the stream to appear, and for the next producer after one closes or dies (caps are renegotiated)", FALSE,
                                                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(gobject, PROP_TIMEOUT,
                                    g_param_spec_uint("timeout", "Timeout", "End the stream (EOS) after this many milliseconds without a frame (0: wait forever)", 0, G_MAXUINT, 0,
                                                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
    gst_element_class_set_static_metadata(element, "vidbus source", "Source/Video", "Reads a vidbus shared-memory video stream in place (zero copy); caps come from the stream", "vidbus");
    gst_element_class_add_static_pad_template(element, &src_template);
    base->start = gst_vidbus_src_start;
    base->stop = gst_vidbus_src_stop;
    base->unlock = gst_vidbus_src_unlock;
    base->unlock_stop = gst_vidbus_src_unlock_stop;
    base->query = gst_vidbus_src_query;
    base->negotiate = gst_vidbus_src_negotiate;
    GST_PUSH_SRC_CLASS(klass)->create = gst_vidbus_src_create;
    GST_DEBUG_CATEGORY_INIT(vidbussrc_debug, "vidbussrc", 0, "vidbus source");
    gst_type_mark_as_plugin_api(GST_TYPE_VIDBUS_POLICY, 0);
}

static void gst_vidbus_src_init(GstVidbusSrc *self)
{
    self->policy = VIDBUS_POLICY_LATEST;
    self->fps_den = 1;
    gst_base_src_set_live(GST_BASE_SRC(self), TRUE);
    gst_base_src_set_format(GST_BASE_SRC(self), GST_FORMAT_TIME);
}
