// SPDX-License-Identifier: GPL-2.0
/*
 * The zero page (struct boot_params): what a boot loader tells Linux.  The
 * setup header comes from the bzImage; e820, EFI info and the RSDP address
 * come from the stages before it, as arguments.
 */
#include <stdio.h>
#include <string.h>

#include "bootparams.h"
#include "fw.h"

static void put16(u8 *zp, unsigned int off, u16 v) { memcpy(zp + off, &v, 2); }
static void put32(u8 *zp, unsigned int off, u32 v) { memcpy(zp + off, &v, 4); }
static void put64(u8 *zp, unsigned int off, u64 v) { memcpy(zp + off, &v, 8); }

int fw__zero_page(u8 *area, const struct boot_info *boot,
		       const struct e820_entry *e820, unsigned int nr_e820,
		       u64 rsdp_addr, unsigned int nr_efi_desc, struct err *e)
{
	u8 *zp = fw_area_ptr(area, FW_ZERO_PAGE);
	u8 *efi = zp + BP_EFI_INFO;
	unsigned int i;

	memset(zp, 0, 4096);
	if (boot) {
		const char *extra = boot->cmdline_extra;
		size_t cmdlen = strlen(boot->cmdline);
		size_t extralen = extra && *extra ? strlen(extra) + 1 : 0;
		char *cmdline = fw_area_ptr(area, FW_CMDLINE);

		if (boot->setup_header_len > 4096 - BP_SETUP_HEADER)
			return err_set(e, "kernel setup header too long");
		memcpy(zp + BP_SETUP_HEADER, boot->setup_header, boot->setup_header_len);
		if (cmdlen + extralen + 1 > FW_CMDLINE_MAX)
			return err_set(e, "--cmdline is %zu bytes, at most %llu fit", cmdlen + extralen,
				       (unsigned long long)FW_CMDLINE_MAX - 1);
		memcpy(cmdline, boot->cmdline, cmdlen + 1);
		/* the engine's arguments after the guest's own, a space apart */
		if (extralen)
			snprintf(cmdline + cmdlen, extralen + 1, "%s%s", cmdlen ? " " : "", extra);
		zp[HDR_TYPE_OF_LOADER] = 0xff;	/* no registered loader id */
		put32(zp, HDR_CODE32_START, boot->entry32);
		put32(zp, HDR_CMD_LINE_PTR, FW_CMDLINE);
		put32(zp, BP_EXT_CMD_LINE_PTR, 0);
		put32(zp, HDR_RAMDISK_IMAGE, (u32)boot->initrd_addr);
		put32(zp, HDR_RAMDISK_SIZE, (u32)boot->initrd_size);
		put32(zp, BP_EXT_RAMDISK_IMAGE, boot->initrd_addr >> 32);
		put32(zp, BP_EXT_RAMDISK_SIZE, boot->initrd_size >> 32);
	}

	put64(zp, BP_ACPI_RSDP_ADDR, rsdp_addr);

	zp[BP_E820_ENTRIES] = nr_e820;
	for (i = 0; i < nr_e820; i++)
		memcpy(zp + BP_E820_TABLE + i * sizeof(struct e820_entry), &e820[i],
		       sizeof(struct e820_entry));

	memcpy(efi + EFI_LOADER_SIGNATURE, "EL64", 4);
	put32(efi, EFI_SYSTAB, (u32)FW_EFI_RT_DATA);
	put32(efi, EFI_SYSTAB_HI, 0);
	put32(efi, EFI_MEMDESC_SIZE_OFF, EFI_MEMDESC_SIZE);
	put32(efi, EFI_MEMDESC_VERSION_OFF, EFI_MEMDESC_VERSION);
	put32(efi, EFI_MEMMAP, (u32)FW_EFI_MEMMAP);
	put32(efi, EFI_MEMMAP_HI, 0);
	put32(efi, EFI_MEMMAP_SIZE, nr_efi_desc * EFI_MEMDESC_SIZE);
	(void)put16;
	return 0;
}
