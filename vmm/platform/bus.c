// SPDX-License-Identifier: GPL-2.0
/*
 * The port I/O and MMIO bus (bus.h): a sorted array of disjoint ranges,
 * looked up by binary search on every guest access that leaves KVM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"

#define DEBUG_LINES	20
#define PIO_LIMIT	0x10000ULL

static const char *space_name(enum bus_space s)
{
	return s == BUS_PIO ? "port" : "mmio";
}

static int cmp_key(enum bus_space s1, u64 b1, enum bus_space s2, u64 b2)
{
	if (s1 != s2)
		return s1 < s2 ? -1 : 1;
	return b1 < b2 ? -1 : b1 > b2;
}

int bus__register(struct bus *bus, enum bus_space space, u64 base, u64 len,
		  const struct bus_handler *h, struct err *e)
{
	unsigned int i, at;

	if (!len || base + len < base || (space == BUS_PIO && base + len > PIO_LIMIT))
		return err_set(e, "%s: bad %s range 0x%llx+0x%llx", h->name, space_name(space),
			       (unsigned long long)base, (unsigned long long)len);
	for (i = 0; i < bus->nr; i++) {
		const struct bus_range *o = &bus->ranges[i];

		if (o->space == space && base < o->base + o->len && o->base < base + len)
			return err_set(e, "%s: %s 0x%llx-0x%llx overlaps %s", h->name,
				       space_name(space), (unsigned long long)base,
				       (unsigned long long)(base + len - 1), o->h.name);
	}
	if (bus->nr == bus->cap) {
		unsigned int cap = bus->cap ? 2 * bus->cap : 16;
		struct bus_range *n = realloc(bus->ranges, cap * sizeof(*n));

		if (!n)
			return err_set(e, "out of memory");
		bus->ranges = n;
		bus->cap = cap;
	}
	for (at = 0; at < bus->nr; at++)
		if (cmp_key(space, base, bus->ranges[at].space, bus->ranges[at].base) < 0)
			break;
	memmove(&bus->ranges[at + 1], &bus->ranges[at], (bus->nr - at) * sizeof(bus->ranges[0]));
	bus->ranges[at] = (struct bus_range){ .space = space, .base = base, .len = len, .h = *h };
	bus->nr++;
	return 0;
}

void bus__free(struct bus *bus)
{
	free(bus->ranges);
	bus->ranges = NULL;
	bus->nr = bus->cap = 0;
}

/* The range that contains @addr, or NULL. */
static const struct bus_range *find(const struct bus *bus, enum bus_space space, u64 addr)
{
	unsigned int lo = 0, hi = bus->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct bus_range *r = &bus->ranges[mid];

		if (cmp_key(space, addr, r->space, r->base) < 0)
			hi = mid;
		else if (r->space == space && addr - r->base < r->len)
			return r;
		else
			lo = mid + 1;
	}
	return NULL;
}

static void unhandled(struct bus *bus, enum bus_space space, u64 addr, const u8 *data,
		      unsigned int size, bool is_write)
{
	unsigned long n = atomic_fetch_add(&bus->unhandled, 1);
	u64 v = 0;

	if (!bus->debug || n >= DEBUG_LINES)
		return;
	if (is_write) {
		memcpy(&v, data, MIN(size, sizeof(v)));
		info("bus: %s write 0x%llx size %u value 0x%llx ignored%s", space_name(space),
		     (unsigned long long)addr, size, (unsigned long long)v,
		     n == DEBUG_LINES - 1 ? " (no more of these)" : "");
	} else {
		info("bus: %s read 0x%llx size %u -> all-ones%s", space_name(space),
		     (unsigned long long)addr, size,
		     n == DEBUG_LINES - 1 ? " (no more of these)" : "");
	}
}

void bus__access(struct bus *bus, enum bus_space space, u64 addr, u8 *data,
		 unsigned int size, bool is_write)
{
	const struct bus_range *r;
	bool size_ok = space == BUS_PIO ? (size == 1 || size == 2 || size == 4) :
					  (size >= 1 && size <= 8);

	if (size > 8)
		size = 8;
	r = size_ok ? find(bus, space, addr) : NULL;
	/* all of the access inside the range, or nothing of it */
	if (r && size <= r->len - (addr - r->base)) {
		if (is_write) {
			if (r->h.write)
				r->h.write(r->h.opaque, addr - r->base, data, size);
		} else {
			memset(data, 0xff, size);
			if (r->h.read)
				r->h.read(r->h.opaque, addr - r->base, data, size);
		}
		return;
	}
	if (!is_write)
		memset(data, 0xff, size);
	unhandled(bus, space, addr, data, size, is_write);
}
