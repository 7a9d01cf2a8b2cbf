"""Builds libvidbus (../libvidbus, C11, make) into the package, so that
`pip install ./python` gives a self-contained package. Nothing is
downloaded: the C compiler and make come from the system."""
import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
LIBVIDBUS = os.path.join(HERE, "..", "libvidbus")


class BuildWithLibrary(build_py):
    def run(self):
        subprocess.check_call(["make", "-C", LIBVIDBUS, "build/libvidbus.so"])
        super().run()
        target = os.path.join(self.build_lib, "vidbus")
        os.makedirs(target, exist_ok=True)
        shutil.copyfile(os.path.join(LIBVIDBUS, "build", "libvidbus.so.1.0.0"), os.path.join(target, "libvidbus.so.1"))


setup(cmdclass={"build_py": BuildWithLibrary})
