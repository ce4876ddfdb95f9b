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


SNAPSHOT_MEMORY_MAP = 68  # vmm/include/snapshot.h: the memory map


def memory_map(snap):
    """(parts, chunk bytes, [part of each chunk]) of snapshot @snap's memory
    map (vmm/engine/kvm/memory.c), or None."""
    _, sections = read_state(os.path.join(snap, "state"))
    m = [d for k, _, d in sections if k == SNAPSHOT_MEMORY_MAP]
    if not m or len(m[0]) < 8:
        return None
    parts, chunk_mib = struct.unpack_from("<II", m[0])
    return parts, chunk_mib * MB, list(m[0][8:])


def set_memory_map(snap, owners):
    """Rewrites @snap's memory map with @owners (right checksums)."""
    p = os.path.join(snap, "state")
    v, sections = read_state(p)
    write_state(p, v, [(k, i, d[:8] + bytes(owners) if k == SNAPSHOT_MEMORY_MAP else d)
                       for k, i, d in sections])


def part_name(i):
    return "memory" if i == 0 else f"memory.{i}"


def part_names(snap):
    """The memory parts of snapshot @snap, in order, as its state names them."""
    m = memory_map(snap)
    return [part_name(i) for i in range(m[0] if m else 0)]


def data_runs(path):
    """[(start, end)] of the data in sparse file @path (SEEK_DATA/SEEK_HOLE)."""
    runs, pos = [], 0
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        while pos < size:
            try:
                start = os.lseek(f.fileno(), pos, os.SEEK_DATA)
            except OSError:
                break
            end = os.lseek(f.fileno(), start, os.SEEK_HOLE)
            runs.append((start, end))
            pos = end
    return runs


def outside_owner(snap):
    """None if every part of @snap has data only in the chunks the map gives
    it (so no page is in two parts), else where one does not."""
    _, chunk, owners = memory_map(snap)
    for p, name in enumerate(part_names(snap)):
        for a, b in data_runs(os.path.join(snap, name)):
            for c in range(a // chunk, (b - 1) // chunk + 1):
                if c >= len(owners) or owners[c] != p:
                    return f"{name} has data in [{a:#x}, {b:#x}), chunk {c} is part {owners[c] if c < len(owners) else '?'}'s"
    return None


def pieces(snap, off, size):
    """[(part name, offset, length)]: where the map puts [off, off + size)."""
    _, chunk, owners = memory_map(snap)
    out = []
    while size:
        n = min(size, chunk - off % chunk)
        out.append((part_name(owners[off // chunk]), off, n))
        off, size = off + n, size - n
    return out


def read_image(snap, off, size):
    """@size bytes of guest memory at file offset @off, each piece from the
    part the map names."""
    data = b""
    for name, o, n in pieces(snap, off, size):
        with open(os.path.join(snap, name), "rb") as f:
            f.seek(o)
            data += f.read(n).ljust(n, b"\0")
    return data


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
# never goes (it lives below 32M): across the memory map's 8 MiB pieces
# (a run over the 128M edge, one ending at it, one starting at 192M) and
# at the file's end, with holes between them.
FORGED_RUNS = ((64 * MB, 4096), (100 * MB, MB), (127 * MB + 4096, MB + 8192),
               (191 * MB, MB), (192 * MB, 3 * MB), (511 * MB, MB))
FORGED_HOLES = ((70 * MB, 30 * MB), (200 * MB, 300 * MB))


def restore_data_runs(binary, snap, base, tag, report):
    """A restore puts every data run where it belongs, each 8 MiB piece from
    the part the memory map names, and leaves the holes zero: restored, saved
    again, and compared.  The snapshot is laid out again with the pieces
    dealt to its parts in turn, so that runs cross from one part to the
    next."""
    d, d2 = os.path.join(base, "forged"), os.path.join(base, "forged-again")
    os.makedirs(d)
    shutil.copy(os.path.join(snap, "state"), d)
    nparts, chunk, owners = memory_map(snap)
    size = os.stat(os.path.join(snap, "memory")).st_size
    dealt = [c % nparts for c in range(len(owners))]
    for i in range(nparts):
        with open(os.path.join(d, part_name(i)), "wb") as f:
            f.truncate(size)
    for i, name in enumerate(part_names(snap)):     # the guest's own pages
        with open(os.path.join(snap, name), "rb") as f:
            for a, b in data_runs(os.path.join(snap, name)):
                for c in range(a // chunk, (b - 1) // chunk + 1):
                    lo, hi = max(a, c * chunk), min(b, (c + 1) * chunk)
                    f.seek(lo)
                    with open(os.path.join(d, part_name(dealt[c])), "r+b") as g:
                        g.seek(lo)
                        g.write(f.read(hi - lo))
    set_memory_map(d, dealt)
    runs = []
    for off, size in FORGED_RUNS:
        data = os.urandom(size)
        at = 0
        for name, o, n in pieces(d, off, size):
            with open(os.path.join(d, name), "r+b") as f:
                f.seek(o)
                f.write(data[at:at + n])
            at += n
        runs.append((off, data))
    vm = TinyVM(binary, base, "forged", ["--restore", d])
    time.sleep(0.3)
    counting = vm.test_port()
    rc, out, err = vm.ctl("snapshot", d2, "paused=true", "parts=3")
    qrc, qerr = vm.quit()
    ok, why = bool(counting) and rc == 0 and qrc == 0, f"port {counting}; snapshot {rc} {err[-300:]}; quit {qrc} {qerr[-300:]}"
    if ok:
        for off, data in runs:
            if read_image(d2, off, len(data)) != data:
                ok, why = False, f"the run at {off:#x} ({len(data)} bytes) did not come back"
                break
        for off, size in FORGED_HOLES:
            if ok and read_image(d2, off, size).strip(b"\0"):
                ok, why = False, f"the hole [{off:#x}, {off + size:#x}) has data after the restore"
        if ok and outside_owner(d2):
            ok, why = False, f"saved again in 3 parts: {outside_owner(d2)}"
    report(ok, f"L0 {tag}: a restore puts back {len(runs)} data runs from {nparts} memory parts, pieces "
           "dealt to them in turn (saved again in 3 parts, byte for byte, each page in the part its map "
           "names) and leaves the holes between them zero", why)


def restore_count(binary, base, name, snap):
    """Restores @snap under a new mirrorvm (@name), reads its test port and
    quits it: (the port's counters or None, quit's exit status, its stderr)."""
    vm = TinyVM(binary, base, name, ["--restore", snap])
    time.sleep(0.3)
    now = vm.test_port()
    qrc, qerr = vm.quit()
    return now, qrc, qerr


def snapshot_memfd(binary, tiny, base, tag, report):
    """A guest in a shmem memfd (backing=memfd): the save asks the memfd
    which pages have data (SEEK_DATA), not mincore; what it writes is the
    few MiB the tiny guest touched, and the restored guest counts on."""
    vm = TinyVM(binary, base, "memfd", ["--engine", "kvm", "--kernel", tiny, "--cmdline", "c",
                                        "--node", "id=0,size=512M,backing=memfd"])
    time.sleep(0.3)
    snap = os.path.join(base, "memfd-snap")
    rc, out, err = vm.ctl("snapshot", snap, "paused=true", "parts=2")
    saved = vm.test_port()
    qrc, qerr = vm.quit()
    written = json.loads(out.splitlines()[-1])["return"]["memory-bytes"] if rc == 0 else None
    now = None
    if rc == 0 and saved and qrc == 0:
        now, qrc, qerr = restore_count(binary, base, "memfd-r", snap)
    report(written and 0 < written < 64 * MB and not outside_owner(snap) and now and
           not now["out_of_sequence"] and now["writes"] > saved["writes"] and qrc == 0,
           f"L0 {tag}: a backing=memfd guest is saved from its memfd's data ({written} bytes of 512M) "
           f"and restored, the count goes on", f"snapshot {rc} {err[-300:]}; port {saved} -> {now}; "
           f"quit {qrc} {qerr[-300:]}")


def restore_version1(binary, snap, base, tag, report):
    """A snapshot as a mirrorvm before memory parts wrote it (state file
    version 1, no memory map, one memory file) restores: @snap is a
    one-part snapshot with its map taken out."""
    d = os.path.join(base, "version1")
    shutil.copytree(snap, d)
    p = os.path.join(d, "state")
    _, sections = read_state(p)
    write_state(p, 1, [x for x in sections if x[0] != SNAPSHOT_MEMORY_MAP])
    now, qrc, qerr = restore_count(binary, base, "version1", d)
    report(now and not now["out_of_sequence"] and now["writes"] > 0 and qrc == 0,
           f"L0 {tag}: a version-1 snapshot (one memory file, no memory map) restores, the count goes on",
           f"port {now}; quit {qrc} {qerr[-400:]}")


def restore_dense(binary, snap, base, tag, report):
    """A snapshot copied without its holes (cp --sparse=never writes them as
    zeros) restores the same guest: each piece comes from its own part only,
    so another part's zeros never cover it."""
    d = os.path.join(base, "dense")
    shutil.copytree(snap, d)
    names = part_names(d)
    for name in names:
        path = os.path.join(d, name)
        size, pos = os.stat(path).st_size, 0
        with open(path, "r+b") as f:
            for a, b in data_runs(path) + [(size, size)]:
                while pos < a:
                    n = min(a - pos, 16 * MB)
                    f.seek(pos)
                    f.write(b"\0" * n)
                    pos += n
                pos = b
    dense = all(os.stat(os.path.join(d, n)).st_blocks * 512 >= os.stat(os.path.join(d, n)).st_size
                for n in names)
    now, qrc, qerr = restore_count(binary, base, "dense", d)
    report(dense and len(names) > 1 and now and not now["out_of_sequence"] and now["writes"] > 0 and qrc == 0,
           f"L0 {tag}: a copy of a {len(names)}-part snapshot with its holes written as zeros restores, "
           "the count goes on", f"dense {dense}; port {now}; quit {qrc} {qerr[-400:]}")


def l0_snapshot(mvm, san, tiny, work, report):
    guest = ["--engine", "kvm", "--kernel", tiny, "--cmdline", "c", "--node", "id=0,size=512M"]
    for binary in (mvm, san):
        tag = os.path.basename(binary)
        base = os.path.join(work, f"snap-{tag}")
        shutil.rmtree(base, ignore_errors=True)
        os.makedirs(base)
        vm = TinyVM(binary, base, "boot", guest)
        time.sleep(0.3)
        # a chain: snapshot (paused), quit, restore, count on, snapshot
        # again; in 2 memory parts, in 1, and in as many as ctl makes here
        ok, why, rounds, parts = True, "", 3, (["parts=2"], ["parts=1"], [])
        for r in range(rounds):
            snap = os.path.join(base, f"s{r}")
            rc, out, err = vm.ctl("snapshot", snap, "paused=true", *parts[r])
            want = (2, 1, min(os.cpu_count(), 8))[r]
            if not rc and (json.loads(out.splitlines()[-1])["return"].get("memory-parts") != want or
                           len(part_names(snap)) != want):
                ok, why = False, f"round {r}: wanted {want} memory parts: {out[-300:]}; {part_names(snap)}"
                vm.quit()
                break
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
               f"L0 {tag}: {rounds} snapshots and restores in a chain (2, 1 and {min(os.cpu_count(), 8)} "
               f"memory parts): the count goes on, no port write lost or repeated "
               f"({final['writes'] if final else '?'} writes)",
               why or f"quit {qrc}; {qerr[-400:]}; {final}")
        if not ok:
            continue
        snap = os.path.join(base, "s0")
        sts = [os.stat(os.path.join(snap, n)) for n in part_names(snap)]
        on_disk = sum(st.st_blocks * 512 for st in sts)
        report(len(sts) == 2 and all(st.st_size == 512 * MB for st in sts) and on_disk < 64 * MB and
               memory_map(snap)[:2] == (2, 8 * MB) and len(memory_map(snap)[2]) == 64 and
               not outside_owner(snap) and os.stat(os.path.join(snap, "state")).st_size < 64 * 1024,
               f"L0 {tag}: the 2 memory parts are sparse (512M apparent each, {on_disk // 1024} KiB on disk "
               f"together), the map gives each of the 64 8 MiB pieces to one part, no part has data "
               f"outside its pieces, the state is small",
               f"{sts}; map {memory_map(snap)}; {outside_owner(snap)}")

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

        def version3(d):
            p = os.path.join(d, "state")
            _, sections = read_state(p)
            write_state(p, 3, sections)

        def parts_section(d, edit):
            p = os.path.join(d, "state")
            v, sections = read_state(p)
            sections = [(k, i, edit(data)) if k == SNAPSHOT_MEMORY_MAP else (k, i, data)
                        for k, i, data in sections]
            write_state(p, v, [x for x in sections if x[2] is not None])

        def map_part(d):
            nparts, _, owners = memory_map(d)
            set_memory_map(d, [nparts] + owners[1:])

        def no_part1(d):
            os.unlink(os.path.join(d, "memory.1"))

        def other_layout(d):
            p = os.path.join(d, "state")
            v, sections = read_state(p)
            sections = [(k, i, data.replace(b'"block_size": 134217728', b'"block_size": 268435456') if k == 65
                         else data) for k, i, data in sections]
            write_state(p, v, sections)

        def short_memory(d):
            os.truncate(os.path.join(d, "memory"), 256 * MB)

        def short_part1(d):
            os.truncate(os.path.join(d, "memory.1"), 256 * MB)

        for name, edit, pattern in (
                ("truncated", truncate, "truncated"),
                ("corrupted", flip, "corrupted"),
                ("version 3", version3, "version 3, this mirrorvm reads versions 1 to 2"),
                ("its second memory part missing", no_part1, "memory.1: No such file or directory"),
                ("nine memory parts in the state", lambda d: parts_section(d, lambda m: struct.pack("<I", 9) + m[4:]),
                 "the state says 9 memory files, a snapshot has 1 to 8"),
                ("a memory map one piece short", lambda d: parts_section(d, lambda m: m[:-1]),
                 "the state's memory map has 63 pieces, the guest's RAM 64"),
                ("a memory map naming a third part", map_part,
                 "the state's memory map puts piece 0 in part 2 of 2"),
                ("a memory map of 16 MiB pieces", lambda d: parts_section(d, lambda m: m[:4] + struct.pack("<I", 16) + m[8:]),
                 "the state's memory map has pieces of 16 MiB, this mirrorvm's are 8 MiB"),
                ("no memory part count in the state", lambda d: parts_section(d, lambda _: None),
                 "the state does not say how many memory files there are"),
                ("another layout", other_layout, "the snapshot's layout is not the one its guest flags make here"),
                ("a short memory file", short_memory, "the memory file has 268435456 bytes, the guest's RAM is 536870912"),
                ("a short second memory part", short_part1,
                 "memory.1: the memory file has 268435456 bytes, the guest's RAM is 536870912")):
            ok, why = restore_refused(binary, damaged(name.replace(" ", "-"), edit), pattern)
            report(ok, f"L0 {tag}: a snapshot with {name} is refused ('{pattern}')", why)
        ok, why = restore_refused(binary, snap, "--node cannot be given with it", ["--node", "id=0,size=1G"])
        report(ok, f"L0 {tag}: --restore with guest flags is refused", why)
        restore_data_runs(binary, snap, base, tag, report)
        restore_dense(binary, snap, base, tag, report)
        restore_version1(binary, os.path.join(base, "s1"), base, tag, report)
        snapshot_memfd(binary, tiny, base, tag, report)
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
    vm = TinyVM(mvm, base, "parts", guest)
    rc, out, err = vm.ctl("snapshot", os.path.join(base, "p"), "parts=9")
    rc0, _, err0 = vm.ctl("snapshot", os.path.join(base, "p"), "parts=0")
    st = vm.ctl("query-status")[1]
    vm.quit()
    report(rc == 1 and "snapshot: parts=9: expected 1 to 8 memory parts" in err and rc0 == 1 and
           "parts=0: expected 1 to 8" in err0 and '"running"' in st and
           not os.path.exists(os.path.join(base, "p")),
           "L0 snapshot with parts=9 or parts=0: refused by ctl, named, no files made, the guest runs on",
           f"exit {rc} {err[-300:]}; exit {rc0} {err0[-300:]}; {st[-200:]}")
    vm = TinyVM(mvm, base, "exists", guest)
    os.makedirs(os.path.join(base, "e"))
    open(os.path.join(base, "e", "state"), "w").close()
    rc, out, err = vm.ctl("snapshot", os.path.join(base, "e"))
    st = vm.ctl("query-status")[1]
    vm.quit()
    report(rc == 1 and "File exists" in err and '"running"' in st,
           "L0 snapshot into a directory that has a state file: refused, the guest runs on",
           f"exit {rc}; {err[-300:]}; {st[-200:]}")
