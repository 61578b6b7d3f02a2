#!/bin/sh
# Installs the Debian packages named as arguments that are not installed yet, and checks that a
# Swift 6 toolchain is on the PATH (it cannot come from apt; see https://www.swift.org/install).
set -eu

missing=""
for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done

if [ -n "$missing" ]; then
    echo "installing:$missing"
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q $missing
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "error: swift is not on the PATH; install Swift 6 from https://www.swift.org/install" >&2
    exit 1
fi
