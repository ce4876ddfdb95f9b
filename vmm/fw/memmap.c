// SPDX-License-Identifier: GPL-2.0
/*
 * Every byte of guest RAM lands in exactly one typed piece, so the e820 map,
 * the EFI map and the SRAT always add up to the RAM the engines provide:
 * no guest memory is lost without the maps saying so.
 */
#include <string.h>

#include "fw.h"

struct fixed_area {
	u64 start;
	u64 end;
	enum fw_mem_type type;
};

/* The low-memory carve-outs in node 0, in address order. */
static const struct fixed_area fixed[] = {
	{ FW_ZERO_PAGE,      FW_EFI_RT_DATA,    FW_MEM_RESERVED },
	{ FW_EFI_RT_DATA,    FW_EFI_RT_CODE,    FW_MEM_RT_DATA },
	{ FW_EFI_RT_CODE,    FW_EFI_MEMMAP,     FW_MEM_RT_CODE },
	{ FW_EFI_MEMMAP,     FW_ACPI,           FW_MEM_RESERVED },
	{ FW_ACPI,           FW_END,            FW_MEM_ACPI },
	{ LEGACY_HOLE_START, LEGACY_HOLE_END,   FW_MEM_RESERVED },
};

static int add_piece(struct fw_mem_piece *p, unsigned int *nr, u64 start, u64 end,
		     enum fw_mem_type type, bool reliable, unsigned int unit, struct err *e)
{
	struct fw_mem_piece *last = *nr ? &p[*nr - 1] : NULL;

	if (start >= end)
		return 0;
	if (last && last->start + last->size == start && last->type == type &&
	    last->reliable == reliable && last->unit == unit) {
		last->size += end - start;
		return 0;
	}
	if (*nr == FW_MAX_PIECES)
		return err_set(e, "memory map too fragmented (more than %d pieces)",
			       FW_MAX_PIECES);
	p[*nr].start = start;
	p[*nr].size = end - start;
	p[*nr].type = type;
	p[*nr].reliable = reliable;
	p[*nr].unit = unit;
	(*nr)++;
	return 0;
}

/* Adds [start, end) of one type, cut where reliability or the unit changes. */
static int add_split(const struct layout *lay, struct fw_mem_piece *p, unsigned int *nr,
		     u64 start, u64 end, enum fw_mem_type type, struct err *e)
{
	while (start < end) {
		unsigned int unit;
		bool rel;
		u64 cut = layout__reliable_cut(lay, start, end, &rel);
		int ret;

		cut = layout__unit_cut(lay, start, cut, &unit);
		ret = add_piece(p, nr, start, cut, type, rel, unit, e);

		if (ret)
			return ret;
		start = cut;
	}
	return 0;
}

int fw__memmap(const struct layout *lay, struct fw_mem_piece *pieces,
		    unsigned int *nr, struct err *e)
{
	unsigned int i, f;
	int ret;

	*nr = 0;
	if (!lay->nr_ram || lay->ram[0].start != 0 || lay->ram[0].size < LEGACY_HOLE_END)
		return err_set(e, "node 0 must start at 0 and hold the first 1 MiB");
	for (i = 0; i < lay->nr_ram; i++) {
		u64 pos = lay->ram[i].start, end = pos + lay->ram[i].size;

		for (f = 0; f < ARRAY_SIZE(fixed); f++) {
			if (fixed[f].end <= pos || fixed[f].start >= end)
				continue;
			ret = add_split(lay, pieces, nr, pos, fixed[f].start, FW_MEM_RAM, e);
			if (!ret)
				ret = add_split(lay, pieces, nr, fixed[f].start, fixed[f].end,
						fixed[f].type, e);
			if (ret)
				return ret;
			pos = fixed[f].end;
		}
		ret = add_split(lay, pieces, nr, pos, end, FW_MEM_RAM, e);
		if (ret)
			return ret;
	}
	return 0;
}
