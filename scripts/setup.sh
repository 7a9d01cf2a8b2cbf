#!/usr/bin/env bash
# Installs what vidbus needs on a fresh Debian machine, then builds.
#   bash scripts/setup.sh          what the main job (the demo) needs: a C
#                                  toolchain and libjpeg-turbo for the addon,
#                                  and the npm dependencies
#   bash scripts/setup.sh --tests  also what the tests need: the VM lab
#                                  (qemu, Debian's kernel, v4l2loopback),
#                                  the peers (ffmpeg, GStreamer, Chromium)
#                                  and the test pictures
# VIDBUS_SKIP_LAB=1 leaves the lab out even with --tests.
set -euo pipefail
cd "$(dirname "$0")/.."
tests=0
[ "${1:-}" = "--tests" ] && tests=1

need_apt=()
command -v gcc >/dev/null || need_apt+=(build-essential)
command -v make >/dev/null || need_apt+=(make)
command -v python3 >/dev/null || need_apt+=(python3)
# libjpeg-turbo for MJPEG frames and JPEG pictures (the addon builds without
# it, and then says how to get it when a JPEG shows up).
[ -f /usr/include/turbojpeg.h ] || need_apt+=(libturbojpeg0-dev)
# The VM test lab (test/vm): qemu, Debian's kernel with headers (so that
# dkms builds v4l2loopback for it), static busybox for the initramfs, and
# the real peers the tests talk to (Chromium is driven by playwright-core).
lab_packages=(qemu-system-x86 linux-image-amd64 linux-headers-amd64 v4l2loopback-dkms busybox-static
  v4l-utils ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-good chromium libdrm-tests)
# The clients in other languages (libvidbus/, python/, gstreamer/) and their checks:
# Debian's Python with numpy and pytest, clang with libFuzzer, valgrind,
# GStreamer's headers and the elements the plugin's tests use.
client_packages=(python3 python3-numpy python3-pytest python3-setuptools python3-pip clang libclang-rt-14-dev valgrind pkg-config
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly ffmpeg)
# The PipeWire camera and source (pipewire/) and their headless session: PipeWire,
# WirePlumber, the desktop portal with the GTK backend (it implements Access, without
# which the portal exports no Camera), Xvfb, a session D-Bus, GStreamer's PipeWire
# elements, and Chromium for the browser check.
pipewire_packages=(libpipewire-0.3-dev libglib2.0-dev pipewire pipewire-bin wireplumber xdg-desktop-portal xdg-desktop-portal-gtk xvfb dbus-daemon dbus-bin
  gstreamer1.0-pipewire chromium)
# Screen capture's tests: an X server to capture and xsetroot to paint it; the portal's
# test backend (test/desktop/fake-screencast.py) runs on Debian's Python with GObject.
screen_packages=(xvfb x11-xserver-utils python3-gi)
# The encode stage (encoder/: vidbus-encode over libavcodec's libx264/libx265 and libjpeg-turbo).
encode_packages=(libavcodec-dev libavutil-dev libswscale-dev libturbojpeg0-dev)
# Publishing's tests: a real Janus gateway, and the janus.js and adapter.js a viewer's page loads.
publish_packages=(janus libjs-janus-gateway libjs-webrtc-adapter)
wanted=()
[ $tests = 1 ] && wanted+=("${client_packages[@]}" "${pipewire_packages[@]}" "${screen_packages[@]}" "${encode_packages[@]}" "${publish_packages[@]}")
[ $tests = 1 ] && [ "${VIDBUS_SKIP_LAB:-0}" != 1 ] && wanted+=("${lab_packages[@]}")
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$p")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "vidbus setup: please install: ${need_apt[*]} (sudo apt-get install ${need_apt[*]})" >&2
    exit 1
  fi
  echo "vidbus setup: installing ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# The effects tests' picture of a person: Eileen Collins, a NASA photograph
# in the public domain, as Debian ships it in python3-skimage. Only the file
# is taken from the package (nothing is installed).
person=test/fixtures/downloaded/astronaut.png
if [ $tests = 1 ] && [ ! -f "$person" ]; then
  mkdir -p "$(dirname "$person")"
  tmp=$(mktemp -d)
  if ! (cd "$tmp" && apt-get download python3-skimage >/dev/null 2>&1); then
    [ "$(id -u)" -eq 0 ] && apt-get update -qq && (cd "$tmp" && apt-get download python3-skimage >/dev/null 2>&1) || true
  fi
  deb=$(ls "$tmp"/python3-skimage_*.deb 2>/dev/null | head -1)
  if [ -n "$deb" ] && dpkg-deb -x "$deb" "$tmp/x"; then
    cp "$tmp/x/usr/lib/python3/dist-packages/skimage/data/astronaut.png" "$person"
  else
    echo "vidbus setup: could not fetch python3-skimage's astronaut.png; the effects golden tests will be skipped" >&2
  fi
  rm -rf "$tmp"
fi

# Build the addon against the installed Node headers (no header download).
if [ -f /usr/include/node/node_api.h ] && [ -z "${npm_config_nodedir:-}" ]; then
  export npm_config_nodedir=/usr
fi
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
# libvidbus (C) for the clients and the conformance suite, the GStreamer plugin and the PipeWire bridge over it.
[ $tests = 1 ] && make -C libvidbus --silent >/dev/null && make -C gstreamer --silent >/dev/null && make -C pipewire --silent >/dev/null && make -C encoder --silent >/dev/null
# Outside the tests, the PipeWire bridge is built when its headers are there (the pipewire camera backend needs it).
[ $tests = 0 ] && pkg-config --exists libpipewire-0.3 2>/dev/null && make -C libvidbus --silent build/libvidbus.a >/dev/null && make -C pipewire --silent >/dev/null
true
