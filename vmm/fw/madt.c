// SPDX-License-Identifier: GPL-2.0
/*
 * MADT (ACPI 6.5 5.2.12): one xAPIC per vCPU, the IOAPIC, the PIT's ISA
 * override and one for every platform device whose interrupt is not ISA's
 * default (edge, active high).
 */
#include "acpi.h"
#include "device.h"
#include "layout.h"
#include "platform.h"

static void add_override(struct acpi_buf *b, u8 irq, u32 gsi, u16 flags)
{
	struct acpi_madt_interrupt_override *iso = acpi_buf_append(b, sizeof(*iso));

	iso->header.type = ACPI_MADT_TYPE_INTERRUPT_OVERRIDE;
	iso->header.length = sizeof(*iso);
	iso->bus = 0;
	iso->source_irq = irq;
	iso->global_irq = gsi;
	iso->inti_flags = flags;
}

int acpi__build_madt(struct acpi_buf *b, const struct layout *lay)
{
	struct acpi_table_madt *madt;
	struct acpi_madt_io_apic *io;
	struct acpi_madt_local_apic_nmi *nmi;
	unsigned int cpu, i;

	acpi_buf_begin(b, "APIC", 5);
	madt = acpi_buf_append(b, sizeof(*madt) - sizeof(madt->header));
	madt = (struct acpi_table_madt *)b->data;
	madt->address = LAPIC_ADDR;
	/*
	 * No PCAT_COMPAT: the platform is HW-reduced and Linux then uses no
	 * 8259, whichever engine runs the guest.
	 */
	madt->flags = 0;

	/* APIC id == ACPI processor uid == vCPU index, as both engines set up. */
	for (cpu = 0; cpu < lay->nr_cpus; cpu++) {
		struct acpi_madt_local_apic *lapic = acpi_buf_append(b, sizeof(*lapic));

		lapic->header.type = ACPI_MADT_TYPE_LOCAL_APIC;
		lapic->header.length = sizeof(*lapic);
		lapic->processor_id = cpu;
		lapic->id = cpu;
		lapic->lapic_flags = ACPI_MADT_ENABLED;
	}

	io = acpi_buf_append(b, sizeof(*io));
	io->header.type = ACPI_MADT_TYPE_IO_APIC;
	io->header.length = sizeof(*io);
	io->id = IOAPIC_ID;
	io->address = IOAPIC_ADDR;
	io->global_irq_base = 0;

	/* ISA IRQ 0 (PIT) arrives on IOAPIC pin 2, as on every PC. */
	add_override(b, 0, 2, 0);
	for (i = 0; i < nr_platform_devices; i++) {
		const struct platform_device *d = &platform_devices[i];

		if (d->gsi != NO_GSI && d->model->irq_flags && platform_device__present(d, lay))
			add_override(b, d->gsi, d->gsi, d->model->irq_flags);
	}

	/* LINT1 is NMI on every processor (uid 0xff means all). */
	nmi = acpi_buf_append(b, sizeof(*nmi));
	nmi->header.type = ACPI_MADT_TYPE_LOCAL_APIC_NMI;
	nmi->header.length = sizeof(*nmi);
	nmi->processor_id = 0xff;
	nmi->inti_flags = 0;
	nmi->lint = 1;

	return acpi_buf_end(b);
}
