#!/usr/bin/env python3
"""Guest trials of the kvm-patches kernel under mirrorvm's QEMU engine, whose
firmware marks memory mirrored (EFI) and hotpluggable (SRAT): the only way to
test these paths without mirror-capable hardware.

Usage: guest_kernel_tests.py --kernel PATCHED_BZIMAGE [--mirrorvm PATH]
Prints PASS/FAIL lines and "kernel-guest: N passed, M failed".
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "guest"))
import guest_tests as gt  # noqa: E402  (the same model and probe parsing)
from guest_tests import G, M, PAGE, HOLE_END, boot, report, intersect, subtract, pages  # noqa: E402

BASE = ["--cpus", "2", "--node", "id=0,size=2G,cpus=0-1", "--node", "id=1,size=2G"]


def zone_records(g, nodes=None, names=("Normal", "Movable")):
    out = {}
    for r in g.records("ZONE"):
        if r["zone"] in names and (nodes is None or int(r["node"]) in nodes):
            out[(int(r["node"]), r["zone"])] = (int(r["start_pfn"]), int(r["spanned"]), int(r["present"]))
    return out


def check_mirror_split(g, m, name, nodes):
    zones = gt.zones_by_node(g)
    for nid in nodes:
        above = intersect(m.node_ranges(nid), [(HOLE_END, 1 << 62)])
        mirrored, unmirrored = intersect(above, m.reliable), subtract(above, m.reliable)
        z = zones.get(nid, {})
        report(z.get("Normal", {}).get("present", 0) == pages(mirrored),
               f"{name} node {nid} Normal present == mirrored pages above 4G ({pages(mirrored)})", f"{z}")
        report(z.get("Movable", {}).get("present", 0) == pages(unmirrored),
               f"{name} node {nid} Movable present == unmirrored pages above 4G ({pages(unmirrored)})", f"{z}")


def test_both_options(g, stock):
    """movable_node + kernelcore=mirror: hotplug node movable, others mirror-split."""
    flags = BASE + ["--node", "id=2,size=1G,hotplug=on",
                    "--mirror", "256M@0x10000000", "--mirror", "512M@0x100000000"]
    m = gt.Model(flags)
    name = "both options"
    if not boot(g, name, flags, "kernelcore=mirror movable_node mvm.probe=zones,blocks,offline:2"):
        return
    z = gt.zones_by_node(g).get(2, {})
    kernel = sum(v["present"] for k, v in z.items() if k != "Movable")
    report(kernel == 0 and z.get("Movable", {}).get("present") == (1 * G) // PAGE,
           f"{name}: hotplug node 2 entirely ZONE_MOVABLE", f"{z}")
    off = g.records("OFFLINE")
    report(bool(off) and off[0]["ok"] == off[0]["blocks"] == "8" and off[0]["failed"] == "0",
           f"{name}: all 8 blocks of node 2 offlined", f"{off}")
    check_mirror_split(g, m, name, [1])
    both = zone_records(g, nodes={0, 1})
    # the same layout with kernelcore=mirror alone must split nodes 0 and 1 identically
    if boot(g, "kernelcore=mirror alone (same layout)", flags, "kernelcore=mirror mvm.probe=zones"):
        alone = zone_records(g, nodes={0, 1})
        report(both == alone, f"{name}: nodes 0-1 split exactly as with kernelcore=mirror alone",
               f"both {both} alone {alone}")


def test_alone_unchanged(g, stock):
    """Each option alone: zones identical to Debian's stock 6.12 kernel."""
    cases = [
        ("kernelcore=mirror", BASE + ["--node", "id=2,size=1G,mirror=on", "--mirror", "512M@0x100000000"],
         "kernelcore=mirror"),
        ("movable_node", BASE + ["--node", "id=2,size=1G,hotplug=on"], "movable_node"),
    ]
    for label, flags, opt in cases:
        if not boot(g, f"{label} alone, patched", flags, opt + " mvm.probe=zones"):
            continue
        patched = zone_records(g)
        if not boot(stock, f"{label} alone, stock", flags, opt + " mvm.probe=zones"):
            continue
        base = zone_records(stock)
        report(patched == base, f"{label} alone: Normal/Movable zones identical to stock 6.12",
               f"patched {patched} stock {base}")


def test_leading_unmirrored_fixed(g):
    """Patch 0001 also keeps mirrored memory that stock 6.12 loses (see tests/guest)."""
    flags = BASE + ["--node", "id=2,size=2G", "--mirror", "1G@0x180000000"]
    m = gt.Model(flags)
    if boot(g, "leading unmirrored range", flags, "kernelcore=mirror mvm.probe=zones"):
        check_mirror_split(g, m, "leading unmirrored range", [2])


def test_movablemem_map(g):
    flags = BASE
    rng = (0x100000000, 512 * M)
    if not boot(g, "movablemem_map", flags,
                f"movablemem_map=512M@{rng[0]:#x} mvm.probe=zones,offline-range:{rng[0]:#x}:{rng[1]:#x}"):
        return
    z = gt.zones_by_node(g).get(1, {})
    report(z.get("Movable", {}).get("start_pfn") == rng[0] // PAGE,
           "movablemem_map: node 1 ZONE_MOVABLE starts at the listed range", f"{z}")
    off = g.records("OFFLINE-RANGE")
    report(bool(off) and off[0]["ok"] == off[0]["blocks"] == "4" and off[0]["failed"] == "0",
           "movablemem_map: the range's 4 memory blocks go offline", f"{off}")
    flags2 = BASE + ["--mirror", "512M@0x100000000"]
    if boot(g, "movablemem_map + kernelcore=mirror", flags2,
            "kernelcore=mirror movablemem_map=256M@0x108000000 mvm.probe=zones"):
        # the listed range lies in mirrored memory: it moves to ZONE_MOVABLE,
        # the rest of node 1 above 4G stays split the mirror way
        z = gt.zones_by_node(g).get(1, {})
        want_normal, want_movable = (256 * M) // PAGE, (768 * M) // PAGE
        report(z.get("Normal", {}).get("present") == want_normal and
               z.get("Movable", {}).get("present") == want_movable,
               "movablemem_map + kernelcore=mirror: the listed mirrored range is movable, the rest mirror-split",
               f"{z}")


def test_no_mirror_fallback(g):
    """kernelcore=mirror on a machine that reports no mirrored memory is
    ignored: with movablemem_map= the zones are those of movablemem_map=
    alone, and every page lies in its zone (managed <= present)."""
    rng = "512M@0x120000000"        # node 1: [4G, 4.5G) kernel, [4.5G, 5G) movable
    all_zones = ("DMA", "DMA32", "Normal", "Movable")
    if not boot(g, "movablemem_map alone, no mirror", BASE, f"movablemem_map={rng} mvm.probe=zones"):
        return
    alone = zone_records(g, names=all_zones)
    if not boot(g, "kernelcore=mirror + movablemem_map, no mirror", BASE,
                f"kernelcore=mirror movablemem_map={rng} mvm.probe=zones"):
        return
    both = zone_records(g, names=all_zones)
    report(both == alone, "no mirror: kernelcore=mirror + movablemem_map= gives the zones of movablemem_map= alone",
           f"with kernelcore=mirror {both} without {alone}")
    normal = both.get((1, "Normal"), (0, 0, 0))
    report(normal[2] == (512 * M) // PAGE, "no mirror: node 1 keeps kernel memory above 4G (Normal present 512M)",
           f"{normal}")
    outside = [r for r in g.records("ZONE") if int(r["managed"]) > int(r["present"])]
    report(not outside and g.records("ZONE"), "no mirror: no zone manages more pages than it has present",
           f"{outside}")
    report(bool(g.dmesg("no mirror memory, ignore kernelcore=mirror")),
           "no mirror: the kernel says it ignores kernelcore=mirror", "no such line in dmesg")


def guest_checks(g):
    """What a program run with mvm.exec said: its PASS/FAIL lines, its EXEC
    status lines, and whether it passed (some checks, no FAIL, status 0)."""
    checks = [l for l in g.lines if l.startswith(("PASS", "FAIL"))]
    status = [l for l in g.lines if l.startswith("EXEC status=")]
    ok = bool(checks) and not any(l.startswith("FAIL") for l in checks) and status == ["EXEC status=0"]
    return checks, status, ok


def block_zones(g, start, size, block):
    """valid_zones of the memory blocks covering [start, start + size), as
    the probe's BLOCK lines give them (the zone of an online block)."""
    want = {str(i) for i in range(start // block, (start + size) // block)}
    out = {}
    for line in g.lines:
        if line.startswith("BLOCK id="):
            bid = line.split()[1].split("=", 1)[1]
            if bid in want:
                out[int(bid)] = line.split("zones=", 1)[-1]
    return out


def test_offline_under_mirror(g):
    """Under kernelcore=mirror every ZONE_MOVABLE memory block of a node that
    also has mirrored memory can be offlined; onlined again it goes back to
    ZONE_MOVABLE; online_kernel into the mirror-only ZONE_NORMAL is refused."""
    # node 1 = [2G, 3G) + [4G, 5G); its mirrored half above 4G first or last
    for label, mirror, start in (("mirrored memory first", "512M@0x100000000", 0x120000000),
                                 ("mirrored memory last", "512M@0x120000000", 0x100000000)):
        flags = BASE + ["--mirror", mirror]
        block = gt.Model(flags).block_size()
        size = 512 * M
        rng, first = f"{start:#x}:{size:#x}", f"{start:#x}:{block:#x}"
        name = f"offline under kernelcore=mirror ({label})"
        probe = (f"offline-range:{rng},online-range:{first}:online_kernel,blocks,online-range:{rng},blocks,"
                 f"offline-range:{rng}")
        if not boot(g, name, flags, f"kernelcore=mirror mvm.probe={probe} mvm.exec=dmesg"):
            continue
        off, on = g.records("OFFLINE-RANGE"), g.records("ONLINE-RANGE")
        nblocks = str(size // block)
        report(len(off) == 2 and off[0]["ok"] == nblocks and off[0]["failed"] == "0",
               f"{name}: all {nblocks} ZONE_MOVABLE blocks of node 1 go offline",
               f"{off} {[l for l in g.lines if 'OFFLINE-FAIL' in l][:4]}")
        fails = [l for l in g.lines if l.startswith("ONLINE-FAIL")]
        report(len(on) == 2 and on[0]["failed"] == "1" and fails[:1] and "Invalid argument" in fails[0]
               and any("cannot be onlined to Normal, which holds only mirrored memory" in l for l in g.lines),
               f"{name}: online_kernel of an unmirrored block into the mirror-only Normal zone fails "
               f"(EINVAL) and the kernel says why", f"{on} {fails}")
        # The probe's first BLOCK listing is taken while the range is offline
        # (valid_zones offers only Movable), the second after plain online.
        offline_zones = {}
        listing = 0
        for line in g.lines:
            if line.startswith("BLOCKSIZE"):
                listing += 1
            if listing == 1 and line.startswith("BLOCK id="):
                bid = int(line.split()[1].split("=", 1)[1])
                if start // block <= bid < (start + size) // block:
                    offline_zones[bid] = line.split("zones=", 1)[-1]
        report(len(offline_zones) == size // block and set(offline_zones.values()) == {"Movable"},
               f"{name}: offline blocks offer only Movable (valid_zones)", f"{offline_zones}")
        zones = block_zones(g, start, size, block)
        report(len(on) == 2 and on[1]["ok"] == nblocks and set(zones.values()) == {"Movable"},
               f"{name}: plain online puts the blocks back into ZONE_MOVABLE", f"{on} {zones}")
        report(len(off) == 2 and off[1]["ok"] == nblocks and off[1]["failed"] == "0",
               f"{name}: offlined again after onlining", f"{off}")

    # movable_node: a hotpluggable node with no mirrored memory, emptied and
    # onlined again, must not get a kernel zone from a leftover span
    flags = BASE + ["--node", "id=2,size=1G,hotplug=on", "--mirror", "512M@0x100000000"]
    m = gt.Model(flags)
    (start, end), = m.node_ranges(2)
    name = "hotplug node under kernelcore=mirror movable_node"
    rng = f"{start:#x}:{end - start:#x}"
    if boot(g, name, flags, f"kernelcore=mirror movable_node mvm.probe=zones,offline:2,online-range:{rng},blocks,"
            f"offline:2"):
        z = gt.zones_by_node(g).get(2, {})
        report(z.get("Normal", {}).get("spanned", 0) == 0,
               f"{name}: node 2 has no ZONE_NORMAL span (all its memory is movable)", f"{z}")
        off, on = g.records("OFFLINE"), g.records("ONLINE-RANGE")
        zones = block_zones(g, start, end - start, m.block_size())
        report(len(off) == 2 and off[0]["ok"] == off[0]["blocks"] == "8" and on and on[0]["ok"] == "8"
               and set(zones.values()) == {"Movable"},
               f"{name}: node 2 emptied and onlined again is ZONE_MOVABLE", f"{off} {on} {zones}")
        report(len(off) == 2 and off[1]["ok"] == off[1]["blocks"] == "8",
               f"{name}: and can be offlined again", f"{off}")

    # Unmirrored memory below 4G is kernel memory under kernelcore=mirror
    # (ZONE_DMA32): offlined and onlined again it must go back there, as at
    # boot, not to ZONE_MOVABLE like unmirrored memory above 4G.  Offlining
    # a block at the edge of a node's ZONE_DMA32 shrinks the zone's span
    # away from it; the spans then lead to ZONE_NORMAL (mirror-only on a
    # node with mirrored memory, empty on a node without), which must
    # neither take it nor make a plain online fail: ZONE_MOVABLE takes it.
    # On a node without mirrored memory the edge blocks below 4G were busy
    # (EBUSY) in every layout tried: only the node with mirrored memory's
    # first block is tried here.
    name = "unmirrored block below 4G under kernelcore=mirror"
    flags = BASE + ["--mirror", "512M@0x100000000"]
    cases = ((0x90000000, "inside node 1's ZONE_DMA32", "DMA32"),
             (0x80000000, "node 1's first", "Movable"))
    block = gt.Model(flags).block_size()
    probe = ["blocks"]
    for start, _, _ in cases:
        probe += [f"offline-range:{start:#x}:{block:#x}", "blocks", f"online-range:{start:#x}:{block:#x}", "blocks"]
    if not boot(g, name, flags, f"kernelcore=mirror mvm.probe={','.join(probe)}"):
        return
    off, on = g.records("OFFLINE-RANGE"), g.records("ONLINE-RANGE")
    for n, (start, what, want) in enumerate(cases):
        zones, bid = [], str(start // block)
        for line in g.lines:
            if line.startswith("BLOCKSIZE"):
                zones.append(None)
            elif line.startswith(f"BLOCK id={bid} ") and zones:
                zones[-1] = line.split("zones=", 1)[-1]
        ok = len(off) == len(on) == len(cases) and len(zones) == 1 + 2 * len(cases)
        # listings: 0 at boot, then 2n + 1 while offline, 2n + 2 online again
        offered = (zones[2 * n + 1] or "").split("+") if ok else []
        report(ok and zones[0] == "DMA32" and off[n]["ok"] == "1" and offered[:1] == [want]
               and "Normal" not in offered,
               f"{name}: {what} block goes offline and plain online would use {want}, never Normal "
               "(valid_zones)", f"{off} {zones}")
        report(ok and on[n]["ok"] == "1" and on[n]["failed"] == "0" and zones[2 * n + 2] == want,
               f"{name}: {what} block, onlined again, is in {want}" + (", as at boot" if want == "DMA32" else ""),
               f"{on} {zones}")


def test_deferred_init(g):
    """kernelcore=mirror where a node's memory above 4G is long enough for
    deferred struct page init to matter (host flavour: DEFERRED_STRUCT_PAGE_INIT):
    the mirrored GiB is all ZONE_NORMAL, managed, and MFD_MIRROR gets it."""
    for where in ("0x100000000", "0x140000000"):
        # node 1 = [2G, 3G) + [4G, 6G); one mirrored GiB at its start above 4G or after an unmirrored GiB
        flags = ["--cpus", "2", "--node", "id=0,size=2G,cpus=0-1", "--node", "id=1,size=3G",
                 "--mirror", f"1G@{where}"]
        name = f"kernelcore=mirror, node with 2G above 4G, mirror 1G@{where}"
        if not boot(g, name, flags, "kernelcore=mirror mvm.probe=zones mvm.exec=/bin/mirror-alloc-probe,64"):
            continue
        zr = {(int(r["node"]), r["zone"]): r for r in g.records("ZONE")}
        normal = zr.get((1, "Normal"), {})
        present, managed = int(normal.get("present", 0)), int(normal.get("managed", 0))
        report(present == G // PAGE and managed >= 3 * present // 4,
               f"{name}: node 1 Normal present {G // PAGE} pages and at least 3/4 of them managed",
               f"Normal {normal}")
        over = [r for r in g.records("ZONE") if int(r["managed"]) > int(r["present"])]
        report(bool(zr) and not over, f"{name}: no zone manages more pages than it has present", f"{over}")
        checks, status, ok = guest_checks(g)
        report(ok, f"{name}: MFD_MIRROR 64 MiB all in mirrored ranges ({len(checks)} checks)",
               "\n".join(checks + status)[-600:])


def test_many_ranges(g):
    """More mirrored ranges than the first series' fixed table (128): all are
    remembered, so MFD_MIRROR can use the mirror-only zone of the last one."""
    flags = ["--cpus", "2", "--node", "id=0,size=2G,cpus=0-1", "--node", "id=1,size=2G,mirror=on"]
    for i in range(128):
        flags += ["--mirror", f"4M@{16 * M + i * 8 * M:#x}"]
    m = gt.Model(flags)
    want = intersect([(s, e) for s, e, _ in m.ram], m.reliable)
    merged = []
    for s, e in want:
        if merged and merged[-1][1] == s:
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    name = f"{len(merged)} mirrored ranges"
    if not boot(g, name, flags, "kernelcore=mirror mvm.exec=/bin/mirror-stats"):
        return
    ranges = [l.split()[1] for l in g.lines if l.startswith("RANGE ")]
    report(ranges == [f"{s:#x}-{e - 1:#x}" for s, e in merged],
           f"{name}: /sys/kernel/mm/mirror/ranges lists all {len(merged)}", f"{len(ranges)} listed, last {ranges[-3:]}")
    if boot(g, f"{name}, MFD_MIRROR", flags, "kernelcore=mirror mvm.exec=/bin/mirror-alloc-probe,64"):
        checks, status, ok = guest_checks(g)
        report(ok, f"{name}: MFD_MIRROR 64 MiB from node 1's mirror-only zone ({len(checks)} checks)",
               "\n".join(checks + status)[-600:])


def test_mfd_mirror(g):
    flags = BASE + ["--mirror", "512M@0x100000000"]
    declared = "0x100000000-0x11fffffff"
    runs = [
        ("MFD_MIRROR 64 MiB: PFNs in mirrored ranges, MirrorFree falls and rises",
         "kernelcore=mirror", f"/bin/mirror-alloc-probe,--expect-ranges,{declared},64"),
        ("MFD_MIRROR beyond MirrorFree: ENOMEM", "kernelcore=mirror", "/bin/mirror-alloc-probe,--expect-enomem"),
        ("MFD_MIRROR limits: vm.mirror_reserve_kbytes kept for the kernel, RLIMIT_MEMLOCK without CAP_IPC_LOCK",
         "kernelcore=mirror", "/bin/mirror-alloc-probe,--expect-limits"),
        ("MFD_MIRROR without kernelcore=mirror: clear errno", "", "/bin/mirror-alloc-probe,--expect-unsupported"),
    ]
    for label, opt, cmd in runs:
        if not boot(g, label, flags, f"{opt} mvm.exec={cmd}"):
            continue
        checks, status, ok = guest_checks(g)
        report(ok, f"{label} ({len(checks)} checks in the guest)", "\n".join(checks + status)[-800:])
        if "--expect-limits" in cmd:
            # 6 reserve checks, 5 of the unprivileged child, 1 of root
            report(len(checks) == 12, "MFD_MIRROR limits: all 12 checks ran (reserve, RLIMIT_MEMLOCK, CAP_IPC_LOCK)",
                   "\n".join(checks))
        if "--expect-ranges" in cmd:
            # the copy-on-write pages of a private mapping would not be mirrored
            priv = [l for l in checks if "MAP_PRIVATE" in l]
            report(len(priv) == 4 and all(l.startswith("PASS") for l in priv),
                   "MFD_MIRROR: writable MAP_PRIVATE refused (EINVAL); a read-only private mapping works "
                   "and cannot be made writable (mprotect EACCES, /proc/self/mem write refused)",
                   "\n".join(priv))
    # statistics and exported ranges against what the firmware declared
    if boot(g, "mirror statistics", flags, "kernelcore=mirror mvm.exec=/bin/mirror-stats"):
        ranges = [l.split()[1] for l in g.lines if l.startswith("RANGE ")]
        report(ranges == [declared], f"/sys/kernel/mm/mirror/ranges lists exactly the firmware's range {declared}",
               f"guest lists {ranges}")
        # the physical layout is root's only, as in /proc/iomem
        mode = [l.split()[1] for l in g.lines if l.startswith("RANGESMODE ")]
        report(mode == ["400"], "/sys/kernel/mm/mirror/ranges is readable by root only (mode 0400)",
               f"guest shows mode {mode}")
        nodes = {int(r["node"]): (int(r["total_kb"]), int(r["free_kb"])) for r in g.records("NODEMIRROR")}
        mi = g.records("MEMINFO")
        total = int(mi[0]["total_kb"]) if mi else -1
        report(nodes.get(0, (None,))[0] == 0 and 400 * 1024 < nodes.get(1, (0,))[0] <= 512 * 1024,
               "per-node MirrorTotal: 0 on node 0, the managed part of 512M on node 1", f"{nodes}")
        report(total == sum(t for t, _ in nodes.values()) and all(0 < f <= t for t, f in nodes.values() if t),
               "/proc/meminfo MirrorTotal is the sum of the nodes; MirrorFree within it", f"meminfo {mi} nodes {nodes}")
        # nr_free_mirror (vmstat, pages) against the nodes' MirrorFree (kB,
        # no CMA here), read moments apart: within 4 MiB
        per_node = {int(r["node"]): r["vmstat_free_pages"] for r in g.records("NODEMIRROR")}
        vm = g.records("VMSTAT")
        glob_pages = vm[0]["nr_free_mirror"] if vm else "none"
        ok = glob_pages.isdigit() and all(v.isdigit() for v in per_node.values()) and per_node
        if ok:
            kb = {n: int(v) * PAGE // 1024 for n, v in per_node.items()}
            ok = (abs(int(glob_pages) - sum(int(v) for v in per_node.values())) <= 1024 and kb.get(0) == 0
                  and all(abs(kb[n] - nodes[n][1]) <= 4096 for n in kb))
        report(ok, "nr_free_mirror in /proc/vmstat and node vmstat: the nodes sum to the total, each matches "
               "the node's MirrorFree (node 0: 0)", f"vmstat {glob_pages} nodes {per_node} MirrorFree {nodes}")


def test_mfd_mirror_migrate(g):
    """MFD_MIRROR pages migrated (move_pages) stay in mirrored memory."""
    # node 0: [0, 3G) + [4G, 4.5G), node 1: [4.5G, 5.5G), node 2: [5.5G, 6G);
    # mirrored: 128M above 4G on nodes 0 and 1, nothing on node 2
    flags = ["--cpus", "2", "--node", "id=0,size=3584M,cpus=0-1", "--node", "id=1,size=1G",
             "--node", "id=2,size=512M", "--mirror", "128M@0x100000000", "--mirror", "128M@0x120000000"]
    label = "MFD_MIRROR migration"
    if not boot(g, label, flags, "kernelcore=mirror mvm.exec=/bin/mirror-alloc-probe,--expect-migrate,1,2"):
        return
    checks, status, _ = guest_checks(g)
    by_what = {w: [l for l in checks if w in l] for w in ("to node 1", "to node 2", "data intact")}
    report(all(len(v) == 1 and v[0].startswith("PASS") for v in by_what.values()) and status == ["EXEC status=0"],
           f"{label}: move_pages to a node with mirrored memory moves the pages into it; to a node without, "
           f"no mirrored target (-ENOMEM), pages kept in mirrored memory; data intact", "\n".join(checks + status)[-900:])


KEXEC_ROUNDS = 5


def test_kexec(kexec_guest, why):
    """The patched kernel kexecs into itself and keeps its mirrored memory."""
    name = f"kexec into itself {KEXEC_ROUNDS} times (mirrorvm kexec)"
    if kexec_guest is None:
        gt.skip(name, why)
        return
    g = kexec_guest
    flags = BASE + ["--mirror", "512M@0x100000000"]
    declared = "0x100000000-0x11fffffff"
    probe = f"--expect-ranges,{declared},64"
    if not boot(g, name, flags, f"kernelcore=mirror retain_initrd mvm.exec=/bin/kexec-loop,{KEXEC_ROUNDS},{probe}",
                timeout=120 + 60 * KEXEC_ROUNDS):
        return
    rounds = g.records("KEXEC")
    seen = [r.get("round") for r in rounds]
    report(seen == [str(i) for i in range(KEXEC_ROUNDS + 1)] and not g.records("KEXEC-FAIL"),
           f"{name}: every kernel came up (rounds {seen})", "\n".join(g.lines)[-1500:])
    totals = {r.get("mirror_total_kb") for r in rounds}
    ranges = {r.get("ranges") for r in rounds}
    report(len(rounds) > 1 and len(totals) == 1 and int(rounds[0]["mirror_total_kb"]) > 400 * 1024,
           f"{name}: MirrorTotal unchanged across kexec ({rounds[0].get('mirror_total_kb') if rounds else '?'} kB)",
           f"{rounds}")
    report(len(rounds) > 1 and ranges == {declared},
           f"{name}: /sys/kernel/mm/mirror/ranges is the firmware's {declared} after every kexec", f"{rounds}")
    # round 0 learns the ranges from EFI, every later one from the
    # setup_data entry that kexec_file_load passed (kvm-patches 0014)
    efi = g.dmesg(r"efi: Memory: 512M/\d+M mirrored memory")
    handed = g.dmesg(r"mirror: 512M mirrored memory handed over by kexec \(1 ranges\)")
    report(len(efi) == 1 and len(handed) == KEXEC_ROUNDS,
           f"{name}: the first kernel found the mirror in EFI, the {KEXEC_ROUNDS} others in what kexec handed over",
           "\n".join(l for l in g.lines if "mirror" in l))
    # what a VMM after a live update needs: MFD_MIRROR pages in those ranges
    checks, status, ok = guest_checks(g)
    report(ok, f"{name}: MFD_MIRROR on the last kernel: 64 MiB, every PFN in the handed-over ranges "
           f"({len(checks)} checks in the guest)", "\n".join(checks + status)[-800:])


def test_pram(kexec_guest, why, ballast=False):
    """Memfds handed to the next kernel in place (/dev/pram, kvm-patches 0015);
    with @ballast most of free memory is preserved too (a stress run: see
    the known issue in kvm-patches/README)."""
    name = "PRAM: memfds across kexec" + (" (ballast)" if ballast else "")
    if kexec_guest is None:
        gt.skip(name, why)
        return
    g = kexec_guest
    flags = BASE + ["--mirror", "512M@0x100000000"]
    if not boot(g, name, flags, "kernelcore=mirror retain_initrd mvm.exec=/bin/pram-test" +
                (" mvm.pram_ballast=1" if ballast else ""), timeout=600):
        return
    rounds = [r.get("n") for r in g.records("PRAMROUND")]
    report(rounds == ["0", "1", "2", "3", "4", "5"], f"{name}: six kernels came up (rounds {rounds})",
           "\n".join(g.lines)[-1500:])
    checks, status, ok = guest_checks(g)
    report(ok and len(checks) >= 36 + ballast, f"{name}: the probe's {len(checks)} checks in the guest "
           "(refusals, same data and PFNs, mirrored pages stay mirrored, EIO without kernelcore=mirror)",
           "\n".join(checks + status)[-1500:])
    # a kernel without hugetlbfs cannot make the memfd to refuse
    nohuge = [l for l in g.lines if l.startswith("NOTE no hugetlb memfd")]
    huge = [l for l in checks if "a hugetlb memfd is refused" in l]
    if nohuge:
        gt.skip(f"{name}: a hugetlb memfd is refused (EOPNOTSUPP)",
                f"this kernel has no hugetlbfs: {nohuge[0]}")
    else:
        report(len(huge) == 2 and all(l.startswith("PASS") for l in huge),
               f"{name}: a hugetlb memfd is refused (EOPNOTSUPP), in both rounds that preserve", f"{huge}")
    # what the kernels said: reserved early, and a pram= without a super block refused
    reserved = g.dmesg(r"pram: reserved \d+ pages of [34] files")
    refused = g.dmesg(r"pram: pram=0x12345: no super block, nothing preserved")
    handed = [l for l in g.lines if "preserved memfds" in l and "go to the new kernel" in l]
    report(len(reserved) == 2 and len(refused) == 1 and len(handed) == 2,
           f"{name}: mirrorvm kexec handed the memfds over twice, both kernels reserved them early, "
           "the bad pram= was refused and that kernel came up", "\n".join(l for l in g.lines if "pram" in l))
    # forged metadata (pram-probe forge): refused, and the kernels came up
    forged = {r.get("kind"): r.get("pfn") for r in g.records("FORGED")}
    crc = g.dmesg(rf"pram: pram={forged.get('bad-crc')}: bad checksum, nothing preserved")
    early = g.dmesg(rf"pram: reserved 0 pages of 1 files and 2 metadata pages in [12] extents")
    table = g.dmesg(r"pram: file 0x5: table page 0x[0-9a-f]+ is corrupt")
    kept = g.dmesg(r"pram: the metadata does not describe the reserved memory exactly; 2 pages stay reserved")
    report(set(forged) == {"bad-crc", "bad-table"} and len(crc) == 1,
           f"{name}: a super block with a bad checksum is refused at once, that kernel came up",
           f"{forged}\n" + "\n".join(l for l in g.lines if "pram" in l)[-1500:])
    report(len(early) == 1 and len(table) == 1 and len(kept) == 1,
           f"{name}: a valid super block whose table page is corrupt is reserved early and refused late "
           "(its 2 pages stay reserved), that kernel came up", "\n".join(l for l in g.lines if "pram" in l)[-1500:])


SELFTESTS = "tools/testing/selftests"


def build_selftests(tmp):
    """Linux's memfd_test (from linux-source-6.12) and the series'
    mfd_mirror_test (from its patch), built static in @tmp, and Linux's
    memory-hotplug selftest (a shell script): ({name: path}, why)."""
    hotplug = f"{SELFTESTS}/memory-hotplug/mem-on-off-test.sh"
    members = [f"{SELFTESTS}/kselftest.h", f"{SELFTESTS}/memfd/memfd_test.c", f"{SELFTESTS}/memfd/common.c",
               f"{SELFTESTS}/memfd/common.h", "include/uapi/linux/memfd.h", hotplug]
    src, why = gt.extract_linux_source(tmp, members)
    if not src:
        return {}, why
    # the patch that creates it (others may name it, e.g. in MAINTAINERS context)
    patch = [f for f in glob.glob(os.path.join(TOP, "kvm-patches", "*.patch"))
             if f"+++ b/{SELFTESTS}/memfd/mfd_mirror_test.c" in open(f).read()]
    if len(patch) != 1:
        return {}, f"no single kvm-patches patch adds mfd_mirror_test.c ({patch})"
    p = subprocess.run(["git", "apply", f"--include={SELFTESTS}/memfd/mfd_mirror_test.c", patch[0]],
                       cwd=src, capture_output=True, text=True)
    if p.returncode:
        return {}, f"git apply {os.path.basename(patch[0])}: {p.stderr[-300:]}"
    # memfd_test wants the 6.12 uapi header (MFD_EXEC) but nothing else of the tree
    khdr = os.path.join(tmp, "khdr", "linux")
    os.makedirs(khdr)
    shutil.copy(os.path.join(src, "include/uapi/linux/memfd.h"), khdr)
    d = os.path.join(src, SELFTESTS, "memfd")
    out = {"mem-on-off-test.sh": os.path.join(src, hotplug), "mem-on-off": os.path.join(HERE, "mem-on-off.sh")}
    for name, files, extra in (("memfd_test", ["memfd_test.c", "common.c"], ["-I", os.path.dirname(khdr)]),
                               ("mfd_mirror_test", ["mfd_mirror_test.c"], [])):
        out[name] = os.path.join(tmp, name)
        p = subprocess.run(["gcc", "-static", "-O2", "-D_FILE_OFFSET_BITS=64", "-o", out[name]] + extra
                           + [os.path.join(d, f) for f in files], capture_output=True, text=True)
        if p.returncode:
            return {}, f"gcc {name}: {p.stderr[-400:]}"
    return out, ""


def test_selftests(g, built, why):
    """Linux's memfd selftest, the series' MFD_MIRROR selftest and Linux's
    memory-hotplug selftest in a patched guest."""
    if not built:
        gt.skip("kselftests memfd_test, mfd_mirror_test and mem-on-off-test.sh", why)
        return
    flags = BASE + ["--mirror", "512M@0x100000000"]
    # (label, kernel parameter, program, the line that says it passed, exit
    # status: kselftest's 0 for pass, 4 for skip)
    for label, opt, prog, want, rc in (
            ("selftest memfd_test (kernelcore=mirror)", "kernelcore=mirror", "memfd_test", "memfd: DONE", 0),
            ("selftest mfd_mirror_test (kernelcore=mirror)", "kernelcore=mirror", "mfd_mirror_test",
             "# Totals: pass:7 fail:0 xfail:0 xpass:0 skip:0 error:0", 0),
            ("selftest mfd_mirror_test without mirror: skips", "", "mfd_mirror_test", "1..0 # SKIP", 4)):
        if not boot(g, label, flags, f"{opt} mvm.exec=/bin/{prog}"):
            continue
        status = [l for l in g.lines if l.startswith("EXEC status=")]
        tap = [l for l in g.lines if l.startswith(("ok ", "not ok ", "memfd: ", "# ", "1.."))]
        report(any(l.startswith(want) for l in g.lines) and status == [f"EXEC status={rc}"],
               f"{label}: '{want}', exit {rc}", "\n".join(tap + status)[-900:])
    test_memory_hotplug_selftest(g)


def test_memory_hotplug_selftest(g):
    """Linux's memory-hotplug selftest under kernelcore=mirror movable_node:
    a hotplug node, a node with mirrored and unmirrored memory.  It offlines
    and onlines blocks, with and without injected notifier errors; every
    block must come back online, in its zone or, where offlining moved the
    zone spans, in ZONE_MOVABLE."""
    flags = BASE + ["--node", "id=2,size=1G,hotplug=on", "--mirror", "512M@0x100000000"]
    name = "selftest mem-on-off-test.sh (kernelcore=mirror movable_node)"
    if not boot(g, name, flags, "kernelcore=mirror movable_node mvm.exec=/bin/mem-on-off,10"):
        return
    out = [l[len("MEMONOFF "):] for l in g.lines if l.startswith("MEMONOFF ")]
    status = [l for l in g.lines if l.startswith("EXEC status=")]
    moved = [l for l in out if l.startswith("online->offline")]
    report(status == ["EXEC status=0"] and moved and "-> Success" in out
           and any("Test with memory notifier error injection" in l for l in out)
           and not any(l.startswith("skip ") or "FAILED" in l or "unexpected" in l for l in out),
           f"{name}: exit 0, blocks offlined and onlined, the notifier error injection part ran",
           "\n".join(out + status)[-1200:])

    def listing(kind):
        return {r["id"]: (r["state"], r["zones"]) for r in g.records(kind)}
    before, after = listing("MEMONOFF-BEFORE"), listing("MEMONOFF-AFTER")
    # A block offlined at the edge of its kernel zone shrinks that zone's
    # span, and Linux onlines it again by the spans: with movable_node into
    # ZONE_MOVABLE (stock behaviour, for mirrored ZONE_NORMAL blocks too,
    # documented in mirror.rst), and ZONE_MOVABLE's span then reaches over
    # the next blocks, which follow it if they are offlined too.  Any other
    # change of zone is a fault; blocks coming back to ZONE_DMA32 is the
    # directed trial's.
    changed = {b: (before.get(b), after.get(b)) for b in set(before) | set(after) if before.get(b) != after.get(b)}
    report(before and set(before) == set(after) and all(s == "online" for s, _ in after.values())
           and all(a[1] == "Movable" and b[1] in ("DMA32", "Normal") for b, a in changed.values())
           and {"Movable", "Normal"} <= {z for _, z in after.values()},
           f"{name}: afterwards all {len(after)} blocks are online, ZONE_MOVABLE blocks still movable, "
           f"none in another kernel zone", f"changed {changed}")
    print(f"NOTE {name}: kernel-zone blocks that came back movable (spans moved by offlining): "
          f"{sorted(changed, key=int) or 'none'}")


TRIALS = ("both_options", "alone_unchanged", "leading_unmirrored_fixed", "movablemem_map", "no_mirror_fallback",
          "offline_under_mirror", "deferred_init", "many_ranges", "mfd_mirror", "mfd_mirror_migrate", "selftests", "kexec", "pram")


def kexec_setup(args, tmp):
    """An initramfs holding the kernel itself, a static mirrorvm, the kexec
    loop, the MFD_MIRROR probe (built in tmp by main()) and the PRAM test."""
    static = args.mirrorvm_static
    if not os.access(static, os.X_OK):
        r = subprocess.run(["make", "-s", "-C", TOP, "build/mirrorvm-static"], capture_output=True)
        if r.returncode:
            return None, f"no static mirrorvm: {r.stderr.decode(errors='replace')[-300:]}"
    initrd = os.path.join(tmp, "kexec.gz")
    pram_probe = os.path.join(tmp, "pram-probe")
    subprocess.run(["gcc", "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-std=gnu11", "-o", pram_probe,
                    os.path.join(HERE, "pram-probe.c")], check=True)
    subprocess.run([os.path.join(TOP, "scripts", "build-initramfs.sh"), initrd,
                    "--add", f"{pram_probe}:bin/pram-probe",
                    "--add", f"{os.path.join(HERE, 'pram-test.sh')}:bin/pram-test",
                    "--add", f"{static}:bin/mirrorvm", "--add", f"{args.kernel}:boot/bzImage",
                    "--add", f"{os.path.join(tmp, 'mirror-alloc-probe')}:bin/mirror-alloc-probe",
                    "--add", f"{os.path.join(HERE, 'kexec-loop.sh')}:bin/kexec-loop"], check=True)
    return gt.Guest(args.mirrorvm, args.kernel, initrd), ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--mirrorvm", default=os.path.join(TOP, "build", "mirrorvm"))
    ap.add_argument("--mirrorvm-static", default=os.path.join(TOP, "build", "mirrorvm-static"),
                    help="the static mirrorvm that runs inside the guest (kexec trial)")
    ap.add_argument("--label", default="", help="put [LABEL] before every test name (the kernel's flavour)")
    ap.add_argument("--pram-ballast", action="store_true",
                    help="pram trial: preserve most of free memory too (stress; not in make check)")
    ap.add_argument("--only", help="comma-separated trial names, e.g. offline_under_mirror (debugging)")
    args = ap.parse_args()
    if args.label:
        gt.name_prefix = f"[{args.label}] "
    only = set(args.only.split(",")) if args.only else None
    if only and only - set(TRIALS):
        ap.error(f"--only: no trial named {', '.join(sorted(only - set(TRIALS)))} (trials: {', '.join(TRIALS)})")
    kdir = subprocess.run([os.path.join(TOP, "scripts", "fetch-debian-kernel.sh")],
                          capture_output=True, check=True).stdout.decode().strip()
    stock_kernel = [os.path.join(kdir, "boot", f) for f in os.listdir(os.path.join(kdir, "boot"))
                    if f.startswith("vmlinuz")][0]
    with tempfile.TemporaryDirectory() as tmp:
        probe = os.path.join(tmp, "mirror-alloc-probe")
        subprocess.run(["gcc", "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-std=gnu11", "-o", probe,
                        os.path.join(TOP, "tests", "guest", "mirror-alloc-probe.c")], check=True)
        initrd = os.path.join(tmp, "initrd.gz")
        selftests, why = build_selftests(tmp)
        subprocess.run([os.path.join(TOP, "scripts", "build-initramfs.sh"), initrd,
                        "--add", f"{probe}:bin/mirror-alloc-probe",
                        "--add", f"{os.path.join(HERE, 'mirror-stats.sh')}:bin/mirror-stats"]
                       + [a for name, path in selftests.items() for a in ("--add", f"{path}:bin/{name}")],
                       check=True)
        stock_initrd = os.path.join(tmp, "stock.gz")
        subprocess.run([os.path.join(TOP, "scripts", "build-initramfs.sh"), stock_initrd,
                        "--modules-from", kdir, "--module", "pvpanic.ko", "--module", "pvpanic-mmio.ko"],
                       check=True)
        g = gt.Guest(args.mirrorvm, args.kernel, initrd)
        kexec_guest, kexec_why = None, ""
        if only is None or "kexec" in only or "pram" in only:
            kexec_guest, kexec_why = kexec_setup(args, tmp)
        stock = gt.Guest(args.mirrorvm, stock_kernel, stock_initrd)
        trials = [("both_options", lambda: test_both_options(g, stock)),
                  ("alone_unchanged", lambda: test_alone_unchanged(g, stock)),
                  ("leading_unmirrored_fixed", lambda: test_leading_unmirrored_fixed(g)),
                  ("movablemem_map", lambda: test_movablemem_map(g)),
                  ("no_mirror_fallback", lambda: test_no_mirror_fallback(g)),
                  ("offline_under_mirror", lambda: test_offline_under_mirror(g)),
                  ("deferred_init", lambda: test_deferred_init(g)),
                  ("many_ranges", lambda: test_many_ranges(g)),
                  ("mfd_mirror", lambda: test_mfd_mirror(g)),
                  ("mfd_mirror_migrate", lambda: test_mfd_mirror_migrate(g)),
                  ("selftests", lambda: test_selftests(g, selftests, why)),
                  ("kexec", lambda: test_kexec(kexec_guest, kexec_why)),
                  ("pram", lambda: test_pram(kexec_guest, kexec_why, args.pram_ballast))]
        assert [n for n, _ in trials] == list(TRIALS)
        for trial_name, trial in trials:
            if only is None or trial_name in only:
                trial()
    r = gt.results
    print(f"kernel-guest: {r['pass']} passed, {r['fail']} failed, {r['skip']} skipped")
    return 1 if r["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
