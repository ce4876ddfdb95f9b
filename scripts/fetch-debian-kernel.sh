#!/bin/bash
# Fetches Debian's 6.12 cloud kernel package (not installed: downloaded and
# unpacked into the cache) and prints the directory holding boot/vmlinuz-*
# and lib/modules/.  Reruns reuse the cache.
set -euo pipefail
cache=${MIRRORVM_CACHE:-$HOME/.cache/mirrorvm}
pkg=$(apt-cache depends linux-image-6.12-cloud-amd64 2>/dev/null |
      awk '/Depends: linux-image-6\.12\./ { print $2; exit }')
if [ -z "$pkg" ]; then
	# No apt lists (offline rerun): take the newest unpacked one.
	dir=$(ls -d "$cache"/debian-kernel/*/ 2>/dev/null | sort -V | tail -n 1)
	[ -n "$dir" ] || { echo "fetch-debian-kernel: no linux-image-6.12-cloud-amd64 in apt (run apt-get update)" >&2; exit 1; }
	echo "${dir%/}"
	exit 0
fi
dir=$cache/debian-kernel/$pkg
if [ ! -f "$dir/.done" ]; then
	echo "fetch-debian-kernel: downloading $pkg" >&2
	rm -rf "$dir"
	mkdir -p "$dir/deb"
	(cd "$dir/deb" && apt-get download "$pkg" >&2)
	dpkg-deb -x "$dir"/deb/*.deb "$dir"
	rm -rf "$dir/deb"
	touch "$dir/.done"
fi
echo "$dir"
