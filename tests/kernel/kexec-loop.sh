#!/bin/busybox sh
# In a guest of the patched kernel: kexec into the same kernel ROUNDS times
# (mvm.exec=/bin/kexec-loop,ROUNDS), printing on every boot what
# tests/kernel/guest_kernel_tests.py compares across them:
#   KEXEC round=N mirror_total_kb=KB ranges=A-B,C-D uptime=S
# The round travels on the command line (mvm.kexec_round=N); the initramfs
# is the one the first kernel kept (retain_initrd, /sys/firmware/initrd).
rounds=${1:-3}
round=0
cmdline=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	mvm.kexec_round=*) round=${arg#mvm.kexec_round=} ;;
	*) cmdline="$cmdline${cmdline:+ }$arg" ;;
	esac
done
ranges=$(tr '\n' ',' < /sys/kernel/mm/mirror/ranges)
echo "KEXEC round=$round mirror_total_kb=$(awk '/^MirrorTotal:/ {print $2}' /proc/meminfo) ranges=${ranges%,} uptime=$(cut -d' ' -f1 /proc/uptime)"
[ "$round" -ge "$rounds" ] && exit 0
/bin/mirrorvm kexec --kernel /boot/bzImage --initrd /sys/firmware/initrd \
	--cmdline "$cmdline mvm.kexec_round=$((round + 1))"
echo "KEXEC-FAIL round=$round status=$?"
exit 1
