/* Connected AF_UNIX stream sockets with descriptor passing: what an X11
 * client needs to hand the X server a shared-memory file (MIT-SHM
 * ShmAttachFd), which Node's net module cannot do. Syscall wrappers only:
 * the protocol spoken over the socket lives in TypeScript. */
#ifndef VIDBUS_STREAM_SOCKET_H
#define VIDBUS_STREAM_SOCKET_H

#include <node_api.h>

napi_value vb_stream_socket_connect(napi_env env, napi_callback_info info);
napi_value vb_stream_socket_send(napi_env env, napi_callback_info info);
napi_value vb_stream_socket_receive(napi_env env, napi_callback_info info);

#endif
