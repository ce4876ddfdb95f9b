#!/bin/bash
# bench-boot.sh [--runs N] [--memory 512M]: boot time and VMM memory overhead
# of mirrorvm's KVM engine against qemu-system-x86_64 -enable-kvm, both
# running the same L2 kernel and initramfs inside an L1 Linux (Debian's
# 6.12 cloud kernel under mirrorvm's QEMU engine, TCG, with kvm-amd).
# A benchmark, not a test: it prints figures and their ratios.
#
#   time to /init   L2 VMM start -> "MVM-BEGIN" from L2's /init on its console
#   overhead        VMM RSS minus the guest RAM it touched (resident pages of
#                   mappings >= 128 MiB), 3 s after /init, from /proc/PID/smaps
#
# Absolute numbers are TCG-inflated (L1 runs on an emulated CPU); the ratios
# are the point.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
runs=3 mem=512M
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--memory) mem=$2; shift 2 ;;
	*) echo "usage: $0 [--runs N] [--memory SIZE]" >&2; exit 2 ;;
	esac
done
make -s build/mirrorvm build/mirrorvm-static
kdir=$(scripts/fetch-debian-kernel.sh)
kernel=$(ls "$kdir"/boot/vmlinuz-* | head -n 1)
qemu=$(command -v qemu-system-x86_64) || { echo "bench-boot: qemu-system-x86_64 is not installed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# QEMU for L1: the binary, its shared libraries, SeaBIOS and the option ROMs
# -kernel needs (linuxboot_dma.bin), all under /qemu.
mkdir -p "$work/qemu/lib" "$work/qemu/share"
cp "$qemu" "$work/qemu/qemu-system-x86_64"
ldd "$qemu" | awk '/=>/ { print $3 } /^\t\/lib/ { print $1 }' | sort -u | while read -r lib; do
	[ -f "$lib" ] && cp -L "$lib" "$work/qemu/lib/"
done
loader=$(ldd "$qemu" | awk '/ld-linux/ { print $1 }')
for f in bios-256k.bin linuxboot_dma.bin linuxboot.bin kvmvapic.bin; do
	for d in /usr/share/qemu /usr/share/seabios; do
		[ -e "$d/$f" ] && { cp -L "$d/$f" "$work/qemu/share/"; break; }
	done
done

# The same kernel uncompressed, for mirrorvm's direct startup_64 entry (no
# decompressor).  QEMU 7.2 booting it through its PVH note did not reach
# /init within 130 s here, so QEMU gets the bzImage only.
scripts/extract-vmlinux.sh "$kernel" "$work/vmlinux"
scripts/build-initramfs.sh "$work/l2.cpio.gz" --modules-from "$kdir" \
	--module pvpanic.ko --module pvpanic-mmio.ko

cat > "$work/l1-bench.sh" <<EOF
#!/bin/busybox sh
# L1 side of bench-boot.sh: boots L2 under each VMM $runs times.
ms() { awk '{ printf "%d", \$1 * 1000 }' /proc/uptime; }
[ -c /dev/kvm ] || { echo "BENCH-ERROR no /dev/kvm in L1"; exit 0; }
l2cmd="console=ttyS0 quiet loglevel=4 mvm.end=hang"
measure() {   # name, then the command
	name=\$1; shift
	rm -f /tmp/out /tmp/err
	t0=\$(ms)
	"\$@" </dev/null >/tmp/out 2>/tmp/err &
	pid=\$!
	t=0
	while ! grep -q MVM-BEGIN /tmp/out 2>/dev/null; do
		t=\$((t + 1)); [ \$t -gt 6000 ] && break
		kill -0 \$pid 2>/dev/null || break
		usleep 10000
	done
	t1=\$(ms)
	sleep 3
	# the VMM is the process itself (mirrorvm) or its only child (none here)
	awk '/^[0-9a-f]+-[0-9a-f]+ / { split(\$1, a, "-"); big = 0 }
	     /^Size:/ { big = (\$2 >= 131072) }
	     /^Rss:/ { rss += \$2; if (big) guest += \$2 }
	     END { printf "BENCH $mem %s init_ms=%d rss_kb=%d guest_kb=%d overhead_kb=%d\n", name, t1 - t0, rss, guest, rss - guest }' \
	     name="\$name" t1=\$t1 t0=\$t0 /proc/\$pid/smaps
	kill -TERM \$pid; wait \$pid 2>/dev/null
	grep -q MVM-BEGIN /tmp/out || { echo "BENCH-ERROR \$name: no /init"; tail -5 /tmp/out /tmp/err; }
}
i=0
while [ \$i -lt $runs ]; do
	measure mirrorvm-kvm /bin/mirrorvm run --engine kvm --kernel /nested/bzImage \
		--initrd /nested/initrd.gz --cmdline "\$l2cmd" --node id=0,size=$mem
	measure mirrorvm-kvm-vmlinux /bin/mirrorvm run --engine kvm --kernel /nested/vmlinux \
		--initrd /nested/initrd.gz --cmdline "\$l2cmd" --node id=0,size=$mem
	measure qemu-kvm /qemu/lib/$(basename "$loader") --library-path /qemu/lib \
		/qemu/qemu-system-x86_64 -L /qemu/share -nodefaults -no-user-config \
		-display none -machine pc,accel=kvm -cpu host -m $mem -smp 1 \
		-kernel /nested/bzImage -initrd /nested/initrd.gz -append "\$l2cmd" \
		-serial stdio -no-reboot
	i=\$((i + 1))
done
EOF
chmod +x "$work/l1-bench.sh"
scripts/build-initramfs.sh "$work/l1.cpio.gz" --modules-from "$kdir" \
	--module irqbypass.ko --module kvm.ko --module kvm-amd.ko \
	--add build/mirrorvm-static:/bin/mirrorvm --add "$kernel:/nested/bzImage" \
	--add "$work/vmlinux:/nested/vmlinux" \
	--add "$work/l2.cpio.gz:/nested/initrd.gz" --add "$work/qemu:/qemu" \
	--add "$work/l1-bench.sh:/bin/mvm-extra"

echo "bench-boot: booting L1 (TCG) and $runs L2 boots per VMM; this takes a few minutes" >&2
build/mirrorvm run --engine qemu --kernel "$kernel" --initrd "$work/l1.cpio.gz" \
	--cmdline "console=ttyS0 quiet loglevel=4 mvm.end=poweroff" --cpus 2 \
	--node id=0,size=3G,cpus=0-1 </dev/null 2>/dev/null | tr -d '\r' | tee "$work/l1.log" |
	grep -E '^BENCH' || true
awk '/^BENCH / {
	n[$3]++; init[$3] += substr($4, 9); ovh[$3] += substr($7, 13)
}
END {
	split("mirrorvm-kvm mirrorvm-kvm-vmlinux qemu-kvm", v, " ")
	for (i = 1; i <= 3; i++)
		if (!n[v[i]]) { print "bench-boot: missing results for " v[i]; exit 1 }
	printf "\n%-22s %14s %16s\n", "VMM in L1 (kernel)", "time to /init", "VMM overhead"
	for (i = 1; i <= 3; i++) {
		t[v[i]] = init[v[i]] / n[v[i]]; o[v[i]] = ovh[v[i]] / n[v[i]]
		printf "%-22s %12.0f ms %13.1f MiB\n", v[i], t[v[i]], o[v[i]] / 1024
	}
	printf "\nratios to qemu-kvm (bzImage)  time   overhead   (targets: time <= 0.50, overhead <= 3 MiB)\n"
	printf "mirrorvm-kvm (bzImage)        %5.2f   %5.2f\n", t["mirrorvm-kvm"] / t["qemu-kvm"], o["mirrorvm-kvm"] / o["qemu-kvm"]
	printf "mirrorvm-kvm-vmlinux          %5.2f   %5.2f\n", t["mirrorvm-kvm-vmlinux"] / t["qemu-kvm"], o["mirrorvm-kvm-vmlinux"] / o["qemu-kvm"]
}' "$work/l1.log"
