#!/bin/bash
# bench-boot.sh [--runs N] [--memory 512M] [--guest-kernel mirrorvm|debian|both]
# Boot time and VMM memory overhead of mirrorvm's KVM engine against
# qemu-system-x86_64 -enable-kvm, both running the same L2 kernel and
# initramfs inside an L1 Linux (Debian's 6.12 cloud kernel under mirrorvm's
# QEMU engine, TCG, with kvm-amd).  A benchmark, not a test: it prints
# figures and their ratios.
#
#   time to /init   L2 VMM start -> "MVM-BEGIN" from L2's /init on its console
#   overhead        VMM RSS minus the guest RAM it touched (resident pages of
#                   mappings >= 128 MiB), 3 s after /init, from /proc/PID/smaps
#
# Guest kernels: "mirrorvm" is the kernel mirrorvm's guests run
# (scripts/build-guest-kernel.sh: kvm-patches + guest-kernel/config.fragment,
# cached); "debian" is Debian's generic 6.12 cloud kernel, whose own
# initcalls take about 2 s of TCG time under either VMM.
#
# Absolute numbers are TCG-inflated (L1 runs on an emulated CPU); the ratios
# are the point.  Every sample boots a fresh L1: under TCG, guest memory that
# L1 hands out again after an earlier L2 (whose code TCG had translated)
# costs QEMU a translation-block flush per page on first write, which made
# whichever VMM ran later in the same L1 up to 1.5 s slower.
#
# Peers: QEMU with the bzImage (SeaBIOS + linuxboot_dma, the usual -kernel
# boot) and QEMU with the uncompressed vmlinux through its PVH entry
# (pvh.bin), so that each mirrorvm figure has a like-for-like QEMU figure.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
runs=3 mem=512M kernels="mirrorvm debian"
usage() { echo "usage: $0 [--runs N] [--memory SIZE] [--guest-kernel mirrorvm|debian|both]" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--memory) mem=$2; shift 2 ;;
	--guest-kernel)
		case "$2" in
		mirrorvm|debian) kernels=$2 ;;
		both) kernels="mirrorvm debian" ;;
		*) echo "bench-boot: --guest-kernel $2: expected mirrorvm, debian or both" >&2; exit 2 ;;
		esac
		shift 2 ;;
	*) usage ;;
	esac
done
case "$runs" in ''|*[!0-9]*|0) echo "bench-boot: --runs $runs: expected a positive number" >&2; exit 2 ;; esac
make -s build/mirrorvm build/mirrorvm-static
kdir=$(scripts/fetch-debian-kernel.sh)
l1kernel=$(ls "$kdir"/boot/vmlinuz-* | head -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# QEMU for L1, under /qemu (scripts/qemu-for-l1.sh).
loader=$(scripts/qemu-for-l1.sh "$work/qemu")

cat > "$work/l1-bench.sh" <<EOF
#!/bin/busybox sh
# L1 side of bench-boot.sh: boots L2 once under the VMM that mvm.bench= names.
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
	# the VMM is the process itself (mirrorvm or QEMU): no children
	awk '/^[0-9a-f]+-[0-9a-f]+ / { split(\$1, a, "-"); big = 0 }
	     /^Size:/ { big = (\$2 >= 131072) }
	     /^Rss:/ { rss += \$2; if (big) guest += \$2 }
	     END { printf "BENCH $mem %s init_ms=%d rss_kb=%d guest_kb=%d overhead_kb=%d\n", name, t1 - t0, rss, guest, rss - guest }' \
	     name="\$name" t1=\$t1 t0=\$t0 /proc/\$pid/smaps
	kill -TERM \$pid; wait \$pid 2>/dev/null
	grep -q MVM-BEGIN /tmp/out || { echo "BENCH-ERROR \$name: no /init"; tail -5 /tmp/out /tmp/err; }
}
qemu() {
	exec /qemu/lib/$loader --library-path /qemu/lib \
		/qemu/qemu-system-x86_64 -L /qemu/share -nodefaults -no-user-config \
		-display none -machine pc,accel=kvm -cpu host -m $mem -smp 1 \
		-initrd /nested/initrd.gz -append "\$l2cmd" -serial stdio -no-reboot "\$@"
}
for arg in \$(cat /proc/cmdline); do
	case "\$arg" in
	mvm.bench=mirrorvm-kvm) measure mirrorvm-kvm /bin/mirrorvm run --engine kvm \
		--kernel /nested/bzImage --initrd /nested/initrd.gz --cmdline "\$l2cmd" \
		--node id=0,size=$mem ;;
	mvm.bench=mirrorvm-kvm-vmlinux) measure mirrorvm-kvm-vmlinux /bin/mirrorvm run \
		--engine kvm --kernel /nested/vmlinux --initrd /nested/initrd.gz \
		--cmdline "\$l2cmd" --node id=0,size=$mem ;;
	mvm.bench=qemu-kvm) measure qemu-kvm qemu -kernel /nested/bzImage ;;
	mvm.bench=qemu-kvm-pvh) measure qemu-kvm-pvh qemu -kernel /nested/vmlinux ;;
	esac
done
EOF
chmod +x "$work/l1-bench.sh"

vmms="mirrorvm-kvm mirrorvm-kvm-vmlinux qemu-kvm qemu-kvm-pvh"
: > "$work/results"
for kname in $kernels; do
	# The L2 kernel as a bzImage and uncompressed: mirrorvm enters the
	# vmlinux at startup_64, QEMU through its PVH note (both skip the
	# decompressor).  Debian's kernel loads pvpanic as a module.
	case "$kname" in
	mirrorvm)
		l2kernel=$(scripts/build-guest-kernel.sh | tail -n 1)
		scripts/build-initramfs.sh "$work/l2.cpio.gz" ;;
	debian)
		l2kernel=$l1kernel
		scripts/build-initramfs.sh "$work/l2.cpio.gz" --modules-from "$kdir" \
			--module pvpanic.ko --module pvpanic-mmio.ko ;;
	esac
	scripts/extract-vmlinux.sh "$l2kernel" "$work/vmlinux"
	scripts/build-initramfs.sh "$work/l1.cpio.gz" --modules-from "$kdir" \
		--module irqbypass.ko --module kvm.ko --module kvm-amd.ko \
		--add build/mirrorvm-static:/bin/mirrorvm --add "$l2kernel:/nested/bzImage" \
		--add "$work/vmlinux:/nested/vmlinux" \
		--add "$work/l2.cpio.gz:/nested/initrd.gz" --add "$work/qemu:/qemu" \
		--add "$work/l1-bench.sh:/bin/mvm-extra"
	echo "bench-boot: $kname guest kernel: $runs rounds of 4 samples, each in a fresh L1 (TCG)" >&2
	for i in $(seq "$runs"); do
		for vmm in $vmms; do
			build/mirrorvm run --engine qemu --kernel "$l1kernel" --initrd "$work/l1.cpio.gz" \
				--cmdline "console=ttyS0 quiet loglevel=4 mvm.end=poweroff mvm.bench=$vmm" \
				--cpus 2 --node id=0,size=3G,cpus=0-1 </dev/null 2>/dev/null | tr -d '\r' |
				grep -E '^BENCH' | sed "s/^BENCH /BENCH $kname /" | tee -a "$work/results" >&2 || true
		done
	done
done

# BENCH KERNEL MEM VMM init_ms=.. rss_kb=.. guest_kb=.. overhead_kb=..
awk '/^BENCH-ERROR/ { print "bench-boot: " $0; next }
$1 == "BENCH" {
	k = $2; vm = $4; ms = substr($5, 9) + 0; kb = substr($8, 13) + 0
	n[k, vm]++; init[k, vm] += ms; ovh[k, vm] += kb
	if (!((k, vm) in lo) || ms < lo[k, vm]) lo[k, vm] = ms
	seen[k] = 1
}
function mean(k, v) { return init[k, v] / n[k, v] }
function ratio(k, a, b) {
	if (!n[k, a] || !n[k, b]) return sprintf("%5s", "n/a")
	return sprintf("%5.2f", mean(k, a) / mean(k, b))
}
END {
	split("mirrorvm-kvm mirrorvm-kvm-vmlinux qemu-kvm qemu-kvm-pvh", v, " ")
	split("mirrorvm debian", ks, " ")
	for (j = 1; j <= 2; j++) {
		k = ks[j]
		if (!seen[k]) continue
		printf "\nguest kernel: %s\n%-22s %7s %14s %10s %14s\n", k, "VMM in L1", "samples",
			"time to /init", "(fastest)", "VMM overhead"
		for (i = 1; i <= 4; i++) {
			if (!n[k, v[i]]) { printf "%-22s %7d %14s\n", v[i], 0, "no result"; continue }
			printf "%-22s %7d %11.0f ms %7.0f ms %10.1f MiB\n", v[i], n[k, v[i]],
				mean(k, v[i]), lo[k, v[i]], ovh[k, v[i]] / n[k, v[i]] / 1024
		}
		printf "time ratios, mean to mean (target: mirrorvm <= 0.50 x QEMU)\n"
		printf "  bzImage:  mirrorvm-kvm / qemu-kvm                 %s\n", ratio(k, "mirrorvm-kvm", "qemu-kvm")
		printf "  vmlinux:  mirrorvm-kvm-vmlinux / qemu-kvm-pvh     %s\n", ratio(k, "mirrorvm-kvm-vmlinux", "qemu-kvm-pvh")
		printf "  mirrorvm-kvm-vmlinux / qemu-kvm                   %s\n", ratio(k, "mirrorvm-kvm-vmlinux", "qemu-kvm")
		if (n[k, "mirrorvm-kvm"] && n[k, "qemu-kvm"])
			printf "VMM overhead (target: mirrorvm <= 3 MiB): %.1f MiB, %.2f x qemu-kvm\n",
				ovh[k, "mirrorvm-kvm"] / n[k, "mirrorvm-kvm"] / 1024,
				(ovh[k, "mirrorvm-kvm"] / n[k, "mirrorvm-kvm"]) / (ovh[k, "qemu-kvm"] / n[k, "qemu-kvm"])
		if (!n[k, "mirrorvm-kvm"] || !n[k, "qemu-kvm"]) bad = 1
	}
	if (bad) { print "bench-boot: missing results"; exit 1 }
}' "$work/results"
