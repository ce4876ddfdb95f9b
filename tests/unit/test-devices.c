// SPDX-License-Identifier: GPL-2.0
/*
 * The platform's devices without KVM: the bus (claims, edges, sizes,
 * all-ones), the 16550 (registers, interrupts, FIFO, loopback), mirrorvm's
 * ports and pvpanic, driven through a fake device context that records what
 * a device asked the VM to do; and the device table's own consistency.
 */
#include <errno.h>

#include "unit.h"
#include "helpers.h"
#include "acpi.h"
#include "device.h"
#include "mem-hotplug.h"
#include "fw.h"
#include "platform.h"

/* What the devices asked of the "VM". */
static struct {
	int irq_level[32];
	unsigned int irq_changes;
	enum vm_end end;
	int status;
	unsigned int ends;
	u8 console[4096];
	size_t console_len;
} seen;

static void fake_set_irq(struct dev_ctx *ctx, unsigned int gsi, int level)
{
	(void)ctx;
	if (gsi < ARRAY_SIZE(seen.irq_level)) {
		seen.irq_level[gsi] = level;
		seen.irq_changes++;
	}
}

static void fake_end(struct dev_ctx *ctx, enum vm_end end, int status)
{
	(void)ctx;
	if (!seen.ends++) {
		seen.end = end;
		seen.status = status;
	}
}

static void fake_console_out(struct dev_ctx *ctx, const u8 *buf, size_t len)
{
	(void)ctx;
	if (seen.console_len + len <= sizeof(seen.console)) {
		memcpy(seen.console + seen.console_len, buf, len);
		seen.console_len += len;
	}
}

static struct dev_ctx fake_ctx = {
	.set_irq = fake_set_irq, .end = fake_end, .console_out = fake_console_out,
};

static const struct platform_device *row(const char *name)
{
	unsigned int i;

	for (i = 0; i < nr_platform_devices; i++)
		if (!strcmp(platform_devices[i].name, name))
			return &platform_devices[i];
	return NULL;
}

/* The whole platform on one bus, as the KVM engine builds it. */
static struct vm_spec cfg;
static struct layout lay;
static struct bus bus;
static struct device devs[16];
static unsigned int nr_devs;

static void platform_up(void)
{
	struct err e = { "" };
	unsigned int i;

	memset(&seen, 0, sizeof(seen));
	memset(&bus, 0, sizeof(bus));
	nr_devs = 0;
	for (i = 0; i < nr_platform_devices; i++) {
		CHECK(device__create(&devs[nr_devs], &platform_devices[i], &fake_ctx, &bus, &e) == 0,
		      "%s: %s", platform_devices[i].name, e.msg);
		nr_devs++;
	}
}

static void platform_down(void)
{
	unsigned int i;

	for (i = 0; i < nr_devs; i++)
		device__destroy(&devs[i]);
	bus__free(&bus);
}

static u32 in(u64 port, unsigned int size)
{
	u32 v = 0;

	bus__access(&bus, BUS_PIO, port, (u8 *)&v, size, false);
	return v;
}

static void out(u64 port, u32 v, unsigned int size)
{
	bus__access(&bus, BUS_PIO, port, (u8 *)&v, size, true);
}

/* ---- the bus ---- */

static unsigned int reads, writes;
static u64 last_off;
static unsigned int last_size;

static void probe_read(void *opaque, u64 off, u8 *data, unsigned int size)
{
	(void)opaque;
	reads++;
	last_off = off;
	last_size = size;
	memset(data, 0x5a, size);
}

static void probe_write(void *opaque, u64 off, const u8 *data, unsigned int size)
{
	(void)opaque;
	(void)data;
	writes++;
	last_off = off;
	last_size = size;
}

static void test_bus(void)
{
	struct bus_handler h = { .name = "probe", .read = probe_read, .write = probe_write };
	struct bus_handler h2 = { .name = "other" };
	struct err e = { "" };
	struct bus b = { 0 };
	u8 d[8];

	CHECK(bus__register(&b, BUS_PIO, 0x100, 8, &h, &e) == 0, "%s", e.msg);
	CHECK(bus__register(&b, BUS_MMIO, 0xfeb00000, 0x1000, &h, &e) == 0, "%s", e.msg);
	CHECK(bus__register(&b, BUS_PIO, 0x104, 8, &h2, &e) != 0 && strstr(e.msg, "overlaps probe"),
	      "overlap: %s", e.msg);
	CHECK(bus__register(&b, BUS_PIO, 0xfffe, 4, &h2, &e) != 0, "past port 0xffff");
	CHECK(bus__register(&b, BUS_PIO, 0x200, 0, &h2, &e) != 0, "empty range");
	/* the same address in the other space is another range */
	CHECK(bus__register(&b, BUS_MMIO, 0x100, 8, &h2, &e) == 0, "%s", e.msg);

	reads = writes = 0;
	bus__access(&b, BUS_PIO, 0x106, d, 2, false);
	CHECK(reads == 1 && last_off == 6 && last_size == 2 && d[0] == 0x5a, "inside");
	memset(d, 0, sizeof(d));
	bus__access(&b, BUS_PIO, 0x107, d, 2, false);
	CHECK(reads == 1 && d[0] == 0xff && d[1] == 0xff, "straddling the edge: all-ones");
	bus__access(&b, BUS_PIO, 0x0ff, d, 2, true);
	CHECK(writes == 0, "straddling the start: dropped");
	bus__access(&b, BUS_PIO, 0x100, d, 3, false);
	CHECK(reads == 1 && d[0] == 0xff, "port size 3: all-ones");
	bus__access(&b, BUS_PIO, 0x300, d, 4, false);
	CHECK(!memcmp(d, "\xff\xff\xff\xff", 4), "unclaimed port: all-ones");
	bus__access(&b, BUS_MMIO, 0xfeb00ff8, d, 8, false);
	CHECK(reads == 2 && last_off == 0xff8 && last_size == 8, "8-byte MMIO inside");
	bus__access(&b, BUS_MMIO, 0xfeb00ffc, d, 8, false);
	CHECK(reads == 2 && d[7] == 0xff, "MMIO straddling: all-ones");
	bus__access(&b, BUS_MMIO, 0x100, d, 1, true);
	CHECK(writes == 0, "handler without write: dropped");
	CHECK(atomic_load(&b.unhandled) == 5, "unhandled %lu", atomic_load(&b.unhandled));
	bus__free(&b);
}

/* ---- the table ---- */

static void test_table(void)
{
	unsigned int i, j;

	for (i = 0; i < nr_platform_devices; i++) {
		const struct platform_device *a = &platform_devices[i];

		CHECK(a->len && a->model && a->name && strlen(a->name) == 4, "%s row", a->name);
		CHECK(a->gsi == NO_GSI || (a->gsi >= 0 && a->gsi < 24 && a->gsi != 2),
		      "%s: GSI %d is not a routed IOAPIC pin", a->name, a->gsi);
		if (a->space == BUS_MMIO)
			CHECK(a->base >= PLATFORM_MMIO_BASE &&
			      a->base + a->len <= PLATFORM_MMIO_BASE + PLATFORM_MMIO_SIZE,
			      "%s outside the platform's MMIO window", a->name);
		for (j = 0; j < i; j++) {
			const struct platform_device *b = &platform_devices[j];

			CHECK(a->space != b->space || a->base >= b->base + b->len ||
			      b->base >= a->base + a->len, "%s overlaps %s", a->name, b->name);
			CHECK(strcmp(a->name, b->name), "name %s twice", a->name);
		}
	}
	CHECK(row("COM1") && row("COM1")->base == COM1_PORT && row("COM1")->gsi == COM1_IRQ, "COM1");
}

/* ---- the 16550 ---- */

#define COM(r)	(COM1_PORT + (r))

static void test_uart_transmit(void)
{
	platform_up();
	out(COM(4), 0x08, 1);		/* MCR: OUT2 */
	out(COM(1), 0x02, 1);		/* IER: THRI */
	CHECK(seen.irq_level[COM1_IRQ] == 1, "THRE interrupt when THRI is enabled");
	CHECK((in(COM(2), 1) & 0x0f) == 0x02, "IIR says THRI");
	CHECK(seen.irq_level[COM1_IRQ] == 0, "reading IIR clears THRI");
	out(COM(0), 'h', 1);
	out(COM(0), 'i', 1);
	CHECK(seen.console_len == 2 && !memcmp(seen.console, "hi", 2), "bytes to the console");
	CHECK(seen.irq_level[COM1_IRQ] == 1, "each byte gives a fresh THRE interrupt");
	CHECK(in(COM(5), 1) & 0x60, "LSR: THRE and TEMT");
	/* a word write is two byte writes, as on an 8-bit ISA device */
	out(COM(6), 0x4142, 2);		/* MSR is read-only, SCR takes 0x41 */
	CHECK(in(COM(7), 1) == 0x41, "a word at MSR: the high byte went to SCR");
	out(COM(7), 0x4344, 2);
	CHECK(in(COM(7), 1) == 0x41, "a word straddling the device's end is dropped");
	/* DLAB: divisor latch instead of THR/IER */
	out(COM(3), 0x80, 1);
	out(COM(0), 0x01, 1);
	out(COM(1), 0x00, 1);
	CHECK(seen.console_len == 2, "DLAB writes are not transmitted");
	CHECK(in(COM(0), 1) == 0x01, "DLL reads back");
	out(COM(3), 0x03, 1);
	platform_down();
}

static void test_uart_receive(void)
{
	const struct dev_ops *ops;
	struct device *com;
	u8 buf[80];
	unsigned int i;

	platform_up();
	com = &devs[row("COM1") - platform_devices];
	ops = &com->desc->model->ops;
	out(COM(4), 0x08, 1);
	out(COM(1), 0x01, 1);		/* IER: RDI */
	CHECK(ops->input_room(com) == 64, "room %zu", ops->input_room(com));
	ops->input(com, (const u8 *)"ab", 2);
	CHECK(seen.irq_level[COM1_IRQ] == 1 && (in(COM(2), 1) & 0x0f) == 0x04, "RDI");
	CHECK(in(COM(0), 1) == 'a' && in(COM(0), 1) == 'b', "FIFO order");
	CHECK(!(in(COM(5), 1) & 0x01) && seen.irq_level[COM1_IRQ] == 0, "drained: no DR, no irq");
	/* more than the FIFO holds: overrun, nothing else lost before it */
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i;
	ops->input(com, buf, sizeof(buf));
	CHECK(ops->input_room(com) == 0, "full");
	CHECK(in(COM(5), 1) & 0x02, "LSR: overrun");
	for (i = 0; i < 64; i++)
		if (in(COM(0), 1) != i)
			break;
	CHECK(i == 64, "first 64 bytes in order (%u)", i);
	/* loopback: transmitted bytes come back, nothing reaches the console */
	out(COM(4), 0x18, 1);
	CHECK(ops->input_room(com) == 0, "no host input in loopback");
	out(COM(0), 'z', 1);
	CHECK(in(COM(0), 1) == 'z' && seen.console_len == 0, "loopback");
	CHECK((in(COM(6), 1) & 0xf0) == 0x80, "MSR mirrors OUT2 as DCD in loopback");
	platform_down();
}

/*
 * A snapshot of COM1 loaded into a second 8250 reads back the same:
 * registers, divisor, the FIFO's bytes in order, the interrupt line; a
 * damaged state changes nothing.
 */
static void test_uart_save_load(void)
{
	struct state_section sec;
	struct state_reader r;
	struct state_writer w;
	struct device *com, other = { 0 };
	struct bus bus2 = { 0 };
	struct err e = { "" };
	u8 *file = NULL, st[80];
	size_t len;
	const u64 regs[] = { 1, 2, 3, 4, 5, 6, 7 };	/* IER IIR LCR MCR LSR MSR SCR */
	unsigned int i;

	platform_up();
	com = &devs[row("COM1") - platform_devices];
	out(COM(3), 0x80, 1);		/* DLAB: divisor 0x0c03 */
	out(COM(0), 0x03, 1);
	out(COM(1), 0x0c, 1);
	out(COM(3), 0x1b, 1);		/* 8E1 */
	out(COM(2), 0x01, 1);		/* FIFO on */
	out(COM(4), 0x0b, 1);		/* DTR RTS OUT2 */
	out(COM(7), 0x5a, 1);		/* scratch */
	out(COM(1), 0x01, 1);		/* IER: RDI */
	com->desc->model->ops.input(com, (const u8 *)"hello", 5);
	CHECK(in(COM(0), 1) == 'h', "first byte");
	state_writer__init(&w);
	CHECK(!com->desc->model->ops.save(com, &w, 100, 0, &e), "save: %s", e.msg);
	CHECK(!state_writer__finish(&w, &file, &len, &e) && !state_reader__parse(&r, file, len, &e),
	      "file: %s", e.msg);

	CHECK(!device__create(&other, row("COM1"), &fake_ctx, &bus2, &e), "second 8250: %s", e.msg);
	seen.irq_level[COM1_IRQ] = 0;
	/* damaged: a FIFO longer than the 8250's, a line the registers contradict */
	sec = r.sections[0];
	memcpy(st, sec.data, sec.size);
	st[11] = 65;
	sec.data = st;
	CHECK(other.desc->model->ops.load(&other, &sec, &e) && strstr(e.msg, "not an 8250's"), "%s", e.msg);
	st[11] = 4;
	st[10] = 0;
	CHECK(other.desc->model->ops.load(&other, &sec, &e) && strstr(e.msg, "contradicts"), "%s", e.msg);
	{
		u8 v;

		other.desc->model->ops.read(&other, 7, &v, 1);
		CHECK(v == 0 && seen.irq_level[COM1_IRQ] == 0, "refused states changed nothing");
	}
	CHECK(!other.desc->model->ops.load(&other, &r.sections[0], &e), "load: %s", e.msg);
	CHECK(seen.irq_level[COM1_IRQ] == 1, "the line is raised again (data ready)");
	for (i = 0; i < ARRAY_SIZE(regs); i++) {
		u8 a, b;

		com->desc->model->ops.read(com, regs[i], &a, 1);
		other.desc->model->ops.read(&other, regs[i], &b, 1);
		CHECK(a == b, "register %llu: %#x and %#x", (unsigned long long)regs[i], a, b);
	}
	for (i = 0; i < 4; i++) {
		u8 a, b;

		com->desc->model->ops.read(com, 0, &a, 1);
		other.desc->model->ops.read(&other, 0, &b, 1);
		CHECK(a == b && a == "ello"[i], "FIFO byte %u: %c and %c", i, a, b);
	}
	{
		u8 dll, dlm, v = 0x9b;

		other.desc->model->ops.write(&other, 3, &v, 1);
		other.desc->model->ops.read(&other, 0, &dll, 1);
		other.desc->model->ops.read(&other, 1, &dlm, 1);
		CHECK(dll == 0x03 && dlm == 0x0c, "divisor %#x %#x", dll, dlm);
	}
	device__destroy(&other);
	bus__free(&bus2);
	state_reader__free(&r);
	free(file);
	platform_down();
}

/* ---- mirrorvm's ports and pvpanic ---- */

static void test_ports(void)
{
	platform_up();
	CHECK(in(MVM_SLEEP_STATUS_PORT, 1) == 0, "sleep status reads 0");
	CHECK(in(MVM_CTL_PORT, 1) == 0xff, "control reads all-ones");
	out(MVM_CTL_PORT, 0x34, 2);
	out(MVM_CTL_PORT, 0x77, 1);
	CHECK(seen.ends == 0, "a word, or another byte, ends nothing");
	out(MVM_CTL_PORT, MVM_CTL_POWEROFF, 1);
	CHECK(seen.ends == 1 && seen.end == VM_END_POWEROFF && seen.status == MVM_EXIT_OK, "poweroff");
	platform_down();

	platform_up();
	out(MVM_CTL_PORT, MVM_CTL_RESET, 1);
	CHECK(seen.end == VM_END_RESET, "reset");
	platform_down();

	platform_up();
	out(MVM_STATUS_PORT, 42, 1);
	CHECK(seen.end == VM_END_STATUS && seen.status == 42, "status 42");
	platform_down();

	platform_up();
	out(MVM_STATUS_PORT, 42, 2);	/* straddles into an unclaimed port */
	CHECK(seen.ends == 0, "a word at the status port is not a status");
	CHECK(in(PVPANIC_PORT, 1) == PVPANIC_PANICKED, "pvpanic: PANICKED supported");
	out(PVPANIC_PORT, 0x02, 1);
	CHECK(seen.ends == 0, "pvpanic: crash loaded is not a panic");
	out(PVPANIC_PORT, PVPANIC_PANICKED, 1);
	CHECK(seen.end == VM_END_PANIC && seen.status == MVM_EXIT_CRASH, "pvpanic: panicked");
	platform_down();
}

/* The GED's event block: level interrupt while an enabled event is pending. */
static void test_ged(void)
{
	struct device *g;

	platform_up();
	g = &devs[row("GED0") - platform_devices];
	CHECK(in(MVM_GPE0_PORT, 1) == 0 && in(MVM_GPE0_PORT + 2, 1) == 0, "idle");
	ged__raise(g, 3);
	CHECK(in(MVM_GPE0_PORT, 1) == 0x08 && seen.irq_level[MVM_GED_GSI] == 0,
	      "pending, not enabled: no interrupt");
	out(MVM_GPE0_PORT + 2, 0x08, 1);
	CHECK(seen.irq_level[MVM_GED_GSI] == 1, "enabling a pending event raises the line");
	ged__raise(g, 9);
	CHECK(in(MVM_GPE0_PORT, 2) == 0x0208, "bit 9 in the second status byte");
	out(MVM_GPE0_PORT, 0x01, 1);
	CHECK(in(MVM_GPE0_PORT, 1) == 0x08 && seen.irq_level[MVM_GED_GSI] == 1,
	      "writing 1 to another bit clears only that one");
	out(MVM_GPE0_PORT, 0x0008, 2);
	CHECK(in(MVM_GPE0_PORT, 2) == 0x0200 && seen.irq_level[MVM_GED_GSI] == 0,
	      "cleared; bit 9 is pending but not enabled: line low");
	CHECK(in(MVM_GPE0_PORT, 4) == 0x00080200, "status and enable, one dword");
	platform_down();
}

/* ---- the memory hotplug registers ---- */

static struct {
	unsigned int ejected[8], nr_ejected;
	u32 ost_unit, ost_event, ost_status;
	unsigned int nr_ost;
} mhp_seen;

static void fake_ejected(void *opaque, unsigned int unit)
{
	(void)opaque;
	if (mhp_seen.nr_ejected < 8)
		mhp_seen.ejected[mhp_seen.nr_ejected++] = unit;
}

static void fake_ost(void *opaque, unsigned int unit, u32 event, u32 status)
{
	(void)opaque;
	mhp_seen.ost_unit = unit;
	mhp_seen.ost_event = event;
	mhp_seen.ost_status = status;
	mhp_seen.nr_ost++;
}

#define MHP(r)	(MVM_MEMHP_PORT + (r))

static void test_mem_hotplug(void)
{
	static const struct mem_hotplug_backend backend = {
		.ejected = fake_ejected, .ost = fake_ost,
	};
	struct err e = { "" };
	struct device *m;

	memset(&mhp_seen, 0, sizeof(mhp_seen));
	CHECK(build_layout("--node id=0,size=1G --node id=1,size=512M,hotplug=on,unplug-unit=256M "
			   "--node id=2,size=128M,hotplug=on", &cfg, &lay, &e) == 0, "%s", e.msg);
	platform_up();
	m = &devs[row("MHPC") - platform_devices];
	/* without the layout the device has no unit: everything reads 0 */
	CHECK(in(MHP(0x14), 1) == 0 && in(MHP(0), 4) == 0, "no units yet");
	mem_hotplug__set_backend(m, &backend, &lay);

	out(MHP(0), 1, 4);			/* select unit 1 */
	CHECK(in(MHP(0x00), 4) == 0x50000000 && in(MHP(0x04), 4) == 0, "unit 1's address");
	CHECK(in(MHP(0x08), 4) == 256 << 20 && in(MHP(0x0c), 4) == 0, "its size");
	CHECK(in(MHP(0x10), 4) == 1, "its proximity (node 1)");
	CHECK(in(MHP(0x14), 1) == 0x01, "enabled, no event, reserved bits 0");
	out(MHP(0), 2, 4);
	CHECK(in(MHP(0x10), 4) == 2 && in(MHP(0x00), 4) == 0x60000000, "unit 2 is node 2's");
	out(MHP(0), 3, 4);			/* beyond the units */
	CHECK(in(MHP(0x14), 1) == 0 && in(MHP(0), 4) == 0, "a selector beyond reads 0");
	out(MHP(0x14), 0x08, 1);
	CHECK(mhp_seen.nr_ejected == 0, "an eject beyond the units does nothing");
	CHECK(in(MHP(0x18), 1) == 0xff, "past the block: all-ones (the bus)");

	/* a removal request, as the engine makes it; the guest's scan */
	CHECK(mem_hotplug__request_remove(m, 1) == 0, "request");
	out(MHP(0), 1, 4);
	CHECK(in(MHP(0x14), 1) == 0x05, "enabled + remove pending");
	out(MHP(0x14), 0x0e, 1);		/* clear insert | clear remove | eject: one action */
	CHECK(in(MHP(0x14), 1) == 0x05 && mhp_seen.nr_ejected == 0,
	      "only the first action of a write (clear insert) is taken");
	out(MHP(0x14), 0x0c, 1);
	CHECK(in(MHP(0x14), 1) == 0x01 && mhp_seen.nr_ejected == 0, "clear remove, no eject");
	/* _OST(3, 0x84): event, then status */
	out(MHP(0x04), 3, 4);
	out(MHP(0x08), 0x84, 4);
	CHECK(mhp_seen.nr_ost == 1 && mhp_seen.ost_unit == 1 && mhp_seen.ost_event == 3 &&
	      mhp_seen.ost_status == 0x84, "_OST captured");
	/* _EJ0: disabled at once, the backend told once */
	out(MHP(0x14), 0x08, 1);
	CHECK(in(MHP(0x14), 1) == 0x00 && mhp_seen.nr_ejected == 1 && mhp_seen.ejected[0] == 1,
	      "ejected");
	out(MHP(0x14), 0x08, 1);
	CHECK(mhp_seen.nr_ejected == 1, "a second eject of a disabled unit does nothing");
	CHECK(!mem_hotplug__enabled(m, 1) && mem_hotplug__enabled(m, 0), "enabled states");
	CHECK(mem_hotplug__request_remove(m, 1) == -ENOENT, "cannot remove an ejected unit");
	/* re-plug: present again, insert pending until the guest clears it */
	CHECK(mem_hotplug__insert(m, 1) == 0 && mem_hotplug__insert(m, 1) == -EEXIST, "insert");
	CHECK(in(MHP(0x14), 1) == 0x03, "enabled + insert pending");
	out(MHP(0x14), 0x02, 1);
	CHECK(in(MHP(0x14), 1) == 0x01, "insert cleared");
	/* a withdrawn request */
	CHECK(mem_hotplug__request_remove(m, 0) == 0, "request 0");
	mem_hotplug__cancel_remove(m, 0);
	out(MHP(0), 0, 4);
	CHECK(in(MHP(0x14), 1) == 0x01, "withdrawn");
	platform_down();
}

/* Reads register @off of a device that is not on the test bus. */
static u32 dev_in(struct device *dev, u64 off, unsigned int size)
{
	u32 v = 0;

	dev->desc->model->ops.read(dev, off, (u8 *)&v, size);
	return v;
}

static void dev_out(struct device *dev, u64 off, u32 v, unsigned int size)
{
	dev->desc->model->ops.write(dev, off, (const u8 *)&v, size);
}

/*
 * A snapshot of the GED and the memory hotplug block, loaded into second
 * ones: pending events, the interrupt line, each unit's flags and the
 * selector come back; damaged states are refused and change nothing.
 */
static void test_hotplug_save_load(void)
{
	static const struct mem_hotplug_backend backend = {
		.ejected = fake_ejected, .ost = fake_ost,
	};
	struct device *m, *g, m2 = { 0 }, g2 = { 0 };
	const struct state_section *sm, *sg;
	struct state_section bad;
	struct state_reader r;
	struct state_writer w;
	struct bus bus2 = { 0 };
	struct err e = { "" };
	u8 *file = NULL, copy[128];
	size_t len;

	memset(&mhp_seen, 0, sizeof(mhp_seen));
	CHECK(build_layout("--node id=0,size=1G --node id=1,size=512M,hotplug=on,unplug-unit=256M "
			   "--node id=2,size=128M,hotplug=on", &cfg, &lay, &e) == 0, "%s", e.msg);
	platform_up();
	m = &devs[row("MHPC") - platform_devices];
	g = &devs[row("GED0") - platform_devices];
	mem_hotplug__set_backend(m, &backend, &lay);
	CHECK(mem_hotplug__request_remove(m, 0) == 0, "request 0");
	out(MHP(0), 2, 4);			/* the guest ejects unit 2 */
	out(MHP(0x14), 0x08, 1);
	out(MHP(0), 0, 4);			/* and leaves unit 0 selected */
	out(MHP(0x04), 3, 4);			/* _OST event being reported */
	ged__raise(g, 3);
	out(MVM_GPE0_PORT + 2, 0x08, 1);
	state_writer__init(&w);
	CHECK(!m->desc->model->ops.save(m, &w, 100, 0, &e) && !g->desc->model->ops.save(g, &w, 100, 1, &e),
	      "save: %s", e.msg);
	CHECK(!state_writer__finish(&w, &file, &len, &e) && !state_reader__parse(&r, file, len, &e),
	      "file: %s", e.msg);
	sm = state_reader__find(&r, 100, 0);
	sg = state_reader__find(&r, 100, 1);
	CHECK(sm && sg && sm->size <= sizeof(copy), "both sections");

	CHECK(!device__create(&m2, row("MHPC"), &fake_ctx, &bus2, &e) &&
	      !device__create(&g2, row("GED0"), &fake_ctx, &bus2, &e), "second devices: %s", e.msg);
	mem_hotplug__set_backend(&m2, &backend, &lay);
	/* damaged: a unit count that is not the layout's, a flag that is not 0/1 */
	memcpy(copy, sm->data, sm->size);
	bad = *sm;
	bad.data = copy;
	copy[0] = 2;
	bad.size = sm->size - 8;
	CHECK(m2.desc->model->ops.load(&m2, &bad, &e) && strstr(e.msg, "has 2 units, the layout 3"), "%s",
	      e.msg);
	copy[0] = 3;
	bad.size = sm->size;
	copy[8 + 8 + 1] = 2;			/* unit 1's inserting */
	CHECK(m2.desc->model->ops.load(&m2, &bad, &e) && strstr(e.msg, "unit 1: saved flags"), "%s", e.msg);
	dev_out(&m2, 0, 2, 4);
	CHECK(dev_in(&m2, 0x14, 1) == 0x01 && mem_hotplug__enabled(&m2, 2), "refused states changed nothing");
	CHECK(!m2.desc->model->ops.load(&m2, sm, &e), "load: %s", e.msg);
	CHECK(dev_in(&m2, 0x14, 1) == 0x05, "unit 0 still selected, enabled, remove pending");
	dev_out(&m2, 0, 2, 4);
	CHECK(dev_in(&m2, 0x14, 1) == 0x00 && !mem_hotplug__enabled(&m2, 2), "unit 2 ejected");
	dev_out(&m2, 0, 1, 4);
	CHECK(dev_in(&m2, 0x14, 1) == 0x01, "unit 1 plugged");

	/* the GED: a line its events contradict, a short section */
	memcpy(copy, sg->data, sg->size);
	bad = *sg;
	bad.data = copy;
	copy[4] = 0;
	seen.irq_level[MVM_GED_GSI] = 0;
	CHECK(g2.desc->model->ops.load(&g2, &bad, &e) && strstr(e.msg, "contradicts"), "%s", e.msg);
	bad.size = 3;
	CHECK(g2.desc->model->ops.load(&g2, &bad, &e) && strstr(e.msg, "not a GED's"), "%s", e.msg);
	CHECK(dev_in(&g2, 0, 4) == 0 && seen.irq_level[MVM_GED_GSI] == 0, "refused states changed nothing");
	CHECK(!g2.desc->model->ops.load(&g2, sg, &e), "load: %s", e.msg);
	CHECK(dev_in(&g2, 0, 4) == 0x00080008 && seen.irq_level[MVM_GED_GSI] == 1,
	      "event 3 pending and enabled, the line raised again");
	device__destroy(&m2);
	device__destroy(&g2);
	bus__free(&bus2);
	state_reader__free(&r);
	free(file);
	platform_down();
}

/* The shared decoders both engines use. */
static void test_endings(void)
{
	CHECK(ending__control_byte(MVM_CTL_POWEROFF) == VM_END_POWEROFF, "0x34");
	CHECK(ending__control_byte(MVM_CTL_RESET) == VM_END_RESET, "0x01");
	CHECK(ending__control_byte(0x35) == VM_END_NONE, "other");
	CHECK(ending__pvpanic(0x01) && ending__pvpanic(0x03) && !ending__pvpanic(0x02), "pvpanic bits");
	CHECK(ending__report(VM_END_STATUS, 7) == 7, "status");
	CHECK(ending__report(VM_END_POWEROFF, 0) == MVM_EXIT_OK, "poweroff");
	CHECK(ending__report(VM_END_PANIC_CONSOLE, 0) == MVM_EXIT_CRASH, "panic");
	CHECK(ending__report(VM_END_SIGNAL, 143) == 143, "signal");
	{
		struct vm_ending v;
		int st;

		ending__init(&v);
		CHECK(ending__set(&v, VM_END_STATUS, 3) && !ending__set(&v, VM_END_CRASH, 2),
		      "first wins");
		CHECK(ending__get(&v, &st) == VM_END_STATUS && st == 3, "kept");
		ending__destroy(&v);
	}
}

int main(void)
{
	RUN(test_bus);
	RUN(test_table);
	RUN(test_uart_transmit);
	RUN(test_uart_receive);
	RUN(test_uart_save_load);
	RUN(test_ports);
	RUN(test_ged);
	RUN(test_mem_hotplug);
	RUN(test_hotplug_save_load);
	RUN(test_endings);
	UNIT_DONE();
}
