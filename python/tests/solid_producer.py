"""A Python producer of one solid colour (RGB24 from numpy), for the VM
lab's check that `vidbus vcam` shows what Python publishes.
  solid_producer.py NAME WIDTH HEIGHT R G B FPS"""
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import numpy as np  # noqa: E402

import vidbus  # noqa: E402

name, width, height, r, g, b, fps = sys.argv[1], *map(int, sys.argv[2:8])
running = [True]
signal.signal(signal.SIGTERM, lambda *_: running.__setitem__(0, False))
frame = np.empty((height, width, 3), np.uint8)
frame[:] = (r, g, b)
with vidbus.Producer(name, width=width, height=height, format="RGB24", fps=fps) as p:
    print(json.dumps({"type": "ready"}), flush=True)
    while running[0]:
        p.send(frame)
        time.sleep(1 / fps)
