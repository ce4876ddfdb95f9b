#!/bin/busybox sh
# /bin/mvm-extra of the nested tests' L2 initramfs (tests/guest/init.sh runs
# it after the probe).  Kernel parameters pick what it does:
#   mvm.fwhash=1    FWHASH SIG SHA256 for the ACPI tables, FWMAP START END TYPE
#                   for /sys/firmware/memmap: what both engines must show alike
#   mvm.garbage=N   /bin/mvm-garbage: junk on unemulated ports and MMIO, then
#                   status N through port 0x602
#   mvm.heartbeat=N HEARTBEAT 1 .. HEARTBEAT N, one every 0.2 s (pause tests)
#   mvm.heartsum=N  the same between SUM-BEFORE and SUM-AFTER, the md5 of
#                   8 MiB of random data in tmpfs (snapshot tests); after
#                   SUM-AFTER, NODEBLOCKS NODE ONLINE ALL for each node
#   mvm.echo=1      after mvm.heartsum: ECHO-READY, then a line read from
#                   the serial console (60 s at most) as ECHO-GOT LINE
#   mvm.unplug=MODE the guest's half of a memory hot-unplug trial
#                   (/bin/unplug-guest.sh, tests/nested/unplug-guest.sh)
# HEARTBEAT 1 .. HEARTBEAT $1, one every 0.2 s
heartbeats() {
	i=1
	while [ $i -le "$1" ]; do
		echo "HEARTBEAT $i"
		sleep 0.2
		i=$((i + 1))
	done
}
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	mvm.fwhash=*)
		for t in APIC SRAT SLIT FACP DSDT; do
			s=$(sha256sum < /sys/firmware/acpi/tables/$t 2>/dev/null | cut -d' ' -f1)
			echo "FWHASH $t ${s:-missing}"
		done
		for d in /sys/firmware/memmap/*; do
			echo "FWMAP $(cat $d/start) $(cat $d/end) $(cat $d/type | tr ' ' _)"
		done | sort
		echo "FWHASH-END"
		;;
	mvm.garbage=*)
		/bin/mvm-garbage "${arg#mvm.garbage=}"
		;;
	mvm.unplug=*)
		/bin/unplug-guest.sh "${arg#mvm.unplug=}"
		;;
	mvm.heartbeat=*)
		heartbeats "${arg#mvm.heartbeat=}"
		;;
	mvm.heartsum=*)
		# the same heartbeats around 8 MiB of random data in guest
		# memory (tmpfs), checksummed before and after
		dd if=/dev/urandom of=/tmp/sum.bin bs=1M count=8 2>/dev/null
		echo "SUM-BEFORE $(md5sum < /tmp/sum.bin)"
		heartbeats "${arg#mvm.heartsum=}"
		echo "SUM-AFTER $(md5sum < /tmp/sum.bin)"
		for d in /sys/devices/system/node/node[0-9]*; do
			all=0 on=0
			for b in "$d"/memory[0-9]*; do
				[ -e "$b/state" ] || continue
				all=$((all + 1))
				grep -qx online "$b/state" && on=$((on + 1))
			done
			echo "NODEBLOCKS ${d##*node} $on $all"
		done
		if grep -qw mvm.echo=1 /proc/cmdline; then
			echo "ECHO-READY"
			line=
			read -r -t 60 line < /dev/ttyS0
			echo "ECHO-GOT $line"
		fi
		;;
	esac
done
