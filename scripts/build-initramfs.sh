#!/bin/bash
# build-initramfs.sh OUT.cpio.gz [--modules-from DIR] [--module NAME.ko ...]
#                    [--add SRC:DEST ...]
# A busybox-static initramfs with mirrorvm's probe and test /init.  Modules
# (xz-compressed in Debian's package) are unpacked so busybox insmod loads
# them, in the order given.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$1; shift
moddir= ; mods=() ; adds=()
while [ $# -gt 0 ]; do
	case "$1" in
	--modules-from) moddir=$2; shift 2 ;;
	--module) mods+=("$2"); shift 2 ;;
	--add) adds+=("$2"); shift 2 ;;
	*) echo "build-initramfs: unknown argument $1" >&2; exit 2 ;;
	esac
done
busybox=$(command -v busybox || true)
[ -n "$busybox" ] && file -L "$busybox" 2>/dev/null | grep -q static || busybox=/bin/busybox
[ -x "$busybox" ] || { echo "build-initramfs: busybox-static is not installed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,dev,proc,sys,tmp,lib/modules}
cp "$busybox" "$work/bin/busybox"
cp "$top/tests/guest/init.sh" "$work/init"
chmod +x "$work/init"
gcc -static -O2 -std=gnu11 -Wall -Wextra -Werror -o "$work/bin/mvm-probe" \
	"$top/tests/guest/mvm-probe.c"
for m in "${mods[@]}"; do
	src=$(find "$moddir/lib/modules" -name "$m" -o -name "$m.xz" | head -n 1)
	[ -n "$src" ] || { echo "build-initramfs: module $m not found under $moddir" >&2; exit 1; }
	case "$src" in
	*.xz) xz -dc "$src" > "$work/lib/modules/$m" ;;
	*) cp "$src" "$work/lib/modules/$m" ;;
	esac
	echo "$m" >> "$work/lib/modules/load"
done
for a in "${adds[@]}"; do
	mkdir -p "$work/$(dirname "${a#*:}")"
	cp -a "${a%%:*}" "$work/${a#*:}"
done
(cd "$work" && find . | sort | cpio -o -H newc --quiet --owner 0:0) | gzip -1 > "$out"
