// SPDX-License-Identifier: GPL-2.0
/* --dump-firmware DIR: the ACPI tables as SIG.dat, the maps as text. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fw.h"

static const char *e820_name(u32 type)
{
	switch (type) {
	case E820_TYPE_RAM:
		return "usable";
	case E820_TYPE_ACPI:
		return "ACPI data";
	default:
		return "reserved";
	}
}

static const char *efi_name(u32 type)
{
	switch (type) {
	case EFI_CONVENTIONAL_MEMORY:
		return "Conventional";
	case EFI_ACPI_RECLAIM_MEMORY:
		return "ACPI Reclaim";
	case EFI_RUNTIME_SERVICES_CODE:
		return "Runtime Code";
	case EFI_RUNTIME_SERVICES_DATA:
		return "Runtime Data";
	default:
		return "Reserved";
	}
}

static int dump_e820(const struct fw_image *img, const char *path, struct err *e)
{
	FILE *f = fopen(path, "w");
	unsigned int i;

	if (!f)
		return err_set(e, "cannot create %s: %s", path, strerror(errno));
	fprintf(f, "# e820 map handed to the guest in boot_params (end inclusive)\n");
	for (i = 0; i < img->nr_e820; i++)
		fprintf(f, "[mem 0x%016llx-0x%016llx] %s\n",
			(unsigned long long)img->e820[i].addr,
			(unsigned long long)(img->e820[i].addr + img->e820[i].size - 1),
			e820_name(img->e820[i].type));
	if (fclose(f))
		return err_set(e, "cannot write %s", path);
	return 0;
}

static int dump_efi(const struct fw_image *img, const char *path, struct err *e)
{
	u64 total = 0, reliable = 0;
	FILE *f = fopen(path, "w");
	unsigned int i;

	if (!f)
		return err_set(e, "cannot create %s: %s", path, strerror(errno));
	fprintf(f, "# EFI memory map (descriptor size %d, version %d; end inclusive)\n",
		EFI_MEMDESC_SIZE, EFI_MEMDESC_VERSION);
	for (i = 0; i < img->nr_efi_desc; i++) {
		const struct efi_memory_desc *d = fw_ptr(img, FW_EFI_MEMMAP + i * EFI_MEMDESC_SIZE);
		u64 size = d->num_pages << 12;

		total += size;
		if (d->attribute & EFI_MEMORY_MORE_RELIABLE)
			reliable += size;
		fprintf(f, "mem%02u: %-12s [mem 0x%016llx-0x%016llx] attr 0x%016llx%s%s\n", i,
			efi_name(d->type), (unsigned long long)d->phys_addr,
			(unsigned long long)(d->phys_addr + size - 1),
			(unsigned long long)d->attribute,
			d->attribute & EFI_MEMORY_RUNTIME ? " RUNTIME" : "",
			d->attribute & EFI_MEMORY_MORE_RELIABLE ? " MORE_RELIABLE" : "");
	}
	/* The line Linux prints from efi_find_mirror(), in its words. */
	fprintf(f, "# Memory: %lluM/%lluM mirrored memory\n",
		(unsigned long long)(reliable >> 20), (unsigned long long)(total >> 20));
	if (fclose(f))
		return err_set(e, "cannot write %s", path);
	return 0;
}

int fw__dump(const struct fw_image *img, const char *dir, struct err *e)
{
	char path[4096];
	unsigned int i;
	int ret;

	if (mkdir(dir, 0755) && errno != EEXIST)
		return err_set(e, "--dump-firmware %s: %s", dir, strerror(errno));
	for (i = 0; i < img->nr_tables; i++) {
		const struct fw_table *t = &img->tables[i];

		snprintf(path, sizeof(path), "%s/%s.dat", dir, t->signature);
		ret = write_file(path, fw_ptr(img, t->addr), t->len, e);
		if (ret)
			return ret;
	}
	snprintf(path, sizeof(path), "%s/e820.txt", dir);
	ret = dump_e820(img, path, e);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/efi-memmap.txt", dir);
	ret = dump_efi(img, path, e);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/zeropage.bin", dir);
	return write_file(path, fw_ptr(img, FW_ZERO_PAGE), 4096, e);
}
