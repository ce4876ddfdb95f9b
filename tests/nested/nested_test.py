#!/usr/bin/env python3
"""Tests of the KVM engine (mirrorvm run --engine kvm).

L0 (this machine, any /dev/kvm that opens, even kvm_pvm): a tiny bzImage-
shaped guest (tiny-guest.S) drives every way a guest can end, junk on
unemulated ports and MMIO, and host signals, under build/mirrorvm and the
ASan/UBSan build; host-side errors (huge pages, host nodes, --host-mirror=
required) are checked before any guest runs.

Nested (L1 = Debian's 6.12 cloud kernel under mirrorvm's QEMU engine, TCG,
-cpu max, with kvm-amd; L2 = the same kernel under the KVM engine inside
L1): guest_tests.py's own kernelcore=mirror and movable_node trials are
recorded, replayed in L2 and checked by guest_tests' unchanged code; then
a reliable+hotplug layout, firmware bytes compared with the QEMU engine at
L0, a guest throwing junk at the VMM, a panic, and host errors inside L1.

Prints PASS/FAIL/SKIP lines and "nested: N passed, M failed, K skipped".
"""
import argparse
import json
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "guest"))
import guest_tests as gt  # noqa: E402  (Model, Guest and the trials)
import snapshot_l0  # noqa: E402  (snapshot and restore at L0)

results = {"pass": 0, "fail": 0, "skip": 0}
CMDLINE = "console=ttyS0 quiet loglevel=4 "


def report(ok, name, why=""):
    results["pass" if ok else "fail"] += 1
    print(f"PASS {name}" if ok else f"FAIL {name}: {why}", flush=True)


def skip(name, why):
    results["skip"] += 1
    print(f"SKIP {name}: {why}", flush=True)


def run(cmd, timeout=120, **kw):
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, **kw)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode(errors="replace"), (e.stderr or b"").decode(errors="replace")


# ---------------------------------------------------------------- L0 ----

def build_tiny(work):
    obj, img = os.path.join(work, "tiny.o"), os.path.join(work, "tiny-bzImage")
    subprocess.run(["gcc", "-c", "-o", obj, os.path.join(HERE, "tiny-guest.S")], check=True)
    subprocess.run(["objcopy", "-O", "binary", "-j", ".text", obj, img], check=True)
    return img


# The tiny guest's endings and signals: (name, cmdline, extra flags,
# signals as (seconds, signal), check(rc, out, err) -> (ok, label, why)).
# They run at L0 when /dev/kvm opens there, and inside L1 (Linux under
# TCG with kvm-amd) otherwise, under the same checks.
def sanitizer_clean(err):
    return "ERROR: AddressSanitizer" not in err and "runtime error" not in err \
        and "LeakSanitizer" not in err and "Sanitizer" not in err


def tiny_cases(slow=1.0):
    """@slow scales the signal delays (TCG L1 starts VMMs slower)."""
    cases = []
    for c, want, msg in [("p", 0, "guest powered off"), ("r", 0, "guest rebooted"),
                         ("s", 42, "guest ended with status 42"), ("k", 2, "guest kernel panicked"),
                         ("t", 2, "guest crashed"), ("g", 42, "guest ended with status 42")]:
        def check(rc, out, err, c=c, want=want, msg=msg):
            ok = rc == want and msg in err and sanitizer_clean(err)
            if c == "g":
                ok = ok and out.strip() == "ok" and "wrote 2 byte(s) to port 0x600" in err \
                    and "wrote 0x77 to the control port" in err
            if c == "t":
                ok = ok and ("triple fault" in err or "internal error" in err) and " rip " in err
            return ok, f"tiny guest '{c}' -> exit {want} ({msg})", \
                f"exit {rc}; stdout {out[-200:]!r}; stderr {err[-600:]}"
        cases.append((f"tiny-{c}", c, ["--cpus", "2"] if c in "pg" else [], [], check))

    # SIGQUIT: every vCPU prints its registers and the guest runs on.
    def check_quit(rc, out, err):
        dumps = [ln for ln in err.splitlines() if "registers on request (SIGQUIT)" in ln]
        return rc == 128 + signal.SIGTERM and len(dumps) == 2 and "vCPU 0:" in err and \
            "vCPU 1:" in err and " rip " in err and sanitizer_clean(err), \
            "SIGQUIT prints both vCPUs' registers, the guest runs on until SIGTERM", \
            f"exit {rc}; {err[-600:]}"
    cases.append(("tiny-quit", "h", ["--cpus", "2"],
                  [(1.5 * slow, signal.SIGQUIT), (2.5 * slow, signal.SIGTERM)], check_quit))
    for sig in (signal.SIGINT, signal.SIGTERM):
        def check_sig(rc, out, err, sig=sig):
            return rc == 128 + sig and sanitizer_clean(err), \
                f"{signal.Signals(sig).name} stops all vCPUs -> exit {128 + sig}", f"exit {rc}; {err[-400:]}"
        cases.append((f"tiny-{signal.Signals(sig).name.lower()}", "h", ["--cpus", "2"],
                      [(1.5 * slow, sig)], check_sig))
    return cases


def run_tiny_local(binary, tiny, cmdline, flags, sigs, timeout=20):
    p = subprocess.Popen([binary, "run", "--engine", "kvm", "--kernel", tiny, "--cmdline", cmdline] + flags,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    t0 = time.time()
    for at, sig in sigs:
        time.sleep(max(0, at - (time.time() - t0)))
        p.send_signal(sig)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    return p.returncode, out.decode(errors="replace"), err.decode(errors="replace")


# ------------------------------------------------------- pause tests ----

def tiny_symbols(work):
    """Guest addresses of the tiny guest's counting loop (loaded at 16 MiB,
    its protected-mode part starting at file offset 0x400)."""
    obj = os.path.join(work, "tiny.o")
    syms = {}
    for line in subprocess.run(["nm", obj], capture_output=True, check=True).stdout.decode().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2].startswith("count_"):
            syms[parts[2]] = 0x1000000 + int(parts[0], 16) - 0x400
    return syms


def pt_lines(text, tag):
    """[(what, parsed json or raw text)] of pause-test.sh's TAG lines."""
    out = []
    for line in text.replace("\r", "").splitlines():
        if not line.startswith(tag + " "):
            continue
        what, _, rest = line[len(tag) + 1:].partition(" ")
        try:
            out.append((what, json.loads(rest)))
        except ValueError:
            out.append((what, rest))
    return out


def check_pause_tiny(text, syms, where):
    """The tiny guest counting through 20 stop/cont cycles."""
    steps = pt_lines(text, "PT-TINY")
    get = lambda what: [v for w, v in steps if w == what]
    status0 = get("status0")
    report(bool(status0) and isinstance(status0[0], dict) and
           status0[0].get("return", {}).get("status") == "running",
           f"{where}: control socket: query-status says running", f"{status0}")
    stops, statuses, cpus, ports, again, conts = (get(w) for w in
                                                   ("stop", "status", "cpus", "port", "port-again", "cont"))
    ok_cycles = len(stops) == 20 and all(isinstance(x, dict) and x.get("return") == {} and x.get("id") == 1
                                         for x in stops + conts)
    report(ok_cycles and len(conts) == 20, f"{where}: 20 stop/cont cycles answered", f"{stops[:2]} {conts[:2]}")
    report(all(isinstance(x, dict) and x.get("return", {}).get("status") == "paused" for x in statuses)
           and len(statuses) == 20, f"{where}: query-status says paused after stop", f"{statuses[:3]}")
    bad, prev = [], -1
    lo, hi = syms.get("count_inc", 0), syms.get("count_jmp", 0)
    for i, (c, p1, p2) in enumerate(zip(cpus, ports, again)):
        try:
            cpu0 = c["return"]["cpus"][0]
            v, v2 = p1["return"], p2["return"]
        except (KeyError, TypeError, IndexError):
            bad.append(f"cycle {i}: {c} {p1}")
            continue
        rip, ecx = cpu0["rip"], cpu0["rcx"] & 0xffffffff
        if not lo <= rip <= hi:
            bad.append(f"cycle {i}: rip {rip:#x} outside the counting loop [{lo:#x}, {hi:#x}]")
        elif rip in (syms["count_mov"], syms["count_out"]):
            if v["last"] != (ecx - 1) & 0xffffffff:
                bad.append(f"cycle {i}: paused at {rip:#x} before the OUT of {ecx}, port has {v['last']}")
        elif v["last"] != ecx:
            bad.append(f"cycle {i}: paused at {rip:#x} after the OUT of {ecx}, port has {v['last']} "
                       f"(an exit in flight not completed?)")
        if v != v2:
            bad.append(f"cycle {i}: the port changed while paused: {v} -> {v2}")
        if v["writes"] <= prev:
            bad.append(f"cycle {i}: the guest did not run between pauses ({prev} -> {v['writes']})")
        prev = v["writes"]
    report(not bad and len(cpus) == 20,
           f"{where}: pause completes the port write in flight (20 pauses: RIP and the port agree, "
           f"nothing moves while paused, the guest runs in between)", "; ".join(bad[:4]) or f"{len(cpus)} cycles")
    final = get("final")
    fv = final[0].get("return", {}) if final and isinstance(final[0], dict) else {}
    report(fv.get("out_of_sequence") == 0 and fv.get("writes", 0) > max(prev, 0),
           f"{where}: no port write lost or repeated across 20 pauses ({fv.get('writes')} writes)", f"{final}")
    running = get("running-cpus")
    report(bool(running) and isinstance(running[0], str) and "wrong-state" in running[0],
           f"{where}: query-cpus while running is refused (wrong-state)", f"{running}")
    quit_ = get("quit")
    rc = re.search(r"PT-TINY rc=(\d+)", text)
    report(bool(quit_) and isinstance(quit_[0], dict) and quit_[0].get("return") == {} and rc and
           rc.group(1) == "0" and "stopped by the control socket (quit)" in text,
           f"{where}: quit ends mirrorvm with status 0", f"{quit_} rc {rc.group(1) if rc else None}")


def check_pause_linux(text, where):
    """A Linux guest printing heartbeats through 5 stop/cont cycles."""
    steps = pt_lines(text, "PT-LINUX")
    stops = [v for w, v in steps if w == "stop"]
    paused = [v for w, v in steps if w == "paused-beats"]
    quiet = []
    for p in paused:
        m = re.match(r"(\d+) (\d+) (.*)", p if isinstance(p, str) else "")
        if not m or m.group(1) != m.group(2) or '"paused"' not in m.group(3):
            quiet.append(p)
    report(len(stops) == 5 and len(paused) == 5 and not quiet,
           f"{where}: Linux L2 paused 5 times: no console output while paused, query-status paused",
           f"{quiet[:2]} {len(stops)} stops")
    beats = [int(l.split()[-1]) for l in text.replace("\r", "").splitlines()
             if l.startswith("PT-LINUX-OUT HEARTBEAT ")]
    rc = re.search(r"PT-LINUX rc=(\d+)", text)
    report(beats == list(range(1, 101)) and rc and rc.group(1) == "0",
           f"{where}: Linux L2 resumes every time: heartbeats 1..100 once each, in order, clean poweroff",
           f"rc {rc.group(1) if rc else None}; {len(beats)} beats, first bad at "
           f"{next((i for i, b in enumerate(beats) if b != i + 1), None)}")


def check_snapshot_linux(text, where, units=False):
    """A Linux guest snapshotted mid-heartbeat and restored by a new mirrorvm;
    with @units, one whose hotplug units were unplugged (and one plugged
    back) before the snapshot (l1-run.sh's PT_UNITS)."""
    steps = pt_lines(text, "PT-SNAPSHOT")
    total = ([v for w, v in steps if w == "beats"] or [40])[0]
    snap = [v for w, v in steps if w == "snapshot"]
    lines = text.replace("\r", "").splitlines()

    def out(n):
        return [l.split(" ", 1)[1] for l in lines if l.startswith(f"PT-SNAPSHOT-OUT{n} ")]

    def beats(o):
        return [int(l.split()[1]) for l in o if l.startswith("HEARTBEAT ")]

    o1, o2 = out(1), out(2)
    b1, b2 = beats(o1), beats(o2)
    rc1, rc2 = re.search(r"PT-SNAPSHOT rc1=(\d+)", text), re.search(r"PT-SNAPSHOT rc2=(\d+)", text)
    ret = snap[0].get("return", {}) if snap and isinstance(snap[0], dict) else {}
    report(bool(ret) and ret.get("status") == "paused" and rc1 and rc1.group(1) == "0",
           f"{where}: a Linux L2 snapshotted (paused) at heartbeat {b1[-1] if b1 else '?'}: "
           f"{ret.get('memory-bytes', 0) >> 20} MiB of memory in {ret.get('ms', '?')} ms, then quit",
           f"{snap} rc1 {rc1.group(1) if rc1 else None}; " + " | ".join(l[12:] for l in lines
                                                                        if l.startswith("PT-SNAPSHOT-ERR"))[-600:])
    if not ret:
        return
    before = [l.split()[1] for l in o1 if l.startswith("SUM-BEFORE")]
    after = [l.split()[1] for l in o2 if l.startswith("SUM-AFTER")]
    report(b1 and b1 == list(range(1, len(b1) + 1)) and b2 == list(range(len(b1) + 1, total + 1)) and
           not any(l.startswith("MVM-BEGIN") for l in o2) and rc2 and rc2.group(1) == "0",
           f"{where}: the restored Linux L2 goes on from heartbeat {len(b1) + 1} to {total} (no reboot, "
           f"nothing lost or repeated) and powers off cleanly",
           f"before {b1[-3:]} after {b2[:3]}..{b2[-2:]} ({len(b2)}); rc2 {rc2.group(1) if rc2 else None}; "
           + " | ".join(l[12:] for l in lines if l.startswith("PT-SNAPSHOT-ERR"))[-600:])
    report(len(before) == 1 and after == before,
           f"{where}: the checksum of 8 MiB of guest data taken before the snapshot verifies after the restore",
           f"before {before} after {after}")
    if units:
        check_snapshot_units(steps, o2, where)
    typed = [v for w, v in steps if w == "typed"]
    got = [l[len("ECHO-GOT "):] for l in o2 if l.startswith("ECHO-GOT ")]
    report(len(typed) == 1 and got == typed,
           f"{where}: a line typed into the restoring mirrorvm's terminal reaches the restored guest's "
           f"serial console", f"typed {typed}, the guest read {got}")


def check_snapshot_units(steps, o2, where):
    """Units unplugged, and one plugged back, before a snapshot: the same
    after the restore, for mirrorvm and for the guest's memory blocks."""
    def units_of(what):
        got = [v for w, v in steps if w == what]
        if not got or not isinstance(got[0], dict):
            return None
        return {u["node"]: (u["state"], json.dumps(u["ost"])) for u in got[0].get("return", {}).get("units", [])}

    ops = {w: v for w, v in steps if w.startswith("unplug-") or w.startswith("plug-")}
    gone = sorted(int(w[7:]) for w in ops if w.startswith("unplug-"))
    back = [int(w[5:]) for w in ops if w.startswith("plug-")]
    saved, restored = units_of("units-saved"), units_of("units-restored")
    want = {n: "plugged" if n in back else "unplugged" for n in gone}
    report(len(gone) >= 2 and len(back) == 1 and saved and {n: saved.get(n, (None,))[0] for n in gone} == want
           and restored == saved,
           f"{where}: units of nodes {gone} unplugged, node {back} plugged back before the snapshot: "
           f"the restored mirrorvm has them so ({want}), their _OST reports too",
           f"steps {ops}; saved {saved}; restored {restored}")
    blocks = {int(l.split()[1]): (int(l.split()[2]), int(l.split()[3]))
              for l in o2 if l.startswith("NODEBLOCKS ")}
    ok = all(blocks.get(n, (0, 0)) == (0, 0) if s == "unplugged" else
             (blocks.get(n, (0, 0))[1] > 0 and blocks[n][0] == blocks[n][1]) for n, s in want.items())
    report(bool(blocks) and ok,
           f"{where}: after the restore the guest has no memory blocks on the unplugged node and every block "
           f"of the plugged-back node online", f"{blocks}, want {want}")


def l0_tests(mvm, san, work):
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
    except OSError as e:
        skip("L0 KVM engine tests", f"/dev/kvm: {e.strerror}; the tiny guest's endings and signals run in L1")
        return False
    tiny = build_tiny(work)
    for binary in (mvm, san):
        tag = os.path.basename(binary)
        for name, cmdline, flags, sigs, check in tiny_cases():
            rc, out, err = run_tiny_local(binary, tiny, cmdline, flags, sigs)
            ok, label, why = check(rc, out, err)
            report(ok, f"L0 {tag}: {label}", why)
        rc, out, err = run([os.path.join(HERE, "pause-test.sh"), binary, "tiny", tiny, "20"], timeout=300)
        check_pause_tiny(out, tiny_symbols(work), f"L0 {tag}")

    # Snapshot and restore of the counting tiny guest (snapshot_l0.py).
    snapshot_l0.l0_snapshot(mvm, san, tiny, work, report)

    # The system call filter's test hook at L0: build/mirrorvm has the
    # filter, the ASan build runs without it (seccomp-filter.h).
    for name, flags, where in SECCOMP_CASES:
        for binary in (mvm, san):
            tag = os.path.basename(binary)
            env = dict(os.environ, MIRRORVM_TEST_SECCOMP_VIOLATE=where)
            rc, out, err = run([binary, "run", "--engine", "kvm", "--kernel", tiny, "--cmdline", "p"] + flags,
                               timeout=60, env=env)
            filtered = binary == mvm and name != "seccomp-off"
            ok = (rc == 159 and "mirrorvm: seccomp: system call socket (41)" in err) if filtered else \
                (rc == 0 and "socket() returned" in err and sanitizer_clean(err))
            report(ok, f"L0 {tag}: {name}: " + ("socket() ends mirrorvm with 159, named" if filtered
                                                 else "socket() goes through, the guest powers off"),
                   f"exit {rc}; {err[-400:]}")

    # Host-side errors: one clear message, before any guest runs.
    hp1g = "/sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages"
    free1g = int(open(hp1g).read()) if os.path.exists(hp1g) else 0
    errs = [
        (["--node", f"id=0,size={free1g + 1}G,backing=hugetlb1g"],
         rf"node 0: backing=hugetlb1g needs {free1g + 1} free 1G huge pages, the host has {free1g} \(/sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages\)"
         if os.path.exists(hp1g) else r"node 0: backing=hugetlb1g: this host kernel has no 1G huge pages",
         "hugetlb1g beyond the free 1G pages"),
        (["--node", "id=0,size=512M", "--node", "id=1,size=64M,host-nodes=0,63"],
         r"node 1: host-nodes=0,63: host NUMA node 63 does not exist \(/sys/devices/system/node/node63\); this host's nodes: \d",
         "host node that does not exist"),
    ]
    with open("/proc/cmdline") as f:
        host_has_mirror = "kernelcore=mirror" in f.read()
    if not host_has_mirror:
        errs.append((["--node", "id=0,size=512M,mirror=on", "--host-mirror=required"],
                     r"--host-mirror=required: host has no mirrored memory",
                     "--host-mirror=required on a host without mirroring"))
    else:
        skip("L0 --host-mirror=required refused", "this host runs kernelcore=mirror")
    for binary in (mvm, san):
        tag = os.path.basename(binary)
        for flags, pattern, name in errs:
            rc, out, err = run([binary, "run", "--engine", "kvm", "--kernel", tiny, "--cmdline", "p"] + flags)
            report(rc == 1 and bool(re.search(pattern, err)) and "Sanitizer" not in err,
                   f"L0 {tag}: error for {name}", f"exit {rc}; stderr: {err.strip()[-500:]}")
    rc, out, err = run([mvm, "run", "--engine", "kvm", "--kernel", tiny, "--cmdline", "p",
                        "--node", "id=0,size=512M,mirror=on", "--host-mirror=preferred"])
    report(rc == 0 and (host_has_mirror or "[0x0-0x20000000) are not backed by host mirrored memory" in err),
           "L0 --host-mirror=preferred starts and names the unmirrored reliable ranges", f"exit {rc}; {err[-400:]}")
    rc, out, err = run([mvm, "run", "--engine", "kvm", "--kernel", tiny, "--cmdline", "p",
                        "--node", "id=0,size=256M,backing=memfd,prefault=on,host-nodes=0,policy=bind",
                        "--node", "id=1,size=256M,prefault=on,host-nodes=0,policy=interleave"])
    report(rc == 0, "L0 memfd/anon backing with host-nodes, policy and prefault", f"exit {rc}; {err[-400:]}")

    # prefault=on of a large node reports progress when stderr is a terminal,
    # and stays quiet when it is not (a log file must not fill with \r lines).
    flags = [mvm, "run", "--engine", "kvm", "--kernel", tiny, "--cmdline", "p",
             "--node", "id=0,size=4G,prefault=on"]
    master, slave = pty.openpty()
    p = subprocess.Popen(flags, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    tty = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:          # EIO: every writer closed the terminal
            break
        if not chunk:
            break
        tty += chunk
    os.close(master)
    p.wait(timeout=120)
    tty = tty.decode(errors="replace")
    report(p.returncode == 0 and "mirrorvm: node 0: prefaulting " in tty and
           re.search(r"mirrorvm: node 0: prefaulted 4G\s*\r?\n", tty) is not None,
           "L0 prefault=on of a 4G node shows progress on a terminal", f"exit {p.returncode}; {tty[-400:]!r}")
    rc, out, err = run(flags)
    report(rc == 0 and "prefault" not in err, "L0 prefault=on prints no progress when stderr is not a terminal",
           f"exit {rc}; {err[-400:]}")


# ------------------------------------------------------------ nested ----

class Recorder:
    """Stands in for guest_tests.Guest to learn which guests a trial runs."""
    def __init__(self):
        self.runs = []
        self.rc, self.out, self.err, self.lines, self.elapsed = 1, "", "", [], 0.0

    def run(self, flags, cmdline, timeout=180):
        self.runs.append((list(flags), cmdline))
        return 1

    def why(self):
        return ""


class Replay(gt.Guest):
    """guest_tests.Guest whose guests already ran in L2 under the KVM engine."""
    engine = "kvm"

    def __init__(self, cases):
        super().__init__("mirrorvm-kvm-in-L1", "bzImage", "initrd")
        self.cases = cases

    def run(self, flags, cmdline, timeout=180):
        c = self.cases.get(case_key(flags, cmdline))
        if c is None:
            self.rc, self.out, self.err, self.elapsed, self.lines = None, "", "case did not run in L1", 0, []
            return None
        self.rc, self.out, self.err, self.elapsed = c["rc"], c["out"], c["err"], c["ms"] / 1000
        body = self.out.split("MVM-BEGIN", 1)[-1].split("MVM-END", 1)[0] if "MVM-BEGIN" in self.out else ""
        self.lines = body.splitlines()
        return self.rc


def case_key(flags, cmdline):
    return " ".join(flags) + "|" + cmdline


def record_trials():
    rec = Recorder()
    saved = gt.report
    gt.report = lambda *a, **k: None
    try:
        gt.test_kernelcore_mirror(rec)
        gt.test_movable_node(rec)
    finally:
        gt.report = saved
    return rec.runs


SMALL = ["--cpus", "2", "--node", "id=0,size=512M,cpus=0-1", "--node", "id=1,size=256M,mirror=on",
         "--node", "id=2,size=256M,hotplug=on"]


def nested_cases(trials):
    """(name, flags, cmdline) for L1 to run, in order."""
    cases = []
    for i, (flags, cmdline) in enumerate(trials):
        cases.append((f"trial{i}", flags, CMDLINE + cmdline))
    cases += [
        ("small-mirror", SMALL, CMDLINE + "kernelcore=mirror mvm.probe=zones,nodes mvm.fwhash=1"),
        ("small-movable", SMALL, CMDLINE + "movable_node mvm.probe=zones,blocks,offline:2,blocks"),
        ("garbage", ["--node", "id=0,size=512M"], CMDLINE + "mvm.garbage=42"),
        ("panic", ["--node", "id=0,size=512M"], CMDLINE + "mvm.end=panic"),
        ("early-panic", ["--node", "id=0,size=512M"], CMDLINE + "rdinit=/nonexistent"),
        # the same kernel uncompressed: entered at startup_64, no decompressor
        ("vmlinux", SMALL, CMDLINE + "kernelcore=mirror mvm.probe=zones,nodes|/nested/vmlinux"),
        ("err-hugetlb1g", ["--node", "id=0,size=2G,backing=hugetlb1g"], CMDLINE),
        ("err-host-node", ["--node", "id=0,size=512M,host-nodes=3"], CMDLINE),
        ("host-mirror", ["--node", "id=0,size=512M", "--node", "id=1,size=1G,mirror=on",
                         "--host-mirror=required", "--placement-report=-"], CMDLINE + "kernelcore=mirror"),
    ]
    # The system call filter (on by default, so every case above runs with
    # it): a forbidden call made on purpose right after it is installed, by
    # the main thread and by vCPU 0's, ends mirrorvm with 159 naming it;
    # with --seccomp off the same call goes through and the guest powers off.
    for name, flags, where in SECCOMP_CASES:
        cases.append((name, flags, f"p|/nested/tiny||MIRRORVM_TEST_SECCOMP_VIOLATE={where}"))
    return cases


SECCOMP_CASES = [
    ("seccomp-main", ["--cpus", "2"], "main"),
    ("seccomp-vcpu", ["--cpus", "2"], "vcpu"),
    ("seccomp-off", ["--cpus", "2", "--seccomp", "off"], "main"),
]


def check_seccomp(got, out):
    for name, _, where in SECCOMP_CASES:
        c = got.get(name) or {"rc": None, "err": ""}
        hook = f"test hook: socket() from the {where} thread" in c["err"]
        if name == "seccomp-off":
            report(c["rc"] == 0 and hook and "socket() returned" in c["err"] and "seccomp:" not in c["err"],
                   "L1 --seccomp off: the test hook's socket() goes through, the tiny guest powers off",
                   f"rc {c['rc']}; {c['err'][-400:]}")
            continue
        report(c["rc"] == 159 and hook and "mirrorvm: seccomp: system call socket (41) is not allowed" in c["err"]
               and "socket() returned" not in c["err"],
               f"L1 seccomp filter: socket() from the {where} thread ends mirrorvm with 159, the call named",
               f"rc {c['rc']}; {c['err'][-400:]}")
    # every other guest ran with the filter on: none may have tripped it
    tripped = [line for line in out.replace("\r", "").splitlines()
               if "seccomp: system call" in line and not line.startswith("L2ERR:seccomp-")]
    report(not tripped, "L1: no other guest, pause or unplug trial tripped the system call filter",
           "; ".join(tripped)[:800])


# Memory hot-unplug trials (unplug-test.sh in L1, unplug-guest.sh in L2):
# (tag, guest mode, nodes the host plugs back, extra kernel parameters, flags).
# Each hotplug node is one 128M unit; prefault=on makes every unit fully
# resident before its unplug, so the host's drop is measured against the
# whole unit.
UNPLUG_NODES = ["--node", "id=1,size=128M,hotplug=on,prefault=on",
                "--node", "id=2,size=128M,hotplug=on,backing=memfd,prefault=on",
                "--node", "id=3,size=128M,hotplug=on,backing=hugetlb2m,prefault=on"]
# (tag, guest mode, nodes the host plugs back, the range their units make
# up, extra kernel parameters, flags, L2 kernel).  Node 0 is 768M, so nodes
# 1-3 are [0x30000000, 0x48000000).  The L2 kernel is the kvm-patches one
# (what users of the series run; kernelcore=mirror and movable_node
# together need it) or Debian's stock 6.12 (no guest patch is needed for
# hot-unplug of boot memory: one cycle shows it).
PATCHED_L2 = "/nested/bzImage-mvm"
L2_BZIMAGE = "/nested/bzImage"     # build_nested's @kernel: Debian's here
UNPLUG_CASES = [
    # node 0 prefaulted too: what the guest migrates there must not move
    # mirrorvm's resident memory, so that its drop is the unit's alone
    ("cycles", "cycles:5:1,2,3", "1 2 3", "start=0x30000000 size=384M", "movable_node",
     ["--cpus", "2", "--node", "id=0,size=768M,cpus=0-1,prefault=on"] + UNPLUG_NODES, PATCHED_L2),
    ("stock", "cycles:1:1,2,3", "1 2 3", "", "movable_node",
     ["--cpus", "2", "--node", "id=0,size=768M,cpus=0-1,prefault=on"] + UNPLUG_NODES, L2_BZIMAGE),
    # kernelcore=mirror keeps all memory below 4 GiB in kernel zones, so the
    # hotplug node is put above it (node 0 fills the 3 GiB below the hole)
    ("kcmirror", "cycles:1:1:poke", "1", "", "kernelcore=mirror movable_node",
     ["--cpus", "2", "--node", "id=0,size=3G,cpus=0-1", "--mirror", "256M@0x10000000",
      "--node", "id=1,size=128M,hotplug=on,prefault=on"], PATCHED_L2),
    ("refuse", "refuse:1", "1", "", "",
     ["--cpus", "2", "--node", "id=0,size=768M,cpus=0-1", "--node", "id=1,size=128M,hotplug=on,prefault=on"],
     L2_BZIMAGE),
]


def patched_kernel():
    """The kvm-patches kernel (scripts/build-guest-kernel.sh, cached), or (None, why)."""
    print("nested: the kvm-patches kernel for the unplug trials (scripts/build-guest-kernel.sh; "
          "built once, about 10 minutes, then cached)", flush=True)
    p = subprocess.run([os.path.join(TOP, "scripts", "build-guest-kernel.sh")],
                       capture_output=True, text=True)
    path = (p.stdout.strip().splitlines() or [""])[-1]
    if p.returncode != 0 or not os.path.isfile(path):
        return None, f"scripts/build-guest-kernel.sh exit {p.returncode}: {p.stderr[-600:]}"
    return path, ""


def selftest_script(work):
    """Linux's mem-on-off-test.sh from the installed linux-source, or None."""
    member = "tools/testing/selftests/memory-hotplug/mem-on-off-test.sh"
    src, _ = gt.extract_linux_source(work, [member])
    return os.path.join(src, member) if src else None


def unxz_module(kdir, name, work):
    for root, _, files in os.walk(os.path.join(kdir, "lib", "modules")):
        for f in files:
            if f in (name, name + ".xz"):
                out = os.path.join(work, name)
                with open(out, "wb") as o:
                    if f.endswith(".xz"):
                        subprocess.run(["xz", "-dc", os.path.join(root, f)], stdout=o, check=True)
                    else:
                        shutil.copyfileobj(open(os.path.join(root, f), "rb"), o)
                return out
    return None


def build_static(work, src):
    """A test helper from @src, linked statically for an initramfs."""
    out = os.path.join(work, os.path.basename(src)[:-2])
    subprocess.run(["gcc", "-static", "-O2", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-o", out, src],
                   check=True)
    return out


def build_nested(work, kdir, kernel, mvm_static, cases, tiny, pause_tiny, unplug_cases=(), pause=True,
                 patched=None):
    """L1's and L2's initramfs.  @kernel is L2's /nested/bzImage; @patched,
    when given, is the kvm-patches kernel, /nested/bzImage-mvm (PATCHED_L2)."""
    l2 = os.path.join(work, "l2.cpio.gz")
    garbage = build_static(work, os.path.join(HERE, "mvm-garbage.c"))
    memload = build_static(work, os.path.join(TOP, "tests", "guest", "mvm-memload.c"))
    extra = []
    selftest = selftest_script(work)
    if selftest:
        extra += ["--add", selftest + ":/bin/mem-on-off-test.sh"]
    # mem-on-off-test.sh's error injection part loads its module with modprobe
    modprobe = os.path.join(work, "modprobe")
    with open(modprobe, "w") as f:
        f.write("#!/bin/busybox sh\n# modprobe [-q] [-r] NAME [ARGS] for mem-on-off-test.sh\n"
                "[ \"$1\" = -q ] && shift\n"
                "if [ \"$1\" = -r ]; then rmmod \"$2\" 2>/dev/null; exit 0; fi\n"
                "m=$1; shift\n"
                "[ \"$m\" = memory-notifier-error-inject ] && insmod /lib/modules/extra/notifier-error-inject.ko 2>/dev/null\n"
                "insmod /lib/modules/extra/$m.ko \"$@\"\n")
    os.chmod(modprobe, 0o755)
    extra += ["--add", modprobe + ":/sbin/modprobe"]
    for m in ("notifier-error-inject.ko", "memory-notifier-error-inject.ko"):
        path = unxz_module(kdir, m, work)
        if path:
            extra += ["--add", path + ":/lib/modules/extra/" + m]
    subprocess.run([os.path.join(TOP, "scripts", "build-initramfs.sh"), l2, "--modules-from", kdir,
                    "--module", "pvpanic.ko", "--module", "pvpanic-mmio.ko", "--module", "loop.ko",
                    "--add", os.path.join(HERE, "l2-extra.sh") + ":/bin/mvm-extra",
                    "--add", garbage + ":/bin/mvm-garbage", "--add", memload + ":/bin/mvm-memload",
                    "--add", os.path.join(HERE, "unplug-guest.sh") + ":/bin/unplug-guest.sh"] + extra,
                   check=True)
    unplug_file = os.path.join(work, "unplug-cases")
    with open(unplug_file, "w") as f:
        for tag, mode, nodes, rng, cmdline, flags, l2_kernel in unplug_cases:
            f.write(f"{tag}|{mode}|{nodes}|{rng}|{cmdline}|{' '.join(flags)}|{l2_kernel}\n")
    vmlinux = os.path.join(work, "vmlinux")
    subprocess.run([os.path.join(TOP, "scripts", "extract-vmlinux.sh"), kernel, vmlinux], check=True)
    casefile = os.path.join(work, "cases")
    with open(casefile, "w") as f:
        for name, flags, cmdline in cases:
            f.write(f"{name}|{' '.join(flags)}|{cmdline}\n")  # cmdline may carry "|KERNEL"
    l1 = os.path.join(work, "l1.cpio.gz")
    subprocess.run([os.path.join(TOP, "scripts", "build-initramfs.sh"), l1, "--modules-from", kdir,
                    "--module", "irqbypass.ko", "--module", "kvm.ko", "--module", "kvm-amd.ko",
                    "--add", mvm_static + ":/bin/mirrorvm", "--add", kernel + ":/nested/bzImage",
                    "--add", l2 + ":/nested/initrd.gz", "--add", os.path.join(HERE, "l1-run.sh") + ":/bin/mvm-extra",
                    "--add", casefile + ":/nested/cases", "--add", vmlinux + ":/nested/vmlinux",
                    "--add", tiny + ":/nested/tiny",
                    "--add", build_static(work, os.path.join(HERE, "mvm-pty.c")) + ":/bin/mvm-pty",
                    "--add", os.path.join(HERE, "unplug-test.sh") + ":/nested/unplug-test.sh",
                    "--add", unplug_file + ":/nested/unplug-cases"]
                   + (["--add", os.path.join(HERE, "pause-test.sh") + ":/nested/pause-test.sh"] if pause else [])
                   + (["--add", tiny + ":/nested/pause-tiny"] if pause_tiny else [])
                   + (["--add", patched + ":" + PATCHED_L2] if patched else []), check=True)
    return l1, l2


# L1: 4 GiB in two nodes, a mirrored one above 4 GiB plus a mirrored range in
# node 0, so the host-mirror methods have mirrored memory to find.
L1_FLAGS = ["--cpus", "2", "--node", "id=0,size=3G,cpus=0-1", "--node", "id=1,size=3G,mirror=on",
            "--mirror", "256M@0x10000000"]
# The unplug trials' L1: one vCPU.  With two, L1's kernel died in 2 of 3
# runs during these trials (docs/kvm-engine.md, known issues), always in
# multi-threaded TCG with L1's TLB shootdowns across vCPUs in play; one
# vCPU leaves TCG no other vCPU to race with.
L1_UNPLUG_FLAGS = ["--cpus", "1", "--node", "id=0,size=3G,cpus=0"] + L1_FLAGS[4:]
# The gigantic page is reserved on L1's mirrored node 1: on node 0 a stock
# kernel would take it from unmirrored memory below 4 GiB, which mirrorvm
# then refuses for a reliable range.  hugepages=1:1 may still fall back to
# node 0 when early allocations leave node 1 no free aligned 1 GiB; nokaslr
# keeps the kernel image out of node 1 so that one always remains.
L1_CMDLINE = ("console=ttyS0 quiet loglevel=4 kernelcore=mirror efi=debug nokaslr hugepagesz=1G "
              "hugepages=0:0,1:1 mvm.end=poweroff")


# L1 runs under multi-threaded TCG, whose own races have killed L1's kernel
# now and then (docs/kvm-engine.md, known issues): L1 runs again then.
L1_ATTEMPTS = 3


def run_l1(mvm, kernel, initrd, flags, timeout, log):
    """One L1 run (again when its own kernel dies): rc, out, err, seconds."""
    for attempt in range(1, L1_ATTEMPTS + 1):
        t0 = time.time()
        rc, out, err = run([mvm, "run", "--engine", "qemu", "--kernel", kernel, "--initrd", initrd,
                            "--cmdline", L1_CMDLINE] + flags, timeout=timeout)
        elapsed = time.time() - t0
        with open(log + (".log" if attempt == 1 else f"-{attempt}.log"), "w") as f:
            f.write(out + "\n--- stderr ---\n" + err)
        death = l1_kernel_death(rc, out, err)
        if not death or attempt == L1_ATTEMPTS:
            return rc, out, err, elapsed
        # Debian's own kernel died in L1 (TCG), not mirrorvm: show how, and
        # run L1 again from the start; L1_ATTEMPTS deaths fail the run.
        tail = "\n".join(out.replace("\r", "").splitlines()[-40:])
        print(f"NOTE L1 (TCG) kernel died after {elapsed:.0f}s ({death}), attempt {attempt} of {L1_ATTEMPTS}; "
              f"running L1 again.  Its console's end:\n{tail}", flush=True)


def l1_kernel_death(rc, out, err):
    """Why L1's own kernel died (a panic or a reset), or None."""
    if rc == 0 or "NESTED-ALL-DONE" in out:
        return None
    for why in ("guest kernel panicked", "guest reset itself without the firmware", "guest crashed"):
        if why in err:
            return why
    return "Kernel panic" if "Kernel panic - not syncing" in out else None


def parse_l1(out):
    cases, kvm = {}, None
    for line in out.replace("\r", "").splitlines():
        m = re.match(r"NESTED-CASE (\S+) rc=(\d+) ms=(\d+)", line)
        if m:
            cases[m.group(1)] = {"rc": int(m.group(2)), "ms": int(m.group(3))}
            continue
        m = re.match(r"L2(OUT|ERR):(\S+) ?(.*)", line)
        if m:
            key = "out" if m.group(1) == "OUT" else "err"
            cases.setdefault(m.group(2) + "#text", {"out": [], "err": []})[key].append(m.group(3))
        if line.startswith("NESTED-KVM"):
            kvm = line
    for name in list(cases):
        if name.endswith("#text"):
            continue
        t = cases.get(name + "#text", {"out": [], "err": []})
        cases[name]["out"] = "\n".join(t["out"]) + "\n"
        cases[name]["err"] = "\n".join(t["err"]) + "\n"
    return {k: v for k, v in cases.items() if not k.endswith("#text")}, kvm


def fw_lines(text):
    return sorted(l for l in text.splitlines() if l.startswith("FWHASH") or l.startswith("FWMAP"))


# Signal delays in L1: a VMM under TCG takes about a second to start.
L1_SLOW = 3.0


def l1_tiny_cases():
    """The tiny guest's cases as L1 case lines (cmdline|KERNEL|SIGNALS)."""
    out = []
    for name, cmdline, flags, sigs, _ in tiny_cases(L1_SLOW):
        sigtext = ",".join(f"{signal.Signals(sig).name[3:]}@{at:g}" for at, sig in sigs)
        out.append((name, flags, f"{cmdline}|/nested/tiny|{sigtext}"))
    return out


def nested_tests(mvm, mvm_static, work, timeout, only_cases=None, tiny_in_l1=False, unplug=True):
    try:
        kdir = subprocess.run([os.path.join(TOP, "scripts", "fetch-debian-kernel.sh")],
                              capture_output=True, check=True).stdout.decode().strip()
    except subprocess.CalledProcessError as e:
        skip("nested KVM engine tests", "no Debian 6.12 cloud kernel: " + e.stderr.decode().strip())
        return
    kernel = [os.path.join(kdir, "boot", f) for f in os.listdir(os.path.join(kdir, "boot"))
              if f.startswith("vmlinuz")][0]
    trials = record_trials()
    cases = nested_cases(trials)
    if tiny_in_l1:
        cases += l1_tiny_cases()
    if only_cases:      # debugging: run these L2 cases only (other checks fail)
        cases = [c for c in cases if c[0] in only_cases.split(",")]
    unplug_cases, patched = (), None
    if unplug:
        patched, why = patched_kernel()
        report(patched is not None, "the kvm-patches kernel for the unplug trials' L2 is there", why)
        unplug_cases = [c for c in UNPLUG_CASES if patched or c[6] != PATCHED_L2]
    tiny = build_tiny(work)
    l1, l2 = build_nested(work, kdir, kernel, mvm_static, cases, tiny, tiny_in_l1)
    # The unplug trials run in an L1 of their own (L1_UNPLUG_FLAGS).
    l1u = None
    if unplug_cases:
        uwork = os.path.join(work, "unplug")
        os.makedirs(uwork, exist_ok=True)
        l1u, _ = build_nested(uwork, kdir, kernel, mvm_static, [], tiny, False, unplug_cases, pause=False,
                              patched=patched)

    # L0 reference for the firmware comparison: the same layout, QEMU engine.
    ref = subprocess.Popen([mvm, "run", "--engine", "qemu", "--kernel", kernel, "--initrd", l2,
                            "--cmdline", CMDLINE + "kernelcore=mirror mvm.probe=zones,nodes mvm.fwhash=1"] + SMALL,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ref_out, _ = ref.communicate(timeout=180)
    ref_g = Replay({})
    ref_g.lines = ref_out.decode(errors="replace").split("MVM-BEGIN", 1)[-1].split("MVM-END", 1)[0].splitlines()
    ref_zones = gt.zones_by_node(ref_g)
    rc, out, err, elapsed = run_l1(mvm, kernel, l1, L1_FLAGS, timeout, os.path.join(work, "l1-console"))
    got, kvm = parse_l1(out)
    report(rc == 0 and "NESTED-ALL-DONE" in out,
           f"L1 (TCG, kvm-amd) ran {len(got)}/{len(cases)} L2 guests and powered off ({elapsed:.0f}s)",
           f"exit {rc}; {kvm}; tail: {out[-1500:]} {err[-300:]}")
    out_u = ""
    if l1u:
        rc_u, out_u, err_u, elapsed_u = run_l1(mvm, kernel, l1u, L1_UNPLUG_FLAGS, timeout,
                                               os.path.join(work, "l1-unplug-console"))
        report(rc_u == 0 and "NESTED-ALL-DONE" in out_u,
               f"L1 for the unplug trials (TCG, 1 vCPU) ran {len(unplug_cases)} trials and powered off "
               f"({elapsed_u:.0f}s)", f"exit {rc_u}; tail: {out_u[-1500:]} {err_u[-300:]}")
    report(bool(kvm) and kvm.startswith("NESTED-KVM ok"), "L1 has a working /dev/kvm", f"{kvm}")
    retried = re.findall(r"^NESTED-RETRY (\S+)", out.replace("\r", ""), re.M)
    if retried:
        # Known, rare: an L2 console that stops mid-line, an L2 "Oops: int3"
        # (docs/kvm-engine.md, known issues).
        print(f"NOTE L2 guests retried after a console stall or an int3 oops: {', '.join(retried)}", flush=True)

    if tiny_in_l1:
        for name, _, _, _, check in tiny_cases(L1_SLOW):
            c = got.get(name) or {"rc": None, "out": "", "err": ""}
            ok, label, why = check(c["rc"], c["out"], c["err"])
            report(ok, f"L1 mirrorvm-static: {label}", why)
        check_pause_tiny(out, tiny_symbols(work), "L1 mirrorvm-static")
    check_pause_linux(out, "L1")
    check_snapshot_linux(out, "L1", units=True)
    if unplug:
        check_unplug(out_u, "L1")
    check_seccomp(got, out + out_u)

    # guest_tests.py's own trials, replayed from L2 and checked by its code
    saved = gt.report
    gt.report = lambda ok, name, why="": report(ok, "L2 kvm engine: " + name, why)
    try:
        replay = Replay({case_key(f, c[len(CMDLINE):]): got.get(n, None)
                         for n, f, c in cases if n.startswith("trial") and got.get(n)})
        gt.test_kernelcore_mirror(replay)
        gt.test_movable_node(replay)
    finally:
        gt.report = saved

    m = gt.Model(SMALL)
    c = got.get("small-mirror")
    g = Replay({})
    if not c or c["rc"] != 0:
        report(False, "L2 reliable+hotplug layout under kernelcore=mirror boots", f"{c}")
    else:
        g.rc, g.out = c["rc"], c["out"]
        g.lines = c["out"].split("MVM-BEGIN", 1)[-1].split("MVM-END", 1)[0].splitlines()
        report(True, f"L2 reliable+hotplug layout under kernelcore=mirror boots ({c['ms'] / 1000:.1f}s)")
        want = f"Memory: {m.reliable_total() >> 20}M/{m.total() >> 20}M mirrored memory"
        report(bool(g.dmesg(re.escape(want))), f"L2 dmesg '{want}'", "; ".join(g.dmesg("mirrored")))
        report(bool(g.dmesg(r"SRAT: Node 2 PXM 2 .*hotplug")), "L2 SRAT: node 2 Hot Pluggable",
               "; ".join(g.dmesg("SRAT")))
        nodes = {int(r["id"]) for r in g.records("NODE")}
        report(nodes == {0, 1, 2}, "L2 sees nodes 0, 1, 2", f"{nodes}")
        mine, theirs = fw_lines(c["out"]), fw_lines(ref_out.decode(errors="replace").replace("\r", ""))
        report(len(mine) >= 8 and mine == theirs and not any("missing" in l for l in mine),
               f"firmware identical under both engines ({sum(l.startswith('FWHASH') for l in mine)} ACPI tables, "
               f"{sum(l.startswith('FWMAP') for l in mine)} memmap entries)",
               f"kvm: {mine}\nqemu: {theirs}")
    c = got.get("small-movable")
    if not c or c["rc"] != 0:
        report(False, "L2 reliable+hotplug layout under movable_node boots", f"{c}")
    else:
        g.lines = c["out"].split("MVM-BEGIN", 1)[-1].split("MVM-END", 1)[0].splitlines()
        zones = gt.zones_by_node(g)
        mov = zones.get(2, {}).get("Movable", {}).get("present", 0)
        kern = sum(v["present"] for k, v in zones.get(2, {}).items() if k != "Movable")
        report(mov == 256 * gt.M // gt.PAGE and kern == 0,
               "L2 movable_node: hotplug node 2 entirely ZONE_MOVABLE", f"{zones}")
        off = [r for r in g.records("OFFLINE") if r["node"] == "2"]
        report(bool(off) and off[0]["ok"] == off[0]["blocks"] == "2" and off[0]["failed"] == "0",
               "L2 movable_node: node 2's 2 memory blocks go offline", f"{off}")
    c = got.get("garbage") or {"rc": None, "out": "", "err": ""}
    gm = re.search(r"GARBAGE ports=(\d+) bad_reads=(\d+) mmio=(\d+) mmio_bad=(\d+)", c["out"])
    report(c["rc"] == 42 and gm and int(gm.group(1)) > 4000 and gm.group(2) == "0" and gm.group(4) == "0"
           and "wrote 2 byte(s) to port 0x600" in c["err"],
           f"L2 junk on unemulated ports and MMIO: VMM survives, reads all-ones, exit 42 "
           f"({gm.group(0) if gm else 'no GARBAGE line'})",
           f"rc {c['rc']}; {c['out'][-800:]} {c['err'][-400:]}")
    c = got.get("vmlinux") or {"rc": None, "out": "", "err": ""}
    g.lines = c["out"].split("MVM-BEGIN", 1)[-1].split("MVM-END", 1)[0].splitlines()
    small = c["rc"] == 0 and gt.zones_by_node(g) == ref_zones
    report(small and bool(ref_zones),
           "L2 vmlinux ELF (same kernel, no decompressor): boots, zones as the bzImage under the QEMU engine",
           f"rc {c['rc']}; {gt.zones_by_node(g)} vs {ref_zones}; {c['err'][-300:]}")
    c = got.get("panic") or {"rc": None, "err": ""}
    report(c["rc"] == 2 and "guest kernel panicked" in c["err"], "L2 panic -> pvpanic -> exit 2",
           f"rc {c['rc']}; {c['err'][-300:]}")
    c = got.get("early-panic") or {"rc": None, "err": "", "out": ""}
    report(c["rc"] == 2 and "its console shows the end of a panic report" in c["err"]
           and "end Kernel panic" in c["out"],
           "L2 panic before /init (no pvpanic driver yet) -> console watch -> exit 2",
           f"rc {c['rc']}; {c['err'][-300:]}")
    c = got.get("err-hugetlb1g") or {"rc": None, "err": ""}
    report(c["rc"] == 1 and re.search(r"node 0: backing=hugetlb1g needs 2 free 1G huge pages, the host has [01] ",
                                       c["err"]),
           "L1: hugetlb1g beyond L1's free 1G pages is refused, counts named", f"rc {c['rc']}; {c['err'][-400:]}")
    c = got.get("err-host-node") or {"rc": None, "err": ""}
    report(c["rc"] == 1 and "host NUMA node 3 does not exist" in c["err"] and "this host's nodes: 0-1" in c["err"],
           "L1: host-nodes=3 refused, L1's nodes listed", f"rc {c['rc']}; {c['err'][-400:]}")
    c = got.get("host-mirror") or {"rc": None, "err": ""}
    report(c["rc"] == 0, "L1: --host-mirror=required guest runs on a stock kernelcore=mirror host",
           f"rc {c['rc']}: {c['err'].strip()[-400:]}")
    rep = placement_json(c["err"])
    if rep is None:
        report(False, "L1 placement report is JSON", c["err"][-800:])
        return
    nodes = {n["id"]: n for n in rep["nodes"]}
    rel = nodes.get(1, {})
    report(rep["host_mirror"]["method"] == "hugetlb1g" and rep["host_mirror"]["ranges"],
           "L1 placement report: stock-host method (1 GiB hugetlb), L1's mirrored ranges known (efi=debug)",
           f"{rep['host_mirror']}")
    report(rel.get("reliable_bytes") == 1 << 30 and rel.get("reliable_resident_bytes", 0) > 0
           and rel.get("mirrored_bytes") == rel.get("reliable_resident_bytes"),
           "L1 placement report: every resident page of L2's reliable node lies in L1's mirrored ranges "
           f"({rel.get('mirrored_bytes')} of {rel.get('reliable_resident_bytes')} bytes)", f"{rel}")
    report(nodes.get(0, {}).get("reliable_bytes") == 0 and nodes.get(0, {}).get("resident_bytes", 0) > 0,
           "L1 placement report: the non-reliable node is reported, nothing asked of it", f"{nodes.get(0)}")
    report(isinstance(rep.get("vmm_overhead_bytes"), int), "L1 placement report: vmm_overhead_bytes",
           f"{rep.get('vmm_overhead_bytes')}")


def ut_parse(out, tag):
    """What unplug-test.sh printed for @tag: steps, JSON by step, guest lines, rc."""
    steps, js, guest, rc = {}, {}, [], None
    pre = f"UT-{tag}"
    for line in out.replace("\r", "").splitlines():
        if line.startswith(pre + "-JSON "):
            step, _, rest = line[len(pre) + 6:].partition(" ")
            try:
                js.setdefault(step, []).append(json.loads(rest))
            except ValueError:
                js.setdefault(step, []).append({"raw": rest})
        elif line.startswith(pre + "-OUT "):
            guest.append(line[len(pre) + 5:])
        elif line.startswith(pre + " rc="):
            rc = int(line.split("rc=")[1])
        elif line.startswith(pre + " "):
            m = re.match(r"(\S+) (\S+) rc=(\d+) before=([\d,]*) after=([\d,]*)(?: ms=(\d+))?",
                         line[len(pre) + 1:])
            if m:
                def mem(t):
                    v = (t.split(",") + ["", "", "", ""])[:4]
                    return dict(zip(("anon", "shmem", "huge", "free2m"), (int(x or 0) for x in v)))
                steps[m.group(1)] = {"cmd": m.group(2), "rc": int(m.group(3)), "before": mem(m.group(4)),
                                     "after": mem(m.group(5)), "ms": int(m.group(6) or 0)}
    return steps, js, guest, rc


def ut_err(out, tag):
    """mirrorvm's stderr in the @tag trial: why a guest that died ended."""
    pre = f"UT-{tag}-ERR "
    return [l[len(pre):] for l in out.replace("\r", "").splitlines() if l.startswith(pre)]


def ut_guest(guest, prefix):
    """The guest's "UT <prefix>..." lines as dicts of their key=value words."""
    out = []
    for line in guest:
        if line.startswith("UT " + prefix):
            out.append(dict(w.split("=", 1) for w in line.split() if "=" in w))
    return out


def ut_events(js, step, name):
    return [j["data"] for j in js.get(step, []) if j.get("event") == name]


UNIT_KB = 128 * 1024


def host_drop(step, backing):
    """kB of mirrorvm's memory the step gave back, by backing."""
    b, a = step["before"], step["after"]
    if backing == "anon":
        return b["anon"] - a["anon"]
    if backing == "memfd":
        return b["shmem"] - a["shmem"]
    return (a["free2m"] - b["free2m"]) * 2048


def check_cycles(steps, js, guest, cycles, timings):
    """Every unplug and re-plug of @cycles cycles over nodes 1-3 (anon, memfd,
    hugetlb2m): lists of what went wrong (unplug, verify, plug)."""
    backing = {1: "anon", 2: "memfd", 3: "hugetlb2m"}
    bad_unplug, bad_verify, bad_plug = [], [], []
    verifies = ut_guest(guest, "verify cycle=")
    plugs = ut_guest(guest, "plugged cycle=")
    for c in range(1, cycles + 1):
        # cycle 1: a request per node; later cycles: one for the range of all three
        ustep = {n: f"c{c}-unplug-n{n}" if c == 1 else f"c{c}-unplug-all" for n in (1, 2, 3)}
        pstep = {n: f"c{c}-plug-n{n}" if c == 1 else f"c{c}-plug-all" for n in (1, 2, 3)}
        for n in (1, 2, 3):
            st = steps.get(ustep[n])
            ev = [e for e in ut_events(js, ustep[n], "MEMORY_UNIT_UNPLUGGED") if e["node"] == n]
            drop = host_drop(st, backing[n]) if st else 0
            if not st or st["rc"] != 0 or len(ev) != 1 or ev[0]["freed_bytes"] < 0.99 * UNIT_KB * 1024 \
                    or drop < 0.99 * UNIT_KB:
                bad_unplug.append(f"cycle {c} node {n}: {st} {ev} host drop {drop} kB")
            else:
                timings.append((backing[n], ev[0]["ms"], ev[0]["ejected_ms"]))
            v = [x for x in verifies if x.get("cycle") == str(c) and x.get("node") in (str(n), "all")]
            if not v or v[0].get("anon_bad") != "0" or v[0].get("files") != "ok" or int(v[0]["anon_pages"]) < 6144 * 3:
                bad_verify.append(f"cycle {c} node {n}: {v}")
            pst = steps.get(pstep[n])
            pev = [e for e in ut_events(js, pstep[n], "MEMORY_UNIT_PLUGGED") if e["node"] == n]
            p = [x for x in plugs if x.get("cycle") == str(c) and x.get("node") == str(n)]
            if not pst or pst["rc"] != 0 or len(pev) != 1 or not p or p[0].get("blocks") != "1" \
                    or p[0].get("movable") != "1" or p[0].get("used") != "6144/6144":
                bad_plug.append(f"cycle {c} node {n}: {pst} {pev} {p}")
    return bad_unplug, bad_verify, bad_plug


def check_l2_kernel(guest, where, tag, patched):
    """The trial's L2 ran the kernel it was meant to: the kvm-patches one
    (release -mirrorvm, MirrorTotal in /proc/meminfo) or Debian's."""
    k = ut_guest(guest, "kernel")
    rel = k[0].get("release", "") if k else ""
    mirror_total = k[0].get("mirror_total", "none") if k else "none"
    if patched:
        ok = rel.endswith("-mirrorvm") and mirror_total.isdigit()
        what = "the kvm-patches kernel"
    else:
        ok = bool(rel) and not rel.endswith("-mirrorvm") and mirror_total == "none"
        what = "Debian's stock kernel"
    report(ok, f"{where}: the {tag} trial's L2 ran {what}", f"{k}")


def check_unplug(out, where):
    timings = []
    # ---- five cycles over three backings, guest eject, timeout, selftest ----
    steps, js, guest, rc = ut_parse(out, "cycles")
    check_l2_kernel(guest, where, "cycles", True)
    done = ut_guest(guest, "done")
    report(rc == 0 and done and done[0].get("anon_bad") == "0" and done[0].get("files") == "ok",
           f"{where}: unplug trial guest (movable_node, 3 hotplug nodes: anon, memfd, hugetlb2m) "
           f"ran to the end, its data intact", f"rc {rc}; {done}; {guest[-15:]}; mirrorvm: {ut_err(out, 'cycles')[-8:]}")
    wl = ut_guest(guest, "workload")
    report(len(wl) == 4 and all(int(w.get("anon_on_node", 0)) == 6144 for w in wl[:3])
           and wl[3].get("rc") == "0" and wl[3].get("files") == "4",
           f"{where}: workload on the hotplug nodes: 24M anonymous (mbind) each, tmpfs (mpol=bind) "
           f"and page cache", f"{wl}")
    bad_unplug, bad_verify, bad_plug = check_cycles(steps, js, guest, 5, timings)
    report(not bad_unplug, f"{where}: 5 cycles x 3 backings (by node, then by range): each unit unplugged, mirrorvm's "
           f"memory falls by >= 99% of the unit (RssAnon / RssShmem / free 2M huge pages) and the event "
           f"says so", "; ".join(bad_unplug[:3]))
    report(not bad_verify, f"{where}: after every unplug the guest's anonymous, tmpfs and page cache "
           f"checksums all match", "; ".join(bad_verify[:3]))
    report(not bad_plug, f"{where}: after every re-plug the unit's block is back online movable and "
           f"a new workload gets all its pages there", "; ".join(bad_plug[:3]))
    v = ut_guest(guest, "verify op=guest-eject")
    q = [u for j in js.get("guest-eject-n1-wait", [])
         for u in j.get("return", {}).get("units", []) if u.get("node") == 1]
    report(v and v[0].get("blocks") == "0" and v[0].get("anon_bad") == "0" and q
           and q[-1].get("state") == "unplugged" and q[-1].get("ost") == {"event": 0x103, "status": 0}
           and q[-1].get("resident_bytes") == 0,
           f"{where}: a guest-initiated eject (sysfs) is completed and its memory released",
           f"{v} {q[-1:] if q else js.get('guest-eject-n1')}")
    st = steps.get("timeout-n3")
    tev = ut_events(js, "timeout-n3", "MEMORY_OP_TIMEOUT")
    q = [u for j in js.get("timeout-n3-wait", []) for u in j.get("return", {}).get("units", [])
         if u.get("node") == 3]
    v = ut_guest(guest, "verify op=timeout")
    report(st and st["rc"] == 2 and len(tev) == 1 and q and q[-1].get("state") == "unplugged"
           and v and v[0].get("anon_bad") == "0" and v[0].get("blocks") == "0",
           f"{where}: a timed-out unplug is reported (ctl exits 2) and its late completion still "
           f"releases the unit", f"{st} {tev} {q[-1:]} {v}")
    for when in ("before", "after"):
        r = ut_guest(guest, f"selftest-{when}")
        if r and r[0].get("rc") == "skip":
            skip(f"{where}: mem-on-off-test.sh {when}", "no /usr/src/linux-source-6.12.tar.xz")
            continue
        report(r and r[0].get("rc") == "0",
               f"{where}: Linux's mem-on-off-test.sh passes {when} the unplugs",
               f"{r}; " + " | ".join(l for l in guest if l.startswith(f"UT-SELFTEST-{when}"))[-600:])
    # ---- the same on Debian's stock kernel: one cycle ----
    steps, js, guest, rc = ut_parse(out, "stock")
    check_l2_kernel(guest, where, "stock", False)
    done = ut_guest(guest, "done")
    bad = [b for lst in check_cycles(steps, js, guest, 1, []) for b in lst]
    report(rc == 0 and done and done[0].get("anon_bad") == "0" and done[0].get("files") == "ok" and not bad,
           f"{where}: stock kernel (movable_node): each backing's unit unplugged and released, data intact, "
           f"re-plugged online movable and used", f"rc {rc}; {done}; " + "; ".join(bad[:3]))
    # ---- kernelcore=mirror together with movable_node ----
    steps, js, guest, rc = ut_parse(out, "kcmirror")
    check_l2_kernel(guest, where, "kcmirror", True)
    st = steps.get("c1-unplug-n1")
    v = ut_guest(guest, "verify cycle=1")
    p = ut_guest(guest, "plugged cycle=1")
    report(st and st["rc"] == 0 and v and v[0].get("anon_bad") == "0"
           and v[0].get("files") == "ok" and p and p[0].get("movable") == "1",
           f"{where}: kernelcore=mirror movable_node: unplug, data intact, re-plug online movable",
           f"rc {rc}; {st}; {v}; {p}; {guest[-8:]}")
    poke = ut_guest(guest, "poke")
    err = "\n".join(l[len("UT-kcmirror-ERR "):] for l in out.replace("\r", "").splitlines()
                    if l.startswith("UT-kcmirror-ERR "))
    addr = poke[0].get("addr", "?") if poke else "?"
    report(rc == 2 and poke and f"the guest read guest-physical {addr} in unit 0 of node 1" in err
           and not ut_guest(guest, "error poke"),
           f"{where}: a guest reading memory it gave back ({addr}) stops mirrorvm (exit 2), "
           f"the message names the address", f"rc {rc}; {poke}; {err[-500:]}")
    # ---- refusals change nothing on the host ----
    steps, js, guest, rc = ut_parse(out, "refuse")
    check_l2_kernel(guest, where, "refuse", False)
    for op, reason, ost, seen in (("busy", "guest-busy", 0x82, "offline-failed"),
                                  ("refused", "guest-refused", 0x80, "eject-disabled")):
        st = steps.get(f"{op}-n1")
        fail = ut_events(js, f"{op}-n1", "MEMORY_OP_FAILED")
        after = [u for j in js.get(f"{op}-n1-after", []) for u in j.get("return", {}).get("units", [])]
        v = ut_guest(guest, f"verify op={op}")
        same = st and abs(st["after"]["anon"] - st["before"]["anon"]) < UNIT_KB // 100
        report(st and st["rc"] == 1 and len(fail) == 1 and fail[0].get("reason") == reason
               and fail[0].get("ost") == ost and after and after[0].get("state") == "plugged"
               and after[0].get("resident_bytes") == UNIT_KB * 1024 and same
               and v and v[0].get(seen) == "seen" and v[0].get("blocks") == "1" and v[0].get("anon_bad") == "0",
               f"{where}: an unplug the guest refuses ({reason}, _OST 0x{ost:x}) changes nothing: unit "
               f"plugged and resident, the guest runs on with its data", f"{st} {fail} {after} {v}")
    report(rc == 0, f"{where}: the refusing guest powers off normally", f"rc {rc}; {guest[-8:]}")
    if timings:
        for b in ("anon", "memfd", "hugetlb2m"):
            t = [ms for bb, ms, _ in timings if bb == b]
            if t:
                print(f"NOTE unplug of a 128M unit ({b}): request to host memory released "
                      f"{min(t)}-{max(t)} ms, median {sorted(t)[len(t) // 2]} ms", flush=True)


def placement_json(err):
    """The JSON object mirrorvm printed with --placement-report=- ."""
    lines = err.splitlines()
    try:
        start = next(i for i, l in enumerate(lines) if l.startswith("{"))
        end = next(i for i in range(start, len(lines)) if lines[i].startswith("}"))
        return json.loads("\n".join(lines[start:end + 1]))
    except (StopIteration, ValueError):
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirrorvm", default=os.path.join(TOP, "build", "mirrorvm"))
    ap.add_argument("--mirrorvm-san", default=os.path.join(TOP, "build", "mirrorvm-san"))
    ap.add_argument("--mirrorvm-static", default=os.path.join(TOP, "build", "mirrorvm-static"))
    ap.add_argument("--only", choices=["l0", "nested"])
    ap.add_argument("--keep", help="keep the work directory (initramfs, L1 console log) here")
    ap.add_argument("--cases", help="comma-separated L2 case names (debugging; 'none' for none)")
    # The hot-unplug trials add about 5-10 minutes of nested TCG to the L1 run.
    ap.add_argument("--no-unplug", dest="unplug", action="store_false",
                    help="leave out the memory hot-unplug trials (debugging)")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds for the whole L1 run")
    args = ap.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="mirrorvm-nested.")
    os.makedirs(work, exist_ok=True)
    try:
        l0_ran = True
        if args.only in (None, "l0"):
            l0_ran = l0_tests(args.mirrorvm, args.mirrorvm_san, work)
        if args.only in (None, "nested"):
            nested_tests(args.mirrorvm, args.mirrorvm_static, work, args.timeout, args.cases,
                         tiny_in_l1=not l0_ran, unplug=args.unplug)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"nested: {results['pass']} passed, {results['fail']} failed, {results['skip']} skipped")
    return 1 if results["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
