"""The install the README shows: pip builds libvidbus into the package,
which then works on its own (no repository next to it)."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def test_pip_installs_a_self_contained_package(tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-deps", "--no-index", "--target", str(target), os.path.join(HERE, "..")],
        check=True,
        cwd=tmp_path,
    )
    assert (target / "vidbus" / "libvidbus.so.1").exists()
    script = (
        "import vidbus, vidbus._lib as l, numpy as np\n"
        "assert l.lib._name.startswith(%r), l.lib._name\n"
        "name = 't-py-install-%d'\n"
        "with vidbus.Producer(name, width=8, height=8, format='GRAY8') as p, vidbus.Consumer(name) as c:\n"
        "    p.send(np.full((8, 8), 5, np.uint8))\n"
        "    f = c.next(timeout=1.0)\n"
        "    print(int(f.array[0, 0]))\n"
        "    f.release()\n"
    ) % (str(target), os.getpid())
    env = {k: v for k, v in os.environ.items() if k not in ("VIDBUS_LIBRARY", "PYTHONPATH")}
    env["PYTHONPATH"] = str(target)
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True, cwd=tmp_path, env=env)
    assert out.stdout.strip() == "5"
