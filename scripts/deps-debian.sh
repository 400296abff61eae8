#!/usr/bin/env bash
# Installs what building and testing mproc needs on Debian/Ubuntu, skipping
# what is already there. Extra package names may be given as arguments.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libapr1-dev libcunit1-dev "$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}" >&2
