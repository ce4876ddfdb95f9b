// SPDX-License-Identifier: GPL-2.0
/*
 * The one firmware builder.  Each stage takes its inputs as arguments and
 * returns its outputs; the order follows from that: the typed memory map
 * first, then the e820 map from it, the ACPI tables, the EFI tables (whose
 * configuration table names the RSDP), and the zero page, which points at
 * all of them.
 */
#include <stdlib.h>
#include <string.h>

#include "fw.h"

void fw__free(struct fw_image *img)
{
	free(img->tables);
	img->tables = NULL;
	img->nr_tables = 0;
}

int fw__build(const struct layout *lay, const struct boot_info *boot,
	      struct fw_image *img, struct err *e)
{
	int ret;

	fw__free(img);
	memset(img, 0, sizeof(*img));
	ret = fw__memmap(lay, img->pieces, &img->nr_pieces, e);
	if (!ret)
		ret = fw__e820(img->pieces, img->nr_pieces, img->e820, &img->nr_e820, e);
	if (!ret)
		ret = fw__acpi(lay, img->area, &img->rsdp_addr, &img->tables,
				   &img->nr_tables, e);
	if (!ret)
		ret = fw__efi(img->area, img->pieces, img->nr_pieces, img->rsdp_addr,
				   &img->nr_efi_desc, e);
	if (!ret)
		ret = fw__zero_page(img->area, boot, img->e820, img->nr_e820,
					 img->rsdp_addr, img->nr_efi_desc, e);
	return ret;
}
