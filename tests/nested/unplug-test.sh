#!/bin/sh
# unplug-test.sh MIRRORVM KERNEL INITRD TAG MODE FLAGS...
# The host's half of a memory hot-unplug trial (tests/nested/unplug-guest.sh
# is the guest's): runs one guest on the KVM engine with a control socket,
# and at each "UT ready ..." line of its console does what the line asks
# through "mirrorvm ctl", measuring mirrorvm's memory (/proc/PID/status)
# and the host's free huge pages around it.  Prints, for nested_test.py:
#   UT-<TAG> step what rc=N before=MEM after=MEM   MEM: anon,shmem,huge kB,
#                                                free 2M huge pages
#   UT-<TAG>-JSON step json...                   what ctl printed (--json)
#   UT-<TAG>-OUT line                            the guest's console
#   UT-<TAG>-ERR line                            mirrorvm's stderr
#   UT-<TAG> rc=N                                mirrorvm's exit status
mvm=$1 kernel=$2 initrd=$3 tag=UT-$4 mode=$5
shift 5
sock=/tmp/ut-$$.sock out=/tmp/ut-$$.out err=/tmp/ut-$$.err
now_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }
mem() {
	echo "$(kb "$pid" RssAnon),$(kb "$pid" RssShmem),$(kb "$pid" HugetlbPages),$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)"
}
# ctl STEP ARGS...: one request, its JSON lines and exit status reported
ctl() {
	st=$1
	shift
	t0=$(now_ms)
	before=$(mem)
	"$mvm" ctl --json "$sock" "$@" > /tmp/ut-ctl.$$ 2>&1
	rc=$?
	after=$(mem)
	echo "$tag $st $1 rc=$rc before=$before after=$after ms=$(($(now_ms) - t0))"
	sed "s/^/$tag-JSON $st /" /tmp/ut-ctl.$$
}
# Polls query-memory until unit state $2 appears for node $1 (300 s at most);
# the last answer is reported as STEP-wait.
wait_state() {
	i=0
	while [ $i -lt 600 ]; do
		"$mvm" ctl --json "$sock" query-memory > /tmp/ut-q.$$ 2>&1
		tr '{' '\n' < /tmp/ut-q.$$ | grep "\"node\": $1," | grep -q "\"state\": \"$2\"" && break
		sleep 0.5
		i=$((i + 1))
	done
	sed "s/^/$tag-JSON $step-wait /" /tmp/ut-q.$$
}
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

"$mvm" run --engine kvm --kernel "$kernel" --initrd "$initrd" --api-socket "$sock" "$@" \
	--cmdline "console=ttyS0 quiet loglevel=4 memhp_default_state=online_movable mvm.unplug=$mode $UT_CMDLINE" \
	</dev/null >"$out" 2>"$err" &
pid=$!
echo "$tag start mem=$(mem)"
done_lines=0
deadline=$(($(now_ms) + ${UT_TIMEOUT:-900} * 1000))
while kill -0 $pid 2>/dev/null && [ "$(now_ms)" -lt $deadline ]; do
	# a whole line only: the guest ends each with " go"
	line=$(tr -d '\r' < "$out" | grep '^UT ready .* go$' | sed -n "$((done_lines + 1))p")
	if [ -z "$line" ]; then
		sleep 0.2
		continue
	fi
	done_lines=$((done_lines + 1))
	node=$(field "$line" node) op=$(field "$line" op) cycle=$(field "$line" cycle)
	step=${cycle:+c$cycle-}$op${node:+-n$node}
	echo "$tag got $line"
	case "$op" in
	unplug|busy|refused|unplug-poke)
		ctl "$step" memory-unplug "node=$node" --wait
		"$mvm" ctl --json "$sock" query-memory | sed "s/^/$tag-JSON $step-after /"
		;;
	unplug-all)	# every unit in one request: the range they make up
		# shellcheck disable=SC2086
		ctl "$step" memory-unplug $UT_RANGE --wait
		;;
	plug)
		for n in ${UT_NODES:-1}; do
			ctl "$step-n$n" memory-plug "node=$n" --wait
		done
		;;
	plug-all)
		# shellcheck disable=SC2086
		ctl "$step" memory-plug $UT_RANGE --wait
		;;
	plug-after-eject|final-plug)
		ctl "$step" memory-plug "node=$node" --wait
		;;
	guest-eject)
		before=$(mem)
		wait_state "$node" unplugged
		echo "$tag $step wait rc=0 before=$before after=$(mem)"
		;;
	timeout)
		ctl "$step" memory-unplug "node=$node" timeout-ms=1 --wait
		wait_state "$node" unplugged
		;;
	esac
done
if kill -0 $pid 2>/dev/null; then
	echo "$tag timeout: the guest did not finish; its registers follow"
	kill -QUIT $pid
	sleep 2
	kill -TERM $pid
fi
wait $pid
echo "$tag rc=$?"
tr -d '\r' < "$out" | sed "s/^/$tag-OUT /"
sed "s/^/$tag-ERR /" "$err"
rm -f "$out" "$err" /tmp/ut-ctl.$$ /tmp/ut-q.$$
