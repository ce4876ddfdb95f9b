#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/fuzz/run.sh [--keep DIR] [SECONDS]: runs every libFuzzer harness
# (build/fuzz/fuzz-*, make fuzz-build) for SECONDS each (default
# $MIRRORVM_FUZZ_SECONDS, else 20: the bounded run of make check), from the
# checked-in seeds (tests/fuzz/corpus/TARGET).  What a run finds goes to a
# scratch corpus, or with --keep to DIR/TARGET, where the next run goes on
# from it (make fuzz).  Any crash, sanitizer report, broken invariant or
# input slower than 10 s fails; the input is kept as
# build/fuzz/crashes/TARGET-* and the line says how to replay it.
#
# tests/fuzz/run.sh --probe [CC]: exit 0 when CC (default clang) can link
# libFuzzer with ASan/UBSan, else say why.  Without that the suite skips.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1

probe() {
	local cc=${1:-clang} tmp
	if ! command -v "$cc" >/dev/null 2>&1; then
		echo "$cc not found (scripts/setup.sh installs clang and libclang-rt-14-dev)"
		return 1
	fi
	tmp=$(mktemp -d) || return 1
	echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
		>"$tmp/probe.c"
	if ! "$cc" -fsanitize=fuzzer,address,undefined -o "$tmp/probe" "$tmp/probe.c" \
		>"$tmp/err" 2>&1; then
		echo "$cc cannot link libFuzzer (libclang_rt.fuzzer: Debian's libclang-rt-14-dev): $(head -n 1 "$tmp/err")"
		rm -rf "$tmp"
		return 1
	fi
	rm -rf "$tmp"
	return 0
}

if [ "${1:-}" = --probe ]; then
	probe "${2:-clang}"
	exit
fi

keep=
if [ "${1:-}" = --keep ]; then
	keep=$2
	shift 2
fi
secs=${1:-${MIRRORVM_FUZZ_SECONDS:-20}}
targets="${MIRRORVM_FUZZ_TARGETS:-flags xml api devices}"
pass=0 fail=0 skip=0
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
crashes=$top/build/fuzz/crashes

if ! why=$(probe "${FUZZ_CC:-clang}"); then
	for t in $targets; do
		echo "SKIP fuzz-$t: $why"
		skip=$((skip + 1))
	done
	echo "$pass passed, $fail failed, $skip skipped"
	exit 0
fi

mkdir -p "$crashes"
for t in $targets; do
	bin=build/fuzz/fuzz-$t
	if [ ! -x "$bin" ]; then
		echo "FAIL fuzz-$t: $bin is not built (make fuzz-build)"
		fail=$((fail + 1))
		continue
	fi
	corpus=${keep:+$keep/$t}
	corpus=${corpus:-$work/corpus-$t}
	mkdir -p "$corpus"
	rm -f "$crashes/$t-"*
	# A small ASan quarantine: the code under test allocates large structs
	# (a layout, a domain), and with the default 256 MiB every allocation
	# lands on fresh pages, a page fault each, several times slower; 4 MiB
	# still holds every block freed within one input.
	ASAN_OPTIONS=quarantine_size_mb=4${ASAN_OPTIONS:+:$ASAN_OPTIONS} \
		"$bin" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$crashes/$t-" "$corpus" "tests/fuzz/corpus/$t" \
		>"$work/$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$t.log")
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$work/$t.log" | tail -n 1)
	if [ $rc -eq 0 ] && [ -n "$runs" ]; then
		echo "PASS fuzz-$t: ${secs}s, $runs runs ($rate/s), $cov"
		pass=$((pass + 1))
		continue
	fi
	# what went wrong: the broken invariant or the sanitizer's summary
	grep -E '^invariant broken|^SUMMARY|ERROR: libFuzzer|ERROR: AddressSanitizer|runtime error' \
		"$work/$t.log" | head -n 5 | sed 's/^/  /'
	input=$(ls "$crashes/$t-"* 2>/dev/null | head -n 1)
	echo "FAIL fuzz-$t: exit $rc after ${runs:-?} runs${input:+; replay: $bin $input}"
	fail=$((fail + 1))
done
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
