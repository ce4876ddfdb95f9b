/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_BOOTPARAMS_H
#define MIRRORVM_BOOTPARAMS_H

/*
 * Offsets into struct boot_params, the x86 "zero page"
 * (Documentation/arch/x86/zero-page.rst and boot.rst).
 */
#define BP_ACPI_RSDP_ADDR	0x070	/* u64 */
#define BP_EXT_RAMDISK_IMAGE	0x0c0
#define BP_EXT_RAMDISK_SIZE	0x0c4
#define BP_EXT_CMD_LINE_PTR	0x0c8
#define BP_EFI_INFO		0x1c0
#define BP_E820_ENTRIES		0x1e8	/* u8 */
#define BP_SETUP_HEADER		0x1f1
#define BP_E820_TABLE		0x2d0

/* struct efi_info, at BP_EFI_INFO */
#define EFI_LOADER_SIGNATURE	0x00
#define EFI_SYSTAB		0x04
#define EFI_MEMDESC_SIZE_OFF	0x08
#define EFI_MEMDESC_VERSION_OFF	0x0c
#define EFI_MEMMAP		0x10
#define EFI_MEMMAP_SIZE		0x14
#define EFI_SYSTAB_HI		0x18
#define EFI_MEMMAP_HI		0x1c

/* struct setup_header fields, as zero-page offsets */
#define HDR_SETUP_SECTS		0x1f1	/* u8 */
#define HDR_BOOT_FLAG		0x1fe	/* u16, 0xaa55 */
#define HDR_JUMP		0x200	/* u16; byte 0x201 bounds the header */
#define HDR_MAGIC		0x202	/* "HdrS" */
#define HDR_VERSION		0x206	/* u16 */
#define HDR_TYPE_OF_LOADER	0x210	/* u8 */
#define HDR_LOADFLAGS		0x211	/* u8 */
#define HDR_CODE32_START	0x214	/* u32 */
#define HDR_RAMDISK_IMAGE	0x218	/* u32 */
#define HDR_RAMDISK_SIZE	0x21c	/* u32 */
#define HDR_CMD_LINE_PTR	0x228	/* u32 */
#define HDR_INITRD_ADDR_MAX	0x22c	/* u32 */
#define HDR_KERNEL_ALIGNMENT	0x230	/* u32 */
#define HDR_RELOCATABLE		0x234	/* u8 */
#define HDR_XLOADFLAGS		0x236	/* u16 */
#define HDR_CMDLINE_SIZE	0x238	/* u32 */
#define HDR_PREF_ADDRESS	0x258	/* u64 */
#define HDR_INIT_SIZE		0x260	/* u32 */

#define LOADFLAG_LOADED_HIGH	0x01
#define XLF_KERNEL_64		0x0001
#define XLF_CAN_BE_LOADED_ABOVE_4G	0x0002	/* CONFIG_RELOCATABLE */
#define BOOT_PROTOCOL_MIN	0x020c	/* 2.12: xloadflags, 64-bit entry */

#endif
