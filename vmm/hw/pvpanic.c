// SPDX-License-Identifier: GPL-2.0
/*
 * pvpanic: QEMU's ISA panic device (ACPI QEMU0001), which Linux's
 * pvpanic-mmio driver binds to.  Reads give the events it supports
 * (PANICKED), a write with PANICKED ends the VM as crashed.
 */
#include "aml.h"
#include "device.h"
#include "platform.h"

static void pvpanic_read(struct device *dev, u64 off, u8 *data, unsigned int size)
{
	(void)dev;
	(void)off;
	(void)size;
	data[0] = PVPANIC_PANICKED;
}

static void pvpanic_write(struct device *dev, u64 off, const u8 *data, unsigned int size)
{
	(void)off;
	(void)size;
	if (ending__pvpanic(data[0]))
		dev->ctx->end(dev->ctx, VM_END_PANIC, MVM_EXIT_CRASH);
}

static int pvpanic_aml(struct aml *sb, const struct platform_device *d, const struct layout *lay)
{
	struct aml *dev = aml_device(d->name);
	struct aml *crs = aml_resource_template();

	(void)lay;
	aml_append(dev, aml_name("_HID", aml_string("QEMU0001")));
	aml_res_io(crs, d->base, d->len);
	aml_append(dev, aml_name("_CRS", aml_resource_end(crs)));
	aml_append(sb, dev);
	return 0;
}

const struct device_model pvpanic = {
	.kind = "pvpanic",
	.aml = pvpanic_aml,
	.ops = { .read = pvpanic_read, .write = pvpanic_write },
};
