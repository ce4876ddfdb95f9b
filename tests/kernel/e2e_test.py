#!/usr/bin/env python3
"""End to end with the kvm-patches kernel at both levels.

L1 = the patched kernel under mirrorvm's QEMU engine with mirror firmware,
running mirrorvm's KVM engine; L2 = the same kernel with kernelcore=mirror
and movable_node together.  Checks L2's zones and that L1's placement report
shows every resident page of L2's reliable ranges in L1's mirrored memory,
through MFD_MIRROR; then an L2 snapshotted and restored in such an L1 is
backed by mirrored memory again.

Usage: e2e_test.py --kernel PATCHED_BZIMAGE [--mirrorvm PATH] [--static PATH]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "guest"))
sys.path.insert(0, os.path.join(TOP, "tests", "nested"))
import guest_tests as gt  # noqa: E402
import nested_test as nt  # noqa: E402
from guest_tests import M, PAGE, HOLE_END, report, intersect, subtract, pages  # noqa: E402

L1_FLAGS = ["--cpus", "2", "--node", "id=0,size=2G,cpus=0-1", "--node", "id=1,size=2G,mirror=on",
            "--mirror", "256M@0x10000000"]
L1_CMDLINE = "console=ttyS0 quiet loglevel=4 kernelcore=mirror mvm.end=poweroff"
L2_FLAGS = ["--cpus", "2", "--node", "id=0,size=2G,cpus=0-1", "--node", "id=1,size=1280M",
            "--node", "id=2,size=256M,hotplug=on",
            "--mirror", "64M@0x8000000", "--mirror", "128M@0x100000000"]
L2_CMDLINE = nt.CMDLINE + "kernelcore=mirror movable_node mvm.probe=zones,blocks,offline:2"
# the snapshot trial's L2: reliable memory where its kernel is loaded (16M), so
# some of it is resident for sure; no unplug units (not saved yet)
SNAP_L2_FLAGS = ["--cpus", "1", "--node", "id=0,size=512M", "--mirror", "64M@0x1000000"]
# the live update trial's L2: the same, its RAM in memfds (live update needs them)
LU_L2_FLAGS = ["--cpus", "1", "--node", "id=0,size=512M,backing=memfd", "--mirror", "64M@0x1000000",
               "--host-mirror=required"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--mirrorvm", default=os.path.join(TOP, "build", "mirrorvm"))
    ap.add_argument("--static", default=os.path.join(TOP, "build", "mirrorvm-static"))
    ap.add_argument("--kexec-kernel", help="the kernel L1 live-updates into (default: --kernel)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as work:
        l2 = os.path.join(work, "l2.cpio.gz")
        subprocess.run([os.path.join(TOP, "scripts", "build-initramfs.sh"), l2], check=True)
        cases = os.path.join(work, "cases")
        with open(cases, "w") as f:
            f.write("e2e|" + " ".join(L2_FLAGS + ["--host-mirror=required", "--placement-report=-"]) +
                    "|" + L2_CMDLINE + "\n")
        l1 = os.path.join(work, "l1.cpio.gz")
        subprocess.run([os.path.join(TOP, "scripts", "build-initramfs.sh"), l1,
                        "--add", args.static + ":/bin/mirrorvm", "--add", args.kernel + ":/nested/bzImage",
                        "--add", l2 + ":/nested/initrd.gz",
                        "--add", os.path.join(TOP, "tests", "nested", "l1-run.sh") + ":/bin/mvm-extra",
                        "--add", cases + ":/nested/cases"], check=True)
        t0 = time.time()
        rc, out, err = nt.run([args.mirrorvm, "run", "--engine", "qemu", "--kernel", args.kernel,
                               "--initrd", l1, "--cmdline", L1_CMDLINE] + L1_FLAGS, timeout=600)
        # snapshot and restore of an L2 whose reliable ranges L1 backs with
        # mirrored memory (MFD_MIRROR): the restored one must be backed so too
        l2s = os.path.join(work, "l2s.cpio.gz")
        subprocess.run([os.path.join(TOP, "scripts", "build-initramfs.sh"), l2s,
                        "--add", os.path.join(TOP, "tests", "nested", "l2-extra.sh") + ":/bin/mvm-extra"],
                       check=True)
        only = os.path.join(work, "snapshot-only")
        with open(only, "w") as f:
            f.write(" ".join(SNAP_L2_FLAGS + ["--host-mirror=required"]) + "\n--placement-report=-\n")
        empty = os.path.join(work, "empty")      # no L2 cases: the snapshot trial only
        open(empty, "w").close()
        l1s = os.path.join(work, "l1s.cpio.gz")
        subprocess.run([os.path.join(TOP, "scripts", "build-initramfs.sh"), l1s,
                        "--add", args.static + ":/bin/mirrorvm", "--add", args.kernel + ":/nested/bzImage",
                        "--add", l2s + ":/nested/initrd.gz",
                        "--add", os.path.join(TOP, "tests", "nested", "l1-run.sh") + ":/bin/mvm-extra",
                        "--add", os.path.join(TOP, "tests", "nested", "pause-test.sh") + ":/nested/pause-test.sh",
                        "--add", nt.build_static(work, os.path.join(TOP, "tests", "nested", "mvm-pty.c"))
                        + ":/bin/mvm-pty",
                        "--add", empty + ":/nested/cases",
                        "--add", only + ":/nested/snapshot-only"], check=True)
        srun = nt.run([args.mirrorvm, "run", "--engine", "qemu", "--kernel", args.kernel,
                       "--initrd", l1s, "--cmdline", L1_CMDLINE] + L1_FLAGS, timeout=600)
        # live update: the same kind of L2 kept in place while L1 kexecs
        lu_flags = os.path.join(work, "lu-flags")
        with open(lu_flags, "w") as f:
            f.write(" ".join(LU_L2_FLAGS) + "\n")
        l1lu = os.path.join(work, "l1lu.cpio.gz")
        subprocess.run([os.path.join(TOP, "scripts", "build-initramfs.sh"), l1lu,
                        "--add", args.static + ":/bin/mirrorvm", "--add", args.kernel + ":/nested/bzImage",
                        "--add", (args.kexec_kernel or args.kernel) + ":/nested/next-bzImage",
                        "--add", l2s + ":/nested/initrd.gz",
                        "--add", os.path.join(HERE, "lu-test.sh") + ":/bin/mvm-extra",
                        "--add", lu_flags + ":/nested/lu-flags"], check=True)
        lurun = nt.run([args.mirrorvm, "run", "--engine", "qemu", "--kernel", args.kernel,
                        "--initrd", l1lu, "--cmdline", L1_CMDLINE + " retain_initrd"] + L1_FLAGS, timeout=900)
    check_snapshot(srun)
    check_live_update(lurun, args.kexec_kernel not in (None, args.kernel))
    got, kvm = nt.parse_l1(out)
    c = got.get("e2e")
    report(rc == 0 and bool(kvm) and kvm.startswith("NESTED-KVM ok") and c is not None,
           f"e2e: patched L1 (TCG) runs the KVM engine and powers off ({time.time() - t0:.0f}s)",
           f"exit {rc}; {kvm}; {out[-1200:]} {err[-300:]}")
    if not c:
        return finish()
    report(c["rc"] == 0, "e2e: L2 (patched, kernelcore=mirror + movable_node) ran with --host-mirror=required",
           f"rc {c['rc']}: {c['err'][-600:]}")
    # L2's zones, against the same model as every guest trial
    g = gt.Guest(None, None, None)
    g.lines = c["out"].split("MVM-BEGIN", 1)[-1].split("MVM-END", 1)[0].splitlines()
    m = gt.Model(L2_FLAGS)
    zones = gt.zones_by_node(g)
    above = intersect(m.node_ranges(1), [(HOLE_END, 1 << 62)])
    mirrored, unmirrored = intersect(above, m.reliable), subtract(above, m.reliable)
    z1 = zones.get(1, {})
    report(z1.get("Normal", {}).get("present") == pages(mirrored) and
           z1.get("Movable", {}).get("present") == pages(unmirrored),
           f"e2e L2: node 1 split at its mirrored range ({pages(mirrored)} Normal, {pages(unmirrored)} Movable pages)",
           f"{z1}")
    z2 = zones.get(2, {})
    report(sum(v["present"] for k, v in z2.items() if k != "Movable") == 0 and
           z2.get("Movable", {}).get("present") == 256 * M // PAGE,
           "e2e L2: hotplug node 2 entirely ZONE_MOVABLE", f"{z2}")
    off = g.records("OFFLINE")
    report(bool(off) and off[0]["ok"] == off[0]["blocks"] == "2" and off[0]["failed"] == "0",
           "e2e L2: node 2's memory blocks go offline", f"{off}")
    # L1's placement report
    rep = nt.placement_json(c["err"])
    report(rep is not None and rep["host_mirror"]["method"] == "mfd_mirror",
           "e2e L1: host mirror method is MFD_MIRROR (kvm-patches)", f"{rep and rep['host_mirror']}")
    if rep:
        for n in rep["nodes"]:
            if not n["reliable_bytes"]:
                continue
            report(n["reliable_resident_bytes"] > 0 and n["mirrored_bytes"] == n["reliable_resident_bytes"],
                   f"e2e L1: 100% of L2 node {n['id']}'s resident reliable memory is in L1 mirrored ranges "
                   f"({n['mirrored_bytes']} of {n['reliable_resident_bytes']} bytes)", f"{n}")
    return finish()


def check_snapshot(srun):
    rc, out, err = srun
    # nested_test's checks report into its own counts: count them here
    saved, nt.report = nt.report, report
    try:
        nt.check_snapshot_linux(out, "e2e")
    finally:
        nt.report = saved
    rep = nt.placement_json("\n".join(l[len("PT-SNAPSHOT-ERR2 "):] for l in out.replace("\r", "").splitlines()
                                      if l.startswith("PT-SNAPSHOT-ERR2 ")))
    nodes = [n for n in (rep or {}).get("nodes", []) if n["reliable_bytes"]]
    report(rep is not None and rep["host_mirror"]["method"] == "mfd_mirror" and nodes and
           all(n["reliable_resident_bytes"] > 0 and n["mirrored_bytes"] == n["reliable_resident_bytes"]
               for n in nodes),
           "e2e L1: after the restore, the placement report shows every resident reliable byte of L2 in "
           "L1's mirrored memory (MFD_MIRROR)", f"exit {rc}; {rep and rep.get('host_mirror')}; {nodes}; "
           f"{out[-800:]}")


def lu_steps(text):
    """The live update trial's "LU what value" lines, as {what: value}."""
    steps = {}
    for line in text.replace("\r", "").splitlines():
        if line.startswith("LU ") and len(line.split(" ", 2)) >= 2:
            parts = line.split(" ", 2)
            what, _, value = parts[1].partition("=")
            steps[what] = value if value else (parts[2] if len(parts) > 2 else "")
    return steps


def check_live_update(lurun, other_build):
    """An L2 kept in place while its L1 kexecs (lu-test.sh), into another
    build of the patched kernel if @other_build."""
    rc, out, err = lurun
    text = out.replace("\r", "")
    lines = text.splitlines()
    steps = lu_steps(text)
    tail = f"exit {rc}; " + " | ".join(l for l in lines if l.startswith(("LU", "mirrorvm:")))[-1500:]

    def out_of(n):
        return [l.split(" ", 1)[1] for l in lines if l.startswith(f"LU-OUT{n} ")]

    try:
        reply = json.loads(steps.get("live-update", "")).get("return", {})
    except ValueError:
        reply = {}
    report(bool(reply) and reply.get("memfds", 0) >= 2 and reply.get("copied-bytes") == 0 and
           steps.get("rc1") == "0",
           f"e2e live update: L2 paused at heartbeat 10, its {reply.get('memfds', '?')} RAM memfds "
           f"({reply.get('memory-bytes', 0) >> 20} MiB) and its state preserved in {reply.get('save-ms', '?')}"
           f"+{reply.get('preserve-ms', '?')} ms, 0 bytes copied, mirrorvm exited 0", tail)
    if not reply:
        return
    reserved = [l for l in lines if l.startswith("LU-DMESG") and "pram: reserved" in l]
    versions = [steps.get("kernel1"), steps.get("kernel2")]
    report("booted-at" in steps and len(reserved) == 1 and
           (versions[0] != versions[1] if other_build else versions[0] == versions[1]) and all(versions),
           f"e2e live update: L1 kexec'ed into {'another build of ' if other_build else ''}the patched kernel "
           f"({versions[1]}), which reserved the preserved memory at boot "
           f"({reserved[0].split('pram: ', 1)[1] if reserved else '?'})", f"kernels {versions}; " + tail)
    b1 = [int(l.split()[1]) for l in out_of(1) if l.startswith("HEARTBEAT ")]
    b2 = [int(l.split()[1]) for l in out_of(2) if l.startswith("HEARTBEAT ")]
    before = [l.split()[1] for l in out_of(1) if l.startswith("SUM-BEFORE")]
    after = [l.split()[1] for l in out_of(2) if l.startswith("SUM-AFTER")]
    report(b1 and b1 == list(range(1, len(b1) + 1)) and b2 == list(range(len(b1) + 1, 41)) and
           not any(l.startswith("MVM-BEGIN") for l in out_of(2)) and steps.get("rc2") == "0",
           f"e2e live update: the L2 restored in the new L1 kernel goes on from heartbeat {len(b1) + 1} "
           f"to 40 (no reboot, nothing lost or repeated) and powers off cleanly",
           f"before {b1[-3:]} after {b2[:3]}..{b2[-2:]}; " + tail)
    report(len(before) == 1 and after == before,
           "e2e live update: the checksum of 8 MiB of L2 data taken before the update verifies after it",
           f"before {before} after {after}")
    rep = nt.placement_json("\n".join(l[len("LU-ERR2 "):] for l in lines if l.startswith("LU-ERR2 ")))
    nodes = [n for n in (rep or {}).get("nodes", []) if n["reliable_bytes"]]
    report(rep is not None and rep["host_mirror"]["method"] == "mfd_mirror" and nodes and
           all(n["reliable_resident_bytes"] > 0 and n["mirrored_bytes"] == n["reliable_resident_bytes"]
               for n in nodes),
           "e2e live update: the placement report after the restore shows every resident reliable byte of L2 "
           "in the new L1 kernel's mirrored memory", f"{rep and rep.get('host_mirror')}; {nodes}")
    report("free again" in steps.get("finish", "") and "no VM of that name" in steps.get("restore-again", ""),
           "e2e live update: kexec --finish frees the rest; a second --live-restore of the same name is refused",
           f"finish {steps.get('finish')!r}; again {steps.get('restore-again')!r}")


def finish():
    r = gt.results
    print(f"kernel-e2e: {r['pass']} passed, {r['fail']} failed, {r['skip']} skipped")
    return 1 if r["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
