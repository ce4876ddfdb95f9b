#!/bin/bash
# Tests of mirrorvm's KVM engine: L0 tests with a tiny guest on any /dev/kvm,
# then the nested trials (KVM engine in an L1 Linux under the QEMU engine).
# Prints PASS/FAIL/SKIP lines and ends with "nested: N passed, M failed,
# K skipped"; exits non-zero on failure.  Flags go to nested_test.py
# (--only l0|nested, --no-unplug, --keep DIR, --timeout S).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
for b in build/mirrorvm build/mirrorvm-san build/mirrorvm-static; do
	[ -x "$b" ] || make -s "$b" >/dev/null || { echo "FAIL nested: cannot build $b"; echo "nested: 0 passed, 1 failed"; exit 1; }
done
exec python3 tests/nested/nested_test.py "$@"
