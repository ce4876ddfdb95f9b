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
#include <sys/mman.h>

#include "fw.h"

void fw__free(struct fw_image *img)
{
	free(img->tables);
	img->tables = NULL;
	img->nr_tables = 0;
	if (img->area)
		munmap(img->area, FW_SIZE);
	img->area = NULL;
}

bool fw__page_written(const struct fw_image *img, unsigned int i)
{
	unsigned char resident = 1;
	const u64 *p = (const u64 *)(img->area + (u64)i * SZ_4K);
	unsigned int k;

	/* a page never touched is not resident, and reading it would fault it in */
	if (mincore(img->area + (u64)i * SZ_4K, SZ_4K, &resident) == 0 && !(resident & 1))
		return false;
	for (k = 0; k < SZ_4K / sizeof(*p); k++)
		if (p[k])
			return true;
	return false;
}

int fw__build(const struct layout *lay, const struct boot_info *boot,
	      struct fw_image *img, struct err *e)
{
	int ret;

	fw__free(img);
	memset(img, 0, sizeof(*img));
	img->area = mmap(NULL, FW_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (img->area == MAP_FAILED) {
		img->area = NULL;
		return err_set(e, "firmware area: out of memory");
	}
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
