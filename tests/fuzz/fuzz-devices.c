// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzzes the device models a guest reaches: the whole platform table on
 * one bus (8250 UART, pvpanic, control and status ports, GED, memory
 * hotplug registers), as the KVM engine builds it, driven by a sequence of
 * port and MMIO accesses from the input, mixed with what the engine does
 * on its own side (console input, GED events, unplug and plug requests).
 *
 * Next to the devices runs a model of what each must show the guest, kept
 * from what the guest wrote and the engine asked; every read is checked
 * against it, and after every step:
 *
 *  - UART: its registers read back as written, the receive FIFO returns
 *    exactly the bytes fed (console input, loopback), in order, at most 64,
 *    an overrun sets OE; every transmitted byte reaches the console once;
 *    IIR names the highest pending source; the interrupt line is high
 *    whenever an enabled source is pending and low with none enabled;
 *  - GED: status latches events, write-1-clears; the line follows
 *    status & enable exactly;
 *  - memory hotplug: every register of the selected unit (or zeros for a
 *    selector beyond the units) matches the model; ejects and _OST reports
 *    reach the backend only for real units, with the event last written;
 *    a unit is enabled exactly as the model says, remove pending only on
 *    an enabled unit;
 *  - the VM ends only through the ports that end it, with their status;
 *    unclaimed ports read all-ones; interrupt lines only change level.
 */
#include "fuzz.h"
#include "cli.h"
#include "device.h"
#include "layout.h"
#include "mem-hotplug.h"
#include "platform.h"

/* ---- what the devices asked of the VM ---- */

static struct {
	int irq[32];
	unsigned int ends;
	enum vm_end end;
	int status;
	u8 console[64];
	unsigned int console_len;
	int ejected, ost_unit;
	u32 ost_event, ost_status;
	unsigned int osts;
} seen;

static void fake_set_irq(struct dev_ctx *ctx, unsigned int gsi, int level)
{
	(void)ctx;
	FUZZ_ASSERT(gsi == COM1_IRQ || gsi == MVM_GED_GSI, "interrupt on GSI %u", gsi);
	FUZZ_ASSERT(level == 0 || level == 1, "level %d", level);
	FUZZ_ASSERT(seen.irq[gsi] != level, "GSI %u set to %d twice", gsi, level);
	seen.irq[gsi] = level;
}

static void fake_end(struct dev_ctx *ctx, enum vm_end end, int status)
{
	(void)ctx;
	seen.ends++;
	seen.end = end;
	seen.status = status;
}

static void fake_console_out(struct dev_ctx *ctx, const u8 *buf, size_t len)
{
	(void)ctx;
	FUZZ_ASSERT(seen.console_len + len <= sizeof(seen.console), "console overflow");
	memcpy(seen.console + seen.console_len, buf, len);
	seen.console_len += len;
}

static struct dev_ctx ctx = {
	.set_irq = fake_set_irq, .end = fake_end, .console_out = fake_console_out,
};

static void backend_ejected(void *opaque, unsigned int unit)
{
	(void)opaque;
	FUZZ_ASSERT(seen.ejected < 0, "two ejects from one write");
	seen.ejected = unit;
}

static void backend_ost(void *opaque, unsigned int unit, u32 event, u32 status)
{
	(void)opaque;
	seen.osts++;
	seen.ost_unit = unit;
	seen.ost_event = event;
	seen.ost_status = status;
}

static const struct mem_hotplug_backend backend = {
	.ejected = backend_ejected, .ost = backend_ost,
};

/* ---- the platform ---- */

static struct layout lay;
static struct bus bus;
static struct device devs[16];
static unsigned int nr_devs;
static struct device *uart_dev, *ged_dev, *mhp_dev;

/* ---- the model ---- */

#define RX_MAX	64

static struct {
	u8 ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thr_pending, oe;
	u8 rx[RX_MAX];
	unsigned int rx_head, rx_len;
	unsigned int console_len;	/* bytes the console must have */
	u8 console_last;
} uart;

static struct {
	u8 sts[2], en[2];
} gpe;

static struct {
	u32 selector;
	bool enabled[MAX_UNITS], inserting[MAX_UNITS], removing[MAX_UNITS];
	u32 ost_event[MAX_UNITS];
} mhp;

static bool dlab(void)
{
	return uart.lcr & 0x80;
}

static void rx_push(u8 c)
{
	if (uart.rx_len == RX_MAX) {
		uart.oe = true;
		return;
	}
	uart.rx[(uart.rx_head + uart.rx_len++) % RX_MAX] = c;
}

static void uart_wrote(unsigned int off, u8 v)
{
	switch (off) {
	case 0:
		if (dlab()) {
			uart.dll = v;
			break;
		}
		if (uart.mcr & 0x10) {
			rx_push(v);
		} else {
			uart.console_len++;
			uart.console_last = v;
		}
		uart.thr_pending = true;
		break;
	case 1:
		if (dlab()) {
			uart.dlm = v;
			break;
		}
		if ((v & 0x02) && !(uart.ier & 0x02))
			uart.thr_pending = true;
		uart.ier = v & 0x0f;
		break;
	case 2:
		uart.fcr = v;
		if (v & 0x02)
			uart.rx_len = 0;
		break;
	case 3:
		uart.lcr = v;
		break;
	case 4:
		uart.mcr = v & 0x1f;
		break;
	case 7:
		uart.scr = v;
		break;
	}
}

/* The source IIR must name: 0x06, 0x04, 0x02, or -1 (MSI or none: not modelled). */
static int uart_source(void)
{
	if ((uart.ier & 0x04) && uart.oe)
		return 0x06;
	if ((uart.ier & 0x01) && uart.rx_len)
		return 0x04;
	if ((uart.ier & 0x02) && uart.thr_pending)
		return 0x02;
	return -1;
}

static void uart_read_check(unsigned int off, u8 v)
{
	u8 want;
	int src;

	switch (off) {
	case 0:
		if (dlab()) {
			FUZZ_ASSERT(v == uart.dll, "DLL 0x%02x, wrote 0x%02x", v, uart.dll);
			break;
		}
		want = 0;
		if (uart.rx_len) {
			want = uart.rx[uart.rx_head];
			uart.rx_head = (uart.rx_head + 1) % RX_MAX;
			uart.rx_len--;
		}
		FUZZ_ASSERT(v == want, "RX 0x%02x, expected 0x%02x", v, want);
		break;
	case 1:
		want = dlab() ? uart.dlm : uart.ier;
		FUZZ_ASSERT(v == want, "IER/DLM 0x%02x, expected 0x%02x", v, want);
		break;
	case 2:
		src = uart_source();
		FUZZ_ASSERT((v & 0xc0) == ((uart.fcr & 1) ? 0xc0 : 0) && !(v & 0x30),
			    "IIR 0x%02x with FCR 0x%02x", v, uart.fcr);
		if (src >= 0)
			FUZZ_ASSERT((v & 0x0f) == src, "IIR 0x%02x, source 0x%02x pending", v, src);
		else
			FUZZ_ASSERT((v & 0x0f) == 0x00 || (v & 0x0f) == 0x01, "IIR 0x%02x, nothing pending", v);
		if ((v & 0x0f) == 0x02)
			uart.thr_pending = false;
		break;
	case 3:
		FUZZ_ASSERT(v == uart.lcr, "LCR 0x%02x, wrote 0x%02x", v, uart.lcr);
		break;
	case 4:
		FUZZ_ASSERT(v == uart.mcr, "MCR 0x%02x, wrote 0x%02x", v, uart.mcr);
		break;
	case 5:
		FUZZ_ASSERT(!!(v & 0x01) == !!uart.rx_len, "LSR 0x%02x, %u bytes queued", v, uart.rx_len);
		FUZZ_ASSERT(!!(v & 0x02) == uart.oe, "LSR 0x%02x, overrun %d", v, uart.oe);
		FUZZ_ASSERT((v & 0x60) == 0x60 && !(v & 0x10), "LSR 0x%02x: THRE, TEMT, no break", v);
		uart.oe = false;
		break;
	case 6:
		if (uart.mcr & 0x10)
			want = ((uart.mcr & 0x01) ? 0x20 : 0) | ((uart.mcr & 0x02) ? 0x10 : 0) |
			       ((uart.mcr & 0x04) ? 0x40 : 0) | ((uart.mcr & 0x08) ? 0x80 : 0);
		else
			want = 0xb0;	/* DCD, DSR, CTS: a connected line */
		FUZZ_ASSERT((v & 0xf0) == want, "MSR 0x%02x with MCR 0x%02x", v, uart.mcr);
		break;
	case 7:
		FUZZ_ASSERT(v == uart.scr, "SCR 0x%02x, wrote 0x%02x", v, uart.scr);
		break;
	}
}

/* The memory hotplug registers of the selected unit, as the guest reads them. */
static void mhp_regs(u8 regs[0x18])
{
	u32 s = mhp.selector;
	u64 v;
	u32 v32;

	memset(regs, 0, 0x18);
	if (s >= lay.nr_units)
		return;
	v = lay.units[s].gpa;
	memcpy(regs, &v, 8);
	v = lay.units[s].size;
	memcpy(regs + 8, &v, 8);
	v32 = lay.units[s].node;
	memcpy(regs + 0x10, &v32, 4);
	regs[0x14] = mhp.enabled[s] | mhp.inserting[s] << 1 | mhp.removing[s] << 2;
}

/* The unit a write must have ejected, or -1. */
static int expect_eject;

static void mhp_wrote(unsigned int off, u32 v)
{
	u32 s = mhp.selector;
	bool unit = s < lay.nr_units;

	switch (off) {
	case 0x00:
		mhp.selector = v;
		break;
	case 0x04:
		if (unit)
			mhp.ost_event[s] = v;
		break;
	case 0x08:
		if (unit) {
			FUZZ_ASSERT(seen.osts == 1 && seen.ost_unit == (int)s &&
				    seen.ost_event == mhp.ost_event[s] && seen.ost_status == v,
				    "_OST of unit %u: %u reports, unit %d event %u status %u", s,
				    seen.osts, seen.ost_unit, seen.ost_event, seen.ost_status);
		}
		break;
	case 0x14:
		if (!unit)
			break;
		v &= 0xff;
		if (v & 0x02) {
			mhp.inserting[s] = false;
		} else if (v & 0x04) {
			mhp.removing[s] = false;
		} else if ((v & 0x08) && mhp.enabled[s]) {
			expect_eject = s;
			mhp.enabled[s] = false;
			mhp.removing[s] = false;
		}
		break;
	}
}

/* ---- driving it ---- */

struct input {
	const u8 *p, *end;
};

static u8 next(struct input *in)
{
	return in->p < in->end ? *in->p++ : 0;
}

static u32 next32(struct input *in)
{
	u32 v = 0;
	unsigned int i;

	for (i = 0; i < 4; i++)
		v |= (u32)next(in) << (8 * i);
	return v;
}

/* A port near a device (so the fuzzer finds them), or any port. */
static u16 pick_port(struct input *in)
{
	u8 b = next(in);

	if (b & 0x80) {
		const struct platform_device *d = &platform_devices[(b & 0x7f) % nr_platform_devices];

		/* its range and one port either side of it */
		return d->base + next(in) % (d->len + 2) - 1;
	}
	return next(in) | next(in) << 8;
}

static struct device *device_at(u64 port, unsigned int size, u64 *off)
{
	unsigned int i;

	for (i = 0; i < nr_devs; i++) {
		const struct platform_device *d = devs[i].desc;

		if (d->space == BUS_PIO && port >= d->base && port + size <= d->base + d->len) {
			*off = port - d->base;
			return &devs[i];
		}
	}
	return NULL;
}

static void port_read(u16 port, unsigned int size)
{
	u8 data[8], regs[0x18];
	unsigned int i;
	struct device *dev;
	u64 off;

	bus__access(&bus, BUS_PIO, port, data, size, false);
	dev = (size == 1 || size == 2 || size == 4) ? device_at(port, size, &off) : NULL;
	if (!dev) {
		for (i = 0; i < size; i++)
			FUZZ_ASSERT(data[i] == 0xff, "unclaimed port 0x%x reads 0x%02x", port, data[i]);
		return;
	}
	if (dev == uart_dev) {
		for (i = 0; i < size; i++)
			uart_read_check(off + i, data[i]);
	} else if (dev == ged_dev) {
		for (i = 0; i < size; i++)
			FUZZ_ASSERT(data[i] == (off + i < 2 ? gpe.sts[off + i] : gpe.en[off + i - 2]),
				    "GED byte %llu reads 0x%02x", (unsigned long long)(off + i), data[i]);
	} else if (dev == mhp_dev) {
		mhp_regs(regs);
		FUZZ_ASSERT(!memcmp(data, regs + off, size), "memory hotplug 0x%llx/%u, unit %u",
			    (unsigned long long)off, size, mhp.selector);
	}
}

static void port_write(u16 port, unsigned int size, u32 v)
{
	unsigned int ends = seen.ends, i;
	u8 data[8];
	struct device *dev;
	u64 off;

	memset(data, 0, sizeof(data));
	memcpy(data, &v, 4);
	expect_eject = -1;
	seen.ejected = -1;
	seen.osts = 0;
	bus__access(&bus, BUS_PIO, port, data, size, true);
	dev = (size == 1 || size == 2 || size == 4) ? device_at(port, size, &off) : NULL;
	if (dev == uart_dev) {
		for (i = 0; i < size; i++)
			uart_wrote(off + i, data[i]);
	} else if (dev == ged_dev) {
		for (i = 0; i < size; i++) {
			if (off + i < 2)
				gpe.sts[off + i] &= ~data[i];
			else
				gpe.en[off + i - 2] = data[i];
		}
	} else if (dev == mhp_dev) {
		u32 w = 0;

		memcpy(&w, data, size);
		mhp_wrote(off, w);
	}
	FUZZ_ASSERT(seen.ejected == expect_eject, "eject of %d reported, %d expected (port 0x%x)",
		    seen.ejected, expect_eject, port);
	if (dev != mhp_dev || off != 0x08 || mhp.selector >= lay.nr_units)
		FUZZ_ASSERT(seen.osts == 0, "an _OST from a write to 0x%x", port);

	/* the VM ends only where it should, with the status it should */
	if (port == MVM_STATUS_PORT && size == 1) {
		FUZZ_ASSERT(seen.ends == ends + 1 && seen.end == VM_END_STATUS &&
			    seen.status == data[0], "status port");
	} else if (port == PVPANIC_PORT && size == 1 && ending__pvpanic(data[0])) {
		FUZZ_ASSERT(seen.ends == ends + 1 && seen.end == VM_END_PANIC &&
			    seen.status == MVM_EXIT_CRASH, "pvpanic");
	} else if (port == MVM_CTL_PORT && size == 1 &&
		   ending__control_byte(data[0]) != VM_END_NONE) {
		FUZZ_ASSERT(seen.ends == ends + 1 && seen.end == ending__control_byte(data[0]) &&
			    seen.status == MVM_EXIT_OK, "control port");
	} else {
		FUZZ_ASSERT(seen.ends == ends, "port 0x%x/%u = 0x%x ended the VM", port, size, v);
	}
}

/* After every step: what must hold whatever happened. */
static void check_state(void)
{
	unsigned int i;
	int src = uart_source();

	FUZZ_ASSERT(seen.console_len == uart.console_len, "console has %u bytes, sent %u",
		    seen.console_len, uart.console_len);
	if (uart.console_len)
		FUZZ_ASSERT(seen.console[seen.console_len - 1] == uart.console_last, "console byte");
	if (src >= 0)
		FUZZ_ASSERT(seen.irq[COM1_IRQ], "UART source 0x%02x pending, line low", src);
	if (!uart.ier)
		FUZZ_ASSERT(!seen.irq[COM1_IRQ], "UART line high with every source disabled");
	FUZZ_ASSERT(seen.irq[MVM_GED_GSI] == ((gpe.sts[0] & gpe.en[0]) || (gpe.sts[1] & gpe.en[1])),
		    "GED line %d, status %02x%02x enable %02x%02x", seen.irq[MVM_GED_GSI],
		    gpe.sts[1], gpe.sts[0], gpe.en[1], gpe.en[0]);
	for (i = 0; i < lay.nr_units; i++) {
		FUZZ_ASSERT(mem_hotplug__enabled(mhp_dev, i) == mhp.enabled[i], "unit %u enabled", i);
		FUZZ_ASSERT(!mhp.removing[i] || mhp.enabled[i], "unit %u remove pending, disabled", i);
	}
	/* keep the console record from filling: only its length and last byte matter */
	if (seen.console_len > sizeof(seen.console) / 2) {
		seen.console[0] = seen.console[seen.console_len - 1];
		uart.console_len -= seen.console_len - 1;
		seen.console_len = 1;
	}
}

static void platform_up(void)
{
	struct err e = { "" };
	unsigned int i;

	memset(&seen, 0, sizeof(seen));
	memset(&bus, 0, sizeof(bus));
	memset(&uart, 0, sizeof(uart));
	memset(&gpe, 0, sizeof(gpe));
	memset(&mhp, 0, sizeof(mhp));
	uart.mcr = 0x08;	/* OUT2 at reset, as the device starts */
	nr_devs = 0;
	for (i = 0; i < nr_platform_devices; i++) {
		struct device *d = &devs[nr_devs++];

		FUZZ_ASSERT(device__create(d, &platform_devices[i], &ctx, &bus, &e) == 0, "%s: %s",
			    platform_devices[i].name, e.msg);
		if (platform_devices[i].model == &serial_8250)
			uart_dev = d;
		else if (platform_devices[i].model == &ged)
			ged_dev = d;
		else if (platform_devices[i].model == &mem_hotplug)
			mhp_dev = d;
	}
	FUZZ_ASSERT(uart_dev && ged_dev && mhp_dev, "the platform lacks a device");
	mem_hotplug__set_backend(mhp_dev, &backend, &lay);
	for (i = 0; i < lay.nr_units; i++)
		mhp.enabled[i] = true;
}

static void platform_down(void)
{
	unsigned int i;

	for (i = 0; i < nr_devs; i++)
		device__destroy(&devs[i]);
	bus__free(&bus);
	uart_dev = ged_dev = mhp_dev = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char *flags[] = {
		"run", "--node", "id=0,size=1G", "--node", "id=1,size=1G,hotplug=on,unplug-unit=256M",
		"--node", "id=2,size=1G,hotplug=on", NULL,
	};
	(void)argc;
	(void)argv;
	fuzz_quiet();
	fuzz_layout("fuzz-devices", flags, &lay);
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct input in = { data, data + size };
	static const unsigned int sizes[] = { 1, 2, 4, 3, 8 };

	platform_up();
	while (in.p < in.end) {
		u8 op = next(&in);
		unsigned int unit, n, i;
		u8 buf[16];
		u16 port;
		u64 addr;

		switch (op % 8) {
		case 0:
		case 1:		/* the guest reads a port */
			port = pick_port(&in);
			port_read(port, sizes[(op >> 3) % ARRAY_SIZE(sizes)]);
			break;
		case 2:
		case 3:		/* the guest writes a port */
			port = pick_port(&in);
			port_write(port, sizes[(op >> 3) % ARRAY_SIZE(sizes)], next32(&in));
			break;
		case 4:		/* the guest touches MMIO: nothing claims it, nothing happens */
			addr = PLATFORM_MMIO_BASE + next32(&in) % (PLATFORM_MMIO_SIZE + 0x1000);
			memset(buf, 0, sizeof(buf));
			bus__access(&bus, BUS_MMIO, addr, buf, 1 + (op >> 3) % 8, op & 0x80);
			for (i = 0; !(op & 0x80) && i < 1 + (op >> 3) % 8u; i++)
				FUZZ_ASSERT(buf[i] == 0xff, "MMIO 0x%llx reads 0x%02x",
					    (unsigned long long)addr, buf[i]);
			break;
		case 5:		/* console input, as the engine feeds it */
			n = next(&in) % sizeof(buf);
			for (i = 0; i < n; i++)
				buf[i] = next(&in);
			i = uart_dev->desc->model->ops.input_room(uart_dev);
			FUZZ_ASSERT(i == ((uart.mcr & 0x10) ? 0 : RX_MAX - uart.rx_len),
				    "input room %u with %u queued", i, uart.rx_len);
			n = MIN(n, i);
			uart_dev->desc->model->ops.input(uart_dev, buf, n);
			for (i = 0; i < n; i++)
				rx_push(buf[i]);
			break;
		case 6:		/* a GED event */
			n = next(&in) % 20;
			ged__raise(ged_dev, n);
			if (n < 16)
				gpe.sts[n / 8] |= 1U << (n % 8);
			break;
		case 7:		/* the engine asks to unplug, plug, or gives up */
			unit = next(&in) % (lay.nr_units + 2);
			switch ((op >> 3) % 3) {
			case 0:
				FUZZ_ASSERT((mem_hotplug__request_remove(mhp_dev, unit) == 0) ==
					    (unit < lay.nr_units && mhp.enabled[unit]), "remove %u", unit);
				if (unit < lay.nr_units && mhp.enabled[unit])
					mhp.removing[unit] = true;
				break;
			case 1:
				FUZZ_ASSERT((mem_hotplug__insert(mhp_dev, unit) == 0) ==
					    (unit < lay.nr_units && !mhp.enabled[unit]), "insert %u", unit);
				if (unit < lay.nr_units && !mhp.enabled[unit]) {
					mhp.enabled[unit] = mhp.inserting[unit] = true;
					mhp.removing[unit] = false;
				}
				break;
			default:
				mem_hotplug__cancel_remove(mhp_dev, unit);
				if (unit < lay.nr_units)
					mhp.removing[unit] = false;
			}
			break;
		}
		check_state();
	}
	platform_down();
	return 0;
}
