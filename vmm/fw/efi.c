// SPDX-License-Identifier: GPL-2.0
/*
 * Just enough UEFI for a directly booted Linux to keep the EFI memory map,
 * and with it every EFI_MEMORY_MORE_RELIABLE range, until efi_find_mirror():
 *
 * - efi_init() drops the map (efi_memmap_unmap) when runtime services are
 *   unusable, so there is a system table with a runtime services table.
 * - Linux calls SetVirtualAddressMap once and SetVariable from
 *   efi_delete_dummy_variable() without asking; every slot points at code.
 * - The EFI_RT_PROPERTIES table says only SetVirtualAddressMap and
 *   ResetSystem work, so nothing probes variables or the clock.
 * - HW-reduced ACPI makes Linux reboot and power off through ResetSystem,
 *   which writes the same control-port bytes as the ACPI registers.
 */
#include <string.h>

#include "fw.h"

#define EFI_SYSTEM_TABLE_SIGNATURE	0x5453595320494249ULL	/* "IBI SYST" */
#define EFI_RUNTIME_SERVICES_SIGNATURE	0x56524553544e5552ULL	/* "RUNTSERV" */
#define EFI_REVISION			((2U << 16) | 70)	/* 2.70 */
#define EFI_RT_SUPPORTED_SET_VIRTUAL_ADDRESS_MAP 0x0080
#define EFI_RT_SUPPORTED_RESET_SYSTEM	0x0400
#define EFI_RESET_SHUTDOWN		2

struct efi_table_hdr {
	u64 signature;
	u32 revision;
	u32 headersize;
	u32 crc32;
	u32 reserved;
} __attribute__((packed));

struct efi_system_table {
	struct efi_table_hdr hdr;
	u64 fw_vendor;
	u32 fw_revision;
	u32 pad1;
	u64 con_in_handle;
	u64 con_in;
	u64 con_out_handle;
	u64 con_out;
	u64 stderr_handle;
	u64 stderr_out;
	u64 runtime;
	u64 boottime;
	u32 nr_tables;
	u32 pad2;
	u64 tables;
} __attribute__((packed));
_Static_assert(sizeof(struct efi_system_table) == 120, "EFI system table");

/* Slots in UEFI 2.10 order (section 4.5). */
enum efi_rt_slot {
	RT_GET_TIME, RT_SET_TIME, RT_GET_WAKEUP_TIME, RT_SET_WAKEUP_TIME,
	RT_SET_VIRTUAL_ADDRESS_MAP, RT_CONVERT_POINTER, RT_GET_VARIABLE,
	RT_GET_NEXT_VARIABLE, RT_SET_VARIABLE, RT_GET_NEXT_HIGH_MONO_COUNT,
	RT_RESET_SYSTEM, RT_UPDATE_CAPSULE, RT_QUERY_CAPSULE_CAPS,
	RT_QUERY_VARIABLE_INFO, RT_NR_SLOTS,
};

struct efi_runtime_services {
	struct efi_table_hdr hdr;
	u64 fn[RT_NR_SLOTS];
} __attribute__((packed));
_Static_assert(sizeof(struct efi_runtime_services) == 136, "EFI runtime services");

struct efi_guid {
	u32 d1;
	u16 d2;
	u16 d3;
	u8 d4[8];
} __attribute__((packed));

struct efi_config_table {
	struct efi_guid guid;
	u64 table;
} __attribute__((packed));

struct efi_rt_properties_table {
	u16 version;
	u16 length;
	u32 runtime_services_supported;
} __attribute__((packed));

static const struct efi_guid acpi20_guid = {
	0x8868e871, 0xe4f1, 0x11d3, { 0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81 } };
static const struct efi_guid rt_properties_guid = {
	0xeb66918a, 0x7eef, 0x402a, { 0x84, 0x2e, 0x93, 0x1d, 0x21, 0xc3, 0x8a, 0xe9 } };

/* Offsets inside the runtime code page. */
#define RT_CODE_SUCCESS		0x00
#define RT_CODE_UNSUPPORTED	0x10
#define RT_CODE_RESET		0x20

/* x86-64, Microsoft calling convention (ResetType arrives in ecx). */
static const u8 rt_success[] = {
	0x31, 0xc0,			/* xor eax, eax  (EFI_SUCCESS) */
	0xc3,				/* ret */
};
static const u8 rt_unsupported[] = {
	0x48, 0xb8, 0x03, 0, 0, 0, 0, 0, 0, 0x80, /* mov rax, EFI_UNSUPPORTED */
	0xc3,				/* ret */
};
static const u8 rt_reset[] = {
	0x83, 0xf9, EFI_RESET_SHUTDOWN,	/* cmp ecx, EfiResetShutdown */
	0xb0, MVM_CTL_POWEROFF,		/* mov al, POWEROFF */
	0x74, 0x02,			/* je 1f */
	0xb0, MVM_CTL_RESET,		/* mov al, RESET */
	0x66, 0xba, MVM_CTL_PORT & 0xff, MVM_CTL_PORT >> 8, /* 1: mov dx, port */
	0xee,				/* out dx, al */
	0xf4,				/* 2: hlt */
	0xeb, 0xfd,			/* jmp 2b */
};

/* CRC32 (IEEE 802.3, reflected), as UEFI table headers use. */
static u32 crc32(const void *p, size_t n)
{
	const u8 *b = p;
	u32 crc = ~0U;
	int k;

	while (n--) {
		crc ^= *b++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320U & -(crc & 1));
	}
	return ~crc;
}

static u32 efi_type(enum fw_mem_type t)
{
	switch (t) {
	case FW_MEM_RAM:
		return EFI_CONVENTIONAL_MEMORY;
	case FW_MEM_ACPI:
		return EFI_ACPI_RECLAIM_MEMORY;
	case FW_MEM_RT_CODE:
		return EFI_RUNTIME_SERVICES_CODE;
	case FW_MEM_RT_DATA:
		return EFI_RUNTIME_SERVICES_DATA;
	default:
		return EFI_RESERVED_TYPE;
	}
}

static int build_memmap(u8 *area, const struct fw_mem_piece *pieces, unsigned int nr,
			unsigned int *nr_desc, struct err *e)
{
	unsigned int i;

	if ((u64)nr * EFI_MEMDESC_SIZE > FW_EFI_MEMMAP_MAX)
		return err_set(e, "EFI memory map needs %u descriptors, room for %llu", nr,
			       (unsigned long long)(FW_EFI_MEMMAP_MAX / EFI_MEMDESC_SIZE));
	for (i = 0; i < nr; i++) {
		const struct fw_mem_piece *p = &pieces[i];
		struct efi_memory_desc *d = fw_area_ptr(area, FW_EFI_MEMMAP + i * EFI_MEMDESC_SIZE);

		d->type = efi_type(p->type);
		d->phys_addr = p->start;
		d->num_pages = p->size >> 12;
		d->attribute = EFI_MEMORY_UC | EFI_MEMORY_WC | EFI_MEMORY_WT | EFI_MEMORY_WB;
		if (p->type == FW_MEM_RT_CODE || p->type == FW_MEM_RT_DATA)
			d->attribute |= EFI_MEMORY_RUNTIME;
		if (p->reliable)
			d->attribute |= EFI_MEMORY_MORE_RELIABLE;
	}
	*nr_desc = nr;
	return 0;
}

int fw__efi(u8 *area, const struct fw_mem_piece *pieces, unsigned int nr,
		 u64 rsdp_addr, unsigned int *nr_desc, struct err *e)
{
	/* Layout of the runtime data page. */
	const u64 systab_gpa = FW_EFI_RT_DATA;
	const u64 rt_gpa = systab_gpa + 0x100;
	const u64 config_gpa = rt_gpa + 0x100;
	const u64 props_gpa = config_gpa + 0x100;
	const u64 vendor_gpa = props_gpa + 0x40;
	static const char vendor[] = "mirrorvm";
	struct efi_system_table *st = fw_area_ptr(area, systab_gpa);
	struct efi_runtime_services *rt = fw_area_ptr(area, rt_gpa);
	struct efi_config_table *ct = fw_area_ptr(area, config_gpa);
	struct efi_rt_properties_table *props = fw_area_ptr(area, props_gpa);
	u16 *ucs2 = fw_area_ptr(area, vendor_gpa);
	u8 *code = fw_area_ptr(area, FW_EFI_RT_CODE);
	unsigned int i;

	for (i = 0; i < sizeof(vendor); i++)
		ucs2[i] = vendor[i];

	memcpy(code + RT_CODE_SUCCESS, rt_success, sizeof(rt_success));
	memcpy(code + RT_CODE_UNSUPPORTED, rt_unsupported, sizeof(rt_unsupported));
	memcpy(code + RT_CODE_RESET, rt_reset, sizeof(rt_reset));

	rt->hdr.signature = EFI_RUNTIME_SERVICES_SIGNATURE;
	rt->hdr.revision = EFI_REVISION;
	rt->hdr.headersize = sizeof(*rt);
	for (i = 0; i < RT_NR_SLOTS; i++)
		rt->fn[i] = FW_EFI_RT_CODE + RT_CODE_UNSUPPORTED;
	rt->fn[RT_SET_VIRTUAL_ADDRESS_MAP] = FW_EFI_RT_CODE + RT_CODE_SUCCESS;
	rt->fn[RT_CONVERT_POINTER] = FW_EFI_RT_CODE + RT_CODE_SUCCESS;
	rt->fn[RT_RESET_SYSTEM] = FW_EFI_RT_CODE + RT_CODE_RESET;
	rt->hdr.crc32 = crc32(rt, sizeof(*rt));

	props->version = 1;
	props->length = sizeof(*props);
	props->runtime_services_supported = EFI_RT_SUPPORTED_SET_VIRTUAL_ADDRESS_MAP |
					    EFI_RT_SUPPORTED_RESET_SYSTEM;

	ct[0].guid = acpi20_guid;
	ct[0].table = rsdp_addr;
	ct[1].guid = rt_properties_guid;
	ct[1].table = props_gpa;

	st->hdr.signature = EFI_SYSTEM_TABLE_SIGNATURE;
	st->hdr.revision = EFI_REVISION;
	st->hdr.headersize = sizeof(*st);
	st->fw_vendor = vendor_gpa;
	st->fw_revision = 1;
	st->runtime = rt_gpa;
	st->boottime = 0;	/* boot services have ended: the kernel is "exited" into */
	st->nr_tables = 2;
	st->tables = config_gpa;
	st->hdr.crc32 = crc32(st, sizeof(*st));

	return build_memmap(area, pieces, nr, nr_desc, e);
}
