/* One-hop wake-ups through abstract AF_UNIX datagram sockets (see wake_socket.c). */
#ifndef VIDBUS_WAKE_SOCKET_H
#define VIDBUS_WAKE_SOCKET_H

#include <node_api.h>

/* wakeSocketOpen(token: bigint) -> fd, bound to the token's abstract name */
napi_value vb_wake_socket_open(napi_env env, napi_callback_info info);
/* wakeSenderOpen() -> fd, an unbound datagram socket to send wakes from */
napi_value vb_wake_sender_open(napi_env env, napi_callback_info info);
/* wakeSend(fd, token: bigint) -> 0, or the errno the send failed with */
napi_value vb_wake_send(napi_env env, napi_callback_info info);

#endif
