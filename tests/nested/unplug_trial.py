#!/usr/bin/env python3
"""scripts/unplug-trial: memory hot-unplug attempts by zone kind, as a table.

One L1 (Debian's 6.12 cloud kernel under mirrorvm's QEMU engine, TCG, with
kvm-amd), and in it one L2 per zone kind under mirrorvm's KVM engine.  The
hotplug node is one unplug unit; the guest (tests/nested/unplug-guest.sh,
mode trial) binds anonymous memory and a tmpfs file to it, and then the
host asks for the node N times, plugging it back after every success.

  movable_node     the guest boots with movable_node: the node is ZONE_MOVABLE
  movablemem_map   movablemem_map= names the node's range (kvm-patches; a
                   kernel without the series ignores it, and the row shows
                   the zone the node really got)
  kernel           neither: the node is kernel memory (ZONE_NORMAL), so an
                   unplug succeeds only when everything on it can move

For each: attempts, successes, request-to-released time per GiB (mean of
the successes), and mirrorvm's resident memory before and after the first
success.  A measurement, not a test: the exit status is 0 unless the trial
could not run or a checksum failed.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nested_test as nt  # noqa: E402  (L1 building, UT parsing)

KINDS = ("movable_node", "movablemem_map", "kernel")


def node0_mib(mib):
    """L2's node 0: at least 768M, and a multiple of the unit, so that the
    hotplug node after it starts on a unit boundary."""
    return -(-768 // mib) * mib


def size_mib(text):
    m = re.fullmatch(r"(\d+)([MG])", text)
    if not m:
        raise argparse.ArgumentTypeError(f"{text}: expected a size like 512M or 1G")
    v = int(m.group(1)) * (1024 if m.group(2) == "G" else 1)
    if v <= 0 or v % 128:
        raise argparse.ArgumentTypeError(f"{text}: must be a positive multiple of 128M (the memory block)")
    return v


def cases(mib, cycles, fill, backing):
    node1 = f"id=1,size={mib}M,hotplug=on,unplug-unit={mib}M,backing={backing},prefault=on"
    flags = ["--cpus", "2", "--node", f"id=0,size={node0_mib(mib)}M,cpus=0-1,prefault=on", "--node", node1]
    extra = {
        "movable_node": "movable_node",
        "movablemem_map": f"movablemem_map={mib}M@{node0_mib(mib) << 20:#x}",
        # re-plugged memory comes back as kernel memory too
        "kernel": "memhp_default_state=online",
    }
    return [(kind.replace("_", "-"), f"trial:{cycles}:1:{fill}", "1", "", extra[kind], flags, nt.L2_BZIMAGE)
            for kind in KINDS]


def released_kb(step, backing):
    return nt.host_drop(step, backing)


def resident_kb(mem, backing):
    if backing == "anon":
        return mem["anon"]
    if backing == "memfd":
        return mem["shmem"]
    return None     # hugetlb: the host's free pages tell, not the VMM's RSS


def main():
    ap = argparse.ArgumentParser(description="memory hot-unplug attempts by zone kind, as a table")
    ap.add_argument("--kernel", help="L2 kernel (default: Debian's 6.12 cloud kernel; movablemem_map= "
                    "needs the kvm-patches kernel: scripts/build-guest-kernel.sh prints its path)")
    ap.add_argument("--size", type=size_mib, default=size_mib("512M"),
                    help="the hotplug node, one unplug unit (default 512M)")
    ap.add_argument("--cycles", type=int, default=3, help="attempts per zone kind (default 3)")
    ap.add_argument("--fill", type=int, help="MiB the guest binds to the node (default: a quarter of it)")
    ap.add_argument("--backing", choices=["anon", "memfd", "hugetlb2m"], default="anon")
    ap.add_argument("--keep", help="keep the work directory here")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds for the whole L1 run")
    ap.add_argument("--from-log", help="print the table of a kept run's l1-console.log (with the same "
                    "--size, --cycles and --backing) instead of running one")
    args = ap.parse_args()
    if args.cycles < 1 or args.cycles > 50:
        ap.error(f"--cycles {args.cycles}: from 1 to 50")
    fill = args.fill if args.fill is not None else args.size // 4
    if fill < 2 or fill * 2 > args.size:
        ap.error(f"--fill {fill}: from 2 MiB to half of --size")
    if node0_mib(args.size) + args.size > 3072:
        ap.error(f"--size {args.size}M: the hotplug node must end below the PCI hole at 3G")
    if args.backing == "hugetlb2m" and args.size > 160:
        ap.error("--backing hugetlb2m: L1 reserves 80 huge pages of 2M for the trials, so --size 128M at most")

    if args.from_log:
        with open(args.from_log, errors="replace") as f:
            out = f.read()
    else:
        out = run_l1(args, fill)
    rows, notes, bad = table(out, args)
    print_table(rows, notes, args)
    return 1 if bad else 0


def run_l1(args, fill):
    """Builds L1 with one trial guest per zone kind, runs it, returns its console."""
    mvm = os.path.join(nt.TOP, "build", "mirrorvm")
    static = os.path.join(nt.TOP, "build", "mirrorvm-static")
    for b in (mvm, static):
        if not os.access(b, os.X_OK):
            sys.exit(f"unplug-trial: {b} is missing: run make all build/mirrorvm-static")
    kdir = subprocess.run([os.path.join(nt.TOP, "scripts", "fetch-debian-kernel.sh")],
                          capture_output=True, text=True, check=True).stdout.strip()
    l1_kernel = [os.path.join(kdir, "boot", f) for f in os.listdir(os.path.join(kdir, "boot"))
                 if f.startswith("vmlinuz")][0]
    l2_kernel = args.kernel or l1_kernel
    work = args.keep or tempfile.mkdtemp(prefix="mirrorvm-unplug-trial.")
    os.makedirs(work, exist_ok=True)
    try:
        trial = cases(args.size, args.cycles, fill, args.backing)
        l1, _ = nt.build_nested(work, kdir, l2_kernel, static, [], nt.build_tiny(work), False,
                                trial, pause=False)
        print(f"unplug-trial: {len(KINDS)} zone kinds x {args.cycles} attempts, a {args.size}M node "
              f"({args.backing}, {fill} MiB bound to it), L2 kernel {l2_kernel}; one L1 under TCG",
              file=sys.stderr, flush=True)
        rc, out, err = nt.run([mvm, "run", "--engine", "qemu", "--kernel", l1_kernel, "--initrd", l1,
                               "--cmdline", nt.L1_CMDLINE] + nt.L1_FLAGS, timeout=args.timeout)
        with open(os.path.join(work, "l1-console.log"), "w") as f:
            f.write(out + "\n--- stderr ---\n" + err)
        if rc != 0 or "NESTED-ALL-DONE" not in out:
            sys.exit(f"unplug-trial: L1 did not finish (exit {rc}); its console: {work}/l1-console.log"
                     if args.keep else f"unplug-trial: L1 did not finish (exit {rc}): {out[-1500:]}")
        return out
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def table(out, args):
    """The rows of the table from L1's console, notes on failures, and
    whether any guest's data or exit went wrong."""
    bad = False
    rows, notes = [], []
    for kind in KINDS:
        tag = kind.replace("_", "-")
        steps, js, guest, vrc = nt.ut_parse(out, tag)
        work_line = nt.ut_guest(guest, "workload")
        zones = work_line[0].get("zones", "?").strip("+") if work_line else "?"
        tries = nt.ut_guest(guest, "trial ")
        done = nt.ut_guest(guest, "done")
        ok = [s for s in (steps.get(f"c{c}-unplug-n1") for c in range(1, args.cycles + 1))
              if s and s["rc"] == 0]
        gib = args.size / 1024
        per_gib = sum(s["ms"] for s in ok) / len(ok) / gib if ok else None
        reasons = sorted({ev.get("reason", "?") for c in range(1, args.cycles + 1)
                          for ev in nt.ut_events(js, f"c{c}-unplug-n1", "MEMORY_OP_FAILED")})
        first = ok[0] if ok else None
        before = resident_kb(first["before"], args.backing) if first else None
        after = resident_kb(first["after"], args.backing) if first else None
        freed = released_kb(first, args.backing) if first else None
        intact = bool(done) and done[0].get("anon_bad") == "0" and done[0].get("files") == "ok" and \
            all(t.get("anon_bad") == "0" and t.get("files") == "ok" for t in tries)
        bad |= not intact or vrc != 0
        rows.append((kind, zones, len(tries), len(ok), ",".join(reasons) or "-", per_gib, before, after,
                     freed, intact, vrc))
        if vrc != 0 or not intact:
            errs = [line.split(" ", 1)[1] for line in out.replace("\r", "").splitlines()
                    if line.startswith(f"UT-{tag}-ERR ")]
            notes.append(f"{kind}: mirrorvm exit {vrc}; " + ("; ".join(errs[-3:]) or "no message") +
                         ("" if intact else f"; guest: {'; '.join(guest[-3:])}"))
    return rows, notes, bad


def print_table(rows, notes, args):
    def mib_of(kb):
        return "-" if kb is None else f"{kb / 1024:.0f}M"
    print(f"\n{'zone kind':<15} {'zone seen':<10} {'attempts':>8} {'successes':>9} {'refused as':<12} "
          f"{'ms per GiB':>10} {'resident before':>15} {'after':>7} {'released':>8}  data")
    for kind, zones, tries, succ, reasons, per_gib, before, after, freed, intact, vrc in rows:
        print(f"{kind:<15} {zones[:10]:<10} {tries:>8} {succ:>9} {reasons[:12]:<12} "
              f"{'-' if per_gib is None else f'{per_gib:.0f}':>10} {mib_of(before):>15} {mib_of(after):>7} "
              f"{'-' if freed is None else f'{100 * freed / (args.size * 1024):.1f}%':>8}  "
              f"{'intact' if intact else 'CHECKSUM OR GUEST FAILURE'}{'' if vrc == 0 else f' (mirrorvm exit {vrc})'}")
    for n in notes:
        print("unplug-trial: " + n)


if __name__ == "__main__":
    sys.exit(main())
