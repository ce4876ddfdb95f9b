// SPDX-License-Identifier: GPL-2.0
/*
 * Places the ACPI tables in the firmware area: RSDP, XSDT, FADT, DSDT, MADT,
 * SRAT, SLIT, each 16-byte aligned, and links them by guest address.
 */
#include <string.h>

#include "acpi.h"
#include "fw.h"

static int place(struct fw_image *img, u64 *cursor, const char *sig,
		 const void *data, size_t len, struct err *e)
{
	struct fw_table *t;
	u64 addr = ALIGN_UP(*cursor, 16);

	if (addr + len > FW_END)
		return err_set(e, "ACPI tables do not fit in the firmware area (%s)", sig);
	if (img->nr_tables == FW_MAX_TABLES)
		return err_set(e, "too many ACPI tables");
	memcpy(fw_ptr(img, addr), data, len);
	t = &img->tables[img->nr_tables++];
	memcpy(t->signature, sig, 4);
	t->signature[4] = '\0';
	t->addr = addr;
	t->len = len;
	*cursor = addr + len;
	return 0;
}

int fw_acpi_build(struct fw_image *img, const struct layout *lay, struct err *e)
{
	struct acpi_table_rsdp rsdp;
	struct acpi_buf dsdt, fadt, madt, srat, slit, xsdt;
	struct acpi_buf *linked[] = { &fadt, &madt, &srat, &slit };
	const char *sigs[] = { "FACP", "APIC", "SRAT", "SLIT" };
	u64 cursor = FW_ACPI, xsdt_addr, dsdt_addr, addr;
	unsigned int i;
	int ret;

	/*
	 * Addresses are known before bytes: lay the tables out in a fixed
	 * order, computing each address from the sizes before it.
	 */
	img->nr_tables = 0;
	acpi_build_dsdt(&dsdt);
	acpi_build_madt(&madt, lay);
	acpi_build_srat(&srat, lay);
	acpi_build_slit(&slit, lay);

	img->rsdp_addr = FW_ACPI;
	xsdt_addr = ALIGN_UP(FW_ACPI + sizeof(rsdp), 16);
	acpi_buf_begin(&xsdt, "XSDT", 1);
	acpi_buf_append(&xsdt, 8 * ARRAY_SIZE(linked));
	dsdt_addr = ALIGN_UP(xsdt_addr + xsdt.len, 16);
	acpi_build_fadt(&fadt, dsdt_addr);
	addr = ALIGN_UP(dsdt_addr + dsdt.len, 16);
	for (i = 0; i < ARRAY_SIZE(linked); i++) {
		/* XSDT entries sit at offset 36: not 8-byte aligned */
		memcpy(xsdt.data + sizeof(struct acpi_table_header) + 8 * i, &addr, 8);
		addr = ALIGN_UP(addr + linked[i]->len, 16);
	}
	acpi_buf_end(&xsdt);

	memset(&rsdp, 0, sizeof(rsdp));
	memcpy(rsdp.signature, "RSD PTR ", 8);
	memcpy(rsdp.oem_id, ACPI_OEM_ID, 6);
	rsdp.revision = 2;
	rsdp.length = sizeof(rsdp);
	rsdp.xsdt_physical_address = xsdt_addr;
	rsdp.checksum = acpi_checksum(&rsdp, 20);
	rsdp.extended_checksum = acpi_checksum(&rsdp, sizeof(rsdp));

	ret = place(img, &cursor, "RSDP", &rsdp, sizeof(rsdp), e);
	if (!ret)
		ret = place(img, &cursor, "XSDT", xsdt.data, xsdt.len, e);
	if (!ret)
		ret = place(img, &cursor, "DSDT", dsdt.data, dsdt.len, e);
	for (i = 0; !ret && i < ARRAY_SIZE(linked); i++)
		ret = place(img, &cursor, sigs[i], linked[i]->data, linked[i]->len, e);

	acpi_buf_free(&xsdt);
	acpi_buf_free(&dsdt);
	for (i = 0; i < ARRAY_SIZE(linked); i++)
		acpi_buf_free(linked[i]);
	return ret;
}
