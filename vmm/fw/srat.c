// SPDX-License-Identifier: GPL-2.0
/*
 * SRAT (ACPI 6.5 5.2.16): a CPU affinity entry per vCPU and a memory affinity
 * entry per RAM range of the layout.  Ranges of hotplug=on nodes carry Hot
 * Pluggable, which Linux turns into MEMBLOCK_HOTPLUG (movable_node).
 */
#include "acpi.h"
#include "layout.h"

int acpi__build_srat(struct acpi_buf *b, const struct layout *lay)
{
	struct acpi_table_srat *srat;
	unsigned int cpu, i;

	acpi_buf_begin(b, "SRAT", 3);
	acpi_buf_append(b, sizeof(*srat) - sizeof(srat->header));
	srat = (struct acpi_table_srat *)b->data;
	srat->table_revision = 1;

	for (cpu = 0; cpu < lay->nr_cpus; cpu++) {
		struct acpi_srat_cpu_affinity *c = acpi_buf_append(b, sizeof(*c));
		unsigned int node = lay->cpu_node[cpu];

		c->header.type = ACPI_SRAT_TYPE_CPU_AFFINITY;
		c->header.length = sizeof(*c);
		c->proximity_domain_lo = node & 0xff;
		c->proximity_domain_hi[0] = (node >> 8) & 0xff;
		c->proximity_domain_hi[1] = (node >> 16) & 0xff;
		c->proximity_domain_hi[2] = (node >> 24) & 0xff;
		c->apic_id = cpu;
		c->flags = ACPI_SRAT_CPU_ENABLED;
	}

	for (i = 0; i < lay->nr_ram; i++) {
		const struct ram_range *r = &lay->ram[i];
		struct acpi_srat_mem_affinity *m = acpi_buf_append(b, sizeof(*m));

		m->header.type = ACPI_SRAT_TYPE_MEMORY_AFFINITY;
		m->header.length = sizeof(*m);
		m->proximity_domain = r->node;
		m->base_address = r->start;
		m->length = r->size;
		m->flags = ACPI_SRAT_MEM_ENABLED;
		if (lay->nodes[r->node].hotplug)
			m->flags |= ACPI_SRAT_MEM_HOT_PLUGGABLE;
	}
	return acpi_buf_end(b);
}
