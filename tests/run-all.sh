#!/bin/bash
# Runs every mirrorvm test suite and adds up their totals.  Each suite
# prints PASS/FAIL/SKIP lines and ends with "N passed, M failed[, K skipped]".
# MIRRORVM_TESTS="unit cli fw xml fuzz guest kernel ..." picks suites
# (default: all).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
suites=${MIRRORVM_TESTS:-unit unit-san cli cli-san fw fw-san xml xml-san fuzz guest guest-san kernel nested}
pass=0; fail=0; skip=0; failed_suites=
start=$(date +%s)
# Every FAIL line, repeated at the end: a CI log is often read from its tail.
failures=$(mktemp); trap 'rm -f "$failures"' EXIT

run_suite() {
	local name=$1; shift
	local log; log=$(mktemp)
	echo "=== $name: $*"
	"$@" 2>&1 | tee "$log"
	grep -E '^FAIL' "$log" | cut -c1-300 | sed "s/^/[$name] /" >> "$failures"
	local line
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL $name: no totals line"
		fail=$((fail + 1)); failed_suites="$failed_suites $name"
	else
		local p f s
		p=$(echo "$line" | sed -E 's/.*[^0-9]?([0-9]+) passed.*/\1/')
		p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
		f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
		s=$(echo "$line" | grep -oE '[0-9]+ skipped' | grep -oE '[0-9]+' || echo 0)
		pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + ${s:-0}))
		[ "$f" -gt 0 ] && failed_suites="$failed_suites $name"
	fi
	rm -f "$log"
	echo "=== $name done after $(( $(date +%s) - start ))s"
}

# The test binaries of DIR: the compiler's dependency files (-MMD) lie
# beside them and are not tests.
unit_bins() {
	find "$1" -maxdepth 1 -type f -name 'test-*' ! -name '*.d' | sort
}

for s in $suites; do
	case $s in
	unit)      run_suite unit tests/unit/run.sh $(unit_bins build/tests) ;;
	unit-san)  run_suite unit-san tests/unit/run.sh $(unit_bins build/tests-san) ;;
	cli)       run_suite cli tests/cli/run.sh build/mirrorvm ;;
	cli-san)   run_suite cli-san tests/cli/run.sh build/mirrorvm-san ;;
	fw)        run_suite fw tests/fw/run.sh build/mirrorvm ;;
	fw-san)    run_suite fw-san tests/fw/run.sh build/mirrorvm-san ;;
	xml)       run_suite xml tests/xml/run.sh build/mirrorvm ;;
	xml-san)   run_suite xml-san tests/xml/run.sh build/mirrorvm-san ;;
	# libFuzzer harnesses, MIRRORVM_FUZZ_SECONDS (20) each; SKIP without clang
	fuzz)      run_suite fuzz tests/fuzz/run.sh ;;
	kernel)    run_suite kernel tests/kernel/run.sh build/mirrorvm ;;
	nested)    run_suite nested tests/nested/run.sh ;;
	guest)     run_suite guest python3 tests/guest/guest_tests.py --mirrorvm build/mirrorvm ;;
	# The engine's supervision code under ASan/UBSan, on real guest endings.
	guest-san) run_suite guest-san python3 tests/guest/guest_tests.py --mirrorvm build/mirrorvm-san --only endings ;;
	*) echo "unknown suite $s"; fail=$((fail + 1)) ;;
	esac
done
echo
if [ -s "$failures" ]; then
	echo "failed tests:"
	cat "$failures"
fi
echo "all suites took $(( $(date +%s) - start ))s${failed_suites:+; failing:$failed_suites}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
