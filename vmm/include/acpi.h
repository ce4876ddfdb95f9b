/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_ACPI_H
#define MIRRORVM_ACPI_H

/*
 * ACPI table layouts (ACPI 6.5 spec section numbers in comments), field
 * names as in Linux include/acpi/actbl*.h.  Packed structs, no bitfields:
 * flag masks sit next to the struct.
 */
#include <assert.h>

#include "util.h"

#define ACPI_OEM_ID		"MIRVM "
#define ACPI_OEM_TABLE_ID	"MIRRORVM"
#define ACPI_CREATOR_ID		"MVM "

struct acpi_table_header {		/* 5.2.6 */
	char signature[4];
	u32 length;
	u8 revision;
	u8 checksum;
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	char asl_compiler_id[4];
	u32 asl_compiler_revision;
} __attribute__((packed));
static_assert(sizeof(struct acpi_table_header) == 36, "ACPI header");

struct acpi_table_rsdp {		/* 5.2.5.3 */
	char signature[8];
	u8 checksum;
	char oem_id[6];
	u8 revision;
	u32 rsdt_physical_address;
	u32 length;
	u64 xsdt_physical_address;
	u8 extended_checksum;
	u8 reserved[3];
} __attribute__((packed));
static_assert(sizeof(struct acpi_table_rsdp) == 36, "RSDP");

struct acpi_generic_address {		/* 5.2.3.2 */
	u8 space_id;
	u8 bit_width;
	u8 bit_offset;
	u8 access_width;
	u64 address;
} __attribute__((packed));
static_assert(sizeof(struct acpi_generic_address) == 12, "GAS");

#define ACPI_ADR_SPACE_SYSTEM_IO	1
#define ACPI_ACCESS_BYTE		1

struct acpi_table_fadt {		/* 5.2.9 */
	struct acpi_table_header header;
	u32 facs;
	u32 dsdt;
	u8 model;
	u8 preferred_profile;
	u16 sci_interrupt;
	u32 smi_command;
	u8 acpi_enable;
	u8 acpi_disable;
	u8 s4_bios_request;
	u8 pstate_control;
	u32 pm1a_event_block;
	u32 pm1b_event_block;
	u32 pm1a_control_block;
	u32 pm1b_control_block;
	u32 pm2_control_block;
	u32 pm_timer_block;
	u32 gpe0_block;
	u32 gpe1_block;
	u8 pm1_event_length;
	u8 pm1_control_length;
	u8 pm2_control_length;
	u8 pm_timer_length;
	u8 gpe0_block_length;
	u8 gpe1_block_length;
	u8 gpe1_base;
	u8 cst_control;
	u16 c2_latency;
	u16 c3_latency;
	u16 flush_size;
	u16 flush_stride;
	u8 duty_offset;
	u8 duty_width;
	u8 day_alarm;
	u8 month_alarm;
	u8 century;
	u16 boot_flags;
	u8 reserved;
	u32 flags;
	struct acpi_generic_address reset_register;
	u8 reset_value;
	u16 arm_boot_flags;
	u8 minor_revision;
	u64 xfacs;
	u64 xdsdt;
	struct acpi_generic_address xpm1a_event_block;
	struct acpi_generic_address xpm1b_event_block;
	struct acpi_generic_address xpm1a_control_block;
	struct acpi_generic_address xpm1b_control_block;
	struct acpi_generic_address xpm2_control_block;
	struct acpi_generic_address xpm_timer_block;
	struct acpi_generic_address xgpe0_block;
	struct acpi_generic_address xgpe1_block;
	struct acpi_generic_address sleep_control;
	struct acpi_generic_address sleep_status;
	u64 hypervisor_id;
} __attribute__((packed));
static_assert(sizeof(struct acpi_table_fadt) == 276, "FADT");

/* FADT flags (5.2.9, Table 5.10) */
#define ACPI_FADT_WBINVD		(1U << 0)
#define ACPI_FADT_POWER_BUTTON		(1U << 4)	/* control-method power button */
#define ACPI_FADT_SLEEP_BUTTON		(1U << 5)
#define ACPI_FADT_RESET_REGISTER	(1U << 10)
#define ACPI_FADT_HW_REDUCED		(1U << 20)
/* FADT IA-PC boot architecture flags (Table 5.11) */
#define ACPI_FADT_NO_VGA		(1U << 2)
#define ACPI_FADT_NO_CMOS_RTC		(1U << 5)

struct acpi_table_madt {		/* 5.2.12 */
	struct acpi_table_header header;
	u32 address;
	u32 flags;
} __attribute__((packed));
static_assert(sizeof(struct acpi_table_madt) == 44, "MADT");

enum acpi_madt_type {
	ACPI_MADT_TYPE_LOCAL_APIC = 0,
	ACPI_MADT_TYPE_IO_APIC = 1,
	ACPI_MADT_TYPE_INTERRUPT_OVERRIDE = 2,
	ACPI_MADT_TYPE_LOCAL_APIC_NMI = 4,
};

struct acpi_subtable_header {
	u8 type;
	u8 length;
} __attribute__((packed));

struct acpi_madt_local_apic {
	struct acpi_subtable_header header;
	u8 processor_id;
	u8 id;
	u32 lapic_flags;
} __attribute__((packed));
static_assert(sizeof(struct acpi_madt_local_apic) == 8, "MADT LAPIC");
#define ACPI_MADT_ENABLED		1

struct acpi_madt_io_apic {
	struct acpi_subtable_header header;
	u8 id;
	u8 reserved;
	u32 address;
	u32 global_irq_base;
} __attribute__((packed));
static_assert(sizeof(struct acpi_madt_io_apic) == 12, "MADT IOAPIC");

struct acpi_madt_interrupt_override {
	struct acpi_subtable_header header;
	u8 bus;
	u8 source_irq;
	u32 global_irq;
	u16 inti_flags;
} __attribute__((packed));
static_assert(sizeof(struct acpi_madt_interrupt_override) == 10, "MADT ISO");

struct acpi_madt_local_apic_nmi {
	struct acpi_subtable_header header;
	u8 processor_id;
	u16 inti_flags;
	u8 lint;
} __attribute__((packed));
static_assert(sizeof(struct acpi_madt_local_apic_nmi) == 6, "MADT NMI");

struct acpi_table_srat {		/* 5.2.16 */
	struct acpi_table_header header;
	u32 table_revision;		/* must be 1 */
	u64 reserved;
} __attribute__((packed));
static_assert(sizeof(struct acpi_table_srat) == 48, "SRAT");

enum acpi_srat_type {
	ACPI_SRAT_TYPE_CPU_AFFINITY = 0,
	ACPI_SRAT_TYPE_MEMORY_AFFINITY = 1,
};

struct acpi_srat_cpu_affinity {		/* 5.2.16.1 */
	struct acpi_subtable_header header;
	u8 proximity_domain_lo;
	u8 apic_id;
	u32 flags;
	u8 local_sapic_eid;
	u8 proximity_domain_hi[3];
	u32 clock_domain;
} __attribute__((packed));
static_assert(sizeof(struct acpi_srat_cpu_affinity) == 16, "SRAT CPU");
#define ACPI_SRAT_CPU_ENABLED		1

struct acpi_srat_mem_affinity {		/* 5.2.16.2 */
	struct acpi_subtable_header header;
	u32 proximity_domain;
	u16 reserved;
	u64 base_address;
	u64 length;
	u32 reserved1;
	u32 flags;
	u64 reserved2;
} __attribute__((packed));
static_assert(sizeof(struct acpi_srat_mem_affinity) == 40, "SRAT memory");
#define ACPI_SRAT_MEM_ENABLED		(1U << 0)
#define ACPI_SRAT_MEM_HOT_PLUGGABLE	(1U << 1)

struct acpi_table_slit {		/* 5.2.17 */
	struct acpi_table_header header;
	u64 locality_count;
} __attribute__((packed));
static_assert(sizeof(struct acpi_table_slit) == 44, "SLIT");

#define SLIT_LOCAL_DISTANCE	10
#define SLIT_REMOTE_DISTANCE	20

/*
 * A growable table under construction: begin() writes the header, the
 * caller appends subtables, end() fills in length and checksum.
 *
 * Errors are sticky, so a builder appends and fills in without checking
 * each step, and checks once, at the end:
 * - When acpi_buf_append() cannot grow the buffer it records -ENOMEM and
 *   drops the table: from then on @data points at a shared scratch area
 *   of ACPI_BUF_SCRATCH bytes, @len is 0, and every append returns that
 *   area zeroed, so stores through either land somewhere harmless.  An
 *   append larger than the area returns NULL on a failed buffer: check it.
 * - acpi_buf_append_aml() records the AML tree's own error (see aml.h).
 * - acpi_buf_end() returns 0, or the first error (-ENOMEM, -EINVAL,
 *   -E2BIG) without touching anything.  acpi_buf_free() frees any buffer.
 */
struct acpi_buf {
	u8 *data;
	size_t len;
	size_t cap;
	int err;		/* 0, or the first -errno: sticky */
};

#define ACPI_BUF_SCRATCH	4096

struct aml;
void acpi_buf_begin(struct acpi_buf *b, const char *sig, u8 revision);
void *acpi_buf_append(struct acpi_buf *b, size_t len);
/* Appends the serialised @aml (see aml.h) and frees it. */
void acpi_buf_append_aml(struct acpi_buf *b, struct aml *aml);
int acpi_buf_end(struct acpi_buf *b);
void acpi_buf_free(struct acpi_buf *b);
/* Fault injection for the unit tests, as aml_fail_alloc_hook in aml.h. */
extern bool (*acpi_buf_fail_alloc_hook)(void);
u8 acpi_checksum(const void *p, size_t len);

struct layout;
int acpi__build_madt(struct acpi_buf *b, const struct layout *lay);
int acpi__build_srat(struct acpi_buf *b, const struct layout *lay);
int acpi__build_slit(struct acpi_buf *b, const struct layout *lay);
int acpi__build_fadt(struct acpi_buf *b, u64 dsdt_addr);
int acpi__build_dsdt(struct acpi_buf *b, const struct layout *lay);

#endif
