#!/bin/bash
# The kvm-patches suite: the series applies and is checkpatch-clean, it
# compiles warning-free without NUMA, without CONFIG_MEMORY_MIRROR and on
# 32-bit x86 (compile-check.sh), the kernel builds in two flavours (cached
# outside the clone; about 10 minutes each from scratch on 2 cores), the
# patched kernel passes its guest trials under mirrorvm in both, and end to
# end: patched L1 running mirrorvm's KVM engine, patched L2, MFD_MIRROR.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
log=$(mktemp); trap 'rm -f "$log"' EXIT
pass=0; fail=0
add() { # totals line of a sub-suite
	local line; line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	pass=$((pass + $(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)))
	fail=$((fail + $(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 1)))
}
"$top/tests/kernel/check-series.sh" 2>&1 | tee "$log"; add
# objects of the files the series touches in three more configurations
# (cached by inputs; about 10 minutes from scratch on 2 cores)
"$top/tests/kernel/compile-check.sh" 2>&1 | tee "$log"; add
# Two builds of the patched kernel: the lean guest flavour, and the host
# flavour with the memory management options of distribution kernels
# (guest-kernel/host.fragment: deferred struct page init, CMA, THP, memcg,
# KSM); the guest trials run on both, end to end on the guest flavour (its
# live update kexecs into the host flavour: a different build).
declare -A built
for flavour in guest host; do
	echo "kernel: building the patched kernel, $flavour flavour (cached by inputs)"
	t0=$(date +%s)
	if ! bz=$("$top/scripts/build-guest-kernel.sh" --flavour "$flavour" 2> "$log" | tail -n 1) || [ ! -f "$bz" ]; then
		tail -n 20 "$log"
		echo "FAIL patched kernel builds ($flavour flavour)"; fail=$((fail + 1))
		continue
	fi
	echo "PASS patched kernel builds ($flavour flavour, $(( $(date +%s) - t0 ))s): $bz"; pass=$((pass + 1))
	built[$flavour]=$bz
	python3 "$top/tests/kernel/guest_kernel_tests.py" --kernel "$bz" --label "$flavour" \
		--mirrorvm "${1:-$top/build/mirrorvm}" 2>&1 | tee "$log"; add
done
# end to end: patched L1 running the KVM engine, patched L2; the live
# update kexecs L1 into the host flavour (the guest flavour again without it)
if [ -n "${built[guest]:-}" ]; then
	[ -x "$top/build/mirrorvm-static" ] || make -s -C "$top" build/mirrorvm-static
	python3 "$top/tests/kernel/e2e_test.py" --kernel "${built[guest]}" \
		--kexec-kernel "${built[host]:-${built[guest]}}" --mirrorvm "${1:-$top/build/mirrorvm}" \
		--static "$top/build/mirrorvm-static" 2>&1 | tee "$log"; add
fi
echo "kernel: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
