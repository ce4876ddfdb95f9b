/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_FW_H
#define MIRRORVM_FW_H

#include "boot-info.h"
#include "layout.h"
#include "platform.h"

/*
 * The firmware builder: layout (+ kernel) -> every byte the guest's boot
 * firmware would hand over.  Engines only copy fw_image.area to FW_BASE and
 * the kernel/initrd to their addresses; none of them builds a table.
 */

/* Kinds of guest-physical memory, as the e820 and EFI maps describe them. */
enum fw_mem_type {
	FW_MEM_RAM,		/* e820 usable, EfiConventionalMemory */
	FW_MEM_RESERVED,	/* e820 reserved, EfiReservedMemoryType */
	FW_MEM_ACPI,		/* e820 ACPI, EfiACPIReclaimMemory */
	FW_MEM_RT_CODE,		/* e820 reserved, EfiRuntimeServicesCode */
	FW_MEM_RT_DATA,		/* e820 reserved, EfiRuntimeServicesData */
};

struct fw_mem_piece {
	u64 start;
	u64 size;
	enum fw_mem_type type;
	bool reliable;
	/*
	 * Index + 1 of the unplug unit it lies in (0: none).  Pieces of
	 * different units never merge, in the EFI map or in e820: Linux
	 * removes a unit's /sys/firmware/memmap entry on unplug only when one
	 * entry is exactly the unit.
	 */
	unsigned int unit;
};

#define FW_MAX_PIECES	(2 * (MAX_RELIABLE + MAX_NODES) + 16 + MAX_UNITS)

/* Splits the layout's RAM into typed pieces, cut at every reliable edge. */
int fw__memmap(const struct layout *lay, struct fw_mem_piece *pieces,
		    unsigned int *nr, struct err *e);

#define E820_MAX_ZEROPAGE	128
#define E820_TYPE_RAM		1
#define E820_TYPE_RESERVED	2
#define E820_TYPE_ACPI		3

struct e820_entry {
	u64 addr;
	u64 size;
	u32 type;
} __attribute__((packed));

/* EFI memory descriptor (UEFI 2.10 7.2.3), laid out at a 48-byte stride. */
#define EFI_MEMDESC_SIZE	48
#define EFI_MEMDESC_VERSION	1
#define EFI_RESERVED_TYPE	0
#define EFI_RUNTIME_SERVICES_CODE 5
#define EFI_RUNTIME_SERVICES_DATA 6
#define EFI_CONVENTIONAL_MEMORY	7
#define EFI_ACPI_RECLAIM_MEMORY	9
#define EFI_MEMORY_UC		0x1ULL
#define EFI_MEMORY_WC		0x2ULL
#define EFI_MEMORY_WT		0x4ULL
#define EFI_MEMORY_WB		0x8ULL
#define EFI_MEMORY_MORE_RELIABLE 0x10000ULL
#define EFI_MEMORY_RUNTIME	(1ULL << 63)

struct efi_memory_desc {
	u32 type;
	u32 pad;
	u64 phys_addr;
	u64 virt_addr;
	u64 num_pages;
	u64 attribute;
} __attribute__((packed));

struct fw_table {
	char signature[5];
	u64 addr;
	u32 len;
	bool in_xsdt;		/* the XSDT lists it */
};

/*
 * The builder's output: the bytes of [FW_BASE, FW_END) and what they hold.
 * Only fw__build() writes it; engines and dumps only read it.
 */
struct fw_image {
	/*
	 * Guest bytes of [FW_BASE, FW_END), FW_SIZE of them: a mapping of its
	 * own, zero from the kernel, so that only the pages the builder
	 * writes are ever faulted in (fw__nonzero_pages() finds them).
	 */
	u8 *area;
	u64 rsdp_addr;
	struct fw_table *tables;	/* in the order placed, RSDP first */
	unsigned int nr_tables;
	struct e820_entry e820[E820_MAX_ZEROPAGE];
	unsigned int nr_e820;
	unsigned int nr_efi_desc;
	struct fw_mem_piece pieces[FW_MAX_PIECES];
	unsigned int nr_pieces;
};

/* The firmware area's bytes at guest-physical @gpa (inside the area). */
static inline void *fw_area_ptr(u8 *area, u64 gpa)
{
	return area + (gpa - FW_BASE);
}

static inline const void *fw_ptr(const struct fw_image *img, u64 gpa)
{
	return img->area + (gpa - FW_BASE);
}

/*
 * Builds every byte for @lay and @boot (NULL for --dump-firmware).  @img
 * is zeroed or was built before; fw__free() releases what it allocated.
 */
int fw__build(const struct layout *lay, const struct boot_info *boot,
	      struct fw_image *img, struct err *e);
void fw__free(struct fw_image *img);
/*
 * Whether page @i (4 KiB) of the built area may hold something other than
 * zeros: false for pages the builder never touched, which an engine need
 * not copy into fresh guest memory.
 */
bool fw__page_written(const struct fw_image *img, unsigned int i);
/* --dump-firmware: ACPI tables as SIG.dat, e820.txt, efi-memmap.txt. */
int fw__dump(const struct fw_image *img, const char *dir, struct err *e);

/*
 * The stages, each in its own file, each taking what it needs and
 * returning what it produced (fw.c runs them in order).
 */
int fw__e820(const struct fw_mem_piece *pieces, unsigned int nr,
		  struct e820_entry *e820, unsigned int *nr_e820, struct err *e);
/* Appends the ACPI tables to the ACPI area; the XSDT last, the RSDP first. */
int fw__acpi(const struct layout *lay, u8 *area, u64 *rsdp_addr,
		  struct fw_table **tables, unsigned int *nr_tables, struct err *e);
/* UEFI system table and runtime services naming @rsdp_addr, the EFI map. */
int fw__efi(u8 *area, const struct fw_mem_piece *pieces, unsigned int nr,
		 u64 rsdp_addr, unsigned int *nr_desc, struct err *e);
int fw__zero_page(u8 *area, const struct boot_info *boot,
		       const struct e820_entry *e820, unsigned int nr_e820,
		       u64 rsdp_addr, unsigned int nr_efi_desc, struct err *e);

#endif
