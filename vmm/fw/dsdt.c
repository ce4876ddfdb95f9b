// SPDX-License-Identifier: GPL-2.0
/*
 * DSDT: the platform table's devices (vmm/platform/devices.c), which Linux
 * cannot find without ACPI on a HW-reduced platform, each described by its
 * model, and \_S5, which ACPI's sleep control register needs.
 */
#include <string.h>

#include "acpi.h"
#include "aml.h"
#include "device.h"
#include "platform.h"

int acpi__build_dsdt(struct acpi_buf *b, const struct layout *lay)
{
	struct aml *root = aml_raw();
	struct aml *sb = aml_scope("\\_SB");
	struct aml *s5 = aml_package(4);
	unsigned int i;

	for (i = 0; i < nr_platform_devices; i++) {
		const struct platform_device *d = &platform_devices[i];

		if (d->model->aml && platform_device__present(d, lay))
			d->model->aml(sb, d, lay);
	}
	aml_append(root, sb);

	/* \_S5: SLP_TYPa, SLP_TYPb, reserved, reserved (7.4.2) */
	aml_append(s5, aml_int(MVM_S5_SLP_TYP));
	aml_append(s5, aml_int(MVM_S5_SLP_TYP));
	aml_append(s5, aml_int(0));
	aml_append(s5, aml_int(0));
	aml_append(root, aml_name("\\_S5", s5));

	acpi_buf_begin(b, "DSDT", 2);
	acpi_buf_append_aml(b, root);	/* records the tree's error, if any */
	return acpi_buf_end(b);
}
