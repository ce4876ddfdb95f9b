#!/bin/bash
# Sourced by the benchmarks that compare mirrorvm with QEMU inside an L1
# Linux (bench-unplug.sh, bench-snapshot.sh): what each of them needs
# around its own L1 and L2 scripts.
#
# bench_l1_setup KEEP: builds mirrorvm, fetches Debian's 6.12 kernel and
#   sets $kdir and $kernel (L1's and L2's kernel), $work (KEEP, or a
#   temporary directory removed at exit) and $loader (QEMU for L1 under
#   $work/qemu, scripts/qemu-for-l1.sh).
# bench_l1_initramfs ADD...: $work/l1.cpio.gz with kvm-amd, mirrorvm,
#   Debian's kernel and $work/l2.cpio.gz for L2, QEMU, $work/l1-bench.sh
#   as /bin/mvm-extra, and the build-initramfs.sh ADD arguments.
# bench_l1_round VMM ROUND L1-FLAGS...: boots $work/l1.cpio.gz with
#   mvm.bench=VMM, keeps its console as $work/l1-VMM-ROUND.log and appends
#   its BENCH lines (BENCH-STEP progress lines shown only) to
#   $work/results; a run with neither a result nor an error for VMM is
#   recorded as a BENCH-ERROR, so that no summary passes over a missing
#   sample.

bench_l1_setup() {
	make -s build/mirrorvm build/mirrorvm-static
	kdir=$(scripts/fetch-debian-kernel.sh)
	kernel=$(find "$kdir/boot" -name 'vmlinuz-*' | head -n 1)
	if [ -n "$1" ]; then
		work=$1
		mkdir -p "$work"
	else
		work=$(mktemp -d)
		trap 'rm -rf "$work"' EXIT
	fi
	# shellcheck disable=SC2034  # for the sourcing script
	loader=$(scripts/qemu-for-l1.sh "$work/qemu")
}

bench_l1_initramfs() {
	chmod +x "$work/l1-bench.sh"
	scripts/build-initramfs.sh "$work/l1.cpio.gz" --modules-from "$kdir" \
		--module irqbypass.ko --module kvm.ko --module kvm-amd.ko \
		--add build/mirrorvm-static:/bin/mirrorvm --add "$kernel:/nested/bzImage" \
		--add "$work/l2.cpio.gz:/nested/initrd.gz" --add "$work/qemu:/qemu" \
		--add "$work/l1-bench.sh:/bin/mvm-extra" "$@"
}

bench_l1_round() {
	local vmm=$1 i=$2
	shift 2
	build/mirrorvm run --engine qemu --kernel "$kernel" --initrd "$work/l1.cpio.gz" \
		--cmdline "console=ttyS0 quiet loglevel=4 mvm.end=poweroff mvm.bench=$vmm" \
		"$@" </dev/null 2>"$work/l1-$vmm-$i.err" | stdbuf -oL tr -d '\r' |
		tee "$work/l1-$vmm-$i.log" | grep -E '^(BENCH|mirrorvm BENCH|qemu BENCH)' >&2 || true
	grep -E '^(BENCH|mirrorvm BENCH|qemu BENCH)' "$work/l1-$vmm-$i.log" | grep -v '^BENCH-STEP' \
		>> "$work/results" || true
	if ! grep -qE "^BENCH(-ERROR)? $vmm" "$work/l1-$vmm-$i.log"; then
		echo "BENCH-ERROR $vmm round $i: the L1 run gave no result (l1-$vmm-$i.log, l1-$vmm-$i.err; --keep DIR keeps them)" |
			tee -a "$work/results" >&2
	fi
}
