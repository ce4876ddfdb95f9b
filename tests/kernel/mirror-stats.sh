#!/bin/busybox sh
# In a guest of the patched kernel: the mirror statistics and ranges, one
# fact per line, for tests/kernel/guest_kernel_tests.py.
while read -r r; do echo "RANGE $r"; done < /sys/kernel/mm/mirror/ranges
echo "RANGESMODE $(stat -c %a /sys/kernel/mm/mirror/ranges)"
for d in /sys/devices/system/node/node[0-9]*; do
	n=${d##*node}
	t=$(awk '/MirrorTotal:/ {print $4}' "$d/meminfo")
	f=$(awk '/MirrorFree:/ {print $4}' "$d/meminfo")
	v=$(awk '$1 == "nr_free_mirror" {print $2}' "$d/vmstat")
	echo "NODEMIRROR node=$n total_kb=$t free_kb=$f vmstat_free_pages=${v:-none}"
done
echo "VMSTAT nr_free_mirror=$(awk '$1 == "nr_free_mirror" {print $2; f = 1} END {if (!f) print "none"}' /proc/vmstat)"
echo "MEMINFO total_kb=$(awk '/^MirrorTotal:/ {print $2}' /proc/meminfo) free_kb=$(awk '/^MirrorFree:/ {print $2}' /proc/meminfo)"
