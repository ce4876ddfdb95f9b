// SPDX-License-Identifier: GPL-2.0
/* The e820 map: the typed pieces with reliability folded away. */
#include "fw.h"

static u32 e820_type(enum fw_mem_type t)
{
	switch (t) {
	case FW_MEM_RAM:
		return E820_TYPE_RAM;
	case FW_MEM_ACPI:
		return E820_TYPE_ACPI;
	default:
		return E820_TYPE_RESERVED;
	}
}

int fw__e820(const struct fw_mem_piece *pieces, unsigned int nr,
		  struct e820_entry *e820, unsigned int *nr_e820, struct err *e)
{
	unsigned int i, n = 0, last_unit = 0;

	for (i = 0; i < nr; i++) {
		const struct fw_mem_piece *p = &pieces[i];
		struct e820_entry *last = n ? &e820[n - 1] : NULL;
		u32 type = e820_type(p->type);

		/* one entry per unplug unit, and none shared with another unit */
		if (last && last->addr + last->size == p->start && last->type == type &&
		    p->unit == last_unit) {
			last->size += p->size;
			continue;
		}
		if (n == E820_MAX_ZEROPAGE)
			return err_set(e, "the e820 map needs more than the %d entries the zero page holds (each unplug unit of a hotplug node is one: give those nodes a larger unplug-unit=)",
				       E820_MAX_ZEROPAGE);
		last_unit = p->unit;
		e820[n].addr = p->start;
		e820[n].size = p->size;
		e820[n].type = type;
		n++;
	}
	*nr_e820 = n;
	return 0;
}
