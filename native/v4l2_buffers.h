/* V4L2 streaming I/O wrappers (see v4l2_buffers.c). */
#ifndef VIDBUS_V4L2_BUFFERS_H
#define VIDBUS_V4L2_BUFFERS_H

#include <node_api.h>

/* v4l2RequestBuffers(fd, bufType, memory, count) -> count granted (0 frees them) */
napi_value vb_v4l2_request_buffers(napi_env env, napi_callback_info info);
/* v4l2QueryBuffer(fd, bufType, index) -> { offset, length } of an MMAP buffer */
napi_value vb_v4l2_query_buffer(napi_env env, napi_callback_info info);
/* v4l2QueueBuffer(fd, bufType, memory, index[, view]): view is the USERPTR memory */
napi_value vb_v4l2_queue_buffer(napi_env env, napi_callback_info info);
/* v4l2DequeueBuffer(fd, bufType, memory) -> { index, bytesUsed, flags, sequence, timestampNs } or null (none ready) */
napi_value vb_v4l2_dequeue_buffer(napi_env env, napi_callback_info info);

#endif
