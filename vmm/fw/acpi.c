// SPDX-License-Identifier: GPL-2.0
/*
 * The ACPI area: tables appended one after another, each 16-byte aligned,
 * each linked by the guest address it got.  The RSDP has a fixed home at
 * the start of the area (boot_params.acpi_rsdp_addr and the EFI
 * configuration table name it); the XSDT is built last, from the tables
 * placed before it, so adding a table is one more append.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "fw.h"

/* Where the next table goes, and what has been placed so far. */
struct acpi_area {
	u8 *area;
	u64 next;			/* guest address of the first free byte */
	struct fw_table *tables;	/* placed so far, in order */
	unsigned int nr, cap;
};

static int place(struct acpi_area *a, const char *sig, const void *data, size_t len,
		 bool link, u64 *gpa, struct err *e)
{
	u64 addr = ALIGN_UP(a->next, 16);
	struct fw_table *t;

	if (addr + len > FW_END)
		return err_set(e, "ACPI tables do not fit in the firmware area (%s needs %zu bytes at 0x%llx, the area ends at 0x%llx)",
			       sig, len, (unsigned long long)addr, (unsigned long long)FW_END);
	if (a->nr == a->cap) {
		unsigned int cap = a->cap ? 2 * a->cap : 8;
		struct fw_table *n = realloc(a->tables, cap * sizeof(*n));

		if (!n)
			return err_set(e, "out of memory");
		a->tables = n;
		a->cap = cap;
	}
	memcpy(fw_area_ptr(a->area, addr), data, len);
	t = &a->tables[a->nr++];
	memcpy(t->signature, sig, 4);
	t->signature[4] = '\0';
	t->addr = addr;
	t->len = len;
	t->in_xsdt = link;
	a->next = addr + len;
	*gpa = addr;
	return 0;
}

/*
 * Places a finished table (@built: its builder's result, an error it
 * recorded while building); @link: the XSDT lists it.
 */
static int add_table(struct acpi_area *a, struct acpi_buf *b, int built, bool link,
		     u64 *gpa, struct err *e)
{
	char sig[5] = "";
	u64 addr;
	int ret;

	if (b->len >= 4)
		memcpy(sig, b->data, 4);
	if (built) {
		acpi_buf_free(b);
		return err_set(e, "ACPI table %s: %s", sig[0] ? sig : "?",
			       built == -ENOMEM ? "out of memory" : built == -E2BIG ?
			       "too large for its encoding" : "invalid contents");
	}
	ret = place(a, sig, b->data, b->len, link, &addr, e);
	acpi_buf_free(b);
	if (ret)
		return ret;
	if (gpa)
		*gpa = addr;
	return 0;
}

/* The XSDT lists every table placed before it that asked to be listed. */
static int build_xsdt(struct acpi_buf *b, const struct acpi_area *a)
{
	unsigned int i;

	acpi_buf_begin(b, "XSDT", 1);
	/* entries sit at offset 36: not 8-byte aligned, so copy them */
	for (i = 0; i < a->nr; i++)
		if (a->tables[i].in_xsdt)
			memcpy(acpi_buf_append(b, 8), &a->tables[i].addr, 8);
	return acpi_buf_end(b);
}

static void build_rsdp(struct acpi_table_rsdp *rsdp, u64 xsdt_addr)
{
	memset(rsdp, 0, sizeof(*rsdp));
	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, ACPI_OEM_ID, 6);
	rsdp->revision = 2;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_physical_address = xsdt_addr;
	rsdp->checksum = acpi_checksum(rsdp, 20);
	rsdp->extended_checksum = acpi_checksum(rsdp, sizeof(*rsdp));
}

int fw__acpi(const struct layout *lay, u8 *area, u64 *rsdp_addr,
		  struct fw_table **tables, unsigned int *nr_tables, struct err *e)
{
	struct acpi_area a = { .area = area, .next = FW_ACPI };
	struct acpi_table_rsdp rsdp;
	struct acpi_buf b;
	u64 dsdt, xsdt;
	int ret;

	/* The RSDP's place first; its bytes once the XSDT's address is known. */
	memset(&rsdp, 0, sizeof(rsdp));
	ret = place(&a, "RSDP", &rsdp, sizeof(rsdp), false, rsdp_addr, e);
	if (!ret)
		ret = add_table(&a, &b, acpi__build_dsdt(&b, lay), false, &dsdt, e);
	if (!ret)
		ret = add_table(&a, &b, acpi__build_fadt(&b, dsdt), true, NULL, e);
	if (!ret)
		ret = add_table(&a, &b, acpi__build_madt(&b, lay), true, NULL, e);
	if (!ret)
		ret = add_table(&a, &b, acpi__build_srat(&b, lay), true, NULL, e);
	if (!ret)
		ret = add_table(&a, &b, acpi__build_slit(&b, lay), true, NULL, e);
	if (!ret)
		ret = add_table(&a, &b, build_xsdt(&b, &a), false, &xsdt, e);
	if (!ret) {
		build_rsdp(&rsdp, xsdt);
		memcpy(fw_area_ptr(area, *rsdp_addr), &rsdp, sizeof(rsdp));
	}
	if (ret) {
		free(a.tables);
		return ret;
	}
	*tables = a.tables;
	*nr_tables = a.nr;
	return 0;
}
