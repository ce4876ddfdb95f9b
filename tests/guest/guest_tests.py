#!/usr/bin/env python3
"""Guest trials: boot Debian's stock 6.12 cloud kernel under mirrorvm's QEMU
engine and check what Linux itself reports against the layout mirrorvm
says it built (--dump-firmware's layout.json).

Usage: guest_tests.py [--mirrorvm PATH] [--only NAME]
Prints PASS/FAIL/SKIP lines and ends with "guest: N passed, M failed".
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
G = 1 << 30
M = 1 << 20
HOLE_START, HOLE_END = 3 * G, 4 * G
PAGE = 4096
MAX_ORDER_PAGES = 1024          # zone_movable_pfn is rounded up to this

results = {"pass": 0, "fail": 0, "skip": 0}
# Put before every test name, e.g. "[host] " when the same trials run on
# two builds of a kernel.
name_prefix = ""


def report(ok, name, why=""):
    if ok:
        results["pass"] += 1
        print(f"PASS {name_prefix}{name}", flush=True)
    else:
        results["fail"] += 1
        print(f"FAIL {name_prefix}{name}: {why}", flush=True)


def skip(name, why):
    results["skip"] += 1
    print(f"SKIP {name_prefix}{name}: {why}", flush=True)


LINUX_SOURCE = "/usr/src/linux-source-6.12.tar.xz"     # Debian's linux-source-6.12


def extract_linux_source(dest, members):
    """Extracts @members (paths inside the kernel tree) of the installed
    linux-source tarball into @dest: (the tree's root there, "") or
    (None, why not)."""
    if not os.path.exists(LINUX_SOURCE):
        return None, f"{LINUX_SOURCE} missing"
    p = subprocess.run(["tar", "-xJf", LINUX_SOURCE, "-C", dest] + [f"linux-source-6.12/{m}" for m in members],
                       capture_output=True, text=True)
    if p.returncode:
        return None, f"tar: {p.stderr[-300:]}"
    return os.path.join(dest, "linux-source-6.12"), ""


class Model:
    """The guest-physical layout of @flags, as mirrorvm itself lays it out:
    read from --dump-firmware's layout.json (the layout's rules are tested in
    tests/unit/test-layout.c and its output has golden files in tests/fw)."""

    mirrorvm = os.environ.get("MIRRORVM", os.path.join(TOP, "build", "mirrorvm"))

    def __init__(self, flags):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "fw")
            subprocess.run([self.mirrorvm, "run"] + list(flags) + ["--dump-firmware", out],
                           check=True, stdin=subprocess.DEVNULL, capture_output=True)
            with open(os.path.join(out, "layout.json")) as f:
                lay = json.load(f)
        self.layout = lay
        self.nodes = [{"id": n["id"], "size": n["size"], "mirror": n["reliable"],
                       "hotplug": n["hotplug"]} for n in lay["nodes"]]
        self.ram = sorted((r["start"], r["start"] + r["size"], n["id"])
                          for n in lay["nodes"] for r in n["ram"])
        self.ram_end = lay["ram_end"]
        self.reliable = [(r["start"], r["start"] + r["size"]) for r in lay["reliable"]]
        self.units = lay["units"]
        self._block_size = lay["block_size"]

    def node_ranges(self, nid):
        return [(s, e) for s, e, n in self.ram if n == nid]

    def total(self):
        return sum(n["size"] for n in self.nodes)

    def reliable_total(self):
        return sum(e - s for s, e in self.reliable)

    def block_size(self):
        return self._block_size


def intersect(a, b):
    out = []
    for s1, e1 in a:
        for s2, e2 in b:
            s, e = max(s1, s2), min(e1, e2)
            if s < e:
                out.append((s, e))
    return sorted(out)


def subtract(a, b):
    out = []
    for s, e in a:
        pieces = [(s, e)]
        for bs, be in b:
            nxt = []
            for ps, pe in pieces:
                if be <= ps or bs >= pe:
                    nxt.append((ps, pe))
                    continue
                if ps < bs:
                    nxt.append((ps, bs))
                if be < pe:
                    nxt.append((be, pe))
            pieces = nxt
        out += pieces
    return sorted(out)


def pages(ranges):
    return sum(e - s for s, e in ranges) // PAGE


class Guest:
    def __init__(self, mirrorvm, kernel, initrd):
        self.mirrorvm, self.kernel, self.initrd = mirrorvm, kernel, initrd

    def run(self, flags, cmdline, timeout=180):
        cmd = [self.mirrorvm, "run", "--engine", "qemu", "--kernel", self.kernel,
               "--initrd", self.initrd, "--cmdline", "console=ttyS0 quiet loglevel=4 " + cmdline] + flags
        t0 = time.time()
        try:
            p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=timeout)
            rc, out, err = p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired as e:
            rc, out, err = None, (e.stdout or b"").decode(errors="replace"), (e.stderr or b"").decode(errors="replace")
        self.elapsed = time.time() - t0
        self.rc, self.out, self.err = rc, out, err
        body = out.split("MVM-BEGIN", 1)[-1].split("MVM-END", 1)[0] if "MVM-BEGIN" in out else ""
        self.lines = body.splitlines()
        return rc

    def records(self, kind):
        recs = []
        for line in self.lines:
            if line.startswith(kind + " "):
                recs.append(dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv))
        return recs

    def dmesg(self, pattern):
        return [l for l in self.lines if l.startswith("DMESG") and re.search(pattern, l)]

    def why(self):
        tail = "\n".join(self.out.splitlines()[-15:])
        return f"exit {self.rc} after {self.elapsed:.1f}s; stderr: {self.err.strip()[-300:]}; output tail:\n{tail}"


def boot(g, name, flags, cmdline, timeout=180):
    """Runs a guest and reports whether it booted and printed its probe."""
    rc = g.run(flags, cmdline, timeout=timeout)
    ok = rc == 0 and bool(g.lines)
    report(ok, f"{name} boot ({g.elapsed:.1f}s)", g.why())
    return ok


def zones_by_node(g):
    z = {}
    for r in g.records("ZONE"):
        z.setdefault(int(r["node"]), {})[r["zone"]] = {k: int(r[k]) for k in ("start_pfn", "spanned", "present")}
    return z


def test_kernelcore_mirror(g):
    flags = ["--cpus", "2",
             "--node", "id=0,size=2G,cpus=0-1", "--node", "id=1,size=3G",
             "--node", "id=2,size=2G", "--node", "id=3,size=1G,mirror=on",
             "--mirror", "256M@0x10000000", "--mirror", "512M@0x100000000",
             "--mirror", "256M@0x160000000", "--mirror", "1G@0x1c0000000"]
    m = Model(flags)
    name = "kernelcore=mirror"
    if not boot(g, name, flags, "kernelcore=mirror mvm.probe=zones,nodes"):
        return
    want = f"Memory: {m.reliable_total() >> 20}M/{m.total() >> 20}M mirrored memory"
    report(bool(g.dmesg(re.escape(want))), f"{name} dmesg '{want}'",
           "dmesg says: " + "; ".join(g.dmesg("mirrored memory")))
    zones = zones_by_node(g)
    for n in m.nodes:
        nid = n["id"]
        above = intersect(m.node_ranges(nid), [(HOLE_END, 1 << 62)])
        if not above:
            continue
        mirrored = intersect(above, m.reliable)
        unmirrored = subtract(above, m.reliable)
        z = zones.get(nid, {})
        normal = z.get("Normal", {}).get("present", 0)
        movable = z.get("Movable", {})
        # Linux 6.12 (mm/mm_init.c adjust_zone_range_for_zone_movable): under
        # kernelcore=mirror ZONE_NORMAL spans the node from 4G unless the node
        # begins above 4G with unmirrored memory; then ZONE_NORMAL is empty
        # and the mirrored pages above it are present in no zone at all.
        lost = bool(unmirrored) and unmirrored[0][0] == above[0][0]
        want_normal = 0 if lost else pages(mirrored)
        label = (f"Normal present == 0: stock 6.12 drops the {pages(mirrored)} mirrored pages above "
                 f"the node's leading unmirrored range" if lost else
                 f"Normal present == mirrored pages above 4G ({pages(mirrored)})")
        report(normal == want_normal, f"{name} node {nid} {label}", f"zoneinfo says {normal}")
        report(movable.get("present", 0) == pages(unmirrored),
               f"{name} node {nid} Movable present == unmirrored pages above 4G ({pages(unmirrored)})",
               f"zoneinfo says {movable.get('present', 0)}")
        if unmirrored:
            start = unmirrored[0][0] // PAGE
            start = -(-start // MAX_ORDER_PAGES) * MAX_ORDER_PAGES
            report(movable.get("start_pfn") == start and movable.get("spanned", 0) > 0,
                   f"{name} node {nid} ZONE_MOVABLE starts at first unmirrored page above 4G (pfn {start:#x})",
                   f"zoneinfo says {movable}")


def test_movable_node(g):
    flags = ["--cpus", "2", "--node", "id=0,size=2G,cpus=0-1",
             "--node", "id=1,size=1G,hotplug=on", "--node", "id=2,size=1G,hotplug=on"]
    m = Model(flags)
    name = "movable_node"
    if not boot(g, name, flags, "movable_node mvm.probe=zones,blocks,memdevs,offline:1,offline:2,blocks "
                "mvm.exec=ls,/sys/bus/platform/drivers/acpi-ged"):
        return
    # The firmware has a memory device per unplug unit (one memory block by
    # default).  Nothing answers their registers under the QEMU engine:
    # Linux lists each with _STA 0 and binds no memory block to it.  Under
    # the KVM engine each is present (_STA 0xF) and acpi_memhotplug binds
    # exactly the unit's boot memory blocks to it.
    devs = {int(d["uid"]): d for d in g.records("MEMDEV")}
    bs = m.block_size()
    if getattr(g, "engine", "qemu") == "qemu":
        report(len(devs) == len(m.units) and sorted(devs) == [u["id"] for u in m.units]
               and all(d["status"] == "0" and d["blocks"] == "0" for d in devs.values()),
               f"{name}: {len(m.units)} ACPI memory devices, none present under the qemu engine",
               f"{list(devs.values())[:3]} {g.records('MEMDEVS')}")
    else:
        bad = [(u["id"], devs.get(u["id"])) for u in m.units
               if devs.get(u["id"], {}).get("status") != "15"
               or int(devs[u["id"]]["blocks"]) != u["size"] // bs
               or int(devs[u["id"]]["first"]) != u["gpa"] // bs]
        report(len(devs) == len(m.units) and not bad,
               f"{name}: {len(m.units)} ACPI memory devices present, each bound to its unit's memory blocks",
               f"{bad[:3]} {g.records('MEMDEVS')}")
    # hotplug nodes come with a Generic Event Device; Linux's GED driver binds
    report(any("ACPI0013:00" in l for l in g.lines) and "EXEC status=0" in g.lines,
           f"{name}: Linux's GED driver binds the Generic Event Device",
           f"{[l for l in g.lines if 'ACPI' in l or 'EXEC' in l]}")
    zones = zones_by_node(g)
    for n in m.nodes:
        nid = n["id"]
        z = zones.get(nid, {})
        kernel_present = sum(v["present"] for k, v in z.items() if k != "Movable")
        movable = z.get("Movable", {}).get("present", 0)
        if n["hotplug"]:
            report(kernel_present == 0 and movable == n["size"] // PAGE,
                   f"{name} node {nid} entirely ZONE_MOVABLE ({n['size'] // PAGE} pages)",
                   f"zones {z}")
        else:
            report(movable == 0, f"{name} node {nid} has no ZONE_MOVABLE", f"zones {z}")
    bs = g.records("BLOCKSIZE")
    report(bool(bs) and int(bs[0]["bytes"], 16) == m.block_size(),
           f"{name} memory block size {m.block_size() >> 20}M", f"guest says {bs}")
    for n in m.nodes:
        if not n["hotplug"]:
            continue
        off = [r for r in g.records("OFFLINE") if int(r["node"]) == n["id"]]
        nblocks = n["size"] // m.block_size()
        report(bool(off) and int(off[0]["blocks"]) == nblocks and int(off[0]["ok"]) == nblocks
               and int(off[0]["failed"]) == 0,
               f"{name} node {n['id']}: all {nblocks} memory blocks offlined",
               f"probe says {off} {[l for l in g.lines if 'OFFLINE-FAIL' in l][:3]}")
    # after offlining, every block of those nodes reads back offline
    states = g.records("BLOCK")[-(m.total() // m.block_size()):]
    hot = {n["id"] for n in m.nodes if n["hotplug"]}
    bad = [s for s in states if int(s["node"]) in hot and s["state"] != "offline"]
    report(not bad and states, f"{name} hotplug blocks read back offline", f"{bad[:3]}")


def test_big_guest(g):
    flags = ["--cpus", "2", "--node", "id=0,size=2G,cpus=0", "--node", "id=1,size=128G,cpus=1"]
    m = Model(flags)
    name = "130G two-node guest"
    if not boot(g, name, flags, "mvm.probe=nodes,blocks", timeout=300):
        return
    nodes = {int(r["id"]): int(r["memtotal_kb"]) << 10 for r in g.records("NODE")}
    report(sorted(nodes) == [0, 1], f"{name} reports nodes 0 and 1", f"{nodes}")
    for n in m.nodes:
        got = nodes.get(n["id"], 0)
        # MemTotal excludes the kernel image, memmap and other boot allocations
        report(n["size"] * 0.95 <= got <= n["size"], f"{name} node {n['id']} MemTotal ~{n['size'] >> 30}G",
               f"guest says {got >> 20}M")
    bs = g.records("BLOCKSIZE")
    report(bool(bs) and int(bs[0]["bytes"], 16) == m.block_size(),
           f"{name} memory block size {m.block_size() >> 20}M (RAM ends at {m.ram_end >> 30}G)",
           f"guest says {bs}")


def test_endings(g):
    cases = [("poweroff", 0), ("reboot", 0), ("exit:42", 42), ("exit:0", 0), ("panic", 2)]
    for end, want in cases:
        rc = g.run([], f"mvm.end={end}", timeout=120)
        report(rc == want, f"guest end '{end}' -> mirrorvm exit {want} ({g.elapsed:.1f}s)", g.why())
    report("panicked (pvpanic)" in g.err, "a panic after /init loaded pvpanic-mmio is reported through pvpanic",
           g.err[-300:])
    # before /init: Debian's pvpanic driver is a module, not loaded yet
    rc = g.run([], "rdinit=/nonexistent", timeout=120)
    report(rc == 2 and "its console shows the end of a panic report" in g.err
           and "end Kernel panic" in g.out,
           f"a panic before /init (no pvpanic driver) -> exit 2, report shown ({g.elapsed:.1f}s)", g.why())


def test_engine_auto(g):
    cmd = [g.mirrorvm, "run", "--kernel", g.kernel, "--initrd", g.initrd,
           "--cmdline", "console=ttyS0 quiet mvm.end=exit:7"]
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    err = p.stderr.decode()
    report(p.returncode == 7 and "engine auto: using qemu" in err,
           "--engine auto picks an engine and says which on stderr", f"exit {p.returncode}; {err[-300:]}")


TESTS = {"mirror": test_kernelcore_mirror, "movable": test_movable_node,
         "big": test_big_guest, "endings": test_endings, "auto": test_engine_auto}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirrorvm", default=os.path.join(TOP, "build", "mirrorvm"))
    ap.add_argument("--only", action="append")
    args = ap.parse_args()
    unknown = set(args.only or []) - set(TESTS)
    if unknown:
        ap.error(f"--only {', '.join(sorted(unknown))}: no such trial (trials: {', '.join(TESTS)})")
    try:
        kdir = subprocess.run([os.path.join(TOP, "scripts", "fetch-debian-kernel.sh")],
                              capture_output=True, check=True).stdout.decode().strip()
    except subprocess.CalledProcessError as e:
        skip("guest trials", "no Debian 6.12 cloud kernel: " + e.stderr.decode().strip())
        print(f"guest: {results['pass']} passed, {results['fail']} failed, {results['skip']} skipped")
        return 0
    kernel = [os.path.join(kdir, "boot", f) for f in os.listdir(os.path.join(kdir, "boot"))
              if f.startswith("vmlinuz")][0]
    with tempfile.TemporaryDirectory() as tmp:
        initrd = os.path.join(tmp, "initrd.gz")
        subprocess.run([os.path.join(TOP, "scripts", "build-initramfs.sh"), initrd,
                        "--modules-from", kdir, "--module", "pvpanic.ko", "--module", "pvpanic-mmio.ko"],
                       check=True)
        Model.mirrorvm = args.mirrorvm
        g = Guest(args.mirrorvm, kernel, initrd)
        for name, fn in TESTS.items():
            if args.only and name not in args.only:
                continue
            fn(g)
    print(f"guest: {results['pass']} passed, {results['fail']} failed, {results['skip']} skipped")
    return 1 if results["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
