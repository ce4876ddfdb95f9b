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

int fw_e820_build(struct fw_image *img, struct err *e)
{
	unsigned int i;

	img->nr_e820 = 0;
	for (i = 0; i < img->nr_pieces; i++) {
		const struct fw_mem_piece *p = &img->pieces[i];
		struct e820_entry *last = img->nr_e820 ? &img->e820[img->nr_e820 - 1] : NULL;
		u32 type = e820_type(p->type);

		if (last && last->addr + last->size == p->start && last->type == type) {
			last->size += p->size;
			continue;
		}
		if (img->nr_e820 == E820_MAX_ZEROPAGE)
			return err_set(e, "e820 map has more than %d entries", E820_MAX_ZEROPAGE);
		img->e820[img->nr_e820].addr = p->start;
		img->e820[img->nr_e820].size = p->size;
		img->e820[img->nr_e820].type = type;
		img->nr_e820++;
	}
	return 0;
}
