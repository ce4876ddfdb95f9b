// SPDX-License-Identifier: GPL-2.0
/*
 * mirrorvm's own ports (platform.h), which the FADT's sleep control and
 * reset registers and EFI ResetSystem point at:
 *
 *   0x600  control: 0x34 (S5 sleep) powers off, 0x01 (reset register)
 *          reboots; both end the VM with status 0.  Other bytes: warning.
 *   0x601  sleep status: reads 0 (never "woken").
 *   0x602  status: the byte written is mirrorvm's exit status.
 *
 * Neither is an ACPI device: the FADT names them, so they have no AML.
 */
#include <stdatomic.h>

#include "device.h"
#include "platform.h"

#define MAX_WARNINGS		10

static atomic_uint warnings;

static void ctl_read(struct device *dev, u64 off, u8 *data, unsigned int size)
{
	(void)dev;
	/* 0x600 reads all-ones like an unclaimed port; 0x601 reads 0. */
	if (off == 1 && size == 1)
		data[0] = 0;
}

static void ctl_write(struct device *dev, u64 off, const u8 *data, unsigned int size)
{
	enum vm_end end;

	if (off != 0 || size != 1) {
		if (atomic_fetch_add(&warnings, 1) < MAX_WARNINGS)
			warn("guest wrote %u byte(s) to port 0x%llx; ignored", size,
			     (unsigned long long)(dev->desc->base + off));
		return;
	}
	end = ending__control_byte(data[0]);
	if (end != VM_END_NONE)
		dev->ctx->end(dev->ctx, end, MVM_EXIT_OK);
	else if (atomic_fetch_add(&warnings, 1) < MAX_WARNINGS)
		warn("guest wrote 0x%02x to the control port; ignored", data[0]);
}

static void status_write(struct device *dev, u64 off, const u8 *data, unsigned int size)
{
	(void)off;
	(void)size;		/* the bus passes only accesses inside the 1-byte range */
	dev->ctx->end(dev->ctx, VM_END_STATUS, data[0]);
}

const struct device_model control_port = {
	.kind = "control port",
	.ops = { .read = ctl_read, .write = ctl_write },
};

const struct device_model status_port = {
	.kind = "status port",
	.ops = { .write = status_write },
};
