#!/bin/busybox sh
# /bin/mvm-extra of the nested tests' L2 initramfs (tests/guest/init.sh runs
# it after the probe).  Kernel parameters pick what it does:
#   mvm.fwhash=1    FWHASH SIG SHA256 for the ACPI tables, FWMAP START END TYPE
#                   for /sys/firmware/memmap: what both engines must show alike
#   mvm.garbage=N   /bin/mvm-garbage: junk on unemulated ports and MMIO, then
#                   status N through port 0x602
#   mvm.heartbeat=N HEARTBEAT 1 .. HEARTBEAT N, one every 0.2 s (pause tests)
#   mvm.unplug=MODE the guest's half of a memory hot-unplug trial
#                   (/bin/unplug-guest.sh, tests/nested/unplug-guest.sh)
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
		i=1
		while [ $i -le "${arg#mvm.heartbeat=}" ]; do
			echo "HEARTBEAT $i"
			sleep 0.2
			i=$((i + 1))
		done
		;;
	esac
done
