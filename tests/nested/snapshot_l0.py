"""Snapshot and restore at L0 (this machine's /dev/kvm), with the tiny guest
that counts on the test port (tests/nested/tiny-guest.S, cmdline "c").

The test port checks every value it receives against the last one plus
one and saves that check's state in the snapshot, so a restored guest
whose first write is not the saved last value plus one (a write lost or
repeated across the pause, the save or the restore) shows up as
out_of_sequence.  Damaged, foreign and mismatched snapshots must be
refused before anything runs.  Used by nested_test.py's L0 tests.
"""
import json
import os
import shutil
import struct
import subprocess
import time

MB = 1 << 20


def crc32c(data, crc=0):
    """CRC-32C (Castagnoli), as vmm/state-file.c computes it."""
    table = crc32c.table
    if table is None:
        table = crc32c.table = []
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82f63b78 if c & 1 else c >> 1
            table.append(c)
    crc ^= 0xffffffff
    for b in data:
        crc = table[(crc ^ b) & 0xff] ^ (crc >> 8)
    return crc ^ 0xffffffff


crc32c.table = None


def read_state(path):
    """A state file's (version, [(kind, index, payload)])."""
    with open(path, "rb") as f:
        data = f.read()
    version, _hsize, body_len, nr = struct.unpack_from("<IIQI", data, 8)
    sections, off = [], 64
    for _ in range(nr):
        kind, index, size = struct.unpack_from("<IIQ", data, off)
        off += 16
        sections.append((kind, index, data[off:off + size]))
        off += (size + 7) & ~7
    return version, sections


def write_state(path, version, sections):
    """Writes a well-formed state file (right checksums) of @sections."""
    body = b""
    for kind, index, payload in sections:
        body += struct.pack("<IIQ", kind, index, len(payload)) + payload + b"\0" * (-len(payload) % 8)
    head = b"MVMSTATE" + struct.pack("<IIQII", version, 64, len(body), len(sections), crc32c(body))
    head += b"\0" * 28
    head += struct.pack("<I", crc32c(head))
    with open(path, "wb") as f:
        f.write(head + body)


class TinyVM:
    """A tiny guest under mirrorvm with the test port and a control socket."""

    def __init__(self, binary, work, name, args):
        self.binary, self.sock = binary, os.path.join(work, name + ".sock")
        self.err_path = os.path.join(work, name + ".err")
        env = dict(os.environ, MIRRORVM_TEST_DEVICES="1")
        self.p = subprocess.Popen([binary, "run"] + args + ["--api-socket", self.sock],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=open(self.err_path, "w"), env=env)
        for _ in range(200):
            if os.path.exists(self.sock) or self.p.poll() is not None:
                break
            time.sleep(0.05)

    def ctl(self, *args, timeout=60):
        p = subprocess.run([self.binary, "ctl", "--json", self.sock] + list(args), capture_output=True,
                           text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def test_port(self):
        import json
        rc, out, err = self.ctl("x-test-port")
        if rc:
            return None
        return json.loads(out.splitlines()[-1])["return"]

    def quit(self):
        if self.p.poll() is None:
            self.ctl("quit")
        try:
            self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        with open(self.err_path) as f:
            return self.p.returncode, f.read()


SNAPSHOT_UNITS = 66  # vmm/include/snapshot.h


def restore_refused(binary, snap, pattern, extra=()):
    """Runs --restore on a damaged snapshot: (refused with @pattern, why)."""
    env = dict(os.environ, MIRRORVM_TEST_DEVICES="1")
    p = subprocess.run([binary, "run", "--restore", snap] + list(extra), capture_output=True, text=True,
                       timeout=60, env=env, stdin=subprocess.DEVNULL)
    return p.returncode == 1 and pattern in p.stderr and "Sanitizer" not in p.stderr, \
        f"exit {p.returncode}; {p.stderr[-400:]}"


def units_guest(tiny, mode):
    """A tiny guest with a hotplug node of two 128M unplug units."""
    return ["--engine", "kvm", "--kernel", tiny, "--cmdline", mode, "--node", "id=0,size=512M",
            "--node", "id=1,size=256M,hotplug=on,unplug-unit=128M"]


def unit_states(vm):
    """[(state, resident bytes)] of query-memory's units, or None."""
    rc, out, _ = vm.ctl("query-memory")
    if rc:
        return None
    return [(u["state"], u["resident_bytes"]) for u in json.loads(out.splitlines()[-1])["return"]["units"]]


def snapshot_units(binary, tiny, base, report):
    """A guest that ejected unit 0 itself (a sysfs eject) is snapshotted and
    restored: unit 0 stays unplugged and empty, unit 1 plugged, the count
    goes on, and unit 0 can be plugged again."""
    tag = os.path.basename(binary)
    vm = TinyVM(binary, base, "eject", units_guest(tiny, "e"))
    for _ in range(100):
        before = unit_states(vm)
        if before and before[0][0] == "unplugged":
            break
        time.sleep(0.05)
    snap = os.path.join(base, "units")
    rc, out, err = vm.ctl("snapshot", snap, "paused=true")
    saved = vm.test_port()
    qrc, qerr = vm.quit()
    if rc or not saved or qrc:
        report(False, f"L0 {tag}: a guest with an unplugged unit is snapshotted",
               f"units {before}; snapshot exit {rc} {err[-300:]}; quit {qrc} {qerr[-300:]}")
        return
    vm = TinyVM(binary, base, "eject-r", ["--restore", snap])
    time.sleep(0.3)
    now, after = vm.test_port(), unit_states(vm)
    prc, pout, perr = vm.ctl("memory-plug", "unit=0")
    replug = unit_states(vm)
    qrc, qerr = vm.quit()
    report(before and before[0] == ("unplugged", 0) and after and len(after) == 2
           and after[0] == ("unplugged", 0) and after[1][0] == "plugged"
           and now and not now["out_of_sequence"] and now["writes"] > saved["writes"] and qrc == 0,
           f"L0 {tag}: a guest that ejected unit 0 is snapshotted and restored: unit 0 stays unplugged "
           f"and empty, unit 1 plugged, the count goes on",
           f"before {before}; after {after}; port saved {saved} now {now}; quit {qrc} {qerr[-300:]}")
    report(prc == 0 and replug and replug[0][0] == "plugging",
           f"L0 {tag}: the restored guest's unplugged unit can be plugged again (memory-plug: plugging)",
           f"exit {prc} {pout[-200:]} {perr[-300:]}; {replug}")

    # The state's unit section (kind 66, 12 bytes a unit: unplugged,
    # ost_seen, reserved, _OST event and status) forged with right
    # checksums: each misfit is refused by name, and nothing runs.
    def forged(name, edit):
        d = os.path.join(base, f"units-{name}")
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(snap, d)
        p = os.path.join(d, "state")
        v, sections = read_state(p)
        write_state(p, v, [(k, i, edit(data) if k == SNAPSHOT_UNITS else data) for k, i, data in sections])
        return d
    _, sections = read_state(os.path.join(snap, "state"))
    units = [data for k, _, data in sections if k == SNAPSHOT_UNITS]
    report(units and len(units[0]) == 24 and units[0][0] == 1 and units[0][12] == 0,
           f"L0 {tag}: the state's unit section holds 2 units, unit 0 unplugged, unit 1 plugged", f"{units}")
    for what, name, edit, pattern in (
            ("one unit short", "short", lambda u: u[:12],
             "the state's unplug units (12 bytes) are not the layout's 2"),
            ("a flag that is not 0 or 1", "flag", lambda u: b"\x02" + u[1:],
             "unit 0: the saved state is not a unit's"),
            ("unit 0 plugged, the hotplug block's registers ejected", "disagree", lambda u: b"\x00" + u[1:],
             "unit 0: saved plugged, but the memory hotplug block has it ejected")):
        ok, why = restore_refused(binary, forged(name, edit), pattern)
        report(ok, f"L0 {tag}: a snapshot whose unit section has {what} is refused ('{pattern}')", why)


# Data runs written into a snapshot's memory file where the tiny guest
# never goes (it lives below 32M): across the restore's 64 MiB pieces
# (a run over the 128M edge, one ending at it, one starting at 192M) and
# at the file's end, with holes between them.
FORGED_RUNS = ((64 * MB, 4096), (100 * MB, MB), (127 * MB + 4096, MB + 8192),
               (191 * MB, MB), (192 * MB, 3 * MB), (511 * MB, MB))
FORGED_HOLES = ((70 * MB, 30 * MB), (200 * MB, 300 * MB))


def restore_data_runs(binary, snap, base, tag, report):
    """A restore puts every data run of the memory file where it belongs and
    leaves the holes zero: restored, saved again, and compared."""
    d, d2 = os.path.join(base, "forged"), os.path.join(base, "forged-again")
    shutil.copytree(snap, d)
    runs = []
    with open(os.path.join(d, "memory"), "r+b") as f:
        for off, size in FORGED_RUNS:
            data = os.urandom(size)
            f.seek(off)
            f.write(data)
            runs.append((off, data))
    vm = TinyVM(binary, base, "forged", ["--restore", d])
    time.sleep(0.3)
    counting = vm.test_port()
    rc, out, err = vm.ctl("snapshot", d2, "paused=true")
    qrc, qerr = vm.quit()
    ok, why = bool(counting) and rc == 0 and qrc == 0, f"port {counting}; snapshot {rc} {err[-300:]}; quit {qrc} {qerr[-300:]}"
    if ok:
        with open(os.path.join(d2, "memory"), "rb") as f:
            for off, data in runs:
                f.seek(off)
                if f.read(len(data)) != data:
                    ok, why = False, f"the run at {off:#x} ({len(data)} bytes) did not come back"
                    break
            for off, size in FORGED_HOLES:
                f.seek(off)
                if ok and f.read(size).strip(b"\0"):
                    ok, why = False, f"the hole [{off:#x}, {off + size:#x}) has data after the restore"
    report(ok, f"L0 {tag}: a restore puts back {len(runs)} data runs around its 64 MiB pieces "
           "(saved again, byte for byte) and leaves the holes between them zero", why)


def l0_snapshot(mvm, san, tiny, work, report):
    guest = ["--engine", "kvm", "--kernel", tiny, "--cmdline", "c", "--node", "id=0,size=512M"]
    for binary in (mvm, san):
        tag = os.path.basename(binary)
        base = os.path.join(work, f"snap-{tag}")
        shutil.rmtree(base, ignore_errors=True)
        os.makedirs(base)
        vm = TinyVM(binary, base, "boot", guest)
        time.sleep(0.3)
        # a chain: snapshot (paused), quit, restore, count on, snapshot again
        ok, why, rounds = True, "", 3
        for r in range(rounds):
            snap = os.path.join(base, f"s{r}")
            rc, out, err = vm.ctl("snapshot", snap, "paused=true")
            saved = vm.test_port()
            qrc, qerr = vm.quit()
            if rc or not saved or qrc != 0:
                ok, why = False, f"round {r}: snapshot exit {rc} {err[-300:]}; port {saved}; quit {qrc} {qerr[-300:]}"
                break
            vm = TinyVM(binary, base, f"r{r}", ["--restore", snap])
            time.sleep(0.3)
            now = vm.test_port()
            if not now or now["out_of_sequence"] or now["writes"] <= saved["writes"] or \
                    now["last"] <= saved["last"]:
                ok, why = False, f"round {r}: saved {saved}, after restore {now}"
                break
        final = vm.test_port()
        qrc, qerr = vm.quit()
        report(ok and qrc == 0 and final and not final["out_of_sequence"],
               f"L0 {tag}: {rounds} snapshots and restores in a chain: the count goes on, no port write "
               f"lost or repeated ({final['writes'] if final else '?'} writes)",
               why or f"quit {qrc}; {qerr[-400:]}; {final}")
        if not ok:
            continue
        snap = os.path.join(base, "s0")
        st = os.stat(os.path.join(snap, "memory"))
        report(st.st_size == 512 * MB and st.st_blocks * 512 < 64 * MB and
               os.stat(os.path.join(snap, "state")).st_size < 64 * 1024,
               f"L0 {tag}: the memory file is sparse (512M apparent, {st.st_blocks * 512 // 1024} KiB on disk), "
               f"the state small", f"{st}")

        # damaged, foreign or mismatched snapshots: refused, nothing runs
        def damaged(name, edit):
            d = os.path.join(base, name)
            shutil.copytree(snap, d)
            edit(d)
            return d

        def truncate(d):
            p = os.path.join(d, "state")
            os.truncate(p, os.path.getsize(p) - 100)

        def flip(d):
            p = os.path.join(d, "state")
            with open(p, "r+b") as f:
                f.seek(os.path.getsize(p) // 2)
                b = f.read(1)
                f.seek(-1, 1)
                f.write(bytes([b[0] ^ 0x10]))

        def version2(d):
            p = os.path.join(d, "state")
            _, sections = read_state(p)
            write_state(p, 2, sections)

        def other_layout(d):
            p = os.path.join(d, "state")
            v, sections = read_state(p)
            sections = [(k, i, data.replace(b'"block_size": 134217728', b'"block_size": 268435456') if k == 65
                         else data) for k, i, data in sections]
            write_state(p, v, sections)

        def short_memory(d):
            os.truncate(os.path.join(d, "memory"), 256 * MB)

        for name, edit, pattern in (
                ("truncated", truncate, "truncated"),
                ("corrupted", flip, "corrupted"),
                ("version 2", version2, "version 2, this mirrorvm reads version 1"),
                ("another layout", other_layout, "the snapshot's layout is not the one its guest flags make here"),
                ("a short memory file", short_memory, "the memory file has 268435456 bytes, the guest's RAM is 536870912")):
            ok, why = restore_refused(binary, damaged(name.replace(" ", "-"), edit), pattern)
            report(ok, f"L0 {tag}: a snapshot with {name} is refused ('{pattern}')", why)
        ok, why = restore_refused(binary, snap, "--node cannot be given with it", ["--node", "id=0,size=1G"])
        report(ok, f"L0 {tag}: --restore with guest flags is refused", why)
        restore_data_runs(binary, snap, base, tag, report)
        snapshot_units(binary, tiny, base, report)

    # the snapshot command's own refusals leave the guest running
    base = os.path.join(work, "snap-refuse")
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(base)
    vm = TinyVM(mvm, base, "units", units_guest(tiny, "c"))
    time.sleep(0.2)
    vm.ctl("memory-unplug", "unit=1")   # the tiny guest never answers
    rc, out, err = vm.ctl("snapshot", os.path.join(base, "u"))
    st = vm.ctl("query-status")[1]
    qrc, _ = vm.quit()
    report(rc == 1 and "unit 1 is unplug-requested" in err and '"running"' in st
           and not os.path.exists(os.path.join(base, "u")),
           "L0 snapshot during a memory-unplug: refused, named, no files left, the guest runs on",
           f"exit {rc}; {err[-300:]}; {st[-200:]}")
    vm = TinyVM(mvm, base, "exists", guest)
    os.makedirs(os.path.join(base, "e"))
    open(os.path.join(base, "e", "state"), "w").close()
    rc, out, err = vm.ctl("snapshot", os.path.join(base, "e"))
    st = vm.ctl("query-status")[1]
    vm.quit()
    report(rc == 1 and "File exists" in err and '"running"' in st,
           "L0 snapshot into a directory that has a state file: refused, the guest runs on",
           f"exit {rc}; {err[-300:]}; {st[-200:]}")
