#!/bin/bash
# bench-snapshot.sh [--runs N] [--memory 1G] [--fill MIB] [--vmm mirrorvm|qemu|both] [--keep DIR]
# Snapshot and restore of a paused guest, mirrorvm's KVM engine against
# QEMU -enable-kvm, inside an L1 Linux (Debian's 6.12 cloud kernel under
# mirrorvm's QEMU engine, TCG, with kvm-amd), the same L2 kernel (Debian's),
# initramfs and workload.  A benchmark, not a test: it prints figures and
# their ratios.
#
#   mirrorvm   "mirrorvm ctl SOCK snapshot DIR paused=true" (a state file
#              and sparse memory parts, one per L1 CPU), then "mirrorvm run --restore DIR"
#   QEMU       QMP stop + migrate "exec:cat > FILE" until query-migrate says
#              completed (tests/bench/qmp-snapshot.c), then a new QEMU with
#              -incoming "exec:cat FILE"
#
# The L2 guest (MEMORY, one vCPU) fills FILL MiB of tmpfs with random data
# and then prints a line every 100 ms.  Measured in L1:
#   save      the request until the files are complete (ctl's exit; QMP
#             query-migrate "completed")
#   restore   the restoring VMM's start until its control socket says
#             "running" (query-status, polled every 5 ms)
#   size      the snapshot's blocks on disk (du), against the VMM's guest
#             memory resident at the save (RssAnon)
# and that the restored guest goes on printing.  Each sample boots a fresh
# L1 (docs/kvm-engine.md: TCG slows whichever VMM runs later in one L1).
# Absolute times are TCG-inflated; the ratios are the point.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
runs=3 mem=1G fill=200 keep='' vmms="mirrorvm qemu"
usage() { echo "usage: $0 [--runs N] [--memory SIZE] [--fill MIB] [--vmm mirrorvm|qemu|both] [--keep DIR]" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--memory) mem=$2; shift 2 ;;
	--fill) fill=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	--vmm)
		case "$2" in
		mirrorvm|qemu) vmms=$2 ;;
		both) vmms="mirrorvm qemu" ;;
		*) echo "bench-snapshot: --vmm $2: expected mirrorvm, qemu or both" >&2; exit 2 ;;
		esac
		shift 2 ;;
	*) usage ;;
	esac
done
case "$runs" in ''|*[!0-9]*|0) echo "bench-snapshot: --runs $runs: expected a positive number" >&2; exit 2 ;; esac
case "$fill" in ''|*[!0-9]*) echo "bench-snapshot: --fill $fill: expected MiB" >&2; exit 2 ;; esac
case "$mem" in
*G) mem_mib=$((${mem%G} * 1024)) ;;
*M) mem_mib=${mem%M} ;;
*) echo "bench-snapshot: --memory $mem: expected a size in M or G" >&2; exit 2 ;;
esac
[ "$mem_mib" -ge 256 ] && [ "$fill" -lt $((mem_mib / 2)) ] ||
	{ echo "bench-snapshot: --memory must be 256M or more and --fill less than half of it" >&2; exit 2; }
# shellcheck source=scripts/bench-l1.sh
. scripts/bench-l1.sh
bench_l1_setup "$keep"	# $kdir, $kernel, $work, $loader (QEMU for L1 under /qemu)
gcc -static -O2 -std=gnu11 -Wall -Wextra -Werror -o "$work/qmp-snapshot" tests/bench/qmp-snapshot.c

# L2: fill, say so, then a line every 100 ms.
cat > "$work/l2-bench.sh" <<'EOF'
#!/bin/busybox sh
for arg in $(cat /proc/cmdline); do
	case "$arg" in mvm.fill=*) fill=${arg#mvm.fill=} ;; esac
done
dd if=/dev/urandom of=/tmp/fill bs=1M count="$fill" 2>/dev/null
echo "BENCH-READY $(md5sum < /tmp/fill)"
i=0
while :; do
	i=$((i + 1))
	echo "BEAT $i"
	usleep 100000
done
EOF
chmod +x "$work/l2-bench.sh"
scripts/build-initramfs.sh "$work/l2.cpio.gz" --modules-from "$kdir" \
	--module pvpanic.ko --module pvpanic-mmio.ko --add "$work/l2-bench.sh:/bin/mvm-extra"

# L1: one L2 under the VMM that mvm.bench= names, saved, stopped, restored.
cat > "$work/l1-bench.sh" <<EOF
#!/bin/busybox sh
ms() { awk '{ printf "%d", \$1 * 1000 }' /proc/uptime; }
anon_kb() { awk '\$1 == "RssAnon:" { print \$2 }' /proc/\$1/status; }
[ -c /dev/kvm ] || { echo "BENCH-ERROR no /dev/kvm in L1"; exit 0; }
l2cmd="console=ttyS0 quiet loglevel=4 mvm.fill=$fill mvm.end=hang"
# waits for a line starting with \$1 in file \$2 (10 minutes at most)
wait_line() {
	i=0
	while ! tr -d '\r' < "\$2" | grep -q "^\$1"; do
		i=\$((i + 1)); [ \$i -gt 3000 ] && return 1
		kill -0 \$pid 2>/dev/null || return 1
		sleep 0.2
	done
}
last_beat() { tr -d '\r' < "\$1" | grep '^BEAT ' | tail -n 1 | cut -d' ' -f2; }
# the restored guest must go on from where it was saved
check_beats() {	# vmm saved-console restored-console
	sleep 2
	a=\$(last_beat "\$2") b=\$(last_beat "\$3")
	[ -n "\$a" ] && [ -n "\$b" ] && [ "\$b" -gt "\$a" ] ||
		echo "BENCH-ERROR \$1: the restored guest did not go on (saved at BEAT \$a, now \$b)"
	tr -d '\r' < "\$3" | grep -q '^MVM-BEGIN' && echo "BENCH-ERROR \$1: the restored guest booted again"
}
qemu() {	# exec: \$! of "qemu ... &" is QEMU itself
	exec /qemu/lib/$loader --library-path /qemu/lib /qemu/qemu-system-x86_64 \
		-L /qemu/share -nodefaults -no-user-config -display none \
		-machine pc,accel=kvm -cpu host -smp 1 -m $mem \
		-kernel /nested/bzImage -initrd /nested/initrd.gz -append "\$l2cmd" \
		-serial stdio -no-reboot "\$@"
}
for arg in \$(cat /proc/cmdline); do
	case "\$arg" in
	mvm.bench=mirrorvm)
		/bin/mirrorvm run --engine kvm --kernel /nested/bzImage --initrd /nested/initrd.gz \
			--cmdline "\$l2cmd" --api-socket /tmp/mvm.sock --cpus 1 --memory $mem \
			</dev/null >/tmp/out 2>/tmp/err &
		pid=\$!
		wait_line BENCH-READY /tmp/out || { echo "BENCH-ERROR mirrorvm: no guest"; tail -5 /tmp/out /tmp/err; exit 0; }
		echo "BENCH-STEP mirrorvm: the guest has its data; saving"
		sleep 1
		resident=\$(anon_kb \$pid)
		t0=\$(ms)
		/bin/mirrorvm ctl --json /tmp/mvm.sock snapshot /tmp/snap paused=true > /tmp/ctl 2>&1 ||
			{ echo "BENCH-ERROR mirrorvm: snapshot: \$(cat /tmp/ctl)"; exit 0; }
		save=\$((\$(ms) - t0))
		/bin/mirrorvm ctl /tmp/mvm.sock quit >/dev/null 2>&1
		wait \$pid
		size=\$(du -k /tmp/snap | tail -n 1 | cut -f1)
		echo "BENCH-STEP mirrorvm: saved in \$save ms; restoring"
		t0=\$(ms)
		/bin/mirrorvm run --restore /tmp/snap --api-socket /tmp/mvm2.sock </dev/null >/tmp/out2 2>/tmp/err2 &
		pid=\$!
		running=\$(/bin/qmp-snapshot /tmp/mvm2.sock running) ||
			{ echo "BENCH-ERROR mirrorvm: restore: \$(tail -3 /tmp/err2)"; exit 0; }
		restore=\$((\$(ms) - t0))
		check_beats mirrorvm /tmp/out /tmp/out2
		echo "BENCH mirrorvm save_ms=\$save restore_ms=\$restore size_kb=\$size resident_kb=\$resident \$running ctl=\$(tr '\n' ' ' < /tmp/ctl)"
		kill -TERM \$pid; wait \$pid 2>/dev/null
		;;
	mvm.bench=qemu)
		qemu -qmp unix:/tmp/qmp.sock,server=on,wait=off </dev/null >/tmp/out 2>/tmp/err &
		pid=\$!
		wait_line BENCH-READY /tmp/out || { echo "BENCH-ERROR qemu: no guest"; tail -5 /tmp/out /tmp/err; exit 0; }
		echo "BENCH-STEP qemu: the guest has its data; saving"
		sleep 1
		resident=\$(anon_kb \$pid)
		t0=\$(ms)
		/bin/qmp-snapshot /tmp/qmp.sock save /tmp/qemu.state > /tmp/ctl 2>&1 ||
			{ echo "BENCH-ERROR qemu: save: \$(cat /tmp/ctl)"; exit 0; }
		save=\$((\$(ms) - t0))
		kill -TERM \$pid; wait \$pid 2>/dev/null
		size=\$(du -k /tmp/qemu.state | cut -f1)
		echo "BENCH-STEP qemu: saved in \$save ms; restoring"
		t0=\$(ms)
		qemu -qmp unix:/tmp/qmp2.sock,server=on,wait=off -incoming "exec:cat /tmp/qemu.state" \
			</dev/null >/tmp/out2 2>/tmp/err2 &
		pid=\$!
		running=\$(/bin/qmp-snapshot /tmp/qmp2.sock running) ||
			{ echo "BENCH-ERROR qemu: restore: \$(tail -3 /tmp/err2)"; exit 0; }
		restore=\$((\$(ms) - t0))
		check_beats qemu /tmp/out /tmp/out2
		echo "BENCH qemu save_ms=\$save restore_ms=\$restore size_kb=\$size resident_kb=\$resident \$running \$(cat /tmp/ctl)"
		kill -TERM \$pid; wait \$pid 2>/dev/null
		;;
	esac
done
EOF
bench_l1_initramfs --add "$work/qmp-snapshot:/bin/qmp-snapshot"

echo "bench-snapshot: $runs rounds of mirrorvm and QEMU, a $mem guest with $fill MiB of data, each in a fresh L1 (TCG)" >&2
: > "$work/results"
for i in $(seq "$runs"); do
	for vmm in $vmms; do
		bench_l1_round "$vmm" "$i" --cpus 2 --memory 6G
	done
done

# BENCH VMM save_ms=.. restore_ms=.. size_kb=.. resident_kb=.. ...
awk -v vmms="$vmms" '/BENCH-ERROR/ { print "bench-snapshot: " $0; bad = 1; next }
$1 == "BENCH" {
	vm = $2; n[vm]++
	for (f = 3; f <= 6; f++) { split($f, kv, "="); v[vm, kv[1]] += kv[2] }
}
END {
	printf "\n%-10s %7s %10s %11s %12s %14s %9s\n", "VMM in L1", "samples", "save", "restore", "size", "resident", "size/res"
	nv = split(vmms, want, " ")
	for (i = 1; i <= nv; i++) {
		m = want[i]
		if (!n[m]) { printf "%-10s %7d %10s\n", m, 0, "no result"; bad = 1; continue }
		printf "%-10s %7d %7.0f ms %8.0f ms %9.1f MiB %11.1f MiB %8.3f\n", m, n[m],
			v[m, "save_ms"] / n[m], v[m, "restore_ms"] / n[m], v[m, "size_kb"] / n[m] / 1024,
			v[m, "resident_kb"] / n[m] / 1024, v[m, "size_kb"] / v[m, "resident_kb"]
	}
	if (n["mirrorvm"] && n["qemu"]) {
		printf "save ratio mirrorvm / QEMU, mean to mean (target <= 0.50): %.2f\n",
			(v["mirrorvm", "save_ms"] / n["mirrorvm"]) / (v["qemu", "save_ms"] / n["qemu"])
		printf "restore ratio mirrorvm / QEMU, mean to mean (target <= 0.50): %.2f\n",
			(v["mirrorvm", "restore_ms"] / n["mirrorvm"]) / (v["qemu", "restore_ms"] / n["qemu"])
		printf "mirrorvm snapshot size / its resident guest memory (target <= 1.01): %.3f\n",
			v["mirrorvm", "size_kb"] / v["mirrorvm", "resident_kb"]
	}
	exit bad
}' "$work/results"
