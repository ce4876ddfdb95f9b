// SPDX-License-Identifier: GPL-2.0
/*
 * FADT (ACPI 6.5 5.2.9), HW-reduced: no PM1/GPE blocks, no SCI.  Power off
 * and reset go through the sleep control and reset registers, both on
 * mirrorvm's control port, so every engine ends the VM the same way.
 */
#include <string.h>

#include "acpi.h"
#include "platform.h"

static void io_gas(struct acpi_generic_address *g, u16 port)
{
	g->space_id = ACPI_ADR_SPACE_SYSTEM_IO;
	g->bit_width = 8;
	g->bit_offset = 0;
	g->access_width = ACPI_ACCESS_BYTE;
	g->address = port;
}

int acpi__build_fadt(struct acpi_buf *b, u64 dsdt_addr)
{
	struct acpi_table_fadt *f;

	acpi_buf_begin(b, "FACP", 6);
	acpi_buf_append(b, sizeof(*f) - sizeof(f->header));
	f = (struct acpi_table_fadt *)b->data;
	f->minor_revision = 3;
	f->dsdt = (u32)dsdt_addr;
	f->xdsdt = dsdt_addr;
	f->flags = ACPI_FADT_HW_REDUCED | ACPI_FADT_RESET_REGISTER |
		   ACPI_FADT_POWER_BUTTON | ACPI_FADT_SLEEP_BUTTON |
		   ACPI_FADT_WBINVD;
	f->boot_flags = ACPI_FADT_NO_VGA | ACPI_FADT_NO_CMOS_RTC;
	io_gas(&f->reset_register, MVM_CTL_PORT);
	f->reset_value = MVM_CTL_RESET;
	io_gas(&f->sleep_control, MVM_CTL_PORT);
	io_gas(&f->sleep_status, MVM_SLEEP_STATUS_PORT);
	memcpy(&f->hypervisor_id, "MIRRORVM", 8);
	return acpi_buf_end(b);
}
