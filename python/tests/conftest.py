"""Tests use the package from this checkout and the libvidbus built next to it (make -C libvidbus)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
