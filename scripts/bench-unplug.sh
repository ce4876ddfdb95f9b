#!/bin/bash
# bench-unplug.sh [--runs N] [--size 1G] [--fill 512] [--keep DIR]
# Memory hot-unplug, mirrorvm's KVM engine against QEMU -enable-kvm, inside
# an L1 Linux (Debian's 6.12 cloud kernel under mirrorvm's QEMU engine, TCG,
# with kvm-amd), the same L2 kernel (Debian's), initramfs and workload.  A
# benchmark, not a test: it prints figures and their ratios.
#
#   mirrorvm   node 1 of SIZE (hotplug=on, one unplug unit, prefault=on),
#              "mirrorvm ctl memory-unplug node=1"
#   QEMU       a SIZE pc-dimm on node 1 (memory-backend-ram, prealloc=on),
#              QMP device_del, DEVICE_DELETED, then object-del, which is
#              when QEMU frees the memory (tests/bench/qmp-unplug.c)
#
# Node 0 is preallocated under both VMMs: the pages the guest migrates out
# of node 1 land in memory that is resident already, so the VMM's drop in
# RssAnon is node 1's alone.
# The guest (movable_node, memhp_default_state=online_movable) first fills
# FILL MiB of anonymous memory bound to node 1, so the unplug has that much
# to migrate.  Measured in L1: from the request to the VMM's RssAnon having
# dropped by 99% of SIZE (polled every 10 ms), per GiB; and the fraction of
# SIZE the VMM gave back.  Each sample boots a fresh L1 (docs/kvm-engine.md:
# TCG slows whichever VMM runs later in the same L1).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
runs=3 size=1G fill=512 keep=
usage() { echo "usage: $0 [--runs N] [--size SIZE] [--fill MIB] [--keep DIR]" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--size) size=$2; shift 2 ;;
	--fill) fill=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	*) usage ;;
	esac
done
case "$runs" in ''|*[!0-9]*|0) echo "bench-unplug: --runs $runs: expected a positive number" >&2; exit 2 ;; esac
case "$fill" in ''|*[!0-9]*) echo "bench-unplug: --fill $fill: expected MiB" >&2; exit 2 ;; esac
case "$size" in
*G) size_mib=$((${size%G} * 1024)) ;;
*M) size_mib=${size%M} ;;
*) echo "bench-unplug: --size $size: expected a size in M or G" >&2; exit 2 ;;
esac
[ $((size_mib % 128)) = 0 ] && [ "$fill" -lt "$size_mib" ] ||
	{ echo "bench-unplug: --size must be a multiple of 128M larger than --fill" >&2; exit 2; }
# shellcheck source=scripts/bench-l1.sh
. scripts/bench-l1.sh
bench_l1_setup "$keep"	# $kdir, $kernel, $work, $loader (QEMU for L1 under /qemu)
for t in qmp-unplug:tests/bench/qmp-unplug.c mvm-memload:tests/guest/mvm-memload.c; do
	gcc -static -O2 -std=gnu11 -Wall -Wextra -Werror -o "$work/${t%%:*}" "${t#*:}"
done

# L2: fill, say so, wait until node 1's memory is gone, say so.
cat > "$work/l2-bench.sh" <<'EOF'
#!/bin/busybox sh
for arg in $(cat /proc/cmdline); do
	case "$arg" in mvm.fill=*) fill=${arg#mvm.fill=} ;; esac
done
/bin/mvm-memload hold 1 "$fill" /tmp/verify > /tmp/hold &
i=0
while ! grep -q 'MEMLOAD hold' /tmp/hold && [ $i -lt 3000 ]; do sleep 0.2; i=$((i + 1)); done
echo "BENCH-GUEST $(cat /tmp/hold)"
echo "BENCH-READY"
i=0
while ls -d /sys/devices/system/node/node1/memory[0-9]* >/dev/null 2>&1 && [ $i -lt 3000 ]; do
	sleep 0.2; i=$((i + 1))
done
kill -USR1 %1 2>/dev/null || kill -USR1 $(pidof mvm-memload)
sleep 2
echo "BENCH-GUEST $(tail -n 1 /tmp/verify)"
echo "BENCH-GONE"
EOF
chmod +x "$work/l2-bench.sh"
scripts/build-initramfs.sh "$work/l2.cpio.gz" --modules-from "$kdir" \
	--module pvpanic.ko --module pvpanic-mmio.ko \
	--add "$work/mvm-memload:/bin/mvm-memload" --add "$work/l2-bench.sh:/bin/mvm-extra"

# L1: one L2 under the VMM that mvm.bench= names, its unplug measured.
cat > "$work/l1-bench.sh" <<EOF
#!/bin/busybox sh
ms() { awk '{ printf "%d", \$1 * 1000 }' /proc/uptime; }
anon_kb() { awk '\$1 == "RssAnon:" { print \$2 }' /proc/\$1/status; }
[ -c /dev/kvm ] || { echo "BENCH-ERROR no /dev/kvm in L1"; exit 0; }
l2cmd="console=ttyS0 quiet loglevel=4 movable_node memhp_default_state=online_movable mvm.fill=$fill mvm.end=hang"
size_kb=$((size_mib * 1024))
# waits for the guest's line \$1 on /tmp/out (10 minutes at most)
wait_line() {
	i=0
	while ! tr -d '\r' < /tmp/out | grep -q "^\$1"; do
		i=\$((i + 1)); [ \$i -gt 3000 ] && return 1
		kill -0 \$pid 2>/dev/null || return 1
		sleep 0.2
	done
}
# polls until the VMM's RssAnon is 99% of SIZE below \$1; prints the time
wait_released() {
	while [ \$((\$1 - \$(anon_kb \$pid))) -lt \$((size_kb * 99 / 100)) ]; do
		[ \$((\$(ms) - t0)) -gt 600000 ] && break
		usleep 10000
	done
	echo \$((\$(ms) - t0))
}
report() {	# vmm request-output
	after=\$(anon_kb \$pid)
	echo "BENCH \$1 release_ms=\$released freed_kb=\$((before - after)) size_kb=\$size_kb \$2"
	wait_line BENCH-GONE || echo "BENCH-ERROR \$1: the guest did not see its memory go"
	tr -d '\r' < /tmp/out | grep '^BENCH-GUEST' | sed "s/^/\$1 /"
	kill -TERM \$pid; wait \$pid 2>/dev/null
}
for arg in \$(cat /proc/cmdline); do
	case "\$arg" in
	mvm.bench=mirrorvm)
		/bin/mirrorvm run --engine kvm --kernel /nested/bzImage --initrd /nested/initrd.gz \
			--cmdline "\$l2cmd" --api-socket /tmp/mvm.sock --cpus 1 --node id=0,size=1G,prefault=on \
			--node id=1,size=$size,hotplug=on,unplug-unit=$size,prefault=on </dev/null >/tmp/out 2>/tmp/err &
		pid=\$!
		wait_line BENCH-READY || { echo "BENCH-ERROR mirrorvm: no guest"; tail -5 /tmp/out /tmp/err; exit 0; }
		before=\$(anon_kb \$pid)
		t0=\$(ms)
		/bin/mirrorvm ctl /tmp/mvm.sock memory-unplug node=1 > /tmp/ctl 2>&1 &
		req=\$!
		released=\$(wait_released \$before)
		wait \$req	# the request only: the VMM runs on until report
		report mirrorvm "ctl=\$(tr '\n' ' ' < /tmp/ctl)"
		;;
	mvm.bench=qemu)
		/qemu/lib/$loader --library-path /qemu/lib /qemu/qemu-system-x86_64 \
			-L /qemu/share -nodefaults -no-user-config -display none \
			-machine pc,accel=kvm -cpu host -smp 1 -m 1G,slots=2,maxmem=$((size_mib + 2048))M \
			-object memory-backend-ram,id=m0,size=1G,prealloc=on -numa node,nodeid=0,memdev=m0 \
			-numa node,nodeid=1 -object memory-backend-ram,id=hp1,size=$size,prealloc=on \
			-device pc-dimm,id=dimm1,memdev=hp1,node=1 -qmp unix:/tmp/qmp.sock,server=on,wait=off \
			-kernel /nested/bzImage -initrd /nested/initrd.gz -append "\$l2cmd" \
			-serial stdio -no-reboot </dev/null >/tmp/out 2>/tmp/err &
		pid=\$!
		wait_line BENCH-READY || { echo "BENCH-ERROR qemu: no guest"; tail -5 /tmp/out /tmp/err; exit 0; }
		before=\$(anon_kb \$pid)
		t0=\$(ms)
		/bin/qmp-unplug /tmp/qmp.sock dimm1 hp1 > /tmp/qmp 2>&1 &
		req=\$!
		released=\$(wait_released \$before)
		wait \$req
		report qemu "\$(cat /tmp/qmp)"
		;;
	esac
done
EOF
bench_l1_initramfs --add "$work/qmp-unplug:/bin/qmp-unplug"

echo "bench-unplug: $runs rounds of mirrorvm and QEMU, $size unit with $fill MiB to migrate, each in a fresh L1 (TCG)" >&2
: > "$work/results"
for i in $(seq "$runs"); do
	for vmm in mirrorvm qemu; do
		bench_l1_round "$vmm" "$i" --cpus 2 --node id=0,size=6G,cpus=0-1
	done
done

# BENCH VMM release_ms=.. freed_kb=.. size_kb=.. ...
awk '/BENCH-ERROR/ { print "bench-unplug: " $0; bad = 1; next }
$1 == "BENCH" {
	vm = $2; ms = substr($3, 12) + 0; fr = substr($4, 10) + 0; sz = substr($5, 9) + 0
	n[vm]++; t[vm] += ms; f[vm] += fr / sz
	if (!(vm in lo) || ms < lo[vm]) lo[vm] = ms
}
END {
	printf "\n%-10s %7s %18s %10s %14s %10s\n", "VMM in L1", "samples", "request->released", "(fastest)", "per GiB", "released"
	for (i = 1; i <= 2; i++) {
		v = i == 1 ? "mirrorvm" : "qemu"
		if (!n[v]) { printf "%-10s %7d %18s\n", v, 0, "no result"; bad = 1; continue }
		printf "%-10s %7d %15.0f ms %7.0f ms %11.0f ms %9.1f%%\n", v, n[v], t[v] / n[v], lo[v],
			t[v] / n[v] / (sz / 1048576), 100 * f[v] / n[v]
	}
	if (n["mirrorvm"] && n["qemu"])
		printf "time ratio mirrorvm / QEMU, mean to mean (target <= 0.50): %.2f\nreleased (target >= 99%%): mirrorvm %.1f%%, QEMU %.1f%%\n",
			(t["mirrorvm"] / n["mirrorvm"]) / (t["qemu"] / n["qemu"]),
			100 * f["mirrorvm"] / n["mirrorvm"], 100 * f["qemu"] / n["qemu"]
	if (bad) { print "bench-unplug: missing results"; exit 1 }
}' "$work/results"
