// SPDX-License-Identifier: GPL-2.0
/* The one firmware builder: memory map, ACPI, EFI, then the zero page. */
#include <string.h>

#include "fw.h"

int fw__build(const struct layout *lay, const struct boot_info *boot,
	      struct fw_image *img, struct err *e)
{
	int ret;

	memset(img, 0, sizeof(*img));
	ret = fw_memmap_build(lay, img->pieces, &img->nr_pieces, e);
	if (!ret)
		ret = fw_e820_build(img, e);
	if (!ret)
		ret = fw_acpi_build(img, lay, e);
	if (!ret)
		ret = fw_efi_build(img, e);	/* its config table names the RSDP */
	if (!ret)
		ret = fw_zero_page_build(img, boot, e);
	return ret;
}
