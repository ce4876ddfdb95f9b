/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_BUS_H
#define MIRRORVM_BUS_H

/*
 * One bus for port I/O and MMIO: handlers claim address ranges, and an
 * access is handed to a handler only when it lies entirely inside its
 * range, so a handler never sees an offset or size it did not ask for.
 * Everything else (unclaimed addresses, accesses straddling a range's edge,
 * port accesses of sizes other than 1, 2 and 4) reads all-ones and drops
 * writes: what a PC bus does, and nothing a guest can use to upset the VMM.
 *
 * Ranges are registered while the VM is built, before any vCPU runs;
 * accesses then only read the bus, from any vCPU thread.
 */
#include <stdatomic.h>

#include "util.h"

enum bus_space { BUS_PIO, BUS_MMIO };

struct bus_handler {
	const char *name;
	/* @off + @size <= the range's length; @data holds @size bytes, LE */
	void (*read)(void *opaque, u64 off, u8 *data, unsigned int size);
	void (*write)(void *opaque, u64 off, const u8 *data, unsigned int size);
	void *opaque;
};

struct bus_range {
	enum bus_space space;
	u64 base;
	u64 len;
	struct bus_handler h;
};

struct bus {
	struct bus_range *ranges;	/* sorted by (space, base), disjoint */
	unsigned int nr, cap;
	atomic_ulong unhandled;		/* accesses nothing claimed */
	bool debug;			/* log the first few unhandled accesses */
};

int bus__register(struct bus *bus, enum bus_space space, u64 base, u64 len,
		  const struct bus_handler *h, struct err *e);
void bus__free(struct bus *bus);
/* A guest access: @size bytes at @addr (reads fill @data). */
void bus__access(struct bus *bus, enum bus_space space, u64 addr, u8 *data,
		 unsigned int size, bool is_write);

#endif
