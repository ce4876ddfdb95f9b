// SPDX-License-Identifier: GPL-2.0
/*
 * Port I/O and MMIO dispatch.  Devices claim a port range; an access is
 * handed to a device only when it lies entirely inside that range, so a
 * device never sees an offset or size it did not ask for.  Everything else
 * (unclaimed ports, accesses straddling a device's edge, MMIO outside RAM
 * and outside the in-kernel LAPIC/IOAPIC) reads all-ones and drops writes:
 * what a PC bus does, and nothing a guest can use to upset the VMM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-engine.h"

#define DEBUG_LINES	20

int io_bus__register(struct io_bus *bus, struct io_dev *dev, struct err *e)
{
	unsigned int i;

	if (!dev->len || (u32)dev->base + dev->len > 0x10000)
		return err_set(e, "%s: bad port range", dev->name);
	for (i = 0; i < bus->nr; i++) {
		struct io_dev *o = bus->devs[i];

		if (dev->base < o->base + o->len && o->base < dev->base + dev->len)
			return err_set(e, "%s: ports 0x%x-0x%x overlap %s", dev->name, dev->base,
				       dev->base + dev->len - 1, o->name);
	}
	if (bus->nr >= MAX_IO_DEVS)
		return err_set(e, "%s: too many port devices", dev->name);
	bus->devs[bus->nr++] = dev;
	return 0;
}

static void unhandled(struct io_bus *bus, const char *kind, u64 addr, const u8 *data,
		      unsigned int size, bool is_write)
{
	unsigned long n = atomic_fetch_add(&bus->unhandled, 1);
	u64 v = 0;

	if (!bus->debug || n >= DEBUG_LINES)
		return;
	if (is_write)
		memcpy(&v, data, MIN(size, sizeof(v)));
	if (is_write)
		info("kvm: %s write 0x%llx size %u value 0x%llx ignored%s", kind,
		     (unsigned long long)addr, size, (unsigned long long)v,
		     n == DEBUG_LINES - 1 ? " (no more of these)" : "");
	else
		info("kvm: %s read 0x%llx size %u -> all-ones%s", kind,
		     (unsigned long long)addr, size,
		     n == DEBUG_LINES - 1 ? " (no more of these)" : "");
}

void io_bus__access(struct io_bus *bus, u16 port, u8 *data, unsigned int size,
		    bool is_write)
{
	unsigned int i;

	if (size != 1 && size != 2 && size != 4) {
		if (!is_write)
			memset(data, 0xff, size > 8 ? 8 : size);
		unhandled(bus, "port", port, data, size, is_write);
		return;
	}
	for (i = 0; i < bus->nr; i++) {
		struct io_dev *d = bus->devs[i];

		if (port < d->base || port >= d->base + d->len)
			continue;
		if ((u32)port + size > (u32)d->base + d->len)
			break;		/* straddles the device's edge */
		if (is_write) {
			if (d->write)
				d->write(d, port - d->base, data, size);
		} else {
			memset(data, 0xff, size);
			if (d->read)
				d->read(d, port - d->base, data, size);
		}
		return;
	}
	if (!is_write)
		memset(data, 0xff, size);
	unhandled(bus, "port", port, data, size, is_write);
}

void io_bus__mmio(struct io_bus *bus, u64 gpa, u8 *data, unsigned int len, bool is_write)
{
	if (len > 8)
		len = 8;
	if (!is_write)
		memset(data, 0xff, len);
	unhandled(bus, "mmio", gpa, data, len, is_write);
}
