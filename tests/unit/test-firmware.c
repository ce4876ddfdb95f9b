// SPDX-License-Identifier: GPL-2.0
/*
 * Firmware bytes: every table's length and checksum, the links between
 * them, field values, and the maps adding up to exactly the layout's RAM.
 * Subtables are walked by their own length fields, as Linux does, so a
 * wrong length shows up as a wrong count or a zero-length entry.
 */
#include "unit.h"
#include "helpers.h"
#include "acpi.h"
#include "aml.h"
#include "bootparams.h"
#include "fw.h"

static struct vm_spec cfg;
static struct layout lay;
static struct fw_image fw;

#define FLAGS_3NODE "--cpus 5 --node id=0,size=2G,cpus=0-1 --node id=1,size=2G,cpus=2-4,hotplug=on " \
	"--node id=2,size=1G,mirror=on --mirror 256M@0x10000000 --mirror 512M@0x100000000"

static int setup(const char *flags)
{
	struct err e = { "" };

	if (build_layout(flags, &cfg, &lay, &e) || fw__build(&lay, NULL, &fw, &e)) {
		printf("  setup '%s': %s\n", flags, e.msg);
		return -1;
	}
	return 0;
}

static const struct fw_table *table(const char *sig)
{
	unsigned int i;

	for (i = 0; i < fw.nr_tables; i++)
		if (!strcmp(fw.tables[i].signature, sig))
			return &fw.tables[i];
	return NULL;
}

static const u8 *bytes_at(u64 gpa)
{
	return fw_ptr(&fw, gpa);
}

static void test_checksums_and_lengths(void)
{
	unsigned int i;

	CHECK(setup(FLAGS_3NODE) == 0, "setup");
	CHECK(fw.nr_tables == 7, "%u tables", fw.nr_tables);
	for (i = 0; i < fw.nr_tables; i++) {
		const struct fw_table *t = &fw.tables[i];
		const u8 *p = bytes_at(t->addr);

		CHECK(t->addr >= FW_ACPI && t->addr + t->len <= FW_END, "%s outside ACPI area",
		      t->signature);
		CHECK(t->addr % 16 == 0, "%s misaligned", t->signature);
		if (!strcmp(t->signature, "RSDP")) {
			const struct acpi_table_rsdp *r = (const void *)p;

			CHECK(!memcmp(r->signature, "RSD PTR ", 8), "rsdp sig");
			CHECK(acpi_checksum(p, 20) == 0, "RSDP v1 checksum");
			CHECK(acpi_checksum(p, 36) == 0, "RSDP extended checksum");
			CHECK(r->revision == 2 && r->length == 36, "rsdp rev");
			continue;
		}
		{
			const struct acpi_table_header *h = (const void *)p;

			CHECK(!memcmp(h->signature, t->signature, 4), "%s signature", t->signature);
			CHECK(h->length == t->len, "%s length %u vs %u", t->signature, h->length, t->len);
			CHECK(acpi_checksum(p, h->length) == 0, "%s checksum", t->signature);
		}
	}
}

static void test_links(void)
{
	const struct acpi_table_rsdp *r;
	const struct acpi_table_header *x;
	const struct acpi_table_fadt *f;
	const char *expect[] = { "FACP", "APIC", "SRAT", "SLIT" };
	unsigned int i, n;

	CHECK(setup(FLAGS_3NODE) == 0, "setup");
	CHECK(fw.rsdp_addr == FW_ACPI, "rsdp at %llx", (unsigned long long)fw.rsdp_addr);
	r = (const void *)bytes_at(fw.rsdp_addr);
	CHECK(r->xsdt_physical_address == table("XSDT")->addr, "RSDP -> XSDT");
	x = (const void *)bytes_at(r->xsdt_physical_address);
	n = (x->length - sizeof(*x)) / 8;
	CHECK(n == 4, "XSDT has %u entries", n);
	for (i = 0; i < n && i < 4; i++) {
		u64 a;

		memcpy(&a, (const u8 *)x + sizeof(*x) + 8 * i, 8);
		CHECK(!memcmp(bytes_at(a), expect[i], 4), "XSDT entry %u", i);
	}
	f = (const void *)bytes_at(table("FACP")->addr);
	CHECK(f->xdsdt == table("DSDT")->addr && f->dsdt == table("DSDT")->addr, "FADT -> DSDT");
}

static void test_fadt(void)
{
	const struct acpi_table_fadt *f;

	CHECK(setup(FLAGS_3NODE) == 0, "setup");
	f = (const void *)bytes_at(table("FACP")->addr);
	CHECK(f->header.revision == 6 && f->header.length == 276, "rev %u len %u",
	      f->header.revision, f->header.length);
	CHECK(f->flags & ACPI_FADT_HW_REDUCED, "HW-reduced");
	CHECK(f->flags & ACPI_FADT_RESET_REGISTER, "reset register supported");
	CHECK(f->sci_interrupt == 0 && f->pm1a_control_block == 0 && f->pm_timer_block == 0,
	      "no fixed hardware");
	CHECK(f->sleep_control.space_id == ACPI_ADR_SPACE_SYSTEM_IO &&
	      f->sleep_control.address == MVM_CTL_PORT && f->sleep_control.bit_width == 8,
	      "sleep control");
	CHECK(f->sleep_status.address == MVM_SLEEP_STATUS_PORT, "sleep status");
	CHECK(f->reset_register.address == MVM_CTL_PORT && f->reset_value == MVM_CTL_RESET, "reset");
	CHECK(f->boot_flags & ACPI_FADT_NO_CMOS_RTC, "no RTC");
}

static void test_madt(void)
{
	const struct fw_table *t;
	const u8 *p, *end;
	unsigned int lapics = 0, ioapics = 0, isos = 0, nmis = 0;

	CHECK(setup(FLAGS_3NODE) == 0, "setup");
	t = table("APIC");
	p = bytes_at(t->addr) + sizeof(struct acpi_table_madt);
	end = bytes_at(t->addr) + t->len;
	CHECK(((const struct acpi_table_madt *)bytes_at(t->addr))->address == LAPIC_ADDR, "lapic addr");
	while (p < end) {
		const struct acpi_subtable_header *h = (const void *)p;

		CHECK(h->length >= 2 && p + h->length <= end, "bad subtable length %u", h->length);
		if (h->length < 2)
			break;
		switch (h->type) {
		case ACPI_MADT_TYPE_LOCAL_APIC: {
			const struct acpi_madt_local_apic *l = (const void *)p;

			CHECK(l->id == lapics && l->processor_id == lapics, "lapic %u", lapics);
			CHECK(l->lapic_flags == ACPI_MADT_ENABLED, "enabled");
			lapics++;
			break;
		}
		case ACPI_MADT_TYPE_IO_APIC:
			CHECK(((const struct acpi_madt_io_apic *)p)->address == IOAPIC_ADDR, "ioapic");
			ioapics++;
			break;
		case ACPI_MADT_TYPE_INTERRUPT_OVERRIDE: {
			const struct acpi_madt_interrupt_override *o = (const void *)p;

			/* the PIT's IRQ 0 on pin 2; the GED's level, active-high GSI 9 */
			if (isos == 0)
				CHECK(o->source_irq == 0 && o->global_irq == 2 && o->inti_flags == 0,
				      "PIT override");
			else
				CHECK(o->source_irq == 9 && o->global_irq == 9 && o->inti_flags == 0xd,
				      "GED override %u -> %u flags %x", o->source_irq, o->global_irq,
				      o->inti_flags);
			isos++;
			break;
		}
		case ACPI_MADT_TYPE_LOCAL_APIC_NMI:
			nmis++;
			break;
		default:
			CHECK(0, "unexpected MADT type %u", h->type);
		}
		p += h->length;
	}
	/* FLAGS_3NODE has a hotplug node, so a GED and its override */
	CHECK(lapics == 5 && ioapics == 1 && isos == 2 && nmis == 1, "%u %u %u %u",
	      lapics, ioapics, isos, nmis);
	/* without hotplug nodes no GED: the PIT's override alone */
	CHECK(setup("--memory 1G") == 0, "setup");
	t = table("APIC");
	CHECK(t && t->len == 44 + 8 + 12 + 10 + 6, "MADT without a GED: %u bytes", t ? t->len : 0);
}

static void test_srat(void)
{
	const struct fw_table *t;
	const u8 *p, *end;
	unsigned int cpus = 0, mems = 0, hot = 0;
	u64 covered = 0;

	CHECK(setup(FLAGS_3NODE) == 0, "setup");
	t = table("SRAT");
	CHECK(((const struct acpi_table_srat *)bytes_at(t->addr))->table_revision == 1, "rev");
	p = bytes_at(t->addr) + sizeof(struct acpi_table_srat);
	end = bytes_at(t->addr) + t->len;
	while (p < end) {
		const struct acpi_subtable_header *h = (const void *)p;

		CHECK(h->length >= 2, "zero-length subtable");
		if (h->length < 2)
			break;
		if (h->type == ACPI_SRAT_TYPE_CPU_AFFINITY) {
			const struct acpi_srat_cpu_affinity *c = (const void *)p;
			unsigned int want = c->apic_id <= 1 ? 0 : 1;

			CHECK(c->proximity_domain_lo == want, "cpu %u in %u", c->apic_id,
			      c->proximity_domain_lo);
			CHECK(c->flags & ACPI_SRAT_CPU_ENABLED, "cpu enabled");
			cpus++;
		} else if (h->type == ACPI_SRAT_TYPE_MEMORY_AFFINITY) {
			const struct acpi_srat_mem_affinity *m = (const void *)p;
			bool is_hot = m->flags & ACPI_SRAT_MEM_HOT_PLUGGABLE;

			CHECK(m->flags & ACPI_SRAT_MEM_ENABLED, "enabled");
			CHECK(is_hot == (m->proximity_domain == 1), "hotplug flag on node %u",
			      m->proximity_domain);
			hot += is_hot;
			covered += m->length;
			mems++;
		}
		p += h->length;
	}
	/* node 1 is split by the hole: [2G,3G) and [4G,5G) */
	CHECK(cpus == 5 && mems == 4 && hot == 2, "%u %u %u", cpus, mems, hot);
	CHECK(covered == lay.total_ram, "SRAT covers %llx", (unsigned long long)covered);
}

static void test_slit(void)
{
	const struct fw_table *t;
	const struct acpi_table_slit *s;
	const u8 *d;
	unsigned int i, j;

	CHECK(setup(FLAGS_3NODE) == 0, "setup");
	t = table("SLIT");
	s = (const void *)bytes_at(t->addr);
	CHECK(s->locality_count == 3 && t->len == sizeof(*s) + 9, "count");
	d = (const u8 *)s + sizeof(*s);
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++)
			CHECK(d[i * 3 + j] == (i == j ? 10 : 20), "distance %u %u", i, j);
}

/* Every byte of RAM appears once in e820 and once in the EFI map. */
static void test_maps_cover_ram(void)
{
	const struct efi_memory_desc *d;
	u64 e820_sum = 0, efi_sum = 0, reliable = 0, prev_end = 0;
	unsigned int i;

	CHECK(setup(FLAGS_3NODE) == 0, "setup");
	for (i = 0; i < fw.nr_e820; i++) {
		CHECK(fw.e820[i].addr >= prev_end, "e820 sorted, no overlap");
		prev_end = fw.e820[i].addr + fw.e820[i].size;
		e820_sum += fw.e820[i].size;
	}
	CHECK(e820_sum == lay.total_ram, "e820 sum %llx", (unsigned long long)e820_sum);
	prev_end = 0;
	for (i = 0; i < fw.nr_efi_desc; i++) {
		d = (const void *)bytes_at(FW_EFI_MEMMAP + i * EFI_MEMDESC_SIZE);
		CHECK(d->num_pages > 0, "empty descriptor %u", i);
		CHECK(d->phys_addr >= prev_end, "EFI map sorted, no overlap");
		CHECK(d->phys_addr % 4096 == 0, "aligned");
		prev_end = d->phys_addr + (d->num_pages << 12);
		efi_sum += d->num_pages << 12;
		if (d->attribute & EFI_MEMORY_MORE_RELIABLE) {
			reliable += d->num_pages << 12;
			CHECK(layout__reliable_bytes(&lay, d->phys_addr, d->num_pages << 12) ==
			      d->num_pages << 12, "reliable descriptor outside reliable ranges");
		} else {
			CHECK(layout__reliable_bytes(&lay, d->phys_addr, d->num_pages << 12) == 0,
			      "unmarked descriptor inside a reliable range");
		}
		CHECK(!!(d->attribute & EFI_MEMORY_RUNTIME) ==
		      (d->type == EFI_RUNTIME_SERVICES_CODE || d->type == EFI_RUNTIME_SERVICES_DATA),
		      "runtime attribute");
	}
	CHECK(efi_sum == lay.total_ram, "EFI sum %llx", (unsigned long long)efi_sum);
	/* 256M + 512M + node 2 (1G) */
	CHECK(reliable == (768ULL << 20) + SZ_1G, "reliable %llx", (unsigned long long)reliable);
}

static void test_zero_page(void)
{
	const u8 *zp;
	u32 v32;
	u64 v64;

	CHECK(setup(FLAGS_3NODE) == 0, "setup");
	zp = bytes_at(FW_ZERO_PAGE);
	CHECK(!memcmp(zp + BP_EFI_INFO + EFI_LOADER_SIGNATURE, "EL64", 4), "EL64");
	memcpy(&v32, zp + BP_EFI_INFO + EFI_MEMMAP, 4);
	CHECK(v32 == FW_EFI_MEMMAP, "memmap ptr");
	memcpy(&v32, zp + BP_EFI_INFO + EFI_MEMMAP_SIZE, 4);
	CHECK(v32 == fw.nr_efi_desc * EFI_MEMDESC_SIZE, "memmap size");
	memcpy(&v32, zp + BP_EFI_INFO + EFI_SYSTAB, 4);
	CHECK(v32 == FW_EFI_RT_DATA, "systab");
	memcpy(&v64, zp + BP_ACPI_RSDP_ADDR, 8);
	CHECK(v64 == fw.rsdp_addr, "rsdp");
	CHECK(zp[BP_E820_ENTRIES] == fw.nr_e820, "e820 entries");
}

static void test_efi_system_table(void)
{
	const u8 *st;
	u64 sig, rt, tables;
	u32 nr;

	CHECK(setup(FLAGS_3NODE) == 0, "setup");
	st = bytes_at(FW_EFI_RT_DATA);
	memcpy(&sig, st, 8);
	CHECK(sig == 0x5453595320494249ULL, "signature");
	memcpy(&rt, st + 88, 8);
	memcpy(&nr, st + 104, 4);
	memcpy(&tables, st + 112, 8);
	CHECK(rt > FW_EFI_RT_DATA && rt < FW_EFI_RT_CODE, "runtime table in RT data");
	CHECK(nr == 2, "config tables %u", nr);
	/* every runtime slot points into the runtime code page */
	{
		unsigned int i;

		for (i = 0; i < 14; i++) {
			u64 fn;

			memcpy(&fn, bytes_at(rt) + 24 + 8 * i, 8);
			CHECK(fn >= FW_EFI_RT_CODE && fn < FW_EFI_RT_CODE + 4096, "slot %u", i);
		}
	}
	{
		u64 acpi;

		memcpy(&acpi, bytes_at(tables) + 16, 8);
		CHECK(acpi == fw.rsdp_addr, "ACPI 2.0 config table -> RSDP");
	}
}

static void test_max_sizes_fit(void)
{
	static char flags[4096];
	struct err e = { "" };
	size_t pos = 0;
	int i;

	/* 255 CPUs, many mirror ranges: everything must still fit. */
	pos += snprintf(flags, sizeof(flags), "--cpus 255 --node id=0,size=64G");
	for (i = 0; i < 20 && pos < sizeof(flags); i++)
		pos += snprintf(flags + pos, sizeof(flags) - pos, " --mirror 16M@0x%x",
				0x10000000 + i * 0x2000000);
	CHECK(build_layout(flags, &cfg, &lay, &e) == 0, "%s", e.msg);
	CHECK(fw__build(&lay, NULL, &fw, &e) == 0, "%s", e.msg);
	CHECK(table("APIC") && table("APIC")->len == 44 + 255 * 8 + 12 + 10 + 6, "MADT size");
}

/* An allocation that fails while a table is built is an error, never a table. */
static unsigned int allocs_left, allocs_seen;

static bool fail_after(void)
{
	allocs_seen++;
	if (!allocs_left)
		return true;
	allocs_left--;
	return false;
}

static int build_failing_after(unsigned int n, struct err *e)
{
	int ret;

	allocs_left = n;
	allocs_seen = 0;
	aml_fail_alloc_hook = fail_after;
	acpi_buf_fail_alloc_hook = fail_after;
	ret = fw__build(&lay, NULL, &fw, e);
	aml_fail_alloc_hook = NULL;
	acpi_buf_fail_alloc_hook = NULL;
	return ret;
}

static void test_allocation_failures(void)
{
	struct err e = { "" };
	unsigned int n, total, step, failed = 0;

	CHECK(build_layout(FLAGS_3NODE, &cfg, &lay, &e) == 0, "%s", e.msg);
	/* how many allocations a whole build makes */
	CHECK(build_failing_after(~0U, &e) == 0, "%s", e.msg);
	total = allocs_seen;
	CHECK(total > 10, "%u allocations", total);
	/* each of them failing (every step-th of a large build, and the last) */
	step = total / 400 + 1;
	for (n = 0; n < total; n += (n + step < total) ? step : MAX(total - 1 - n, 1U)) {
		if (!build_failing_after(n, &e)) {
			CHECK(0, "allocation %u of %u failed, yet the build succeeded", n, total);
			break;
		}
		CHECK(strstr(e.msg, "out of memory"), "allocation %u: %s", n, e.msg);
		failed++;
	}
	CHECK(failed > 0, "no build failed");
	CHECK(fw__build(&lay, NULL, &fw, &e) == 0, "a build after the failures: %s", e.msg);
}

int main(void)
{
	RUN(test_checksums_and_lengths);
	RUN(test_links);
	RUN(test_fadt);
	RUN(test_madt);
	RUN(test_srat);
	RUN(test_slit);
	RUN(test_maps_cover_ram);
	RUN(test_zero_page);
	RUN(test_efi_system_table);
	RUN(test_max_sizes_fit);
	RUN(test_allocation_failures);
	UNIT_DONE();
}
