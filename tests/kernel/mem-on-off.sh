#!/bin/busybox sh
# In a guest of the patched kernel: Linux's memory-hotplug selftest
# (tools/testing/selftests/memory-hotplug/mem-on-off-test.sh), with every
# memory block's state and zone listed before and after it, so the checker
# can tell which blocks came back in another zone.  Usage: mem-on-off
# [PERCENT] (the selftest's -r, the share of blocks it offlines; 10).
# Exits with the selftest's status.
#
# The kernel has no modules: the selftest's modprobe of
# memory-notifier-error-inject fails quietly and it finds the built-in
# injector under debugfs, which must be mounted for that.
mount -t debugfs none /sys/kernel/debug || echo "MEMONOFF-WARN no debugfs"
blocks() {
	for b in /sys/devices/system/memory/memory[0-9]*; do
		echo "$1 id=${b##*/memory} state=$(cat "$b/state") zones=$(tr ' ' , < "$b/valid_zones")"
	done
}
blocks MEMONOFF-BEFORE
# busybox sh does not set UID, which the selftest checks
UID=0 /bin/busybox sh /bin/mem-on-off-test.sh -r "${1:-10}" > /tmp/mem-on-off.out 2>&1
rc=$?
sed 's/^/MEMONOFF /' /tmp/mem-on-off.out
blocks MEMONOFF-AFTER
exit $rc
