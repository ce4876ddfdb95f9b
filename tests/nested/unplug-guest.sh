#!/bin/busybox sh
# unplug-guest.sh MODE: the guest's half of the memory hot-unplug trials
# (tests/nested/unplug-test.sh drives the host's half from L1).  It prints
# "UT ..." lines on the console: "UT ready ..." when the host may act, then
# what the guest saw.  The host never talks to the guest; the guest waits
# for what the host's action does to it (memory blocks leaving or coming
# back, the kernel's messages when it refuses).
#   cycles:N:NODES  a workload on the hotplug NODES (anonymous memory bound
#                   with mbind, tmpfs with mpol=bind, page cache of an ext4
#                   file read while bound), then N cycles: each node's unit
#                   unplugged (verifying every checksum after each), then
#                   all plugged back (blocks online movable, used again);
#                   with N > 1 also a guest-initiated eject, an unplug the
#                   host stops waiting for, and Linux's mem-on-off-test.sh
#                   before and after
#   cycles:N:NODES:poke  the same, then the first node unplugged once more
#                   and read through /dev/mem: mirrorvm must stop the guest
#   refuse:NODE     NODE's memory is kernel memory holding slab: the eject
#                   fails (busy); then with hot-remove disabled (refused)
#   trial:N:NODE:MIB  scripts/unplug-trial: MIB of anonymous memory and a
#                   tmpfs file bound to NODE, then N attempts to unplug all
#                   of NODE, each plugged back when it succeeded; a refused
#                   attempt is seen in the kernel log, not waited out
say() { echo "UT $*"; }
# "UT ready ... go": the host acts on whole lines only
ready() { echo "UT ready $* go"; }
blocks_of() { ls -d /sys/devices/system/node/node$1/memory[0-9]* 2>/dev/null | wc -l; }
# Waits (up to $3 s) until node $1 has $2 memory blocks.
wait_blocks() {
	i=0
	while [ "$(blocks_of "$1")" != "$2" ] && [ $i -lt $(($3 * 5)) ]; do
		sleep 0.2
		i=$((i + 1))
	done
	[ "$(blocks_of "$1")" = "$2" ]
}
# Waits (up to $2 s) until the kernel log has more than $3 lines matching $1.
wait_dmesg() {
	i=0
	while [ "$(dmesg | grep -c "$1")" -le "$3" ] && [ $i -lt $(($2 * 5)) ]; do
		sleep 0.2
		i=$((i + 1))
	done
	[ "$(dmesg | grep -c "$1")" -gt "$3" ]
}
# Node $1's blocks: online, in ZONE_MOVABLE.
movable_of() {
	n=0
	for b in /sys/devices/system/node/node$1/memory[0-9]*; do
		[ -e "$b/state" ] || continue
		grep -qx online "$b/state" && grep -qx Movable "$b/valid_zones" && n=$((n + 1))
	done
	echo $n
}
# Every holder checks its pages; prints the sum of bad pages and of pages.
verify_anon() {
	bad=0 pages=0
	for f in /tmp/hold.*.pid; do
		[ -e "$f" ] || continue
		pid=$(cat "$f") out=${f%.pid}.out
		before=$(wc -l 2>/dev/null < "$out" || echo 0)
		kill -USR1 "$pid"
		i=0
		while [ "$(wc -l 2>/dev/null < "$out" || echo 0)" = "$before" ] && [ $i -lt 600 ]; do
			sleep 0.2
			i=$((i + 1))
		done
		l=$(tail -n 1 "$out")
		case "$l" in
		*bad=*) b=${l#*bad=}; b=${b%% *}; p=${l#*pages=}; p=${p%% *} ;;
		*) b=missing p=0 ;;
		esac
		[ "$b" = 0 ] || bad=$((bad + ${b#missing} + 1))
		pages=$((pages + p))
	done
	echo "$bad $pages"
}
verify_files() {
	ok=ok
	md5sum -c -s /tmp/sums || ok=bad
	echo $ok
}
start_holder() {	# node MiB tag
	/bin/mvm-memload hold "$1" "$2" "/tmp/hold.$3.out" > "/tmp/hold.$3.start" &
	echo $! > "/tmp/hold.$3.pid"
	i=0
	while ! grep -q 'MEMLOAD hold' "/tmp/hold.$3.start" && [ $i -lt 600 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	sed 's/.*on_node=//' "/tmp/hold.$3.start"
}
stop_holder() {
	[ -e "/tmp/hold.$1.pid" ] || return
	kill "$(cat "/tmp/hold.$1.pid")"
	rm -f "/tmp/hold.$1.pid" "/tmp/hold.$1.out" "/tmp/hold.$1.start"
}
selftest() {
	if [ ! -x /bin/mem-on-off-test.sh ]; then
		say "selftest-$1 rc=skip"
		return
	fi
	mount -t debugfs none /sys/kernel/debug 2>/dev/null
	UID=0 /bin/busybox sh /bin/mem-on-off-test.sh -r 10 > /tmp/selftest.$1 2>&1
	rc=$?
	sed "s/^/UT-SELFTEST-$1 /" /tmp/selftest.$1
	say "selftest-$1 rc=$rc"
}

mode=$1
# which kernel runs: its release, and the series' MirrorTotal (kB) when it
# has the kvm-patches statistics ("none" without them)
say "kernel release=$(uname -r) mirror_total=$(awk '$1 == "MirrorTotal:" { print $2; f = 1 } END { if (!f) print "none" }' /proc/meminfo)"
case "$mode" in
cycles:*)
	spec=${mode#cycles:}
	cycles=${spec%%:*}
	spec=${spec#*:}
	poke=
	case "$spec" in *:poke) poke=1; spec=${spec%:poke} ;; esac
	nodes=$(echo "$spec" | tr ',' ' ')
	[ "$cycles" -gt 1 ] && selftest before
	: > /tmp/sums
	for n in $nodes; do
		mkdir -p /mnt/t$n
		mount -t tmpfs -o size=24M,mpol=bind:$n none /mnt/t$n
		/bin/mvm-memload bound $n dd if=/dev/urandom of=/mnt/t$n/data bs=1M count=12 2>/dev/null
		md5sum /mnt/t$n/data >> /tmp/sums
		say "workload node=$n anon_on_node=$(start_holder $n 24 boot$n)"
	done
	# page cache: an ext4 file read back (caches dropped) while bound to the first node
	first=${nodes%% *}
	dd if=/dev/zero of=/tmp/fs.img bs=1M count=24 2>/dev/null
	losetup /dev/loop0 /tmp/fs.img && mke2fs -q /dev/loop0 && mkdir -p /mnt/c &&
		mount /dev/loop0 /mnt/c &&
		dd if=/dev/urandom of=/mnt/c/data bs=1M count=12 2>/dev/null && sync &&
		echo 3 > /proc/sys/vm/drop_caches &&
		/bin/mvm-memload bound $first md5sum /mnt/c/data >> /tmp/sums
	say "workload page-cache rc=$? files=$(wc -l < /tmp/sums)"
	# cycle 1 one unit at a time (verifying after each), later cycles every
	# unit at once (one request for the range they make up)
	c=1
	while [ $c -le "$cycles" ]; do
		if [ $c = 1 ]; then
			for n in $nodes; do
				ready "cycle=$c op=unplug node=$n"
				wait_blocks $n 0 300 || say "error cycle=$c node=$n blocks=$(blocks_of $n) (still there)"
				set -- $(verify_anon)
				say "verify cycle=$c node=$n anon_bad=$1 anon_pages=$2 files=$(verify_files)"
			done
			ready "cycle=$c op=plug"
		else
			ready "cycle=$c op=unplug-all"
			for n in $nodes; do
				wait_blocks $n 0 300 || say "error cycle=$c node=$n blocks=$(blocks_of $n) (still there)"
			done
			set -- $(verify_anon)
			say "verify cycle=$c node=all anon_bad=$1 anon_pages=$2 files=$(verify_files)"
			ready "cycle=$c op=plug-all"
		fi
		for n in $nodes; do
			wait_blocks $n 1 300
			i=0
			while [ "$(movable_of $n)" != "$(blocks_of $n)" ] && [ $i -lt 100 ]; do
				sleep 0.2
				i=$((i + 1))
			done
			stop_holder use$n
			say "plugged cycle=$c node=$n blocks=$(blocks_of $n) movable=$(movable_of $n) used=$(start_holder $n 24 use$n)/6144"
		done
		c=$((c + 1))
	done
	if [ "$cycles" -gt 1 ]; then
		# the guest ejects a unit itself
		dev=
		for d in /sys/bus/acpi/devices/PNP0C80:*; do
			for l in "$d"/physical_node*; do
				[ -e "$l" ] || continue
				[ -e "$l/node$first" ] && dev=$d
			done
		done
		ready "op=guest-eject node=$first dev=${dev##*/}"
		[ -n "$dev" ] && echo 1 > "$dev/eject"
		wait_blocks $first 0 300
		set -- $(verify_anon)
		say "verify op=guest-eject node=$first blocks=$(blocks_of $first) anon_bad=$1 anon_pages=$2 files=$(verify_files)"
		ready "op=plug-after-eject node=$first"
		wait_blocks $first 1 300
		say "plugged op=plug-after-eject node=$first blocks=$(blocks_of $first)"
		# the host stops waiting at once; the unplug still completes
		last=${nodes##* }
		ready "op=timeout node=$last"
		wait_blocks $last 0 300
		set -- $(verify_anon)
		say "verify op=timeout node=$last blocks=$(blocks_of $last) anon_bad=$1 anon_pages=$2 files=$(verify_files)"
		ready "op=final-plug node=$last"
		wait_blocks $last 1 300
		i=0
		while [ "$(movable_of $last)" != 1 ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
		selftest after
	fi
	set -- $(verify_anon)
	say "done anon_bad=$1 anon_pages=$2 files=$(verify_files)"
	if [ -n "$poke" ]; then
		# a guest that reads memory it gave back: mirrorvm must stop it
		b=$(ls -d /sys/devices/system/node/node$first/memory[0-9]* | head -n 1)
		addr=$(printf '0x%x' $((${b##*/memory} * $(printf '%d' 0x$(cat /sys/devices/system/memory/block_size_bytes)))))
		ready "op=unplug-poke node=$first addr=$addr"
		wait_blocks $first 0 300
		say "poke addr=$addr"
		devmem "$addr" 32
		say "error poke addr=$addr: the read returned"
	fi
	;;
trial:*)
	spec=${mode#trial:}
	cycles=${spec%%:*} spec=${spec#*:}
	n=${spec%%:*} mib=${spec#*:}
	mkdir -p /mnt/t && mount -t tmpfs -o size=$((mib / 2 + 4))M,mpol=bind:$n none /mnt/t
	/bin/mvm-memload bound $n dd if=/dev/urandom of=/mnt/t/data bs=1M count=$((mib / 2)) 2>/dev/null
	md5sum /mnt/t/data > /tmp/sums
	say "workload node=$n anon_on_node=$(start_holder $n "$mib" trial) zones=$(cat /sys/devices/system/node/node$n/memory[0-9]*/valid_zones | sort -u | tr ' \n' '+ ') blocks=$(blocks_of $n)"
	want=$(blocks_of $n)
	c=1
	while [ $c -le "$cycles" ]; do
		seen=$(dmesg | grep -c -e 'Offline failed' -e 'Eject disabled' -e 'acpi_memory.*fail')
		ready "cycle=$c op=unplug node=$n"
		i=0
		while [ "$(blocks_of $n)" != 0 ] && [ $i -lt 1500 ]; do
			[ "$(dmesg | grep -c -e 'Offline failed' -e 'Eject disabled' -e 'acpi_memory.*fail')" -gt "$seen" ] && break
			sleep 0.2
			i=$((i + 1))
		done
		sleep 1
		set -- $(verify_anon)
		if [ "$(blocks_of $n)" = 0 ]; then
			say "trial cycle=$c node=$n result=gone anon_bad=$1 anon_pages=$2 files=$(verify_files)"
			ready "cycle=$c op=plug"
			wait_blocks $n "$want" 300
			say "trial-plugged cycle=$c node=$n blocks=$(blocks_of $n) movable=$(movable_of $n)"
		else
			say "trial cycle=$c node=$n result=refused blocks=$(blocks_of $n) anon_bad=$1 anon_pages=$2 files=$(verify_files)"
		fi
		c=$((c + 1))
	done
	set -- $(verify_anon)
	say "done anon_bad=$1 anon_pages=$2 files=$(verify_files)"
	;;
refuse:*)
	n=${mode#refuse:}
	start_holder $n 16 kern >/dev/null
	mkdir -p /mnt/s && mount -t tmpfs -o size=64M none /mnt/s
	say "workload node=$n zones=$(cat /sys/devices/system/node/node$n/memory[0-9]*/valid_zones | sort -u | tr '\n' ' ') $(/bin/mvm-memload slab $n 30000 /mnt/s)"
	seen=$(dmesg | grep -c 'Offline failed')
	ready "op=busy node=$n"
	wait_dmesg 'Offline failed' 120 "$seen" && r=seen || r=missing
	sleep 1
	set -- $(verify_anon)
	say "verify op=busy node=$n offline-failed=$r blocks=$(blocks_of $n) anon_bad=$1 anon_pages=$2"
	echo 0 > /sys/firmware/acpi/hotplug/memory/enabled
	seen=$(dmesg | grep -c 'Eject disabled')
	ready "op=refused node=$n"
	wait_dmesg 'Eject disabled' 120 "$seen" && r=seen || r=missing
	sleep 1
	echo 1 > /sys/firmware/acpi/hotplug/memory/enabled
	set -- $(verify_anon)
	say "verify op=refused node=$n eject-disabled=$r blocks=$(blocks_of $n) anon_bad=$1 anon_pages=$2"
	say "done"
	;;
esac
