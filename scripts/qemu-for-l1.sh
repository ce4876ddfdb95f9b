#!/bin/bash
# qemu-for-l1.sh DIR: this host's qemu-system-x86_64 laid out under DIR for
# an L1 initramfs (scripts/bench-boot.sh, scripts/bench-unplug.sh): the
# binary, its shared libraries in DIR/lib, SeaBIOS and the option ROMs
# -kernel needs in DIR/share.  Prints the file name of the dynamic loader
# in DIR/lib, which runs it: /qemu/lib/LOADER --library-path /qemu/lib
# /qemu/qemu-system-x86_64 -L /qemu/share ...
set -euo pipefail
dir=$1
qemu=$(command -v qemu-system-x86_64) || { echo "qemu-for-l1: qemu-system-x86_64 is not installed" >&2; exit 1; }
mkdir -p "$dir/lib" "$dir/share"
cp "$qemu" "$dir/qemu-system-x86_64"
ldd "$qemu" | awk '/=>/ { print $3 } /^\t\/lib/ { print $1 }' | sort -u | while read -r lib; do
	[ -f "$lib" ] && cp -L "$lib" "$dir/lib/"
done
for f in bios-256k.bin linuxboot_dma.bin linuxboot.bin kvmvapic.bin pvh.bin; do
	for d in /usr/share/qemu /usr/share/seabios; do
		[ -e "$d/$f" ] && { cp -L "$d/$f" "$dir/share/"; break; }
	done
done
basename "$(ldd "$qemu" | awk '/ld-linux/ { print $1 }')"
