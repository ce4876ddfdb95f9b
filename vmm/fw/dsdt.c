// SPDX-License-Identifier: GPL-2.0
/*
 * DSDT: the devices Linux cannot find without ACPI on a HW-reduced platform
 * (COM1, pvpanic) and \_S5, which ACPI's sleep control register needs.
 */
#include <string.h>

#include "acpi.h"
#include "aml.h"
#include "platform.h"

static struct aml *com1(void)
{
	struct aml *dev = aml_device("COM1");
	struct aml *crs = aml_resource_template();

	aml_append(dev, aml_name("_HID", aml_eisaid("PNP0501")));
	aml_append(dev, aml_name("_UID", aml_int(0)));
	aml_res_io(crs, COM1_PORT, 8);
	aml_res_irq(crs, COM1_IRQ);
	aml_append(dev, aml_name("_CRS", aml_resource_end(crs)));
	return dev;
}

/* QEMU's pvpanic ISA device; Linux's pvpanic-mmio driver binds to it. */
static struct aml *pvpanic(void)
{
	struct aml *dev = aml_device("PEVT");
	struct aml *crs = aml_resource_template();

	aml_append(dev, aml_name("_HID", aml_string("QEMU0001")));
	aml_res_io(crs, PVPANIC_PORT, 1);
	aml_append(dev, aml_name("_CRS", aml_resource_end(crs)));
	return dev;
}

void acpi_build_dsdt(struct acpi_buf *b)
{
	struct aml *root = aml_raw();
	struct aml *sb = aml_scope("\\_SB");
	struct aml *s5 = aml_package(4);

	aml_append(sb, com1());
	aml_append(sb, pvpanic());
	aml_append(root, sb);

	/* \_S5: SLP_TYPa, SLP_TYPb, reserved, reserved (7.4.2) */
	aml_append(s5, aml_int(MVM_S5_SLP_TYP));
	aml_append(s5, aml_int(MVM_S5_SLP_TYP));
	aml_append(s5, aml_int(0));
	aml_append(s5, aml_int(0));
	aml_append(root, aml_name("\\_S5", s5));

	acpi_buf_begin(b, "DSDT", 2);
	memcpy(acpi_buf_append(b, root->len), root->body, root->len);
	aml_free(root);
	acpi_buf_end(b);
}
