#!/bin/busybox sh
# /init of mirrorvm's test initramfs.  The kernel command line says what to
# run: mvm.probe=cmd,cmd,...  (mvm-probe commands), mvm.exec=prog,arg,...
# (any program, its status printed as EXEC status=N), mvm.end=poweroff|reboot|
# exit:N|panic|hang.  Output between MVM-BEGIN and MVM-END is for checkers.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
if [ -f /lib/modules/load ]; then
	while read -r m; do insmod "/lib/modules/$m" || echo "MVM-WARN insmod $m failed"; done < /lib/modules/load
fi
probe= ; end=poweroff ; exec_cmd=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	mvm.probe=*) probe=$(echo "${arg#mvm.probe=}" | tr ',' ' ') ;;
	mvm.end=*) end=${arg#mvm.end=} ;;
	mvm.exec=*) exec_cmd=$(echo "${arg#mvm.exec=}" | tr ',' ' ') ;;
	esac
done
echo "MVM-BEGIN"
dmesg | grep -E 'mirrored memory|Memory block size|efi: |NUMA|ACPI: SRAT|unmirrored|Kernel command line|movable|ignore kernelcore' | sed 's/^/DMESG /'
[ -n "$probe" ] && /bin/mvm-probe $probe
[ -n "$exec_cmd" ] && { $exec_cmd; echo "EXEC status=$?"; }
echo "MVM-END"
[ -x /bin/mvm-extra ] && /bin/mvm-extra
case "$end" in
poweroff) poweroff -f ;;
reboot) reboot -f ;;
exit:*) /bin/mvm-probe "$end" ;;
panic) echo c > /proc/sysrq-trigger ;;
hang) while :; do sleep 1000; done ;;
esac
sleep 5
echo "MVM-ERROR init: $end did not end the guest"
exec sleep 100000
