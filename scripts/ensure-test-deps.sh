#!/usr/bin/env sh
# The browser and WebGPU tests need two system packages that npm cannot provide: Debian's chromium
# (driven by playwright-core; never a browser download) and mesa-vulkan-drivers (lavapipe, a software
# WebGPU adapter for Deno). Installs them when missing and this is a Debian machine run as root;
# otherwise says exactly what to install.
set -eu
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || missing="$missing mesa-vulkan-drivers"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing test dependencies:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq $missing >/dev/null
else
  echo "The tests need these Debian packages:$missing" >&2
  echo "Install them with: sudo apt-get install -y$missing" >&2
  exit 1
fi
