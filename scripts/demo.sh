#!/bin/bash
# demo.sh: boots Debian's stock 6.12 kernel under mirrorvm with a mirrored
# node and a hotpluggable node, and prints what the guest saw.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=$("$top/scripts/fetch-debian-kernel.sh")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$top/scripts/build-initramfs.sh" "$work/initrd.gz" --modules-from "$kdir" \
	--module pvpanic.ko --module pvpanic-mmio.ko
flags=(--cpus 2
       --node id=0,size=2G,cpus=0-1
       --node id=1,size=2G,mirror=on
       --node id=2,size=1G,hotplug=on)
echo "demo: mirrorvm run ${flags[*]}"
echo "demo: node 1 is reliable (EFI_MEMORY_MORE_RELIABLE), node 2 is Hot Pluggable in SRAT"
"$top/build/mirrorvm" run --engine qemu --kernel "$kdir"/boot/vmlinuz-* \
	--initrd "$work/initrd.gz" "${flags[@]}" \
	--cmdline "console=ttyS0 quiet movable_node mvm.probe=nodes,zones,blocks,offline:2" \
	< /dev/null > "$work/out" 2> "$work/err" || { cat "$work/err" "$work/out"; exit 1; }
sed -n '/MVM-BEGIN/,/MVM-END/p' "$work/out" > "$work/seen"
echo
echo "What the guest kernel reported:"
grep -E 'mirrored memory|SRAT: Node|Memory block size' "$work/seen" | sed 's/^DMESG \[[^]]*\] /  dmesg: /'
grep '^NODE' "$work/seen" | awk '{split($2,a,"="); split($3,b,"="); printf "  node %s: MemTotal %d MiB\n", a[2], b[2]/1024}'
grep '^ZONE' "$work/seen" | awk '{ for (i=2;i<=NF;i++) { split($i,kv,"="); v[kv[1]]=kv[2] }
	if (v["present"] > 0) printf "  node %s zone %-8s present %7d pages (%d MiB)\n", v["node"], v["zone"], v["present"], v["present"]/256 }'
grep '^OFFLINE' "$work/seen" | awk '{ for (i=2;i<=NF;i++) { split($i,kv,"="); v[kv[1]]=kv[2] }
	printf "  hot-unplug check: node %s: %s of %s memory blocks went offline\n", v["node"], v["ok"], v["blocks"] }'
echo
echo "demo: mirrorvm said: $(grep -v 'tsc_early_khz\|using TCG' "$work/err" | tr '\n' ' ')"
