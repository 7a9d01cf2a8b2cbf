/* vidbus native addon: the export table. Every export is a thin syscall
 * wrapper or a pixel kernel; all policy lives in TypeScript. Only
 * src/native/binding.ts loads this module. */
#include <node_api.h>

#include "args.h"
#include "convert.h"
#include "effects.h"
#include "errors.h"
#include "fdwatch.h"
#include "futex.h"
#include "jpeg.h"
#include "locks.h"
#include "mapping.h"
#include "v4l2.h"
#include "v4l2_buffers.h"
#include "v4l2_enum.h"
#include "timer.h"
#include "waiter.h"
#include "wake_socket.h"
#include "stream_socket.h"
#include "drm.h"

/* init(makeError): hands the addon the TS error factory (errors.h). */
static napi_value vb_init(napi_env env, napi_callback_info info)
{
    vb_args a;
    if (vb_get_args(env, info, &a, 1) != 0) return NULL;
    napi_valuetype type;
    if (napi_typeof(env, a.values[0], &type) != napi_ok || type != napi_function) {
        return vb_throw_type(env, "init expects a function");
    }
    if (vb_errors_set_factory(env, a.values[0]) != napi_ok) return vb_throw_type(env, "init failed");
    return NULL;
}

#define EXPORT(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL}

static napi_value module_init(napi_env env, napi_value exports)
{
    napi_property_descriptor props[] = {
        EXPORT("init", vb_init),
        EXPORT("mmap", vb_mmap),
        EXPORT("munmap", vb_munmap),
        EXPORT("fallocate", vb_fallocate),
        EXPORT("futexWake", vb_js_futex_wake),
        EXPORT("futexWaitSync", vb_js_futex_wait_sync),
        EXPORT("waiterCreate", vb_waiter_create),
        EXPORT("waiterArm", vb_waiter_arm),
        EXPORT("waiterClose", vb_waiter_close),
        EXPORT("lockTry", vb_lock_try),
        EXPORT("lockRelease", vb_lock_release),
        EXPORT("lockHeld", vb_lock_held),
        EXPORT("v4l2QueryCap", vb_v4l2_querycap),
        EXPORT("v4l2GetFormat", vb_v4l2_get_format),
        EXPORT("v4l2SetFormat", vb_v4l2_set_format),
        EXPORT("v4l2SetFrameRate", vb_v4l2_set_frame_rate),
        EXPORT("v4l2Stream", vb_v4l2_stream),
        EXPORT("v4l2EnumFormats", vb_v4l2_enum_formats),
        EXPORT("v4l2EnumFrameSizes", vb_v4l2_enum_frame_sizes),
        EXPORT("v4l2EnumFrameIntervals", vb_v4l2_enum_frame_intervals),
        EXPORT("v4l2GetFrameInterval", vb_v4l2_get_frame_interval),
        EXPORT("v4l2RequestBuffers", vb_v4l2_request_buffers),
        EXPORT("v4l2QueryBuffer", vb_v4l2_query_buffer),
        EXPORT("v4l2QueueBuffer", vb_v4l2_queue_buffer),
        EXPORT("v4l2DequeueBuffer", vb_v4l2_dequeue_buffer),
        EXPORT("fdWatchStart", vb_fd_watch_start),
        EXPORT("fdWatchStop", vb_fd_watch_stop),
        EXPORT("fdWatchRef", vb_fd_watch_ref),
        EXPORT("wakeSocketOpen", vb_wake_socket_open),
        EXPORT("wakeSenderOpen", vb_wake_sender_open),
        EXPORT("wakeSend", vb_wake_send),
        EXPORT("streamSocketConnect", vb_stream_socket_connect),
        EXPORT("streamSocketSend", vb_stream_socket_send),
        EXPORT("streamSocketReceive", vb_stream_socket_receive),
        EXPORT("drmResources", vb_drm_resources),
        EXPORT("drmConnector", vb_drm_connector),
        EXPORT("drmEncoderCrtc", vb_drm_encoder_crtc),
        EXPORT("drmCrtc", vb_drm_crtc),
        EXPORT("drmFramebuffer", vb_drm_framebuffer),
        EXPORT("drmExportHandle", vb_drm_export_handle),
        EXPORT("drmDumbMapOffset", vb_drm_dumb_map_offset),
        EXPORT("drmCloseHandle", vb_drm_close_handle),
        EXPORT("dmaBufSync", vb_dma_buf_sync),
        EXPORT("timerCreate", vb_timer_create),
        EXPORT("timerArm", vb_timer_arm),
        EXPORT("pixelsFit", vb_pixels_fit_js),
        EXPORT("pixelsOpaque", vb_pixels_opaque_js),
        EXPORT("pixelsCopyRows", vb_pixels_copy_rows_js),
        EXPORT("fxMaskToAlpha", vb_fx_mask_to_alpha),
        EXPORT("fxBlur", vb_fx_blur),
        EXPORT("fxComposite", vb_fx_composite),
        EXPORT("fxResize", vb_fx_resize),
        EXPORT("fxGuidedAlpha", vb_fx_guided_alpha),
        EXPORT("fxLevels", vb_fx_levels),
        EXPORT("jpegCreate", vb_jpeg_create),
        EXPORT("jpegClose", vb_jpeg_close),
        EXPORT("jpegHeader", vb_jpeg_header),
        EXPORT("jpegDecode", vb_jpeg_decode),
        EXPORT("jpegEncode", vb_jpeg_encode),
    };
    if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
    return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, module_init)
