{
  "targets": [
    {
      "target_name": "vidbus_native",
      "sources": [
        "native/addon.c",
        "native/errors.c",
        "native/mapping.c",
        "native/futex.c",
        "native/waiter.c",
        "native/locks.c",
        "native/v4l2.c",
        "native/v4l2_enum.c",
        "native/v4l2_buffers.c",
        "native/fdwatch.c",
        "native/wake_socket.c",
        "native/stream_socket.c",
        "native/drm.c",
        "native/timer.c",
        "native/pixels.c",
        "native/convert.c",
        "native/effects.c",
        "native/jpeg.c"
      ],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-fvisibility=hidden", "-Wno-unused-parameter"],
      "libraries": ["-lpthread"],
      "conditions": [
        ["<!(test -f /usr/include/turbojpeg.h && echo 1 || echo 0)==1", {
          "defines": ["VB_HAVE_TURBOJPEG"],
          "libraries": ["-lturbojpeg"]
        }]
      ]
    }
  ]
}
