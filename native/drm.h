/* DRM/KMS ioctls for screen capture (see drm.c). */
#ifndef VIDBUS_DRM_H
#define VIDBUS_DRM_H

#include <node_api.h>

napi_value vb_drm_resources(napi_env env, napi_callback_info info);
napi_value vb_drm_connector(napi_env env, napi_callback_info info);
napi_value vb_drm_encoder_crtc(napi_env env, napi_callback_info info);
napi_value vb_drm_crtc(napi_env env, napi_callback_info info);
napi_value vb_drm_framebuffer(napi_env env, napi_callback_info info);
napi_value vb_drm_export_handle(napi_env env, napi_callback_info info);
napi_value vb_drm_dumb_map_offset(napi_env env, napi_callback_info info);
napi_value vb_drm_close_handle(napi_env env, napi_callback_info info);
napi_value vb_dma_buf_sync(napi_env env, napi_callback_info info);

#endif
