#!/bin/sh
# pause-test.sh MIRRORVM tiny TINY-KERNEL [CYCLES]
# pause-test.sh MIRRORVM linux KERNEL INITRD [CYCLES]
# pause-test.sh MIRRORVM snapshot KERNEL INITRD
# Drives stop/cont cycles through "mirrorvm ctl" against a guest on the KVM
# engine and prints what it saw, one "PT-<MODE> what json" line per step,
# for nested_test.py to check: runs under bash at L0 and busybox sh in L1.
#   tiny:  the tiny guest counting to the test port (MIRRORVM_TEST_DEVICES);
#          registers and port counters while paused, then quit.
#   linux: a Linux guest printing HEARTBEAT 1..100 (mvm.heartbeat=N); no
#          console output while paused, every beat once, in order.
#   snapshot: a Linux guest snapshotted at HEARTBEAT 10 (mvm.heartsum=40),
#          that mirrorvm quit, a new one restoring it: the beats of both.
#          $PT_GUEST: the guest's layout flags; $PT_RESTORE: run options
#          of the restoring mirrorvm (its stderr: PT-SNAPSHOT-ERR2 lines).
#          $PT_UNITS: hotplug nodes (in $PT_GUEST) whose units are
#          unplugged before the snapshot, the last one then plugged back;
#          $PT_CMDLINE: more kernel parameters; $PT_BEATS: heartbeats
#          (default 40).
#          With /bin/mvm-pty (tests/nested/mvm-pty.c) the restoring
#          mirrorvm's standard input is a terminal, and a line typed into
#          it must reach the restored guest's console (mvm.echo=1).
mvm=$1 mode=$2
sock=/tmp/mvm-pause-$$.sock
tag=PT-$(echo "$mode" | tr a-z A-Z)
ctl() { "$mvm" ctl --json --timeout 20 "$sock" "$@" 2>&1 | tr -d '\n'; echo; }
wait_socket() {
	i=0
	while [ ! -S "$sock" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
}
# start_linux KERNEL INITRD L2-PARAMETER WAIT-FOR-BEAT: a Linux guest with
# the control socket, once it has printed HEARTBEAT WAIT-FOR-BEAT; its
# layout is $PT_GUEST (default --memory 512M)
start_linux() {
	# shellcheck disable=SC2086  # flags
	"$mvm" run --engine kvm --kernel "$1" --initrd "$2" ${PT_GUEST:---memory 512M} \
		--cmdline "console=ttyS0 quiet loglevel=4 $3 mvm.end=poweroff" \
		--api-socket "$sock" </dev/null >/tmp/pt-$$.out 2>/tmp/pt-$$.err &
	pid=$!
	wait_socket
	i=0
	# the console's lines end in CR LF
	while ! tr -d '\r' < /tmp/pt-$$.out 2>/dev/null | grep -qx "HEARTBEAT $4" && [ $i -lt 1800 ]; do
		sleep 0.1; i=$((i + 1))
	done
}
case "$mode" in
tiny)
	tiny=$3 cycles=${4:-20}
	MIRRORVM_TEST_DEVICES=1 "$mvm" run --engine kvm --kernel "$tiny" --cmdline c --cpus 2 \
		--api-socket "$sock" </dev/null >/tmp/pt-$$.out 2>/tmp/pt-$$.err &
	pid=$!
	wait_socket
	echo "$tag status0 $(ctl query-status)"
	sleep 0.5
	i=0
	while [ $i -lt "$cycles" ]; do
		echo "$tag stop $(ctl stop)"
		echo "$tag status $(ctl query-status)"
		echo "$tag cpus $(ctl query-cpus)"
		echo "$tag port $(ctl x-test-port)"
		echo "$tag port-again $(ctl x-test-port)"
		echo "$tag cont $(ctl cont)"
		sleep 0.05
		i=$((i + 1))
	done
	echo "$tag final $(ctl x-test-port)"
	echo "$tag running-cpus $(ctl query-cpus)"
	echo "$tag quit $(ctl quit)"
	wait $pid
	echo "$tag rc=$?"
	sed "s/^/$tag-ERR /" /tmp/pt-$$.err
	;;
linux)
	cycles=${5:-5}
	start_linux "$3" "$4" mvm.heartbeat=100 5
	i=0
	while [ $i -lt "$cycles" ]; do
		echo "$tag stop $(ctl stop)"
		n1=$(grep -c HEARTBEAT /tmp/pt-$$.out)
		sleep 1
		n2=$(grep -c HEARTBEAT /tmp/pt-$$.out)
		echo "$tag paused-beats $n1 $n2 $(ctl query-status)"
		echo "$tag cont $(ctl cont)"
		sleep 1
		i=$((i + 1))
	done
	wait $pid
	echo "$tag rc=$?"
	tr -d '\r' < /tmp/pt-$$.out | grep HEARTBEAT | sed "s/^/$tag-OUT /"
	sed "s/^/$tag-ERR /" /tmp/pt-$$.err
	;;
snapshot)
	# a Linux guest snapshotted (paused) mid-heartbeat, mirrorvm ended, a
	# new mirrorvm restoring it: both consoles' heartbeats and checksums
	snap=/tmp/mvm-snap-$$
	pty='' echo=''
	if [ -x /bin/mvm-pty ]; then
		[ -e /dev/pts/ptmx ] || { mkdir -p /dev/pts && mount -t devpts devpts /dev/pts; }
		pty=/bin/mvm-pty echo=mvm.echo=1
	fi
	beats=${PT_BEATS:-40} first=10
	[ -n "$PT_UNITS" ] && first=2
	echo "$tag beats $beats"
	start_linux "$3" "$4" "mvm.heartsum=$beats $echo $PT_CMDLINE" $first
	if [ -n "$PT_UNITS" ]; then
		for n in $PT_UNITS; do
			echo "$tag unplug-$n $("$mvm" ctl --json --timeout 120 "$sock" memory-unplug "node=$n" --wait 2>&1 | tr -d '\n')"
			last=$n
		done
		echo "$tag plug-$last $("$mvm" ctl --json --timeout 120 "$sock" memory-plug "node=$last" --wait 2>&1 | tr -d '\n')"
		echo "$tag units-saved $(ctl query-memory)"
	fi
	echo "$tag snapshot $(ctl snapshot "$snap" paused=true)"
	echo "$tag quit $(ctl quit)"
	wait $pid
	echo "$tag rc1=$?"
	rm -f "$sock"
	# The console's input: a FIFO held open here, so that it never ends
	# before the line is typed.
	fifo=/tmp/pt-in-$$
	mkfifo "$fifo"
	exec 3<>"$fifo"
	# shellcheck disable=SC2086  # run options, e.g. --placement-report=-
	$pty "$mvm" run --restore "$snap" --api-socket "$sock" $PT_RESTORE <"$fifo" >/tmp/pt2-$$.out 2>/tmp/pt2-$$.err &
	pid=$!
	if [ -n "$PT_UNITS" ]; then
		wait_socket
		echo "$tag units-restored $(ctl query-memory)"
	fi
	if [ -n "$pty" ]; then
		i=0
		while ! tr -d '\r' < /tmp/pt2-$$.out | grep -qx "ECHO-READY" && [ $i -lt 1800 ]; do
			sleep 0.1; i=$((i + 1))
		done
		echo "typed-after-restore-$$" >&3
		echo "$tag typed typed-after-restore-$$"
	fi
	wait $pid
	echo "$tag rc2=$?"
	exec 3>&-
	rm -f "$fifo"
	tr -d '\r' < /tmp/pt-$$.out | grep -E "^(HEARTBEAT|SUM-|NODEBLOCKS)" | sed "s/^/$tag-OUT1 /"
	tr -d '\r' < /tmp/pt2-$$.out | grep -E "^(HEARTBEAT|SUM-|MVM-BEGIN|ECHO-|NODEBLOCKS)" | sed "s/^/$tag-OUT2 /"
	sed "s/^/$tag-ERR /" /tmp/pt-$$.err
	sed "s/^/$tag-ERR2 /" /tmp/pt2-$$.err
	rm -rf "$snap" /tmp/pt2-$$.out /tmp/pt2-$$.err
	;;
esac
rm -f /tmp/pt-$$.out /tmp/pt-$$.err
