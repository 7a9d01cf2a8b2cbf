/* Compositing kernels for camera effects (see effects.c). */
#ifndef VIDBUS_EFFECTS_H
#define VIDBUS_EFFECTS_H

#include <node_api.h>

napi_value vb_fx_mask_to_alpha(napi_env env, napi_callback_info info);
napi_value vb_fx_blur(napi_env env, napi_callback_info info);
napi_value vb_fx_composite(napi_env env, napi_callback_info info);
napi_value vb_fx_resize(napi_env env, napi_callback_info info);
napi_value vb_fx_guided_alpha(napi_env env, napi_callback_info info);
napi_value vb_fx_levels(napi_env env, napi_callback_info info);

#endif
