// SPDX-License-Identifier: GPL-2.0
/*
 * mirrorvm's own ports (platform.h), what the firmware's FADT, EFI
 * ResetSystem and DSDT point at:
 *
 *   0x600  control: 0x34 (S5 sleep) powers off, 0x01 (reset register)
 *          reboots; both end the VM with status 0.  Other bytes: warning.
 *   0x601  sleep status: reads 0 (never "woken").
 *   0x602  status: the byte written is mirrorvm's exit status.
 *   0x505  pvpanic: reads PANICKED (bit 0) as the supported event; a write
 *          with bit 0 ends the VM as crashed.
 */
#include <stdatomic.h>

#include "kvm-engine.h"

#define MAX_WARNINGS		10

static atomic_uint warnings;

static void ctl_read(struct io_dev *dev, u16 off, u8 *data, unsigned int size)
{
	(void)dev;
	/* 0x600 reads all-ones like an unclaimed port; 0x601 reads 0. */
	if (off == 1 && size == 1)
		data[0] = 0;
}

static void ctl_write(struct io_dev *dev, u16 off, const u8 *data, unsigned int size)
{
	struct kvm_guest *g = dev->priv;
	enum vm_end end;

	if (off != 0 || size != 1) {
		if (atomic_fetch_add(&warnings, 1) < MAX_WARNINGS)
			warn("guest wrote %u byte(s) to port 0x%x; ignored", size,
			     MVM_CTL_PORT + off);
		return;
	}
	end = ending__control_byte(data[0]);
	if (end != VM_END_NONE)
		guest__end(g, end, MVM_EXIT_OK);
	else if (atomic_fetch_add(&warnings, 1) < MAX_WARNINGS)
		warn("guest wrote 0x%02x to the control port; ignored", data[0]);
}

static void status_write(struct io_dev *dev, u16 off, const u8 *data, unsigned int size)
{
	(void)off;
	(void)size;		/* the registry only passes 1-byte accesses */
	guest__end(dev->priv, VM_END_STATUS, data[0]);
}

static void pvpanic_read(struct io_dev *dev, u16 off, u8 *data, unsigned int size)
{
	(void)dev;
	(void)off;
	(void)size;
	data[0] = PVPANIC_PANICKED;
}

static void pvpanic_write(struct io_dev *dev, u16 off, const u8 *data, unsigned int size)
{
	(void)off;
	(void)size;
	if (ending__pvpanic(data[0]))
		guest__end(dev->priv, VM_END_PANIC, MVM_EXIT_CRASH);
}

int platform__init(struct kvm_guest *g, struct err *e)
{
	struct io_dev *d = g->platform_devs;
	int ret;

	d[0] = (struct io_dev){ .name = "control", .base = MVM_CTL_PORT, .len = 2,
				.read = ctl_read, .write = ctl_write, .priv = g };
	d[1] = (struct io_dev){ .name = "status", .base = MVM_STATUS_PORT, .len = 1,
				.write = status_write, .priv = g };
	d[2] = (struct io_dev){ .name = "pvpanic", .base = PVPANIC_PORT, .len = 1,
				.read = pvpanic_read, .write = pvpanic_write, .priv = g };
	ret = io_bus__register(&g->io, &d[0], e);
	if (!ret)
		ret = io_bus__register(&g->io, &d[1], e);
	if (!ret)
		ret = io_bus__register(&g->io, &d[2], e);
	return ret;
}
