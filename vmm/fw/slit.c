// SPDX-License-Identifier: GPL-2.0
/* SLIT (ACPI 6.5 5.2.17): 10 to itself, 20 to every other node. */
#include "acpi.h"
#include "layout.h"

int acpi__build_slit(struct acpi_buf *b, const struct layout *lay)
{
	struct acpi_table_slit *slit;
	unsigned int i, j;
	u8 *d;

	acpi_buf_begin(b, "SLIT", 1);
	acpi_buf_append(b, sizeof(*slit) - sizeof(slit->header));
	slit = (struct acpi_table_slit *)b->data;
	slit->locality_count = lay->nr_nodes;
	d = acpi_buf_append(b, lay->nr_nodes * lay->nr_nodes);
	for (i = 0; i < lay->nr_nodes; i++)
		for (j = 0; j < lay->nr_nodes; j++)
			d[i * lay->nr_nodes + j] = i == j ? SLIT_LOCAL_DISTANCE
							  : SLIT_REMOTE_DISTANCE;
	return acpi_buf_end(b);
}
