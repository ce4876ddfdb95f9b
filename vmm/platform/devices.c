// SPDX-License-Identifier: GPL-2.0
/*
 * The platform's device table: every device the guest's firmware describes
 * or points at, where it sits and what interrupts it uses.  The DSDT lists
 * the devices with AML in this order; the MADT gets an override for every
 * GSI whose model asks for one; the KVM engine emulates every present row
 * and routes its GSI; the QEMU engine maps each row onto a QEMU device or
 * refuses to run.
 */
#include "device.h"
#include "platform.h"

const struct platform_device platform_devices[] = {
	/* name    space    base              len  gsi       model */
	{ "COM1", BUS_PIO, COM1_PORT,        8,   COM1_IRQ, &serial_8250 },
	{ "PEVT", BUS_PIO, PVPANIC_PORT,     1,   NO_GSI,   &pvpanic },
	{ "CTLP", BUS_PIO, MVM_CTL_PORT,     2,   NO_GSI,   &control_port },
	{ "STSP", BUS_PIO, MVM_STATUS_PORT,  1,   NO_GSI,   &status_port },
	{ "GED0", BUS_PIO, MVM_GPE0_PORT,    4,   MVM_GED_GSI, &ged },
	{ "MHPC", BUS_PIO, MVM_MEMHP_PORT,   0x18, NO_GSI,  &mem_hotplug },
};

const unsigned int nr_platform_devices = ARRAY_SIZE(platform_devices);

bool platform_device__present(const struct platform_device *d, const struct layout *lay)
{
	return !d->model->present || d->model->present(lay);
}

static void dev_read(void *opaque, u64 off, u8 *data, unsigned int size)
{
	struct device *dev = opaque;

	if (dev->desc->model->ops.read)
		dev->desc->model->ops.read(dev, off, data, size);
}

static void dev_write(void *opaque, u64 off, const u8 *data, unsigned int size)
{
	struct device *dev = opaque;

	if (dev->desc->model->ops.write)
		dev->desc->model->ops.write(dev, off, data, size);
}

int device__create(struct device *dev, const struct platform_device *desc,
		   struct dev_ctx *ctx, struct bus *bus, struct err *e)
{
	const struct bus_handler h = {
		.name = desc->name, .read = dev_read, .write = dev_write, .opaque = dev,
	};
	int ret = 0;

	dev->desc = desc;
	dev->ctx = ctx;
	dev->state = NULL;
	if (desc->model->ops.create)
		ret = desc->model->ops.create(dev, e);
	if (!ret && bus)
		ret = bus__register(bus, desc->space, desc->base, desc->len, &h, e);
	if (ret)
		device__destroy(dev);
	return ret;
}

void device__destroy(struct device *dev)
{
	if (dev->desc && dev->desc->model->ops.destroy)
		dev->desc->model->ops.destroy(dev);
	dev->state = NULL;
	dev->desc = NULL;
}
